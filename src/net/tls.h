/*
 * tls.h - TLS through OpenSSL memory BIOs, for the listeners and for outbound delivery.
 *
 * The event loop owns the socket; TLS never does. Ciphertext read from the socket is pushed in
 * with tls_feed, plaintext comes out of tls_read, plaintext to send goes in with tls_write, and
 * tls_pending_output hands back the ciphertext to write. The handshake runs inside these calls.
 * A context is made from a certificate and key file and can be replaced (SIGHUP) while sessions
 * made from the old one go on.
 */
#ifndef TERN_NET_TLS_H
#define TERN_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct tls_context;
struct tls_session;

/* Loads certificate chain and key (PEM). NULL with a message that says what to fix. */
struct tls_context *tls_context_new(const char *cert_file, const char *key_file, char *err,
				    size_t errlen);
/* A context for outbound connections: trusts the CA certificates in ca_file (PEM), or the
 * system's when ca_file is NULL or "". NULL with a message that says what to fix. */
struct tls_context *tls_client_context_new(const char *ca_file, char *err, size_t errlen);
/* Reference counting: sessions hold their context. */
void tls_context_ref(struct tls_context *ctx);
void tls_context_unref(struct tls_context *ctx);

struct tls_session *tls_session_new(struct tls_context *ctx);
/* A client session towards `host` (sent as SNI when it is a name). With verify, the handshake
 * fails unless the certificate chains to a trusted CA and is valid for `host` (RFC 6125: no
 * partial wildcards); without, any certificate is taken (encryption without authentication).
 * Call tls_handshake to produce the ClientHello, then feed/handshake until it returns 1. */
struct tls_session *tls_session_new_client(struct tls_context *ctx, const char *host, bool verify);
/* Drives the handshake: 1 done, 0 wants more from the peer (send tls_pending_output first),
 * -1 failed (tls_error says why: an untrusted certificate is named as such). */
int tls_handshake(struct tls_session *t);
void tls_session_free(struct tls_session *t);

/* Pushes ciphertext from the peer. false when the TLS state is broken (close the connection). */
bool tls_feed(struct tls_session *t, const uint8_t *in, size_t len);
/* Appends available plaintext to out. Returns -1 on a fatal TLS error or a close from the
 * peer, else 0. */
int tls_read(struct tls_session *t, struct buf *out);
/* Encrypts plaintext for the peer (output then waits in tls_pending_output). */
bool tls_write(struct tls_session *t, const uint8_t *in, size_t len);
/* Moves the ciphertext waiting to be sent into out. */
bool tls_pending_output(struct tls_session *t, struct buf *out);

bool tls_handshake_done(const struct tls_session *t);
const char *tls_version(const struct tls_session *t); /* "TLSv1.3" */
const char *tls_cipher(const struct tls_session *t);
/* The last error, for the log. */
const char *tls_error(const struct tls_session *t);

/* Writes a new self-signed certificate and key (EC P-256, 10 years) for `hostname`, files made
 * 0600. 0, or -1 with a message. For the development setup. */
int tls_make_self_signed(const char *hostname, const char *cert_file, const char *key_file,
			 char *err, size_t errlen);

#endif
