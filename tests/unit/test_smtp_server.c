/*
 * test_smtp_server.c - the submission session, driven as a client would drive it: bytes in,
 * replies out, decisions answered by the test in place of the adapter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smtp_server.h"

static const struct smtp_server_config config = {
	.hostname = "mx.test",
	.max_message_size = 10000,
	.max_recipients = 3,
	.max_errors = 10,
	.max_auth_failures = 3,
	.starttls_offered = true,
	.auth_offered = true,
	.allow_plaintext_auth = false,
};

struct fixture {
	struct smtp_server *s;
	char out[1 << 16];
	int messages;	       /* messages stored */
	char stored[4][16384]; /* their bytes */
	size_t stored_len[4];
	bool refuse_data;
	const struct smtp_verdict *mail_verdict; /* the policy's answer to MAIL, if set */
	const struct smtp_verdict *rcpt_verdict;
};

/* Answers every request the way a permissive adapter would; keeps stored messages. */
static void settle(struct fixture *f)
{
	const struct smtp_request *r;

	while ((r = smtp_server_pending(f->s)) != NULL) {
		struct smtp_verdict v = { .accept = true };
		switch (r->kind) {
		case SMTP_REQ_STARTTLS:
			smtp_server_tls_started(f->s);
			continue;
		case SMTP_REQ_AUTH:
			v.accept = strcmp(r->user, "app") == 0 && r->password_len == 6 &&
				   memcmp(r->password, "secret", 6) == 0;
			break;
		case SMTP_REQ_DATA:
			v.accept = !f->refuse_data;
			break;
		case SMTP_REQ_MAIL:
			if (f->mail_verdict != NULL)
				v = *f->mail_verdict;
			break;
		case SMTP_REQ_RCPT:
			if (f->rcpt_verdict != NULL)
				v = *f->rcpt_verdict;
			break;
		case SMTP_REQ_MESSAGE:
			if (f->messages < 4) {
				assert_true(r->message.len < sizeof(f->stored[0]));
				memcpy(f->stored[f->messages], r->message.data, r->message.len);
				f->stored_len[f->messages] = r->message.len;
			}
			f->messages++;
			v.queue_id = "Q1";
			break;
		default:
			break;
		}
		smtp_server_answer(f->s, &v);
	}
}

/* Feeds bytes, settles decisions, and returns all output produced (also kept in f->out). */
static const char *feedn(struct fixture *f, const void *p, size_t n)
{
	struct slice o;

	smtp_server_feed(f->s, p, n);
	settle(f);
	o = smtp_server_output(f->s);
	assert_true(o.len < sizeof(f->out));
	memcpy(f->out, o.data, o.len);
	f->out[o.len] = '\0';
	smtp_server_output_done(f->s);
	return f->out;
}

static const char *feed(struct fixture *f, const char *text)
{
	return feedn(f, text, strlen(text));
}

static void assert_reply(const char *out, const char *prefix)
{
	if (strstr(out, prefix) == NULL)
		fail_msg("expected a reply with \"%s\", got \"%s\"", prefix, out);
}

static struct fixture *start(bool tls, bool trusted)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->s = smtp_server_new(&config, tls, trusted);
	assert_non_null(f->s);
	assert_reply(feed(f, ""), "220 mx.test ESMTP");
	return f;
}

static void finish(struct fixture *f)
{
	smtp_server_free(f->s);
	free(f);
}

/* A trusted client after EHLO. */
static struct fixture *greeted(void)
{
	struct fixture *f = start(false, true);
	assert_reply(feed(f, "EHLO client.test\r\n"), "250 CHUNKING");
	return f;
}

static void ehlo_advertises_the_extensions(void **state)
{
	struct fixture *f = start(false, false);
	const char *o = feed(f, "EHLO client.test\r\n");

	(void)state;
	assert_reply(o, "250-mx.test\r\n");
	assert_reply(o, "250-PIPELINING\r\n");
	assert_reply(o, "250-SIZE 10000\r\n");
	assert_reply(o, "250-STARTTLS\r\n");
	assert_reply(o, "250-8BITMIME\r\n");
	assert_reply(o, "250-SMTPUTF8\r\n");
	assert_reply(o, "250-ENHANCEDSTATUSCODES\r\n");
	assert_reply(o, "250 CHUNKING\r\n");
	assert_null(strstr(o, "AUTH")); /* not before TLS */
	assert_reply(feed(f, "STARTTLS\r\n"), "220 2.0.0");
	o = feed(f, "EHLO again\r\n");
	assert_reply(o, "250-AUTH PLAIN LOGIN\r\n");
	assert_null(strstr(o, "STARTTLS\r\n250"));
	finish(f);
}

