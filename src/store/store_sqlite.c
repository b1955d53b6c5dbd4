/*
 * store_sqlite.c - the store (store.h) on one SQLite database: users and their SMTP credentials
 * (approved senders, suppression, limits and usage are in store_sqlite_policy.c).
 *
 * Two halves. The first is backend-independent and moves to store.c when the PostgreSQL backend
 * arrives: argument checks, argon2id hashing, the timing-equal password check, generated
 * passwords. It hashes before calling a backend and verifies after the backend has returned, so
 * no lock is ever held across argon2 and checks from several threads run in parallel.
 *
 * The second is the SQLite backend: one connection in WAL mode (readers never wait for the
 * writer; durable with synchronous=FULL), foreign keys on, a busy timeout so that `tern user`
 * and a running server can share the file. The connection and its prepared statements are
 * guarded by one mutex, held only for the database work of one call; multi-statement changes
 * run in BEGIN IMMEDIATE transactions so another process never sees half of them. The schema
 * is created and migrated at open, its version kept in the schema_version table.
 */
#include "lib/fs.h"
#include "lib/log.h"
#include "store/store.h"
#include "store/store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

/* argon2id cost: the minimum OWASP recommends (2 passes over 19 MiB). Each check costs this much
 * CPU and memory on a worker thread; a hash made with other costs still verifies, because the
 * costs are written into the encoded hash. */
#define PWHASH_OPSLIMIT 2
#define PWHASH_MEMLIMIT ((size_t)19 << 20)

#define STORE_BUSY_MS	5000 /* how long to wait for another process's write lock */
#define GENERATED_BYTES 18   /* random bytes in a generated password: 144 bits */

