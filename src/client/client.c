/*
 * client.c - libtern's calls: the blocking adapter between a caller and the sans-IO dialogue
 * of src/proto/smtp_client_calls.
 *
 * Each call asks the dialogue to begin (it refuses calls out of order before anything is
 * written), writes what the dialogue produced through the transport, and feeds the server's
 * bytes back until the reply is complete. The outcome becomes a struct tern_error once, here:
 * a refusal (TERN_E_SEQUENCE and its kin), a reply that is not a success (TERN_E_REPLY with
 * the reply and what the knowledge base says about it), a transport failure (classified by
 * the transport), or a broken dialogue (TERN_E_PROTOCOL). The handle holds all the state;
 * there is no global state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "lib/buf.h"
#include "proto/explain.h"
#include "proto/smtp_client_calls.h"

#define DATA_CHUNK 65536

struct tern_client {
	struct tern_transport *t; /* NULL once the connection is gone */
	struct smtp_calls *calls;
	struct buf out;
	struct tern_reply last;
	bool have_last;
	enum tern_tls_mode mode;
};

int tern_fail(struct tern_error *err, enum tern_code code, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static void clear(struct tern_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

static void set_stage(struct tern_error *err, enum tern_stage stage)
{
	if (err != NULL)
		err->stage = stage;
}

static enum tern_stage stage_of(enum smtp_call call)
{
	static const enum tern_stage stages[CALL__COUNT] = {
		[CALL_NONE] = TERN_STAGE_NONE,	       [CALL_GREETING] = TERN_STAGE_GREETING,
		[CALL_EHLO] = TERN_STAGE_EHLO,	       [CALL_HELO] = TERN_STAGE_EHLO,
		[CALL_STARTTLS] = TERN_STAGE_STARTTLS, [CALL_LOGIN] = TERN_STAGE_AUTH,
		[CALL_MAIL] = TERN_STAGE_MAIL,	       [CALL_RCPT] = TERN_STAGE_RCPT,
		[CALL_DATA] = TERN_STAGE_DATA,	       [CALL_WRITE_DATA] = TERN_STAGE_DATA,
		[CALL_END_DATA] = TERN_STAGE_DOT,      [CALL_RSET] = TERN_STAGE_RSET,
		[CALL_NOOP] = TERN_STAGE_NOOP,	       [CALL_QUIT] = TERN_STAGE_QUIT,
	};

	return (unsigned)call < CALL__COUNT ? stages[call] : TERN_STAGE_NONE;
}

static void drop_transport(tern_client *c)
{
	if (c->t != NULL)
		c->t->ops->close(c->t);
	c->t = NULL;
}

/* --- replies -------------------------------------------------------------------------- */

static void to_tern_reply(const struct smtp_reply *r, struct tern_reply *out)
{
	size_t n = r->text_len < sizeof(out->text) - 1 ? r->text_len : sizeof(out->text) - 1;

	memset(out, 0, sizeof(*out));
	out->code = r->code;
	if (r->enh.cls != 0)
		enh_code_format(r->enh, out->enhanced, sizeof(out->enhanced));
	memcpy(out->text, r->text, n);
	out->text[n] = '\0';
	out->transient = r->code / 100 == 4;
	out->permanent = r->code / 100 == 5;
}

static void explain(const struct tern_reply *r, struct explanation *ex)
{
	struct enh_code e = { 0, 0, 0 };

	if (r->enhanced[0] != '\0')
		(void)enh_code_parse(r->enhanced, strlen(r->enhanced), &e);
	explain_reply(r->code, e, r->text, strlen(r->text), ex);
}

/* TERN_E_REPLY: the reply, and in the message what it means and what to do. */
static int reply_failure(tern_client *c, const char *cmd, struct tern_error *err)
{
	struct explanation *ex = malloc(sizeof(*ex));
	const struct tern_reply *r = &c->last;
	const char *kind = r->transient	  ? "transient: the same command may work later"
			   : r->permanent ? "permanent: it fails again unless something changes"
					  : "not a success";

	if (ex != NULL)
		explain(r, ex);
	tern_fail(err, TERN_E_REPLY, 0, "the server refused %s with %d%s%s %s (%s%s%s).%s%s", cmd,
		  r->code, r->enhanced[0] ? " " : "", r->enhanced, r->text,
		  ex != NULL && ex->title != NULL ? ex->title : "",
		  ex != NULL && ex->title ? "; " : "", kind,
		  ex != NULL && ex->action != NULL ? " What to do: " : "",
		  ex != NULL && ex->action != NULL ? ex->action : "");
	if (err != NULL)
		err->reply = *r;
	free(ex);
	return -1;
}

const char *tern_reply_explain(const struct tern_reply *r, char *buf, size_t size)
{
	struct explanation *ex;
	int n;

	if (buf == NULL || size == 0)
		return buf;
	buf[0] = '\0';
	if (r == NULL)
		return buf;
	if ((ex = malloc(sizeof(*ex))) == NULL) {
		snprintf(buf, size, "%d %s %s", r->code, r->enhanced, r->text);
		return buf;
	}
	explain(r, ex);
	n = snprintf(buf, size, "%d%s%s: %s (%s). %s", r->code, r->enhanced[0] ? " " : "",
		     r->enhanced, ex->title != NULL ? ex->title : "an unknown reply",
		     status_verdict_name(ex->verdict), ex->meaning != NULL ? ex->meaning : "");
	if (n >= 0 && (size_t)n < size && ex->causes != NULL)
		n += snprintf(buf + n, size - (size_t)n, " Likely causes: %s", ex->causes);
	if (n >= 0 && (size_t)n < size && ex->actor != ACTOR_NONE)
		n += snprintf(buf + n, size - (size_t)n, " Who has to act: %s.",
			      status_actor_words(ex->actor));
	if (n >= 0 && (size_t)n < size && ex->action != NULL)
		n += snprintf(buf + n, size - (size_t)n, " What to do: %s", ex->action);
	if (n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " Retry: %s.", explain_retry_words(ex->retry));
	free(ex);
	return buf;
}

/* --- one call ------------------------------------------------------------------------- */

static int refused(enum smtp_calls_refusal kind, const char *why, enum smtp_call call,
		   struct tern_error *err)
{
	static const enum tern_code codes[] = {
		[REFUSE_NONE] = TERN_E_INVALID,
		[REFUSE_SEQUENCE] = TERN_E_SEQUENCE,
		[REFUSE_NO_STARTTLS] = TERN_E_NO_STARTTLS,
		[REFUSE_UNSUPPORTED] = TERN_E_UNSUPPORTED,
		[REFUSE_INVALID] = TERN_E_INVALID,
		[REFUSE_CLOSED] = TERN_E_CLOSED,
	};

	if (kind == REFUSE_NO_STARTTLS)
		tern_fail(err, codes[kind], 0,
			  "%s What to do: ask the server's administrator to enable STARTTLS, or "
			  "use implicit TLS (TERN_TLS_IMPLICIT, usually port 465) if the server "
			  "offers it; TERN_TLS_NONE would send everything, the password too, in "
			  "plaintext.",
			  why);
	else
		tern_fail(err, codes[kind], 0, "%s", why);
	set_stage(err, stage_of(call));
	return -1;
}

/* The connection failed under a call: the transport's err stands, with the call's stage. */
static int lost(tern_client *c, enum smtp_call call, struct tern_error *err)
{
	smtp_calls_lost(c->calls);
	drop_transport(c);
	if (call == CALL_QUIT) { /* the server hung up after our QUIT: that is the end we asked */
		clear(err);
		return 0;
	}
	set_stage(err, stage_of(call));
	return -1;
}

/* The handshake after STARTTLS's 220. */
static int handshake(tern_client *c, struct tern_error *err)
{
	bool ok = c->t->ops->start_tls(c->t, err) == 0;

	smtp_calls_tls_done(c->calls, ok);
	if (ok)
		return 0;
	set_stage(err, TERN_STAGE_TLS);
	drop_transport(c);
	return -1;
}

/* Writes what the dialogue produced and reads until the call is done. `cmd` names the command
 * for messages ("RCPT TO:<b@example.org>"). */
static int exchange(tern_client *c, const char *cmd, struct tern_error *err)
{
	enum smtp_call call = smtp_calls_current(c->calls);
	uint8_t in[16384];
	char during[400];
	enum smtp_calls_status st;

	snprintf(during, sizeof(during), call == CALL_GREETING ? "%s" : "the reply to %s", cmd);
	for (;;) {
		if (smtp_calls_has_output(c->calls)) {
			int w;

			buf_reset(&c->out);
			smtp_calls_output(c->calls, &c->out);
			w = c->t->ops->write(c->t, c->out.data, c->out.len, cmd, err);
			if (call == CALL_LOGIN)
				explicit_bzero(c->out.data, c->out.len);
			if (c->out.cap > 4 * DATA_CHUNK)
				buf_free(&c->out);
			if (w < 0)
				return lost(c, call, err);
		}
		st = smtp_calls_status(c->calls);
		if (st != CALLS_WAIT)
			break;
		ssize_t n = c->t->ops->read(c->t, in, sizeof(in), during, err);

		if (n < 0)
			return lost(c, call, err);
		if (n == 0) {
			tern_fail(
				err, TERN_E_CLOSED, 0,
				"%s closed the connection while we waited for %s: the server "
				"ended the session (its log says why; servers drop clients they "
				"refuse, that were idle too long, or%s)",
				c->t->peer, during,
				call == CALL_GREETING
					? " that do not start TLS at once on an implicit TLS port: "
					  "try TERN_TLS_IMPLICIT"
					: " that broke a rule");
			return lost(c, call, err);
		}
		smtp_calls_feed(c->calls, in, (size_t)n);
	}
	if (smtp_calls_reply(c->calls) != NULL && call != CALL_WRITE_DATA) {
		to_tern_reply(smtp_calls_reply(c->calls), &c->last);
		c->have_last = true;
	}
	if (st == CALLS_BROKEN) {
		tern_fail(err, TERN_E_PROTOCOL, 0,
			  "the answer of %s to %s is not valid SMTP (%s), so the session was "
			  "closed; the server may not be an SMTP server, or a proxy in between "
			  "alters the dialogue",
			  c->t->peer, cmd, smtp_calls_broken_why(c->calls));
		set_stage(err, stage_of(call));
		drop_transport(c);
		return -1;
	}
	if (st == CALLS_START_TLS)
		return handshake(c, err);
	if (smtp_calls_ok(c->calls))
		return 0;
	reply_failure(c, cmd, err);
	set_stage(err, stage_of(call));
	if (smtp_calls_state(c->calls) == CS_CLOSED) { /* a 421, or a refused greeting */
		/* RFC 5321 3.1: after a 554 greeting the client should send QUIT; a 421 closes */
		if (call == CALL_GREETING && c->last.code != 421)
			(void)c->t->ops->write(c->t, "QUIT\r\n", 6, "QUIT", NULL);
		drop_transport(c);
	}
	return -1;
}

static int call(tern_client *c, enum smtp_call k, const char *api, const struct smtp_calls_args *a,
		const char *cmd, struct tern_error *err)
{
	enum smtp_calls_refusal kind;
	char why[768];

	clear(err);
	if (c == NULL)
		return tern_fail(err, TERN_E_INVALID, 0,
				 "%s: the client is NULL (tern_open failed?)", api);
	if (!smtp_calls_begin(c->calls, k, api, a, &kind, why, sizeof(why)))
		return refused(kind, why, k, err);
	if (c->t == NULL) { /* cannot happen: a dialogue without transport is closed */
		smtp_calls_lost(c->calls);
		return tern_fail(err, TERN_E_CLOSED, 0, "%s: the connection is closed", api);
	}
	if (!smtp_calls_has_output(c->calls) && k != CALL_WRITE_DATA) {
		smtp_calls_lost(c->calls);
		drop_transport(c);
		return tern_fail(err, TERN_E_NOMEM, ENOMEM, "%s: out of memory", api);
	}
	return exchange(c, cmd, err);
}

/* --- open and close ------------------------------------------------------------------- */

static int check_options(const struct tern_open_options *o, struct tern_error *err)
{
	if (o == NULL)
		return tern_fail(err, TERN_E_INVALID, 0, "tern_open: the options are NULL");
	if (o->host == NULL || o->host[0] == '\0')
		return tern_fail(err, TERN_E_INVALID, 0,
				 "tern_open: no host given (options.host: a name or an address)");
	if (strlen(o->host) > 253)
		return tern_fail(err, TERN_E_INVALID, 0,
				 "tern_open: the host name is longer than 253 characters");
	if (o->tls != TERN_TLS_NONE && o->tls != TERN_TLS_STARTTLS && o->tls != TERN_TLS_IMPLICIT)
		return tern_fail(err, TERN_E_INVALID, 0,
				 "tern_open: options.tls must be TERN_TLS_NONE, TERN_TLS_STARTTLS "
				 "or TERN_TLS_IMPLICIT");
	return 0;
}

tern_client *tern_open_transport(struct tern_transport *t, const struct tern_open_options *o,
				 struct tern_error *err)
{
	struct smtp_calls_config cfg = {
		.starttls_required = o->tls == TERN_TLS_STARTTLS,
		.tls_on_connect = o->tls == TERN_TLS_IMPLICIT,
	};
	tern_client *c = calloc(1, sizeof(*c));

	clear(err);
	if (c == NULL || (c->calls = smtp_calls_new(&cfg)) == NULL) {
		free(c);
		t->ops->close(t);
		tern_fail(err, TERN_E_NOMEM, ENOMEM, "tern_open: out of memory");
		return NULL;
	}
	c->t = t;
	c->mode = o->tls;
	buf_init(&c->out, 0);
	if (exchange(c, "the greeting", err) == 0)
		return c;
	tern_close(c);
	return NULL;
}

tern_client *tern_open(const struct tern_open_options *o, struct tern_error *err)
{
	struct tern_transport *t;

	clear(err);
	if (check_options(o, err) < 0)
		return NULL;
	if ((t = tern_net_connect(o, err)) == NULL)
		return NULL;
	return tern_open_transport(t, o, err);
}

void tern_close(tern_client *c)
{
	if (c == NULL)
		return;
	if (c->t != NULL) {
		enum smtp_calls_refusal kind;
		char why[768];

		/* A polite QUIT when the dialogue allows one; its reply is not awaited. */
		if (smtp_calls_begin(c->calls, CALL_QUIT, "tern_close", NULL, &kind, why,
				     sizeof(why))) {
			buf_reset(&c->out);
			smtp_calls_output(c->calls, &c->out);
			(void)c->t->ops->write(c->t, c->out.data, c->out.len, "QUIT", NULL);
		}
		drop_transport(c);
	}
	smtp_calls_free(c->calls);
	buf_free(&c->out);
	free(c);
}

/* --- the commands --------------------------------------------------------------------- */

static int hello(tern_client *c, enum smtp_call k, const char *api, const char *name,
		 struct tern_error *err)
{
	struct smtp_calls_args a = { .name = name };
	char local[80];

	if (c != NULL && name == NULL && c->t != NULL) {
		c->t->ops->local_name(c->t, local, sizeof(local));
		a.name = local;
	}
	return call(c, k, api, &a, k == CALL_EHLO ? "EHLO" : "HELO", err);
}

int tern_ehlo(tern_client *c, const char *name, struct tern_error *err)
{
	return hello(c, CALL_EHLO, "tern_ehlo", name, err);
}

int tern_helo(tern_client *c, const char *name, struct tern_error *err)
{
	return hello(c, CALL_HELO, "tern_helo", name, err);
}

int tern_starttls(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_STARTTLS, "tern_starttls", NULL, "STARTTLS", err);
}

int tern_hello(tern_client *c, const char *name, struct tern_error *err)
{
	int rc = hello(c, CALL_EHLO, "tern_hello", name, err);

	if (c == NULL)
		return rc;
	/* An old server without EHLO (500, 502): HELO, unless STARTTLS is required, which only
	 * EHLO can offer. */
	if (rc < 0 && err != NULL && err->code == TERN_E_REPLY && err->reply.permanent &&
	    c->mode != TERN_TLS_STARTTLS)
		rc = hello(c, CALL_HELO, "tern_hello", name, err);
	if (rc < 0 || c->mode != TERN_TLS_STARTTLS)
		return rc;
	if (call(c, CALL_STARTTLS, "tern_hello", NULL, "STARTTLS", err) < 0)
		return -1;
	return hello(c, CALL_EHLO, "tern_hello", name, err);
}

int tern_login(tern_client *c, const char *user, const char *pass, enum tern_auth_mech mech,
	       struct tern_error *err)
{
	struct smtp_calls_args a = { .user = user, .pass = pass };

	switch (mech) {
	case TERN_AUTH_AUTO:
		a.mech = SMTP_AUTH_AUTO;
		break;
	case TERN_AUTH_PLAIN:
		a.mech = SMTP_AUTH_PLAIN;
		break;
	case TERN_AUTH_LOGIN:
		a.mech = SMTP_AUTH_LOGIN;
		break;
	default:
		return tern_fail(err, TERN_E_INVALID, 0,
				 "tern_login: mech must be TERN_AUTH_AUTO, TERN_AUTH_PLAIN or "
				 "TERN_AUTH_LOGIN");
	}
	return call(c, CALL_LOGIN, "tern_login", &a, "AUTH (login)", err);
}

static int mail(tern_client *c, const char *api, const char *from, const struct tern_mail_params *p,
		struct tern_error *err)
{
	struct smtp_calls_args a = { .address = from };
	char cmd[320];

	if (p != NULL) {
		a.size = p->size;
		a.body_8bit = p->body_8bit;
		a.smtputf8 = p->smtputf8;
	}
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%.256s>", from != NULL ? from : "");
	return call(c, CALL_MAIL, api, &a, cmd, err);
}

int tern_mail(tern_client *c, const char *from, const struct tern_mail_params *p,
	      struct tern_error *err)
{
	return mail(c, "tern_mail", from, p, err);
}

static int rcpt(tern_client *c, const char *api, const char *to, struct tern_error *err)
{
	struct smtp_calls_args a = { .address = to };
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "RCPT TO:<%.256s>", to != NULL ? to : "");
	return call(c, CALL_RCPT, api, &a, cmd, err);
}

