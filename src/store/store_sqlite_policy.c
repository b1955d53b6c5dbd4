/*
 * store_sqlite_policy.c - approved senders, the suppression list, per-user limits and usage
 * counts in the SQLite backend (see store.h, store_sqlite_int.h).
 *
 * Every lookup the server makes per MAIL or RCPT is one prepared statement on a primary key:
 * a B-tree search, logarithmic in the table's size and in practice a few microseconds even
 * with a million suppressed addresses. Lists are read in chunks with a cursor and handed out
 * with no lock held, so a callback may use the store and a long list never blocks the server.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_sqlite_int.h"

#define LIST_CHUNK 256

static const char *const pstmt_sql[P_COUNT] = {
	[P_SENDER_INSERT] = "INSERT INTO senders (user_id, sender)"
			    " SELECT id, ?2 FROM users WHERE name = ?1",
	[P_SENDER_DELETE] =
		"DELETE FROM senders"
		" WHERE sender = ?2 AND user_id = (SELECT id FROM users WHERE name = ?1)",
	[P_SENDER_LIST] = "SELECT sender FROM senders WHERE user_id = ?1 ORDER BY sender",
	[P_SENDER_ALLOWED] = "SELECT 1 FROM senders"
			     " WHERE user_id = (SELECT id FROM users WHERE name = ?1)"
			     " AND sender IN (?2, ?3) LIMIT 1",
	[P_SUP_UPSERT] = "INSERT OR REPLACE INTO suppression"
			 " (address, reason, source, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
	[P_SUP_DELETE] = "DELETE FROM suppression WHERE address = ?1",
	[P_SUP_GET] = "SELECT reason, source, created, expires FROM suppression"
		      " WHERE address = ?1 AND (expires = 0 OR expires > ?2)",
	[P_SUP_LIST] = "SELECT address, reason, source, created, expires FROM suppression"
		       " WHERE address > ?1 AND (?2 < 0 OR reason = ?2)"
		       " AND (?3 = 0 OR created >= ?3) AND (?4 = 0 OR created < ?4)"
		       " AND (?5 OR expires = 0 OR expires > ?6)"
		       " ORDER BY address LIMIT ?7",
	[P_SUP_COUNT] = "SELECT count(*) FROM suppression WHERE expires = 0 OR expires > ?1",
	[P_LIMITS_GET] = "SELECT per_minute, per_hour, per_day, domain_per_hour, max_recipients,"
			 " max_message_size FROM limits WHERE user_id = ?1",
	[P_LIMITS_SET] = "INSERT OR REPLACE INTO limits (user_id, per_minute, per_hour, per_day,"
			 " domain_per_hour, max_recipients, max_message_size)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[P_USAGE_ADD] = "INSERT INTO usage (user, domain, minute, count) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (user, domain, minute) DO UPDATE"
			" SET count = count + excluded.count",
	[P_USAGE_SUM] = "SELECT coalesce(sum(count), 0) FROM usage"
			" WHERE user = ?1 AND domain = ?2 AND minute >= ?3 AND minute < ?4",
	[P_USAGE_LOAD] = "SELECT user, domain, minute, count FROM usage WHERE minute >= ?1",
	[P_USAGE_PRUNE] = "DELETE FROM usage WHERE minute < ?1",
	[P_DATA_VERSION] = "PRAGMA data_version",
};

int sq_policy_prepare(struct sqlite_store *s)
{
	for (int i = 0; i < P_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, pstmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->pstmt[i], NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

void sq_policy_finalize(struct sqlite_store *s)
{
	for (int i = 0; i < P_COUNT; i++)
		sqlite3_finalize(s->pstmt[i]);
}

static const char *text(sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);

	return t != NULL ? (const char *)t : "";
}

/* ---- approved senders --------------------------------------------------------------------- */

/* Runs statement `which` with one or two text keys; no row changed: -ENOENT (for an insert
 * from a SELECT of the user: no such user). */
static int keyed_change(struct store *st, enum pstmt which, const char *a, const char *b)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[which];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(q, 2, b, -1, SQLITE_STATIC);
	rc = change_user(s, q);
	unlock(s);
	return rc;
}

static int sq_sender_add(struct store *st, const char *user, const char *sender)
{
	return keyed_change(st, P_SENDER_INSERT, user, sender);
}

static int sq_sender_remove(struct store *st, const char *user, const char *sender)
{
	return keyed_change(st, P_SENDER_DELETE, user, sender);
}

