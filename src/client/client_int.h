/*
 * client_int.h - libtern inside: the transport the command layer talks through.
 *
 * client.c is the blocking adapter over the sans-IO machine of src/proto/smtp_client_calls
 * (which holds the sequence rules, writes the commands and parses the replies); it never
 * touches a socket. It reads and writes through a struct tern_transport: net.c is the real one (TCP,
 * timeouts, OpenSSL on the socket), and the unit tests plug in a scripted one to drive the
 * state machine without a network. Not installed; not part of the public API.
 */
#ifndef TERN_CLIENT_INT_H
#define TERN_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../include/tern/client.h"

struct tern_transport;

struct tern_transport_ops {
	/* Up to len bytes into p: > 0 bytes read, 0 at end of stream, -1 with err filled
	 * (TERN_E_TIMEOUT, TERN_E_CLOSED, TERN_E_IO). `during` names what we were waiting for
	 * ("the greeting", "the reply to MAIL FROM") for the message. */
	ssize_t (*read)(struct tern_transport *t, void *p, size_t len, const char *during,
			struct tern_error *err);
	/* All of p[0..len), or -1 with err filled. */
	int (*write)(struct tern_transport *t, const void *p, size_t len, const char *during,
		     struct tern_error *err);
	/* The TLS handshake on the open connection (STARTTLS), verified as the options say. */
	int (*start_tls)(struct tern_transport *t, struct tern_error *err);
	bool (*tls_active)(const struct tern_transport *t);
	/* The TLS session: 0 and out filled when TLS is active, else -1. */
	int (*tls_info)(const struct tern_transport *t, struct tern_tls_info *out);
	/* The default EHLO name ("[192.0.2.1]") into buf. */
	void (*local_name)(const struct tern_transport *t, char *buf, size_t size);
	/* Closes and frees. */
	void (*close)(struct tern_transport *t);
};

struct tern_transport {
	const struct tern_transport_ops *ops;
	char peer[300]; /* "host:port", for messages */
};

/* The socket transport (net.c): resolves, connects, and for TERN_TLS_IMPLICIT does the
 * handshake. NULL with err filled. */
struct tern_transport *tern_net_connect(const struct tern_open_options *o, struct tern_error *err);

/* Opens a client over any transport (takes it, also on failure) and reads the greeting. */
tern_client *tern_open_transport(struct tern_transport *t, const struct tern_open_options *o,
				 struct tern_error *err);

/* Fills err (stage TERN_STAGE_NONE, no reply); the message is formatted. Returns -1 for
 * `return tern_fail(...)`. err may be NULL. */
int tern_fail(struct tern_error *err, enum tern_code code, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
