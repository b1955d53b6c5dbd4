/*
 * test_dkim.c - DKIM keys and signing: keys of both kinds written where and how they should be,
 * the DNS record a person publishes, signatures that OpenSSL verifies against the published key,
 * dual signing, no key, refusals (short RSA, other key types, bad names), the store's keys
 * table, concurrent signing, and the signing rates (printed, informational).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim/dkim.h"
#include "lib/base64.h"
#include "lib/buf.h"
#include "proto/dkim_canon.h"
#include "store/store.h"

#define NOW 1795428000 /* 2026-11-23T10:00:00Z */

static const char MSG[] = "From: App <app@example.com>\r\n"
			  "To: bob@example.net\r\n"
			  "Subject: Your receipt\r\n"
			  "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
			  "Message-ID: <r1@example.com>\r\n"
			  "\r\n"
			  "Thank you for your order.\r\n";

struct fixture {
	char dir[64];
	char db[128];
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
	char err[512] = "cannot make a temporary directory";

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/tern-dkim-XXXXXX");
	if (mkdtemp(f->dir) != NULL) {
		snprintf(f->db, sizeof(f->db), "%s/tern.db", f->dir);
		if (store_open_sqlite(f->db, &f->st, err, sizeof(err)) == 0) {
			*state = f;
			return 0;
		}
	}
	print_error("setup: %s\n", err);
	free(f);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Generates a key for domain/selector under the fixture's data dir and lists it in the store. */
static void add_key(struct fixture *f, const char *domain, const char *selector,
		    enum store_dkim_alg alg, int bits, enum store_dkim_state state,
		    int64_t activated, struct store_dkim_key *out)
{
	struct store_dkim_key k = { 0 };
	char err[600] = "";

	snprintf(k.domain, sizeof(k.domain), "%s", domain);
	snprintf(k.selector, sizeof(k.selector), "%s", selector);
	assert_int_equal(dkim_key_prepare_path(f->dir, domain, selector, k.key_path,
					       sizeof(k.key_path), err, sizeof(err)),
			 0);
	if (dkim_key_generate(alg, bits, k.key_path, err, sizeof(err)) != 0)
		fail_msg("generate: %s", err);
	k.algorithm = alg;
	k.bits = alg == STORE_DKIM_RSA ? bits : 0;
	k.state = state;
	k.created = NOW - 100;
	k.activated = activated;
	assert_int_equal(store_dkim_add(f->st, &k), 0);
	if (out != NULL)
		*out = k;
}

static struct dkim_signer *load(struct fixture *f)
{
	char err[600] = "";
	struct dkim_signer *s = dkim_signer_load(f->st, err, sizeof(err));

	if (s == NULL)
		fail_msg("signer: %s", err);
	return s;
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s = calloc(1, 65536);

	assert_non_null(fp);
	assert_true(fread(s, 1, 65535, fp) > 0);
	fclose(fp);
	return s;
}

static int mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (int)(sb.st_mode & 0777);
}

/* ---- keys on disk ------------------------------------------------------------------------ */