_Static_assert(STORE_HASH_MAX == crypto_pwhash_STRBYTES, "an encoded hash fits STORE_HASH_MAX");
_Static_assert(sodium_base64_ENCODED_LEN(GENERATED_BYTES,
					 sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
		       STORE_PASSWORD_LEN + 1,
	       "a generated password is STORE_PASSWORD_LEN characters");

/* ---- the interface, common to every backend ----------------------------------------------- */

bool store_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return false;
	for (; name[n] != '\0'; n++) {
		char c = name[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("._@+-", c) != NULL;
		if (!ok || n == STORE_NAME_MAX)
			return false;
	}
	return n > 0;
}

static bool password_valid(const char *password, size_t len)
{
	return password != NULL && len > 0 && len <= crypto_pwhash_PASSWD_MAX;
}

/* Returns 0, or -ENOMEM when argon2id cannot get its memory. */
static int hash_password(const char *password, size_t len, char out[STORE_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, password, len, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

static int64_t now_seconds(void)
{
	return (int64_t)time(NULL);
}

void store_password_generate(char out[STORE_PASSWORD_LEN + 1])
{
	unsigned char raw[GENERATED_BYTES];

	if (sodium_init() < 0)
		abort(); /* no randomness source: nothing safe to hand out */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, STORE_PASSWORD_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

int store_init(struct store *st, const struct store_ops *ops, char *err, size_t errlen)
{
	char pw[STORE_PASSWORD_LEN + 1];
	int rc = -1;

	/* A random password nobody knows: verifying against its hash costs what a real check
	 * costs, and a check that lands on it is refused anyway. */
	store_password_generate(pw);
	if (hash_password(pw, strlen(pw), st->dummy_hash) != 0) {
		err_printf(
			err, errlen,
			"cannot hash passwords: out of memory (argon2id needs %zu MiB per check); "
			"give tern more memory",
			PWHASH_MEMLIMIT >> 20);
		goto done;
	}
	st->ops = ops;
	rc = 0;
done:
	sodium_memzero(pw, sizeof(pw));
	return rc;
}

void store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

/* What a new password is for: the three callers differ only in the backend call. */
enum hashed_op { HASHED_USER_ADD, HASHED_USER_PASSWD, HASHED_CREDENTIAL_ADD };

/* Checks name and password, hashes the password (outside any lock), hands the hash to the
 * backend and wipes it. */
static int64_t with_new_hash(struct store *st, const char *name, const char *password,
			     size_t password_len, enum hashed_op op)
{
	char hash[STORE_HASH_MAX];
	int64_t rc;

	if (!store_name_valid(name))
		return -EINVAL;
	if (!password_valid(password, password_len))
		return -EINVAL;
	rc = hash_password(password, password_len, hash);
	if (rc == 0) {
		switch (op) {
		case HASHED_USER_ADD:
			rc = st->ops->user_add(st, name, hash, now_seconds());
			break;
		case HASHED_USER_PASSWD:
			rc = st->ops->user_passwd(st, name, hash, now_seconds());
			break;
		case HASHED_CREDENTIAL_ADD:
			rc = st->ops->credential_add(st, name, hash, now_seconds());
			break;
		}
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int store_user_add(struct store *st, const char *name, const char *password, size_t password_len)
{
	return (int)with_new_hash(st, name, password, password_len, HASHED_USER_ADD);
}

int store_user_delete(struct store *st, const char *name)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return st->ops->user_delete(st, name);
}

int store_user_passwd(struct store *st, const char *name, const char *password, size_t password_len)
{
	return (int)with_new_hash(st, name, password, password_len, HASHED_USER_PASSWD);
}

int64_t store_credential_add(struct store *st, const char *name, const char *password,
			     size_t password_len)
{
	return with_new_hash(st, name, password, password_len, HASHED_CREDENTIAL_ADD);
}

int store_credential_delete(struct store *st, const char *name, int64_t id)
{
	if (!store_name_valid(name))
		return -EINVAL;
	if (id <= 0)
		return -ENOENT;
	return st->ops->credential_delete(st, name, id);
}

int store_credential_list(struct store *st, const char *name,
			  int (*cb)(const struct store_credential *c, void *ctx), void *ctx)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return st->ops->credential_list(st, name, cb, ctx);
}

int store_user_set_enabled(struct store *st, const char *name, bool enabled)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return st->ops->user_set_enabled(st, name, enabled);
}

int store_user_list(struct store *st, int (*cb)(const struct store_user *u, void *ctx), void *ctx)
{
	return st->ops->user_list(st, cb, ctx);
}

int store_user_get(struct store *st, const char *name, struct store_user *out)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return st->ops->user_get(st, name, out);
}

int store_auth_check(struct store *st, const char *name, const uint8_t *password,
		     size_t password_len, bool *ok)
{
	struct store_secrets sec;
	const char *pw = password != NULL ? (const char *)password : "";
	int rc = 0;

	*ok = false;
	memset(&sec, 0, sizeof(sec));
	/* A badly formed name cannot exist: it takes the unknown user's path, not an early
	 * return, so that it costs the same. */
	if (store_name_valid(name) && (rc = st->ops->auth_lookup(st, name, &sec)) < 0)
		goto done;
	if (!sec.found || sec.count == 0) {
		/* Only for the time it takes: even a match on the dummy is refused. */
		if (crypto_pwhash_str_verify(st->dummy_hash, pw, password_len) == 0)
			*ok = false;
		goto done;
	}
	for (size_t i = 0; i < sec.count && !*ok; i++)
		*ok = crypto_pwhash_str_verify(sec.hash[i], pw, password_len) == 0;
done:
	sodium_memzero(&sec, sizeof(sec));
	return rc;
}

/* ---- the SQLite backend ------------------------------------------------------------------ */

/* Each migration takes the schema from version i to i + 1; only ever append to this list. */
static const char *const migrations[] = {
	/* 1: users and the argon2id hashes of their SMTP passwords. AUTOINCREMENT so that a
	 * deleted credential's id never comes back and names a newer credential. */
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE credentials ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" hash TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX credentials_by_user ON credentials(user_id);",
	/* 2: approved senders, the suppression list, per-user limits, usage counts. */
	SQLITE_POLICY_SCHEMA,
	/* 3: the delivery event log. */
	SQLITE_EVENTS_SCHEMA,
	/* 4: DKIM keys (store_sqlite_dkim.c). IF NOT EXISTS: a test rewinds the version of a
	 * newer store to replay an older migration. */
	"CREATE TABLE IF NOT EXISTS dkim_keys ("
	" domain TEXT NOT NULL,"
	" selector TEXT NOT NULL,"
	" algorithm TEXT NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),"
	" bits INTEGER NOT NULL,"
	" key_path TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('active', 'pending', 'retiring', 'retired')),"
	" created INTEGER NOT NULL,"
	" activated INTEGER NOT NULL DEFAULT 0,"
	" retire_at INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (domain, selector)) WITHOUT ROWID;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define USER_COLUMNS                                                                               \
	"SELECT name, enabled, created,"                                                           \
	" (SELECT count(*) FROM credentials c WHERE c.user_id = u.id) FROM users u"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_USER_ID] = "SELECT id FROM users WHERE name = ?1",
	[S_USER_INSERT] = "INSERT INTO users (name, enabled, created) VALUES (?1, 1, ?2)",
	[S_USER_DELETE] = "DELETE FROM users WHERE name = ?1",
	[S_USER_ENABLE] = "UPDATE users SET enabled = ?2 WHERE name = ?1",
	[S_USER_GET] = USER_COLUMNS " WHERE name = ?1",
	[S_USER_LIST] = USER_COLUMNS " ORDER BY name",
	[S_CRED_INSERT] = "INSERT INTO credentials (user_id, hash, created) VALUES (?1, ?2, ?3)",
	[S_CRED_COUNT] = "SELECT count(*) FROM credentials WHERE user_id = ?1",
	[S_CRED_CLEAR] = "DELETE FROM credentials WHERE user_id = ?1",
	[S_CRED_DELETE] = "DELETE FROM credentials"
			  " WHERE id = ?2 AND user_id = (SELECT id FROM users WHERE name = ?1)",
	[S_CRED_LIST] = "SELECT id, created FROM credentials WHERE user_id = ?1 ORDER BY id",
	[S_AUTH] = "SELECT u.enabled, c.hash FROM users u"
		   " LEFT JOIN credentials c ON c.user_id = u.id"
		   " WHERE u.name = ?1 ORDER BY c.id LIMIT ?2",
};

/* Binding short text with SQLITE_STATIC or an integer to an index the statement has cannot
 * fail, so the binds below are not checked; a step reports anything that went wrong. */

/* Inside a transaction: returns the new credential's id or -errno. */
static int64_t insert_credential(struct sqlite_store *s, int64_t uid, const char *hash, int64_t now)
{
	sqlite3_stmt *q = s->stmt[S_CRED_INSERT];
	int rc;

	sqlite3_bind_int64(q, 1, uid);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = run(q)) < 0)
		return rc;
	return sqlite3_last_insert_rowid(s->db);
}

