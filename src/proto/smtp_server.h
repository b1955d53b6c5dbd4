/*
 * smtp_server.h - the SMTP submission server session as a pure state machine.
 *
 * The session never touches a socket, a clock or a disk. The adapter (src/submit) feeds the
 * bytes that arrived and writes out the replies the session produced. When the session needs a
 * decision it cannot make alone (check a password, approve a sender or a recipient, store a
 * message, start TLS) it stops consuming input and publishes a request; the adapter answers
 * later, and pipelined input waits in the session's buffer meanwhile.
 *
 * Promises: every reply carries an enhanced status code (except the greeting and the
 * EHLO/HELO and 3xx replies, as RFC 2034 and 3463 say); input is bounded (command lines of 512
 * octets, 12288 for AUTH, message lines of 1000, a hard cut-off for clients that never end a
 * line); a bare CR or LF, in commands or in message data, closes the session with 521 and is
 * never taken as a line end, so SMTP smuggling cannot split one message into two; bytes
 * pipelined behind STARTTLS are discarded, never read as if they had come over TLS.
 */
#ifndef TERN_PROTO_SMTP_SERVER_H
#define TERN_PROTO_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "address.h"

#define SMTP_COMMAND_LINE_MAX 512	  /* RFC 5321 4.5.3.1.4, CRLF included */
#define SMTP_AUTH_LINE_MAX    12288	  /* RFC 4954 4 */
#define SMTP_TEXT_LINE_MAX    1000	  /* RFC 5321 4.5.3.1.6, CRLF included */
#define SMTP_DISCARD_MAX      (64 * 1024) /* an unterminated line longer than this ends the session */

/* Every reply the server sends, with its code and enhanced code, in one table
 * (smtp_server.c). Texts of the cloud service (seed 001) are kept where they exist. */
enum smtp_reply_id {
	SMTP_R_NONE = 0,
	SMTP_R_GREETING,
	SMTP_R_SHUTDOWN,
	SMTP_R_BYE,
	SMTP_R_OK,
	SMTP_R_MAIL_OK,
	SMTP_R_RCPT_OK,
	SMTP_R_DATA_GO,
	SMTP_R_QUEUED,
	SMTP_R_BDAT_OK,
	SMTP_R_VRFY,
	SMTP_R_HELP,
	SMTP_R_TLS_GO,
	SMTP_R_AUTH_OK,
	SMTP_R_AUTH_CHALLENGE,
	SMTP_R_UNKNOWN_COMMAND,
	SMTP_R_LINE_TOO_LONG,
	SMTP_R_LINE_TOO_LONG_CLOSE,
	SMTP_R_BARE_CR_LF,
	SMTP_R_NUL,
	SMTP_R_NOT_IMPLEMENTED,
	SMTP_R_NEED_HELO,
	SMTP_R_NEED_MAIL,
	SMTP_R_NEED_RCPT,
	SMTP_R_NESTED_MAIL,
	SMTP_R_BAD_SEQUENCE,
	SMTP_R_HELO_SYNTAX,
	SMTP_R_MAIL_SYNTAX,
	SMTP_R_RCPT_SYNTAX,
	SMTP_R_NO_ARGUMENTS,
	SMTP_R_PATH_TOO_LONG,
	SMTP_R_BAD_SENDER,
	SMTP_R_BAD_RECIPIENT,
	SMTP_R_NEEDS_SMTPUTF8,
	SMTP_R_BAD_PARAMETER,
	SMTP_R_SIZE_EXCEEDED,
	SMTP_R_TOO_MANY_RECIPIENTS,
	SMTP_R_AUTH_REQUIRED,
	SMTP_R_AUTH_NEEDS_TLS,
	SMTP_R_AUTH_ALREADY,
	SMTP_R_AUTH_NOT_AVAILABLE,
	SMTP_R_AUTH_BAD_BASE64,
	SMTP_R_AUTH_NO_NUL,
	SMTP_R_AUTH_NO_SECOND_NUL,
	SMTP_R_AUTH_METHOD,
	SMTP_R_AUTH_MISMATCH,
	SMTP_R_AUTH_CANCELLED,
	SMTP_R_AUTH_FAILED,
	SMTP_R_AUTH_TOO_MANY_FAILURES,
	SMTP_R_TOO_MANY_ERRORS,
	SMTP_R_TLS_ALREADY,
	SMTP_R_TLS_NOT_AVAILABLE,
	SMTP_R_TLS_SYNTAX,
	SMTP_R_TLS_REQUIRED,
	SMTP_R_TIMEOUT,
	SMTP_R_DATA_LINE_TOO_LONG,
	SMTP_R_BDAT_SYNTAX,
	SMTP_R_STORAGE_ERROR,
	SMTP_R_LOCAL_ERROR,
	SMTP_R_NO_SPACE,
	/* sender policy (seed 001's wording where the cloud service has one) */
	SMTP_R_SENDER_NOT_AUTHORIZED,
	SMTP_R_ACCOUNT_SUSPENDED,
	SMTP_R_RATE_MINUTE,
	SMTP_R_RATE_HOUR,
	SMTP_R_RATE_DAY,
	SMTP_R_RATE_DOMAIN_HOUR,
	SMTP_R_SUPPRESSED_ACCEPTED,
	SMTP_R_SUPPRESSED_254,
	SMTP_R_SUPPRESSED_REJECTED,
	SMTP_R_FROM_MISMATCH,
	SMTP_R_FROM_COUNT,
	SMTP_R_FROM_NOT_AUTHORIZED,
	SMTP_R_FROM_SYNTAX,
	SMTP_R_SENDER_FIELD_NOT_AUTHORIZED,
	SMTP_R_MESSAGE_PARSE,
	SMTP_R_TOO_MANY_HOPS,
	SMTP_R_TOO_MANY_CONNECTIONS,
	SMTP_R__COUNT
};

