/*
 * dkim_cmd.c - `tern dkim`: the DKIM keys of the sending domains (keygen, import, list, show,
 * rotate, remove) and the DNS records that publish them.
 *
 * The actions are a table: how many arguments and which options each takes is checked in one
 * place, before the configuration or the store is touched. Keys are made and read by
 * src/dkim; the store lists them. The server reads the keys when it starts; a rotation's
 * switch (pending to active once the record is in DNS, the old key retiring after the grace
 * period) is the server's work, not this command's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "dkim/dkim.h"
#include "lib/buf.h"
#include "store/store.h"

#define ROTATE_TRIES 99 /* tYYYYMMDD, tYYYYMMDD-2 .. tYYYYMMDD-99 */

void dkim_usage(FILE *out)
{
	fprintf(out,
		"usage: tern dkim keygen DOMAIN SELECTOR [--algorithm rsa|ed25519]\n"
		"                        [--bits 2048|3072|4096] [-c FILE]\n"
		"       tern dkim import DOMAIN SELECTOR KEYFILE [-c FILE]\n"
		"       tern dkim list [DOMAIN] [--json] [-c FILE]\n"
		"       tern dkim show DOMAIN [--json] [-c FILE]\n"
		"       tern dkim rotate DOMAIN [--algorithm rsa|ed25519] [--bits N] [-c FILE]\n"
		"       tern dkim remove DOMAIN SELECTOR [-c FILE]\n"
		"\n"
		"DKIM keys sign the mail of each sending domain, so that receivers can check it\n"
		"comes from that domain. 'keygen' makes a key (RSA of 2048 bits unless told\n"
		"otherwise) and prints the DNS TXT record to publish. The first key of each\n"
		"algorithm of a domain is active at once: publish its record before sending. A\n"
		"domain with an active RSA key and an active Ed25519 key gets both signatures.\n"
		"Keys are kept in DATA_DIR/dkim/DOMAIN/SELECTOR.pem (mode 0600).\n"
		"\n"
		"'rotate' makes a new key, pending, with the selector tYYYYMMDD (today, UTC;\n"
		"tYYYYMMDD-2 and so on when that is taken), and prints its record. The server\n"
		"switches to it once the record is seen in DNS and retires the old key after\n"
		"the grace period; the old record stays published until then. Without\n"
		"--algorithm every algorithm the domain has an active key of is rotated; the\n"
		"new RSA key has the old one's size unless --bits says otherwise.\n"
		"\n"
		"'import' takes a PEM private key (RSA of 2048 to 4096 bits, or Ed25519, not\n"
		"encrypted), checks it and copies it into DATA_DIR/dkim. 'show' prints the\n"
		"records of a domain's keys again. 'remove' forgets a key and deletes its file.\n");
}

/* ---- the actions' table and the checks of their arguments ------------------------------- */

enum { OPT_JSON = 1, OPT_ALG = 2, OPT_BITS = 4 };

struct args {
	const char *verb;
	struct tern_config cfg;
	struct store *st;
	char domain[STORE_DKIM_DOMAIN_MAX + 1];	    /* normalized; "" when not given */
	char selector[STORE_DKIM_SELECTOR_MAX + 1]; /* normalized; "" when not given */
	const char *keyfile;			    /* import */
	bool json;
	int alg;  /* -1: not given */
	int bits; /* 0: not given */
};

struct action {
	const char *verb;
	int min_args, max_args; /* after the verb */
	int options;		/* OPT_* it accepts */
	int (*run)(struct args *a);
};

static int do_keygen(struct args *a);
static int do_import(struct args *a);
static int do_list(struct args *a);
static int do_show(struct args *a);
static int do_rotate(struct args *a);
static int do_remove(struct args *a);

static const struct action actions[] = {
	{ "keygen", 2, 2, OPT_ALG | OPT_BITS, do_keygen },
	{ "import", 3, 3, 0, do_import },
	{ "list", 0, 1, OPT_JSON, do_list },
	{ "show", 1, 1, OPT_JSON, do_show },
	{ "rotate", 1, 1, OPT_ALG | OPT_BITS, do_rotate },
	{ "remove", 2, 2, 0, do_remove },
};

