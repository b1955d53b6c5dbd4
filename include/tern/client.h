/*
 * tern/client.h - libtern, a blocking SMTP client whose errors explain themselves.
 *
 * One call per SMTP command, in the spirit of Oracle's UTL_SMTP, but a call made out of order
 * is refused by the library before anything is sent, with TERN_E_SEQUENCE and a message that
 * names the call, the state and the order that works:
 *
 *     open, EHLO, [STARTTLS, EHLO], [login], MAIL, RCPT..., DATA, QUIT
 *
 * Every reply that is not a success comes back whole (code, enhanced code, text, transient or
 * permanent) and tern_reply_explain() says what it means and what to do, from the same
 * knowledge base as `tern explain`. Connection failures are told apart (DNS, refused, timed
 * out, unreachable, TLS handshake, untrusted, expired or wrong-name certificate, no STARTTLS,
 * closed by the server) and each message says what happened and what to do.
 *
 * Threads: no global state. A tern_client belongs to one thread at a time; use one connection
 * per thread. The library never raises SIGPIPE in the caller's process.
 *
 * Every function that can fail takes a `struct tern_error *err` (may be NULL), returns 0 on
 * success and -1 on failure with err filled. err->message is always a complete sentence.
 *
 * Build with: cc prog.c $(pkg-config --cflags --libs tern)
 */
#ifndef TERN_CLIENT_H
#define TERN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_CLIENT_VERSION "0.1.0"

/* What went wrong. The names (tern_error_name) are stable. */
enum tern_code {
	TERN_E_OK = 0,
	TERN_E_SEQUENCE,    /* a call out of order: refused, nothing was sent */
	TERN_E_REPLY,	    /* the server answered 4xx/5xx: err->reply holds it */
	TERN_E_DNS,	    /* the host name cannot be resolved */
	TERN_E_REFUSED,	    /* nothing listens on the port, or a firewall rejects (ECONNREFUSED) */
	TERN_E_TIMEOUT,	    /* no answer in time (connect, greeting or a reply) */
	TERN_E_UNREACHABLE, /* no route to the host or network */
	TERN_E_TLS_HANDSHAKE, /* the TLS handshake failed (not TLS, no common protocol, ...) */
	TERN_E_TLS_UNTRUSTED, /* the certificate is self-signed or from an unknown authority */
	TERN_E_TLS_EXPIRED,   /* the certificate has expired or is not yet valid */
	TERN_E_TLS_NAME,      /* the certificate is not valid for the host name */
	TERN_E_NO_STARTTLS,   /* TERN_TLS_STARTTLS, and the server did not offer STARTTLS */
	TERN_E_CLOSED,	      /* the server closed the connection (or it was lost earlier) */
	TERN_E_PROTOCOL,      /* the server's answer is not valid SMTP */
	TERN_E_NOMEM,	      /* out of memory */
	TERN_E_INVALID,	      /* a bad argument: NULL, CR/LF in an address, bad options */
	TERN_E_UNSUPPORTED,   /* the server does not offer what the call needs (8BITMIME,
				* SMTPUTF8, the AUTH mechanism asked for) */
	TERN_E_IO,	      /* another socket error (errno says which) */
};

/* A reply from the server. */
struct tern_reply {
	int code;	   /* 200..599; 0 when there is none */
	char enhanced[16]; /* "5.1.1", or "" when the server sent no enhanced code */
	char text[1024];   /* the text after the codes; lines of a multi-line reply joined by
			    * '\n'; control characters replaced; may be truncated */
	bool transient;	   /* 4xx: the same command may work later (UTL_SMTP transient_error) */
	bool permanent;	   /* 5xx: it fails again unless something changes (permanent_error) */
};

/* Where in the dialogue a failure happened (tern_stage_name gives "RCPT TO", ...). */
enum tern_stage {
	TERN_STAGE_NONE = 0, /* no stage: a bad argument, out of memory */
	TERN_STAGE_RESOLVE,  /* looking the host name up */
	TERN_STAGE_CONNECT,  /* the TCP connection */
	TERN_STAGE_TLS,	     /* the TLS handshake (implicit, or after STARTTLS) */
	TERN_STAGE_GREETING,
	TERN_STAGE_EHLO, /* EHLO or HELO */
	TERN_STAGE_STARTTLS,
	TERN_STAGE_AUTH,
	TERN_STAGE_MAIL,
	TERN_STAGE_RCPT,
	TERN_STAGE_DATA, /* DATA and the message bytes */
	TERN_STAGE_DOT,	 /* the end of data: the server's verdict on the message */
	TERN_STAGE_RSET,
	TERN_STAGE_NOOP,
	TERN_STAGE_QUIT,
};