struct smtp_reply_def {
	int code;
	const char *enhanced; /* NULL where RFC 2034 wants none */
	const char *text;     /* may hold up to two "%s" */
	bool closes;	      /* the session ends after this reply */
};
const struct smtp_reply_def *smtp_server_reply_def(enum smtp_reply_id id);

struct smtp_server_config {
	const char *hostname;	    /* in the greeting, EHLO and Received */
	size_t max_message_size;    /* SIZE; 0 is not allowed */
	unsigned max_recipients;    /* per transaction */
	unsigned max_errors;	    /* bad commands before 421 */
	unsigned max_auth_failures; /* failed AUTH before 421 */
	bool starttls_offered;	    /* a certificate is there and TLS is not yet on */
	bool auth_offered;	    /* SMTP credentials can be checked */
	bool allow_plaintext_auth;  /* offer AUTH without TLS (tests, trusted links) */
	bool require_tls;	    /* MAIL needs TLS first (530 5.7.0) */
};

enum smtp_request_kind {
	SMTP_REQ_NONE = 0,
	SMTP_REQ_STARTTLS, /* send the output, then start TLS and call smtp_server_tls_started */
	SMTP_REQ_AUTH,	   /* check user and password */
	SMTP_REQ_MAIL,	   /* approve the reverse-path */
	SMTP_REQ_RCPT,	   /* approve a forward-path */
	SMTP_REQ_DATA,	   /* may a message be taken now (free-space reserve)? */
	SMTP_REQ_MESSAGE,  /* the complete message: store it durably, then answer */
};

/* What the adapter is asked. Pointers stay valid until the answer. */
struct smtp_request {
	enum smtp_request_kind kind;
	const char *mechanism;	 /* AUTH: "PLAIN" or "LOGIN" */
	const char *authzid;	 /* AUTH PLAIN: authorization identity, often "" */
	const char *user;	 /* AUTH */
	const uint8_t *password; /* AUTH: not NUL-terminated; never log it */
	size_t password_len;
	const struct address *address;	 /* MAIL, RCPT */
	const struct address *mail_from; /* RCPT, DATA, MESSAGE */
	const struct address *rcpts;	 /* MESSAGE: the accepted recipients */
	size_t rcpt_count;
	struct slice message; /* MESSAGE: unstuffed bytes, CRLF line ends */
	bool smtputf8;	      /* the transaction uses SMTPUTF8 */
	bool body_8bit;	      /* BODY=8BITMIME */
};

