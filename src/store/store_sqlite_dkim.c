/*
 * store_sqlite_dkim.c - the DKIM keys of the sending domains (store.h, "DKIM keys"): which file
 * holds each private key, its algorithm and its state in a rotation. Written by `tern dkim`,
 * read by the signer when the server starts (src/dkim).
 *
 * Two halves, like store_sqlite_events.c. The first is backend-independent (names, the checks
 * of domains, selectors and keys, lower-casing) and moves to store_dkim.c when a second
 * backend arrives. The second is the SQLite backend: table dkim_keys (migration 4 in
 * store_sqlite.c). Keys change a few times a year and are read once at the server's start, so
 * each call prepares its statement under the lock and finalizes it before letting go; nothing
 * is kept in struct sqlite_store. Lists are read under the lock and handed out after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_int.h"

/* ---- the interface, common to every backend ----------------------------------------------- */

#define DOMAINKEY ("._domainkey.")
#define FQDN_MAX  253 /* octets of a DNS name without the trailing dot */

static const char *const alg_names[STORE_DKIM__ALGS] = {
	[STORE_DKIM_RSA] = "rsa",
	[STORE_DKIM_ED25519] = "ed25519",
};

static const char *const state_names[STORE_DKIM__STATES] = {
	[STORE_DKIM_PENDING] = "pending",
	[STORE_DKIM_ACTIVE] = "active",
	[STORE_DKIM_RETIRING] = "retiring",
	[STORE_DKIM_RETIRED] = "retired",
};

const char *store_dkim_alg_name(enum store_dkim_alg a)
{
	return (int)a >= 0 && a < STORE_DKIM__ALGS ? alg_names[a] : "unknown";
}

int store_dkim_alg_parse(const char *name)
{
	for (int i = 0; name != NULL && i < STORE_DKIM__ALGS; i++)
		if (strcmp(name, alg_names[i]) == 0)
			return i;
	return -1;
}

const char *store_dkim_state_name(enum store_dkim_state s)
{
	return (int)s >= 0 && s < STORE_DKIM__STATES ? state_names[s] : "unknown";
}

int store_dkim_state_parse(const char *name)
{
	for (int i = 0; name != NULL && i < STORE_DKIM__STATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

/* Copies s lower-cased into out[max + 1]. True when it is labels of 1..63 letters, digits and
 * hyphens (no hyphen first or last) joined by single dots, at most max octets, with at least
 * min_labels labels. */
static bool labels_norm(const char *s, char *out, size_t max, int min_labels)
{
	size_t n = 0, label = 0;
	int labels = 1;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (n == max)
			return false;
		if (c == '.') {
			if (label == 0 || out[n - 1] == '-')
				return false; /* empty label, or one ending with a hyphen */
			label = 0;
			labels++;
			out[n] = '.';
			continue;
		}
		if (!alnum && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false; /* a label starting with a hyphen */
		if (++label > 63)
			return false;
		out[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	if (label == 0 || out[n - 1] == '-')
		return false; /* empty, a trailing dot, or a last label ending with a hyphen */
	return labels >= min_labels;
}

bool store_dkim_domain_norm(const char *domain, char out[STORE_DKIM_DOMAIN_MAX + 1])
{
	char copy[STORE_DKIM_DOMAIN_MAX + 2];
	size_t len;

	if (domain == NULL)
		return false;
	len = strnlen(domain, sizeof(copy));
	if (len == sizeof(copy))
		return false;
	memcpy(copy, domain, len + 1);
	if (len > 0 && copy[len - 1] == '.')
		copy[len - 1] = '\0'; /* the fully qualified form: one trailing dot */
	return labels_norm(copy, out, STORE_DKIM_DOMAIN_MAX, 2);
}

bool store_dkim_selector_norm(const char *selector, char out[STORE_DKIM_SELECTOR_MAX + 1])
{
	return labels_norm(selector, out, STORE_DKIM_SELECTOR_MAX, 1);
}

/* Both names normalized into d and s; false unless both are valid. */
static bool names_norm(const char *domain, const char *selector, char d[STORE_DKIM_DOMAIN_MAX + 1],
		       char s[STORE_DKIM_SELECTOR_MAX + 1])
{
	return store_dkim_domain_norm(domain, d) && store_dkim_selector_norm(selector, s);
}

/* Checks a key, one field at a time, and copies it into out with its names normalized. */
static bool key_valid(const struct store_dkim_key *k, struct store_dkim_key *out)
{
	*out = *k;
	if (!store_dkim_domain_norm(k->domain, out->domain))
		return false;
	if (!store_dkim_selector_norm(k->selector, out->selector))
		return false;
	if (strlen(out->selector) + strlen(DOMAINKEY) + strlen(out->domain) > FQDN_MAX)
		return false;
	if ((int)k->algorithm < 0 || k->algorithm >= STORE_DKIM__ALGS)
		return false;
	if (k->algorithm == STORE_DKIM_RSA && k->bits < STORE_DKIM_RSA_MIN)
		return false;
	if (k->algorithm == STORE_DKIM_RSA && k->bits > STORE_DKIM_RSA_MAX)
		return false;
	if (k->algorithm == STORE_DKIM_ED25519 && k->bits != 0)
		return false;
	if (memchr(k->key_path, '\0', sizeof(k->key_path)) == NULL)
		return false;
	if (k->key_path[0] != '/')
		return false;
	if ((int)k->state < 0 || k->state >= STORE_DKIM__STATES)
		return false;
	if (k->created <= 0)
		return false;
	if (k->activated < 0)
		return false;
	if (k->retire_at < 0)
		return false;
	return true;
}

int store_dkim_add(struct store *st, const struct store_dkim_key *k)
{
	struct store_dkim_key c;

	if (k == NULL)
		return -EINVAL;
	if (!key_valid(k, &c))
		return -EINVAL;
	return st->ops->dkim->add(st, &c);
}

int store_dkim_get(struct store *st, const char *domain, const char *selector,
		   struct store_dkim_key *out)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1], s[STORE_DKIM_SELECTOR_MAX + 1];

	if (!names_norm(domain, selector, d, s))
		return -EINVAL;
	return st->ops->dkim->get(st, d, s, out);
}

int store_dkim_list(struct store *st, const char *domain,
		    int (*cb)(const struct store_dkim_key *k, void *ctx), void *ctx)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1];

	if (cb == NULL)
		return -EINVAL;
	if (domain != NULL && !store_dkim_domain_norm(domain, d))
		return -EINVAL;
	return st->ops->dkim->list(st, domain != NULL ? d : NULL, cb, ctx);
}