static int sq_user_add(struct store *st, const char *name, const char *hash, int64_t now)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_USER_INSERT];
	int64_t rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	rc = run(q);
	if (rc == 0)
		rc = insert_credential(s, sqlite3_last_insert_rowid(s->db), hash, now);
	rc = finish(s, rc);
done:
	unlock(s);
	return rc < 0 ? (int)rc : 0;
}

static int sq_user_delete(struct store *st, const char *name)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_USER_DELETE];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = change_user(s, q); /* the credentials go with it: ON DELETE CASCADE */
	unlock(s);
	return rc;
}

static int sq_user_set_enabled(struct store *st, const char *name, bool enabled)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_USER_ENABLE];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, enabled ? 1 : 0);
	rc = change_user(s, q);
	unlock(s);
	return rc;
}

static int sq_user_passwd(struct store *st, const char *name, const char *hash, int64_t now)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_CRED_CLEAR];
	int64_t uid = 0, rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	rc = user_id(s, name, &uid);
	if (rc == 0) {
		sqlite3_bind_int64(q, 1, uid);
		rc = run(q);
	}
	if (rc == 0)
		rc = insert_credential(s, uid, hash, now);
	rc = finish(s, rc);
done:
	unlock(s);
	return rc < 0 ? (int)rc : 0;
}

static int64_t sq_credential_add(struct store *st, const char *name, const char *hash, int64_t now)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_CRED_COUNT];
	int64_t uid = 0, count = 0, rc;

	lock(s);
	if ((rc = run(s->stmt[S_BEGIN])) < 0)
		goto done;
	rc = user_id(s, name, &uid);
	if (rc == 0) {
		sqlite3_bind_int64(q, 1, uid);
		rc = run_int64(q, &count);
	}
	if (rc == 0 && count >= STORE_CREDENTIALS_MAX)
		rc = -EMLINK;
	if (rc == 0)
		rc = insert_credential(s, uid, hash, now);
	rc = finish(s, rc);
done:
	unlock(s);
	return rc;
}

static int sq_credential_delete(struct store *st, const char *name, int64_t id)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_CRED_DELETE];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	rc = change_user(s, q);
	unlock(s);
	return rc;
}

