/*
 * tls.c - TLS over memory BIOs (see tls.h).
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/tls.h"

struct tls_context {
	SSL_CTX *ctx;
	int refs;
};

struct tls_session {
	struct tls_context *ctx;
	SSL *ssl;
	BIO *in;  /* ciphertext from the peer, read by OpenSSL */
	BIO *out; /* ciphertext for the peer, written by OpenSSL */
	char error[160];
};

static void openssl_error(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char reason[256];

	ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errlen, "%s %s: %s", what, file, e ? reason : "unknown error");
	ERR_clear_error();
}

/* A context with one reference and the options both sides use; NULL with err set. */
static struct tls_context *context_new(const SSL_METHOD *method, char *err, size_t errlen)
{
	struct tls_context *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->refs = 1;
	if ((c->ctx = SSL_CTX_new(method)) == NULL) {
		openssl_error(err, errlen, "cannot create TLS context", "");
		free(c);
		return NULL;
	}
	SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
	return c;
}

struct tls_context *tls_context_new(const char *cert_file, const char *key_file, char *err,
				    size_t errlen)
{
	struct tls_context *c = context_new(TLS_server_method(), err, errlen);

	if (c == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/* Submission clients send little and reconnect often; no renegotiation, no compression. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_file) != 1) {
		openssl_error(err, errlen, "cannot load TLS certificate", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		openssl_error(err, errlen, "cannot load TLS private key", key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c->ctx) != 1) {
		openssl_error(err, errlen, "TLS private key does not match the certificate",
			      key_file);
		goto fail;
	}
	return c;
fail:
	SSL_CTX_free(c->ctx);
	free(c);
	return NULL;
}

struct tls_context *tls_client_context_new(const char *ca_file, char *err, size_t errlen)
{
	struct tls_context *c = context_new(TLS_client_method(), err, errlen);

	if (c == NULL)
		return NULL;
	/* Mail servers still run TLS 1.0 in places; opportunistic TLS that refuses them would
	 * fall back to plaintext, which is worse. Levels that verify ask for 1.2. */
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_VERSION);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (ca_file != NULL && ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
			openssl_error(err, errlen, "cannot load CA certificates from", ca_file);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		openssl_error(err, errlen, "cannot load the system's CA certificates", "");
		goto fail;
	}
	return c;
fail:
	SSL_CTX_free(c->ctx);
	free(c);
	return NULL;
}

void tls_context_ref(struct tls_context *ctx)
{
	ctx->refs++;
}

void tls_context_unref(struct tls_context *ctx)
{
	if (ctx == NULL || --ctx->refs > 0)
		return;
	SSL_CTX_free(ctx->ctx);
	free(ctx);
}

struct tls_session *tls_session_new(struct tls_context *ctx)
{
	struct tls_session *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ssl = SSL_new(ctx->ctx);
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	if (t->ssl == NULL || t->in == NULL || t->out == NULL) {
		SSL_free(t->ssl);
		BIO_free(t->in);
		BIO_free(t->out);
		free(t);
		return NULL;
	}
	BIO_set_mem_eof_return(t->in, -1); /* empty means "want more", not end of stream */
	SSL_set_bio(t->ssl, t->in, t->out);
	SSL_set_accept_state(t->ssl);
	t->ctx = ctx;
	tls_context_ref(ctx);
	return t;
}

static void note_error(struct tls_session *t, const char *what)
{
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, t->error, sizeof(t->error));
	else
		snprintf(t->error, sizeof(t->error), "%s", what);
	ERR_clear_error();
}

struct tls_session *tls_session_new_client(struct tls_context *ctx, const char *host, bool verify)
{
	struct tls_session *t = tls_session_new(ctx);