static bool domain_arg(const char *verb, const char *s, char *out)
{
	if (store_dkim_domain_norm(s, out))
		return true;
	fprintf(stderr,
		"tern dkim %s: '%s' is not a domain name: labels of letters, digits and hyphens "
		"with at least one dot, such as example.com\n",
		verb, s);
	return false;
}

static bool selector_arg(const char *verb, const char *s, char *out)
{
	if (store_dkim_selector_norm(s, out))
		return true;
	fprintf(stderr,
		"tern dkim %s: '%s' is not a selector: one or more DNS labels of letters, digits "
		"and hyphens, such as sel1 or 2026-11\n",
		verb, s);
	return false;
}

/* The options' values, one at a time. */
static bool options_valid(struct args *a, const char *alg, const char *bits)
{
	char *end;
	long v;

	if (alg != NULL && (a->alg = store_dkim_alg_parse(alg)) < 0) {
		fprintf(stderr, "tern dkim %s: --algorithm takes rsa or ed25519, not '%s'\n",
			a->verb, alg);
		return false;
	}
	if (bits == NULL)
		return true;
	v = strtol(bits, &end, 10);
	if (*end != '\0' || (v != 2048 && v != 3072 && v != 4096)) {
		fprintf(stderr,
			"tern dkim %s: --bits takes 2048, 3072 or 4096, not '%s' (shorter RSA keys "
			"are not safe, RFC 8301)\n",
			a->verb, bits);
		return false;
	}
	if (a->alg == STORE_DKIM_ED25519) {
		fprintf(stderr,
			"tern dkim %s: --bits is for RSA keys; Ed25519 keys have one size\n",
			a->verb);
		return false;
	}
	a->bits = (int)v;
	return true;
}

/* The record's name must fit in a DNS name. */
static bool name_fits(const struct args *a)
{
	if (a->selector[0] == '\0' ||
	    strlen(a->selector) + strlen("._domainkey.") + strlen(a->domain) <= 253)
		return true;
	fprintf(stderr,
		"tern dkim %s: %s._domainkey.%s is longer than a DNS name may be (253 octets); "
		"choose a shorter selector\n",
		a->verb, a->selector, a->domain);
	return false;
}

int cmd_dkim(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct args a = { .alg = -1 };
	const struct action *act = NULL;
	const char *alg, *bits;
	int given, nargs, rc;

	a.json = cli_take_flag(&argc, argv, "--json");
	alg = cli_take_option(&argc, argv, "--algorithm");
	bits = cli_take_option(&argc, argv, "--bits");
	given = (a.json ? OPT_JSON : 0) | (alg ? OPT_ALG : 0) | (bits ? OPT_BITS : 0);
	a.verb = argc > 1 ? argv[1] : "";
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(a.verb, actions[i].verb) == 0)
			act = &actions[i];
	if (act == NULL) {
		if (a.verb[0] != '\0')
			fprintf(stderr, "tern dkim: unknown action '%s'\n", a.verb);
		dkim_usage(stderr);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr,
				"tern dkim %s: unknown option %s (or one without its value)\n",
				a.verb, argv[i]);
			return CLI_USAGE;
		}
	}
	nargs = argc - 2;
	if (nargs < act->min_args || nargs > act->max_args) {
		dkim_usage(stderr);
		return CLI_USAGE;
	}
	if ((given & ~act->options) != 0) {
		fprintf(stderr, "tern dkim %s: does not take %s\n", a.verb,
			(given & ~act->options & OPT_JSON)  ? "--json"
			: (given & ~act->options & OPT_ALG) ? "--algorithm"
							    : "--bits");
		dkim_usage(stderr);
		return CLI_USAGE;
	}
	if (!options_valid(&a, alg, bits))
		return CLI_USAGE;
	if (nargs >= 1 && !domain_arg(a.verb, argv[2], a.domain))
		return CLI_USAGE;
	if (nargs >= 2 && !selector_arg(a.verb, argv[3], a.selector))
		return CLI_USAGE;
	if (!name_fits(&a))
		return CLI_USAGE;
	a.keyfile = nargs >= 3 ? argv[4] : NULL;
	if ((a.st = setup_store(path, &a.cfg, "tern dkim")) == NULL)
		return CLI_PROBLEM;
	rc = act->run(&a);
	store_close(a.st);
	return rc;
}