static void a_pipelined_transaction_is_stored_exactly(void **state)
{
	struct fixture *f = greeted();
	const char *o;

	(void)state;
	o = feed(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
		    "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\nQUIT\r\n");
	assert_reply(o, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data");
	assert_reply(o, "250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 Bye\r\n");
	assert_int_equal(f->messages, 1);
	assert_int_equal(f->stored_len[0], strlen("Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"));
	assert_memory_equal(f->stored[0], "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n",
			    f->stored_len[0]);
	assert_true(smtp_server_closed(f->s));
	finish(f);
}

static void data_split_across_packets_is_reassembled(void **state)
{
	struct fixture *f = greeted();
	const char *msg = "MAIL FROM:<>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nA\r\n.B\r\n.\r\n";

	(void)state;
	for (size_t i = 0; msg[i]; i++)
		feedn(f, msg + i, 1);
	assert_int_equal(f->messages, 1);
	assert_int_equal(f->stored_len[0], 6);
	assert_memory_equal(f->stored[0], "A\r\nB\r\n", 6);
	finish(f);
}

/* Every smuggling ending of the CVE-2023-51764 family: none ends the message, and no second
 * message comes out of the bytes that follow. */
static void smuggling_endings_never_split_a_message(void **state)
{
	static const char *endings[] = {
		"\n.\n",   "\n.\r\n", "\r.\r",	       "\r\n.\r",
		"\r\n.\n", "\r.\r\n", "\r\r\n.\r\r\n", "\r\n\x00.\r\n",
	};
	static const size_t lens[] = { 3, 4, 3, 4, 4, 4, 7, 6 };

	(void)state;
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		struct fixture *f = greeted();
		char buf[512];
		size_t n = 0;
		const char *head =
			"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
			"Subject: one\r\n\r\nfirst";
		const char *tail =
			"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\n"
			"DATA\r\nSubject: smuggled\r\n\r\n.\r\n";

		memcpy(buf + n, head, strlen(head));
		n += strlen(head);
		memcpy(buf + n, endings[i], lens[i]);
		n += lens[i];
		memcpy(buf + n, tail, strlen(tail));
		n += strlen(tail);
		feedn(f, buf, n);
		if (f->messages > 1)
			fail_msg("ending %zu produced a second message", i);
		/* either the session closed with 521 or everything is one message */
		if (f->messages == 1 && !memmem(f->stored[0], f->stored_len[0], "smuggled", 8))
			fail_msg("ending %zu ended the message early", i);
		if (f->messages == 0)
			assert_reply(f->out, "521 5.5.2");
		finish(f);
	}
}

static void bare_lf_in_a_command_closes_with_521(void **state)
{
	struct fixture *f = greeted();

	(void)state;
	assert_reply(feed(f, "NOOP\nNOOP\r\n"), "521 5.5.2");
	assert_true(smtp_server_closed(f->s));
	finish(f);
}

