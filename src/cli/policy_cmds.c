/*
 * policy_cmds.c - `tern sender`, `tern suppress` and `tern limits`: the sender policy's admin
 * commands. They write the store, which the running server reads at every MAIL and RCPT, so
 * a change takes effect at once, without a restart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "cli/suppress_csv.h"
#include "proto/address.h"
#include "store/store.h"

static const char *problem(int rc)
{
	switch (-rc) {
	case ENOENT:
		return "no such user or entry ('tern user list' shows the users)";
	case EEXIST:
		return "already there";
	case EINVAL:
		return "not a valid value";
	default:
		return strerror(-rc);
	}
}

/* Closes the store and turns r into the exit status, saying what went wrong. */
static int done(struct store *st, int r, const char *cmd, const char *verb)
{
	store_close(st);
	if (r != 0) {
		fprintf(stderr, "tern %s %s: %s\n", cmd, verb, problem(r));
		return CLI_PROBLEM;
	}
	return CLI_OK;
}

/* ---- tern sender ------------------------------------------------------------------------ */

void sender_usage(FILE *out)
{
	fprintf(out, "usage: tern sender add USER ADDRESS|@DOMAIN [-c FILE]\n"
		     "       tern sender remove USER ADDRESS|@DOMAIN [-c FILE]\n"
		     "       tern sender list USER [--json] [-c FILE]\n"
		     "\n"
		     "Approved senders: the addresses (or whole domains, written @example.com) a\n"
		     "user may put in MAIL FROM and in the From header. Anything else gets\n"
		     "'535 5.7.1 Authorization failed: address <ADDR> not authorized'.\n");
}

/* "local@domain" or "@domain", checked with the envelope address parser. */
static bool sender_valid(const char *s)
{
	struct address a;
	char probe[STORE_ADDR_MAX + 8];

	if (s[0] == '@') {
		snprintf(probe, sizeof(probe), "x%s", s);
		s = probe;
	}
	return address_parse(s, strlen(s), true, &a) == ADDRESS_OK;
}

struct list_ctx {
	bool json;
	size_t n;
};

static int print_sender(const char *sender, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->json) {
		printf("%s", l->n ? ", " : "");
		cli_json_string(sender);
	} else {
		printf("%s\n", sender);
	}
	l->n++;
	return 0;
}

int cmd_sender(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct list_ctx l = { cli_take_flag(&argc, argv, "--json"), 0 };
	struct tern_config cfg;
	struct store *st;
	const char *verb = argc > 1 ? argv[1] : "";
	int r;

	if (!((strcmp(verb, "list") == 0 && argc == 3) ||
	      ((strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0) && argc == 4))) {
		sender_usage(stderr);
		return CLI_USAGE;
	}
	if (argc == 4 && !sender_valid(argv[3])) {
		fprintf(stderr,
			"tern sender %s: '%s' is neither an address (news@example.com) nor a "
			"domain (@example.com)\n",
			verb, argv[3]);
		return CLI_USAGE;
	}
	if ((st = setup_store(path, &cfg, "tern sender")) == NULL)
		return CLI_PROBLEM;
	if (strcmp(verb, "list") == 0) {
		if (l.json)
			printf("{\"user\": \"%s\", \"senders\": [", argv[2]);
		r = store_sender_list(st, argv[2], print_sender, &l);
		if (l.json && r == 0)
			printf("]}\n");
	} else if (strcmp(verb, "add") == 0) {
		if ((r = store_sender_add(st, argv[2], argv[3])) == 0)
			printf("%s may now send as %s\n", argv[2], argv[3]);
	} else {
		if ((r = store_sender_remove(st, argv[2], argv[3])) == 0)
			printf("%s may no longer send as %s\n", argv[2], argv[3]);
	}
	return done(st, r, "sender", verb);
}

/* ---- tern suppress ---------------------------------------------------------------------- */

void suppress_usage(FILE *out)
{
	fprintf(out, "usage: tern suppress add ADDRESS [--reason R] [--expires DAYS] [-c FILE]\n"
		     "       tern suppress remove ADDRESS [-c FILE]\n"
		     "       tern suppress list [--reason R] [--since D] [--until D] [--json] [-c "
		     "FILE]\n"
		     "       tern suppress export [--reason R] [--since D] [--until D] [-c FILE]\n"
		     "       tern suppress import FILE.csv [-c FILE]\n"
		     "\n"
		     "The suppression list: recipients that are accepted but never delivered to.\n"
		     "R is manual (the default), bounce, complaint or unsubscribe; D is a date\n"
		     "(YYYY-MM-DD, UTC) or unix seconds, and filters by when entries were added.\n"
		     "CSV columns: address,reason,source,created,expires. What RCPT answers for a\n"
		     "suppressed recipient is [policy] suppression_reply.\n");
}

