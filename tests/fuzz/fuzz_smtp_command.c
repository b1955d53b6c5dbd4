/*
 * fuzz_smtp_command.c - hostile command lines into a greeted SMTP submission session.
 *
 * The input is three header octets and the client's bytes. The first octet picks where the
 * bytes arrive: after EHLO (or HELO), from a trusted client or not, over implicit TLS or not,
 * after an accepted AUTH PLAIN, inside a transaction (MAIL accepted, with or without
 * SMTPUTF8; RCPT accepted; DATA begun), so that the MAIL, RCPT, AUTH and data paths are all
 * reached directly. The second octet is the configuration, the third says which requests the
 * adapter accepts (request i: bit i % 8). The bytes are fed to two sessions: whole to one,
 * one octet at a time to the other; each request is accepted or refused with the default
 * replies, through the public API as src/submit/conn.c uses it.
 * STARTTLS ends a run: what was pipelined behind it is dropped by design, and how much that
 * is depends on how the bytes arrived.
 *
 * Checks beyond "no crash", each an abort():
 *  - every reply line is three digits, ' ' or '-', text without control characters, CRLF, at
 *    most 512 octets; every rejection log line is one line without control characters;
 *  - a published request holds what it promises: MAIL and RCPT addresses terminated, within
 *    their limits, free of control characters, with a local part and an '@', non-ASCII only
 *    under SMTPUTF8, no null path in RCPT; AUTH a known mechanism, terminated names and a
 *    password inside its buffer (ASan checks the reads); a message only with CRLF line ends,
 *    within the size limit, from a sender to 1..max_recipients recipients;
 *  - both sessions produce the same replies and the same requests: command framing does not
 *    depend on how the bytes were split into reads;
 *  - with its output written, the session resumed and no request pending, it is closed or
 *    wants input: it never stalls.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "proto/smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The first header octet: where the input arrives. */
enum {
	S_TRUSTED = 1 << 0,  /* the client is in trusted_networks */
	S_TLS = 1 << 1,	     /* implicit TLS */
	S_AUTHED = 1 << 2,   /* AUTH PLAIN accepted before the input */
	S_MAIL = 1 << 3,     /* MAIL accepted before the input */
	S_SMTPUTF8 = 1 << 4, /* ... with SMTPUTF8 */
	S_RCPT = 1 << 5,     /* ... and one RCPT accepted */
	S_DATA = 1 << 6,     /* ... and DATA begun: the input is message data */
	S_HELO = 1 << 7,     /* HELO instead of EHLO */
};

/* The second header octet: the configuration. */
enum {
	C_SMALL = 1 << 0,	/* tight limits */
	C_STARTTLS = 1 << 1,	/* STARTTLS offered */
	C_NO_AUTH = 1 << 2,	/* AUTH not offered */
	C_PLAIN_AUTH = 1 << 3,	/* AUTH without TLS */
	C_REQUIRE_TLS = 1 << 4, /* MAIL needs TLS */
};

#define HOSTNAME "mx.fuzz.test"

struct run {
	struct smtp_server *s;
	const struct smtp_server_config *cfg;
	uint8_t accept; /* the accept mask */
	unsigned nreq;	/* requests answered during the input */
	bool setup;	/* still setting up: accept everything, record nothing */
	bool stopped;	/* STARTTLS was asked: the run ends */
	struct buf log; /* replies and requests, compared between the two runs */
};

static void check_reply_lines(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		size_t len;

		CHECK(lf != NULL); /* output holds whole lines only */
		len = (size_t)(lf - (p + i)) + 1;
		CHECK(len >= 6 && len <= 512); /* "ddd " or "ddd-", CRLF */
		CHECK(p[i] >= '2' && p[i] <= '5');
		CHECK(p[i + 1] >= '0' && p[i + 1] <= '5');
		CHECK(p[i + 2] >= '0' && p[i + 2] <= '9');
		CHECK(p[i + 3] == ' ' || p[i + 3] == '-');
		CHECK(p[i + len - 2] == '\r');
		for (size_t k = 4; k < len - 2; k++)
			CHECK(p[i + k] >= 32 && p[i + k] != 127);
		i += len;
	}
}

static void check_rejections(const uint8_t *p, size_t n)
{
	CHECK(n == 0 || p[n - 1] == '\n');
	for (size_t i = 0; i < n; i++)
		CHECK(p[i] == '\n' || (p[i] >= 32 && p[i] != 127));
}

