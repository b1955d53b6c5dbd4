/*
 * smtp_client.c - the outbound SMTP client session (see smtp_client.h for the contract).
 *
 * The session is in one state per reply it waits for, and each state has one handler in a
 * table; a 421 is handled before any of them, in one place. Every reply goes through
 * smtp_reply_parse from an input buffer of at most SMTP_REPLY_BYTES_MAX octets. Recipients
 * are decided only through decide_*() (or by the checks before sending), and a transaction
 * ends only in finish_txn(), which raises SC_DONE. Reply texts, EHLO keywords, those checks,
 * dot-stuffing and the names are in smtp_client_data.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/buf.h"
#include "smtp_client_int.h"

enum sc_state {
	S_GREETING = 0,
	S_EHLO,
	S_HELO,
	S_STARTTLS,
	S_TLS,	     /* the adapter runs the handshake: no reply is awaited, input is dropped */
	S_AUTH,	     /* the final reply to AUTH (235) */
	S_AUTH_USER, /* AUTH LOGIN: the 334 that asks for the user name */
	S_AUTH_PASS, /* AUTH LOGIN: the 334 that asks for the password */
	S_READY,     /* idle: any reply is unsolicited */
	S_MAIL,
	S_RCPT,
	S_DATA,
	S_DOT,
	S_RSET,
	S_QUIT,
	S_CLOSED,
	S__COUNT
};

struct smtp_client {
	char *helo, *user, *pass; /* user NULL: no AUTH */
	enum smtp_tls_level tls;
	bool tls_on_connect;

	enum sc_state state;
	enum smtp_stage stage; /* of the reply awaited; when idle, of the last one */
	struct buf in;	       /* server bytes not parsed yet: at most SMTP_REPLY_BYTES_MAX */
	size_t scan, line_start, lines; /* worth_parsing's place in `in` */
	struct buf out;			/* what the adapter has to write */
	bool oom;			/* an append to `out` failed: the session ends */
	bool secret;			/* `out` has held credentials: wipe it */
	struct smtp_reply reply;	/* the reply being handled (4 KiB: kept off the stack) */

	struct smtp_client_caps caps;
	bool tls_active, retry_plain, ready_once, done_pending;
	bool failed, unusable;
	struct smtp_client_reply failure;
	char greeting[256], ehlo_domain[256], banner[520];

	/* The open transaction: res != NULL from smtp_client_send to finish_txn. */
	const struct smtp_client_message *msg;
	struct smtp_rcpt_result *res;
	size_t rcpt_sent, rcpt_replied; /* RCPT commands written, replies to them read */
	size_t cursor;			/* the recipient the next RCPT reply is for */
	size_t accepted;		/* recipients with a 2xx to RCPT */
	bool pipelined;			/* MAIL, RCPTs and DATA went in one batch */
	bool mail_ok;			/* MAIL got 2xx (else pipelined replies are ignored) */
	bool too_many;			/* a "452 too many recipients" after an accepted one */
	bool empty_data;		/* DATA got 354 with nobody accepted: "." was sent */
};

typedef void reply_fn(struct smtp_client *c, const struct smtp_reply *r);

static reply_fn on_greeting, on_ehlo, on_helo, on_starttls, on_auth, on_auth_user, on_auth_pass,
	on_unsolicited, on_mail, on_rcpt, on_data, on_dot, on_rset, on_quit;