struct tern_error {
	enum tern_code code;
	int sys_errno;		 /* the errno behind a connection failure, 0 when none */
	char message[1024];	 /* what happened and what to do, in plain words */
	struct tern_reply reply; /* TERN_E_REPLY: the reply; otherwise code 0 */
	enum tern_stage stage;	 /* where it happened (TERN_E_SEQUENCE: the call refused) */
};

enum tern_tls_mode {
	TERN_TLS_NONE = 0, /* plaintext (STARTTLS may still be called by hand) */
	TERN_TLS_STARTTLS, /* plaintext first; MAIL and login refused until STARTTLS + EHLO */
	TERN_TLS_IMPLICIT, /* TLS from the first byte (port 465) */
};

struct tern_open_options {
	const char *host; /* name or address of the server (required) */
	uint16_t port;	  /* 0: 25 (NONE), 587 (STARTTLS), 465 (IMPLICIT) */
	enum tern_tls_mode tls;
	bool no_verify;	      /* true: accept any certificate (tests only); the default, false,
				* checks the chain and the name */
	const char *ca_file;  /* PEM file of trusted authorities; NULL: the system's */
	const char *tls_name; /* the name the certificate must hold and the SNI sent; NULL:
				* host */
	unsigned connect_timeout_ms; /* 0: 30 s, for the TCP connection and the TLS handshake */
	unsigned command_timeout_ms; /* 0: 300 s, for the greeting and each reply */
	bool verify_continue;	     /* check the certificate as usual, but go on when the check
				      * fails, and report the result in tern_tls_info (for
				      * diagnostic tools, which show "untrusted" as a finding);
				      * ignored with no_verify */
};

/* The opaque connection handle. */
typedef struct tern_client tern_client;

/* Resolves, connects, starts TLS for TERN_TLS_IMPLICIT and reads the greeting. NULL on
 * failure (err says why: TERN_E_DNS, TERN_E_REFUSED, TERN_E_TIMEOUT, TERN_E_UNREACHABLE, a TLS
 * error, TERN_E_REPLY for a greeting that is not 220, TERN_E_CLOSED, TERN_E_PROTOCOL). */
tern_client *tern_open(const struct tern_open_options *o, struct tern_error *err);

/* EHLO (or HELO) with `name`, this machine's FQDN; NULL: the address literal of the local end
 * of the connection ("[192.0.2.1]"). Allowed right after open, after STARTTLS, and between
 * transactions. Forgets a previous EHLO's offers. */
int tern_ehlo(tern_client *c, const char *name, struct tern_error *err);
int tern_helo(tern_client *c, const char *name, struct tern_error *err);

/* STARTTLS and the handshake (verified as the options say). Needs EHLO first and an offer of
 * STARTTLS (TERN_E_NO_STARTTLS otherwise, nothing sent). EHLO must be sent again after it. */
int tern_starttls(tern_client *c, struct tern_error *err);

/* The usual opening: EHLO, and for TERN_TLS_STARTTLS also STARTTLS and EHLO again. */
int tern_hello(tern_client *c, const char *name, struct tern_error *err);

enum tern_auth_mech {
	TERN_AUTH_AUTO = 0, /* PLAIN when offered, else LOGIN */
	TERN_AUTH_PLAIN,
	TERN_AUTH_LOGIN,
};

/* AUTH. Needs EHLO with an AUTH offer (TERN_E_SEQUENCE without one) and, in
 * TERN_TLS_STARTTLS mode, STARTTLS first. A refused login is TERN_E_REPLY (535 5.7.8). */
int tern_login(tern_client *c, const char *user, const char *pass, enum tern_auth_mech mech,
	       struct tern_error *err);

/* Optional MAIL FROM parameters. Zero means "not sent". */
struct tern_mail_params {
	uint64_t size;	/* SIZE=n, sent only when the server offers SIZE */
	bool body_8bit; /* BODY=8BITMIME (TERN_E_UNSUPPORTED when not offered) */
	bool smtputf8;	/* SMTPUTF8 (TERN_E_UNSUPPORTED when not offered) */
};

/* MAIL FROM:<from> ("" is the null sender <>). p may be NULL. Addresses are given bare
 * ("a@example.org"); CR, LF, NUL, spaces and angle brackets inside are refused. */
int tern_mail(tern_client *c, const char *from, const struct tern_mail_params *p,
	      struct tern_error *err);
