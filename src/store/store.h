/*
 * store.h - tern's persistent state behind one interface: users and their SMTP credentials,
 * approved senders, the suppression list, per-user limits and usage counters, the delivery
 * event log, DKIM keys, with SQLite and (later) PostgreSQL backends.
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
	bool enabled;	    /* false: suspended: may log in, may not send */
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

/* Checks a password: *ok is true when the user exists and one of its credentials matches. A
 * suspended user passes too (the server then refuses MAIL with "554 5.7.1 Account suspended",
 * so the application learns why). An unknown or badly formed name, a user without credentials
 * and a wrong password all cost one argon2id verification (against a dummy hash made at open when
 * there is nothing real to verify); a user with n credentials costs up to n. Returns 0, or
 * -errno when the database cannot be read (then *ok is false). */
int store_auth_check(struct store *st, const char *name, const uint8_t *password,
		     size_t password_len, bool *ok);

/* A random password for `tern user add`: 24 characters of URL-safe base64 (18 random bytes,
 * 144 bits), NUL-terminated. */
void store_password_generate(char out[STORE_PASSWORD_LEN + 1]);

/* ---- approved senders ---------------------------------------------------------------------
 * Whom a user may send as: whole addresses ("news@example.com") or whole domains
 * ("@example.com"). Stored and compared in lower case (ASCII letters only: non-ASCII octets of
 * SMTPUTF8 addresses are compared exactly). A domain entry covers that domain only, not its
 * subdomains. */

#define STORE_ADDR_MAX 320 /* octets of an address or "@domain", NUL not counted */

/* -EINVAL for something that is neither "local@domain" nor "@domain" (the caller checks full
 * syntax with the address parser; this checks shape and length), -ENOENT for an unknown user,
 * -EEXIST when already approved. */
int store_sender_add(struct store *st, const char *user, const char *sender);
int store_sender_remove(struct store *st, const char *user, const char *sender); /* -ENOENT */
/* In sorted order; no lock held during cb; non-zero from cb stops and is returned. */
int store_sender_list(struct store *st, const char *user, int (*cb)(const char *sender, void *ctx),
		      void *ctx);
/* *ok: address (a full "local@domain") is approved for user, itself or by its domain. */
int store_sender_allowed(struct store *st, const char *user, const char *address, bool *ok);

/* ---- suppression list ----------------------------------------------------------------------
 * Recipients that are accepted but never delivered to. One list for the whole installation,
 * keyed by the lower-cased address. Lookups are one indexed read: constant in practice and
 * logarithmic at worst, whatever the list's size. */

enum store_suppress_reason {
	STORE_SUPPRESS_MANUAL = 0,
	STORE_SUPPRESS_BOUNCE,
	STORE_SUPPRESS_COMPLAINT,
	STORE_SUPPRESS_UNSUBSCRIBE,
};
#define STORE_SUPPRESS_SOURCE_MAX 200

struct store_suppression {
	char address[STORE_ADDR_MAX + 1];
	enum store_suppress_reason reason;
	char source[STORE_SUPPRESS_SOURCE_MAX + 1]; /* who or what added it: "cli", a queue id */
	int64_t created;			    /* unix seconds */
	int64_t expires;			    /* unix seconds, 0 = never */
};

/* "manual", "bounce", "complaint", "unsubscribe"; parse returns -1 for anything else. */
const char *store_suppress_reason_name(enum store_suppress_reason r);
int store_suppress_reason_parse(const char *name);

/* Adds or replaces (same address: the new entry wins). -EINVAL for an empty or overlong
 * address or a bad reason. */
int store_suppress_add(struct store *st, const struct store_suppression *e);
/* Many at once in one transaction (import): all or nothing. */
int store_suppress_add_many(struct store *st, const struct store_suppression *v, size_t n);
int store_suppress_remove(struct store *st, const char *address); /* -ENOENT */
/* The live entry for address at time now (expired entries do not count): 0 and *out filled,
 * or -ENOENT. out may be NULL. */