static int collect(const struct store_dkim_key *k, void *ctx)
{
	struct store_dkim_keys *ks = ctx;

	if (ks->n == ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 8;
		struct store_dkim_key *v = realloc(ks->v, ncap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		ks->v = v;
		ks->cap = ncap;
	}
	ks->v[ks->n++] = *k;
	return 0;
}

int store_dkim_read(struct store *st, const char *domain, struct store_dkim_keys *ks)
{
	int rc;

	memset(ks, 0, sizeof(*ks));
	if ((rc = store_dkim_list(st, domain, collect, ks)) != 0)
		store_dkim_keys_free(ks);
	return rc;
}

void store_dkim_keys_free(struct store_dkim_keys *ks)
{
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

int store_dkim_set_state(struct store *st, const char *domain, const char *selector,
			 enum store_dkim_state state, int64_t activated, int64_t retire_at)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1], s[STORE_DKIM_SELECTOR_MAX + 1];

	if (!names_norm(domain, selector, d, s))
		return -EINVAL;
	if ((int)state < 0 || state >= STORE_DKIM__STATES)
		return -EINVAL;
	if (activated < STORE_DKIM_KEEP)
		return -EINVAL;
	if (retire_at < STORE_DKIM_KEEP)
		return -EINVAL;
	return st->ops->dkim->set_state(st, d, s, state, activated, retire_at);
}

int store_dkim_remove(struct store *st, const char *domain, const char *selector)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1], s[STORE_DKIM_SELECTOR_MAX + 1];

	if (!names_norm(domain, selector, d, s))
		return -EINVAL;
	return st->ops->dkim->remove(st, d, s);
}

/* ---- the SQLite backend ------------------------------------------------------------------ */

#define KEY_COLUMNS                                                                                \
	"SELECT domain, selector, algorithm, bits, key_path, state, created, activated,"           \
	" retire_at FROM dkim_keys"

/* Under the lock: prepares sql for this call only. 0 or -errno. */
static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, q, NULL);

	return rc == SQLITE_OK ? 0 : errno_of(rc);
}

static bool copy_text(sqlite3_stmt *q, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	size_t len = (size_t)sqlite3_column_bytes(q, col);

	if (t == NULL || len >= size) /* NOT NULL columns: out of memory, or not written by us */
		return false;
	memcpy(out, t, len + 1);
	return true;
}

/* The current row of a KEY_COLUMNS statement into k: 0, or -EIO for a row tern did not
 * write (-ENOMEM when SQLite ran out of memory would look the same; both are rare). */
