/*
 * store_sqlite_events.c - the delivery event log (store.h, "Delivery events"): every state
 * change of every recipient, appended by the delivery engine, read by `tern events`, the API
 * and restart recovery.
 *
 * Two halves, like store_sqlite.c. The first is backend-independent (status names, argument
 * checks, NULL strings turned into "") and moves to store_events.c when a second backend
 * arrives. The second is the SQLite backend: appends are one prepared INSERT reused inside one
 * transaction (1,000 events cost one fsync); a query is read in chunks under the lock and
 * handed out with no lock held, resuming after the last (time_ms, id) seen, so a callback may
 * use the store and a long read never blocks the writers. Each shape of filter has its own
 * statement, so SQLite plans it with the index that fits (queue id, recipient, domain, status
 * or time). Pruning deletes in batches, so the server's writers wait at most one batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_int.h"

/* ---- the interface, common to every backend ----------------------------------------------- */

static const char *const status_names[EV__COUNT] = {
	[EV_QUEUED] = "queued",	  [EV_DEFERRED] = "deferred", [EV_DELIVERED] = "delivered",
	[EV_BOUNCED] = "bounced", [EV_EXPIRED] = "expired",   [EV_SUPPRESSED] = "suppressed",
	[EV_DELETED] = "deleted", [EV_HELD] = "held",	      [EV_RELEASED] = "released",
	[EV_DELAYED] = "delayed", [EV_KEY] = "key",
};

static bool status_valid(int s)
{
	return s >= 0 && s < EV__COUNT;
}

const char *store_event_status_name(enum store_event_status s)
{
	return status_valid((int)s) ? status_names[s] : "unknown";
}

bool store_event_status_parse(const char *name, enum store_event_status *out)
{
	for (int i = 0; name != NULL && i < EV__COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum store_event_status)i;
			return true;
		}
	}
	return false;
}