static int sq_sender_list(struct store *st, const char *user,
			  int (*cb)(const char *sender, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SENDER_LIST];
	char(*v)[STORE_ADDR_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	int64_t uid = 0;
	int rc;

	/* A user approves a handful of senders: collected at once, handed out unlocked. */
	lock(s);
	if ((rc = user_id(s, user, &uid)) == 0) {
		sqlite3_bind_int64(q, 1, uid);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			if (!grow((void **)&v, &cap, n, sizeof(*v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			snprintf(v[n++], sizeof(*v), "%s", text(q, 0));
		}
		rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
		sqlite3_reset(q);
	}
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(v[i], ctx);
	free(v);
	return rc;
}

static int sq_sender_allowed(struct store *st, const char *user, const char *address,
			     const char *domain, bool *ok)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SENDER_ALLOWED];
	int64_t one = 0;
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, domain, -1, SQLITE_STATIC);
	rc = run_int64(q, &one);
	unlock(s);
	*ok = rc == 0;
	return rc == -ENOENT ? 0 : rc;
}

/* ---- suppression -------------------------------------------------------------------------- */

static int sq_suppress_put(struct store *st, const struct store_suppression *v, size_t n)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SUP_UPSERT];
	int64_t rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_text(q, 1, v[i].address, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, (int)v[i].reason);
		sqlite3_bind_text(q, 3, v[i].source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, v[i].created);
		sqlite3_bind_int64(q, 5, v[i].expires);
		rc = run(q);
	}
	rc = finish(s, rc);
done:
	unlock(s);
	return (int)rc;
}

static int sq_suppress_remove(struct store *st, const char *address)
{
	return keyed_change(st, P_SUP_DELETE, address, NULL);
}

static void read_suppression(sqlite3_stmt *q, int col, struct store_suppression *e)
{
	e->reason = (enum store_suppress_reason)sqlite3_column_int(q, col);
	snprintf(e->source, sizeof(e->source), "%s", text(q, col + 1));
	e->created = sqlite3_column_int64(q, col + 2);
	e->expires = sqlite3_column_int64(q, col + 3);
}

static int sq_suppress_get(struct store *st, const char *address, int64_t now,
			   struct store_suppression *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SUP_GET];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(out->address, sizeof(out->address), "%s", address);
		read_suppression(q, 0, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : errno_of(rc);
	}
	sqlite3_reset(q);
	unlock(s);
	return rc;
}

static int sq_suppress_list(struct store *st, const struct store_suppress_filter *f,
			    int (*cb)(const struct store_suppression *e, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SUP_LIST];
	struct store_suppression *chunk = calloc(LIST_CHUNK, sizeof(*chunk));
	char cursor[STORE_ADDR_MAX + 1] = "";
	size_t n;
	int rc = 0;

	if (chunk == NULL)
		return -ENOMEM;
	/* A chunk at a time: the lock is held only to read it, and the cursor (an address)
	 * stays valid however the list changes meanwhile. */
	do {
		lock(s);
		sqlite3_bind_text(q, 1, cursor, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, f->reason);
		sqlite3_bind_int64(q, 3, f->since);
		sqlite3_bind_int64(q, 4, f->until);
		sqlite3_bind_int(q, 5, f->include_expired ? 1 : 0);
		sqlite3_bind_int64(q, 6, f->now);
		sqlite3_bind_int(q, 7, LIST_CHUNK);
		for (n = 0; (rc = sqlite3_step(q)) == SQLITE_ROW; n++) {
			snprintf(chunk[n].address, sizeof(chunk[n].address), "%s", text(q, 0));
			read_suppression(q, 1, &chunk[n]);
		}
		rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
		sqlite3_reset(q);
		unlock(s);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = cb(&chunk[i], ctx);
		if (n > 0)
			memcpy(cursor, chunk[n - 1].address, sizeof(cursor));
	} while (rc == 0 && n == LIST_CHUNK);
	free(chunk);
	return rc;
}

static int sq_suppress_count(struct store *st, int64_t now, size_t *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_SUP_COUNT];
	int64_t n = 0;
	int rc;

	lock(s);
	sqlite3_bind_int64(q, 1, now);
	rc = run_int64(q, &n);
	unlock(s);
	*out = rc == 0 ? (size_t)n : 0;
	return rc;
}

/* ---- limits ------------------------------------------------------------------------------- */

