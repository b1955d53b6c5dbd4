/*
 * smtp_client_calls.c - the SMTP client one command at a time (see smtp_client_calls.h).
 *
 * Checking is separate from doing: each call has one row in a table that says in which states
 * it may be made and what it needs first; the refusal message is written from that row in one
 * place. Replies go through smtp_reply_parse from a buffer of at most SMTP_REPLY_BYTES_MAX
 * octets, and each call's reply has one handler. EHLO keywords, reply text cleaning and
 * dot-stuffing are the delivery engine's (smtp_client_data.c).
 */
#include "smtp_client_calls.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_client_int.h"

#define ST(s)	  (1u << (s))
#define WORDS_MAX 96

struct smtp_calls {
	struct smtp_calls_config cfg;
	enum smtp_calls_state state;
	enum smtp_call call; /* in progress, or the last one */
	enum smtp_calls_status status;
	bool ok; /* at CALLS_DONE */
	bool have_reply;
	bool secret; /* `out` has held credentials: wipe it */
	bool tls_active, esmtp, authenticated;
	size_t rcpts;		 /* accepted in the open transaction */
	int login_step;		 /* AUTH LOGIN: 334s answered */
	const char *user, *pass; /* during CALL_LOGIN only */
	struct smtp_stuffer stuffer;
	struct buf in;	/* server bytes of the reply awaited */
	struct buf out; /* what the adapter has to write */
	struct smtp_client_caps caps;
	struct smtp_reply reply;	    /* the last reply */
	char keywords[SMTP_REPLY_TEXT_MAX]; /* the EHLO reply's keyword lines */
	char auth[256];			    /* the AUTH mechanisms offered */
	char greeting[512];
	char words[WORDS_MAX];
	char broken[256];
};

/* --- the rules: which call, in which states, needs what -------------------------------- */

static const struct call_rule {
	const char *verb;  /* what goes on the wire, for messages */
	unsigned allowed;  /* states in which the call may be made */
	const char *needs; /* the first thing missing, when the state does not allow it */
} rules[CALL__COUNT] = {
	[CALL_NONE] = { "", 0, "" },
	[CALL_GREETING] = { "the greeting", ST(CS_GREETING), "open reads the greeting once" },
	[CALL_EHLO] = { "EHLO", ST(CS_GREETED) | ST(CS_TLS_FRESH) | ST(CS_HELLO),
			"EHLO is sent outside a transaction only: finish it with DATA or RSET "
			"first" },
	[CALL_HELO] = { "HELO", ST(CS_GREETED) | ST(CS_TLS_FRESH) | ST(CS_HELLO),
			"HELO is sent outside a transaction only: finish it with DATA or RSET "
			"first" },
	[CALL_STARTTLS] = { "STARTTLS", ST(CS_HELLO),
			    "STARTTLS needs EHLO first, outside a "
			    "transaction" },
	[CALL_LOGIN] = { "AUTH", ST(CS_HELLO), "login needs EHLO first and must come before MAIL" },
	[CALL_MAIL] = { "MAIL FROM", ST(CS_HELLO),
			"MAIL needs EHLO first, and no other transaction open" },
	[CALL_RCPT] = { "RCPT TO", ST(CS_MAIL) | ST(CS_RCPT), "RCPT needs an accepted MAIL first" },
	[CALL_DATA] = { "DATA", ST(CS_RCPT), "DATA needs an accepted RCPT first" },
	[CALL_WRITE_DATA] = { "message data", ST(CS_DATA),
			      "message data needs DATA answered 354 first (open_data)" },
	[CALL_END_DATA] = { "end of data", ST(CS_DATA),
			    "the end of data needs DATA answered 354 first (open_data)" },
	[CALL_RSET] = { "RSET",
			ST(CS_GREETED) | ST(CS_TLS_FRESH) | ST(CS_HELLO) | ST(CS_MAIL) |
				ST(CS_RCPT),
			"RSET needs a greeted connection" },
	[CALL_NOOP] = { "NOOP",
			ST(CS_GREETED) | ST(CS_TLS_FRESH) | ST(CS_HELLO) | ST(CS_MAIL) |
				ST(CS_RCPT),
			"NOOP needs a greeted connection" },
	[CALL_QUIT] = { "QUIT",
			ST(CS_GREETED) | ST(CS_TLS_FRESH) | ST(CS_HELLO) | ST(CS_MAIL) |
				ST(CS_RCPT),
			"QUIT needs a greeted connection" },
};

