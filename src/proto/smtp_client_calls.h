/*
 * smtp_client_calls.h - the SMTP client one command at a time, as a pure state machine: the
 * core of libtern.
 *
 * The delivery engine's session (smtp_client.h) runs whole transactions by itself; a library
 * caller instead issues each command (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
 * and may issue them in any order. This machine holds the rules of that order. A call made in
 * a state where it cannot work is refused before a byte is written, with a message that names
 * the call, the state and the order that works; an accepted call writes its command and then
 * takes the server's bytes until its reply is complete.
 *
 * Promises: no I/O, no clock (the adapter owns the socket and the timeouts); every reply goes
 * through smtp_reply_parse with its bounds; the EHLO keywords are read by the delivery
 * engine's parser and the message is dot-stuffed by its stuffer (smtp_stuff_piece), so the
 * two clients cannot disagree on either; a bare CR or LF in the message goes out as CRLF; no
 * command is ever written with a CR, LF or NUL taken from an argument; bytes that arrive after
 * the 220 to STARTTLS are dropped (response injection); a reply that does not fit the command
 * (a second reply, 334 to MAIL, 2xx to DATA) ends the session rather than being taken for
 * the answer to the next command.
 */
#ifndef TERN_PROTO_SMTP_CLIENT_CALLS_H
#define TERN_PROTO_SMTP_CLIENT_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "smtp_client.h"
#include "smtp_reply.h"

/* The calls a caller can make, one per command (and the greeting, which open waits for). */
enum smtp_call {
	CALL_NONE = 0,
	CALL_GREETING,	 /* open: the server's greeting */
	CALL_EHLO,	 /* args.name */
	CALL_HELO,	 /* args.name */
	CALL_STARTTLS,	 /* then the adapter's handshake and smtp_calls_tls_done */
	CALL_LOGIN,	 /* args.user, args.pass, args.mech */
	CALL_MAIL,	 /* args.address, args.size, args.body_8bit, args.smtputf8 */
	CALL_RCPT,	 /* args.address */
	CALL_DATA,	 /* DATA, answered 354 */
	CALL_WRITE_DATA, /* args.data, args.len: message bytes, no reply awaited */
	CALL_END_DATA,	 /* the end of data and the server's verdict */
	CALL_RSET,
	CALL_NOOP,
	CALL_QUIT,
	CALL__COUNT
};

/* Where the dialogue is. */
enum smtp_calls_state {
	CS_GREETING = 0,  /* waiting for the greeting */
	CS_GREETED,	  /* 220 received, no EHLO yet */
	CS_TLS_HANDSHAKE, /* STARTTLS answered 220: the adapter runs the handshake */
	CS_TLS_FRESH,	  /* TLS is up: the server forgot the first EHLO */
	CS_HELLO,	  /* EHLO (or HELO) accepted, no transaction open */
	CS_MAIL,	  /* MAIL accepted, no recipient accepted yet */
	CS_RCPT,	  /* MAIL and at least one RCPT accepted */
	CS_DATA,	  /* DATA answered 354: message bytes go out */
	CS_QUIT,	  /* QUIT sent: nothing more */
	CS_CLOSED,	  /* the connection is gone (lost, 421, a broken dialogue) */
};

/* Why a call was refused before anything was sent. */
enum smtp_calls_refusal {
	REFUSE_NONE = 0,
	REFUSE_SEQUENCE,    /* out of order */
	REFUSE_NO_STARTTLS, /* STARTTLS asked for, the server did not offer it */
	REFUSE_UNSUPPORTED, /* the server does not offer what the call needs */
	REFUSE_INVALID,	    /* a bad argument (a line end in an address, ...) */
	REFUSE_CLOSED,	    /* the connection is gone */
};

enum smtp_auth_mech {
	SMTP_AUTH_AUTO = 0, /* PLAIN when offered, else LOGIN */
	SMTP_AUTH_PLAIN,
	SMTP_AUTH_LOGIN,
};

struct smtp_calls_args {
	const char *name;    /* EHLO, HELO */
	const char *address; /* MAIL ("" is <>), RCPT */
	uint64_t size;	     /* MAIL: SIZE=n when offered and n > 0 */
	bool body_8bit;	     /* MAIL: BODY=8BITMIME */
	bool smtputf8;	     /* MAIL: SMTPUTF8 */
	const char *user;    /* LOGIN; user and pass stay valid until the call is done */
	const char *pass;
	enum smtp_auth_mech mech;
	const uint8_t *data; /* WRITE_DATA */
	size_t len;
};