int store_suppress_get(struct store *st, const char *address, int64_t now,
		       struct store_suppression *out);

struct store_suppress_filter {
	int reason;    /* -1: any */
	int64_t since; /* created >= since; 0: no bound */
	int64_t until; /* created < until; 0: no bound */
	bool include_expired;
	int64_t now; /* for deciding expiry */
};
/* Entries in address order, in chunks, with no lock held during cb (cb may call the store);
 * non-zero from cb stops and is returned. */
int store_suppress_list(struct store *st, const struct store_suppress_filter *f,
			int (*cb)(const struct store_suppression *e, void *ctx), void *ctx);
int store_suppress_count(struct store *st, int64_t now, size_t *out); /* live entries */

/* ---- per-user limits -----------------------------------------------------------------------
 * Overrides of the server's defaults. STORE_LIMIT_DEFAULT: use the server's; 0: no limit. */

#define STORE_LIMIT_DEFAULT (-1)

struct store_limits {
	int64_t per_minute;	  /* messages */
	int64_t per_hour;	  /* messages */
	int64_t per_day;	  /* messages */
	int64_t domain_per_hour;  /* messages per sending domain */
	int64_t max_recipients;	  /* per message */
	int64_t max_message_size; /* bytes */
};

/* A user without overrides gets every field STORE_LIMIT_DEFAULT. -ENOENT unknown user. */
int store_limits_get(struct store *st, const char *user, struct store_limits *out);
/* Replaces all six values (read, change, write back). -EINVAL for a value below -1. */
int store_limits_set(struct store *st, const char *user, const struct store_limits *in);

/* ---- usage counters ------------------------------------------------------------------------
 * Messages accepted per user (domain "") and per user and sending domain, in one-minute
 * buckets (unix minute = seconds / 60). The server counts in memory, exactly, and writes the
 * counts here every second or so, so that `tern limits show` in another process sees them and
 * a restart does not reset a day's quota. */

struct store_usage {
	const char *user;
	const char *domain; /* "" for the user's total */
	int64_t minute;
	uint32_t count; /* added to what is stored */
};

/* Adds every delta in one transaction. */
int store_usage_add(struct store *st, const struct store_usage *v, size_t n);
/* The sum for user (and domain, "" for the total) over minutes [from, to). */
int store_usage_sum(struct store *st, const char *user, const char *domain, int64_t from,
		    int64_t to, uint64_t *out);
/* Every stored bucket with minute >= since (for the server's start); cb's usage is valid
 * only during the call. */
int store_usage_load(struct store *st, int64_t since,
		     int (*cb)(const struct store_usage *u, void *ctx), void *ctx);
/* Forgets buckets older than `before`. */
int store_usage_prune(struct store *st, int64_t before);

/* A number that changes whenever another process (or connection) has changed the store, so
 * that a cache of what was read can tell when to read again. 0 or -errno. */
int store_data_version(struct store *st, int64_t *out);

/* ---- Delivery events: every state change of every recipient, for `tern events`, the API and
 * recovery -----------------------------------------------------------------------------------
 * An append-only log: one row per step (queued, each attempt, the terminal state), with the
 * queue id, kept until pruned. Times are unix milliseconds. */

enum store_event_status {
	EV_QUEUED,
	EV_DEFERRED,
	EV_DELIVERED,
	EV_BOUNCED,
	EV_EXPIRED,
	EV_SUPPRESSED,
	EV_DELETED,
	EV_HELD,
	EV_RELEASED,
	EV_DELAYED, /* delay notice sent */
	EV_KEY,	    /* a DKIM key rotation step (queue id "dkim", sender the domain) */
	EV__COUNT
};

const char *store_event_status_name(enum store_event_status s); /* "delivered"; "unknown" */
bool store_event_status_parse(const char *name, enum store_event_status *out);
/* delivered, bounced, expired, suppressed, deleted: a recipient ends in exactly one of these. */
bool store_event_status_terminal(enum store_event_status s);

