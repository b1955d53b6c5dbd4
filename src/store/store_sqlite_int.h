/*
 * store_sqlite_int.h - what the files of the SQLite backend share: the connection with its
 * lock and prepared statements, and the small helpers every operation uses. store_sqlite.c
 * holds users and credentials, store_sqlite_policy.c approved senders, suppression, limits and
 * usage counts, store_sqlite_events.c the delivery event log. Not for use outside src/store.
 */
#ifndef TERN_STORE_SQLITE_INT_H
#define TERN_STORE_SQLITE_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "store/store.h"

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_USER_ID,
	S_USER_INSERT,
	S_USER_DELETE,
	S_USER_ENABLE,
	S_USER_GET,
	S_USER_LIST,
	S_CRED_INSERT,
	S_CRED_COUNT,
	S_CRED_CLEAR,
	S_CRED_DELETE,
	S_CRED_LIST,
	S_AUTH,
	S_COUNT
};

/* The policy file's statements (store_sqlite_policy.c). */
enum pstmt {
	P_SENDER_INSERT,
	P_SENDER_DELETE,
	P_SENDER_LIST,
	P_SENDER_ALLOWED,
	P_SUP_UPSERT,
	P_SUP_DELETE,
	P_SUP_GET,
	P_SUP_LIST,
	P_SUP_COUNT,
	P_LIMITS_GET,
	P_LIMITS_SET,
	P_USAGE_ADD,
	P_USAGE_SUM,
	P_USAGE_LOAD,
	P_USAGE_PRUNE,
	P_DATA_VERSION,
	P_COUNT
};

/* The event log's statements (store_sqlite_events.c): fixed ones, and one query per shape of
 * filter (which of its conditions are set, and the order), prepared at first use so that each
 * shape gets the plan that uses its index. */
enum estmt { E_INSERT, E_TERMINAL, E_PRUNE, E_COUNT };
#define EQ_SHAPES 128 /* 2^7: queue id, recipient, domain, status, since, until, newest first */

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	pthread_mutex_t lock;
	bool lock_made;
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt *pstmt[P_COUNT];
	sqlite3_stmt *estmt[E_COUNT];
	sqlite3_stmt *equery[EQ_SHAPES]; /* NULL until first used */
};

/* Binding short text with SQLITE_STATIC or an integer to an index the statement has cannot
 * fail, so binds are not checked; a step reports anything that went wrong. */

static inline struct sqlite_store *backend(struct store *st)
{
	return (struct sqlite_store *)st;
}

static inline void lock(struct sqlite_store *s)
{
	pthread_mutex_lock(&s->lock);
}

static inline void unlock(struct sqlite_store *s)
{
	pthread_mutex_unlock(&s->lock);
}

static inline int errno_of(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Runs a statement that returns no rows and leaves it ready for the next use. */
static inline int run(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : errno_of(rc);
}

/* Steps a statement that returns one integer. Returns 0, -ENOENT for no row, or -errno. */
static inline int run_int64(sqlite3_stmt *q, int64_t *out)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(q, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : errno_of(rc);
	}
	sqlite3_reset(q);
	return rc;
}

static inline int user_id(struct sqlite_store *s, const char *name, int64_t *id)
{
	sqlite3_stmt *q = s->stmt[S_USER_ID];

	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	return run_int64(q, id);
}

/* Ends the transaction begun by run(S_BEGIN): commits when rc says all went well, otherwise
 * (or when the commit fails) rolls back. Returns rc or the commit's error. */
static inline int64_t finish(struct sqlite_store *s, int64_t rc)
{
	if (rc >= 0) {
		int c = run(s->stmt[S_COMMIT]);
		if (c == 0)
			return rc;
		rc = c;
	}
	/* Some errors roll the transaction back by themselves; ROLLBACK would then fail. */
	if (!sqlite3_get_autocommit(s->db))
		(void)run(s->stmt[S_ROLLBACK]);
	return rc;
}