static int sq_credential_list(struct store *st, const char *name,
			      int (*cb)(const struct store_credential *c, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_CRED_LIST];
	struct store_credential *v = NULL;
	size_t n = 0, cap = 0;
	int64_t uid = 0;
	int rc;

	/* Rows are collected under the lock and handed out after it, so cb may use the store. */
	lock(s);
	if ((rc = user_id(s, name, &uid)) == 0) {
		sqlite3_bind_int64(q, 1, uid);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			if (!grow((void **)&v, &cap, n, sizeof(*v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			v[n].id = sqlite3_column_int64(q, 0);
			v[n].created = sqlite3_column_int64(q, 1);
			n++;
		}
		rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
		sqlite3_reset(q);
	}
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(&v[i], ctx);
	free(v);
	return rc;
}

static void read_user(sqlite3_stmt *q, struct store_user *u)
{
	const unsigned char *name = sqlite3_column_text(q, 0);
	int64_t creds = sqlite3_column_int64(q, 3);

	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name != NULL ? (const char *)name : "");
	u->enabled = sqlite3_column_int(q, 1) != 0;
	u->created = sqlite3_column_int64(q, 2);
	u->credentials = creds > 0 ? (size_t)creds : 0;
}

static int sq_user_get(struct store *st, const char *name, struct store_user *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_USER_GET];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		read_user(q, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : errno_of(rc);
	}
	sqlite3_reset(q);
	unlock(s);
	return rc;
}

static int sq_user_list(struct store *st, int (*cb)(const struct store_user *u, void *ctx),
			void *ctx)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_USER_LIST];
	struct store_user *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* Rows are collected under the lock and handed out after it, so cb may use the store. */
	lock(s);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!grow((void **)&v, &cap, n, sizeof(*v))) {
			rc = SQLITE_NOMEM;
			break;
		}
		read_user(q, &v[n++]);
	}
	rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	sqlite3_reset(q);
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(&v[i], ctx);
	free(v);
	return rc;
}

static int sq_auth_lookup(struct store *st, const char *name, struct store_secrets *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = s->stmt[S_AUTH];
	int rc;

	lock(s);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, STORE_CREDENTIALS_MAX);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(q, 1);
		int len = sqlite3_column_bytes(q, 1);

		out->found = true;
		out->enabled = sqlite3_column_int(q, 0) != 0;
		if (h == NULL && sqlite3_column_type(q, 1) != SQLITE_NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		/* NULL: a user without credentials (the LEFT JOIN's empty row). A hash too long
		 * to be one of ours cannot verify, so it is left out. */
		if (h == NULL || len <= 0 || len >= STORE_HASH_MAX ||
		    out->count == STORE_CREDENTIALS_MAX)
			continue;
		memcpy(out->hash[out->count], h, (size_t)len);
		out->hash[out->count][len] = '\0';
		out->count++;
	}
	rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	sqlite3_reset(q);
	unlock(s);
	return rc;
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = backend(st);

	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sq_policy_finalize(s);
	sq_events_finalize(s);
	sqlite3_close(s->db);
	if (s->lock_made)
		pthread_mutex_destroy(&s->lock);
	sodium_memzero(s->base.dummy_hash, sizeof(s->base.dummy_hash));
	free(s);
}

/* store_sqlite_dkim.c: DKIM keys (migration 4). Rare work (the CLI, the signer's load), so
 * its statements are prepared at each call and it keeps nothing in struct sqlite_store. */
extern const struct store_dkim_ops sqlite_dkim_ops;

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.user_add = sq_user_add,
	.user_delete = sq_user_delete,
	.user_passwd = sq_user_passwd,
	.credential_add = sq_credential_add,
	.credential_delete = sq_credential_delete,
	.credential_list = sq_credential_list,
	.user_set_enabled = sq_user_set_enabled,
	.user_get = sq_user_get,
	.user_list = sq_user_list,
	.auth_lookup = sq_auth_lookup,
	.policy = &sqlite_policy_ops,
	.events = &sqlite_events_ops,
	.dkim = &sqlite_dkim_ops,
};

/* ---- opening: the file, the connection's settings, the schema ---------------------------- */

/* What a person can do about a failure, by SQLite's primary result code. */
static const char *advice(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		return "the file is not a tern database; set path in the [store] section to "
		       "another file, or move this one away";
	case SQLITE_CORRUPT:
		return "the database is damaged; restore it from a backup (the sqlite3 tool's "
		       ".recover command may save what is left)";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another program holds the database locked; stop it, or wait and try again";
	case SQLITE_FULL:
		return "the disk is full; free some space";
	case SQLITE_IOERR:
		return "the disk reported an error; check the system log (dmesg)";
	case SQLITE_NOMEM:
		return "out of memory; give tern more memory";
	default:
		return "check that the directory exists and tern may write there (SQLite also "
		       "creates the -wal and -shm files beside the database)";
	}
}

static int db_fail(struct sqlite_store *s, const char *path, const char *what, char *err,
		   size_t errlen)
{
	int rc = sqlite3_extended_errcode(s->db);

	err_printf(err, errlen, "cannot %s store %s: %s; %s", what, path, sqlite3_errmsg(s->db),
		   advice(rc));
	return -1;
}

