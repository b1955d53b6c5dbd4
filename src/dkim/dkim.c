/*
 * dkim.c - DKIM keys on disk, their DNS records, and the signer (see dkim.h).
 *
 * Keys are generated with OpenSSL's EVP_PKEY_Q_keygen, written and read as PEM (PKCS#8 on
 * writing). rsa-sha256 signs through EVP_DigestSign (RSASSA-PKCS1-v1_5 with SHA-256 over the
 * signing input); ed25519-sha256 (RFC 8463) is pure Ed25519 over the SHA-256 of the signing
 * input, signed with libsodium from the key's seed. The signer loads each key once; each
 * signature gets its own EVP_MD_CTX (a copy of the key's), so any number of threads sign with
 * one signer at once (the keys are shared read-only).
 *
 * A key file is written beside its final name (mkstemp, umask 077, then fchmod 0600), synced,
 * and linked into place: a crash leaves either no key or a whole one, and an existing key is
 * never replaced.
 */
#include "dkim/dkim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/base64.h"
#include "lib/fs.h"
#include "lib/log.h"

#define ED25519_RAW	32  /* octets of an Ed25519 public key */
#define SIG_MAX		512 /* octets of an RSA-4096 signature, the largest we make */
#define DOMAINKEY	"._domainkey."
#define KEY_DIR		"dkim"
#define KEY_SUFFIX	".pem"
#define KEY_TYPE_ADVICE "DKIM keys are RSA of 2048 to 4096 bits, or Ed25519"

/* ---- OpenSSL helpers ------------------------------------------------------------------- */

/* The reason of OpenSSL's latest error (or "unknown error"); clears the thread's queue. */
static const char *ossl_reason(char *out, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(out, size, "%s", r != NULL ? r : "unknown error");
	ERR_clear_error();
	return out;
}

struct pass_ctx {
	bool asked; /* the file is encrypted: OpenSSL asked for a passphrase */
};

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	struct pass_ctx *p = u;

	(void)buf;
	(void)size;
	(void)rwflag;
	p->asked = true;
	return -1;
}

