/*
 * test_dsn.c - the bounces and delay notices tern sends back: what the sender's person reads
 * and what the sender's program parses (RFC 3464 in an RFC 6522 multipart/report).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dsn.h"
#include "proto/explain.h"

#define BOUNDARY "tern-dsn-0123456789abcdef"
#define T_ACCEPT 1700000000 /* Tue, 14 Nov 2023 22:13:20 +0000 */
#define T_NOW	 (T_ACCEPT + 3600)

static const char original[] = "Received: from app.example.com by mail.example.com\r\n"
			       "From: App <app@example.com>\r\n"
			       "To: bob@example.org, carol@example.net\r\n"
			       "Subject: Your invoice\r\n"
			       "Message-ID: <abc@example.com>\r\n"
			       "\r\n"
			       "SECRET BODY LINE 1\r\n"
			       "SECRET BODY LINE 2\r\n";

/* A reply with CR, LF and a NUL in it, as a broken server might send. */
static const char reply_bob[] = "550 5.1.1 <bob@example.org>: Recipient address rejected:\r\n"
				"User unknown\0in virtual mailbox table";

static const char bob_words[] = "<bob@example.org>: Recipient address rejected: User unknown "
				"in virtual mailbox table";

static struct dsn_recipient rcpt_bob(void)
{
	struct dsn_recipient rc = {
		.address = "bob@example.org",
		.action = DSN_FAILED,
		.status = { 5, 1, 1 },
		.basic = 550,
		.reply = reply_bob,
		.reply_len = sizeof(reply_bob) - 1,
		.remote_mta = "mx.example.org",
		.last_attempt = T_NOW - 60,
	};
	return rc;
}

static struct dsn_recipient rcpt_dave(void)
{
	/* a local failure: no reply code, no host */
	struct dsn_recipient rc = {
		.address = "dave@nowhere.invalid",
		.action = DSN_FAILED,
		.reply = "Host or domain name not found",
		.reply_len = strlen("Host or domain name not found"),
	};
	return rc;
}

static struct dsn_report report(const struct dsn_recipient *rcpts, size_t n)
{
	struct dsn_report r = {
		.reporting_mta = "mail.example.com",
		.queue_id = "4FQ2xY7b",
		.original_sender = "app@example.com",
		.message_id = "dsn.4FQ2xY7b@mail.example.com",
		.boundary = BOUNDARY,
		.arrival = T_ACCEPT,
		.now = T_NOW,
		.rcpts = rcpts,
		.rcpt_count = n,
		.original = (const uint8_t *)original,
		.original_len = sizeof(original) - 1,
	};
	return r;
}

/* ---- reading a DSN back, the way a mail program would ------------------------------------ */

struct parsed {
	char *all;
	char *head;    /* the top header section */
	char *part[3]; /* each body part, its headers included */
	char *body[3]; /* each body part's content */
	size_t nparts;
};

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	assert_non_null(d);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void parsed_free(struct parsed *p)
{
	free(p->all);
	free(p->head);
	for (size_t i = 0; i < p->nparts; i++) {
		free(p->part[i]);
		free(p->body[i]);
	}
	memset(p, 0, sizeof(*p));
}