static void overlong_lines_get_500_and_megabytes_are_cut_off(void **state)
{
	struct fixture *f = greeted();
	char *big = malloc(1 << 20);
	char line[700];

	(void)state;
	memset(line, 'A', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	assert_reply(feedn(f, line, sizeof(line)), "500 5.5.2 Error: line too long");
	assert_false(smtp_server_closed(f->s));
	assert_reply(feed(f, "NOOP\r\n"), "250 2.0.0");
	memset(big, 'x', 1 << 20);
	for (int i = 0; i < 10 && !smtp_server_closed(f->s); i++)
		feedn(f, big, 1 << 20);
	assert_true(smtp_server_closed(f->s));
	assert_reply(f->out, "500 5.5.2 Error: line too long, closing connection");
	free(big);
	finish(f);
}

/* A line too long to keep is dropped up to its CRLF: a bare LF inside it is no line end,
 * so nothing after it can be taken as a command (smuggling through an over-long line). */
static void an_overlong_line_ends_only_at_crlf(void **state)
{
	struct fixture *f = greeted();
	size_t n = 20000;
	char *big = malloc(n + 64);

	(void)state;
	memset(big, 'A', n);
	memcpy(big + n, "\nMAIL FROM:<x@example.org>\r\n", 29);
	feedn(f, big, 15000); /* split across reads, as a network would */
	feedn(f, big + 15000, n - 15000 + 29);
	assert_reply(f->out, "521 5.5.2 Error: bare CR or LF received");
	assert_null(strstr(f->out, "250 2.1.0"));
	assert_true(smtp_server_closed(f->s));
	free(big);
	finish(f);
}

static void long_paths_and_bad_addresses_are_refused(void **state)
{
	struct fixture *f = greeted();
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%0300d@example.org>\r\n", 0);
	assert_reply(feed(f, cmd), "501 5.5.4");
	assert_reply(feed(f, "MAIL FROM:<not an address>\r\n"), "553 5.1.3 <not an address>");
	assert_reply(feed(f, "MAIL FROM:a@example.org\r\n"),
		     "501 5.5.4 Syntax: MAIL FROM:<address>");
	assert_reply(feed(f, "MAIL FROM:<j\xc3\xb6rg@example.org>\r\n"), "553 5.6.7");
	assert_reply(feed(f, "MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\n"), "250 2.1.0");
	assert_reply(feed(f, "RCPT TO:<>\r\n"), "553 5.1.3");
	assert_reply(feed(f, "RCPT TO:<b@-bad-.example>\r\n"), "553 5.1.3");
	assert_reply(feed(f, "RCPT TO:<b@example.net> NOTIFY=NEVER\r\n"), "555 5.5.4");
	finish(f);
}

static void commands_out_of_order_get_503(void **state)
{
	struct fixture *f = start(false, true);

	(void)state;
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\n"), "503 5.5.1 Error: send EHLO");
	feed(f, "EHLO c\r\n");
	assert_reply(feed(f, "RCPT TO:<b@example.net>\r\n"), "503 5.5.1 Error: need MAIL");
	assert_reply(feed(f, "DATA\r\n"), "503 5.5.1 Error: need MAIL");
	feed(f, "MAIL FROM:<a@example.org>\r\n");
	assert_reply(feed(f, "DATA\r\n"), "503 5.5.1 Need RCPT command");
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\n"), "503 5.5.1 Error: nested MAIL");
	assert_reply(feed(f, "FOO\r\n"), "500 5.5.2");
	assert_reply(feed(f, "VRFY x\r\n"), "252 2.5.2");
	assert_reply(feed(f, "HELP\r\n"), "214 2.0.0");
	assert_reply(feed(f, "EXPN x\r\n"), "502 5.5.1");
	finish(f);
}

static void size_and_recipient_limits_hold(void **state)
{
	struct fixture *f = greeted();
	char *data = malloc(20000);

	(void)state;
	assert_reply(feed(f, "MAIL FROM:<a@example.org> SIZE=10001\r\n"), "552 5.3.4 Exceeds");
	feed(f, "MAIL FROM:<a@example.org> SIZE=100\r\n");
	feed(f, "RCPT TO:<b1@example.net>\r\nRCPT TO:<b2@example.net>\r\nRCPT "
		"TO:<b3@example.net>\r\n");
	assert_reply(feed(f, "RCPT TO:<b4@example.net>\r\n"), "452 4.5.3");
	feed(f, "DATA\r\n");
	for (int i = 0; i < 20000; i += 100) {
		memset(data + i, 'y', 98);
		memcpy(data + i + 98, "\r\n", 2);
	}
	feedn(f, data, 20000);
	assert_reply(feed(f, ".\r\n"), "552 5.3.4");
	assert_int_equal(f->messages, 0);
	free(data);
	finish(f);
}

static void a_message_line_over_1000_octets_is_refused(void **state)
{
	struct fixture *f = greeted();
	char line[1100];

	(void)state;
	feed(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	memset(line, 'z', sizeof(line));
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	feedn(f, line, sizeof(line));
	assert_reply(feed(f, ".\r\n"), "500 5.5.2");
	assert_int_equal(f->messages, 0);
	finish(f);
}

static void authentication_is_required_and_checked(void **state)
{
	struct fixture *f = start(true, false);

	(void)state;
	feed(f, "EHLO c\r\n");
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\n"), "535 5.7.0 Authentication required");
	/* "\0app\0wrong" and "\0app\0secret" */
	assert_reply(feed(f, "AUTH PLAIN AGFwcAB3cm9uZw==\r\n"), "535 5.7.8");
	assert_reply(feed(f, "AUTH PLAIN !!!!\r\n"),
		     "501 5.5.2 Invalid command argument, not a valid");
	assert_reply(feed(f, "AUTH PLAIN YXBw\r\n"),
		     "501 5.5.2 Invalid command argument, does not contain NUL");
	assert_reply(feed(f, "AUTH PLAIN AGFwcA==\r\n"), "does not contain the second NUL");
	assert_reply(feed(f, "AUTH CRAM-MD5\r\n"), "504 5.5.4 Method not supported");
	assert_reply(feed(f, "AUTH\r\n"), "504 5.5.4 AUTH mechanism mismatch");
	assert_reply(feed(f, "AUTH PLAIN\r\n"), "334 \r\n");
	assert_reply(feed(f, "*\r\n"), "501 5.7.0");
	assert_reply(feed(f, "AUTH PLAIN\r\n"), "334 ");
	assert_reply(feed(f, "AGFwcABzZWNyZXQ=\r\n"), "235 2.7.0");
	assert_string_equal(smtp_server_user(f->s), "app");
	assert_reply(feed(f, "AUTH PLAIN AGFwcABzZWNyZXQ=\r\n"), "503 5.5.1");
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\n"), "250 2.1.0");
	finish(f);
}

static void auth_login_works_and_failures_are_limited(void **state)
{
	struct fixture *f = start(true, false);

	(void)state;
	feed(f, "EHLO c\r\n");
	assert_reply(feed(f, "AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6");
	assert_reply(feed(f, "YXBw\r\n"), "334 UGFzc3dvcmQ6");
	assert_reply(feed(f, "c2VjcmV0\r\n"), "235 2.7.0");
	finish(f);

	f = start(true, false);
	feed(f, "EHLO c\r\n");
	for (int i = 0; i < 2; i++)
		assert_reply(feed(f, "AUTH LOGIN YXBw\r\nd3Jvbmc=\r\n"), "535 5.7.8");
	assert_reply(feed(f, "AUTH LOGIN YXBw\r\nd3Jvbmc=\r\n"),
		     "421 4.7.0 Too many auth failures");
	assert_true(smtp_server_closed(f->s));
	finish(f);
}

static void auth_before_tls_gets_538(void **state)
{
	struct fixture *f = start(false, false);

	(void)state;
	feed(f, "EHLO c\r\n");
	assert_reply(feed(f, "AUTH PLAIN AGFwcABzZWNyZXQ=\r\n"), "538 5.7.11");
	finish(f);
}

static void input_pipelined_after_starttls_is_discarded(void **state)
{
	struct fixture *f = start(false, false);
	const char *o;

	(void)state;
	feed(f, "EHLO c\r\n");
	o = feed(f, "STARTTLS\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n");
	assert_reply(o, "220 2.0.0 Ready to start TLS");
	assert_null(strstr(o, "250 2.1.0"));
	assert_null(strstr(o, "535"));
	assert_true(smtp_server_tls(f->s));
	assert_string_equal(smtp_server_helo(f->s), "");
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\n"), "503 5.5.1 Error: send EHLO");
	finish(f);
}

static void bdat_chunks_make_one_message(void **state)
{
	struct fixture *f = greeted();
	const char *o;

	(void)state;
	o = feed(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
		    "BDAT 8\r\nA: b\r\n\r\nBDAT 6 LAST\r\nbody\r\n");
	assert_reply(o, "250 2.0.0 Ok: 8 octets received");
	assert_reply(o, "250 2.0.0 Ok: queued as Q1");
	assert_int_equal(f->messages, 1);
	assert_int_equal(f->stored_len[0], 14);
	assert_memory_equal(f->stored[0], "A: b\r\n\r\nbody\r\n", 14);
	/* a chunk outside a transaction is read and refused, never run as commands */
	o = feed(f, "BDAT 27 LAST\r\nMAIL FROM:<x@example.org>\r\n");
	assert_reply(o, "503 5.5.1 Error: need MAIL");
	assert_null(strstr(o, "250 2.1.0"));
	assert_reply(feed(f, "BDAT x\r\n"), "501 5.5.4");
	finish(f);
}

static void timeouts_and_shutdown_send_421(void **state)
{
	struct fixture *f = greeted();

	(void)state;
	smtp_server_timeout(f->s);
	assert_reply(feed(f, ""), "421 4.4.2 Timeout waiting for data from client");
	finish(f);

	f = greeted();
	feed(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nx\r\n");
	smtp_server_shutdown(f->s);
	assert_false(smtp_server_closed(f->s));
	assert_reply(feed(f, ".\r\n"), "250 2.0.0 Ok: queued as Q1\r\n421 4.3.2");
	assert_int_equal(f->messages, 1);
	finish(f);
}

static void refused_data_keeps_nothing(void **state)
{
	struct fixture *f = greeted();

	(void)state;
	f->refuse_data = true;
	assert_reply(feed(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
		     "452 4.3.1");
	assert_int_equal(f->messages, 0);
	finish(f);
}

static bool contains(struct slice r, const char *needle)
{
	return memmem(r.data, r.len, needle, strlen(needle)) != NULL;
}

static void rejections_are_logged_without_credentials(void **state)
{
	struct fixture *f = start(true, false);
	struct slice r;

	(void)state;
	feed(f, "EHLO c\r\nAUTH PLAIN AGFwcAB3cm9uZw==\r\nMAIL FROM:<a@example.org>\r\n");
	r = smtp_server_rejections(f->s);
	assert_true(contains(r, "command=\"AUTH\" reply=\"535 5.7.8"));
	assert_true(contains(r, "command=\"MAIL FROM:<a@example.org>\" reply=\"535 5.7.0"));
	assert_false(contains(r, "AGFw"));
	smtp_server_rejections_done(f->s);
	finish(f);
}

static void too_many_errors_end_the_session(void **state)
{
	struct fixture *f = greeted();

	(void)state;
	for (int i = 0; i < 10; i++)
		feed(f, "BOGUS\r\n");
	assert_reply(f->out, "421 4.7.0 Too many errors");
	assert_true(smtp_server_closed(f->s));
	finish(f);
}

/* The policy answers with table replies whose marks take its own arguments. */
static void policy_replies_fill_their_marks(void **state)
{
	struct fixture *f = greeted();
	struct smtp_verdict mail = { .accept = false, .reply = SMTP_R_SENDER_NOT_AUTHORIZED };
	struct smtp_verdict rcpt = { .accept = true,
				     .reply = SMTP_R_SUPPRESSED_ACCEPTED,
				     .arg2 = "bounce" };
	char long_arg[401], line[600];
	const char *o, *end;

	(void)state;
	f->mail_verdict = &mail;
	assert_reply(feed(f, "MAIL FROM:<a@b.example>\r\n"),
		     "535 5.7.1 Authorization failed: address <a@b.example> not authorized\r\n");
	f->mail_verdict = NULL;
	assert_reply(feed(f, "MAIL FROM:<a@b.example>\r\n"), "250 2.1.0");
	f->rcpt_verdict = &rcpt;
	assert_reply(feed(f, "RCPT TO:<x@y.example>\r\n"),
		     "250 2.1.5 <x@y.example> suppressed (bounce): accepted, will not be "
		     "delivered\r\n");
	rcpt = (struct smtp_verdict){
		.accept = true, .reply = SMTP_R_SUPPRESSED_254, .arg = "app", .arg2 = "x@y.example"
	};
	assert_reply(feed(f, "RCPT TO:<x@y.example>\r\n"),
		     "254 4.7.1 Suppression for user <app> to <x@y.example>\r\n");
	/* arguments are cut so that the line stays within 512 octets */
	memset(long_arg, 'z', 400);
	long_arg[400] = '\0';
	rcpt = (struct smtp_verdict){
		.accept = false, .reply = SMTP_R_FROM_MISMATCH, .arg = long_arg, .arg2 = long_arg
	};
	o = feed(f, "RCPT TO:<x@y.example>\r\n");
	assert_reply(o, "553 5.7.1 Sender address rejected: header From <zzz");
	end = strstr(o, "\r\n");
	assert_non_null(end);
	assert_true(end - o + 2 <= 512);
	snprintf(line, sizeof(line), "%.*s", (int)(end - o), o);
	assert_non_null(strstr(line, "...> does not match envelope sender <zz"));
	finish(f);
}

static void a_connection_can_be_refused_instead_of_greeted(void **state)
{
	struct smtp_server *s = smtp_server_new(&config, false, false);
	struct slice o;

	(void)state;
	assert_non_null(s);
	smtp_server_refuse(s, SMTP_R_TOO_MANY_CONNECTIONS);
	o = smtp_server_output(s);
	assert_int_equal(o.len, strlen("421 4.7.0 Too many connections, try again later\r\n"));
	assert_memory_equal(o.data, "421 4.7.0 Too many connections, try again later\r\n", o.len);
	assert_true(smtp_server_closed(s));
	smtp_server_free(s);
}

static void a_users_own_limits_apply(void **state)
{
	struct fixture *f = greeted();

	(void)state;
	smtp_server_set_limits(f->s, 100, 1);
	assert_reply(feed(f, "MAIL FROM:<a@b.example> SIZE=200\r\n"), "552 5.3.4");
	assert_reply(feed(f, "MAIL FROM:<a@b.example> SIZE=50\r\n"), "250 2.1.0");
	assert_reply(feed(f, "RCPT TO:<x@y.example>\r\n"), "250 2.1.5");
	assert_reply(feed(f, "RCPT TO:<z@y.example>\r\n"), "452 4.5.3");
	assert_reply(feed(f, "DATA\r\n"), "354");
	assert_reply(feed(f,
			  "Subject: x\r\n\r\n"
			  "0123456789012345678901234567890123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789\r\n.\r\n"),
		     "552 5.3.4");
	smtp_server_set_limits(f->s, 0, 0); /* back to the listener's */
	assert_reply(feed(f, "MAIL FROM:<a@b.example> SIZE=200\r\n"), "250 2.1.0");
	finish(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ehlo_advertises_the_extensions),
		cmocka_unit_test(a_pipelined_transaction_is_stored_exactly),
		cmocka_unit_test(data_split_across_packets_is_reassembled),
		cmocka_unit_test(smuggling_endings_never_split_a_message),
		cmocka_unit_test(bare_lf_in_a_command_closes_with_521),
		cmocka_unit_test(overlong_lines_get_500_and_megabytes_are_cut_off),
		cmocka_unit_test(an_overlong_line_ends_only_at_crlf),
		cmocka_unit_test(long_paths_and_bad_addresses_are_refused),
		cmocka_unit_test(commands_out_of_order_get_503),
		cmocka_unit_test(size_and_recipient_limits_hold),
		cmocka_unit_test(a_message_line_over_1000_octets_is_refused),
		cmocka_unit_test(authentication_is_required_and_checked),
		cmocka_unit_test(auth_login_works_and_failures_are_limited),
		cmocka_unit_test(auth_before_tls_gets_538),
		cmocka_unit_test(input_pipelined_after_starttls_is_discarded),
		cmocka_unit_test(bdat_chunks_make_one_message),
		cmocka_unit_test(timeouts_and_shutdown_send_421),
		cmocka_unit_test(refused_data_keeps_nothing),
		cmocka_unit_test(rejections_are_logged_without_credentials),
		cmocka_unit_test(too_many_errors_end_the_session),
		cmocka_unit_test(policy_replies_fill_their_marks),
		cmocka_unit_test(a_connection_can_be_refused_instead_of_greeted),
		cmocka_unit_test(a_users_own_limits_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