struct store_event {
	int64_t id;	       /* set by the store: increasing, never reused (even after prune) */
	int64_t time_ms;       /* unix milliseconds, > 0 */
	const char *queue_id;  /* non-empty */
	const char *recipient; /* "" for message-wide events */
	const char *sender;    /* envelope sender */
	const char *user;      /* submitting user or "" */
	enum store_event_status status;
	int attempt;		 /* 0 when not an attempt */
	const char *remote_host; /* "" when none */
	const char *remote_ip;
	const char *tls;      /* "TLSv1.3/TLS_AES_256_GCM_SHA384" or "" */
	int64_t delay_ms;     /* since the message was accepted, >= 0 */
	const char *dsn;      /* enhanced status "5.1.1" or "" */
	const char *reply;    /* the remote reply or the local reason */
	const char *category; /* knowledge-base category name ("user_unknown") or "" */
};

/* Appends n events in one transaction (durable when it returns 0), all or nothing. Every
 * string but queue_id may be NULL, stored as "". -EINVAL (and nothing written) unless each
 * event has a non-empty queue_id, time_ms > 0, a known status, attempt >= 0 and
 * delay_ms >= 0; other -errno when the database cannot be written. ev[i].id is not read. */
int store_events_add(struct store *st, const struct store_event *ev, size_t n);

struct store_event_filter {
	const char *queue_id;	    /* NULL = any */
	const char *recipient;	    /* NULL = any; exact, case-insensitive (ASCII) */
	const char *domain;	    /* NULL = any; recipient domain, case-insensitive, no '@' */
	int status;		    /* -1 = any, else enum store_event_status */
	int64_t since_ms, until_ms; /* time_ms >= since_ms and < until_ms; 0 = open */
	size_t limit;		    /* 0 = no limit */
	bool newest_first;
};

/* Calls cb for each matching event, oldest first (by time, then id) unless newest_first; the
 * strings are valid during cb only, and no lock is held (cb may use the store). Read in
 * chunks, so a long log never blocks writers. Non-zero from cb stops and is returned.
 * -EINVAL for a NULL f or cb, an empty queue_id, a status out of range or negative times. */
int store_events_query(struct store *st, const struct store_event_filter *f,
		       int (*cb)(const struct store_event *e, void *ctx), void *ctx);

/* For restart recovery: each recipient of the message that reached a terminal state, with the
 * last terminal status it reached (later non-terminal events cannot undo one), in recipient
 * order; recipient "" stands for a message-wide terminal event (deleted by an operator).
 * Recipients without a terminal event are not reported. Non-zero from cb stops and is returned;
 * -EINVAL for an empty queue_id or a NULL cb. */
int store_events_terminal(struct store *st, const char *queue_id,
			  int (*cb)(const char *recipient, enum store_event_status s, void *ctx),
			  void *ctx);

/* Deletes events with time_ms < before_ms; returns the count deleted or -errno (-EINVAL for a
 * negative before_ms). */
int64_t store_events_prune(struct store *st, int64_t before_ms);

/* ---- DKIM keys ------------------------------------------------------------------------------
 * The signing keys of each sending domain: which file holds the private key (a PEM file under
 * DATA_DIR/dkim, written by src/dkim), its algorithm and where it stands in a rotation:
 *   pending  made, its DNS record not yet seen; does not sign
 *   active   signs (one key per domain and algorithm; should two be active for a moment, the
 *            most recently activated signs)
 *   retiring replaced, its record stays published until retire_at so that mail signed
 *            with it still verifies; does not sign
 *   retired  its record may be removed from DNS
 * Domains and selectors are stored in lower case; a domain without its trailing dot. RSA keys
 * are never shorter than 2048 bits (RFC 8301). */

