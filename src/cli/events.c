/*
 * events.c - `tern events`: the delivery event log, what happened to each message and each
 * recipient, filtered by queue id, recipient, domain, status and time.
 *
 * Text is one line per event, oldest first, in the form mail administrators know from other
 * MTAs' logs; --json gives every field. By default the newest 100 matching events are shown:
 * they are read newest first (so the store stops after 100), kept, and printed in reverse.
 * Strings that came from remote servers are printed with control characters replaced, so a
 * reply cannot break the one-line form or send escape sequences to the terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "store/store.h"

#define DEFAULT_LIMIT 100

void events_usage(FILE *out)
{
	fprintf(out,
		"usage: tern events [--id QUEUEID] [--rcpt ADDRESS] [--domain DOMAIN]\n"
		"                   [--status S] [--since T] [--until T] [--limit N] [--json]\n"
		"                   [-c FILE]\n"
		"\n"
		"The delivery event log: every step of every message and recipient (queued,\n"
		"each attempt, the final state), one line each, oldest first.\n"
		"\n"
		"  --id QUEUEID     one message\n"
		"  --rcpt ADDRESS   one recipient (case does not matter)\n"
		"  --domain DOMAIN  recipients at one domain\n"
		"  --status S       queued, deferred, delivered, bounced, expired, suppressed,\n"
		"                   deleted, held, released, delayed (delay notice sent) or\n"
		"                   key (DKIM key rotation steps, queue id 'dkim')\n"
		"  --since T        events at or after T\n"
		"  --until T        events before T\n"
		"  --limit N        the newest N matching events (default 100; 0 for all)\n"
		"  --json           an array of objects with every field\n"
		"\n"
		"T is a date (2026-11-23, UTC), a time (2026-11-23T10:00:00Z), unix seconds,\n"
		"or a span ago (90s, 30m, 1h, 2d, 1w).\n");
}

/* ---- printing ----------------------------------------------------------------------------- */

/* s with every control character as a space: one event, one line. */
static void print_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		putchar(c < 32 || c == 127 ? ' ' : c);
	}
}

/* Starts the next field of a text line: " " before the first, ", " before the others. */
static void next_field(int *fields, const char *name)
{
	printf("%s%s=", *fields ? ", " : " ", name);
	(*fields)++;
}

static void print_text(const struct store_event *e)
{
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	char when[32] = "?";
	int fields = 0;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	printf("%s ", when);
	print_clean(e->queue_id);
	putchar(':');
	if (e->recipient[0] != '\0') {
		next_field(&fields, "to");
		putchar('<');
		print_clean(e->recipient);
		putchar('>');
	} else {
		next_field(&fields, "from"); /* a message-wide event */
		putchar('<');
		print_clean(e->sender);
		putchar('>');
	}
	if (e->remote_host[0] != '\0' || e->remote_ip[0] != '\0') {
		next_field(&fields, "relay");
		print_clean(e->remote_host);
		if (e->remote_ip[0] != '\0') {
			putchar('[');
			print_clean(e->remote_ip);
			putchar(']');
		}
	}
	if (e->delay_ms > 0) {
		next_field(&fields, "delay");
		printf("%.1fs", (double)e->delay_ms / 1000);
	}
	if (e->tls[0] != '\0') {
		next_field(&fields, "tls");
		printf("%.*s", (int)strcspn(e->tls, "/"), e->tls); /* the protocol; --json: all */
	}
	if (e->dsn[0] != '\0') {
		next_field(&fields, "dsn");
		print_clean(e->dsn);
	}
	next_field(&fields, "status");
	printf("%s", store_event_status_name(e->status));
	if (e->reply[0] != '\0') {
		printf(" (");
		print_clean(e->reply);
		putchar(')');
	}
	putchar('\n');
}

static void json_field(const char *name, const char *value)
{
	printf(", \"%s\": ", name);
	cli_json_string(value);
}

static void print_json(const struct store_event *e, bool first)
{
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	char when[32] = "";

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s{\"id\": %" PRId64 ", \"time\": \"%s.%03dZ\", \"time_ms\": %" PRId64,
	       first ? "" : ",\n ", e->id, when, (int)(e->time_ms % 1000), e->time_ms);
	json_field("queue_id", e->queue_id);
	json_field("recipient", e->recipient);
	json_field("sender", e->sender);
	json_field("user", e->user);
	json_field("status", store_event_status_name(e->status));
	printf(", \"attempt\": %d", e->attempt);
	json_field("remote_host", e->remote_host);
	json_field("remote_ip", e->remote_ip);
	json_field("tls", e->tls);
	printf(", \"delay_ms\": %" PRId64, e->delay_ms);
	json_field("dsn", e->dsn);
	json_field("reply", e->reply);
	json_field("category", e->category);
	printf("}");
}

/* ---- reading ------------------------------------------------------------------------------ */

/* An event kept past its callback, its strings in the same allocation. */
struct kept {
	struct store_event e;
	char text[];
};

static struct kept *keep(const struct store_event *e)
{
	enum { STRINGS = 10 };
	const char *s[STRINGS] = { e->queue_id,	 e->recipient, e->sender, e->user,  e->remote_host,
				   e->remote_ip, e->tls,       e->dsn,	  e->reply, e->category };
	size_t len[STRINGS], total = 0;
	struct kept *k;
	char *p;

	for (int i = 0; i < STRINGS; i++)
		total += (len[i] = strlen(s[i])) + 1;
	if ((k = malloc(sizeof(*k) + total)) == NULL)
		return NULL;
	k->e = *e;
	const char **field[STRINGS] = { &k->e.queue_id, &k->e.recipient,   &k->e.sender,
					&k->e.user,	&k->e.remote_host, &k->e.remote_ip,
					&k->e.tls,	&k->e.dsn,	   &k->e.reply,
					&k->e.category };
	p = k->text;
	for (int i = 0; i < STRINGS; i++) {
		memcpy(p, s[i], len[i] + 1);
		*field[i] = p;
		p += len[i] + 1;
	}
	return k;
}