const char *smtp_call_verb(enum smtp_call call)
{
	if ((unsigned)call >= CALL__COUNT)
		return "unknown";
	return rules[call].verb;
}

/* --- text without stdio ---------------------------------------------------------------- */

static void cat(char *dst, size_t size, const char *s)
{
	smtp_client_clean_add(dst, size, s, strlen(s));
}

static void cat_u64(char *dst, size_t size, uint64_t v)
{
	char digits[24];

	cat(dst, size, smtp_client_u64(v, digits));
}

static void set_words(struct smtp_calls *c)
{
	static const char *const base[] = {
		[CS_GREETING] = "waiting for the greeting",
		[CS_GREETED] = "connected, before EHLO",
		[CS_TLS_HANDSHAKE] = "in the TLS handshake after STARTTLS",
		[CS_TLS_FRESH] = "after STARTTLS, before the new EHLO",
		[CS_HELLO] = "after EHLO",
		[CS_MAIL] = "MAIL accepted, no recipient accepted yet",
		[CS_RCPT] = "MAIL accepted and ",
		[CS_DATA] = "writing the message (DATA answered 354)",
		[CS_QUIT] = "after QUIT",
		[CS_CLOSED] = "closed",
	};

	c->words[0] = '\0';
	if (c->state == CS_HELLO && !c->esmtp) {
		cat(c->words, sizeof(c->words), "after HELO");
	} else {
		cat(c->words, sizeof(c->words), base[c->state]);
	}
	if (c->state == CS_RCPT) {
		cat_u64(c->words, sizeof(c->words), c->rcpts);
		cat(c->words, sizeof(c->words),
		    c->rcpts == 1 ? " recipient accepted" : " recipients accepted");
	}
	if (c->state == CS_HELLO && c->authenticated)
		cat(c->words, sizeof(c->words), ", logged in");
	if (c->state == CS_HELLO && c->tls_active)
		cat(c->words, sizeof(c->words), ", encrypted");
}

static void enter(struct smtp_calls *c, enum smtp_calls_state s)
{
	c->state = s;
	if (s == CS_HELLO || s == CS_GREETED || s == CS_TLS_FRESH)
		c->rcpts = 0;
	set_words(c);
}

/* --- refusals ------------------------------------------------------------------------- */

/* Writes "<api> refused, nothing was sent: <need> (the dialogue is now: <state>). The order
 * that works: ..." and returns false for `return refuse(...)`. */
static bool refuse(struct smtp_calls *c, enum smtp_calls_refusal k, const char *api,
		   const char *need, bool order, enum smtp_calls_refusal *kind, char *why,
		   size_t size)
{
	*kind = k;
	why[0] = '\0';
	cat(why, size, api);
	cat(why, size, " refused, nothing was sent: ");
	cat(why, size, need);
	cat(why, size, " (the dialogue is now: ");
	cat(why, size, c->words);
	cat(why, size, ")");
	if (order) {
		cat(why, size, ". The order that works: " SMTP_CALLS_ORDER);
	}
	cat(why, size, ".");
	return false;
}

/* The first thing a call needs that the state lacks, when the table says no. */
static const char *needs(const struct smtp_calls *c, enum smtp_call call)
{
	if (c->state == CS_DATA)
		return "the message is being written, and the server would take any command as "
		       "message text: finish it with close_data first";
	if (c->state == CS_TLS_FRESH && call != CALL_RCPT && call != CALL_DATA)
		return "after STARTTLS the server has forgotten the first EHLO: send EHLO again "
		       "first";
	if ((call == CALL_MAIL || call == CALL_LOGIN || call == CALL_STARTTLS) &&
	    (c->state == CS_MAIL || c->state == CS_RCPT))
		return call == CALL_MAIL    ? "MAIL starts a transaction, and one is open already: "
					      "finish it with DATA or RSET first"
		       : call == CALL_LOGIN ? "login must come before MAIL: RSET first"
					    : "STARTTLS must come before MAIL: RSET first";
	return rules[call].needs;
}

/* An address goes between < and >: nothing that could end the command or the path. */
static bool valid_path(const char *s, bool empty_ok)
{
	if (s == NULL || (*s == '\0' && !empty_ok))
		return false;
	for (; *s != '\0'; s++) {
		uint8_t ch = (uint8_t)*s;

		if (ch <= ' ' || ch == 0x7f || ch == '<' || ch == '>')
			return false;
	}
	return true;
}