#define STORE_DKIM_DOMAIN_MAX	253  /* octets of a domain name, without the trailing dot */
#define STORE_DKIM_SELECTOR_MAX 63   /* octets of a selector (one or more labels) */
#define STORE_DKIM_PATH_MAX	1024 /* octets of a key file's path */
#define STORE_DKIM_RSA_MIN	2048
#define STORE_DKIM_RSA_MAX	4096
#define STORE_DKIM_KEEP		(-1) /* store_dkim_set_state: leave this time as it is */

enum store_dkim_alg { STORE_DKIM_RSA = 0, STORE_DKIM_ED25519, STORE_DKIM__ALGS };
enum store_dkim_state {
	STORE_DKIM_PENDING = 0,
	STORE_DKIM_ACTIVE,
	STORE_DKIM_RETIRING,
	STORE_DKIM_RETIRED,
	STORE_DKIM__STATES
};

struct store_dkim_key {
	char domain[STORE_DKIM_DOMAIN_MAX + 1];
	char selector[STORE_DKIM_SELECTOR_MAX + 1];
	enum store_dkim_alg algorithm;
	int bits; /* RSA: STORE_DKIM_RSA_MIN..STORE_DKIM_RSA_MAX; Ed25519: 0 */
	char key_path[STORE_DKIM_PATH_MAX + 1];
	enum store_dkim_state state;
	int64_t created;   /* unix seconds */
	int64_t activated; /* unix seconds it became active, 0 = never */
	int64_t retire_at; /* unix seconds its record may go, 0 = not retiring */
};

/* "rsa", "ed25519" and "pending", "active", "retiring", "retired" (as stored; "unknown" out of
 * range); parse returns -1 for anything else. */
const char *store_dkim_alg_name(enum store_dkim_alg a);
int store_dkim_alg_parse(const char *name);
const char *store_dkim_state_name(enum store_dkim_state s);
int store_dkim_state_parse(const char *name);

/* Copy domain into out lower-cased and without one trailing dot. True when it is a host name:
 * two or more labels of 1..63 letters, digits and hyphens, none starting or ending with a
 * hyphen, STORE_DKIM_DOMAIN_MAX octets at most. */
bool store_dkim_domain_norm(const char *domain, char out[STORE_DKIM_DOMAIN_MAX + 1]);
/* The same for a selector: one or more such labels ([a-z0-9-] once lower-cased, upper case
 * folded), STORE_DKIM_SELECTOR_MAX octets at most. */
bool store_dkim_selector_norm(const char *selector, char out[STORE_DKIM_SELECTOR_MAX + 1]);

/* Adds a key as given (domain and selector are normalized). -EINVAL unless the domain and the
 * selector are valid, SELECTOR._domainkey.DOMAIN fits in 253 octets, the algorithm and state
 * are known, the bits fit the algorithm, key_path is absolute and created > 0; -EEXIST when
 * the domain has a key with that selector. */
int store_dkim_add(struct store *st, const struct store_dkim_key *k);
int store_dkim_get(struct store *st, const char *domain, const char *selector,
		   struct store_dkim_key *out); /* -ENOENT, -EINVAL */
/* Every key (domain NULL) or the keys of one domain, by domain and then created, oldest first;
 * no lock held during cb; non-zero from cb stops and is returned. -EINVAL for a bad domain. */
int store_dkim_list(struct store *st, const char *domain,
		    int (*cb)(const struct store_dkim_key *k, void *ctx), void *ctx);

/* The keys of one domain (every key when domain is NULL), read at once into ks->v[0..ks->n)
 * (malloc'd; store_dkim_keys_free). 0, or -errno with ks empty. */
struct store_dkim_keys {
	struct store_dkim_key *v;
	size_t n, cap;
};
int store_dkim_read(struct store *st, const char *domain, struct store_dkim_keys *ks);
void store_dkim_keys_free(struct store_dkim_keys *ks);
/* Moves a key to state; activated and retire_at are stored unless STORE_DKIM_KEEP. -ENOENT,
 * -EINVAL for an unknown state or a time below STORE_DKIM_KEEP. The caller makes the switch
 * of a rotation in two calls (new key active, then old one retiring): the signer picks the
 * most recently activated key should it read between them. */