static void keys_of_both_kinds_are_pkcs8_files_only_the_owner_reads(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key rsa, ed;
	enum store_dkim_alg alg;
	char path[512], err[600];
	int bits;
	char *pem;

	add_key(f, "example.com", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, &rsa);
	add_key(f, "example.com", "sel2", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, &ed);

	snprintf(path, sizeof(path), "%s/dkim/example.com/sel1.pem", f->dir);
	assert_non_null(strstr(rsa.key_path, "/dkim/example.com/sel1.pem"));
	assert_true(rsa.key_path[0] == '/');
	assert_int_equal(mode_of(rsa.key_path), 0600);
	assert_int_equal(mode_of(ed.key_path), 0600);
	snprintf(path, sizeof(path), "%s/dkim", f->dir);
	assert_int_equal(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/dkim/example.com", f->dir);
	assert_int_equal(mode_of(path), 0700);

	pem = read_file(rsa.key_path);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
	free(pem);
	pem = read_file(ed.key_path);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	free(pem);

	assert_int_equal(dkim_key_inspect(rsa.key_path, &alg, &bits, err, sizeof(err)), 0);
	assert_int_equal(alg, STORE_DKIM_RSA);
	assert_int_equal(bits, 2048);
	assert_int_equal(dkim_key_inspect(ed.key_path, &alg, &bits, err, sizeof(err)), 0);
	assert_int_equal(alg, STORE_DKIM_ED25519);
	assert_int_equal(bits, 0);

	/* an existing key is never replaced */
	assert_int_equal(dkim_key_generate(STORE_DKIM_ED25519, 0, rsa.key_path, err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(dkim_key_inspect(rsa.key_path, &alg, &bits, err, sizeof(err)), 0);
	assert_int_equal(alg, STORE_DKIM_RSA);
}

static void generate_refuses_rsa_sizes_outside_2048_to_4096(void **state)
{
	struct fixture *f = *state;
	char path[512], err[600] = "";

	snprintf(path, sizeof(path), "%s/short.pem", f->dir);
	assert_int_equal(dkim_key_generate(STORE_DKIM_RSA, 1024, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2048"));
	assert_int_equal(dkim_key_generate(STORE_DKIM_RSA, 8192, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(access(path, F_OK), -1);
}

/* Writes a key OpenSSL makes (of a kind tern does not make) as PEM to path. */
static void write_foreign_key(const char *path, EVP_PKEY *pk, bool traditional)
{
	BIO *bio = BIO_new_file(path, "w");

	assert_non_null(bio);
	assert_non_null(pk);
	if (traditional)
		assert_int_equal(
			PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL),
			1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL), 1);
	BIO_free(bio);
	EVP_PKEY_free(pk);
}

static void import_refuses_short_rsa_and_other_key_types(void **state)
{
	struct fixture *f = *state;
	char src[512], dst[512], err[600] = "";
	enum store_dkim_alg alg;
	int bits = -1;
	FILE *fp;

	snprintf(dst, sizeof(dst), "%s/dst.pem", f->dir);

	snprintf(src, sizeof(src), "%s/rsa1024.pem", f->dir);
	write_foreign_key(src, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), false);
	assert_int_equal(dkim_key_import(src, dst, &alg, &bits, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1024 bits"));
	assert_non_null(strstr(err, "2048"));
	assert_int_equal(access(dst, F_OK), -1);

	snprintf(src, sizeof(src), "%s/p256.pem", f->dir);
	write_foreign_key(src, EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), false);
	assert_int_equal(dkim_key_import(src, dst, &alg, &bits, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "EC key"));

	snprintf(src, sizeof(src), "%s/not-a-key.pem", f->dir);
	fp = fopen(src, "w");
	fputs("hello\n", fp);
	fclose(fp);
	assert_int_equal(dkim_key_import(src, dst, &alg, &bits, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no PEM private key"));

	snprintf(src, sizeof(src), "%s/missing.pem", f->dir);
	assert_int_equal(dkim_key_import(src, dst, &alg, &bits, err, sizeof(err)), -ENOENT);
	assert_int_equal(access(dst, F_OK), -1);

	/* the traditional "BEGIN RSA PRIVATE KEY" form of a 2048-bit key is fine: PKCS#8 out */
	snprintf(src, sizeof(src), "%s/rsa2048.pem", f->dir);
	write_foreign_key(src, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), true);
	assert_int_equal(dkim_key_import(src, dst, &alg, &bits, err, sizeof(err)), 0);
	assert_int_equal(alg, STORE_DKIM_RSA);
	assert_int_equal(bits, 2048);
	assert_int_equal(mode_of(dst), 0600);
	char *pem = read_file(dst);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	free(pem);
}

/* ---- the DNS record ---------------------------------------------------------------------- */

/* The p= of a value, decoded. */
static size_t p_of(const char *value, uint8_t *out, size_t size)
{
	const char *p = strstr(value, "; p=");
	size_t n = 0;

	assert_non_null(p);
	p += 4;
	assert_true(BASE64_DECODED_MAX(strlen(p)) <= size);
	assert_true(base64_decode(p, strlen(p), out, &n));
	return n;
}

static EVP_PKEY *private_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *pk;

	assert_non_null(fp);
	pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(pk);
	return pk;
}

/* The public key as a verifier gets it: from the published p=. */
static EVP_PKEY *published_key(const char *value)
{
	uint8_t raw[1024];
	size_t n = p_of(value, raw, sizeof(raw));
	const uint8_t *p = raw;
	EVP_PKEY *pk;

	if (strstr(value, "k=ed25519") != NULL)
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
	else
		pk = d2i_PUBKEY(NULL, &p, (long)n);
	assert_non_null(pk);
	return pk;
}

/* The strings of a record line, joined; checks each is at most 255 octets. */
static void join_strings(const char *rec, char *out, size_t size, size_t *count)
{
	const char *p = strchr(rec, '(');
	size_t n = 0;

	*count = 0;
	assert_non_null(p);
	while ((p = strchr(p, '"')) != NULL) {
		const char *end = strchr(p + 1, '"');
		assert_non_null(end);
		assert_true((size_t)(end - p - 1) <= 255);
		assert_true(n + (size_t)(end - p - 1) < size);
		memcpy(out + n, p + 1, (size_t)(end - p - 1));
		n += (size_t)(end - p - 1);
		(*count)++;
		p = end + 1;
	}
	out[n] = '\0';
}

static void rsa_record_is_spki_split_into_255_octet_strings(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	struct buf v = BUF_INIT, rec = BUF_INIT;
	char err[600], joined[2048], *first;
	uint8_t der[1024];
	size_t count;
	EVP_PKEY *pub, *priv;

	add_key(f, "example.com", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, &k);
	assert_int_equal(dkim_txt_value(k.key_path, &v, err, sizeof(err)), 0);
	assert_true(strncmp(buf_cstr(&v), "v=DKIM1; k=rsa; p=MIIBIjAN", 26) == 0);
	assert_int_equal(p_of(buf_cstr(&v), der, sizeof(der)), 294); /* SPKI of RSA-2048 */
	assert_int_equal(v.len, 18 + 392);

	pub = published_key(buf_cstr(&v));
	priv = private_key(k.key_path);
	assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	assert_int_equal(EVP_PKEY_eq(pub, priv), 1);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);

	assert_true(dkim_txt_record(k.domain, k.selector, buf_cstr(&v), &rec));
	first = strstr(buf_cstr(&rec), "\"");
	assert_true(strncmp(buf_cstr(&rec), "sel1._domainkey.example.com.  IN TXT ( \"", 40) == 0);
	assert_non_null(first);
	assert_int_equal(strchr(first + 1, '"') - first - 1, 255); /* the first string is full */
	assert_true(strcmp(buf_cstr(&rec) + rec.len - 3, "\" )") == 0);
	join_strings(buf_cstr(&rec), joined, sizeof(joined), &count);
	assert_int_equal(count, 2);
	assert_string_equal(joined, buf_cstr(&v));

	assert_int_equal(dkim_txt_strings(0), 1);
	assert_int_equal(dkim_txt_strings(255), 1);
	assert_int_equal(dkim_txt_strings(256), 2);
	assert_int_equal(dkim_txt_strings(510), 2);
	assert_int_equal(dkim_txt_strings(511), 3);
	buf_free(&v);
	buf_free(&rec);
}

static void rsa_4096_record_takes_three_strings(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	struct buf v = BUF_INIT, rec = BUF_INIT;
	char err[600], joined[2048];
	size_t count;

	add_key(f, "example.com", "big", STORE_DKIM_RSA, 4096, STORE_DKIM_ACTIVE, NOW, &k);
	assert_int_equal(dkim_txt_value(k.key_path, &v, err, sizeof(err)), 0);
	assert_int_equal(v.len, 18 + 736);
	assert_true(dkim_txt_record(k.domain, k.selector, buf_cstr(&v), &rec));
	join_strings(buf_cstr(&rec), joined, sizeof(joined), &count);
	assert_int_equal(count, 3);
	assert_string_equal(joined, buf_cstr(&v));
	buf_free(&v);
	buf_free(&rec);
}

static void ed25519_record_is_the_raw_32_byte_key(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	struct buf v = BUF_INIT, rec = BUF_INIT;
	uint8_t raw[64], want[32];
	size_t want_len = sizeof(want);
	char err[600];
	EVP_PKEY *priv;

	add_key(f, "example.com", "ed1", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, &k);
	assert_int_equal(dkim_txt_value(k.key_path, &v, err, sizeof(err)), 0);
	assert_true(strncmp(buf_cstr(&v), "v=DKIM1; k=ed25519; p=", 22) == 0);
	assert_int_equal(v.len, 22 + 44);
	assert_int_equal(p_of(buf_cstr(&v), raw, sizeof(raw)), 32);
	priv = private_key(k.key_path);
	assert_int_equal(EVP_PKEY_get_raw_public_key(priv, want, &want_len), 1);
	assert_memory_equal(raw, want, 32);
	EVP_PKEY_free(priv);

	assert_true(dkim_txt_record(k.domain, k.selector, buf_cstr(&v), &rec));
	assert_non_null(strstr(buf_cstr(&rec), "ed1._domainkey.example.com.  IN TXT ( \"v=DKIM1; "
					       "k=ed25519; p="));
	assert_int_equal(strchr(buf_cstr(&rec), ')') - buf_cstr(&rec), (long)rec.len - 1);
	buf_free(&v);
	buf_free(&rec);
}

/* ---- signing ----------------------------------------------------------------------------- */

/* The fields of a signer's output, each without its final CRLF. */
static size_t split_fields(const struct buf *out, char fields[][4096], size_t max)
{
	const char *p = (const char *)out->data, *end = p + out->len;
	size_t n = 0;

	while (p < end) {
		const char *e = p;
		/* a field ends at a CRLF not followed by WSP */
		while (e + 1 < end && !(e[0] == '\r' && e[1] == '\n' &&
					(e + 2 == end || (e[2] != ' ' && e[2] != '\t'))))
			e++;
		assert_true(e + 1 < end); /* every field ends in CRLF */
		assert_true(n < max);
		assert_true((size_t)(e - p) < 4096);
		memcpy(fields[n], p, (size_t)(e - p));
		fields[n][e - p] = '\0';
		n++;
		p = e + 2;
	}
	return n;
}

/* The value of tag name ("a", "s", "x") in a field (folded or not), or "" */
static void tag(const char *field, const char *name, char *out, size_t size)
{
	char pat[16], flat[4096];
	const char *p;
	size_t n = 0;

	for (const char *c = field; *c != '\0' && n + 1 < sizeof(flat); c++)
		if (*c != '\r' && *c != '\n')
			flat[n++] = *c == '\t' ? ' ' : *c;
	flat[n] = '\0';
	snprintf(pat, sizeof(pat), " %s=", name);
	p = strstr(flat, pat);
	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(pat);
	n = strcspn(p, ";");
	snprintf(out, size, "%.*s", (int)n, p);
}

/* Verifies one signed field as a verifier would: the signing input recomputed with
 * dkim_prepare from the field's own tags, b= checked with the published key. */
static void verify_field(const char *field, const uint8_t *msg, size_t len, const char *key_path,
			 int64_t t, int64_t x)
{
	struct buf v = BUF_INIT, pf = BUF_INIT, input = BUF_INIT;
	char a[32], d[300], s[80], b64[2048], err[600];
	uint8_t sig[1024], hash[32];
	size_t sig_len = 0, bl = 0;
	unsigned hl = 0;
	const char *p;
	EVP_PKEY *pub;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	tag(field, "a", a, sizeof(a));
	tag(field, "d", d, sizeof(d));
	tag(field, "s", s, sizeof(s));
	struct dkim_params prm = {
		.alg = strcmp(a, "ed25519-sha256") == 0 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256,
		.header_canon = DKIM_CANON_RELAXED,
		.body_canon = DKIM_CANON_RELAXED,
		.domain = d,
		.selector = s,
		.timestamp = t,
		.expire = x,
	};
	assert_true(strcmp(a, "rsa-sha256") == 0 || strcmp(a, "ed25519-sha256") == 0);
	assert_true(dkim_prepare(msg, len, &prm, &pf, &input));
	/* the signed field is the prepared one with b= filled in */
	assert_int_equal(strncmp(field, buf_cstr(&pf), pf.len), 0);
	for (p = field + pf.len; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			b64[bl++] = *p;
	b64[bl] = '\0';
	assert_true(base64_decode(b64, bl, sig, &sig_len));

	assert_int_equal(dkim_txt_value(key_path, &v, err, sizeof(err)), 0);
	pub = published_key(buf_cstr(&v));
	if (prm.alg == DKIM_ED25519_SHA256) {
		assert_int_equal(sig_len, 64);
		assert_int_equal(EVP_Digest(input.data, input.len, hash, &hl, EVP_sha256(), NULL),
				 1);
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, hash, hl), 1);
	} else {
		assert_int_equal(sig_len, (size_t)EVP_PKEY_get_size(pub));
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, input.data, input.len), 1);
		/* and a changed input does not verify */
		EVP_MD_CTX_reset(ctx);
		input.data[0] ^= 1;
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
		assert_int_not_equal(EVP_DigestVerify(ctx, sig, sig_len, input.data, input.len), 1);
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
	buf_free(&v);
	buf_free(&pf);
	buf_free(&input);
}

static void an_rsa_signature_verifies_with_the_published_key(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	struct buf out = BUF_INIT;
	char desc[256], fields[4][4096], x[32];
	struct dkim_signer *s;

	add_key(f, "example.com", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, &k);
	s = load(f);
	assert_int_equal(dkim_signer_count(s), 1);
	assert_int_equal(dkim_sign(s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 1);
	assert_string_equal(desc, "example.com/sel1/rsa-sha256");
	assert_int_equal(split_fields(&out, fields, 4), 1);
	assert_true(strncmp(fields[0], "DKIM-Signature: v=1; a=rsa-sha256; ", 35) == 0);
	tag(fields[0], "c", x, sizeof(x));
	assert_string_equal(x, "relaxed/relaxed");
	tag(fields[0], "d", x, sizeof(x));
	assert_string_equal(x, "example.com");
	tag(fields[0], "s", x, sizeof(x));
	assert_string_equal(x, "sel1");
	tag(fields[0], "t", x, sizeof(x));
	assert_string_equal(x, "1795428000");
	tag(fields[0], "x", x, sizeof(x));
	assert_string_equal(x, ""); /* no expiry unless asked */
	verify_field(fields[0], (const uint8_t *)MSG, strlen(MSG), k.key_path, NOW, 0);
	buf_free(&out);
	dkim_signer_free(s);
}

static void an_ed25519_signature_verifies_and_x_is_set_when_asked(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	struct buf out = BUF_INIT;
	char desc[256], fields[4][4096], x[32];
	struct dkim_signer *s;

	add_key(f, "example.com", "ed1", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, &k);
	s = load(f);
	/* any case and a trailing dot find the domain */
	assert_int_equal(dkim_sign(s, "Example.COM.", (const uint8_t *)MSG, strlen(MSG), NOW, 86400,
				   &out, desc, sizeof(desc)),
			 1);
	assert_string_equal(desc, "example.com/ed1/ed25519-sha256");
	assert_int_equal(split_fields(&out, fields, 4), 1);
	tag(fields[0], "x", x, sizeof(x));
	assert_string_equal(x, "1795514400");
	verify_field(fields[0], (const uint8_t *)MSG, strlen(MSG), k.key_path, NOW, NOW + 86400);
	buf_free(&out);
	dkim_signer_free(s);
}

static void dual_signing_gives_two_fields_and_only_active_keys_sign(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key rsa, ed;
	struct buf out = BUF_INIT;
	char desc[256], fields[4][4096];
	struct dkim_signer *s;

	add_key(f, "example.com", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, &rsa);
	add_key(f, "example.com", "sel2", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, &ed);
	add_key(f, "example.com", "next", STORE_DKIM_RSA, 2048, STORE_DKIM_PENDING, 0, NULL);
	add_key(f, "example.com", "old", STORE_DKIM_ED25519, 0, STORE_DKIM_RETIRING, NOW - 50,
		NULL);
	add_key(f, "other.org", "a", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, NULL);
	s = load(f);
	assert_int_equal(dkim_signer_count(s), 3);
	assert_int_equal(dkim_sign(s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 2);
	assert_string_equal(desc, "example.com/sel1/rsa-sha256,example.com/sel2/ed25519-sha256");
	assert_int_equal(split_fields(&out, fields, 4), 2);
	verify_field(fields[0], (const uint8_t *)MSG, strlen(MSG), rsa.key_path, NOW, 0);
	verify_field(fields[1], (const uint8_t *)MSG, strlen(MSG), ed.key_path, NOW, 0);
	buf_free(&out);
	dkim_signer_free(s);
}

static void a_domain_without_a_key_is_not_signed(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	char desc[256];
	struct dkim_signer *s;

	s = load(f); /* no keys at all */
	assert_int_equal(dkim_signer_count(s), 0);
	assert_int_equal(dkim_sign(s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 0);
	assert_string_equal(desc, "none (no key for example.com)");
	dkim_signer_free(s);

	add_key(f, "example.com", "sel1", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, NULL);
	add_key(f, "pending.org", "p", STORE_DKIM_ED25519, 0, STORE_DKIM_PENDING, 0, NULL);
	s = load(f);
	assert_int_equal(dkim_sign(s, "other.org", (const uint8_t *)MSG, strlen(MSG), NOW, 0, &out,
				   desc, sizeof(desc)),
			 0);
	assert_string_equal(desc, "none (no key for other.org)");
	assert_int_equal(dkim_sign(s, "pending.org", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 0);
	assert_string_equal(desc, "none (no key for pending.org)");
	/* a subdomain is another domain */
	assert_int_equal(dkim_sign(s, "mail.example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 0);
	assert_int_equal(dkim_sign(s, "bad\r\ndomain", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 0);
	assert_string_equal(desc, "none (no key for bad??domain)");
	assert_int_equal(out.len, 0);
	assert_int_equal(dkim_sign(s, NULL, (const uint8_t *)MSG, strlen(MSG), NOW, 0, &out, desc,
				   sizeof(desc)),
			 -EINVAL);
	dkim_signer_free(s);
	buf_free(&out);
}

static void the_most_recently_activated_of_two_active_keys_signs(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	char desc[256];
	struct dkim_signer *s;

	add_key(f, "example.com", "new", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW - 10, NULL);
	add_key(f, "example.com", "old", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW - 999, NULL);
	s = load(f);
	assert_int_equal(dkim_signer_count(s), 1);
	assert_int_equal(dkim_sign(s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &out, desc, sizeof(desc)),
			 1);
	assert_string_equal(desc, "example.com/new/rsa-sha256");
	dkim_signer_free(s);
	buf_free(&out);
}

static void a_missing_key_file_stops_the_load_with_advice(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	char err[600] = "";

	add_key(f, "example.com", "sel1", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, &k);
	assert_int_equal(unlink(k.key_path), 0);
	assert_null(dkim_signer_load(f->st, err, sizeof(err)));
	assert_non_null(strstr(err, k.key_path));
	assert_non_null(strstr(err, "tern dkim remove example.com sel1"));
}

/* ---- concurrent signing ------------------------------------------------------------------- */

struct worker {
	const struct dkim_signer *s;
	const char *want; /* the output every call must give (deterministic signatures) */
	int bad;
};

static void *sign_many(void *arg)
{
	struct worker *w = arg;
	struct buf out = BUF_INIT;
	char desc[256];

	for (int i = 0; i < 40; i++) {
		buf_reset(&out);
		if (dkim_sign(w->s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0, &out,
			      desc, sizeof(desc)) != 2 ||
		    strcmp(buf_cstr(&out), w->want) != 0)
			w->bad++;
	}
	buf_free(&out);
	return NULL;
}

static void threads_sign_with_one_signer_at_once(void **state)
{
	struct fixture *f = *state;
	struct buf want = BUF_INIT;
	struct worker w[6];
	pthread_t th[6];
	char desc[256];
	struct dkim_signer *s;

	add_key(f, "example.com", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, NULL);
	add_key(f, "example.com", "sel2", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, NULL);
	s = load(f);
	/* RSASSA-PKCS1-v1_5 and Ed25519 are deterministic: every call gives the same octets */
	assert_int_equal(dkim_sign(s, "example.com", (const uint8_t *)MSG, strlen(MSG), NOW, 0,
				   &want, desc, sizeof(desc)),
			 2);
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ s, buf_cstr(&want), 0 };
		assert_int_equal(pthread_create(&th[i], NULL, sign_many, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	dkim_signer_free(s);
	buf_free(&want);
}

/* ---- the store's keys table ---------------------------------------------------------------- */

static struct store_dkim_key sample(const char *domain, const char *selector)
{
	struct store_dkim_key k = { .algorithm = STORE_DKIM_RSA,
				    .bits = 2048,
				    .state = STORE_DKIM_ACTIVE,
				    .created = NOW,
				    .activated = NOW };

	snprintf(k.domain, sizeof(k.domain), "%.*s", (int)sizeof(k.domain) - 1, domain);
	snprintf(k.selector, sizeof(k.selector), "%.*s", (int)sizeof(k.selector) - 1, selector);
	snprintf(k.key_path, sizeof(k.key_path), "/var/lib/tern/dkim/%s/%s.pem", k.domain,
		 k.selector);
	return k;
}

static int count_key(const struct store_dkim_key *k, void *ctx)
{
	char *seen = ctx;

	strcat(seen, k->domain);
	strcat(seen, "/");
	strcat(seen, k->selector);
	strcat(seen, " ");
	return 0;
}

static void the_store_keeps_keys_and_their_states(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k = sample("Example.COM.", "Sel1"), got;
	char seen[512] = "";

	assert_int_equal(store_dkim_add(f->st, &k), 0);
	assert_int_equal(store_dkim_add(f->st, &k), -EEXIST);
	/* stored lower-cased, without the trailing dot, found in any case */
	assert_int_equal(store_dkim_get(f->st, "EXAMPLE.com", "SEL1", &got), 0);
	assert_string_equal(got.domain, "example.com");
	assert_string_equal(got.selector, "sel1");
	assert_int_equal(got.algorithm, STORE_DKIM_RSA);
	assert_int_equal(got.bits, 2048);
	assert_int_equal(got.state, STORE_DKIM_ACTIVE);
	assert_int_equal(got.created, NOW);
	assert_int_equal(got.activated, NOW);
	assert_int_equal(got.retire_at, 0);
	assert_string_equal(got.key_path, "/var/lib/tern/dkim/Example.COM./Sel1.pem");

	k = sample("example.com", "t20261123");
	k.created = NOW + 5;
	k.state = STORE_DKIM_PENDING;
	k.activated = 0;
	assert_int_equal(store_dkim_add(f->st, &k), 0);
	k = sample("another.org", "a.b");
	k.algorithm = STORE_DKIM_ED25519;
	k.bits = 0;
	assert_int_equal(store_dkim_add(f->st, &k), 0);

	assert_int_equal(store_dkim_list(f->st, NULL, count_key, seen), 0);
	assert_string_equal(seen, "another.org/a.b example.com/sel1 example.com/t20261123 ");
	seen[0] = '\0';
	assert_int_equal(store_dkim_list(f->st, "example.com", count_key, seen), 0);
	assert_string_equal(seen, "example.com/sel1 example.com/t20261123 ");
	seen[0] = '\0';
	assert_int_equal(store_dkim_list(f->st, "nothing.net", count_key, seen), 0);
	assert_string_equal(seen, "");

	/* the switch of a rotation: the new key active, the old one retiring */
	assert_int_equal(store_dkim_set_state(f->st, "example.com", "t20261123", STORE_DKIM_ACTIVE,
					      NOW + 100, STORE_DKIM_KEEP),
			 0);
	assert_int_equal(store_dkim_set_state(f->st, "example.com", "sel1", STORE_DKIM_RETIRING,
					      STORE_DKIM_KEEP, NOW + 100 + 7 * 86400),
			 0);
	assert_int_equal(store_dkim_get(f->st, "example.com", "sel1", &got), 0);
	assert_int_equal(got.state, STORE_DKIM_RETIRING);
	assert_int_equal(got.activated, NOW); /* kept */
	assert_int_equal(got.retire_at, NOW + 100 + 7 * 86400);
	assert_int_equal(store_dkim_get(f->st, "example.com", "t20261123", &got), 0);
	assert_int_equal(got.state, STORE_DKIM_ACTIVE);
	assert_int_equal(got.activated, NOW + 100);
	assert_int_equal(
		store_dkim_set_state(f->st, "example.com", "nope", STORE_DKIM_RETIRED, 0, 0),
		-ENOENT);
	assert_int_equal(
		store_dkim_set_state(f->st, "example.com", "sel1", (enum store_dkim_state)9, 0, 0),
		-EINVAL);
	assert_int_equal(
		store_dkim_set_state(f->st, "example.com", "sel1", STORE_DKIM_RETIRED, -2, 0),
		-EINVAL);

	assert_int_equal(store_dkim_remove(f->st, "example.com", "sel1"), 0);
	assert_int_equal(store_dkim_remove(f->st, "example.com", "sel1"), -ENOENT);
	assert_int_equal(store_dkim_get(f->st, "example.com", "sel1", &got), -ENOENT);
}

static void the_store_refuses_bad_keys_one_field_at_a_time(void **state)
{
	struct fixture *f = *state;
	struct store_dkim_key k;
	char long_label[80], long_domain[300], long_sel[80];
	static const char *const bad_domains[] = {
		"",
		".",
		"example",
		"example..com",
		".example.com",
		"-a.example",
		"a-.example",
		"ex_ample.com",
		"ex ample.com",
		"example.com..",
		"exa\xc3\xa9mple.com",
		"example.com/x",
		"a@b.com",
	};
	static const char *const bad_selectors[] = { "",     "sel 1", "sel_1", "-sel",
						     "sel-", "a..b",  "sel.",  "s\xc3\xa9l" };

	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]); i++) {
		k = sample("x", "sel1");
		snprintf(k.domain, sizeof(k.domain), "%s", bad_domains[i]);
		if (store_dkim_add(f->st, &k) != -EINVAL)
			fail_msg("domain '%s' was accepted", bad_domains[i]);
	}
	for (size_t i = 0; i < sizeof(bad_selectors) / sizeof(bad_selectors[0]); i++) {
		k = sample("example.com", "x");
		snprintf(k.selector, sizeof(k.selector), "%s", bad_selectors[i]);
		if (store_dkim_add(f->st, &k) != -EINVAL)
			fail_msg("selector '%s' was accepted", bad_selectors[i]);
	}
	memset(long_label, 'a', 64);
	snprintf(long_label + 64, sizeof(long_label) - 64, ".com");
	k = sample(long_label, "sel1");
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL); /* a label of 64 octets */
	memset(long_sel, 'b', 63);
	long_sel[63] = '\0';
	k = sample("example.com", long_sel);
	assert_int_equal(store_dkim_add(f->st, &k), 0); /* 63 is fine */
	/* a domain that fits alone but not with the selector and "._domainkey." */
	for (int i = 0; i < 4; i++) {
		memset(long_domain + i * 50, 'c', 49);
		long_domain[i * 50 + 49] = '.';
	}
	snprintf(long_domain + 200, sizeof(long_domain) - 200, "example.com");
	k = sample(long_domain, "sel1");
	assert_int_equal(store_dkim_add(f->st, &k), 0);
	k = sample(long_domain, "selector-of-forty-octets-makes-it-toolong");
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);

	k = sample("example.com", "s2");
	k.bits = 1024;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL); /* RSA-1024: never */
	k.bits = 8192;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);
	k = sample("example.com", "s2");
	k.algorithm = STORE_DKIM_ED25519;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL); /* Ed25519 with bits */
	k = sample("example.com", "s2");
	k.algorithm = (enum store_dkim_alg)7;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);
	k = sample("example.com", "s2");
	k.state = (enum store_dkim_state)7;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);
	k = sample("example.com", "s2");
	snprintf(k.key_path, sizeof(k.key_path), "relative/s2.pem");
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);
	k = sample("example.com", "s2");
	k.created = 0;
	assert_int_equal(store_dkim_add(f->st, &k), -EINVAL);
	assert_int_equal(store_dkim_get(f->st, "example", "s2", &k), -EINVAL);
	assert_int_equal(store_dkim_list(f->st, "bad_domain.com", count_key, NULL), -EINVAL);

	assert_string_equal(store_dkim_alg_name(STORE_DKIM_ED25519), "ed25519");
	assert_int_equal(store_dkim_alg_parse("rsa"), STORE_DKIM_RSA);
	assert_int_equal(store_dkim_alg_parse("rsa-sha1"), -1);
	assert_string_equal(store_dkim_state_name(STORE_DKIM_RETIRING), "retiring");
	assert_int_equal(store_dkim_state_parse("pending"), STORE_DKIM_PENDING);
	assert_int_equal(store_dkim_state_parse("gone"), -1);
}