static bool valid_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return false;
	for (; *s != '\0'; s++)
		if ((uint8_t)*s <= ' ' || (uint8_t)*s == 0x7f)
			return false;
	return true;
}

/* The checks of one call beyond the table, each with its own refusal. */
static bool check(struct smtp_calls *c, enum smtp_call call, const char *api,
		  const struct smtp_calls_args *a, enum smtp_calls_refusal *kind, char *why,
		  size_t size)
{
	bool tls_missing = c->cfg.starttls_required && !c->tls_active;

	switch (call) {
	case CALL_EHLO:
	case CALL_HELO:
		if (!valid_name(a->name))
			return refuse(c, REFUSE_INVALID, api,
				      "the name must be this machine's host name or an address "
				      "literal such as [192.0.2.1], without spaces or control "
				      "characters",
				      false, kind, why, size);
		return true;
	case CALL_STARTTLS:
		if (c->tls_active)
			return refuse(c, REFUSE_SEQUENCE, api,
				      "TLS is active already; STARTTLS is sent once", true, kind,
				      why, size);
		if (!c->caps.starttls)
			return refuse(c, REFUSE_NO_STARTTLS, api,
				      !c->esmtp
					      ? "STARTTLS needs EHLO (HELO offers no extensions)"
					      : "the server did not offer STARTTLS in its EHLO "
						"reply, so the connection cannot be encrypted here",
				      false, kind, why, size);
		return true;
	case CALL_LOGIN:
		if (tls_missing)
			return refuse(c, REFUSE_SEQUENCE, api,
				      "login needs STARTTLS and a new EHLO first (the connection "
				      "was opened with STARTTLS required)",
				      true, kind, why, size);
		if (c->authenticated)
			return refuse(c, REFUSE_SEQUENCE, api,
				      "the session is logged in already; AUTH is sent once", true,
				      kind, why, size);
		if (!c->esmtp || c->auth[0] == '\0')
			return refuse(c, REFUSE_SEQUENCE, api,
				      "login needs a server that offers AUTH, and its EHLO reply "
				      "offered none (many servers offer AUTH only after STARTTLS, "
				      "or only on the submission ports 587 and 465)",
				      true, kind, why, size);
		if (a->user == NULL || a->pass == NULL)
			return refuse(c, REFUSE_INVALID, api, "login needs a user and a password",
				      false, kind, why, size);
		if (a->mech == SMTP_AUTH_PLAIN && !c->caps.auth_plain)
			return refuse(c, REFUSE_UNSUPPORTED, api,
				      "the server does not offer AUTH PLAIN (use TERN_AUTH_AUTO)",
				      false, kind, why, size);
		if (a->mech == SMTP_AUTH_LOGIN && !c->caps.auth_login)
			return refuse(c, REFUSE_UNSUPPORTED, api,
				      "the server does not offer AUTH LOGIN (use TERN_AUTH_AUTO)",
				      false, kind, why, size);
		if (!c->caps.auth_plain && !c->caps.auth_login)
			return refuse(c, REFUSE_UNSUPPORTED, api,
				      "the server offers neither AUTH PLAIN nor AUTH LOGIN, the "
				      "mechanisms this library speaks",
				      false, kind, why, size);
		return true;
	case CALL_MAIL:
		if (tls_missing)
			return refuse(
				c, REFUSE_SEQUENCE, api,
				"MAIL needs STARTTLS and a new EHLO first (the connection was "
				"opened with STARTTLS required)",
				true, kind, why, size);
		if (!valid_path(a->address, true))
			return refuse(c, REFUSE_INVALID, api,
				      "the sender address holds a space, an angle bracket or a "
				      "control character (give it bare: a@example.org)",
				      false, kind, why, size);
		if (a->body_8bit && !c->caps.eightbitmime)
			return refuse(c, REFUSE_UNSUPPORTED, api,
				      "BODY=8BITMIME asked for, and the server does not offer "
				      "8BITMIME",
				      false, kind, why, size);
		if (a->smtputf8 && !c->caps.smtputf8)
			return refuse(c, REFUSE_UNSUPPORTED, api,
				      "SMTPUTF8 asked for, and the server does not offer it", false,
				      kind, why, size);
		return true;
	case CALL_RCPT:
		if (!valid_path(a->address, false))
			return refuse(c, REFUSE_INVALID, api,
				      "the recipient address is empty or holds a space, an angle "
				      "bracket or a control character (give it bare: "
				      "b@example.org)",
				      false, kind, why, size);
		return true;
	case CALL_WRITE_DATA:
		if (a->data == NULL && a->len > 0)
			return refuse(c, REFUSE_INVALID, api, "the data pointer is NULL", false,
				      kind, why, size);
		if (a->len > (SIZE_MAX - 8) / 2)
			return refuse(c, REFUSE_INVALID, api, "the piece is too large", false, kind,
				      why, size);
		return true;
	default:
		return true;
	}
}