static int print_suppression(const struct store_suppression *e, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->json) {
		printf("%s{\"address\": ", l->n ? ",\n " : "");
		cli_json_string(e->address);
		printf(", \"reason\": \"%s\", \"source\": ", store_suppress_reason_name(e->reason));
		cli_json_string(e->source);
		printf(", \"created\": %" PRId64 ", \"expires\": %" PRId64 "}", e->created,
		       e->expires);
	} else {
		printf("%-40s %-12s %-12" PRId64 " %s\n", e->address,
		       store_suppress_reason_name(e->reason), e->created, e->source);
	}
	l->n++;
	return 0;
}

int cmd_suppress(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct list_ctx l = { cli_take_flag(&argc, argv, "--json"), 0 };
	const char *reason = cli_take_option(&argc, argv, "--reason");
	const char *expires = cli_take_option(&argc, argv, "--expires");
	const char *since = cli_take_option(&argc, argv, "--since");
	const char *until = cli_take_option(&argc, argv, "--until");
	const char *verb = argc > 1 ? argv[1] : "";
	size_t count = 0;
	struct store_suppress_filter flt = { -1, 0, 0, false, (int64_t)time(NULL) };
	struct store_suppression e = { .reason = STORE_SUPPRESS_MANUAL };
	struct tern_config cfg;
	struct store *st;
	struct address a;
	int r, why = reason ? store_suppress_reason_parse(reason) : STORE_SUPPRESS_MANUAL;

	if (!(((strcmp(verb, "list") == 0 || strcmp(verb, "export") == 0) && argc == 2) ||
	      ((strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0 ||
		strcmp(verb, "import") == 0) &&
	       argc == 3))) {
		suppress_usage(stderr);
		return CLI_USAGE;
	}
	if ((since != NULL && (flt.since = cli_parse_time(since, flt.now)) < 0) ||
	    (until != NULL && (flt.until = cli_parse_time(until, flt.now)) < 0)) {
		fprintf(stderr, "tern suppress: --since and --until take YYYY-MM-DD or unix "
				"seconds\n");
		return CLI_USAGE;
	}
	if (why < 0) {
		fprintf(stderr,
			"tern suppress: reason '%s' is not one of manual, bounce, complaint, "
			"unsubscribe\n",
			reason);
		return CLI_USAGE;
	}
	if (argc == 3 && strcmp(verb, "import") != 0 &&
	    address_parse(argv[2], strlen(argv[2]), true, &a) != ADDRESS_OK) {
		fprintf(stderr, "tern suppress %s: '%s' is not an email address\n", verb, argv[2]);
		return CLI_USAGE;
	}
	if ((st = setup_store(path, &cfg, "tern suppress")) == NULL)
		return CLI_PROBLEM;
	flt.reason = reason ? why : -1;
	if (strcmp(verb, "import") == 0) {
		if ((r = suppress_import(st, argv[2], &count)) == 0)
			printf("%zu entries imported\n", count);
		store_close(st);
		return r == 0 ? CLI_OK : CLI_PROBLEM;
	} else if (strcmp(verb, "export") == 0) {
		r = suppress_export(st, &flt, stdout);
	} else if (strcmp(verb, "list") == 0) {
		if (l.json)
			printf("[");
		r = store_suppress_list(st, &flt, print_suppression, &l);
		if (l.json && r == 0)
			printf("]\n");
	} else if (strcmp(verb, "add") == 0) {
		snprintf(e.address, sizeof(e.address), "%s", argv[2]);
		snprintf(e.source, sizeof(e.source), "cli");
		e.reason = (enum store_suppress_reason)why;
		e.created = (int64_t)time(NULL);
		e.expires = expires ? e.created + 86400 * strtoll(expires, NULL, 10) : 0;
		if ((r = store_suppress_add(st, &e)) == 0)
			printf("%s suppressed (%s)\n", e.address,
			       store_suppress_reason_name(e.reason));
	} else {
		if ((r = store_suppress_remove(st, argv[2])) == 0)
			printf("%s removed from the suppression list\n", argv[2]);
	}
	return done(st, r, "suppress", verb);
}

/* ---- tern limits ------------------------------------------------------------------------ */

void limits_usage(FILE *out)
{
	fprintf(out, "usage: tern limits set USER KEY=VALUE... [-c FILE]\n"
		     "       tern limits show USER [--json] [-c FILE]\n"
		     "\n"
		     "A user's own limits, which win over the server's [limits] defaults. Keys:\n"
		     "per_minute, per_hour, per_day, domain_per_hour, max_recipients,\n"
		     "max_message_size. VALUE is a number, 0 for no limit, or 'default'.\n");
}