struct reader {
	bool json;
	bool keep; /* newest first: keep them, print in reverse at the end */
	struct kept **kept;
	size_t n, cap; /* kept */
	size_t printed;
};

static void print_event(struct reader *r, const struct store_event *e)
{
	if (r->json)
		print_json(e, r->printed == 0);
	else
		print_text(e);
	r->printed++;
}

static int take_event(const struct store_event *e, void *ctx)
{
	struct reader *r = ctx;
	struct kept **v;

	if (!r->keep) {
		print_event(r, e);
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		if ((v = realloc(r->kept, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		r->kept = v;
		r->cap = cap;
	}
	if ((r->kept[r->n] = keep(e)) == NULL)
		return -ENOMEM;
	r->n++;
	return 0;
}

/* ---- the command -------------------------------------------------------------------------- */

struct options {
	const char *id, *rcpt, *domain, *status, *since, *until, *limit;
};

/* Takes "--name VALUE" pairs into o; false (with a message) for anything else. */
static bool parse_options(int argc, char **argv, struct options *o)
{
	const struct {
		const char *name;
		const char **value;
	} known[] = {
		{ "--id", &o->id },	    { "--rcpt", &o->rcpt },   { "--domain", &o->domain },
		{ "--status", &o->status }, { "--since", &o->since }, { "--until", &o->until },
		{ "--limit", &o->limit },
	};

	for (int i = 1; i < argc; i++) {
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(argv[i], known[k].name) != 0)
			k++;
		if (k == sizeof(known) / sizeof(known[0])) {
			fprintf(stderr,
				"tern events: unknown argument '%s'; 'tern events --help' "
				"lists the options\n",
				argv[i]);
			return false;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "tern events: %s needs a value\n", argv[i]);
			return false;
		}
		*known[k].value = argv[++i];
	}
	return true;
}

static void status_problem(const char *name)
{
	fprintf(stderr, "tern events: status '%s' is not one of", name);
	for (int i = 0; i < EV__COUNT; i++)
		fprintf(stderr, "%s %s",
			i == 0		     ? ""
			: i == EV__COUNT - 1 ? " or"
					     : ",",
			store_event_status_name((enum store_event_status)i));
	fprintf(stderr, "\n");
}

/* One of --since/--until into milliseconds; false (with a message) when it is not a time. */
static bool parse_bound(const char *flag, const char *value, int64_t now, int64_t *out_ms)
{
	int64_t t = value != NULL ? cli_parse_time(value, now) : 0;

	if (t < 0) {
		fprintf(stderr,
			"tern events: %s '%s' is not a date (2026-11-23), a time "
			"(2026-11-23T10:00:00Z), unix seconds or a span ago (30m, 1h, 2d)\n",
			flag, value);
		return false;
	}
	*out_ms = t * 1000;
	return true;
}

/* Turns the options into a filter; false (with a message) for a bad value. */
static bool make_filter(const struct options *o, struct store_event_filter *f)
{
	enum store_event_status s;
	int64_t now = (int64_t)time(NULL);
	char *end;

	*f = (struct store_event_filter){ .queue_id = o->id,
					  .recipient = o->rcpt,
					  .domain = o->domain,
					  .status = -1,
					  .limit = DEFAULT_LIMIT };
	if (f->domain != NULL && f->domain[0] == '@')
		f->domain++; /* "@example.com" means the domain too */
	if (o->status != NULL && !store_event_status_parse(o->status, &s)) {
		status_problem(o->status);
		return false;
	}
	if (o->status != NULL)
		f->status = (int)s;
	if (!parse_bound("--since", o->since, now, &f->since_ms) ||
	    !parse_bound("--until", o->until, now, &f->until_ms))
		return false;
	if (o->limit != NULL) {
		errno = 0;
		f->limit = (size_t)strtoull(o->limit, &end, 10);
		if (o->limit[0] < '0' || o->limit[0] > '9' || *end != '\0' || errno != 0) {
			fprintf(stderr,
				"tern events: --limit takes a number of events (0 for all)\n");
			return false;
		}
	}
	if (o->id != NULL && o->id[0] == '\0') {
		fprintf(stderr,
			"tern events: --id takes a queue id ('tern queue list' shows them)\n");
		return false;
	}
	/* The newest `limit` events: read newest first so the store stops there. */
	f->newest_first = f->limit != 0;
	return true;
}

int cmd_events(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct reader r = { .json = cli_take_flag(&argc, argv, "--json") };
	struct store_event_filter f;
	struct options o = { 0 };
	struct tern_config cfg;
	struct store *st;
	int rc;

	if (!parse_options(argc, argv, &o) || !make_filter(&o, &f))
		return CLI_USAGE;
	if ((st = setup_store(path, &cfg, "tern events")) == NULL)
		return CLI_PROBLEM;
	r.keep = f.newest_first;
	if (r.json)
		printf("[");
	rc = store_events_query(st, &f, take_event, &r);
	for (size_t i = r.n; rc == 0 && i > 0; i--)
		print_event(&r, &r.kept[i - 1]->e);
	if (r.json && rc == 0)
		printf("]\n");
	for (size_t i = 0; i < r.n; i++)
		free(r.kept[i]);
	free(r.kept);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "tern events: cannot read the event log: %s\n", strerror(-rc));
		return CLI_PROBLEM;
	}
	if (!r.json && r.printed == 0)
		fprintf(stderr, "tern events: no events match\n");
	return CLI_OK;
}