static int read_key(sqlite3_stmt *q, struct store_dkim_key *k)
{
	char alg[16], state[16];
	int a, s;

	memset(k, 0, sizeof(*k));
	if (!copy_text(q, 0, k->domain, sizeof(k->domain)) ||
	    !copy_text(q, 1, k->selector, sizeof(k->selector)) ||
	    !copy_text(q, 2, alg, sizeof(alg)) ||
	    !copy_text(q, 4, k->key_path, sizeof(k->key_path)) ||
	    !copy_text(q, 5, state, sizeof(state)))
		return -EIO;
	if ((a = store_dkim_alg_parse(alg)) < 0 || (s = store_dkim_state_parse(state)) < 0)
		return -EIO;
	k->algorithm = (enum store_dkim_alg)a;
	k->state = (enum store_dkim_state)s;
	k->bits = sqlite3_column_int(q, 3);
	k->created = sqlite3_column_int64(q, 6);
	k->activated = sqlite3_column_int64(q, 7);
	k->retire_at = sqlite3_column_int64(q, 8);
	return 0;
}

static int sq_dkim_add(struct store *st, const struct store_dkim_key *k)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = NULL;
	int rc;

	lock(s);
	rc = prepare(s,
		     "INSERT INTO dkim_keys (domain, selector, algorithm, bits, key_path, state,"
		     " created, activated, retire_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		     &q);
	if (rc == 0) {
		sqlite3_bind_text(q, 1, k->domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, k->selector, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, store_dkim_alg_name(k->algorithm), -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 4, k->bits);
		sqlite3_bind_text(q, 5, k->key_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, store_dkim_state_name(k->state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, k->created);
		sqlite3_bind_int64(q, 8, k->activated);
		sqlite3_bind_int64(q, 9, k->retire_at);
		rc = run(q);
	}
	sqlite3_finalize(q);
	unlock(s);
	return rc;
}

static int sq_dkim_get(struct store *st, const char *domain, const char *selector,
		       struct store_dkim_key *out)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = NULL;
	int rc;

	lock(s);
	rc = prepare(s, KEY_COLUMNS " WHERE domain = ?1 AND selector = ?2", &q);
	if (rc == 0) {
		sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, selector, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			rc = read_key(q, out);
		else
			rc = rc == SQLITE_DONE ? -ENOENT : errno_of(rc);
	}
	sqlite3_finalize(q);
	unlock(s);
	return rc;
}

static int sq_dkim_list(struct store *st, const char *domain,
			int (*cb)(const struct store_dkim_key *k, void *ctx), void *ctx)
{
	struct sqlite_store *s = backend(st);
	struct store_dkim_key *v = NULL;
	sqlite3_stmt *q = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* Rows are collected under the lock and handed out after it, so cb may use the store.
	 * A domain has a handful of keys and an installation a few per domain: read at once. */
	lock(s);
	rc = prepare(s,
		     domain != NULL ? KEY_COLUMNS " WHERE domain = ?1 ORDER BY created, selector"
				    : KEY_COLUMNS " ORDER BY domain, created, selector",
		     &q);
	if (rc == 0) {
		if (domain != NULL)
			sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			if (!grow((void **)&v, &cap, n, sizeof(*v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			if (read_key(q, &v[n]) < 0) {
				rc = SQLITE_IOERR;
				break;
			}
			n++;
		}
		rc = rc == SQLITE_DONE ? 0 : errno_of(rc);
	}
	sqlite3_finalize(q);
	unlock(s);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = cb(&v[i], ctx);
	free(v);
	return rc;
}

static int sq_dkim_set_state(struct store *st, const char *domain, const char *selector,
			     enum store_dkim_state state, int64_t activated, int64_t retire_at)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = NULL;
	int rc;

	lock(s);
	rc = prepare(s,
		     "UPDATE dkim_keys SET state = ?3,"
		     " activated = CASE WHEN ?4 < 0 THEN activated ELSE ?4 END,"
		     " retire_at = CASE WHEN ?5 < 0 THEN retire_at ELSE ?5 END"
		     " WHERE domain = ?1 AND selector = ?2",
		     &q);
	if (rc == 0) {
		sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, selector, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, store_dkim_state_name(state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, activated);
		sqlite3_bind_int64(q, 5, retire_at);
		rc = change_user(s, q); /* no row changed: no such key */
	}
	sqlite3_finalize(q);
	unlock(s);
	return rc;
}

static int sq_dkim_remove(struct store *st, const char *domain, const char *selector)
{
	struct sqlite_store *s = backend(st);
	sqlite3_stmt *q = NULL;
	int rc;

	lock(s);
	rc = prepare(s, "DELETE FROM dkim_keys WHERE domain = ?1 AND selector = ?2", &q);
	if (rc == 0) {
		sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, selector, -1, SQLITE_STATIC);
		rc = change_user(s, q);
	}
	sqlite3_finalize(q);
	unlock(s);
	return rc;
}

const struct store_dkim_ops sqlite_dkim_ops = {
	.add = sq_dkim_add,
	.get = sq_dkim_get,
	.list = sq_dkim_list,
	.set_state = sq_dkim_set_state,
	.remove = sq_dkim_remove,
};