static const char *const limit_keys[] = { "per_minute",	     "per_hour",       "per_day",
					  "domain_per_hour", "max_recipients", "max_message_size" };

static int64_t *limit_field(struct store_limits *l, size_t i)
{
	int64_t *f[] = { &l->per_minute,      &l->per_hour,	  &l->per_day,
			 &l->domain_per_hour, &l->max_recipients, &l->max_message_size };
	return f[i];
}

static bool set_limit(struct store_limits *l, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *end;

	for (size_t i = 0; eq != NULL && i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		if (strlen(limit_keys[i]) != (size_t)(eq - kv) ||
		    strncmp(kv, limit_keys[i], (size_t)(eq - kv)) != 0)
			continue;
		if (strcmp(eq + 1, "default") == 0) {
			*limit_field(l, i) = STORE_LIMIT_DEFAULT;
			return true;
		}
		*limit_field(l, i) = strtoll(eq + 1, &end, 10);
		return eq[1] != '\0' && *end == '\0' && *limit_field(l, i) >= 0;
	}
	return false;
}

/* The server's value of limit i (what STORE_LIMIT_DEFAULT stands for). */
static int64_t server_limit(const struct tern_config *cfg, size_t i)
{
	const uint64_t v[] = { cfg->per_minute,	     cfg->per_hour,	  cfg->per_day,
			       cfg->domain_per_hour, cfg->max_recipients, cfg->max_message_size };
	return (int64_t)v[i];
}

static int show_limits(struct store *st, const struct tern_config *cfg, const char *user, bool json)
{
	struct store_limits l;
	int64_t now_min = (int64_t)time(NULL) / 60;
	const int64_t span[] = { 1, 60, 1440 }; /* minutes of per_minute, per_hour, per_day */
	int r = store_limits_get(st, user, &l);

	if (r != 0)
		return r;
	printf(json ? "{\"user\": \"%s\", \"limits\": {" : "limits of %s:\n", user);
	for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		int64_t v = *limit_field(&l, i),
			eff = v == STORE_LIMIT_DEFAULT ? server_limit(cfg, i) : v;
		uint64_t used = 0;
		bool quota = i < 3;

		if (quota)
			(void)store_usage_sum(st, user, "", now_min - span[i] + 1, now_min + 1,
					      &used);
		if (json) {
			printf("%s\"%s\": {\"limit\": %" PRId64 ", \"own\": %s", i ? ", " : "",
			       limit_keys[i], eff, v == STORE_LIMIT_DEFAULT ? "false" : "true");
			if (quota)
				printf(", \"used\": %" PRIu64 ", \"remaining\": %" PRId64, used,
				       eff == 0		      ? -1
				       : (int64_t)used >= eff ? 0
							      : eff - (int64_t)used);
			printf("}");
		} else {
			printf("  %-17s %-12" PRId64 " %-8s", limit_keys[i], eff,
			       v == STORE_LIMIT_DEFAULT ? "(server)" : "(own)");
			if (quota && eff > 0)
				printf(" used %" PRIu64 ", remaining %" PRId64, used,
				       (int64_t)used >= eff ? 0 : eff - (int64_t)used);
			else if (quota)
				printf(" used %" PRIu64 ", no limit", used);
			printf("\n");
		}
	}
	if (json)
		printf("}}\n");
	return 0;
}

int cmd_limits(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	bool json = cli_take_flag(&argc, argv, "--json");
	const char *verb = argc > 1 ? argv[1] : "";
	struct tern_config cfg;
	struct store_limits l;
	struct store *st;
	int r = 0;

	if (!((strcmp(verb, "show") == 0 && argc == 3) ||
	      (strcmp(verb, "set") == 0 && argc >= 4))) {
		limits_usage(stderr);
		return CLI_USAGE;
	}
	if ((st = setup_store(path, &cfg, "tern limits")) == NULL)
		return CLI_PROBLEM;
	if (strcmp(verb, "set") == 0 && (r = store_limits_get(st, argv[2], &l)) == 0) {
		for (int i = 3; i < argc; i++) {
			if (!set_limit(&l, argv[i])) {
				fprintf(stderr,
					"tern limits set: '%s' is not KEY=VALUE with a known key "
					"and "
					"a number, 0 or 'default'\n",
					argv[i]);
				store_close(st);
				return CLI_USAGE;
			}
		}
		r = store_limits_set(st, argv[2], &l);
	}
	if (r == 0)
		r = show_limits(st, &cfg, argv[2], json);
	return done(st, r, "limits", verb);
}