/* The states: which stage a reply belongs to, and who handles it. */
#define KEEP_STAGE SC__STAGE_COUNT
static const struct state_def {
	enum smtp_stage stage; /* KEEP_STAGE: the stage of the previous state */
	reply_fn *on_reply;    /* NULL: no reply is read in this state (input is dropped) */
} states[S__COUNT] = {
	[S_GREETING] = { SC_STAGE_GREETING, on_greeting },
	[S_EHLO] = { SC_STAGE_EHLO, on_ehlo },
	[S_HELO] = { SC_STAGE_EHLO, on_helo },
	[S_STARTTLS] = { SC_STAGE_STARTTLS, on_starttls },
	[S_TLS] = { SC_STAGE_TLS, NULL },
	[S_AUTH] = { SC_STAGE_AUTH, on_auth },
	[S_AUTH_USER] = { SC_STAGE_AUTH, on_auth_user },
	[S_AUTH_PASS] = { SC_STAGE_AUTH, on_auth_pass },
	[S_READY] = { KEEP_STAGE, on_unsolicited },
	[S_MAIL] = { SC_STAGE_MAIL, on_mail },
	[S_RCPT] = { SC_STAGE_RCPT, on_rcpt },
	[S_DATA] = { SC_STAGE_DATA, on_data },
	[S_DOT] = { SC_STAGE_DOT, on_dot },
	[S_RSET] = { SC_STAGE_RSET, on_rset },
	[S_QUIT] = { SC_STAGE_QUIT, on_quit },
	[S_CLOSED] = { KEEP_STAGE, NULL },
};

/* Enhanced codes of the failures the session writes itself. */
static const struct enh_code ENH_NONE = { 0, 0, 0 };
static const struct enh_code ENH_PROTOCOL = { 4, 5, 0 };       /* malformed or unexpected reply */
static const struct enh_code ENH_SYSTEM = { 4, 3, 0 };	       /* out of memory */
static const struct enh_code ENH_NO_TLS = { 4, 7, 4 };	       /* security feature missing */
static const struct enh_code ENH_TLS_FAILED = { 4, 7, 5 };     /* cryptographic failure */
static const struct enh_code ENH_NO_AUTH = { 5, 7, 0 };	       /* no usable AUTH mechanism */
static const struct enh_code ENH_AUTH_NEEDS_TLS = { 4, 7, 0 }; /* no TLS for the password */

/* --- output ----------------------------------------------------------------------------- */

static void put(struct smtp_client *c, const char *verb, const char *arg)
{
	if (!buf_append_str(&c->out, verb) || (arg != NULL && !buf_append_str(&c->out, arg)) ||
	    !buf_append_str(&c->out, "\r\n"))
		c->oom = true;
}

/* Appends the base64 of the concatenated parts and CRLF (a secret). */
static void put_base64(struct smtp_client *c, const char *const *parts, const size_t *lens,
		       size_t nparts)
{
	c->oom |= !smtp_client_put_base64(&c->out, parts, lens, nparts);
	c->secret = true;
}

/* --- states, results and the end of a session ------------------------------------------- */

static void enter(struct smtp_client *c, enum sc_state s)
{
	c->state = s;
	if (states[s].stage != KEEP_STAGE)
		c->stage = states[s].stage;
}

static void enter_ready(struct smtp_client *c)
{
	c->ready_once = true;
	enter(c, S_READY);
}

static enum smtp_rcpt_outcome failed_outcome(int code)
{
	return code / 100 == 5 ? SC_RCPT_PERMFAIL : SC_RCPT_TEMPFAIL;
}

/* Decides every recipient from index `from` on that is still pending. */
static void decide_from(struct smtp_client *c, size_t from, enum smtp_rcpt_outcome o,
			const struct smtp_client_reply *why)
{
	for (size_t i = from; i < c->msg->rcpt_count; i++) {
		if (c->res[i].outcome != SC_RCPT_PENDING)
			continue;
		c->res[i].outcome = o;
		c->res[i].reply = *why;
	}
}

static void decide_pending(struct smtp_client *c, enum smtp_rcpt_outcome o,
			   const struct smtp_client_reply *why)
{
	decide_from(c, 0, o, why);
}

static void finish_txn(struct smtp_client *c)
{
	c->msg = NULL;
	c->res = NULL;
	c->done_pending = true;
}

/* Ends the session: pending recipients get a temporary failure, an open transaction reports
 * SC_DONE, then SC_CLOSED. `quit` when the dialogue is still in step (a polite QUIT is
 * written; the adapter need not wait for its reply). */
