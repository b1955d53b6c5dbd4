/*
 * test_store_events.c - the delivery event log on SQLite: every field comes back, each filter
 * selects what it says, limits and order, what restart recovery learns, pruning, refusals of
 * bad input, the speed of a batch, and the migration of a store from before the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define T0 1795428000000LL /* 2026-11-23T10:00:00Z in unix milliseconds */

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	strcpy(f->dir, "/tmp/tern-storeev-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tern.db", f->dir);
	if (store_open_sqlite(f->path, &f->st, err, sizeof(err)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* An event with only what most tests care about; the other strings NULL (stored as ""). */
static struct store_event ev(int64_t t, const char *qid, const char *rcpt,
			     enum store_event_status s)
{
	return (struct store_event){
		.time_ms = t, .queue_id = qid, .recipient = rcpt, .status = s
	};
}

static void add(struct store *st, struct store_event e)
{
	assert_int_equal(store_events_add(st, &e, 1), 0);
}

/* What a query handed out: "queue:recipient:status " words in order, ids and times. */
#define SEEN_MAX 2048
struct seen {
	char text[8192];
	size_t n;
	int64_t ids[SEEN_MAX];
	int64_t times[SEEN_MAX];
};

static int see(const struct store_event *e, void *ctx)
{
	struct seen *s = ctx;
	size_t len = strlen(s->text);

	if (len < sizeof(s->text))
		snprintf(s->text + len, sizeof(s->text) - len, "%s:%s:%s ", e->queue_id,
			 e->recipient, store_event_status_name(e->status));
	if (s->n < SEEN_MAX) {
		s->ids[s->n] = e->id;
		s->times[s->n] = e->time_ms;
	}
	s->n++;
	return 0;
}

static struct store_event_filter any(void)
{
	return (struct store_event_filter){ .status = -1 };
}

static const char *query(struct store *st, struct store_event_filter flt, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(store_events_query(st, &flt, see, s), 0);
	return s->text;
}

/* Compares every field of a stored event with what was added (inside the callback: the
 * strings are valid there only). */
static int check_full(const struct store_event *e, void *ctx)
{
	const struct store_event *in = ctx;

	assert_true(e->id > 0);
	assert_int_equal(e->time_ms, in->time_ms);
	assert_string_equal(e->queue_id, in->queue_id);
	assert_string_equal(e->recipient, in->recipient);
	assert_string_equal(e->sender, in->sender);
	assert_string_equal(e->user, in->user);
	assert_int_equal(e->status, in->status);
	assert_int_equal(e->attempt, in->attempt);
	assert_string_equal(e->remote_host, in->remote_host);
	assert_string_equal(e->remote_ip, in->remote_ip);
	assert_string_equal(e->tls, in->tls);
	assert_int_equal(e->delay_ms, in->delay_ms);
	assert_string_equal(e->dsn, in->dsn);
	assert_string_equal(e->reply, in->reply);
	assert_string_equal(e->category, in->category);
	return 7; /* stops the walk, and comes back from the query */
}

static void every_field_comes_back_and_null_strings_are_empty(void **state)
{
	struct fixture *f = *state;
	struct store_event in = {
		.time_ms = T0 + 1234,
		.queue_id = "4Xk9bQ2mZ7",
		.recipient = "Bob@Example.NET",
		.sender = "app@example.org",
		.user = "app",
		.status = EV_BOUNCED,
		.attempt = 3,
		.remote_host = "mx1.example.net",
		.remote_ip = "192.0.2.25",
		.tls = "TLSv1.3/TLS_AES_256_GCM_SHA384",
		.delay_ms = 7200500,
		.dsn = "5.1.1",
		.reply = "550 5.1.1 <bob@example.net>: Recipient address\nrejected",
		.category = "user_unknown",
	};
	struct store_event bare = ev(T0 + 2000, "4Xk9bQ2mZ7", NULL, EV_DELETED);
	struct store_event bare_back = bare;
	struct store_event_filter flt = any();

	assert_int_equal(store_events_add(f->st, &in, 1), 0);
	assert_int_equal(store_events_add(f->st, &bare, 1), 0);
	flt.queue_id = "4Xk9bQ2mZ7";
	assert_int_equal(store_events_query(f->st, &flt, check_full, &in), 7);
	/* NULL strings come back as "" */
	bare_back.recipient = bare_back.sender = bare_back.user = bare_back.remote_host = "";
	bare_back.remote_ip = bare_back.tls = bare_back.dsn = bare_back.reply = "";
	bare_back.category = "";
	flt.newest_first = true;
	assert_int_equal(store_events_query(f->st, &flt, check_full, &bare_back), 7);
}

/* Two messages to three domains, over an hour. */
static void add_sample(struct store *st)
{
	struct store_event v[] = {
		ev(T0, "Q1", "a@Example.COM", EV_QUEUED),
		ev(T0, "Q1", "b@example.com", EV_QUEUED),
		ev(T0 + 1000, "Q2", "c@other.org", EV_QUEUED),
		ev(T0 + 60000, "Q1", "a@example.com", EV_DELIVERED),
		ev(T0 + 61000, "Q1", "b@example.com", EV_DEFERRED),
		ev(T0 + 62000, "Q2", "c@other.org", EV_BOUNCED),
		ev(T0 + 3600000, "Q1", "b@example.com", EV_DELIVERED),
		ev(T0 + 3600000, "Q3", "\"odd@local\"@Sub.Example.com", EV_SUPPRESSED),
	};

	assert_int_equal(store_events_add(st, v, sizeof(v) / sizeof(v[0])), 0);
}

static void each_filter_selects_its_events(void **state)
{
	struct fixture *f = *state;
	struct store_event_filter flt;
	struct seen s;

	add_sample(f->st);
	flt = any();
	flt.queue_id = "Q2";
	assert_string_equal(query(f->st, flt, &s), "Q2:c@other.org:queued Q2:c@other.org:bounced ");
	flt.queue_id = "Q9";
	assert_string_equal(query(f->st, flt, &s), "");

	flt = any(); /* exact address, any case */
	flt.recipient = "A@EXAMPLE.com";
	assert_string_equal(query(f->st, flt, &s),
			    "Q1:a@Example.COM:queued Q1:a@example.com:delivered ");
	flt.recipient = "example.com";
	assert_string_equal(query(f->st, flt, &s), "");

	flt = any(); /* the domain after the last '@', any case, not its subdomains */
	flt.domain = "EXAMPLE.com";
	query(f->st, flt, &s);
	assert_int_equal(s.n, 5);
	flt.domain = "sub.example.com";
	assert_string_equal(query(f->st, flt, &s), "Q3:\"odd@local\"@Sub.Example.com:suppressed ");

	flt = any();
	flt.status = EV_DELIVERED;
	assert_string_equal(query(f->st, flt, &s),
			    "Q1:a@example.com:delivered Q1:b@example.com:delivered ");

	flt = any(); /* since is inclusive, until exclusive */
	flt.since_ms = T0 + 1000;
	flt.until_ms = T0 + 61000;
	assert_string_equal(query(f->st, flt, &s),
			    "Q2:c@other.org:queued Q1:a@example.com:delivered ");
	flt.newest_first = true; /* the same bounds read from the other end */
	assert_string_equal(query(f->st, flt, &s),
			    "Q1:a@example.com:delivered Q2:c@other.org:queued ");
	flt.limit = 1;
	assert_string_equal(query(f->st, flt, &s), "Q1:a@example.com:delivered ");
	flt = any();
	flt.since_ms = T0 + 3600000;
	query(f->st, flt, &s);
	assert_int_equal(s.n, 2);

	flt = any(); /* together: all must hold */
	flt.queue_id = "Q1";
	flt.domain = "example.com";
	flt.status = EV_QUEUED;
	flt.since_ms = T0;
	flt.until_ms = T0 + 1;
	assert_string_equal(query(f->st, flt, &s),
			    "Q1:a@Example.COM:queued Q1:b@example.com:queued ");
}

static void order_limit_and_newest_first_across_chunks(void **state)
{
	struct fixture *f = *state;
	size_t n = 1000;
	struct store_event *v = calloc(n, sizeof(*v));
	struct store_event_filter flt = any();
	struct seen *s = calloc(1, sizeof(*s));

	/* times out of insertion order, and many equal: order is by time, then by id */
	for (size_t i = 0; i < n; i++)
		v[i] = ev(T0 + (int64_t)((i * 7) % 100) * 1000, "Q", "r@example.com", EV_QUEUED);
	assert_int_equal(store_events_add(f->st, v, n), 0);
	query(f->st, flt, s);
	assert_int_equal(s->n, n);
	for (size_t i = 1; i < n; i++)
		assert_true(s->times[i] > s->times[i - 1] ||
			    (s->times[i] == s->times[i - 1] && s->ids[i] > s->ids[i - 1]));
	flt.newest_first = true;
	query(f->st, flt, s);
	assert_int_equal(s->n, n);
	for (size_t i = 1; i < n; i++)
		assert_true(s->times[i] < s->times[i - 1] ||
			    (s->times[i] == s->times[i - 1] && s->ids[i] < s->ids[i - 1]));
	/* a limit beyond one chunk, newest first: the newest 300, newest of all first */
	flt.limit = 300;
	query(f->st, flt, s);
	assert_int_equal(s->n, 300);
	assert_int_equal(s->times[0], T0 + 99000);
	assert_int_equal(s->times[299], T0 + 70000);
	flt.newest_first = false;
	flt.limit = 3;
	query(f->st, flt, s);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->times[2], T0);
	free(s);
	free(v);
}

/* Calls the store from inside the callback: no lock is held then. */
static int nested(const struct store_event *e, void *ctx)
{
	struct store *st = ctx;
	struct store_event_filter flt = any();
	struct seen s;

	flt.queue_id = e->queue_id;
	assert_string_equal(query(st, flt, &s), "Q1:a@Example.COM:queued Q1:b@example.com:queued "
						"Q1:a@example.com:delivered "
						"Q1:b@example.com:deferred "
						"Q1:b@example.com:delivered ");
	add(st, ev(T0 + 5000000, "Q9", "z@example.com", EV_QUEUED));
	return 0;
}

static void a_callback_may_use_the_store(void **state)
{
	struct fixture *f = *state;
	struct store_event_filter flt = any();
	struct seen s;

	add_sample(f->st);
	flt.queue_id = "Q1";
	flt.limit = 1;
	assert_int_equal(store_events_query(f->st, &flt, nested, f->st), 0);
	flt.queue_id = "Q9";
	assert_string_equal(query(f->st, flt, &s), "Q9:z@example.com:queued ");
}

static int see_terminal(const char *rcpt, enum store_event_status st, void *ctx)
{
	char *out = ctx;
	size_t len = strlen(out);

	snprintf(out + len, 512 - len, "%s=%s ", rcpt, store_event_status_name(st));
	return 0;
}

static int stop_at_first(const char *rcpt, enum store_event_status st, void *ctx)
{
	(void)rcpt;
	(void)st;
	(*(int *)ctx)++;
	return 5;
}

static void terminal_gives_the_last_terminal_status_of_each_recipient(void **state)
{
	struct fixture *f = *state;
	struct store_event v[] = {
		ev(T0, "Q1", "a@example.com", EV_QUEUED),
		ev(T0 + 1, "Q1", "a@example.com", EV_DEFERRED),
		ev(T0 + 2, "Q1", "a@example.com", EV_DELIVERED),
		ev(T0, "Q1", "b@example.com", EV_QUEUED),
		ev(T0 + 1, "Q1", "b@example.com", EV_BOUNCED),
		ev(T0 + 2, "Q1", "b@example.com", EV_DELAYED), /* cannot undo the bounce */
		ev(T0, "Q1", "c@example.com", EV_QUEUED),      /* still under way */
		ev(T0 + 1, "Q1", "c@example.com", EV_DEFERRED),
		ev(T0 + 3, "Q1", "d@example.com", EV_DELETED), /* the later one wins */
		ev(T0 + 2, "Q1", "d@example.com", EV_EXPIRED),
		ev(T0, "Q1", "e@example.com", EV_SUPPRESSED),
		ev(T0 + 1, "Q2", "a@example.com", EV_BOUNCED), /* another message */
	};
	char out[512] = "";
	int calls = 0;

	assert_int_equal(store_events_add(f->st, v, sizeof(v) / sizeof(v[0])), 0);
	assert_int_equal(store_events_terminal(f->st, "Q1", see_terminal, out), 0);
	assert_string_equal(out, "a@example.com=delivered b@example.com=bounced "
				 "d@example.com=deleted e@example.com=suppressed ");
	/* an operator's delete of the whole message comes with recipient "" */
	add(f->st, ev(T0 + 9, "Q1", "", EV_DELETED));
	out[0] = '\0';
	assert_int_equal(store_events_terminal(f->st, "Q1", see_terminal, out), 0);
	assert_string_equal(out, "=deleted a@example.com=delivered b@example.com=bounced "
				 "d@example.com=deleted e@example.com=suppressed ");
	out[0] = '\0';
	assert_int_equal(store_events_terminal(f->st, "Q7", see_terminal, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(store_events_terminal(f->st, "Q1", stop_at_first, &calls), 5);
	assert_int_equal(calls, 1);
}

static void prune_deletes_older_events_in_batches(void **state)
{
	struct fixture *f = *state;
	size_t n = 12000;
	struct store_event *v = calloc(n, sizeof(*v));
	struct store_event_filter flt = any();
	struct seen *s = calloc(1, sizeof(*s));

	for (size_t i = 0; i < n; i++)
		v[i] = ev(T0 + (int64_t)i, "Q", "r@example.com", EV_QUEUED);
	assert_int_equal(store_events_add(f->st, v, n), 0);
	assert_int_equal(store_events_prune(f->st, T0), 0);
	assert_int_equal(store_events_prune(f->st, T0 + 11000), 11000); /* more than a batch */
	query(f->st, flt, s);
	assert_int_equal(s->n, 1000);
	assert_int_equal(s->times[0], T0 + 11000);
	assert_int_equal(store_events_prune(f->st, T0 + 11000), 0);
	/* ids are never reused, even when pruning empties the log */
	assert_int_equal(store_events_prune(f->st, T0 + (int64_t)n), 1000);
	add(f->st, ev(T0 + 1, "Q", "r@example.com", EV_QUEUED));
	query(f->st, flt, s);
	assert_int_equal(s->n, 1);
	assert_true(s->ids[0] > (int64_t)n);
	assert_int_equal(store_events_prune(f->st, -1), -EINVAL);
	free(s);
	free(v);
}

static void bad_events_are_refused_and_nothing_is_written(void **state)
{
	struct fixture *f = *state;
	struct store_event good = ev(T0, "Q1", "a@example.com", EV_QUEUED), bad;
	struct store_event batch[3] = { good, good, good };
	struct store_event_filter flt = any();
	struct seen s;

	bad = good;
	bad.queue_id = NULL;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad.queue_id = "";
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad = good;
	bad.time_ms = 0;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad = good;
	bad.status = EV__COUNT;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad.status = (enum store_event_status) - 1;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad = good;
	bad.attempt = -1;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	bad = good;
	bad.delay_ms = -1;
	assert_int_equal(store_events_add(f->st, &bad, 1), -EINVAL);
	assert_int_equal(store_events_add(f->st, NULL, 1), -EINVAL);
	batch[1].queue_id = ""; /* one bad event in the middle: none is written */
	assert_int_equal(store_events_add(f->st, batch, 3), -EINVAL);
	assert_string_equal(query(f->st, flt, &s), "");
	assert_int_equal(store_events_add(f->st, NULL, 0), 0);

	/* bad filters */
	assert_int_equal(store_events_query(f->st, NULL, see, &s), -EINVAL);
	assert_int_equal(store_events_query(f->st, &flt, NULL, &s), -EINVAL);
	flt.queue_id = "";
	assert_int_equal(store_events_query(f->st, &flt, see, &s), -EINVAL);
	flt = any();
	flt.status = EV__COUNT;
	assert_int_equal(store_events_query(f->st, &flt, see, &s), -EINVAL);
	flt.status = -2;
	assert_int_equal(store_events_query(f->st, &flt, see, &s), -EINVAL);
	flt = any();
	flt.since_ms = -1;
	assert_int_equal(store_events_query(f->st, &flt, see, &s), -EINVAL);
	flt = any();
	flt.until_ms = -1;
	assert_int_equal(store_events_query(f->st, &flt, see, &s), -EINVAL);
	assert_int_equal(store_events_terminal(f->st, "", see_terminal, NULL), -EINVAL);
	assert_int_equal(store_events_terminal(f->st, NULL, see_terminal, NULL), -EINVAL);
	assert_int_equal(store_events_terminal(f->st, "Q1", NULL, NULL), -EINVAL);
}

static void status_names_parse_and_terminal_states(void **state)
{
	enum store_event_status s = EV_QUEUED;
	size_t terminal = 0;

	(void)state;
	for (int i = 0; i < EV__COUNT; i++) {
		const char *name = store_event_status_name((enum store_event_status)i);
		assert_string_not_equal(name, "unknown");
		assert_true(store_event_status_parse(name, &s));
		assert_int_equal(s, i);
		terminal += store_event_status_terminal(s);
	}
	assert_int_equal(terminal, 5);
	assert_string_equal(store_event_status_name(EV_DELAYED), "delayed");
	assert_string_equal(store_event_status_name(EV__COUNT), "unknown");
	assert_false(store_event_status_parse("Delivered", &s));
	assert_false(store_event_status_parse("sent", &s));
	assert_false(store_event_status_parse(NULL, &s));
	assert_true(store_event_status_terminal(EV_DELIVERED));
	assert_true(store_event_status_terminal(EV_BOUNCED));
	assert_true(store_event_status_terminal(EV_EXPIRED));
	assert_true(store_event_status_terminal(EV_SUPPRESSED));
	assert_true(store_event_status_terminal(EV_DELETED));
	assert_false(store_event_status_terminal(EV_DEFERRED));
	assert_false(store_event_status_terminal(EV_HELD));
	assert_false(store_event_status_terminal(EV_DELAYED));
}

static double seconds_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void a_thousand_events_in_one_call_are_fast(void **state)
{
	struct fixture *f = *state;
	size_t n = 1000, rounds = 5;
	struct store_event *v = calloc(n, sizeof(*v));
	char(*rcpt)[64] = calloc(n, sizeof(*rcpt));
	struct store_event_filter flt = any();
	struct timespec a;
	double took, best = 1e9;
	struct seen *s = calloc(1, sizeof(*s));

	for (size_t i = 0; i < n; i++) {
		snprintf(rcpt[i], sizeof(rcpt[i]), "user%zu@d%zu.example", i, i % 50);
		v[i] = (struct store_event){
			.time_ms = T0 + (int64_t)i,
			.queue_id = "4Xk9bQ2mZ7",
			.recipient = rcpt[i],
			.sender = "app@example.org",
			.user = "app",
			.status = EV_DELIVERED,
			.attempt = 1,
			.remote_host = "mx1.example.net",
			.remote_ip = "192.0.2.25",
			.tls = "TLSv1.3/TLS_AES_256_GCM_SHA384",
			.delay_ms = 812,
			.dsn = "2.0.0",
			.reply = "250 2.0.0 Ok: queued as 4Xk9bQ2mZ7",
		};
	}
	for (size_t r = 0; r < rounds; r++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(store_events_add(f->st, v, n), 0);
		took = seconds_since(&a);
		best = took < best ? took : best;
	}
	printf("# %zu events in one call: best of %zu %.1f ms, %.0f events/s\n", n, rounds,
	       best * 1e3, (double)n / best);
	assert_true(best < 1.0);
	/* the newest 100 among them is a short read */
	flt.limit = 100;
	flt.newest_first = true;
	flt.domain = "d7.example";
	clock_gettime(CLOCK_MONOTONIC, &a);
	query(f->st, flt, s);
	took = seconds_since(&a);
	printf("# newest 100 of a domain among %zu: %.2f ms\n", n * rounds, took * 1e3);
	assert_int_equal(s->n, 100);
	free(s);
	free(rcpt);
	free(v);
}

static int schema_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &q, NULL),
			 SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void a_store_from_before_the_log_is_migrated(void **state)
{
	struct fixture *f = *state;
	struct store_event_filter flt = any();
	struct store_user u;
	struct seen s;
	sqlite3 *db = NULL;
	char err[512] = "";
	int latest;

	/* a version 2 store: this schema without the events table, with a user in it */
	assert_int_equal(store_user_add(f->st, "app", "pw", 2), 0);
	store_close(f->st);
	f->st = NULL;
	latest = schema_version(f->path); /* this build's newest, past the events (3) */
	assert_true(latest >= 3);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE events; DELETE FROM sqlite_sequence WHERE name = "
				      "'events'; UPDATE schema_version SET version = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version(f->path), 2);

	assert_int_equal(store_open_sqlite(f->path, &f->st, err, sizeof(err)), 0);
	assert_int_equal(schema_version(f->path), latest);
	assert_int_equal(store_user_get(f->st, "app", &u), 0);
	add_sample(f->st);
	flt.status = EV_BOUNCED;
	assert_string_equal(query(f->st, flt, &s), "Q2:c@other.org:bounced ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(every_field_comes_back_and_null_strings_are_empty),
		T(each_filter_selects_its_events),
		T(order_limit_and_newest_first_across_chunks),
		T(a_callback_may_use_the_store),
		T(terminal_gives_the_last_terminal_status_of_each_recipient),
		T(prune_deletes_older_events_in_batches),
		T(bad_events_are_refused_and_nothing_is_written),
		T(status_names_parse_and_terminal_states),
		T(a_thousand_events_in_one_call_are_fast),
		T(a_store_from_before_the_log_is_migrated),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
