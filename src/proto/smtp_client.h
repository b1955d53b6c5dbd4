/*
 * smtp_client.h - the outbound SMTP client session as a pure state machine.
 *
 * The delivery engine, libtern and `tern doctor` drive a server through this; none of them
 * parses replies or writes commands itself. The session never touches a socket, a clock or a
 * disk: the adapter feeds the bytes the server sent (smtp_client_feed), writes out what the
 * session produced (smtp_client_output), and reacts to the event the session reports
 * (smtp_client_event). Timeouts are the adapter's: it calls smtp_client_abort when one fires.
 *
 * One session carries any number of transactions (connection reuse): when it reports
 * SC_READY the adapter hands it the next message with smtp_client_send, or ends it with
 * smtp_client_quit. Each transaction ends in SC_DONE with one result per recipient.
 *
 * Promises: replies are parsed with the bounds of smtp_reply.h (a hostile server sending
 * endless continuation lines, a 64 KB line or NUL bytes ends the session with a temporary
 * failure, never unbounded memory); server bytes that arrived before the TLS handshake are
 * discarded when TLS starts (STARTTLS response injection); what the server offered before TLS
 * is forgotten and EHLO is sent again; message data is dot-stuffed exactly, and a bare CR or
 * LF in the message is sent as CRLF so that no server can be made to see a different end of
 * data than we meant (SMTP smuggling); commands are pipelined (RFC 2920) only when the server
 * offers PIPELINING; an AUTH password is never sent over a connection that is not encrypted
 * unless the level is SMTP_TLS_NONE (a stripped STARTTLS cannot make it leak).
 */
#ifndef TERN_PROTO_SMTP_CLIENT_H
#define TERN_PROTO_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "smtp_reply.h"
#include "status.h"

/* How hard to insist on TLS (RFC 3207 STARTTLS). */
enum smtp_tls_level {
	SMTP_TLS_NONE = 0, /* never start TLS */
	SMTP_TLS_MAY,	   /* STARTTLS when offered; plaintext when missing or when it fails */
	SMTP_TLS_ENCRYPT,  /* TLS required; the certificate is not checked */
	SMTP_TLS_VERIFY,   /* TLS required with a certificate valid for the host name */
};
const char *smtp_tls_level_name(enum smtp_tls_level l);			   /* "may" */
bool smtp_tls_level_from_name(const char *name, enum smtp_tls_level *out); /* false if unknown */

struct smtp_client_config {
	const char *helo_name;	 /* the FQDN sent in EHLO/HELO; never "localhost" */
	enum smtp_tls_level tls; /* ignored when tls_on_connect */
	bool tls_on_connect;	 /* implicit TLS (port 465): the adapter did the handshake */
	const char *auth_user;	 /* AUTH PLAIN (or LOGIN) after EHLO when set (smarthosts) */
	const char *auth_pass;
};

/* Where in the dialogue a reply (or a failure) came. */
enum smtp_stage {
	SC_STAGE_CONNECT = 0, /* before the greeting (set by the adapter's failures) */
	SC_STAGE_GREETING,
	SC_STAGE_EHLO,
	SC_STAGE_STARTTLS,
	SC_STAGE_TLS, /* the handshake itself */
	SC_STAGE_AUTH,
	SC_STAGE_MAIL,
	SC_STAGE_RCPT,
	SC_STAGE_DATA, /* the reply to DATA (354 expected) */
	SC_STAGE_DOT,  /* the reply after the message */
	SC_STAGE_RSET,
	SC_STAGE_QUIT,
	SC__STAGE_COUNT
};
const char *smtp_stage_name(enum smtp_stage s); /* "RCPT TO", "end of data", ... */

/* What the session wants from the adapter now. */
enum smtp_client_event {
	SC_WAIT = 0,  /* write the output (if any) and feed what the server sends */
	SC_START_TLS, /* the server said 220 to STARTTLS: write the output, run the TLS
			   * handshake, then call smtp_client_tls_done */
	SC_READY,     /* idle, greeted (and encrypted as configured): smtp_client_send or
			   * smtp_client_quit */
	SC_DONE,      /* a transaction ended: results in the array given to smtp_client_send;
			   * call smtp_client_event again (it says SC_READY or SC_CLOSED) */
	SC_CLOSED,    /* the session is over: write the output (a last QUIT when the dialogue
			   * was still in step; its reply need not be awaited), close the
			   * connection; smtp_client_failure says why when it did not end with
			   * our QUIT */
};

/* What happened to one recipient in one transaction. */
enum smtp_rcpt_outcome {
	SC_RCPT_PENDING = 0, /* not decided yet */
	SC_RCPT_DELIVERED,   /* 2xx after the data */
	SC_RCPT_TEMPFAIL,    /* 4xx (or a failure of the session): try again later */
	SC_RCPT_PERMFAIL,    /* 5xx: will not work unchanged */
	SC_RCPT_NOT_TRIED,   /* 452 4.5.3 / too many recipients: put it in a new transaction
			      * (this is not a failure and uses no attempt) */
};

/* A reply (or a local failure written as one: code 0 when nothing came from the server). */
struct smtp_client_reply {
	int code;	     /* 0 for a local failure (connection lost, bad reply, TLS failed,
			      * the checks before sending): nothing the server said */
	struct enh_code enh; /* cls 0 when none */
	enum smtp_stage stage;
	char text[512]; /* one line: the server's lines joined with ' ', or our description;
			 * CR, LF and NUL never appear */
};