/* What kind of DKIM key pk is: 0 with *alg and *bits, or -EINVAL with err. */
static int key_kind(EVP_PKEY *pk, const char *path, enum store_dkim_alg *alg, int *bits, char *err,
		    size_t errlen)
{
	if (EVP_PKEY_is_a(pk, "ED25519")) {
		*alg = STORE_DKIM_ED25519;
		*bits = 0;
		return 0;
	}
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		const char *type = EVP_PKEY_get0_type_name(pk);
		err_printf(err, errlen, "%s holds a %s key; " KEY_TYPE_ADVICE, path,
			   type != NULL ? type : "unknown");
		return -EINVAL;
	}
	*alg = STORE_DKIM_RSA;
	*bits = EVP_PKEY_get_bits(pk);
	if (*bits < STORE_DKIM_RSA_MIN) {
		err_printf(err, errlen,
			   "%s holds an RSA key of %d bits, too short to be safe: DKIM keys have "
			   "%d bits at least (RFC 8301); make a new one with 'tern dkim keygen'",
			   path, *bits, STORE_DKIM_RSA_MIN);
		return -EINVAL;
	}
	if (*bits > STORE_DKIM_RSA_MAX) {
		err_printf(
			err, errlen,
			"%s holds an RSA key of %d bits; verifiers need not accept more than "
			"%d (RFC 8301), so tern does not use it; make one with 'tern dkim keygen'",
			path, *bits, STORE_DKIM_RSA_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Reads the PEM private key at path: 0 with *out (the caller frees it), or -errno with err. */
static int load_key(const char *path, EVP_PKEY **out, enum store_dkim_alg *alg, int *bits,
		    char *err, size_t errlen)
{
	struct pass_ctx pass = { false };
	char why[160];
	EVP_PKEY *pk = NULL;
	BIO *bio;
	int rc;

	*out = NULL;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		rc = errno != 0 ? -errno : -EIO;
		ERR_clear_error();
		err_printf(err, errlen, "cannot read key file %s: %s", path, strerror(-rc));
		return rc;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &pass);
	BIO_free(bio);
	if (pk == NULL && pass.asked) {
		ERR_clear_error();
		err_printf(err, errlen,
			   "%s is encrypted; tern needs it unencrypted: 'openssl pkey -in %s -out "
			   "plain.pem' writes such a copy",
			   path, path);
		return -EINVAL;
	}
	if (pk == NULL) {
		err_printf(err, errlen,
			   "%s holds no PEM private key (%s); give a file that begins with "
			   "'-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'",
			   path, ossl_reason(why, sizeof(why)));
		return -EINVAL;
	}
	if ((rc = key_kind(pk, path, alg, bits, err, errlen)) < 0) {
		EVP_PKEY_free(pk);
		return rc;
	}
	*out = pk;
	return 0;
}

/* ---- keys on disk ---------------------------------------------------------------------- */

int dkim_key_prepare_path(const char *data_dir, const char *domain, const char *selector, char *out,
			  size_t size, char *err, size_t errlen)
{
	char top[PATH_MAX], dir[PATH_MAX], abs[PATH_MAX];
	int n;

	if ((size_t)snprintf(top, sizeof(top), "%s/%s", data_dir, KEY_DIR) >= sizeof(top) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/%s", top, domain) >= sizeof(dir)) {
		err_printf(err, errlen, "the path of the key directory under %s is too long",
			   data_dir);
		return -ENAMETOOLONG;
	}
	/* Each made on its own, so that both get 0700 (fs_mkdir_p gives the last one 0700). */
	if (fs_mkdir_p(top, "DKIM key directory", err, errlen) < 0 ||
	    fs_mkdir_p(dir, "DKIM key directory", err, errlen) < 0)
		return errno != 0 ? -errno : -EIO;
	if (realpath(dir, abs) == NULL) {
		int e = errno;
		err_printf(err, errlen, "cannot find %s: %s", dir, strerror(e));
		return -e;
	}
	n = snprintf(out, size, "%s/%s%s", abs, selector, KEY_SUFFIX);
	if (n < 0 || (size_t)n >= size) {
		err_printf(err, errlen, "the path of the key file in %s is too long", abs);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Writes pk to path as PEM PKCS#8, 0600, durably, never over an existing file. */
static int write_key(EVP_PKEY *pk, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX], why[160];
	BIO *bio = NULL;
	mode_t old;
	int fd = -1, rc = -EIO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		err_printf(err, errlen, "the key file's path %s is too long", path);
		return -ENAMETOOLONG;
	}
	if (access(path, F_OK) == 0) {
		err_printf(err, errlen, "%s exists already; remove it or choose another selector",
			   path);
		return -EEXIST;
	}
	old = umask(077);
	fd = mkstemp(tmp);
	umask(old);
	if (fd < 0) {
		rc = -errno;
		err_printf(err, errlen, "cannot create a key file beside %s: %s", path,
			   strerror(errno));
		return rc;
	}
	if (fchmod(fd, 0600) < 0) {
		rc = -errno;
		err_printf(err, errlen, "cannot make %s private: %s", tmp, strerror(errno));
		goto fail;
	}
	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    BIO_flush(bio) != 1) {
		err_printf(err, errlen, "cannot write the key to %s: %s", tmp,
			   ossl_reason(why, sizeof(why)));
		goto fail;
	}
	BIO_free(bio);
	bio = NULL;
	if (fsync(fd) < 0) {
		rc = -errno;
		err_printf(err, errlen, "cannot write the key to %s: %s", tmp, strerror(errno));
		goto fail;
	}
	rc = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (rc < 0) {
		err_printf(err, errlen, "cannot write the key to %s: %s", tmp, strerror(-rc));
		goto fail;
	}
	rc = -EIO;
	/* link() fails when path exists: a key that appeared meanwhile is kept. */
	if (link(tmp, path) < 0) {
		rc = -errno;
		err_printf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto fail;
	}
	(void)unlink(tmp);
	if (fs_sync_parent(path) < 0) {
		rc = -errno;
		err_printf(err, errlen, "cannot make %s durable: %s", path, strerror(errno));
		(void)unlink(path);
		return rc;
	}
	return 0;
fail:
	BIO_free(bio);
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return rc;
}