bool store_event_status_terminal(enum store_event_status s)
{
	switch (s) {
	case EV_DELIVERED:
	case EV_BOUNCED:
	case EV_EXPIRED:
	case EV_SUPPRESSED:
	case EV_DELETED:
		return true;
	default:
		return false;
	}
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Checks one event, one field at a time, and copies it into out with NULL strings as "". */
static bool event_valid(const struct store_event *e, struct store_event *out)
{
	if (e->queue_id == NULL || e->queue_id[0] == '\0')
		return false;
	if (e->time_ms <= 0)
		return false;
	if (!status_valid((int)e->status))
		return false;
	if (e->attempt < 0)
		return false;
	if (e->delay_ms < 0)
		return false;
	*out = *e;
	out->id = 0;
	out->recipient = or_empty(e->recipient);
	out->sender = or_empty(e->sender);
	out->user = or_empty(e->user);
	out->remote_host = or_empty(e->remote_host);
	out->remote_ip = or_empty(e->remote_ip);
	out->tls = or_empty(e->tls);
	out->dsn = or_empty(e->dsn);
	out->reply = or_empty(e->reply);
	out->category = or_empty(e->category);
	return true;
}

int store_events_add(struct store *st, const struct store_event *ev, size_t n)
{
	struct store_event *copy = NULL;
	int rc = -EINVAL;

	if (n == 0)
		return 0;
	if (ev == NULL)
		return -EINVAL;
	if ((copy = calloc(n, sizeof(*copy))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!event_valid(&ev[i], &copy[i]))
			goto done; /* all or nothing: nothing was written */
	rc = st->ops->events->add(st, copy, n);
done:
	free(copy);
	return rc;
}

int store_events_query(struct store *st, const struct store_event_filter *f,
		       int (*cb)(const struct store_event *e, void *ctx), void *ctx)
{
	if (f == NULL || cb == NULL)
		return -EINVAL;
	if (f->queue_id != NULL && f->queue_id[0] == '\0')
		return -EINVAL;
	if (f->status != -1 && !status_valid(f->status))
		return -EINVAL;
	if (f->since_ms < 0 || f->until_ms < 0)
		return -EINVAL;
	return st->ops->events->query(st, f, cb, ctx);
}

int store_events_terminal(struct store *st, const char *queue_id,
			  int (*cb)(const char *recipient, enum store_event_status s, void *ctx),
			  void *ctx)
{
	if (queue_id == NULL || queue_id[0] == '\0')
		return -EINVAL;
	if (cb == NULL)
		return -EINVAL;
	return st->ops->events->terminal(st, queue_id, cb, ctx);
}

int64_t store_events_prune(struct store *st, int64_t before_ms)
{
	if (before_ms < 0)
		return -EINVAL;
	return st->ops->events->prune(st, before_ms);
}

/* ---- the SQLite backend ------------------------------------------------------------------ */

#define QUERY_CHUNK 256	 /* events read per lock */
#define PRUNE_BATCH 5000 /* events deleted per transaction */

#define EVENT_COLUMNS                                                                              \
	"id, time_ms, queue_id, recipient, sender, user, status, attempt, remote_host, remote_ip," \
	" tls, delay_ms, dsn, reply, category"

static const char *const estmt_sql[E_COUNT] = {
	/* ?4 is the part after the recipient's last '@'; lower() folds ASCII only, like the
	 * rest of the store. */
	[E_INSERT] = "INSERT INTO events (time_ms, queue_id, recipient, recipient_domain, sender,"
		     " user, status, attempt, remote_host, remote_ip, tls, delay_ms, dsn, reply,"
		     " category) VALUES (?1, ?2, ?3, lower(?4), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		     " ?13, ?14, ?15)",
	[E_TERMINAL] = "SELECT recipient, status FROM events WHERE queue_id = ?1"
		       " ORDER BY recipient, time_ms, id",
	[E_PRUNE] = "DELETE FROM events WHERE id IN"
		    " (SELECT id FROM events WHERE time_ms < ?1 LIMIT ?2)",
};

/* The bits of a query's shape, and the condition each adds. Parameters keep their numbers in
 * every shape: ?1, ?2 the cursor, ?9 the limit. */
enum {
	Q_QUEUE = 1,
	Q_RCPT = 2,
	Q_DOMAIN = 4,
	Q_STATUS = 8,
	Q_SINCE = 16,
	Q_UNTIL = 32,
	Q_DESC = 64,
};
_Static_assert(Q_DESC * 2 == EQ_SHAPES, "one statement per shape");

static const char *const shape_sql[] = {
	" AND queue_id = ?3",
	" AND recipient = ?4 COLLATE NOCASE",
	" AND recipient_domain = lower(?5)",
	" AND status = ?6",
	" AND time_ms >= ?7",
	" AND time_ms < ?8",
};

static int shape_of(const struct store_event_filter *f)
{
	return (f->queue_id != NULL ? Q_QUEUE : 0) | (f->recipient != NULL ? Q_RCPT : 0) |
	       (f->domain != NULL ? Q_DOMAIN : 0) | (f->status != -1 ? Q_STATUS : 0) |
	       (f->since_ms != 0 ? Q_SINCE : 0) | (f->until_ms != 0 ? Q_UNTIL : 0) |
	       (f->newest_first ? Q_DESC : 0);
}

/* Under the lock: the statement for shape, prepared at its first use. */
static int query_stmt(struct sqlite_store *s, int shape, sqlite3_stmt **out)
{
	char sql[1024];
	size_t len;
	bool desc = (shape & Q_DESC) != 0;
	int rc;

	if (s->equery[shape] != NULL) {
		*out = s->equery[shape];
		return 0;
	}
	len = (size_t)snprintf(sql, sizeof(sql),
			       "SELECT " EVENT_COLUMNS " FROM events WHERE"
			       " (time_ms, id) %s (?1, ?2)",
			       desc ? "<" : ">");
	for (size_t i = 0; i < sizeof(shape_sql) / sizeof(shape_sql[0]); i++)
		if (shape & (1 << i))
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s", shape_sql[i]);
	snprintf(sql + len, sizeof(sql) - len, " ORDER BY time_ms %s, id %s LIMIT ?9",
		 desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->equery[shape], NULL);
	if (rc != SQLITE_OK)
		return errno_of(rc);
	*out = s->equery[shape];
	return 0;
}

int sq_events_prepare(struct sqlite_store *s)
{
	for (int i = 0; i < E_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, estmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->estmt[i], NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

void sq_events_finalize(struct sqlite_store *s)
{
	for (int i = 0; i < E_COUNT; i++)
		sqlite3_finalize(s->estmt[i]);
	for (int i = 0; i < EQ_SHAPES; i++)
		sqlite3_finalize(s->equery[i]);
}

static int sq_events_add(struct store *st, const struct store_event *ev, size_t n)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->estmt[E_INSERT];
	int64_t rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct store_event *e = &ev[i];
		const char *at = strrchr(e->recipient, '@');

		sqlite3_bind_int64(q, 1, e->time_ms);
		sqlite3_bind_text(q, 2, e->queue_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, e->recipient, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, at != NULL ? at + 1 : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, e->sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, e->user, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 7, (int)e->status);
		sqlite3_bind_int(q, 8, e->attempt);
		sqlite3_bind_text(q, 9, e->remote_host, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 10, e->remote_ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 11, e->tls, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 12, e->delay_ms);
		sqlite3_bind_text(q, 13, e->dsn, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 14, e->reply, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 15, e->category, -1, SQLITE_STATIC);
		rc = run(q);
	}
	rc = finish(s, rc);
done:
	unlock(s);
	return (int)rc;
}

/* One event read out of a row, its strings in the same allocation. */
struct event_row {
	struct store_event e;
	char text[];
};

/* Copies the current row of an EVENT_COLUMNS statement; NULL when out of memory. */
static struct event_row *read_event(sqlite3_stmt *q)
{
	enum { STRINGS = 10 };
	static const int col[STRINGS] = { 2, 3, 4, 5, 8, 9, 10, 12, 13, 14 };
	const unsigned char *t[STRINGS];
	size_t len[STRINGS], total = 0;
	struct event_row *r;
	char *p;

	for (int i = 0; i < STRINGS; i++) {
		t[i] = sqlite3_column_text(q, col[i]);
		len[i] = (size_t)sqlite3_column_bytes(q, col[i]);
		if (t[i] == NULL) /* every column is NOT NULL: SQLite ran out of memory */
			return NULL;
		total += len[i] + 1;
	}
	if ((r = malloc(sizeof(*r) + total)) == NULL)
		return NULL;
	const char **field[STRINGS] = { &r->e.queue_id, &r->e.recipient,   &r->e.sender,
					&r->e.user,	&r->e.remote_host, &r->e.remote_ip,
					&r->e.tls,	&r->e.dsn,	   &r->e.reply,
					&r->e.category };
	p = r->text;
	for (int i = 0; i < STRINGS; i++) {
		memcpy(p, t[i], len[i]);
		p[len[i]] = '\0';
		*field[i] = p;
		p += len[i] + 1;
	}
	r->e.id = sqlite3_column_int64(q, 0);
	r->e.time_ms = sqlite3_column_int64(q, 1);
	r->e.status = (enum store_event_status)sqlite3_column_int(q, 6);
	r->e.attempt = sqlite3_column_int(q, 7);
	r->e.delay_ms = sqlite3_column_int64(q, 11);
	return r;
}

/* Under the lock: reads up to want events after the cursor into rows; returns 0 or -errno and
 * sets *n to the events read. */
static int read_chunk(struct sqlite_store *s, const struct store_event_filter *f, int64_t cur_t,
		      int64_t cur_id, int want, struct event_row **rows, int *n)
{
	sqlite3_stmt *q;
	int rc;

	*n = 0;
	if ((rc = query_stmt(s, shape_of(f), &q)) < 0)
		return rc;
	/* Every parameter is bound, used by this shape or not: the numbers are the same in all. */
	sqlite3_bind_int64(q, 1, cur_t);
	sqlite3_bind_int64(q, 2, cur_id);
	sqlite3_bind_text(q, 3, f->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, f->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, f->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 6, f->status);
	sqlite3_bind_int64(q, 7, f->since_ms);
	sqlite3_bind_int64(q, 8, f->until_ms);
	sqlite3_bind_int(q, 9, want);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((rows[*n] = read_event(q)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q); /* no pointer into the caller's filter outlives the call */
	return rc;
}

static int sq_events_query(struct store *st, const struct store_event_filter *f,
			   int (*cb)(const struct store_event *e, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	struct event_row **rows = calloc(QUERY_CHUNK, sizeof(*rows));
	int64_t cur_t = f->newest_first ? INT64_MAX : INT64_MIN, cur_id = INT64_MIN;
	size_t left = f->limit;
	int rc = 0, n, want;

	if (rows == NULL)
		return -ENOMEM;
	/* The cursor starts at the time bound in the direction of reading, so the bound SQLite
	 * takes for its index range (the cursor's or the filter's) is the tight one. Ids are
	 * positive: (t, INT64_MIN) lies before every event at t. */
	if (!f->newest_first && f->since_ms != 0)
		cur_t = f->since_ms;
	else if (f->newest_first && f->until_ms != 0)
		cur_t = f->until_ms;
	else if (f->newest_first)
		cur_id = INT64_MAX;
	do {
		want = f->limit == 0 || left > QUERY_CHUNK ? QUERY_CHUNK : (int)left;
		lock(s);
		rc = read_chunk(s, f, cur_t, cur_id, want, rows, &n);
		unlock(s);
		for (int i = 0; rc == 0 && i < n; i++)
			rc = cb(&rows[i]->e, ctx);
		if (n > 0) {
			cur_t = rows[n - 1]->e.time_ms;
			cur_id = rows[n - 1]->e.id;
		}
		for (int i = 0; i < n; i++)
			free(rows[i]);
		left -= f->limit != 0 ? (size_t)n : 0;
	} while (rc == 0 && n == want && (f->limit == 0 || left > 0));
	free(rows);
	return rc;
}

struct terminal_row {
	char *recipient;
	enum store_event_status status;
};

static int sq_events_terminal(struct store *st, const char *queue_id,
			      int (*cb)(const char *recipient, enum store_event_status s,
					void *ctx),
			      void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->estmt[E_TERMINAL];
	struct terminal_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* A message's events, by recipient and then in order: the last terminal one of each
	 * recipient wins. A message has at most a few thousand events: read at once. */
	lock(s);
	sqlite3_bind_text(q, 1, queue_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *r = sqlite3_column_text(q, 0);
		enum store_event_status status = (enum store_event_status)sqlite3_column_int(q, 1);

		if (r == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (!store_event_status_terminal(status))
			continue;
		if (n > 0 && strcmp(v[n - 1].recipient, (const char *)r) == 0) {
			v[n - 1].status = status;
			continue;
		}
		if (!grow((void **)&v, &cap, n, sizeof(*v)) ||
		    (v[n].recipient = strdup((const char *)r)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[n++].status = status;
	}
	rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	sqlite3_reset(q);
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(v[i].recipient, v[i].status, ctx);
	for (size_t i = 0; i < n; i++)
		free(v[i].recipient);
	free(v);
	return rc;
}

static int64_t sq_events_prune(struct store *st, int64_t before_ms)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->estmt[E_PRUNE];
	int64_t total = 0, batch;
	int rc;

	/* A batch per transaction, the lock let go between them: the server's writers wait
	 * for one batch at most, however much is pruned. */
	do {
		lock(s);
		sqlite3_bind_int64(q, 1, before_ms);
		sqlite3_bind_int(q, 2, PRUNE_BATCH);
		rc = run(q);
		batch = rc == 0 ? sqlite3_changes(s->db) : 0;
		unlock(s);
		total += batch;
	} while (rc == 0 && batch == PRUNE_BATCH);
	return rc < 0 ? rc : total;
}

const struct store_events_ops sqlite_events_ops = {
	.add = sq_events_add,
	.query = sq_events_query,
	.terminal = sq_events_terminal,
	.prune = sq_events_prune,
};