static void close_session(struct smtp_client *c, const struct smtp_client_reply *why, bool unusable,
			  bool quit)
{
	if (c->res != NULL) {
		decide_pending(c, SC_RCPT_TEMPFAIL, why);
		finish_txn(c);
	}
	c->failure = *why;
	c->failed = true;
	c->unusable = unusable;
	buf_reset(&c->out);
	if (quit)
		(void)buf_append_str(&c->out, "QUIT\r\n");
	enter(c, S_CLOSED);
}

static void close_local(struct smtp_client *c, struct enh_code enh, const char *text, bool unusable,
			bool quit)
{
	struct smtp_client_reply d;

	smtp_client_local_reply(&d, 0, enh, c->stage, text);
	close_session(c, &d, unusable, quit);
}

static void close_reply(struct smtp_client *c, const struct smtp_reply *r, bool unusable, bool quit)
{
	struct smtp_client_reply d;

	smtp_client_reply_from(&d, r, c->stage);
	close_session(c, &d, unusable, quit);
}

static void settle_oom(struct smtp_client *c)
{
	if (!c->oom || c->state == S_CLOSED)
		return;
	c->oom = false;
	close_local(c, ENH_SYSTEM, "out of memory while writing to the server", false, false);
}

static void set_banner(struct smtp_client *c)
{
	c->banner[0] = '\0';
	smtp_client_clean_add(c->banner, sizeof(c->banner), c->greeting, strlen(c->greeting));
	if (c->ehlo_domain[0] == '\0')
		return;
	smtp_client_clean_add(c->banner, sizeof(c->banner), " (EHLO ", 7);
	smtp_client_clean_add(c->banner, sizeof(c->banner), c->ehlo_domain, strlen(c->ehlo_domain));
	smtp_client_clean_add(c->banner, sizeof(c->banner), ")", 1);
}

static void parse_ehlo(struct smtp_client *c, const struct smtp_reply *r)
{
	const char *nl = memchr(r->text, '\n', r->text_len);
	size_t n = 0;

	/* The first line is the server's name and a greeting; keywords follow. */
	while (n < r->text_len && r->text[n] != '\n' && r->text[n] != ' ' && r->text[n] != '\t')
		n++;
	c->ehlo_domain[0] = '\0';
	smtp_client_clean_add(c->ehlo_domain, sizeof(c->ehlo_domain), r->text, n);
	set_banner(c);
	memset(&c->caps, 0, sizeof(c->caps));
	c->caps.esmtp = true;
	if (nl != NULL)
		smtp_client_ehlo_caps(&c->caps, nl + 1, r->text_len - (size_t)(nl + 1 - r->text));
}

/* --- greeting, EHLO, STARTTLS, AUTH ----------------------------------------------------- */

static void on_greeting(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code != 220) {
		close_reply(c, r, true, true); /* RFC 5321 3.1: QUIT after a 554 greeting */
		return;
	}
	c->greeting[0] = '\0';
	smtp_client_clean_add(c->greeting, sizeof(c->greeting), r->text, r->text_len);
	set_banner(c);
	put(c, "EHLO ", c->helo);
	enter(c, S_EHLO);
}