/* Creates the file first, so that it (and the -wal and -shm files SQLite gives the same mode)
 * is 0600: it holds password hashes. An existing file keeps the mode its owner chose. */
static int create_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0) {
		err_printf(err, errlen,
			   "cannot open store %s: %s; check that tern may "
			   "write there",
			   path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int exec_sql(struct sqlite_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Settings that belong to the connection, not the file, so they are made at every open. */
static int configure(struct sqlite_store *s, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	const unsigned char *mode;
	int rc = -1;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (exec_sql(s, "PRAGMA foreign_keys = ON") < 0 ||
	    exec_sql(s, "PRAGMA synchronous = FULL") < 0) {
		db_fail(s, path, "configure", err, errlen);
		goto done;
	}
	/* The journal mode answers with the mode in force: on a file system without shared
	 * memory (NFS and the like) WAL is refused without an error. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		db_fail(s, path, "open", err, errlen);
		goto done;
	}
	mode = sqlite3_column_text(q, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		err_printf(
			err, errlen,
			"cannot use write-ahead logging for store %s (the journal mode stays %s); "
			"put the database on a local file system",
			path, mode != NULL ? (const char *)mode : "unknown");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(q);
	return rc;
}

/* Brings the schema to SCHEMA_VERSION in one transaction, so a crash or a second tern opening
 * at the same moment never sees half a migration. */
static int migrate(struct sqlite_store *s, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int version = 0, rc = -1;

	if (exec_sql(s, "BEGIN IMMEDIATE") < 0 ||
	    exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") <
		    0 ||
	    sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
			       &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		db_fail(s, path, "open", err, errlen);
		goto done;
	}
	version = sqlite3_column_int(q, 0);
	if (version > SCHEMA_VERSION) {
		err_printf(err, errlen,
			   "store %s has schema version %d but this tern knows only versions up to "
			   "%d; "
			   "run the newer tern that wrote it, or restore a backup",
			   path, version, SCHEMA_VERSION);
		goto done;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (exec_sql(s, migrations[v]) < 0) {
			db_fail(s, path, "create the tables of", err, errlen);
			goto done;
		}
	}
	if (version < SCHEMA_VERSION) {
		char sql[96];

		snprintf(sql, sizeof(sql),
			 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
			 SCHEMA_VERSION);
		if (exec_sql(s, sql) < 0) {
			db_fail(s, path, "update", err, errlen);
			goto done;
		}
	}
	if (exec_sql(s, "COMMIT") < 0) {
		db_fail(s, path, "update", err, errlen);
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(q);
	if (rc < 0 && !sqlite3_get_autocommit(s->db))
		(void)exec_sql(s, "ROLLBACK");
	return rc;
}

int store_open_sqlite(const char *path, struct store **out, char *err, size_t errlen)
{
	struct sqlite_store *s = NULL;
	int rc = -1;

	*out = NULL;
	if (sodium_init() < 0) {
		err_printf(err, errlen,
			   "cannot start libsodium (no source of randomness?); check that "
			   "/dev/urandom is readable");
		goto done;
	}
	/* The connection is used by one thread at a time (our mutex), which needs SQLite's own
	 * locks for everything else, such as its allocator. */
	if (!sqlite3_threadsafe()) {
		err_printf(err, errlen,
			   "this SQLite library was built without thread support; install "
			   "one built with SQLITE_THREADSAFE=1 (Debian's is)");
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_printf(err, errlen, "cannot open store %s: out of memory", path);
		goto done;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		err_printf(err, errlen, "cannot open store %s: cannot make a mutex", path);
		goto done;
	}
	s->lock_made = true;
	if (fs_mkdir_parent(path, "data directory", err, errlen) < 0 ||
	    create_file(path, err, errlen) < 0)
		goto done;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		if (s->db == NULL)
			err_printf(err, errlen, "cannot open store %s: out of memory", path);
		else
			db_fail(s, path, "open", err, errlen);
		goto done;
	}
	if (configure(s, path, err, errlen) < 0 || migrate(s, path, err, errlen) < 0)
		goto done;
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[i], NULL) != SQLITE_OK) {
			db_fail(s, path, "read", err, errlen);
			goto done;
		}
	}
	if (sq_policy_prepare(s) != SQLITE_OK || sq_events_prepare(s) != SQLITE_OK) {
		db_fail(s, path, "read", err, errlen);
		goto done;
	}
	if (store_init(&s->base, &sqlite_ops, err, errlen) < 0)
		goto done;
	*out = &s->base;
	s = NULL;
	rc = 0;
done:
	if (s != NULL)
		sq_close(&s->base);
	return rc;
}