/* Makes room for one more element in a growing array. */
static inline bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	if ((p = realloc(*v, ncap * size)) == NULL)
		return false;
	*v = p;
	*cap = ncap;
	return true;
}

/* Runs a change keyed by its bound values; no row changed means no such entry. */
static inline int change_user(struct sqlite_store *s, sqlite3_stmt *q)
{
	int rc = run(q);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

/* store_sqlite_policy.c: the schema it needs (appended to the migrations), preparing and
 * finalizing its statements, and its operations for the ops table. */
#define SQLITE_POLICY_SCHEMA                                                                       \
	"CREATE TABLE senders ("                                                                   \
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"                        \
	" sender TEXT NOT NULL,"                                                                   \
	" PRIMARY KEY (user_id, sender)) WITHOUT ROWID;"                                           \
	"CREATE TABLE suppression ("                                                               \
	" address TEXT PRIMARY KEY,"                                                               \
	" reason INTEGER NOT NULL,"                                                                \
	" source TEXT NOT NULL,"                                                                   \
	" created INTEGER NOT NULL,"                                                               \
	" expires INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"                                      \
	"CREATE TABLE limits ("                                                                    \
	" user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"                     \
	" per_minute INTEGER NOT NULL, per_hour INTEGER NOT NULL, per_day INTEGER NOT NULL,"       \
	" domain_per_hour INTEGER NOT NULL, max_recipients INTEGER NOT NULL,"                      \
	" max_message_size INTEGER NOT NULL);"                                                     \
	"CREATE TABLE usage ("                                                                     \
	" user TEXT NOT NULL, domain TEXT NOT NULL, minute INTEGER NOT NULL,"                      \
	" count INTEGER NOT NULL,"                                                                 \
	" PRIMARY KEY (user, domain, minute)) WITHOUT ROWID;"

int sq_policy_prepare(struct sqlite_store *s);
void sq_policy_finalize(struct sqlite_store *s);
extern const struct store_policy_ops sqlite_policy_ops;

/* store_sqlite_events.c: the same for the event log. AUTOINCREMENT so that an event's id is
 * never reused, even when pruning has emptied the table: a reader may resume after an id.
 * recipient_domain is the lower-cased part after the recipient's last '@'. Every index but
 * the queue id's ends with time_ms, so the newest events of a recipient, domain or status are
 * read from the end of the index without sorting. */
#define SQLITE_EVENTS_SCHEMA                                                                       \
	"CREATE TABLE events ("                                                                    \
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"                                                   \
	" time_ms INTEGER NOT NULL,"                                                               \
	" queue_id TEXT NOT NULL,"                                                                 \
	" recipient TEXT NOT NULL,"                                                                \
	" recipient_domain TEXT NOT NULL,"                                                         \
	" sender TEXT NOT NULL, user TEXT NOT NULL,"                                               \
	" status INTEGER NOT NULL, attempt INTEGER NOT NULL,"                                      \
	" remote_host TEXT NOT NULL, remote_ip TEXT NOT NULL, tls TEXT NOT NULL,"                  \
	" delay_ms INTEGER NOT NULL,"                                                              \
	" dsn TEXT NOT NULL, reply TEXT NOT NULL, category TEXT NOT NULL);"                        \
	"CREATE INDEX events_by_queue ON events(queue_id);"                                        \
	"CREATE INDEX events_by_recipient ON events(recipient COLLATE NOCASE, time_ms);"           \
	"CREATE INDEX events_by_domain ON events(recipient_domain, time_ms);"                      \
	"CREATE INDEX events_by_time ON events(time_ms);"                                          \
	"CREATE INDEX events_by_status ON events(status, time_ms);"

int sq_events_prepare(struct sqlite_store *s);
void sq_events_finalize(struct sqlite_store *s);
extern const struct store_events_ops sqlite_events_ops;

#endif