static void start_auth(struct smtp_client *c)
{
	if (c->user == NULL) {
		enter_ready(c);
		return;
	}
	/* A password goes in the clear only where the operator chose no TLS at all; an
	 * opportunistic level that ended in plaintext (a stripped STARTTLS) must not leak it. */
	if (!c->tls_active && !c->tls_on_connect && c->tls != SMTP_TLS_NONE) {
		enter(c, S_AUTH);
		close_local(c, ENH_AUTH_NEEDS_TLS,
			    "the connection is not encrypted, so tern does not send the AUTH "
			    "password: the server did not complete STARTTLS (set the route's tls = "
			    "encrypt or verify to require it)",
			    false, true);
		return;
	}
	if (c->caps.auth_plain) {
		const char *parts[] = { "", c->user, "", c->pass };
		const size_t lens[] = { 1, strlen(c->user), 1, strlen(c->pass) };

		c->oom |= !buf_append_str(&c->out, "AUTH PLAIN ");
		put_base64(c, parts, lens, 4); /* "\0user\0pass" */
		enter(c, S_AUTH);
		return;
	}
	if (c->caps.auth_login) {
		put(c, "AUTH LOGIN", NULL);
		enter(c, S_AUTH_USER);
		return;
	}
	enter(c, S_AUTH);
	close_local(c, ENH_NO_AUTH,
		    "the server offers no AUTH mechanism tern can use (PLAIN or LOGIN), so the "
		    "configured user cannot log in: check the route's auth settings, and whether "
		    "the server offers AUTH only after STARTTLS",
		    false, true);
}

static bool wants_starttls(const struct smtp_client *c)
{
	return !c->tls_active && !c->tls_on_connect && c->tls != SMTP_TLS_NONE;
}

/* After a 2xx to EHLO or HELO: STARTTLS if it is due, else AUTH if configured, else ready. */
static void after_hello(struct smtp_client *c)
{
	if (wants_starttls(c) && c->caps.starttls) {
		put(c, "STARTTLS", NULL);
		enter(c, S_STARTTLS);
		return;
	}
	if (wants_starttls(c) && c->tls != SMTP_TLS_MAY) {
		enter(c, S_STARTTLS);
		close_local(c, ENH_NO_TLS,
			    "TLS required by policy but the server does not offer STARTTLS", true,
			    true);
		return;
	}
	start_auth(c);
}

static void on_ehlo(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code / 100 == 2) {
		parse_ehlo(c, r);
		after_hello(c);
		return;
	}
	if (r->code / 100 == 5) { /* an old server: try HELO */
		memset(&c->caps, 0, sizeof(c->caps));
		put(c, "HELO ", c->helo);
		enter(c, S_HELO);
		return;
	}
	close_reply(c, r, true, true);
}

static void on_helo(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code / 100 != 2) {
		close_reply(c, r, true, true);
		return;
	}
	memset(&c->caps, 0, sizeof(c->caps));
	after_hello(c);
}

static void on_starttls(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_reply d;

	if (r->code == 220) {
		enter(c, S_TLS); /* the caller drops whatever came after this reply */
		return;
	}
	if (c->tls == SMTP_TLS_MAY) { /* refused: go on in plaintext */
		start_auth(c);
		return;
	}
	smtp_client_local_reply(&d, 0, ENH_NO_TLS, SC_STAGE_STARTTLS,
				"TLS required by policy but the server refused STARTTLS: ");
	smtp_client_text_add_reply(&d, r);
	close_session(c, &d, true, true);
}

static void on_auth(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code / 100 == 2) {
		enter_ready(c);
		return;
	}
	/* A 3xx here asks for more than we have: the exchange is out of step, no QUIT. */
	close_reply(c, r, false, r->code / 100 != 3);
}

static void login_step(struct smtp_client *c, const struct smtp_reply *r, const char *secret,
		       enum sc_state next)
{
	const size_t len = strlen(secret);

	if (r->code / 100 != 3) {
		on_auth(c, r);
		return;
	}
	put_base64(c, &secret, &len, 1);
	enter(c, next);
}

static void on_auth_user(struct smtp_client *c, const struct smtp_reply *r)
{
	login_step(c, r, c->user, S_AUTH_PASS);
}

static void on_auth_pass(struct smtp_client *c, const struct smtp_reply *r)
{
	login_step(c, r, c->pass, S_AUTH);
}

static void on_unsolicited(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_reply d;

	smtp_client_local_reply(&d, 0, ENH_PROTOCOL, c->stage,
				"unexpected reply from the server while idle: ");
	smtp_client_text_add_reply(&d, r);
	close_session(c, &d, true, false);
}