/* --- output --------------------------------------------------------------------------- */

static void put(struct smtp_calls *c, const char *a, const char *b, const char *d)
{
	bool ok = buf_append_str(&c->out, a) && (b == NULL || buf_append_str(&c->out, b)) &&
		  (d == NULL || buf_append_str(&c->out, d)) && buf_append_str(&c->out, "\r\n");

	if (!ok)
		c->out.len = 0; /* out of memory: the adapter sees no output and reports it */
}

/* prefix, then the base64 of the concatenated parts and CRLF (a secret). */
static void put_base64(struct smtp_calls *c, const char *prefix, const char *const *parts,
		       const size_t *lens, size_t nparts)
{
	c->secret = true;
	if (!buf_append_str(&c->out, prefix) ||
	    !smtp_client_put_base64(&c->out, parts, lens, nparts))
		c->out.len = 0;
}

static void wipe_out(struct smtp_calls *c)
{
	if (c->secret && c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.cap);
	c->secret = false;
}

static void write_mail(struct smtp_calls *c, const struct smtp_calls_args *a)
{
	bool ok = buf_printf(&c->out, "MAIL FROM:<%s>", a->address);

	if (a->size > 0 && c->caps.has_size)
		ok = ok && buf_printf(&c->out, " SIZE=%llu", (unsigned long long)a->size);
	if (a->body_8bit)
		ok = ok && buf_append_str(&c->out, " BODY=8BITMIME");
	if (a->smtputf8)
		ok = ok && buf_append_str(&c->out, " SMTPUTF8");
	ok = ok && buf_append_str(&c->out, "\r\n");
	if (!ok)
		c->out.len = 0;
}

static void write_login(struct smtp_calls *c, const struct smtp_calls_args *a)
{
	bool plain =
		a->mech == SMTP_AUTH_PLAIN || (a->mech == SMTP_AUTH_AUTO && c->caps.auth_plain);

	c->user = a->user;
	c->pass = a->pass;
	c->login_step = plain ? -1 : 0;
	if (plain) {
		const char *parts[] = { "", a->user, "", a->pass };
		const size_t lens[] = { 1, strlen(a->user), 1, strlen(a->pass) };

		put_base64(c, "AUTH PLAIN ", parts, lens, 4); /* "\0user\0pass" */
		return;
	}
	put(c, "AUTH LOGIN", NULL, NULL);
}

static void write_data(struct smtp_calls *c, const struct smtp_calls_args *a)
{
	if (a->len == 0)
		return;
	if (!buf_reserve(&c->out, 2 * a->len + 1)) {
		c->out.len = 0;
		return;
	}
	c->out.len += smtp_stuff_piece(&c->stuffer, a->data, a->len, c->out.data + c->out.len);
}

static void write_end_data(struct smtp_calls *c)
{
	if (!buf_reserve(&c->out, 8)) {
		c->out.len = 0;
		return;
	}
	c->out.len += smtp_stuff_end(&c->stuffer, c->out.data + c->out.len);
}