int dkim_key_generate(enum store_dkim_alg alg, int bits, const char *path, char *err, size_t errlen)
{
	char why[160];
	EVP_PKEY *pk = NULL;
	int rc;

	if (alg == STORE_DKIM_RSA && (bits < STORE_DKIM_RSA_MIN || bits > STORE_DKIM_RSA_MAX)) {
		err_printf(err, errlen, "RSA keys have %d to %d bits, not %d", STORE_DKIM_RSA_MIN,
			   STORE_DKIM_RSA_MAX, bits);
		return -EINVAL;
	}
	if (alg != STORE_DKIM_RSA && alg != STORE_DKIM_ED25519) {
		err_printf(err, errlen, KEY_TYPE_ADVICE);
		return -EINVAL;
	}
	if (access(path, F_OK) == 0) {
		err_printf(err, errlen, "%s exists already; remove it or choose another selector",
			   path);
		return -EEXIST;
	}
	if (alg == STORE_DKIM_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL) {
		err_printf(err, errlen, "cannot generate a key: %s", ossl_reason(why, sizeof(why)));
		return -EIO;
	}
	rc = write_key(pk, path, err, errlen);
	EVP_PKEY_free(pk);
	return rc;
}

int dkim_key_import(const char *from, const char *path, enum store_dkim_alg *alg, int *bits,
		    char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	int rc;

	if ((rc = load_key(from, &pk, alg, bits, err, errlen)) < 0)
		return rc;
	rc = write_key(pk, path, err, errlen);
	EVP_PKEY_free(pk);
	return rc;
}

int dkim_key_inspect(const char *path, enum store_dkim_alg *alg, int *bits, char *err,
		     size_t errlen)
{
	EVP_PKEY *pk = NULL;
	int rc = load_key(path, &pk, alg, bits, err, errlen);

	EVP_PKEY_free(pk);
	return rc;
}

/* ---- the DNS record --------------------------------------------------------------------- */

/* Appends "v=DKIM1; k=...; p=BASE64" for pk to out. */
static int txt_value(EVP_PKEY *pk, enum store_dkim_alg alg, struct buf *out)
{
	unsigned char raw[ED25519_RAW], *der = NULL;
	const unsigned char *pub = raw;
	size_t len = sizeof(raw);
	char *b64 = NULL;
	int n, rc = -EIO;

	if (alg == STORE_DKIM_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 || len != ED25519_RAW)
			goto done;
	} else {
		if ((n = i2d_PUBKEY(pk, &der)) <= 0)
			goto done;
		pub = der;
		len = (size_t)n;
	}
	if ((b64 = malloc(BASE64_ENCODED_SIZE(len))) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	base64_encode(pub, len, b64);
	rc = buf_printf(out, "v=DKIM1; k=%s; p=%s", store_dkim_alg_name(alg), b64) ? 0 : -ENOMEM;
done:
	ERR_clear_error();
	OPENSSL_free(der);
	free(b64);
	return rc;
}

int dkim_txt_value(const char *path, struct buf *out, char *err, size_t errlen)
{
	enum store_dkim_alg alg;
	EVP_PKEY *pk = NULL;
	int bits, rc;

	if ((rc = load_key(path, &pk, &alg, &bits, err, errlen)) < 0)
		return rc;
	if ((rc = txt_value(pk, alg, out)) < 0)
		err_printf(err, errlen, "cannot encode the public key of %s: %s", path,
			   strerror(-rc));
	EVP_PKEY_free(pk);
	return rc;
}

bool dkim_txt_name(const char *domain, const char *selector, struct buf *out)
{
	return buf_printf(out, "%s" DOMAINKEY "%s.", selector, domain);
}

size_t dkim_txt_strings(size_t value_len)
{
	return value_len == 0 ? 1 : (value_len + DKIM_TXT_STRING_MAX - 1) / DKIM_TXT_STRING_MAX;
}

bool dkim_txt_record(const char *domain, const char *selector, const char *value, struct buf *out)
{
	size_t len = strlen(value), n = dkim_txt_strings(len);
	bool ok = dkim_txt_name(domain, selector, out) && buf_append_str(out, "  IN TXT (");

	for (size_t i = 0; ok && i < n; i++) {
		size_t at = i * DKIM_TXT_STRING_MAX,
		       part = len - at < DKIM_TXT_STRING_MAX ? len - at : DKIM_TXT_STRING_MAX;
		ok = buf_append_str(out, " \"") && buf_append(out, value + at, part) &&
		     buf_append_byte(out, '"');
	}
	return ok && buf_append_str(out, " )");
}