static void on_quit(struct smtp_client *c, const struct smtp_reply *r)
{
	(void)r;
	enter(c, S_CLOSED); /* our QUIT: no failure, whatever the reply */
}

/* --- the transaction -------------------------------------------------------------------- */

/* The first recipient from index i on that is still to be sent (not refused locally). */
static size_t next_rcpt(const struct smtp_client *c, size_t i)
{
	while (i < c->msg->rcpt_count && c->res[i].outcome != SC_RCPT_PENDING)
		i++;
	return i;
}

static void send_rcpt(struct smtp_client *c, size_t i)
{
	c->oom |= !buf_printf(&c->out, "RCPT TO:<%s>\r\n", c->msg->rcpts[i]);
	c->rcpt_sent++;
}

static void send_rset(struct smtp_client *c)
{
	put(c, "RSET", NULL);
	enter(c, S_RSET);
}

/* "452 4.5.3" or a bare 452 (RFC 5321 4.5.3.1.10: too many recipients). */
static bool too_many_reply(const struct smtp_reply *r)
{
	bool e453 = r->enh.cls == 4 && r->enh.subject == 5 && r->enh.detail == 3;

	return (r->code == 452 && (r->enh.cls == 0 || e453)) || (r->code / 100 == 4 && e453);
}

static void decide_rcpt(struct smtp_client *c, size_t i, const struct smtp_reply *r)
{
	struct smtp_rcpt_result *res = &c->res[i];

	smtp_client_reply_from(&res->reply, r, SC_STAGE_RCPT);
	if (r->code / 100 == 2) { /* accepted: decided at the end of data */
		c->accepted++;
		return;
	}
	if (c->too_many && r->code / 100 >= 4) { /* past the limit: a new transaction */
		res->outcome = SC_RCPT_NOT_TRIED;
	} else if (too_many_reply(r) && c->accepted > 0) {
		res->outcome = SC_RCPT_NOT_TRIED;
		c->too_many = true;
	} else {
		res->outcome = failed_outcome(r->code);
	}
}

static void on_mail(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_reply d;

	if (r->code / 100 == 2) {
		c->mail_ok = true;
		c->cursor = next_rcpt(c, 0);
		if (!c->pipelined)
			send_rcpt(c, c->cursor);
		enter(c, S_RCPT);
		return;
	}
	smtp_client_reply_from(&d, r, SC_STAGE_MAIL);
	decide_pending(c, failed_outcome(r->code), &d);
	if (c->pipelined) { /* the RCPT and DATA replies follow: read and ignore them */
		enter(c, S_RCPT);
		return;
	}
	send_rset(c);
}

static void on_rcpt(struct smtp_client *c, const struct smtp_reply *r)
{
	size_t i = c->cursor, next;
	struct smtp_client_reply d;

	c->rcpt_replied++;
	if (c->mail_ok)
		decide_rcpt(c, i, r);
	if (c->pipelined) {
		if (c->rcpt_replied < c->rcpt_sent) {
			c->cursor = c->mail_ok ? next_rcpt(c, i + 1) : i;
			return;
		}
		enter(c, S_DATA); /* DATA was sent in the batch */
		return;
	}
	next = next_rcpt(c, i + 1);
	if (!c->too_many && next < c->msg->rcpt_count) {
		c->cursor = next;
		send_rcpt(c, next);
		return;
	}
	if (c->too_many) { /* the rest goes into a new transaction */
		smtp_client_reply_from(&d, r, SC_STAGE_RCPT);
		decide_from(c, i + 1, SC_RCPT_NOT_TRIED, &d);
	}
	if (c->accepted == 0) {
		send_rset(c);
		return;
	}
	put(c, "DATA", NULL);
	enter(c, S_DATA);
}