bool smtp_calls_begin(struct smtp_calls *c, enum smtp_call call, const char *api,
		      const struct smtp_calls_args *a, enum smtp_calls_refusal *kind, char *why,
		      size_t size)
{
	static const struct smtp_calls_args none = { 0 };

	if (a == NULL)
		a = &none;
	*kind = REFUSE_NONE;
	if ((unsigned)call >= CALL__COUNT || call == CALL_NONE)
		return refuse(c, REFUSE_INVALID, api, "no such call", false, kind, why, size);
	if (c->state == CS_CLOSED)
		return refuse(c, REFUSE_CLOSED, api,
			      "the connection was closed earlier (see the error of the call that "
			      "lost it); open a new connection",
			      false, kind, why, size);
	if (c->state == CS_QUIT)
		return refuse(c, REFUSE_SEQUENCE, api,
			      "the session ended with QUIT, and nothing can follow it: open a new "
			      "connection",
			      true, kind, why, size);
	if (c->status == CALLS_WAIT || c->status == CALLS_START_TLS)
		return refuse(c, REFUSE_SEQUENCE, api,
			      "the previous call still waits for its reply (one call at a time "
			      "per connection)",
			      false, kind, why, size);
	if ((rules[call].allowed & ST(c->state)) == 0)
		return refuse(c, REFUSE_SEQUENCE, api, needs(c, call), true, kind, why, size);
	if (!check(c, call, api, a, kind, why, size))
		return false;

	c->call = call;
	c->ok = false;
	c->status = CALLS_WAIT;
	buf_reset(&c->in);
	switch (call) {
	case CALL_EHLO:
		put(c, "EHLO ", a->name, NULL);
		break;
	case CALL_HELO:
		put(c, "HELO ", a->name, NULL);
		break;
	case CALL_STARTTLS:
		put(c, "STARTTLS", NULL, NULL);
		break;
	case CALL_LOGIN:
		write_login(c, a);
		break;
	case CALL_MAIL:
		write_mail(c, a);
		break;
	case CALL_RCPT:
		put(c, "RCPT TO:<", a->address, ">");
		break;
	case CALL_DATA:
		put(c, "DATA", NULL, NULL);
		break;
	case CALL_WRITE_DATA:
		write_data(c, a);
		c->ok = true;
		c->status = CALLS_DONE; /* no reply to wait for */
		break;
	case CALL_END_DATA:
		write_end_data(c);
		break;
	case CALL_RSET:
		put(c, "RSET", NULL, NULL);
		break;
	case CALL_NOOP:
		put(c, "NOOP", NULL, NULL);
		break;
	case CALL_QUIT:
		put(c, "QUIT", NULL, NULL);
		break;
	default:
		break;
	}
	return true;
}

/* --- replies -------------------------------------------------------------------------- */

static void broken(struct smtp_calls *c, const char *what)
{
	c->broken[0] = '\0';
	cat(c->broken, sizeof(c->broken), what);
	c->status = CALLS_BROKEN;
	c->ok = false;
	buf_free(&c->in);
	enter(c, CS_CLOSED);
}

/* A reply that belongs to no command of ours, or the wrong kind for this one. */
static void out_of_step(struct smtp_calls *c, const struct smtp_reply *r)
{
	char what[256];

	what[0] = '\0';
	cat(what, sizeof(what), "the server answered ");
	cat(what, sizeof(what), rules[c->call].verb);
	cat(what, sizeof(what), " with ");
	cat_u64(what, sizeof(what), (uint64_t)r->code);
	cat(what, sizeof(what), ", which does not fit that command: the dialogue is out of step");
	broken(c, what);
}

static void keep_ehlo(struct smtp_calls *c, const struct smtp_reply *r)
{
	const char *nl = memchr(r->text, '\n', r->text_len);
	size_t klen = nl != NULL ? r->text_len - (size_t)(nl + 1 - r->text) : 0;

	memset(&c->caps, 0, sizeof(c->caps));
	c->caps.esmtp = true;
	c->keywords[0] = '\0';
	c->auth[0] = '\0';
	if (nl == NULL)
		return;
	smtp_client_ehlo_caps(&c->caps, nl + 1, klen);
	memcpy(c->keywords, nl + 1, klen);
	c->keywords[klen] = '\0';
	/* The AUTH line's mechanisms, as offered ("AUTH PLAIN LOGIN" or "AUTH=LOGIN") */
	for (const char *p = c->keywords; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (n > 4 && strncasecmp(p, "AUTH", 4) == 0 && (p[4] == ' ' || p[4] == '=')) {
			if (c->auth[0] != '\0')
				cat(c->auth, sizeof(c->auth), " ");
			smtp_client_clean_add(c->auth, sizeof(c->auth), p + 5, n - 5);
		}
		p += n + (eol != NULL);
	}
}

static bool cls(const struct smtp_reply *r, int digit)
{
	return r->code / 100 == digit;
}