/* Splits at "\r\n--BOUNDARY\r\n" delimiters and the closing "\r\n--BOUNDARY--\r\n". */
static void parse(struct buf *b, struct parsed *p)
{
	const char *delim = "\r\n--" BOUNDARY "\r\n", *close = "\r\n--" BOUNDARY "--\r\n";
	const char *s, *end, *hend;

	memset(p, 0, sizeof(*p));
	p->all = dup_range((const char *)b->data, b->len);
	assert_int_equal(strlen(p->all), b->len); /* no NUL anywhere */
	hend = strstr(p->all, "\r\n\r\n");
	assert_non_null(hend);
	p->head = dup_range(p->all, (size_t)(hend - p->all) + 2);
	s = strstr(p->all, delim);
	end = strstr(p->all, close);
	assert_non_null(s);
	assert_non_null(end);
	assert_string_equal(end + strlen(close), ""); /* the closing delimiter ends it */
	while (s != NULL && s < end) {
		const char *start = s + strlen(delim), *next = strstr(start, delim), *bh;

		if (next == NULL || next > end)
			next = end;
		assert_true(p->nparts < 3);
		p->part[p->nparts] = dup_range(start, (size_t)(next - start));
		bh = strstr(p->part[p->nparts], "\r\n\r\n");
		assert_non_null(bh);
		p->body[p->nparts] = strdup(bh + 4);
		p->nparts++;
		s = next == end ? NULL : next;
	}
	assert_int_equal(p->nparts, 3);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *s = strstr(hay, needle); s != NULL; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* The text with line breaks and indentation made single spaces, as a reader sees it. */
static char *unwrapped(const char *s)
{
	char *d = malloc(strlen(s) + 1), *o = d;

	assert_non_null(d);
	while (*s != '\0') {
		if (*s == '\r' || *s == '\n' || *s == ' ') {
			while (*s == '\r' || *s == '\n' || *s == ' ')
				s++;
			*o++ = ' ';
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return d;
}

/* The text with all blanks and line breaks taken out: what folding must not change. */
static char *squeezed(const char *s)
{
	char *d = malloc(strlen(s) + 1), *o = d;

	assert_non_null(d);
	for (; *s != '\0'; s++)
		if (*s != '\r' && *s != '\n' && *s != ' ')
			*o++ = *s;
	*o = '\0';
	return d;
}

static void assert_lines_ok(const struct buf *b)
{
	size_t line = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			assert_true(i > 0 && b->data[i - 1] == '\r'); /* CRLF only */
			line = 0;
		} else if (b->data[i] == '\r') {
			assert_true(i + 1 < b->len && b->data[i + 1] == '\n');
		} else {
			line++;
			assert_true(line <= DSN_LINE_MAX);
		}
		assert_true(b->data[i] != '\0');
	}
	assert_true(b->len >= 2 && b->data[b->len - 1] == '\n');
}

static void build(const struct dsn_report *r, struct buf *out, struct parsed *p)
{
	buf_init(out, 0);
	assert_true(dsn_build(r, out));
	assert_lines_ok(out);
	parse(out, p);
}

/* ---- the tests --------------------------------------------------------------------------- */

static void bounce_for_two_recipients_is_a_delivery_status_report(void **state)
{
	struct dsn_recipient rcpts[2] = { rcpt_bob(), rcpt_dave() };
	struct dsn_report r = report(rcpts, 2);
	struct parsed p;
	struct buf out;

	(void)state;
	build(&r, &out, &p);
	assert_non_null(strstr(p.head,
			       "\r\nContent-Type: multipart/report; "
			       "report-type=delivery-status;\r\n\tboundary=\"" BOUNDARY "\"\r\n"));
	assert_non_null(strstr(p.head, "Subject: Undelivered Mail Returned to Sender\r\n"));
	assert_non_null(strstr(p.head, "From: Mail Delivery System "
				       "<MAILER-DAEMON@mail.example.com>\r\n"));
	assert_non_null(strstr(p.head, "\r\nTo: <app@example.com>\r\n"));
	assert_non_null(strstr(p.head, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(p.head, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(p.head, "\r\nMessage-ID: <dsn.4FQ2xY7b@mail.example.com>\r\n"));
	assert_non_null(strstr(p.head, "Date: Tue, 14 Nov 2023 23:13:20 +0000\r\n"));

	assert_non_null(strstr(p.part[0], "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(p.part[1], "Content-Type: message/delivery-status\r\n"));
	assert_non_null(strstr(p.part[2], "Content-Type: text/rfc822-headers\r\n"));

	/* the machine part: per-message fields, a blank line, then one block per recipient */
	assert_true(strncmp(p.body[1],
			    "Reporting-MTA: dns; mail.example.com\r\n"
			    "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
			    "\r\n"
			    "Final-Recipient: rfc822; bob@example.org\r\n",
			    strlen("Reporting-MTA: dns; mail.example.com\r\n"
				   "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
				   "\r\n"
				   "Final-Recipient: rfc822; bob@example.org\r\n")) == 0);
	assert_int_equal(count(p.body[1], "\r\n\r\nFinal-Recipient: "), 2);
	assert_int_equal(count(p.body[1], "\r\nAction: failed\r\n"), 2);
	assert_int_equal(count(p.body[1], "\r\nStatus: "), 2);
	assert_non_null(strstr(p.body[1], "\r\nStatus: 5.1.1\r\n"));
	assert_non_null(strstr(p.body[1], "Final-Recipient: rfc822; dave@nowhere.invalid\r\n"
					  "Action: failed\r\n"
					  "Status: 5.0.0\r\n"));
	/* Remote-MTA only where known, Diagnostic-Code only for a remote reply */
	assert_int_equal(count(p.body[1], "Remote-MTA: "), 1);
	assert_non_null(strstr(p.body[1], "\r\nRemote-MTA: dns; mx.example.org\r\n"));
	assert_int_equal(count(p.body[1], "Diagnostic-Code: "), 1);
	assert_int_equal(count(p.body[1], "Last-Attempt-Date: "), 1);
	assert_null(strstr(p.body[1], "Will-Retry-Until"));
	parsed_free(&p);
	buf_free(&out);
}

static void diagnostic_code_has_no_control_characters(void **state)
{
	struct dsn_recipient rcpts[1] = { rcpt_bob() };
	struct dsn_report r = report(rcpts, 1);
	struct parsed p;
	struct buf out;
	char *diag;

	(void)state;
	build(&r, &out, &p);
	diag = unwrapped(strstr(p.body[1], "Diagnostic-Code: "));
	assert_non_null(strstr(diag, "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: "
				     "Recipient address rejected: User unknown in virtual "
				     "mailbox table "));
	free(diag);
	/* the reply already held its codes: they are not doubled */
	assert_null(strstr(p.body[1], "550 5.1.1 550"));

	/* a reply given without its codes gets them in front */
	rcpts[0].reply = "mailbox full";
	rcpts[0].reply_len = strlen("mailbox full");
	rcpts[0].status = (struct enh_code){ 4, 2, 2 };
	rcpts[0].basic = 452;
	parsed_free(&p);
	buf_free(&out);
	build(&r, &out, &p);
	assert_non_null(strstr(p.body[1], "\r\nDiagnostic-Code: smtp; 452 4.2.2 mailbox full\r\n"));
	assert_non_null(strstr(p.body[1], "\r\nStatus: 4.2.2\r\n"));
	parsed_free(&p);
	buf_free(&out);
}

static void delay_notice_says_until_when(void **state)
{
	static const char reply[] = "451 4.7.1 Greylisted, please try again later";
	struct dsn_recipient rcpts[1] = { {
		.address = "carol@example.net",
		.action = DSN_DELAYED,
		.basic = 451,
		.reply = reply,
		.reply_len = sizeof(reply) - 1,
		.remote_mta = "mx.example.net",
		.last_attempt = T_NOW - 600,
		.retry_until = T_ACCEPT + 5 * 86400,
	} };
	struct dsn_report r = report(rcpts, 1);
	struct parsed p;
	struct buf out;
	char *text;

	(void)state;
	r.tz_offset_minutes = -300;
	build(&r, &out, &p);
	assert_non_null(strstr(p.head, "Subject: Delayed Mail (still being retried)\r\n"));
	assert_non_null(strstr(p.head, "Date: Tue, 14 Nov 2023 18:13:20 -0500\r\n"));
	assert_non_null(strstr(p.body[1], "Final-Recipient: rfc822; carol@example.net\r\n"
					  "Action: delayed\r\n"
					  "Status: 4.0.0\r\n"
					  "Remote-MTA: dns; mx.example.net\r\n"
					  "Diagnostic-Code: smtp; 451 4.7.1 Greylisted, please try "
					  "again later\r\n"
					  "Last-Attempt-Date: Tue, 14 Nov 2023 18:03:20 -0500\r\n"
					  "Will-Retry-Until: Sun, 19 Nov 2023 17:13:20 -0500\r\n"));
	assert_null(strstr(p.body[1], "Action: failed"));
	text = unwrapped(p.body[0]);
	assert_non_null(strstr(text, "Delivery will be tried until Sun, 19 Nov 2023 17:13:20 "
				     "-0500."));
	assert_non_null(strstr(text, "you do not need to send the message again"));
	free(text);
	parsed_free(&p);
	buf_free(&out);
}

static void human_text_says_what_the_knowledge_base_says(void **state)
{
	struct dsn_recipient rcpts[2] = { rcpt_bob(), rcpt_dave() };
	struct dsn_report r = report(rcpts, 2);
	struct explanation *ex = malloc(sizeof(*ex));
	struct parsed p;
	struct buf out;
	char *text, *action;

	(void)state;
	assert_non_null(ex);
	build(&r, &out, &p);
	text = unwrapped(p.body[0]);
	/* the title of X.1.1 from the table, and the advice explain gives for this reply */
	assert_non_null(strstr(text, status_enhanced(1, 1)->title));
	explain_reply(550, (struct enh_code){ 5, 1, 1 }, bob_words, strlen(bob_words), ex);
	assert_non_null(ex->action);
	action = unwrapped(ex->action);
	assert_non_null(strstr(text, action));
	free(action);
	/* the reply quoted, cleaned; who answered; the address */
	assert_non_null(strstr(text, "<bob@example.org>: delivery failed (status 5.1.1)"));
	assert_non_null(strstr(text, "The server mx.example.org answered: 550 5.1.1 "
				     "<bob@example.org>: Recipient address rejected: User "
				     "unknown in virtual mailbox table"));
	assert_non_null(strstr(text, "What to do: "));
	/* a local failure is described, not quoted as a server's answer */
	assert_non_null(strstr(text, "<dave@nowhere.invalid>: delivery failed (status 5.0.0)"));
	assert_non_null(strstr(text, "The attempt to deliver failed: Host or domain name not "
				     "found"));
	assert_non_null(strstr(text, "queue id 4FQ2xY7b"));
	/* lines for people stay short */
	for (const char *s = p.body[0]; *s != '\0';) {
		const char *eol = strstr(s, "\r\n");

		assert_non_null(eol);
		assert_true(eol - s <= 76);
		s = eol + 2;
	}
	free(text);
	free(ex);
	parsed_free(&p);
	buf_free(&out);
}

static void original_body_is_never_returned(void **state)
{
	static const char lf_only[] = "Subject: hello\nX-Long: a\n b\n\nSECRET BODY\n";
	static const char no_body[] = "Subject: only headers\r\nX-A: 1";
	struct dsn_recipient rcpts[1] = { rcpt_bob() };
	struct dsn_report r = report(rcpts, 1);
	struct parsed p;
	struct buf out;

	(void)state;
	build(&r, &out, &p);
	assert_null(strstr(p.all, "SECRET BODY"));
	assert_string_equal(p.body[2], "Received: from app.example.com by mail.example.com\r\n"
				       "From: App <app@example.com>\r\n"
				       "To: bob@example.org, carol@example.net\r\n"
				       "Subject: Your invoice\r\n"
				       "Message-ID: <abc@example.com>\r\n");
	parsed_free(&p);
	buf_free(&out);

	/* bare LF line ends become CRLF; the body still stays out */
	r.original = (const uint8_t *)lf_only;
	r.original_len = sizeof(lf_only) - 1;
	build(&r, &out, &p);
	assert_null(strstr(p.all, "SECRET BODY"));
	assert_string_equal(p.body[2], "Subject: hello\r\nX-Long: a\r\n b\r\n");
	parsed_free(&p);
	buf_free(&out);

	/* no empty line: the whole message is its header section */
	r.original = (const uint8_t *)no_body;
	r.original_len = sizeof(no_body) - 1;
	build(&r, &out, &p);
	assert_string_equal(p.body[2], "Subject: only headers\r\nX-A: 1\r\n");
	parsed_free(&p);
	buf_free(&out);
}

static void no_line_is_over_998_octets_whatever_the_input(void **state)
{
	size_t n = 5000;
	static char orig[3100];
	char *reply = malloc(n), *words = malloc(n);
	struct dsn_recipient rcpts[2] = { rcpt_bob(), rcpt_bob() };
	struct dsn_report r = report(rcpts, 2);
	struct parsed p;
	struct buf out;
	char *text;
	size_t o;

	(void)state;
	assert_non_null(reply);
	assert_non_null(words);
	memcpy(reply, "550 5.1.1 ", 10);
	memset(reply + 10, 'x', n - 10); /* one 4990-octet word */
	for (size_t i = 0; i < n; i++)
		words[i] = i % 7 == 6 ? ' ' : (i % 97 == 0 ? '\n' : 'w');
	rcpts[0].reply = reply;
	rcpts[0].reply_len = n;
	rcpts[1].reply = words;
	rcpts[1].reply_len = n;
	rcpts[1].address = "eve@example.org";
	/* an original header line of 3000 octets without a space */
	memcpy(orig, "Subject: ", 9);
	memset(orig + 9, 'h', 3000);
	memcpy(orig + 9 + 3000, "\r\n\r\nbody\r\n", 10);
	o = 9 + 3000 + 10;
	r.original = (const uint8_t *)orig;
	r.original_len = o;
	build(&r, &out, &p); /* asserts every line <= 998 octets, CRLF only */
	/* the long reply was cut where it says so, in both parts */
	text = squeezed(p.body[1]);
	assert_int_equal(count(text, "Diagnostic-Code:smtp;5505.1.1xxx"), 1);
	assert_non_null(strstr(text, "xxx...Last-Attempt-Date:"));
	free(text);
	text = squeezed(p.body[0]);
	assert_non_null(strstr(text, "xxx...What"));
	free(text);
	/* the long header line was folded, not lost */
	text = squeezed(p.body[2]);
	assert_int_equal(strlen(text), strlen("Subject:") + 3000);
	free(text);
	assert_null(strstr(p.body[2], "body"));
	free(reply);
	free(words);
	parsed_free(&p);
	buf_free(&out);
}

static void non_ascii_address_is_typed_utf8(void **state)
{
	struct dsn_recipient rcpts[1] = { rcpt_dave() };
	struct dsn_report r = report(rcpts, 1);
	struct parsed p;
	struct buf out;

	(void)state;
	rcpts[0].address = "jos\xc3\xa9+x@b\xc3\xbc"
			   "cher.example";
	build(&r, &out, &p);
	assert_non_null(strstr(p.body[1], "\r\nFinal-Recipient: utf-8; jos\\x{E9}\\x{2B}x@"
					  "b\\x{FC}cher.example\r\n"));
	for (const char *s = p.body[1]; *s != '\0'; s++)
		assert_true((unsigned char)*s < 0x80); /* the machine part stays 7-bit */
	/* people read the address as it is */
	assert_non_null(strstr(p.body[0], "<jos\xc3\xa9+x@b\xc3\xbc"
					  "cher.example>"));
	assert_non_null(strstr(p.part[0], "Content-Transfer-Encoding: 8bit\r\n"));
	parsed_free(&p);
	buf_free(&out);

	/* ASCII stays rfc822 */
	rcpts[0].address = "plain@example.org";
	build(&r, &out, &p);
	assert_non_null(strstr(p.body[1], "Final-Recipient: rfc822; plain@example.org\r\n"));
	assert_null(strstr(p.all, "8bit"));
	parsed_free(&p);
	buf_free(&out);
}

static void dates_are_rfc5322(void **state)
{
	struct dsn_recipient rcpts[1] = { rcpt_dave() };
	struct dsn_report r = report(rcpts, 1);
	struct buf out = BUF_INIT;

	(void)state;
	r.now = 951782400; /* a leap day */
	r.arrival = 0;	   /* not shown */
	assert_true(dsn_build(&r, &out));
	assert_non_null(
		strstr((const char *)out.data, "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n"));
	assert_null(strstr((const char *)out.data, "Arrival-Date"));
	buf_reset(&out);
	r.now = 0;
	r.tz_offset_minutes = 330;
	assert_true(dsn_build(&r, &out));
	assert_non_null(
		strstr((const char *)out.data, "Date: Thu, 01 Jan 1970 05:30:00 +0530\r\n"));
	buf_reset(&out);
	r.tz_offset_minutes = -1;
	assert_true(dsn_build(&r, &out));
	assert_non_null(
		strstr((const char *)out.data, "Date: Wed, 31 Dec 1969 23:59:00 -0001\r\n"));
	buf_free(&out);
}

static void refuses_without_recipients(void **state)
{
	struct dsn_recipient rcpts[1] = { rcpt_bob() };
	struct dsn_report r = report(rcpts, 0);
	struct buf out = BUF_INIT;

	(void)state;
	assert_true(buf_append_str(&out, "kept"));
	assert_false(dsn_build(&r, &out));
	assert_int_equal(out.len, 4); /* left as it was */
	r.rcpts = NULL;
	r.rcpt_count = 1;
	assert_false(dsn_build(&r, &out));
	assert_false(dsn_build(NULL, &out));
	assert_string_equal(buf_cstr(&out), "kept");
	buf_free(&out);
}

static void refuses_missing_or_malformed_fields(void **state)
{
	struct dsn_recipient rcpts[1] = { rcpt_bob() };
	struct dsn_report r = report(rcpts, 1), bad;
	struct buf out = BUF_INIT;

	(void)state;
	assert_true(dsn_build(&r, &out));
	buf_reset(&out);

	bad = r;
	bad.original_sender = ""; /* never a report to the null sender */
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.original_sender = "a@b\r\nBcc: x@y";
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.reporting_mta = NULL;
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.message_id = "a b@c";
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.boundary = "";
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.boundary = "has\"quote";
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.tz_offset_minutes = 24 * 60;
	assert_false(dsn_build(&bad, &out));
	bad = r;
	bad.now = -1;
	assert_false(dsn_build(&bad, &out));

	rcpts[0].address = "bob@example.org\n";
	assert_false(dsn_build(&r, &out));
	rcpts[0] = rcpt_bob();
	rcpts[0].address = "bad\xff@example.org"; /* not UTF-8 */
	assert_false(dsn_build(&r, &out));
	rcpts[0] = rcpt_bob();
	rcpts[0].status = (struct enh_code){ 2, 0, 0 };
	assert_false(dsn_build(&r, &out));
	rcpts[0] = rcpt_bob();
	rcpts[0].basic = 250;
	assert_false(dsn_build(&r, &out));
	rcpts[0] = rcpt_bob();
	rcpts[0].remote_mta = "mx.example.org\r\nX: y";
	assert_false(dsn_build(&r, &out));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void refuses_a_boundary_found_in_the_content(void **state)
{
	static const char orig[] = "Subject: hi\r\n--" BOUNDARY "\r\n\r\nbody\r\n";
	struct dsn_recipient rcpts[1] = { rcpt_bob() };
	struct dsn_report r = report(rcpts, 1);
	struct buf out = BUF_INIT;

	(void)state;
	r.original = (const uint8_t *)orig;
	r.original_len = sizeof(orig) - 1;
	assert_false(dsn_build(&r, &out));
	r.boundary = "another-boundary";
	assert_true(dsn_build(&r, &out));
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounce_for_two_recipients_is_a_delivery_status_report),
		cmocka_unit_test(diagnostic_code_has_no_control_characters),
		cmocka_unit_test(delay_notice_says_until_when),
		cmocka_unit_test(human_text_says_what_the_knowledge_base_says),
		cmocka_unit_test(original_body_is_never_returned),
		cmocka_unit_test(no_line_is_over_998_octets_whatever_the_input),
		cmocka_unit_test(non_ascii_address_is_typed_utf8),
		cmocka_unit_test(dates_are_rfc5322),
		cmocka_unit_test(refuses_without_recipients),
		cmocka_unit_test(refuses_missing_or_malformed_fields),
		cmocka_unit_test(refuses_a_boundary_found_in_the_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