static void on_data(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_reply d;

	if (r->code / 100 == 3) {
		c->empty_data = !c->mail_ok || c->accepted == 0;
		if (c->empty_data) /* a pipelined DATA accepted for nobody: end it at once */
			c->oom |= !buf_append_str(&c->out, ".\r\n");
		else
			c->oom |= !smtp_dot_stuff(c->msg->data, c->msg->len, &c->out);
		enter(c, S_DOT);
		return;
	}
	smtp_client_reply_from(&d, r, SC_STAGE_DATA);
	decide_pending(c, failed_outcome(r->code), &d); /* only accepted ones are pending */
	send_rset(c);
}

static void on_dot(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_reply d;

	if (c->empty_data) {
		send_rset(c);
		return;
	}
	smtp_client_reply_from(&d, r, SC_STAGE_DOT);
	if (r->code / 100 == 2) {
		decide_pending(c, SC_RCPT_DELIVERED, &d);
		finish_txn(c);
		enter_ready(c);
		return;
	}
	decide_pending(c, failed_outcome(r->code), &d);
	send_rset(c);
}

static void on_rset(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code / 100 != 2) {
		close_reply(c, r, false, true);
		return;
	}
	if (c->res != NULL)
		finish_txn(c);
	enter_ready(c);
}

/* --- input ------------------------------------------------------------------------------ */

static void handle_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	/* 421: the server is closing the channel, whatever we asked (RFC 5321 3.8). */
	if (r->code == 421 && c->state != S_QUIT) {
		close_reply(c, r, true, false);
		return;
	}
	states[c->state].on_reply(c, r);
}

static void malformed(struct smtp_client *c, const char *what)
{
	struct smtp_client_reply d;

	if (c->state == S_QUIT) { /* we were leaving anyway */
		enter(c, S_CLOSED);
		return;
	}
	smtp_client_local_reply(&d, 0, ENH_PROTOCOL, c->stage, "malformed reply from the server: ");
	smtp_client_text_add(&d, what);
	close_session(c, &d, true, false);
}

static bool reading(const struct smtp_client *c)
{
	return states[c->state].on_reply != NULL;
}

/* Whether the unparsed input holds something for the parser: a line that can end a reply
 * (not "DDD-"), a line too long, too many lines or a NUL. Continuation lines are only counted,
 * so that a reply of many lines is parsed once rather than once per line. */
static bool worth_parsing(struct smtp_client *c)
{
	const uint8_t *d = c->in.data;
	bool worth = false;

	while (c->scan < c->in.len && !worth) {
		const uint8_t *lf = memchr(d + c->scan, '\n', c->in.len - c->scan);
		size_t end = lf != NULL ? (size_t)(lf - d) : c->in.len;
		const uint8_t *line = d + c->line_start;
		size_t len = end - c->line_start;

		worth = memchr(d + c->scan, '\0', end - c->scan) != NULL ||
			len > SMTP_REPLY_LINE_MAX + 1;
		c->scan = lf != NULL ? end + 1 : end;
		if (lf == NULL)
			break;
		worth = worth || len < 4 || line[3] != '-' || ++c->lines >= SMTP_REPLY_LINES_MAX;
		c->line_start = c->scan;
	}
	return worth;
}

static void input_reset(struct smtp_client *c, bool drop)
{
	if (drop)
		buf_free(&c->in);
	c->scan = c->line_start = c->lines = 0;
}

/* Handles every complete reply in the input buffer; false when there was none. */
static bool process(struct smtp_client *c)
{
	size_t pos = 0, used;
	enum smtp_reply_error err;
	bool progress = false;

	while (pos < c->in.len && reading(c)) {
		enum smtp_reply_status st =
			smtp_reply_parse(c->in.data + pos, c->in.len - pos, &c->reply, &used, &err);

		if (st == SMTP_REPLY_MORE)
			break;
		progress = true;
		if (st == SMTP_REPLY_ERROR) {
			malformed(c, smtp_reply_error_text(err));
			break;
		}
		pos += used;
		handle_reply(c, &c->reply);
	}
	if (!reading(c)) {
		/* STARTTLS's 220 or the end: what follows is never read (response injection). */
		input_reset(c, true);
		return progress;
	}
	buf_consume(&c->in, pos);
	input_reset(c, false); /* the rest is scanned again */
	return progress;
}