int store_dkim_set_state(struct store *st, const char *domain, const char *selector,
			 enum store_dkim_state state, int64_t activated, int64_t retire_at);
/* Forgets a key (its file is the caller's to delete). -ENOENT */
int store_dkim_remove(struct store *st, const char *domain, const char *selector);

/* ---- for backends only ------------------------------------------------------------------- */

/* What store_auth_check needs from a backend: the user's state and encoded hashes. */
struct store_secrets {
	bool found;
	bool enabled;
	size_t count; /* hashes filled in, at most STORE_CREDENTIALS_MAX */
	char hash[STORE_CREDENTIALS_MAX][STORE_HASH_MAX];
};

/* A backend's policy operations (approved senders, suppression, limits, usage). The public
 * functions have checked and lower-cased addresses; `domain` of sender_allowed is "@domain". */
struct store_policy_ops {
	int (*sender_add)(struct store *st, const char *user, const char *sender);
	int (*sender_remove)(struct store *st, const char *user, const char *sender);
	int (*sender_list)(struct store *st, const char *user,
			   int (*cb)(const char *sender, void *ctx), void *ctx);
	int (*sender_allowed)(struct store *st, const char *user, const char *address,
			      const char *domain, bool *ok);
	int (*suppress_put)(struct store *st, const struct store_suppression *v, size_t n);
	int (*suppress_remove)(struct store *st, const char *address);
	int (*suppress_get)(struct store *st, const char *address, int64_t now,
			    struct store_suppression *out);
	int (*suppress_list)(struct store *st, const struct store_suppress_filter *f,
			     int (*cb)(const struct store_suppression *e, void *ctx), void *ctx);
	int (*suppress_count)(struct store *st, int64_t now, size_t *out);
	int (*limits_get)(struct store *st, const char *user, struct store_limits *out);
	int (*limits_set)(struct store *st, const char *user, const struct store_limits *in);
	int (*usage_add)(struct store *st, const struct store_usage *v, size_t n);
	int (*usage_sum)(struct store *st, const char *user, const char *domain, int64_t from,
			 int64_t to, uint64_t *out);
	int (*usage_load)(struct store *st, int64_t since,
			  int (*cb)(const struct store_usage *u, void *ctx), void *ctx);
	int (*usage_prune)(struct store *st, int64_t before);
	int (*data_version)(struct store *st, int64_t *out);
};

/* A backend's event log operations. The public functions have checked every argument and
 * turned NULL strings of events into "". */
struct store_events_ops {
	int (*add)(struct store *st, const struct store_event *ev, size_t n);
	int (*query)(struct store *st, const struct store_event_filter *f,
		     int (*cb)(const struct store_event *e, void *ctx), void *ctx);
	int (*terminal)(struct store *st, const char *queue_id,
			int (*cb)(const char *recipient, enum store_event_status s, void *ctx),
			void *ctx);
	int64_t (*prune)(struct store *st, int64_t before_ms);
};

/* A backend's DKIM key operations: domains and selectors are normalized, keys checked. */
struct store_dkim_ops {
	int (*add)(struct store *st, const struct store_dkim_key *k);
	int (*get)(struct store *st, const char *domain, const char *selector,
		   struct store_dkim_key *out);
	int (*list)(struct store *st, const char *domain,
		    int (*cb)(const struct store_dkim_key *k, void *ctx), void *ctx);
	int (*set_state)(struct store *st, const char *domain, const char *selector,
			 enum store_dkim_state state, int64_t activated, int64_t retire_at);
	int (*remove)(struct store *st, const char *domain, const char *selector);
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
	const struct store_policy_ops *policy;
	const struct store_events_ops *events;
	const struct store_dkim_ops *dkim;
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