struct smtp_rcpt_result {
	enum smtp_rcpt_outcome outcome;
	struct smtp_client_reply reply; /* the reply that decided it */
};

/* One message to send. Everything must stay valid until SC_DONE. */
struct smtp_client_message {
	const char *mail_from; /* "" for the null reverse-path <> */
	const char *const *rcpts;
	size_t rcpt_count;
	const uint8_t *data; /* the message as stored: CRLF lines, not dot-stuffed */
	size_t len;
	bool smtputf8;	/* needs SMTPUTF8 (non-ASCII addresses or headers) */
	bool body_8bit; /* BODY=8BITMIME */
};

/* What the server offered in its last EHLO reply. */
struct smtp_client_caps {
	bool esmtp; /* EHLO worked (false after a HELO fallback) */
	bool pipelining, starttls, smtputf8, eightbitmime, chunking, enhancedstatuscodes, dsn;
	bool auth_plain, auth_login;
	bool has_size;
	uint64_t size; /* SIZE limit, 0 = none stated */
};

struct smtp_client;

/* A new session, waiting for the greeting. cfg's strings are copied. NULL when out of memory
 * or when helo_name is empty or holds spaces or control characters (it would inject a
 * command). */
struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg);
void smtp_client_free(struct smtp_client *c);

/* Feeds bytes the server sent (plaintext: the adapter has decrypted them). Returns the number
 * of bytes taken, which is always len: input the session cannot use yet is kept (bounded). */
size_t smtp_client_feed(struct smtp_client *c, const uint8_t *in, size_t len);

/* Appends the bytes to send to out (commands, message data) and forgets them. */
void smtp_client_output(struct smtp_client *c, struct buf *out);
bool smtp_client_has_output(const struct smtp_client *c);

/* What to do now (see enum smtp_client_event). */
enum smtp_client_event smtp_client_event(struct smtp_client *c);

/* After SC_START_TLS: ok true when the handshake succeeded (and, for SMTP_TLS_VERIFY, the
 * certificate was valid for the host). On false the session reports SC_CLOSED: a failed
 * handshake leaves the connection unusable. Under SMTP_TLS_MAY smtp_client_retry_plain is then
 * true (reconnect and go on without STARTTLS); otherwise it is a temporary failure of the
 * host. `why` describes the failure for the reply text. */
void smtp_client_tls_done(struct smtp_client *c, bool ok, const char *why);
/* True after a failed opportunistic handshake: reconnect and do not try STARTTLS there. */
bool smtp_client_retry_plain(const struct smtp_client *c);

/* At SC_READY: starts a transaction. results has msg->rcpt_count entries, all set to
 * SC_RCPT_PENDING here and decided by SC_DONE. Checks before sending anything: a message
 * larger than the server's SIZE fails every recipient with a permanent 5.3.4; a message that
 * needs SMTPUTF8 to a server that does not offer it fails with 5.6.7. Returns false when not
 * at SC_READY (a programming error). */
bool smtp_client_send(struct smtp_client *c, const struct smtp_client_message *msg,
		      struct smtp_rcpt_result *results);

/* At SC_READY: sends QUIT; the session reports SC_CLOSED after the reply (or when the
 * server closes). */
void smtp_client_quit(struct smtp_client *c);

/* The connection failed (closed by the server, reset, timed out: the adapter knows which).
 * Every pending recipient gets a temporary failure with this text at the current stage; the
 * session reports SC_DONE (if a transaction was open) and then SC_CLOSED. */
void smtp_client_abort(struct smtp_client *c, const char *why);

/* Why the session ended when it was not our QUIT: the greeting or EHLO refused, STARTTLS
 * required but missing, a malformed reply, a 421, the connection lost. NULL after a clean
 * QUIT. `unusable_host` is true when the failure belongs to the host rather than to a
 * message (try the next MX). */
const struct smtp_client_reply *smtp_client_failure(const struct smtp_client *c,
						    bool *unusable_host);

const struct smtp_client_caps *smtp_client_caps(const struct smtp_client *c);
bool smtp_client_tls_active(const struct smtp_client *c);
/* The server's greeting and EHLO domain, for logs ("" before they arrive). */
const char *smtp_client_banner(const struct smtp_client *c);

/* Dot-stuffs msg (CRLF lines, as stored) into out and appends the final ".\r\n"; a bare CR or
 * LF becomes CRLF, and a message not ending in CRLF gets one. Used by the session for DATA;
 * exported for tests and for tools that write spool data to a socket. */
bool smtp_dot_stuff(const uint8_t *msg, size_t len, struct buf *out);

/* The same in pieces, for a message that is streamed (libtern's write_data): the state
 * between pieces, zeroed to start. Pieces may split lines and CRLFs anywhere; the stuffed
 * result of a message is the same however it is split. */
struct smtp_stuffer {
	bool mid_line;	 /* the last octet written was not the end of a line */
	bool cr_pending; /* the last octet seen was CR: a following LF belongs to it */
};
/* Writes the stuffed form of p[0..len) to dst (room for 2 * len octets); returns its length. */
size_t smtp_stuff_piece(struct smtp_stuffer *st, const uint8_t *p, size_t len, uint8_t *dst);
/* The end of data: CRLF when the last line was not ended, then ".\r\n" (room for 5 octets).
 * Resets st for the next message. */
size_t smtp_stuff_end(struct smtp_stuffer *st, uint8_t *dst);

#endif