/* ---- rates (informational) ---------------------------------------------------------------- */

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A message of about 10 KB. */
static char *ten_kb_message(size_t *len)
{
	struct buf b = BUF_INIT;

	buf_append_str(&b, "From: App <app@example.com>\r\nTo: bob@example.net\r\n"
			   "Subject: Monthly statement\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
			   "Message-ID: <s1@example.com>\r\nMIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	while (b.len < 10240)
		buf_append_str(&b, "Line of the statement: item, quantity, price, total.   \r\n");
	*len = b.len;
	return buf_steal(&b);
}

static double rate(const struct dkim_signer *s, const char *domain, const char *msg, size_t len)
{
	struct buf out = BUF_INIT;
	char desc[256];
	double t0 = seconds(), t;
	int n = 0;

	do {
		buf_reset(&out);
		assert_int_equal(dkim_sign(s, domain, (const uint8_t *)msg, len, NOW, 0, &out, desc,
					   sizeof(desc)),
				 1);
		n++;
	} while ((t = seconds() - t0) < 0.5);
	buf_free(&out);
	return n / t;
}

static void signing_rates_on_a_10_kb_message(void **state)
{
	struct fixture *f = *state;
	struct dkim_signer *s;
	size_t len;
	char *msg = ten_kb_message(&len);

	add_key(f, "rsa.example", "sel1", STORE_DKIM_RSA, 2048, STORE_DKIM_ACTIVE, NOW, NULL);
	add_key(f, "ed.example", "sel1", STORE_DKIM_ED25519, 0, STORE_DKIM_ACTIVE, NOW, NULL);
	s = load(f);
	printf("dkim: %zu-octet message, one thread: RSA-2048 %.0f signatures/s, "
	       "Ed25519 %.0f signatures/s\n",
	       len, rate(s, "rsa.example", msg, len), rate(s, "ed.example", msg, len));
	dkim_signer_free(s);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(keys_of_both_kinds_are_pkcs8_files_only_the_owner_reads),
		T(generate_refuses_rsa_sizes_outside_2048_to_4096),
		T(import_refuses_short_rsa_and_other_key_types),
		T(rsa_record_is_spki_split_into_255_octet_strings),
		T(rsa_4096_record_takes_three_strings),
		T(ed25519_record_is_the_raw_32_byte_key),
		T(an_rsa_signature_verifies_with_the_published_key),
		T(an_ed25519_signature_verifies_and_x_is_set_when_asked),
		T(dual_signing_gives_two_fields_and_only_active_keys_sign),
		T(a_domain_without_a_key_is_not_signed),
		T(the_most_recently_activated_of_two_active_keys_signs),
		T(a_missing_key_file_stops_the_load_with_advice),
		T(threads_sign_with_one_signer_at_once),
		T(the_store_keeps_keys_and_their_states),
		T(the_store_refuses_bad_keys_one_field_at_a_time),
		T(signing_rates_on_a_10_kb_message),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