static int sq_limits_get(struct store *st, const char *user, struct store_limits *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_LIMITS_GET];
	int64_t uid = 0;
	int rc;

	*out =
		(struct store_limits){ STORE_LIMIT_DEFAULT, STORE_LIMIT_DEFAULT,
				       STORE_LIMIT_DEFAULT, STORE_LIMIT_DEFAULT,
				       STORE_LIMIT_DEFAULT, STORE_LIMIT_DEFAULT };
	lock(s);
	if ((rc = user_id(s, user, &uid)) == 0) {
		sqlite3_bind_int64(q, 1, uid);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			out->per_minute = sqlite3_column_int64(q, 0);
			out->per_hour = sqlite3_column_int64(q, 1);
			out->per_day = sqlite3_column_int64(q, 2);
			out->domain_per_hour = sqlite3_column_int64(q, 3);
			out->max_recipients = sqlite3_column_int64(q, 4);
			out->max_message_size = sqlite3_column_int64(q, 5);
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : errno_of(rc);
		sqlite3_reset(q);
	}
	unlock(s);
	return rc;
}

static int sq_limits_set(struct store *st, const char *user, const struct store_limits *in)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_LIMITS_SET];
	int64_t uid = 0;
	int rc;

	lock(s);
	if ((rc = user_id(s, user, &uid)) == 0) {
		sqlite3_bind_int64(q, 1, uid);
		sqlite3_bind_int64(q, 2, in->per_minute);
		sqlite3_bind_int64(q, 3, in->per_hour);
		sqlite3_bind_int64(q, 4, in->per_day);
		sqlite3_bind_int64(q, 5, in->domain_per_hour);
		sqlite3_bind_int64(q, 6, in->max_recipients);
		sqlite3_bind_int64(q, 7, in->max_message_size);
		rc = run(q);
	}
	unlock(s);
	return rc;
}

/* ---- usage -------------------------------------------------------------------------------- */

static int sq_usage_add(struct store *st, const struct store_usage *v, size_t n)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_USAGE_ADD];
	int64_t rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_text(q, 1, v[i].user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, v[i].domain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, v[i].minute);
		sqlite3_bind_int64(q, 4, v[i].count);
		rc = run(q);
	}
	rc = finish(s, rc);
done:
	unlock(s);
	return (int)rc;
}

static int sq_usage_sum(struct store *st, const char *user, const char *domain, int64_t from,
			int64_t to, uint64_t *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_USAGE_SUM];
	int64_t sum = 0;
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, from);
	sqlite3_bind_int64(q, 4, to);
	rc = run_int64(q, &sum);
	unlock(s);
	*out = rc == 0 && sum > 0 ? (uint64_t)sum : 0;
	return rc;
}

struct usage_row {
	char user[STORE_NAME_MAX + 1];
	char domain[STORE_ADDR_MAX + 1];
	int64_t minute;
	uint32_t count;
};

static int sq_usage_load(struct store *st, int64_t since,
			 int (*cb)(const struct store_usage *u, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_USAGE_LOAD];
	struct usage_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* At most a day of minutes per user and sending domain: read at once, at start. */
	lock(s);
	sqlite3_bind_int64(q, 1, since);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!grow((void **)&v, &cap, n, sizeof(*v))) {
			rc = SQLITE_NOMEM;
			break;
		}
		snprintf(v[n].user, sizeof(v[n].user), "%s", text(q, 0));
		snprintf(v[n].domain, sizeof(v[n].domain), "%s", text(q, 1));
		v[n].minute = sqlite3_column_int64(q, 2);
		v[n].count = (uint32_t)sqlite3_column_int64(q, 3);
		n++;
	}
	rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	sqlite3_reset(q);
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_usage u = { v[i].user, v[i].domain, v[i].minute, v[i].count };
		rc = cb(&u, ctx);
	}
	free(v);
	return rc;
}

static int sq_usage_prune(struct store *st, int64_t before)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->pstmt[P_USAGE_PRUNE];
	int rc;

	lock(s);
	sqlite3_bind_int64(q, 1, before);
	rc = run(q);
	unlock(s);
	return rc;
}

static int sq_data_version(struct store *st, int64_t *out)
{
	struct sqlite_store *s = backend(st);
	int rc;

	lock(s);
	rc = run_int64(s->pstmt[P_DATA_VERSION], out);
	unlock(s);
	return rc;
}

const struct store_policy_ops sqlite_policy_ops = {
	.sender_add = sq_sender_add,
	.sender_remove = sq_sender_remove,
	.sender_list = sq_sender_list,
	.sender_allowed = sq_sender_allowed,
	.suppress_put = sq_suppress_put,
	.suppress_remove = sq_suppress_remove,
	.suppress_get = sq_suppress_get,
	.suppress_list = sq_suppress_list,
	.suppress_count = sq_suppress_count,
	.limits_get = sq_limits_get,
	.limits_set = sq_limits_set,
	.usage_add = sq_usage_add,
	.usage_sum = sq_usage_sum,
	.usage_load = sq_usage_load,
	.usage_prune = sq_usage_prune,
	.data_version = sq_data_version,
};