int tern_rcpt(tern_client *c, const char *to, struct tern_error *err)
{
	return rcpt(c, "tern_rcpt", to, err);
}

int tern_open_data(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_DATA, "tern_open_data", NULL, "DATA", err);
}

int tern_write_data(tern_client *c, const void *piece, size_t len, struct tern_error *err)
{
	const uint8_t *p = piece;

	/* In pieces of DATA_CHUNK: the stuffed copy of a large piece is never held whole. */
	do {
		size_t n = len < DATA_CHUNK ? len : DATA_CHUNK;
		struct smtp_calls_args a = { .data = p, .len = n };

		if (call(c, CALL_WRITE_DATA, "tern_write_data", &a, "the message", err) < 0)
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int tern_close_data(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_END_DATA, "tern_close_data", NULL, "the message (end of data)", err);
}

static int data(tern_client *c, const char *api, const void *msg, size_t len,
		struct tern_error *err)
{
	if (call(c, CALL_DATA, api, NULL, "DATA", err) < 0)
		return -1;
	if (tern_write_data(c, msg, len, err) < 0)
		return -1;
	return tern_close_data(c, err);
}

int tern_data(tern_client *c, const void *msg, size_t len, struct tern_error *err)
{
	return data(c, "tern_data", msg, len, err);
}

int tern_rset(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_RSET, "tern_rset", NULL, "RSET", err);
}