static void on_reply(struct smtp_calls *c, const struct smtp_reply *r)
{
	c->status = CALLS_DONE;
	/* 421: the server closes the channel, whatever we asked (RFC 5321 3.8). */
	if (r->code == 421 && c->call != CALL_QUIT) {
		c->ok = false;
		enter(c, CS_CLOSED);
		return;
	}
	/* 3xx fits DATA and AUTH only; 2xx fits everything but DATA. */
	if ((cls(r, 3) && c->call != CALL_DATA && c->call != CALL_LOGIN) ||
	    (cls(r, 2) && c->call == CALL_DATA)) {
		out_of_step(c, r);
		return;
	}
	c->ok = cls(r, 2);
	switch (c->call) {
	case CALL_GREETING:
		c->ok = r->code == 220;
		smtp_client_clean_add(c->greeting, sizeof(c->greeting), r->text, r->text_len);
		enter(c, c->ok ? CS_GREETED : CS_CLOSED);
		break;
	case CALL_EHLO:
		if (c->ok) {
			keep_ehlo(c, r);
			c->esmtp = true;
			c->authenticated = false;
			enter(c, CS_HELLO);
		}
		break;
	case CALL_HELO:
		if (c->ok) {
			memset(&c->caps, 0, sizeof(c->caps));
			c->keywords[0] = c->auth[0] = '\0';
			c->esmtp = c->authenticated = false;
			enter(c, CS_HELLO);
		}
		break;
	case CALL_STARTTLS:
		if (r->code == 220) {
			buf_free(&c->in); /* what came with the 220 is never read */
			c->status = CALLS_START_TLS;
			enter(c, CS_TLS_HANDSHAKE);
		}
		c->ok = r->code == 220;
		break;
	case CALL_LOGIN:
		if (cls(r, 3) && c->login_step >= 0 && c->login_step < 2) {
			const char *secret = c->login_step == 0 ? c->user : c->pass;
			size_t len = strlen(secret);

			put_base64(c, "", &secret, &len, 1);
			c->login_step++;
			c->status = CALLS_WAIT;
			return;
		}
		if (cls(r, 3)) { /* asks for more than the mechanism has */
			out_of_step(c, r);
			return;
		}
		c->user = c->pass = NULL;
		if (c->ok) {
			c->authenticated = true;
			set_words(c);
		}
		break;
	case CALL_MAIL:
		if (c->ok)
			enter(c, CS_MAIL);
		break;
	case CALL_RCPT:
		if (c->ok) {
			c->rcpts++;
			enter(c, CS_RCPT);
		}
		break;
	case CALL_DATA:
		c->ok = r->code == 354;
		if (c->ok) {
			memset(&c->stuffer, 0, sizeof(c->stuffer));
			enter(c, CS_DATA);
		} else if (cls(r, 3)) {
			out_of_step(c, r);
		}
		break;
	case CALL_END_DATA:
		enter(c, CS_HELLO); /* accepted or not, the transaction is over */
		break;
	case CALL_RSET:
		if (c->ok && (c->state == CS_MAIL || c->state == CS_RCPT))
			enter(c, CS_HELLO);
		break;
	case CALL_QUIT:
		c->ok = true; /* whatever it says, the session is over */
		enter(c, CS_QUIT);
		break;
	default:
		break;
	}
}

void smtp_calls_feed(struct smtp_calls *c, const uint8_t *in, size_t len)
{
	enum smtp_reply_error err;
	size_t used;

	if (c->status != CALLS_WAIT || len == 0)
		return; /* nothing is awaited: bytes for no command are dropped */
	if (len > SMTP_REPLY_BYTES_MAX - c->in.len) {
		broken(c, "the server's reply is longer than 262144 octets");
		return;
	}
	if (!buf_append(&c->in, in, len)) {
		broken(c, "out of memory while reading the server's reply");
		return;
	}
	switch (smtp_reply_parse(c->in.data, c->in.len, &c->reply, &used, &err)) {
	case SMTP_REPLY_MORE:
		return;
	case SMTP_REPLY_ERROR:
		broken(c, smtp_reply_error_text(err));
		return;
	case SMTP_REPLY_OK:
		break;
	}
	c->have_reply = true;
	buf_consume(&c->in, used);
	on_reply(c, &c->reply);
	if (c->status == CALLS_BROKEN || c->status == CALLS_START_TLS || c->state == CS_CLOSED)
		return;
	if (c->in.len > 0 && c->status == CALLS_DONE)
		broken(c, "the server sent more than one reply to one command: the dialogue is out "
			  "of step");
	else if (c->in.len > 0) /* AUTH LOGIN: a 334 and more at once */
		broken(c, "the server sent more than one reply to one AUTH step");
}