/* What the adapter does next. */
enum smtp_calls_status {
	CALLS_IDLE = 0,	 /* no call in progress */
	CALLS_WAIT,	 /* write the output, then feed what the server sends */
	CALLS_START_TLS, /* STARTTLS got 220: run the handshake, then smtp_calls_tls_done */
	CALLS_DONE,	 /* the call is finished: smtp_calls_ok, smtp_calls_reply */
	CALLS_BROKEN,	 /* the dialogue broke (malformed or unexpected reply): the session is
			   * over, smtp_calls_broken_why says why */
};

struct smtp_calls_config {
	bool starttls_required; /* MAIL and login refused until STARTTLS and a new EHLO */
	bool tls_on_connect;	/* implicit TLS: the connection is encrypted from the start */
};

struct smtp_calls;

/* A new dialogue waiting for the greeting (the call CALL_GREETING is in progress). NULL when
 * out of memory. */
struct smtp_calls *smtp_calls_new(const struct smtp_calls_config *cfg);
void smtp_calls_free(struct smtp_calls *c);

/* Starts a call. true: the command is in the output (CALL_WRITE_DATA: the stuffed bytes; no
 * reply awaited, the status is CALLS_DONE at once). false: refused, nothing written; *kind
 * says why and why[0..size) holds a complete sentence naming the call, the state and the
 * order that works. `api` is the caller's name for the call ("tern_rcpt"), used in it. */
bool smtp_calls_begin(struct smtp_calls *c, enum smtp_call call, const char *api,
		      const struct smtp_calls_args *a, enum smtp_calls_refusal *kind, char *why,
		      size_t size);

/* Feeds bytes from the server (all are taken; what a finished call did not need makes the
 * dialogue CALLS_BROKEN, see the promises above). */
void smtp_calls_feed(struct smtp_calls *c, const uint8_t *in, size_t len);
enum smtp_calls_status smtp_calls_status(const struct smtp_calls *c);
/* Moves the bytes to send into out (appended). */
void smtp_calls_output(struct smtp_calls *c, struct buf *out);
bool smtp_calls_has_output(const struct smtp_calls *c);

/* After CALLS_START_TLS: the handshake's outcome. ok: the state is CS_TLS_FRESH (offers
 * forgotten, EHLO needed); not ok: CS_CLOSED. */
void smtp_calls_tls_done(struct smtp_calls *c, bool ok);
/* The connection was lost (closed, reset, timed out). A QUIT in progress ends cleanly. */
void smtp_calls_lost(struct smtp_calls *c);

/* At CALLS_DONE: whether the reply was the one that lets the dialogue go on (220, 2xx, 354,
 * 235), and the reply itself (also kept afterwards, until the next reply). */
bool smtp_calls_ok(const struct smtp_calls *c);
const struct smtp_reply *smtp_calls_reply(const struct smtp_calls *c); /* NULL before any */
/* The call in progress or last finished. */
enum smtp_call smtp_calls_current(const struct smtp_calls *c);
const char *smtp_calls_broken_why(const struct smtp_calls *c); /* "" unless broken */

enum smtp_calls_state smtp_calls_state(const struct smtp_calls *c);
/* The state in words: "after EHLO", "MAIL accepted, no recipient accepted yet", ... */
const char *smtp_calls_state_words(const struct smtp_calls *c);
const struct smtp_client_caps *smtp_calls_caps(const struct smtp_calls *c);
/* Whether the last EHLO offered `keyword` (case-insensitive; any keyword, known or not). */
bool smtp_calls_offers(const struct smtp_calls *c, const char *keyword);
/* The AUTH mechanisms of the last EHLO as offered ("PLAIN LOGIN"), "" when none. */
const char *smtp_calls_auth_offered(const struct smtp_calls *c);
/* The greeting's text (its lines joined by spaces, control characters replaced), "" before
 * it. */
const char *smtp_calls_greeting(const struct smtp_calls *c);
bool smtp_calls_tls_active(const struct smtp_calls *c);
bool smtp_calls_authenticated(const struct smtp_calls *c);
size_t smtp_calls_rcpts_accepted(const struct smtp_calls *c);

/* "EHLO", "RCPT TO", "end of data", ...: what the server was answering. */
const char *smtp_call_verb(enum smtp_call call);

/* The order that works, for messages and documentation. */
#define SMTP_CALLS_ORDER "open, EHLO, [STARTTLS, EHLO], [login], MAIL, RCPT..., DATA, QUIT"

#endif