size_t smtp_client_feed(struct smtp_client *c, const uint8_t *in, size_t len)
{
	size_t off = 0;

	while (off < len && reading(c)) {
		size_t room = SMTP_REPLY_BYTES_MAX - c->in.len;
		size_t n = len - off < room ? len - off : room;

		if (!buf_append(&c->in, in + off, n)) {
			close_local(c, ENH_SYSTEM, "out of memory while reading from the server",
				    false, false);
			break;
		}
		off += n;
		while (reading(c) && worth_parsing(c) && process(c))
			;
		_Static_assert(SMTP_REPLY_BYTES_MAX == 262144, "the text below says 262144");
		if (reading(c) && c->in.len >= SMTP_REPLY_BYTES_MAX)
			malformed(c, "reply longer than 262144 octets");
	}
	if (!reading(c))
		input_reset(c, true);
	settle_oom(c);
	return len;
}

/* --- the adapter's calls ---------------------------------------------------------------- */

static bool valid_helo(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((uint8_t)*s <= ' ' || (uint8_t)*s == 0x7f)
			return false;
	return true;
}

struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg)
{
	struct smtp_client *c;
	bool auth = cfg->auth_user != NULL && cfg->auth_user[0] != '\0';

	/* A name with a space or a line end in it would write a second command. */
	if (!valid_helo(cfg->helo_name))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	buf_init(&c->in, SMTP_REPLY_BYTES_MAX);
	buf_init(&c->out, 0);
	c->helo = strdup(cfg->helo_name);
	c->user = auth ? strdup(cfg->auth_user) : NULL;
	c->pass = auth ? strdup(cfg->auth_pass != NULL ? cfg->auth_pass : "") : NULL;
	if (c->helo == NULL || (auth && (c->user == NULL || c->pass == NULL))) {
		smtp_client_free(c);
		return NULL;
	}
	c->tls = cfg->tls;
	c->tls_on_connect = cfg->tls_on_connect;
	c->tls_active = cfg->tls_on_connect;
	enter(c, S_GREETING);
	return c;
}

void smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	if (c->pass != NULL)
		explicit_bzero(c->pass, strlen(c->pass));
	if (c->secret && c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.cap);
	free(c->helo);
	free(c->user);
	free(c->pass);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

void smtp_client_output(struct smtp_client *c, struct buf *out)
{
	/* Into an empty buffer the bytes move rather than copy: a message is sent this way. */
	if (out->len == 0 && c->out.len > 0 && !c->secret &&
	    (out->limit == 0 || c->out.len <= out->limit)) {
		struct buf mine = c->out, theirs = *out;
		mine.limit = out->limit;
		theirs.limit = c->out.limit;
		*out = mine;
		c->out = theirs;
		return;
	}
	if (c->out.len == 0 || !buf_append(out, c->out.data, c->out.len))
		return;
	if (c->secret) { /* AUTH went out */
		explicit_bzero(c->out.data, c->out.len);
		c->secret = false;
	}
	buf_reset(&c->out);
	if (c->out.cap > 65536) /* a message went out: do not keep its size per connection */
		buf_free(&c->out);
}

bool smtp_client_has_output(const struct smtp_client *c)
{
	return c->out.len > 0;
}

enum smtp_client_event smtp_client_event(struct smtp_client *c)
{
	if (c->done_pending) {
		c->done_pending = false;
		return SC_DONE;
	}
	switch (c->state) {
	case S_READY:
		return SC_READY;
	case S_TLS:
		return SC_START_TLS;
	case S_CLOSED:
		return SC_CLOSED;
	default:
		return SC_WAIT;
	}
}