int tern_noop(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_NOOP, "tern_noop", NULL, "NOOP", err);
}

int tern_quit(tern_client *c, struct tern_error *err)
{
	return call(c, CALL_QUIT, "tern_quit", NULL, "QUIT", err);
}

static bool any_8bit(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] & 0x80)
			return true;
	return false;
}

/* Ends a refused transaction (all or nothing); the refusal stands, whatever RSET says. */
static int undo(tern_client *c)
{
	struct tern_error ignored;

	if (smtp_calls_state(c->calls) == CS_MAIL || smtp_calls_state(c->calls) == CS_RCPT)
		(void)tern_rset(c, &ignored);
	return -1;
}

int tern_send_message(tern_client *c, const char *from, const char *const *rcpts, size_t n,
		      const void *msg, size_t len, struct tern_error *err)
{
	struct tern_mail_params p = { 0 };
	bool utf8 = from != NULL && any_8bit(from, strlen(from));

	if (c == NULL)
		return tern_fail(err, TERN_E_INVALID, 0, "tern_send_message: the client is NULL");
	if (rcpts == NULL || n == 0)
		return tern_fail(err, TERN_E_INVALID, 0,
				 "tern_send_message: no recipients given (rcpts and n)");
	if (msg == NULL && len > 0)
		return tern_fail(err, TERN_E_INVALID, 0, "tern_send_message: msg is NULL");
	for (size_t i = 0; i < n; i++)
		utf8 = utf8 || (rcpts[i] != NULL && any_8bit(rcpts[i], strlen(rcpts[i])));
	p.size = len;
	p.body_8bit = any_8bit(msg, len) && tern_offers(c, "8BITMIME");
	p.smtputf8 = utf8 && tern_offers(c, "SMTPUTF8");
	if (mail(c, "tern_send_message", from, &p, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rcpt(c, "tern_send_message", rcpts[i], err) < 0)
			return undo(c);
	if (data(c, "tern_send_message", msg, len, err) < 0)
		return undo(c);
	return 0;
}

/* --- what the client knows ------------------------------------------------------------ */

const struct tern_reply *tern_last_reply(const tern_client *c)
{
	return c != NULL && c->have_last ? &c->last : NULL;
}

bool tern_offers(const tern_client *c, const char *keyword)
{
	return c != NULL && smtp_calls_offers(c->calls, keyword);
}

bool tern_tls_active(const tern_client *c)
{
	return c != NULL && smtp_calls_tls_active(c->calls);
}

const char *tern_state(const tern_client *c)
{
	return c != NULL ? smtp_calls_state_words(c->calls) : "no client";
}

uint64_t tern_size_limit(const tern_client *c)
{
	return c != NULL ? smtp_calls_caps(c->calls)->size : 0;
}

const char *tern_auth_mechanisms(const tern_client *c)
{
	return c != NULL ? smtp_calls_auth_offered(c->calls) : "";
}

const char *tern_greeting(const tern_client *c)
{
	return c != NULL ? smtp_calls_greeting(c->calls) : "";
}

int tern_tls_info(const tern_client *c, struct tern_tls_info *out, struct tern_error *err)
{
	clear(err);
	if (c == NULL || out == NULL)
		return tern_fail(err, TERN_E_INVALID, 0, "tern_tls_info: NULL argument");
	memset(out, 0, sizeof(*out));
	if (c->t == NULL || !smtp_calls_tls_active(c->calls) || c->t->ops->tls_info(c->t, out) < 0)
		return tern_fail(err, TERN_E_SEQUENCE, 0,
				 "tern_tls_info: no TLS session: open with TERN_TLS_IMPLICIT, or "
				 "call tern_starttls (or tern_hello with TERN_TLS_STARTTLS) first; "
				 "the connection is %s",
				 smtp_calls_state_words(c->calls));
	return 0;
}

const char *tern_stage_name(enum tern_stage stage)
{
	static const char *const names[] = {
		[TERN_STAGE_NONE] = "none",	    [TERN_STAGE_RESOLVE] = "resolve",
		[TERN_STAGE_CONNECT] = "connect",   [TERN_STAGE_TLS] = "TLS handshake",
		[TERN_STAGE_GREETING] = "greeting", [TERN_STAGE_EHLO] = "EHLO",
		[TERN_STAGE_STARTTLS] = "STARTTLS", [TERN_STAGE_AUTH] = "AUTH",
		[TERN_STAGE_MAIL] = "MAIL FROM",    [TERN_STAGE_RCPT] = "RCPT TO",
		[TERN_STAGE_DATA] = "DATA",	    [TERN_STAGE_DOT] = "end of data",
		[TERN_STAGE_RSET] = "RSET",	    [TERN_STAGE_NOOP] = "NOOP",
		[TERN_STAGE_QUIT] = "QUIT",
	};

	if ((unsigned)stage >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[stage];
}

const char *tern_error_name(enum tern_code code)
{
	static const char *const names[] = {
		[TERN_E_OK] = "TERN_E_OK",
		[TERN_E_SEQUENCE] = "TERN_E_SEQUENCE",
		[TERN_E_REPLY] = "TERN_E_REPLY",
		[TERN_E_DNS] = "TERN_E_DNS",
		[TERN_E_REFUSED] = "TERN_E_REFUSED",
		[TERN_E_TIMEOUT] = "TERN_E_TIMEOUT",
		[TERN_E_UNREACHABLE] = "TERN_E_UNREACHABLE",
		[TERN_E_TLS_HANDSHAKE] = "TERN_E_TLS_HANDSHAKE",
		[TERN_E_TLS_UNTRUSTED] = "TERN_E_TLS_UNTRUSTED",
		[TERN_E_TLS_EXPIRED] = "TERN_E_TLS_EXPIRED",
		[TERN_E_TLS_NAME] = "TERN_E_TLS_NAME",
		[TERN_E_NO_STARTTLS] = "TERN_E_NO_STARTTLS",
		[TERN_E_CLOSED] = "TERN_E_CLOSED",
		[TERN_E_PROTOCOL] = "TERN_E_PROTOCOL",
		[TERN_E_NOMEM] = "TERN_E_NOMEM",
		[TERN_E_INVALID] = "TERN_E_INVALID",
		[TERN_E_UNSUPPORTED] = "TERN_E_UNSUPPORTED",
		[TERN_E_IO] = "TERN_E_IO",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "TERN_E_UNKNOWN";
	return names[code];
}