/* ---- signing ---------------------------------------------------------------------------- */

struct signer_key {
	char domain[STORE_DKIM_DOMAIN_MAX + 1];
	char selector[STORE_DKIM_SELECTOR_MAX + 1];
	enum store_dkim_alg alg;
	int bits;
	int64_t activated, created;
	char path[STORE_DKIM_PATH_MAX + 1];
	EVP_PKEY *pkey; /* read-only once loaded */
	/* RSA: initialised for signing once at load; each signature signs with a copy (setting
	 * up a context fetches the algorithm from OpenSSL's provider tables under a lock). */
	EVP_MD_CTX *tmpl;
	/* Ed25519: the expanded secret key for libsodium, which signs about 1.6 times as fast
	 * as OpenSSL 3.0 on x86-64. Ed25519 signatures are deterministic: the same bytes either
	 * way (the RFC 8463 vector test checks it). */
	uint8_t ed_sk[crypto_sign_ed25519_SECRETKEYBYTES];
};

struct dkim_signer {
	struct signer_key *keys; /* sorted by domain, then algorithm (RSA first) */
	size_t n, cap;
	enum dkim_canon header_canon, body_canon;
	EVP_MD *sha256; /* fetched once: no implicit fetch per signature */
};

static int key_order(const void *a, const void *b)
{
	const struct signer_key *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c != 0 ? c : (int)x->alg - (int)y->alg;
}

/* store_dkim_list's callback: keeps each active key, one per domain and algorithm. The list
 * comes by domain, so a key kept for the same domain is among the last ones. */
static int collect_active(const struct store_dkim_key *k, void *ctx)
{
	struct dkim_signer *s = ctx;
	struct signer_key *have = NULL;

	if (k->state != STORE_DKIM_ACTIVE)
		return 0;
	for (size_t i = s->n; i > 0 && strcmp(s->keys[i - 1].domain, k->domain) == 0; i--)
		if (s->keys[i - 1].alg == k->algorithm)
			have = &s->keys[i - 1];
	if (have != NULL && (have->activated > k->activated ||
			     (have->activated == k->activated && have->created >= k->created)))
		return 0; /* the one we have was activated later: it signs */
	if (have == NULL) {
		if (s->n == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 8;
			struct signer_key *v = realloc(s->keys, ncap * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			s->keys = v;
			s->cap = ncap;
		}
		have = &s->keys[s->n++];
	}
	memset(have, 0, sizeof(*have));
	memcpy(have->domain, k->domain, sizeof(have->domain));
	memcpy(have->selector, k->selector, sizeof(have->selector));
	memcpy(have->path, k->key_path, sizeof(have->path));
	have->alg = k->algorithm;
	have->bits = k->bits;
	have->activated = k->activated;
	have->created = k->created;
	return 0;
}

/* k's signing context, ready for EVP_DigestSign: Ed25519 (pure) takes no digest here (RFC
 * 8463: it signs the SHA-256 of the signing input, made by the caller), RSA SHA-256. NULL with
 * OpenSSL's error queue holding why. */
static EVP_MD_CTX *sign_template(const struct dkim_signer *s, const struct signer_key *k)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, s->sha256, NULL, k->pkey) == 1)
		return ctx;
	EVP_MD_CTX_free(ctx);
	return NULL;
}

/* k's key made ready to sign: true, or false with OpenSSL's error queue holding why. */
static bool sign_setup(const struct dkim_signer *s, struct signer_key *k)
{
	uint8_t seed[crypto_sign_ed25519_SEEDBYTES], pk[crypto_sign_ed25519_PUBLICKEYBYTES];
	size_t len = sizeof(seed);
	bool ok;

	if (k->alg != STORE_DKIM_ED25519)
		return (k->tmpl = sign_template(s, k)) != NULL;
	ok = EVP_PKEY_get_raw_private_key(k->pkey, seed, &len) == 1 && len == sizeof(seed) &&
	     crypto_sign_ed25519_seed_keypair(pk, k->ed_sk, seed) == 0;
	sodium_memzero(seed, sizeof(seed));
	return ok;
}