/* --- the rest of the adapter's calls -------------------------------------------------- */

struct smtp_calls *smtp_calls_new(const struct smtp_calls_config *cfg)
{
	struct smtp_calls *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cfg = *cfg;
	c->tls_active = cfg->tls_on_connect;
	buf_init(&c->in, SMTP_REPLY_BYTES_MAX);
	buf_init(&c->out, 0);
	c->call = CALL_GREETING;
	c->status = CALLS_WAIT;
	enter(c, CS_GREETING);
	return c;
}

void smtp_calls_free(struct smtp_calls *c)
{
	if (c == NULL)
		return;
	wipe_out(c);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

enum smtp_calls_status smtp_calls_status(const struct smtp_calls *c)
{
	return c->status;
}

void smtp_calls_output(struct smtp_calls *c, struct buf *out)
{
	if (c->out.len > 0 && !buf_append(out, c->out.data, c->out.len))
		return;
	wipe_out(c);
	buf_reset(&c->out);
	if (c->out.cap > 65536 * 4) /* a large piece went out: do not keep its size */
		buf_free(&c->out);
}

bool smtp_calls_has_output(const struct smtp_calls *c)
{
	return c->out.len > 0;
}

void smtp_calls_tls_done(struct smtp_calls *c, bool ok)
{
	if (c->state != CS_TLS_HANDSHAKE)
		return;
	c->status = CALLS_DONE;
	c->ok = ok;
	if (!ok) {
		enter(c, CS_CLOSED);
		return;
	}
	c->tls_active = true;
	memset(&c->caps, 0, sizeof(c->caps)); /* what came in the clear is forgotten */
	c->keywords[0] = c->auth[0] = '\0';
	c->esmtp = c->authenticated = false;
	enter(c, CS_TLS_FRESH);
}

void smtp_calls_lost(struct smtp_calls *c)
{
	bool quitting = c->call == CALL_QUIT && c->status == CALLS_WAIT;

	if (c->status == CALLS_WAIT || c->status == CALLS_START_TLS)
		c->status = CALLS_DONE;
	c->ok = quitting;
	wipe_out(c);
	buf_reset(&c->out);
	buf_free(&c->in);
	enter(c, quitting || c->state == CS_QUIT ? CS_QUIT : CS_CLOSED);
}

bool smtp_calls_ok(const struct smtp_calls *c)
{
	return c->ok;
}

const struct smtp_reply *smtp_calls_reply(const struct smtp_calls *c)
{
	return c->have_reply ? &c->reply : NULL;
}

enum smtp_call smtp_calls_current(const struct smtp_calls *c)
{
	return c->call;
}

const char *smtp_calls_broken_why(const struct smtp_calls *c)
{
	return c->broken;
}

enum smtp_calls_state smtp_calls_state(const struct smtp_calls *c)
{
	return c->state;
}

const char *smtp_calls_state_words(const struct smtp_calls *c)
{
	return c->words;
}

const struct smtp_client_caps *smtp_calls_caps(const struct smtp_calls *c)
{
	return &c->caps;
}

bool smtp_calls_offers(const struct smtp_calls *c, const char *keyword)
{
	size_t klen = keyword != NULL ? strlen(keyword) : 0;

	if (klen == 0)
		return false;
	for (const char *p = c->keywords; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (n >= klen && strncasecmp(p, keyword, klen) == 0 &&
		    (n == klen || p[klen] == ' ' || p[klen] == '=' || p[klen] == '\t'))
			return true;
		p += n + (eol != NULL);
	}
	return false;
}

const char *smtp_calls_auth_offered(const struct smtp_calls *c)
{
	return c->auth;
}

const char *smtp_calls_greeting(const struct smtp_calls *c)
{
	return c->greeting;
}

bool smtp_calls_tls_active(const struct smtp_calls *c)
{
	return c->tls_active;
}

bool smtp_calls_authenticated(const struct smtp_calls *c)
{
	return c->authenticated;
}

size_t smtp_calls_rcpts_accepted(const struct smtp_calls *c)
{
	return c->rcpts;
}