/* RCPT TO:<to>. Needs an accepted MAIL. A refused recipient leaves the transaction open. */
int tern_rcpt(tern_client *c, const char *to, struct tern_error *err);

/* DATA with the whole message (headers and body, any line ends): the library dot-stuffs it
 * and turns bare CR or LF into CRLF. Needs at least one accepted RCPT. 0 when the server
 * accepted it (its reply, e.g. "250 2.0.0 Ok: queued as ...", is in tern_last_reply). */
int tern_data(tern_client *c, const void *msg, size_t len, struct tern_error *err);

/* The same in pieces: DATA, then any number of writes (pieces may split lines and CRLFs
 * anywhere), then the end of data and the server's verdict. */
int tern_open_data(tern_client *c, struct tern_error *err);
int tern_write_data(tern_client *c, const void *piece, size_t len, struct tern_error *err);
int tern_close_data(tern_client *c, struct tern_error *err);

int tern_rset(tern_client *c, struct tern_error *err); /* ends the transaction */
int tern_noop(tern_client *c, struct tern_error *err);
int tern_quit(tern_client *c, struct tern_error *err); /* every call after it is refused */

/* Closes the connection (a QUIT is written first when the dialogue allows it, without
 * waiting for its reply) and frees c. NULL is fine. */
void tern_close(tern_client *c);

/* One message in one call: MAIL, every RCPT, DATA. All or nothing: when the server refuses
 * MAIL, any recipient, or the message, the transaction is reset (RSET) and the error names
 * the refused step and address. BODY=8BITMIME is added when the message has 8-bit bytes and
 * the server offers it, SIZE when the server offers it. Needs EHLO (and login if required). */
int tern_send_message(tern_client *c, const char *from, const char *const *rcpts, size_t n,
		      const void *msg, size_t len, struct tern_error *err);

/* The last reply received (success or not), NULL before the greeting. Valid until the next
 * call on c. */
const struct tern_reply *tern_last_reply(const tern_client *c);
/* True when the last EHLO offered the extension `keyword` ("STARTTLS", "AUTH", "SIZE",
 * "8BITMIME", ...); case-insensitive. */
bool tern_offers(const tern_client *c, const char *keyword);
bool tern_tls_active(const tern_client *c);
/* Where the dialogue is, in words ("after EHLO", "MAIL accepted", ...). */
const char *tern_state(const tern_client *c);

/* The SIZE limit the last EHLO stated in octets; 0 when SIZE was not offered or offered
 * without a number (tern_offers(c, "SIZE") tells which). */
uint64_t tern_size_limit(const tern_client *c);
/* The AUTH mechanisms the last EHLO offered, as offered ("PLAIN LOGIN"); "" when none. */
const char *tern_auth_mechanisms(const tern_client *c);
/* The server's greeting text (after the 220), "" when there is none. */
const char *tern_greeting(const tern_client *c);

/* The TLS session, after a handshake (implicit or STARTTLS). */
struct tern_tls_info {
	char version[16];  /* "TLSv1.3" */
	char cipher[64];   /* "TLS_AES_256_GCM_SHA384" */
	char subject[256]; /* the peer certificate's subject, "CN=mx.example.org" */
	char issuer[256];  /* its issuer */
	char names[512];   /* its subjectAltName entries, "mx.example.org, 192.0.2.1" */
	time_t not_before; /* its validity */
	time_t not_after;
	bool verified;		/* the chain is trusted and holds the name (tls_name or host) */
	long verify_code;	/* OpenSSL's X509_V_* result: 0 verified, -1 not checked */
	char verify_error[160]; /* why not verified, in words; "" when verified */
};
/* Fills out and returns 0 when TLS is active; -1 (err: TERN_E_SEQUENCE) before a handshake. */
int tern_tls_info(const tern_client *c, struct tern_tls_info *out, struct tern_error *err);

/* "RCPT TO", "end of data", ...; "unknown" for a value out of range. */
const char *tern_stage_name(enum tern_stage stage);

/* Explains a reply: its codes, what they mean, who has to act, what to do and whether a retry
 * can help, as one paragraph (like UTL_SMTP's get_explain, from tern's knowledge base).
 * Writes into buf (always terminated) and returns buf. */
const char *tern_reply_explain(const struct tern_reply *r, char *buf, size_t size);

/* "TERN_E_SEQUENCE", ...; "TERN_E_UNKNOWN" for a value out of range. */
const char *tern_error_name(enum tern_code code);

#ifdef __cplusplus
}
#endif

#endif