/* ---- shared pieces ------------------------------------------------------------------------ */

static void utc(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int fail(const struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "tern dkim VERB: ..." and returns CLI_PROBLEM. */
static int fail(const struct args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tern dkim %s: ", a->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_PROBLEM;
}

/* The key of ks with this algorithm in this state, or NULL. */
static const struct store_dkim_key *key_in(const struct store_dkim_keys *ks, int alg,
					   enum store_dkim_state state)
{
	const struct store_dkim_key *found = NULL;

	for (size_t i = 0; i < ks->n; i++)
		if ((int)ks->v[i].algorithm == alg && ks->v[i].state == state &&
		    (found == NULL || ks->v[i].activated >= found->activated))
			found = &ks->v[i];
	return found;
}

static const char *alg_title(enum store_dkim_alg alg)
{
	return alg == STORE_DKIM_RSA ? "RSA" : "Ed25519";
}

/* "RSA 2048-bit" or "Ed25519" */
static void describe(const struct store_dkim_key *k, char *out, size_t size)
{
	if (k->algorithm == STORE_DKIM_RSA)
		snprintf(out, size, "RSA %d-bit", k->bits);
	else
		snprintf(out, size, "%s", alg_title(k->algorithm));
}

/* The record of k, from its key file, into rec (and the bare value into value when not NULL).
 * Says what went wrong and returns false. */
static bool record_of(const struct args *a, const struct store_dkim_key *k, struct buf *rec,
		      struct buf *value)
{
	struct buf v = BUF_INIT;
	char err[600];
	int r;

	if ((r = dkim_txt_value(k->key_path, &v, err, sizeof(err))) < 0) {
		fail(a, "%s; restore the file, or remove the key with 'tern dkim remove %s %s'",
		     err, k->domain, k->selector);
		buf_free(&v);
		return false;
	}
	if (!dkim_txt_record(k->domain, k->selector, buf_cstr(&v), rec) ||
	    (value != NULL && !buf_append(value, v.data, v.len))) {
		fail(a, "out of memory");
		buf_free(&v);
		return false;
	}
	buf_free(&v);
	return true;
}

/* What keygen, import and rotate print about a new key: the record and how to publish it. */
static bool print_new_key(const struct args *a, const struct store_dkim_key *k, const char *made,
			  const struct store_dkim_key *old)
{
	struct buf rec = BUF_INIT;
	char what[32];

	if (!record_of(a, k, &rec, NULL))
		return false;
	describe(k, what, sizeof(what));
	printf("%s an %s DKIM key for %s, selector %s (%s).\n"
	       "Key file: %s\n"
	       "\n"
	       "Publish this TXT record in DNS (the name is fully qualified, with the trailing "
	       "dot):\n"
	       "\n"
	       "  %s\n"
	       "\n",
	       made, what, k->domain, k->selector, store_dkim_state_name(k->state), k->key_path,
	       buf_cstr(&rec));
	printf("Write the name with its trailing dot, or as '%s._domainkey' inside the %s zone:\n"
	       "many DNS editors add the zone to a name written without the dot, so that\n"
	       "'%s._domainkey.%s' would end up as %s._domainkey.%s.%s.\n"
	       "Long values are split into strings of at most 255 octets, as DNS requires;\n"
	       "receivers join them. Some DNS editors want the value alone: then paste the\n"
	       "strings joined, without the quotes.\n",
	       k->selector, k->domain, k->selector, k->domain, k->selector, k->domain, k->domain);
	if (k->state == STORE_DKIM_ACTIVE)
		printf("\nThe key is active: tern signs mail from %s with it. Publish the record\n"
		       "before sending, or receivers cannot check the signatures.\n",
		       k->domain);
	else if (old != NULL)
		printf("\nThe key is pending: %s keeps signing mail from %s for now. The server\n"
		       "switches to the new key once its record is seen in DNS, and retires %s\n"
		       "after the grace period; keep the record of %s published until 'tern dkim\n"
		       "list' shows it retired.\n",
		       old->selector, k->domain, old->selector, old->selector);
	buf_free(&rec);
	return true;
}

/* The state a new key starts in: active unless the domain has an active key of its
 * algorithm (then pending: a rotation). *old is that active key. */
static enum store_dkim_state first_state(const struct store_dkim_keys *ks, enum store_dkim_alg alg,
					 const struct store_dkim_key **old)
{
	*old = key_in(ks, (int)alg, STORE_DKIM_ACTIVE);
	return *old != NULL ? STORE_DKIM_PENDING : STORE_DKIM_ACTIVE;
}

/* Lists the new key in the store; when that fails, its file goes again. */
static int add_key(const struct args *a, struct store_dkim_key *k)
{
	int r = store_dkim_add(a->st, k);

	if (r == 0)
		return 0;
	(void)unlink(k->key_path);
	if (r == -EEXIST)
		return fail(a, "%s has a key with selector %s already; choose another selector",
			    k->domain, k->selector);
	return fail(a, "cannot list the key in the store: %s", strerror(-r));
}

/* Makes (or, with from, imports) the key a->domain/selector; fills k. */
static int make_key(const struct args *a, const char *selector, enum store_dkim_alg alg, int bits,
		    const char *from, enum store_dkim_state state, struct store_dkim_key *k)
{
	char err[600];
	int r;

	memset(k, 0, sizeof(*k));
	snprintf(k->domain, sizeof(k->domain), "%s", a->domain);
	snprintf(k->selector, sizeof(k->selector), "%s", selector);
	if ((r = dkim_key_prepare_path(a->cfg.data_dir, a->domain, selector, k->key_path,
				       sizeof(k->key_path), err, sizeof(err))) < 0)
		return fail(a, "%s", err);
	if (from != NULL)
		r = dkim_key_import(from, k->key_path, &alg, &bits, err, sizeof(err));
	else
		r = dkim_key_generate(alg, bits, k->key_path, err, sizeof(err));
	if (r < 0)
		return fail(a, "%s", err);
	k->algorithm = alg;
	k->bits = bits;
	k->state = state;
	k->created = (int64_t)time(NULL);
	k->activated = state == STORE_DKIM_ACTIVE ? k->created : 0;
	return add_key(a, k);
}

/* ---- the actions -------------------------------------------------------------------------- */

/* keygen and import: a key under a selector the operator chose. */
static int new_key(struct args *a, const char *from)
{
	const struct store_dkim_key *old;
	struct store_dkim_key k, probe;
	enum store_dkim_alg alg = a->alg >= 0 ? (enum store_dkim_alg)a->alg : STORE_DKIM_RSA;
	int bits = alg == STORE_DKIM_RSA ? (a->bits ? a->bits : STORE_DKIM_RSA_MIN) : 0;
	char err[600];
	struct store_dkim_keys ks;
	int r, rc;

	/* An imported key's algorithm and size are those of its file. */
	if (from != NULL && dkim_key_inspect(from, &alg, &bits, err, sizeof(err)) < 0)
		return fail(a, "%s", err);
	if ((r = store_dkim_get(a->st, a->domain, a->selector, &probe)) == 0)
		return fail(a,
			    "%s has a key with selector %s already ('tern dkim show %s'); choose "
			    "another selector",
			    a->domain, a->selector, a->domain);
	if (r != -ENOENT)
		return fail(a, "cannot read the store: %s", strerror(-r));
	if ((r = store_dkim_read(a->st, a->domain, &ks)) != 0)
		return fail(a, "cannot read the store: %s", strerror(-r));
	rc = make_key(a, a->selector, alg, bits, from, first_state(&ks, alg, &old), &k);
	if (rc == 0)
		rc = print_new_key(a, &k, from != NULL ? "Imported" : "Generated", old)
			     ? CLI_OK
			     : CLI_PROBLEM;
	store_dkim_keys_free(&ks);
	return rc;
}

static int do_keygen(struct args *a)
{
	return new_key(a, NULL);
}

static int do_import(struct args *a)
{
	return new_key(a, a->keyfile);
}

static int do_list(struct args *a)
{
	struct store_dkim_keys ks;
	char when[32];
	int r;

	if ((r = store_dkim_read(a->st, a->domain[0] ? a->domain : NULL, &ks)) != 0)
		return fail(a, "cannot read the store: %s", strerror(-r));
	if (ks.n == 0 && !a->json) {
		if (a->domain[0])
			fprintf(stderr, "tern dkim list: no DKIM keys for %s\n", a->domain);
		else
			fprintf(stderr, "tern dkim list: no DKIM keys; make one with 'tern dkim "
					"keygen DOMAIN SELECTOR'\n");
	} else if (!a->json) {
		printf("%-32s %-16s %-9s %-5s %-8s %s\n", "DOMAIN", "SELECTOR", "ALGORITHM", "BITS",
		       "STATE", "CREATED");
	}
	if (a->json)
		printf("[");
	for (size_t i = 0; i < ks.n; i++) {
		const struct store_dkim_key *k = &ks.v[i];

		utc(k->created, when, sizeof(when));
		if (a->json) {
			printf("%s{\"domain\": ", i ? ",\n " : "");
			cli_json_string(k->domain);
			printf(", \"selector\": ");
			cli_json_string(k->selector);
			printf(", \"algorithm\": \"%s\", \"bits\": %d, \"state\": \"%s\", "
			       "\"created\": \"%s\"}",
			       store_dkim_alg_name(k->algorithm), k->bits,
			       store_dkim_state_name(k->state), when);
		} else {
			printf("%-32s %-16s %-9s %-5d %-8s %s\n", k->domain, k->selector,
			       store_dkim_alg_name(k->algorithm), k->bits,
			       store_dkim_state_name(k->state), when);
		}
	}
	if (a->json)
		printf("]\n");
	store_dkim_keys_free(&ks);
	return CLI_OK;
}

/* One key of `tern dkim show`, as text. */
static void show_text(const struct store_dkim_key *k, const char *record)
{
	char what[32], when[32];

	describe(k, what, sizeof(what));
	printf("%s, selector %s: %s, %s", k->domain, k->selector, what,
	       store_dkim_state_name(k->state));
	if (k->state == STORE_DKIM_ACTIVE && k->activated > 0) {
		utc(k->activated, when, sizeof(when));
		printf(" since %s", when);
	} else if (k->state == STORE_DKIM_PENDING) {
		printf(" (publish the record; the server switches once it is seen in DNS)");
	} else if (k->state == STORE_DKIM_RETIRING && k->retire_at > 0) {
		utc(k->retire_at, when, sizeof(when));
		printf(" (keep the record published until %s)", when);
	} else if (k->state == STORE_DKIM_RETIRED) {
		printf(" (the record may be removed from DNS)");
	}
	printf("\n  %s\n", record);
}

/* One key of `tern dkim show --json`. */
static void show_json(const struct store_dkim_key *k, const struct buf *rec,
		      const struct buf *value, bool first)
{
	struct buf name = BUF_INIT;
	char when[32];
	size_t n = dkim_txt_strings(value->len);

	utc(k->created, when, sizeof(when));
	printf("%s{\"selector\": ", first ? "" : ",\n  ");
	cli_json_string(k->selector);
	printf(", \"algorithm\": \"%s\", \"bits\": %d, \"state\": \"%s\", \"created\": \"%s\", "
	       "\"name\": ",
	       store_dkim_alg_name(k->algorithm), k->bits, store_dkim_state_name(k->state), when);
	if (dkim_txt_name(k->domain, k->selector, &name))
		cli_json_string(buf_cstr(&name));
	printf(", \"value\": ");
	cli_json_string((const char *)value->data);
	printf(", \"strings\": [");
	for (size_t i = 0; i < n; i++) {
		size_t at = i * DKIM_TXT_STRING_MAX, part = value->len - at < DKIM_TXT_STRING_MAX
								    ? value->len - at
								    : DKIM_TXT_STRING_MAX;
		printf("%s\"%.*s\"", i ? ", " : "", (int)part, (const char *)value->data + at);
	}
	printf("], \"record\": ");
	cli_json_string((const char *)rec->data);
	printf("}");
	buf_free(&name);
}

static int do_show(struct args *a)
{
	struct buf rec = BUF_INIT, value = BUF_INIT;
	struct store_dkim_keys ks;
	int r, rc = CLI_OK;

	if ((r = store_dkim_read(a->st, a->domain, &ks)) != 0)
		return fail(a, "cannot read the store: %s", strerror(-r));
	if (ks.n == 0) {
		store_dkim_keys_free(&ks);
		return fail(a,
			    "no DKIM keys for %s ('tern dkim list' shows the domains with keys; "
			    "'tern dkim keygen %s SELECTOR' makes one)",
			    a->domain, a->domain);
	}
	if (a->json) {
		printf("{\"domain\": ");
		cli_json_string(a->domain);
		printf(", \"keys\": [");
	} else {
		printf("DNS TXT records of %s (names fully qualified, with the trailing dot):\n\n",
		       a->domain);
	}
	for (size_t i = 0; i < ks.n && rc == CLI_OK; i++) {
		buf_reset(&rec);
		buf_reset(&value);
		if (!record_of(a, &ks.v[i], &rec, &value)) {
			rc = CLI_PROBLEM;
			break;
		}
		if (a->json)
			show_json(&ks.v[i], &rec, &value, i == 0);
		else
			show_text(&ks.v[i], buf_cstr(&rec));
	}
	if (a->json && rc == CLI_OK)
		printf("]}\n");
	else if (a->json)
		printf("\n");
	buf_free(&rec);
	buf_free(&value);
	store_dkim_keys_free(&ks);
	return rc;
}

/* The first free selector of the day: tYYYYMMDD, then tYYYYMMDD-2 and so on. */
static bool rotate_selector(const struct args *a, const struct store_dkim_keys *ks, time_t now,
			    const char *taken, char *out, size_t size)
{
	char day[16];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "t%Y%m%d", &tm);
	for (int n = 1; n <= ROTATE_TRIES; n++) {
		bool used;

		if (n == 1)
			snprintf(out, size, "%s", day);
		else
			snprintf(out, size, "%s-%d", day, n);
		used = taken != NULL && strcmp(taken, out) == 0;
		for (size_t i = 0; i < ks->n && !used; i++)
			used = strcmp(ks->v[i].selector, out) == 0;
		if (!used && store_dkim_get(a->st, a->domain, out, NULL) == -ENOENT)
			return true;
	}
	return false;
}

static int do_rotate(struct args *a)
{
	const struct store_dkim_key *old[STORE_DKIM__ALGS] = { NULL };
	struct store_dkim_key made[STORE_DKIM__ALGS];
	char sel[STORE_DKIM__ALGS][STORE_DKIM_SELECTOR_MAX + 1];
	time_t now = time(NULL);
	struct store_dkim_keys ks;
	int r, rc = CLI_PROBLEM, count = 0;

	if ((r = store_dkim_read(a->st, a->domain, &ks)) != 0)
		return fail(a, "cannot read the store: %s", strerror(-r));
	if (ks.n == 0) {
		fail(a, "no DKIM keys for %s; make the first with 'tern dkim keygen %s SELECTOR'",
		     a->domain, a->domain);
		goto done;
	}
	/* What to rotate, and refusals, before anything is made. */
	for (int alg = 0; alg < STORE_DKIM__ALGS; alg++) {
		const struct store_dkim_key *pending = key_in(&ks, alg, STORE_DKIM_PENDING);

		if (a->alg >= 0 && a->alg != alg)
			continue;
		old[alg] = key_in(&ks, alg, STORE_DKIM_ACTIVE);
		if (old[alg] == NULL && a->alg >= 0) {
			fail(a,
			     "%s has no active %s key to rotate; make one with 'tern dkim keygen "
			     "%s "
			     "SELECTOR --algorithm %s'",
			     a->domain, store_dkim_alg_name((enum store_dkim_alg)alg), a->domain,
			     store_dkim_alg_name((enum store_dkim_alg)alg));
			goto done;
		}
		if (old[alg] == NULL)
			continue;
		if (pending != NULL) {
			fail(a,
			     "a rotation of %s's %s key is under way already: %s is pending until "
			     "its record is seen in DNS ('tern dkim show %s'); wait for it, or "
			     "remove it with 'tern dkim remove %s %s'",
			     a->domain, store_dkim_alg_name((enum store_dkim_alg)alg),
			     pending->selector, a->domain, a->domain, pending->selector);
			goto done;
		}
		count++;
	}
	if (count == 0) {
		fail(a, "%s has no active key to rotate ('tern dkim show %s')", a->domain,
		     a->domain);
		goto done;
	}
	for (int alg = 0; alg < STORE_DKIM__ALGS; alg++) {
		int bits = 0;

		if (old[alg] == NULL)
			continue;
		if (alg == STORE_DKIM_RSA)
			bits = a->bits ? a->bits : old[alg]->bits;
		if (!rotate_selector(a, &ks, now, alg > 0 && old[0] != NULL ? sel[0] : NULL,
				     sel[alg], sizeof(sel[alg]))) {
			fail(a,
			     "every selector of today is taken (up to t...-%d); remove some "
			     "keys or try tomorrow",
			     ROTATE_TRIES);
			goto done;
		}
		if (make_key(a, sel[alg], (enum store_dkim_alg)alg, bits, NULL, STORE_DKIM_PENDING,
			     &made[alg]) != 0)
			goto done;
		if (!print_new_key(a, &made[alg], "Generated", old[alg]))
			goto done;
		if (alg == 0 && old[1] != NULL)
			printf("\n");
	}
	rc = CLI_OK;
done:
	store_dkim_keys_free(&ks);
	return rc;
}

static int do_remove(struct args *a)
{
	struct store_dkim_key k;
	struct buf name = BUF_INIT;
	struct store_dkim_keys ks;
	int r;

	if ((r = store_dkim_get(a->st, a->domain, a->selector, &k)) == -ENOENT)
		return fail(a,
			    "%s has no key with selector %s ('tern dkim list %s' shows its keys)",
			    a->domain, a->selector, a->domain);
	if (r != 0)
		return fail(a, "cannot read the store: %s", strerror(-r));
	if ((r = store_dkim_remove(a->st, a->domain, a->selector)) != 0)
		return fail(a, "cannot remove the key from the store: %s", strerror(-r));
	if (unlink(k.key_path) < 0 && errno != ENOENT)
		fprintf(stderr,
			"tern dkim remove: the key is forgotten, but its file %s stays: %s\n",
			k.key_path, strerror(errno));
	else
		printf("Removed the DKIM key %s/%s and its file %s.\n", k.domain, k.selector,
		       k.key_path);
	(void)dkim_txt_name(k.domain, k.selector, &name);
	printf("Remove the TXT record %s from DNS too, once no mail signed with it is on its "
	       "way.\n",
	       buf_cstr(&name));
	buf_free(&name);
	if (k.state == STORE_DKIM_ACTIVE && store_dkim_read(a->st, a->domain, &ks) == 0) {
		if (key_in(&ks, (int)k.algorithm, STORE_DKIM_ACTIVE) == NULL)
			printf("%s has no active %s key now: its mail is no longer signed with "
			       "%s.\n",
			       k.domain, store_dkim_alg_name(k.algorithm),
			       store_dkim_alg_name(k.algorithm));
		store_dkim_keys_free(&ks);
	}
	return CLI_OK;
}