void smtp_client_tls_done(struct smtp_client *c, bool ok, const char *why)
{
	struct smtp_client_reply d;
	bool may = c->tls == SMTP_TLS_MAY;

	if (c->state != S_TLS)
		return;
	if (ok) {
		c->tls_active = true;
		memset(&c->caps, 0, sizeof(c->caps)); /* what came in the clear is forgotten */
		c->ehlo_domain[0] = '\0';
		set_banner(c);
		put(c, "EHLO ", c->helo);
		enter(c, S_EHLO);
		settle_oom(c);
		return;
	}
	/* The connection is unusable after a failed handshake: close it in any case. */
	smtp_client_local_reply(&d, 0, ENH_TLS_FAILED, SC_STAGE_TLS, "TLS handshake failed: ");
	smtp_client_text_add(&d, why != NULL && why[0] != '\0' ? why : "no reason given");
	if (may)
		smtp_client_text_add(&d, "; the host will be tried again without TLS");
	c->retry_plain = may;
	close_session(c, &d, !may, false);
}

bool smtp_client_retry_plain(const struct smtp_client *c)
{
	return c->retry_plain;
}

static void send_mail(struct smtp_client *c)
{
	const struct smtp_client_message *m = c->msg;

	c->oom |= !buf_printf(&c->out, "MAIL FROM:<%s>", m->mail_from);
	if (c->caps.has_size)
		c->oom |= !buf_printf(&c->out, " SIZE=%zu", m->len);
	if (m->body_8bit && c->caps.eightbitmime)
		c->oom |= !buf_append_str(&c->out, " BODY=8BITMIME");
	if (m->smtputf8 && c->caps.smtputf8)
		c->oom |= !buf_append_str(&c->out, " SMTPUTF8");
	c->oom |= !buf_append_str(&c->out, "\r\n");
}

bool smtp_client_send(struct smtp_client *c, const struct smtp_client_message *msg,
		      struct smtp_rcpt_result *results)
{
	if (c->state != S_READY || c->done_pending)
		return false;
	for (size_t i = 0; i < msg->rcpt_count; i++)
		memset(&results[i], 0, sizeof(results[i])); /* SC_RCPT_PENDING */
	c->msg = msg;
	c->res = results;
	c->rcpt_sent = c->rcpt_replied = c->cursor = c->accepted = 0;
	c->mail_ok = c->too_many = c->empty_data = false;
	c->pipelined = c->caps.pipelining;
	if (!smtp_client_precheck(&c->caps, msg, results)) {
		finish_txn(c); /* nothing sent: still ready */
		return true;
	}
	send_mail(c);
	if (c->pipelined) { /* RFC 2920: DATA ends the batch */
		for (size_t i = next_rcpt(c, 0); i < msg->rcpt_count; i = next_rcpt(c, i + 1))
			send_rcpt(c, i);
		put(c, "DATA", NULL);
	}
	enter(c, S_MAIL);
	settle_oom(c);
	return true;
}

void smtp_client_quit(struct smtp_client *c)
{
	if (c->state != S_READY)
		return;
	put(c, "QUIT", NULL);
	enter(c, S_QUIT);
	settle_oom(c);
}

void smtp_client_abort(struct smtp_client *c, const char *why)
{
	if (c->state == S_CLOSED)
		return;
	if (c->state == S_QUIT) { /* the server closed after our QUIT: a clean end */
		buf_reset(&c->out);
		enter(c, S_CLOSED);
		return;
	}
	close_local(c, ENH_NONE, why != NULL && why[0] != '\0' ? why : "connection lost",
		    !c->ready_once, false);
}

const struct smtp_client_reply *smtp_client_failure(const struct smtp_client *c,
						    bool *unusable_host)
{
	if (unusable_host != NULL)
		*unusable_host = c->failed && c->unusable;
	return c->failed ? &c->failure : NULL;
}

const struct smtp_client_caps *smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

bool smtp_client_tls_active(const struct smtp_client *c)
{
	return c->tls_active;
}

const char *smtp_client_banner(const struct smtp_client *c)
{
	return c->banner;
}