struct dkim_signer *dkim_signer_load(struct store *st, char *err, size_t errlen)
{
	struct dkim_signer *s = calloc(1, sizeof(*s));
	char why[160];
	int rc;

	if (s == NULL) {
		err_printf(err, errlen, "cannot load the DKIM keys: out of memory");
		return NULL;
	}
	s->header_canon = DKIM_CANON_RELAXED;
	s->body_canon = DKIM_CANON_RELAXED;
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		err_printf(err, errlen,
			   "OpenSSL has no SHA-256: %s; check the OpenSSL installation",
			   ossl_reason(why, sizeof(why)));
		goto fail;
	}
	if ((rc = store_dkim_list(st, NULL, collect_active, s)) != 0) {
		err_printf(err, errlen, "cannot read the DKIM keys from the store: %s",
			   strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct signer_key *k = &s->keys[i];
		enum store_dkim_alg alg;
		char why_key[1400];
		int bits;

		rc = load_key(k->path, &k->pkey, &alg, &bits, why_key, sizeof(why_key));
		if (rc == 0 && (alg != k->alg || (alg == STORE_DKIM_RSA && bits != k->bits))) {
			snprintf(why_key, sizeof(why_key),
				 "%s holds an %s key of %d bits but the store lists %s of %d",
				 k->path, store_dkim_alg_name(alg), bits,
				 store_dkim_alg_name(k->alg), k->bits);
			rc = -EINVAL;
		}
		if (rc == 0 && !sign_setup(s, k)) {
			snprintf(why_key, sizeof(why_key), "OpenSSL cannot sign with it: %s",
				 ossl_reason(why, sizeof(why)));
			rc = -EINVAL;
		}
		if (rc < 0) {
			err_printf(err, errlen,
				   "cannot load the DKIM key %s/%s: %s; restore the file, or "
				   "remove the key with 'tern dkim remove %s %s'",
				   k->domain, k->selector, why_key, k->domain, k->selector);
			goto fail;
		}
	}
	if (s->n > 1)
		qsort(s->keys, s->n, sizeof(*s->keys), key_order);
	return s;
fail:
	dkim_signer_free(s);
	return NULL;
}

void dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		EVP_MD_CTX_free(s->keys[i].tmpl);
		EVP_PKEY_free(s->keys[i].pkey);
		sodium_memzero(s->keys[i].ed_sk, sizeof(s->keys[i].ed_sk));
	}
	free(s->keys);
	EVP_MD_free(s->sha256);
	free(s);
}

void dkim_signer_set_canon(struct dkim_signer *s, enum dkim_canon header, enum dkim_canon body)
{
	s->header_canon = header;
	s->body_canon = body;
}

size_t dkim_signer_count(const struct dkim_signer *s)
{
	return s != NULL ? s->n : 0;
}

/* The first key of domain (sorted array) and how many it has. */
static const struct signer_key *find_keys(const struct dkim_signer *s, const char *domain,
					  size_t *count)
{
	size_t lo = 0, hi = s->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->keys[mid].domain, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < s->n && strcmp(s->keys[end].domain, domain) == 0; end++)
		;
	*count = end - lo;
	return *count > 0 ? &s->keys[lo] : NULL;
}

bool dkim_signer_has(const struct dkim_signer *s, const char *domain)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1];
	size_t count = 0;

	if (s == NULL || !store_dkim_domain_norm(domain, d))
		return false;
	return find_keys(s, d, &count) != NULL;
}

/* One signature over input with k: 0 with sig[*sig_len], or -errno. */
static int sign_input(const struct dkim_signer *s, const struct signer_key *k,
		      const struct buf *input, uint8_t sig[SIG_MAX], size_t *sig_len)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t hash[EVP_MAX_MD_SIZE];
	unsigned hash_len = 0;
	unsigned long long ed_len = 0;
	int rc = -EIO;

	if (k->alg == STORE_DKIM_ED25519) {
		/* RFC 8463: Ed25519 (pure) signs the SHA-256 of the signing input. */
		if (EVP_Digest(input->data, input->len, hash, &hash_len, s->sha256, NULL) != 1 ||
		    crypto_sign_ed25519_detached(sig, &ed_len, hash, hash_len, k->ed_sk) != 0)
			goto done;
		*sig_len = (size_t)ed_len;
		rc = 0;
		goto done;
	}
	/* A copy of the key's template: the contexts of concurrent signatures share nothing. */
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	*sig_len = SIG_MAX;
	if (EVP_MD_CTX_copy_ex(ctx, k->tmpl) != 1 ||
	    EVP_DigestSign(ctx, sig, sig_len, input->data, input->len) != 1)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* desc = "none (no key for DOMAIN)", the domain's control and non-ASCII octets as '?'. */