/* Moves the replies into the log (after the setup) and checks them and the rejections. */
static void drain(struct run *r)
{
	struct slice o = smtp_server_output(r->s);
	struct slice rej = smtp_server_rejections(r->s);

	check_reply_lines(o.data, o.len);
	check_rejections(rej.data, rej.len);
	if (!r->setup)
		buf_append(&r->log, o.data, o.len);
	smtp_server_output_done(r->s);
	smtp_server_rejections_done(r->s);
}

static void check_cstr(const char *s, size_t max)
{
	CHECK(s != NULL);
	CHECK(strnlen(s, max + 1) <= max);
}

static void check_address(const struct address *a, bool smtputf8, bool null_ok)
{
	size_t n = strnlen(a->text, sizeof(a->text));
	bool high = false;

	CHECK(n < sizeof(a->text));
	CHECK(a->is_null == (n == 0));
	CHECK(null_ok || !a->is_null);
	if (!a->is_null) {
		CHECK(a->local_len > 0 && a->local_len + 1 < n);
		CHECK(a->local_len <= ADDRESS_LOCAL_MAX);
		CHECK(n - a->local_len - 1 <= ADDRESS_DOMAIN_MAX);
		CHECK(a->text[a->local_len] == '@');
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a->text[i];
		CHECK(c >= 32 && c != 127);
		high |= c >= 0x80;
	}
	CHECK(a->utf8 == high);
	CHECK(!high || smtputf8);
}

/* Only CRLF line ends: no bare CR, no bare LF (SMTP smuggling). */
static void check_crlf(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			CHECK(i > 0 && p[i - 1] == '\r');
		if (p[i] == '\r')
			CHECK(i + 1 < n && p[i + 1] == '\n');
	}
}

/* Checks a request and writes what it holds into the log. */
static void check_request(struct run *r, const struct smtp_request *q)
{
	unsigned sum = 0;

	switch (q->kind) {
	case SMTP_REQ_NONE:
		CHECK(false);
		break;
	case SMTP_REQ_STARTTLS:
		CHECK(!smtp_server_tls(r->s) && r->cfg->starttls_offered);
		buf_printf(&r->log, "[STARTTLS]\n");
		break;
	case SMTP_REQ_AUTH:
		CHECK(q->mechanism != NULL);
		CHECK(strcmp(q->mechanism, "PLAIN") == 0 || strcmp(q->mechanism, "LOGIN") == 0);
		check_cstr(q->user, SMTP_AUTH_LINE_MAX);
		check_cstr(q->authzid, SMTP_AUTH_LINE_MAX);
		CHECK(q->password != NULL && q->password_len <= SMTP_AUTH_LINE_MAX);
		for (size_t i = 0; i < q->password_len; i++)
			sum += q->password[i];
		CHECK(smtp_server_user(r->s) == NULL);
		buf_printf(&r->log, "[AUTH %s user=%zu pass=%zu/%u]\n", q->mechanism,
			   strlen(q->user), q->password_len, sum);
		break;
	case SMTP_REQ_MAIL:
		CHECK(q->address != NULL);
		check_address(q->address, q->smtputf8, true);
		CHECK(r->cfg->max_message_size > 0);
		buf_printf(&r->log, "[MAIL <%s>%s%s]\n", q->address->text,
			   q->smtputf8 ? " SMTPUTF8" : "", q->body_8bit ? " 8BITMIME" : "");
		break;
	case SMTP_REQ_RCPT:
		CHECK(q->address != NULL && q->mail_from != NULL);
		check_address(q->address, q->smtputf8, false);
		CHECK(q->rcpt_count < r->cfg->max_recipients);
		buf_printf(&r->log, "[RCPT <%s>]\n", q->address->text);
		break;
	case SMTP_REQ_DATA:
		CHECK(q->mail_from != NULL);
		CHECK(q->rcpt_count >= 1 && q->rcpt_count <= r->cfg->max_recipients);
		buf_printf(&r->log, "[DATA %zu]\n", q->rcpt_count);
		break;
	case SMTP_REQ_MESSAGE:
		CHECK(q->mail_from != NULL && q->rcpts != NULL);
		CHECK(q->rcpt_count >= 1 && q->rcpt_count <= r->cfg->max_recipients);
		for (size_t i = 0; i < q->rcpt_count; i++)
			check_address(&q->rcpts[i], q->smtputf8, false);
		CHECK(q->message.len <= r->cfg->max_message_size);
		CHECK(q->message.len == 0 || q->message.data != NULL);
		check_crlf(q->message.data, q->message.len);
		for (size_t i = 0; i < q->message.len; i++)
			sum = sum * 31 + q->message.data[i];
		buf_printf(&r->log, "[MESSAGE %zu/%u]\n", q->message.len, sum);
		break;
	}
}