	if (t == NULL)
		return NULL;
	SSL_set_connect_state(t->ssl);
	/* SNI for host names only: RFC 6066 forbids literal addresses there. */
	if (host != NULL && host[0] != '\0' && strspn(host, "0123456789.:") != strlen(host))
		SSL_set_tlsext_host_name(t->ssl, host);
	if (verify) {
		SSL_set_min_proto_version(t->ssl, TLS1_2_VERSION);
		SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (host == NULL || SSL_set1_host(t->ssl, host) != 1) {
			tls_session_free(t);
			return NULL;
		}
		SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
	}
	return t;
}

int tls_handshake(struct tls_session *t)
{
	int n = SSL_do_handshake(t->ssl);

	if (n == 1)
		return 1;
	switch (SSL_get_error(t->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		if (SSL_get_verify_result(t->ssl) != X509_V_OK)
			snprintf(t->error, sizeof(t->error), "certificate not trusted: %s",
				 X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
		else
			note_error(t, "TLS handshake failed");
		ERR_clear_error();
		return -1;
	}
}

void tls_session_free(struct tls_session *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl); /* frees both BIOs */
	tls_context_unref(t->ctx);
	free(t);
}

bool tls_feed(struct tls_session *t, const uint8_t *in, size_t len)
{
	return len == 0 || BIO_write(t->in, in, (int)len) == (int)len;
}

int tls_read(struct tls_session *t, struct buf *out)
{
	for (;;) {
		int n;

		if (!buf_reserve(out, 16384))
			return -1;
		n = SSL_read(t->ssl, out->data + out->len, 16384);
		if (n > 0) {
			out->len += (size_t)n;
			continue;
		}
		switch (SSL_get_error(t->ssl, n)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			snprintf(t->error, sizeof(t->error), "peer closed TLS");
			return -1;
		default:
			note_error(t, "TLS failure");
			return -1;
		}
	}
}

bool tls_write(struct tls_session *t, const uint8_t *in, size_t len)
{
	while (len > 0) {
		int n = SSL_write(t->ssl, in, (int)(len > 65536 ? 65536 : len));
		if (n <= 0) {
			note_error(t, "TLS write failure");
			return false;
		}
		in += n;
		len -= (size_t)n;
	}
	return true;
}

bool tls_pending_output(struct tls_session *t, struct buf *out)
{
	size_t pending = BIO_ctrl_pending(t->out);

	if (pending == 0)
		return true;
	if (!buf_reserve(out, pending))
		return false;
	if (BIO_read(t->out, out->data + out->len, (int)pending) != (int)pending)
		return false;
	out->len += pending;
	return true;
}

bool tls_handshake_done(const struct tls_session *t)
{
	return SSL_is_init_finished(t->ssl);
}

const char *tls_version(const struct tls_session *t)
{
	return SSL_get_version(t->ssl);
}

const char *tls_cipher(const struct tls_session *t)
{
	return SSL_get_cipher_name(t->ssl);
}

const char *tls_error(const struct tls_session *t)
{
	return t->error[0] ? t->error : "no error";
}

static int write_pem(const char *file, EVP_PKEY *key, X509 *cert)
{
	FILE *f;
	int ok;

	umask(077);
	f = fopen(file, "w");
	if (f == NULL)
		return -1;
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_X509(f, cert);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int tls_make_self_signed(const char *hostname, const char *cert_file, const char *key_file,
			 char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext = NULL;
	char san[300];
	int rc = -1;

	if (key == NULL || x == NULL) {
		openssl_error(err, errlen, "cannot generate a key for", hostname);
		goto done;
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)hostname, -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", hostname);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext == NULL || !X509_add_ext(x, ext, -1) || !X509_sign(x, key, EVP_sha256())) {
		openssl_error(err, errlen, "cannot sign a certificate for", hostname);
		goto done;
	}
	if (write_pem(key_file, key, NULL) != 0 || write_pem(cert_file, NULL, x) != 0) {
		snprintf(err, errlen, "cannot write %s or %s; check that the directory is writable",
			 cert_file, key_file);
		goto done;
	}
	rc = 0;
done:
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