static void describe_none(const char *domain, char *desc, size_t desclen)
{
	int n = snprintf(desc, desclen, "none (no key for %s)", domain);

	for (int i = 0; n > 0 && (size_t)i < desclen && desc[i] != '\0'; i++)
		if ((unsigned char)desc[i] < 0x20 || (unsigned char)desc[i] > 0x7e)
			desc[i] = '?';
}

int dkim_sign(const struct dkim_signer *s, const char *domain, const uint8_t *msg, size_t len,
	      int64_t now, int64_t expire_s, struct buf *out, char *desc, size_t desclen)
{
	char d[STORE_DKIM_DOMAIN_MAX + 1];
	struct buf fields = BUF_INIT, field = BUF_INIT, input = BUF_INIT, canon = BUF_INIT;
	uint8_t bh[EVP_MAX_MD_SIZE];
	unsigned bh_len = 0;
	const uint8_t *body = NULL;
	size_t body_off = 0, body_len = 0;
	const struct signer_key *keys = NULL;
	uint8_t sig[SIG_MAX];
	size_t count = 0, sig_len, used = 0;
	int rc = -EINVAL, made = 0;

	if (desc != NULL && desclen > 0)
		desc[0] = '\0';
	if (s == NULL || domain == NULL || out == NULL || (msg == NULL && len > 0) || now < 0)
		return -EINVAL;
	if (store_dkim_domain_norm(domain, d))
		keys = find_keys(s, d, &count);
	if (keys == NULL) {
		if (desc != NULL && desclen > 0)
			describe_none(domain, desc, desclen);
		return 0;
	}
	/* One body hash serves every signature, made with OpenSSL's SHA-256 (which uses the CPU's
	 * SHA instructions; the canonical body itself comes from proto/dkim_canon). Most bodies
	 * are canonical already but for their trailing empty lines: hashed where they lie. */
	if (dkim_body_slice(msg, len, s->body_canon, &body_off, &body_len)) {
		body = msg + body_off;
	} else if (dkim_canon_body(msg, len, s->body_canon, &canon)) {
		body = canon.data;
		body_len = canon.len;
	} else {
		rc = -ENOMEM;
		goto done;
	}
	if (EVP_Digest(body != NULL ? body : (const uint8_t *)"", body_len, bh, &bh_len, s->sha256,
		       NULL) != 1) {
		rc = -ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		const struct signer_key *k = &keys[i];
		struct dkim_params p = {
			.alg = k->alg == STORE_DKIM_ED25519 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256,
			.header_canon = s->header_canon,
			.body_canon = s->body_canon,
			.domain = k->domain,
			.selector = k->selector,
			.timestamp = now,
			.expire = expire_s > 0 ? now + expire_s : 0,
			.body_hash = bh,
		};

		buf_reset(&field);
		buf_reset(&input);
		if (!dkim_prepare(msg, len, &p, &field, &input)) {
			rc = -EINVAL;
			goto done;
		}
		if ((rc = sign_input(s, k, &input, sig, &sig_len)) < 0)
			goto done;
		if (!dkim_finish(&field, sig, sig_len) ||
		    !buf_append(&fields, field.data, field.len)) {
			rc = -ENOMEM;
			goto done;
		}
		made++;
		if (desc != NULL && used < desclen) {
			int n = snprintf(desc + used, desclen - used, "%s%s/%s/%s", i ? "," : "",
					 k->domain, k->selector, dkim_alg_name(p.alg));
			used += n > 0 ? (size_t)n : 0;
		}
	}
	rc = buf_append(out, fields.data, fields.len) ? made : -ENOMEM;
done:
	if (rc < 0 && desc != NULL && desclen > 0)
		desc[0] = '\0';
	buf_free(&fields);
	buf_free(&field);
	buf_free(&canon);
	/* The signing input holds nothing secret, but is freed like the rest. */
	buf_free(&input);
	return rc;
}
