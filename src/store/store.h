/*
 * store.h - tern's persistent state behind one interface: users and their SMTP credentials
 * (later: approved senders, suppression, limits), with SQLite and (later) PostgreSQL backends.
 *
 * Promises:
 * - Passwords are never stored: each credential is an argon2id hash (libsodium). A user may hold
 *   up to STORE_CREDENTIALS_MAX credentials so that a password can be rotated without downtime:
 *   add the new one, move the applications over, delete the old one.
 * - store_auth_check takes the same time for an unknown user, a suspended user and a wrong
 *   password (for a user with one credential), so a client cannot learn which names exist.
 * - Every function is safe to call from several threads at once. Password hashing runs outside
 *   any lock, so checks from several worker threads run in parallel.
 * - Errors are -errno: -EINVAL bad name or password, -ENOENT no such user or credential,
 *   -EEXIST name taken, -EMLINK too many credentials, -ENOMEM, and -EIO, -EBUSY, -ENOSPC,
 *   -EROFS for a database that cannot be read or written.
 *
 * The interface is a table of operations (struct store_ops) that each backend fills in; the
 * public functions check their arguments, hash passwords and then dispatch through the table,
 * so a backend only stores and fetches rows and never sees a password. The backend-independent
 * half sits at the top of store_sqlite.c while SQLite is the only backend.
 */
#ifndef TERN_STORE_STORE_H
#define TERN_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX	      64  /* characters in a user name */
#define STORE_CREDENTIALS_MAX 4	  /* per user: enough to rotate, bounded cost of a wrong guess */
#define STORE_HASH_MAX	      128 /* bytes of an encoded hash and NUL: crypto_pwhash_STRBYTES */
#define STORE_PASSWORD_LEN    24  /* characters of a generated password */

struct store;

struct store_user {
	char name[STORE_NAME_MAX + 1];
	bool enabled;	    /* false: suspended, every check fails */
	int64_t created;    /* unix seconds */
	size_t credentials; /* how many passwords work for this user */
};

struct store_credential {
	int64_t id;	 /* what store_credential_delete takes */
	int64_t created; /* unix seconds */
};

/* Opens or creates the database at path (mode 0600, its directory made when missing; the schema is created or migrated on open,
 * recorded in a schema version table). Returns 0, or -1 with a message in err that says what
 * went wrong and what to do. */
int store_open_sqlite(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st); /* NULL is fine */

/* True for 1..STORE_NAME_MAX characters of [A-Za-z0-9._@+-]. Names are compared exactly. */
bool store_name_valid(const char *name);

/* Adds an enabled user with one credential. -EEXIST when the name is taken, -EINVAL for a bad
 * name or an empty password. */
int store_user_add(struct store *st, const char *name, const char *password, size_t password_len);
int store_user_delete(struct store *st, const char *name); /* and its credentials; -ENOENT */
/* Replaces all of the user's credentials with one new one. -ENOENT */
int store_user_passwd(struct store *st, const char *name, const char *password,
		      size_t password_len);
/* Adds one more credential (rotation: add the new one, later delete the old one). Returns the
 * new credential's id (> 0), -ENOENT, or -EMLINK when the user has STORE_CREDENTIALS_MAX. */
int64_t store_credential_add(struct store *st, const char *name, const char *password,
			     size_t password_len);
/* Deleting the last credential is allowed: the user then cannot log in until store_user_passwd.
 * -ENOENT when the user has no credential with that id. */
int store_credential_delete(struct store *st, const char *name, int64_t id);
/* Calls cb for each of the user's credentials, oldest first; a non-zero return from cb stops
 * the walk and is returned. -ENOENT for an unknown user. */
int store_credential_list(struct store *st, const char *name,
			  int (*cb)(const struct store_credential *c, void *ctx), void *ctx);
int store_user_set_enabled(struct store *st, const char *name, bool enabled); /* -ENOENT */
/* Calls cb for each user in name order, with no lock held (cb may call the store); a non-zero
 * return from cb stops the walk and is returned. */
int store_user_list(struct store *st, int (*cb)(const struct store_user *u, void *ctx), void *ctx);
int store_user_get(struct store *st, const char *name, struct store_user *out); /* -ENOENT */

/* Checks a password: *ok is true when the user exists, is enabled and one of its credentials
 * matches. An unknown or badly formed name, a suspended user, a user without credentials and a
 * wrong password all cost one argon2id verification (against a dummy hash made at open when
 * there is nothing real to verify); a user with n credentials costs up to n. Returns 0, or
 * -errno when the database cannot be read (then *ok is false). */
int store_auth_check(struct store *st, const char *name, const uint8_t *password,
		     size_t password_len, bool *ok);

/* A random password for `tern user add`: 24 characters of URL-safe base64 (18 random bytes,
 * 144 bits), NUL-terminated. */
void store_password_generate(char out[STORE_PASSWORD_LEN + 1]);

/* ---- for backends only ------------------------------------------------------------------- */

/* What store_auth_check needs from a backend: the user's state and encoded hashes. */
struct store_secrets {
	bool found;
	bool enabled;
	size_t count; /* hashes filled in, at most STORE_CREDENTIALS_MAX */
	char hash[STORE_CREDENTIALS_MAX][STORE_HASH_MAX];
};

/* A backend's operations. The public functions have already checked names and ids and turned
 * passwords into hashes; times are unix seconds. Each operation is thread-safe, holds its lock
 * only for its own database work and never calls a callback with the lock held. */
struct store_ops {
	void (*close)(struct store *st);
	int (*user_add)(struct store *st, const char *name, const char *hash, int64_t now);
	int (*user_delete)(struct store *st, const char *name);
	int (*user_passwd)(struct store *st, const char *name, const char *hash, int64_t now);
	int64_t (*credential_add)(struct store *st, const char *name, const char *hash,
				  int64_t now);
	int (*credential_delete)(struct store *st, const char *name, int64_t id);
	int (*credential_list)(struct store *st, const char *name,
			       int (*cb)(const struct store_credential *c, void *ctx), void *ctx);
	int (*user_set_enabled)(struct store *st, const char *name, bool enabled);
	int (*user_get)(struct store *st, const char *name, struct store_user *out);
	int (*user_list)(struct store *st, int (*cb)(const struct store_user *u, void *ctx),
			 void *ctx);
	int (*auth_lookup)(struct store *st, const char *name, struct store_secrets *out);
};

/* The head of every backend's own struct (its first member), so a backend turns a struct store *
 * back into its own type with a cast. Written once at open, read-only afterwards. */
struct store {
	const struct store_ops *ops;
	char dummy_hash[STORE_HASH_MAX]; /* verified against when there is nothing real to verify */
};

/* For a backend's open: makes the dummy hash and sets ops. Returns 0, or -1 with err set. */
int store_init(struct store *st, const struct store_ops *ops, char *err, size_t errlen);

#endif