/* Answers the pending request as the adapter would. */
static void answer(struct run *r, const struct smtp_request *q)
{
	struct smtp_verdict v = { .accept = true };

	if (!r->setup) {
		check_request(r, q);
		v.accept = (r->accept >> (r->nreq++ % 8)) & 1;
	}
	switch (q->kind) {
	case SMTP_REQ_STARTTLS:
		r->stopped = true; /* the adapter would start TLS; this run ends here */
		return;
	case SMTP_REQ_DATA:
		if (!v.accept)
			v.reply = SMTP_R_NO_SPACE;
		break;
	case SMTP_REQ_MESSAGE:
		v.queue_id = "FUZZ00000001";
		if (!v.accept)
			v.reply = SMTP_R_STORAGE_ERROR;
		break;
	default:
		break;
	}
	smtp_server_answer(r->s, &v);
}

/* Answers requests, drains the output and resumes the session (a feed of 0 octets, as
 * smtp_server.h asks once the output was written) until it has nothing more to say. */
static void settle(struct run *r)
{
	for (;;) {
		const struct smtp_request *q;

		drain(r);
		if (r->stopped || smtp_server_closed(r->s))
			return;
		if ((q = smtp_server_pending(r->s)) != NULL) {
			answer(r, q);
			continue;
		}
		smtp_server_feed(r->s, NULL, 0);
		if (smtp_server_output(r->s).len == 0 && smtp_server_pending(r->s) == NULL) {
			CHECK(smtp_server_closed(r->s) || smtp_server_wants_input(r->s));
			return;
		}
	}
}

static void feed(struct run *r, const char *text)
{
	smtp_server_feed(r->s, (const uint8_t *)text, strlen(text));
	settle(r);
}

/* A session at the state the first header octet names. */
static bool start(struct run *r, const struct smtp_server_config *cfg, uint8_t st, uint8_t accept)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->accept = accept;
	r->setup = true;
	buf_init(&r->log, 0);
	r->s = smtp_server_new(cfg, st & S_TLS, st & S_TRUSTED);
	if (r->s == NULL)
		return false;
	settle(r);
	feed(r, st & S_HELO ? "HELO client.fuzz.test\r\n" : "EHLO client.fuzz.test\r\n");
	if (st & S_AUTHED)
		feed(r, "AUTH PLAIN AGZ1enoAc2VjcmV0\r\n"); /* "\0fuzz\0secret" */
	if (st & S_MAIL)
		feed(r, st & S_SMTPUTF8 ? "MAIL FROM:<sender@example.org> SMTPUTF8\r\n"
					: "MAIL FROM:<sender@example.org>\r\n");
	if (st & S_RCPT)
		feed(r, "RCPT TO:<rcpt@example.org>\r\n");
	if (st & S_DATA)
		feed(r, "DATA\r\n");
	r->setup = false;
	return !smtp_server_closed(r->s);
}

static void finish(struct run *r)
{
	smtp_server_free(r->s);
	buf_free(&r->log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_config cfg = { .hostname = HOSTNAME };
	struct run whole, bytes;
	uint8_t st, conf;

	if (size < 3)
		return 0;
	st = data[0];
	conf = data[1];
	cfg.max_message_size = conf & C_SMALL ? 64 : 100000;
	cfg.max_recipients = conf & C_SMALL ? 1 : 50;
	cfg.max_errors = conf & C_SMALL ? 3 : 1000;
	cfg.max_auth_failures = conf & C_SMALL ? 1 : 5;
	cfg.starttls_offered = conf & C_STARTTLS;
	cfg.auth_offered = !(conf & C_NO_AUTH) || (st & S_AUTHED);
	cfg.allow_plaintext_auth = (conf & C_PLAIN_AUTH) || (st & S_AUTHED);
	cfg.require_tls = conf & C_REQUIRE_TLS;

	if (start(&whole, &cfg, st, data[2])) {
		/* the same input, whole and one octet at a time */
		if (!start(&bytes, &cfg, st, data[2]))
			abort(); /* the setup is deterministic */
		smtp_server_feed(whole.s, data + 3, size - 3);
		settle(&whole);
		for (size_t i = 3; i < size && !bytes.stopped && !smtp_server_closed(bytes.s);
		     i++) {
			smtp_server_feed(bytes.s, data + i, 1);
			settle(&bytes);
		}
		CHECK(whole.stopped == bytes.stopped);
		CHECK(smtp_server_closed(whole.s) == smtp_server_closed(bytes.s));
		CHECK(whole.log.len == bytes.log.len);
		CHECK(whole.log.len == 0 ||
		      memcmp(whole.log.data, bytes.log.data, whole.log.len) == 0);
		finish(&bytes);
	}
	finish(&whole);
	return 0;
}