/* The adapter's answer. With reply == SMTP_R_NONE the session uses its default reply for
 * accept or refuse; a custom reply (policy texts) is given by code / enhanced / text. */
struct smtp_verdict {
	bool accept;
	enum smtp_reply_id reply;
	int code;
	const char *enhanced;
	const char *text;
	bool close;
	const char *queue_id; /* MESSAGE: the id for "queued as" */
	/* What fills the reply's "%s" marks; NULL: the default (the address of MAIL or RCPT). */
	const char *arg;
	const char *arg2;
	const char *user; /* AUTH: the authenticated name */
};

enum smtp_state {
	SMTP_ST_INIT,	/* connected, no EHLO/HELO yet */
	SMTP_ST_READY,	/* greeted, no transaction */
	SMTP_ST_MAIL,	/* MAIL accepted */
	SMTP_ST_RCPT,	/* at least one RCPT accepted */
	SMTP_ST_DATA,	/* reading message data after 354 */
	SMTP_ST_BDAT,	/* reading a BDAT chunk */
	SMTP_ST_AUTH,	/* waiting for an AUTH continuation line */
	SMTP_ST_CLOSED, /* nothing more is read; send the output and close */
};

struct smtp_server;

/* A new session. `tls` is true on implicit-TLS listeners, `trusted` for clients from
 * trusted_networks (may send without AUTH). The greeting is queued at once. NULL when out of
 * memory. */
struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg, bool tls, bool trusted);
void smtp_server_free(struct smtp_server *s);

/* Instead of the greeting: refuse the connection with reply id (a 421 of the connection
 * limits or the auth-failure throttle) and close. Call right after smtp_server_new. */
void smtp_server_refuse(struct smtp_server *s, enum smtp_reply_id id);

/* The authenticated user's own limits (policy), tighter or looser than the listener's:
 * message size (checked against SIZE= at MAIL and during DATA) and recipients per message.
 * 0 keeps the configured value. */
void smtp_server_set_limits(struct smtp_server *s, size_t max_message_size,
			    unsigned max_recipients);

/* Takes all of in[0..len) and handles as much as it can. Feeding with len 0 resumes work
 * after the output was drained. */
void smtp_server_feed(struct smtp_server *s, const uint8_t *in, size_t len);

/* False when enough unread input or unsent output is buffered, or the session is closed: the
 * adapter should stop reading from the socket until it becomes true again. */
bool smtp_server_wants_input(const struct smtp_server *s);

/* The replies produced so far; after writing them, call smtp_server_output_done. */
struct slice smtp_server_output(const struct smtp_server *s);
void smtp_server_output_done(struct smtp_server *s);

/* The decision the session waits for, or NULL. */
const struct smtp_request *smtp_server_pending(const struct smtp_server *s);
/* Answers it; the session goes on with the buffered input. */
void smtp_server_answer(struct smtp_server *s, const struct smtp_verdict *v);

/* TLS is up (after SMTP_REQ_STARTTLS): the session forgets EHLO, as RFC 3207 asks. */
void smtp_server_tls_started(struct smtp_server *s);

/* The client was silent or too slow: 421 4.4.2 and close. */
void smtp_server_timeout(struct smtp_server *s);
/* The server stops: an idle session gets 421 now; one inside a transaction finishes it and
 * gets 421 at its next command. */
void smtp_server_shutdown(struct smtp_server *s);

enum smtp_state smtp_server_state(const struct smtp_server *s);
bool smtp_server_closed(const struct smtp_server *s);	   /* send the output, then close */
bool smtp_server_in_message(const struct smtp_server *s);  /* inside DATA or BDAT */
const char *smtp_server_helo(const struct smtp_server *s); /* "" before EHLO */
const char *smtp_server_user(const struct smtp_server *s); /* NULL unless authenticated */
bool smtp_server_tls(const struct smtp_server *s);

/* Refused commands since the last call, one line each for the log:
 * `command="MAIL FROM:<x>" reply="553 5.1.3 ..."` (commands truncated, control characters
 * replaced, AUTH data never included). Call smtp_server_rejections_done after logging. */
struct slice smtp_server_rejections(const struct smtp_server *s);
void smtp_server_rejections_done(struct smtp_server *s);

#endif
