/*
 * test_smtp_client.c - the outbound session, driven as a server would drive it: each test is
 * a dialogue. server() feeds what the server says, client() checks exactly what the session
 * wrote back, and the test answers the session's events in place of the adapter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smtp_client.h"

#define GREETING "220 mx.test ESMTP ready\r\n"
/* What most tests' server offers: PIPELINING, a SIZE limit, 8BITMIME, SMTPUTF8. */
#define EHLO_FULL                                                                                  \
	"250-mx.test Hello client.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"    \
	"250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
/* A server without PIPELINING: one command at a time. */
#define EHLO_LOCKSTEP "250-mx.test\r\n250-SIZE\r\n250 8BITMIME\r\n"
#define EHLO_STARTTLS "250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"

static const struct smtp_client_config plain_cfg = {
	.helo_name = "client.test",
	.tls = SMTP_TLS_NONE,
};

struct fx {
	struct smtp_client *c;
	struct buf out;
	struct smtp_rcpt_result res[8];
	struct smtp_client_message msg;
	const char *rcpts[8];
};

static struct fx *start(const struct smtp_client_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->c = smtp_client_new(cfg);
	assert_non_null(f->c);
	buf_init(&f->out, 0);
	return f;
}

static void finish(struct fx *f)
{
	smtp_client_free(f->c);
	buf_free(&f->out);
	free(f);
}

/* S: the server says text (all of it is taken). */
static void server(struct fx *f, const char *text)
{
	size_t n = strlen(text);

	assert_int_equal(smtp_client_feed(f->c, (const uint8_t *)text, n), n);
}

static void server_bytes(struct fx *f, const void *p, size_t n)
{
	assert_int_equal(smtp_client_feed(f->c, p, n), n);
}

/* C: the session wrote exactly text since the last check ("" for nothing). */
static void client(struct fx *f, const char *text)
{
	buf_reset(&f->out);
	smtp_client_output(f->c, &f->out);
	assert_false(smtp_client_has_output(f->c));
	assert_string_equal(buf_cstr(&f->out), text);
}

static void event(struct fx *f, enum smtp_client_event e)
{
	assert_int_equal(smtp_client_event(f->c), e);
}

/* Greeting and EHLO with the given reply; the session is then at SC_READY. */
static struct fx *greeted(const char *ehlo_reply)
{
	struct fx *f = start(&plain_cfg);

	event(f, SC_WAIT);
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	event(f, SC_WAIT);
	server(f, ehlo_reply);
	client(f, "");
	event(f, SC_READY);
	return f;
}

/* Starts a transaction of data to the n recipients, from a@example.org. */
static void send_to(struct fx *f, const char *data, const char *const *rcpts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f->rcpts[i] = rcpts[i];
	f->msg = (struct smtp_client_message){
		.mail_from = "a@example.org",
		.rcpts = f->rcpts,
		.rcpt_count = n,
		.data = (const uint8_t *)data,
		.len = strlen(data),
	};
	assert_true(smtp_client_send(f->c, &f->msg, f->res));
}

#define SEND(f, data, ...)                                                                         \
	send_to(f, data, (const char *const[]){ __VA_ARGS__ },                                     \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void outcome(struct fx *f, size_t i, enum smtp_rcpt_outcome o, int code, const char *enh)
{
	char e[16] = "";

	if (f->res[i].reply.enh.cls != 0)
		enh_code_format(f->res[i].reply.enh, e, sizeof(e));
	if (f->res[i].outcome != o || f->res[i].reply.code != code || strcmp(e, enh) != 0)
		fail_msg("recipient %zu: outcome %d reply %d %s (%s), expected %d %d %s", i,
			 (int)f->res[i].outcome, f->res[i].reply.code, e, f->res[i].reply.text,
			 (int)o, code, enh);
}

static void failed_with(struct fx *f, int code, enum smtp_stage stage, bool unusable,
			const char *text)
{
	bool u = !unusable;
	const struct smtp_client_reply *r = smtp_client_failure(f->c, &u);

	assert_non_null(r);
	assert_int_equal(r->code, code);
	assert_int_equal(r->stage, stage);
	assert_int_equal(u, unusable);
	if (strstr(r->text, text) == NULL)
		fail_msg("failure text \"%s\" lacks \"%s\"", r->text, text);
}

#define MSG "Subject: hi\r\n\r\nHello\r\n"

/* --- transactions ----------------------------------------------------------------------- */

static void a_pipelined_transaction_delivers_to_two_recipients(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	assert_true(smtp_client_caps(f->c)->pipelining);
	assert_int_equal(smtp_client_caps(f->c)->size, 10000);
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n"
		  "RCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\n"
		  "DATA\r\n");
	event(f, SC_WAIT);
	server(f, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with .\r\n");
	client(f, MSG ".\r\n");
	event(f, SC_WAIT);
	server(f, "250 2.0.0 Ok: queued as 4XyZ\r\n");
	client(f, ""); /* no RSET after a success */
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "2.0.0");
	outcome(f, 1, SC_RCPT_DELIVERED, 250, "2.0.0");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_DOT);
	assert_string_equal(f->res[1].reply.text, "Ok: queued as 4XyZ");
	event(f, SC_READY);
	smtp_client_quit(f->c);
	client(f, "QUIT\r\n");
	event(f, SC_WAIT);
	server(f, "221 2.0.0 Bye\r\n");
	event(f, SC_CLOSED);
	assert_null(smtp_client_failure(f->c, NULL));
	finish(f);
}

static void without_pipelining_commands_go_one_at_a_time(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	assert_false(smtp_client_caps(f->c)->pipelining);
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<b@example.net>\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<c@example.net>\r\n");
	server(f, "250 Ok\r\n");
	client(f, "DATA\r\n");
	server(f, "354 go ahead\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 queued\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "");
	outcome(f, 1, SC_RCPT_DELIVERED, 250, "");
	event(f, SC_READY);
	finish(f);
}

static void helo_is_used_when_ehlo_is_refused(void **state)
{
	struct fx *f = start(&plain_cfg);

	(void)state;
	server(f, "220 old.test SMTP\r\n");
	client(f, "EHLO client.test\r\n");
	server(f, "502 Command not implemented\r\n");
	client(f, "HELO client.test\r\n");
	server(f, "250 old.test\r\n");
	event(f, SC_READY);
	assert_false(smtp_client_caps(f->c)->esmtp);
	SEND(f, "x\r\n", "b@example.net");
	client(f, "MAIL FROM:<a@example.org>\r\n"); /* no SIZE=, no pipelining */
	finish(f);
}

static void helo_refused_too_ends_the_session(void **state)
{
	struct fx *f = start(&plain_cfg);

	(void)state;
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	server(f, "500 what\r\n");
	client(f, "HELO client.test\r\n");
	server(f, "501 5.5.4 go away\r\n");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 501, SC_STAGE_EHLO, true, "go away");
	finish(f);
}

static void a_message_over_the_size_limit_is_not_sent(void **state)
{
	struct fx *f = greeted("250-mx.test\r\n250 SIZE 10\r\n");

	(void)state;
	SEND(f, "0123456789ABCDEF\r\n", "b@example.net", "c@example.net");
	client(f, "");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 0, "5.3.4");
	outcome(f, 1, SC_RCPT_PERMFAIL, 0, "5.3.4");
	assert_string_equal(f->res[0].reply.text,
			    "message size 18 exceeds the server's limit of 10 octets");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_MAIL);
	event(f, SC_READY); /* the session is still usable */
	SEND(f, "ok\r\n", "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=4\r\n");
	finish(f);
}

static void smtputf8_is_required_when_the_message_needs_it(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	f->rcpts[0] = "jörg@example.net";
	f->msg = (struct smtp_client_message){ .mail_from = "a@example.org",
					       .rcpts = f->rcpts,
					       .rcpt_count = 1,
					       .data = (const uint8_t *)"x\r\n",
					       .len = 3,
					       .smtputf8 = true };
	assert_true(smtp_client_send(f->c, &f->msg, f->res));
	client(f, "");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 0, "5.6.7");
	assert_non_null(strstr(f->res[0].reply.text, "SMTPUTF8"));
	event(f, SC_READY);
	finish(f);
}

static void mail_parameters_follow_what_the_server_offers(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	f->rcpts[0] = "jörg@example.net";
	f->msg = (struct smtp_client_message){ .mail_from = "",
					       .rcpts = f->rcpts,
					       .rcpt_count = 1,
					       .data = (const uint8_t *)"x\r\n",
					       .len = 3,
					       .smtputf8 = true,
					       .body_8bit = true };
	assert_true(smtp_client_send(f->c, &f->msg, f->res));
	client(f, "MAIL FROM:<> SIZE=3 BODY=8BITMIME SMTPUTF8\r\n"
		  "RCPT TO:<jörg@example.net>\r\nDATA\r\n");
	finish(f);
}

static void one_recipient_refused_one_accepted(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "nobody@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<nobody@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 2.1.0 Ok\r\n"
		  "550-5.1.1 <nobody@example.net>: Recipient address rejected:\r\n"
		  "550 5.1.1 User unknown in virtual mailbox table\r\n"
		  "250 2.1.5 Ok\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 2.0.0 queued\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 550, "5.1.1");
	assert_string_equal(f->res[0].reply.text,
			    "<nobody@example.net>: Recipient address "
			    "rejected: User unknown in virtual mailbox table");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_RCPT);
	outcome(f, 1, SC_RCPT_DELIVERED, 250, "2.0.0");
	event(f, SC_READY);
	finish(f);
}

static void too_many_recipients_leaves_the_rest_not_tried(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net", "d@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<b@example.net>\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<c@example.net>\r\n");
	server(f, "452 4.5.3 Error: too many recipients\r\n");
	client(f, "DATA\r\n"); /* d is not even tried */
	server(f, "354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "");
	outcome(f, 1, SC_RCPT_NOT_TRIED, 452, "4.5.3");
	outcome(f, 2, SC_RCPT_NOT_TRIED, 452, "4.5.3");
	finish(f);
}

static void too_many_recipients_in_a_pipeline(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net", "d@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n452 Too many recipients\r\n550 5.1.1 unknown\r\n"
		  "354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "");
	outcome(f, 1, SC_RCPT_NOT_TRIED, 452, "");
	outcome(f, 2, SC_RCPT_NOT_TRIED, 550, "5.1.1"); /* refused past the limit: try again */
	finish(f);
}

static void a_first_recipient_452_is_a_temporary_failure(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<b@example.net>\r\n");
	server(f, "452 4.5.3 Too many recipients\r\n");
	client(f, "RCPT TO:<c@example.net>\r\n");
	server(f, "452 4.2.2 Mailbox full\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 452, "4.5.3");
	outcome(f, 1, SC_RCPT_TEMPFAIL, 452, "4.2.2");
	event(f, SC_READY);
	finish(f);
}

static void a_421_during_rcpt_ends_everything(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n421 4.7.0 mx.test Service not available, closing\r\n");
	client(f, ""); /* no QUIT after 421 */
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 421, "4.7.0");
	outcome(f, 1, SC_RCPT_TEMPFAIL, 421, "4.7.0");
	assert_int_equal(f->res[1].reply.stage, SC_STAGE_RCPT);
	event(f, SC_CLOSED);
	failed_with(f, 421, SC_STAGE_RCPT, true, "Service not available");
	server(f, "250 too late\r\n"); /* taken and ignored */
	event(f, SC_CLOSED);
	finish(f);
}

static void a_421_while_idle_closes(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	server(f, "421 4.4.2 mx.test Error: timeout exceeded\r\n");
	client(f, "");
	event(f, SC_CLOSED);
	failed_with(f, 421, SC_STAGE_EHLO, true, "timeout exceeded");
	finish(f);
}

static void a_421_after_the_data_fails_the_accepted(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n550 5.1.1 unknown\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "421 4.3.0 shutting down\r\n");
	client(f, "");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 421, "4.3.0");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_DOT);
	outcome(f, 1, SC_RCPT_PERMFAIL, 550, "5.1.1");
	event(f, SC_CLOSED);
	failed_with(f, 421, SC_STAGE_DOT, true, "shutting down");
	finish(f);
}

static void an_unexpected_reply_while_idle_closes(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	server(f, "250 2.0.0 surprise\r\n");
	event(f, SC_CLOSED);
	client(f, "");
	failed_with(f, 0, SC_STAGE_EHLO, true,
		    "unexpected reply from the server while idle: 250 "
		    "2.0.0 surprise");
	finish(f);
}

static void a_451_at_end_of_data_is_temporary_and_resets(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "451 4.3.0 Error: queue file write error\r\n");
	client(f, "RSET\r\n");
	event(f, SC_WAIT); /* SC_DONE waits for the RSET reply */
	server(f, "250 2.0.0 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 451, "4.3.0");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_DOT);
	event(f, SC_READY);
	finish(f);
}

static void a_refused_sender_fails_every_recipient(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "550 5.7.1 Sender rejected\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 550, "5.7.1");
	outcome(f, 1, SC_RCPT_PERMFAIL, 550, "5.7.1");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_MAIL);
	event(f, SC_READY);
	finish(f);
}

static void a_refused_sender_in_a_pipeline_skips_the_other_replies(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "451 4.3.0 try later\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n");
	client(f, "");
	server(f, "503 5.5.1 need RCPT\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 451, "4.3.0");
	outcome(f, 1, SC_RCPT_TEMPFAIL, 451, "4.3.0");
	event(f, SC_READY);
	finish(f);
}

static void no_accepted_recipient_sends_no_data(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n550 5.1.1 unknown\r\n554 5.5.1 Error: no valid recipients\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 550, "5.1.1");
	event(f, SC_READY);
	finish(f);
}

static void no_accepted_recipient_without_pipelining(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "250 Ok\r\n");
	client(f, "RCPT TO:<b@example.net>\r\n");
	server(f, "450 4.2.0 greylisted\r\n");
	client(f, "RSET\r\n"); /* no DATA */
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 450, "4.2.0");
	finish(f);
}

static void a_data_354_for_nobody_is_ended_at_once(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n550 5.1.1 unknown\r\n354 go ahead anyway\r\n");
	client(f, ".\r\n"); /* never the message */
	server(f, "554 5.5.1 no recipients\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 550, "5.1.1");
	finish(f);
}

static void a_refused_data_fails_the_accepted_recipients(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n550 5.1.1 unknown\r\n554 5.7.1 not today\r\n");
	client(f, "RSET\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 554, "5.7.1");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_DATA);
	outcome(f, 1, SC_RCPT_PERMFAIL, 550, "5.1.1");
	finish(f);
}

static void a_refused_rset_closes(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	server(f, "451 later\r\n");
	client(f, "RSET\r\n");
	server(f, "500 what\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 451, "");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 500, SC_STAGE_RSET, false, "what");
	finish(f);
}

static void one_connection_carries_two_messages(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 Ok: queued as 1\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "");
	event(f, SC_READY);

	SEND(f, "second\r\n", "c@example.net");
	assert_int_equal(f->res[0].outcome, SC_RCPT_PENDING);
	client(f, "MAIL FROM:<a@example.org> SIZE=8\r\nRCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n354 go\r\n");
	client(f, "second\r\n.\r\n");
	server(f, "250 Ok: queued as 2\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_DELIVERED, 250, "");
	assert_string_equal(f->res[0].reply.text, "Ok: queued as 2");
	event(f, SC_READY);
	finish(f);
}

static void send_is_refused_unless_ready(void **state)
{
	struct fx *f = start(&plain_cfg);
	struct smtp_client_message m = { .mail_from = "" };

	(void)state;
	assert_false(smtp_client_send(f->c, &m, f->res));
	server(f, GREETING);
	assert_false(smtp_client_send(f->c, &m, f->res));
	finish(f);
}

static void addresses_with_line_ends_are_never_written(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net\r\nRSET", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	server(f, "250 Ok\r\n");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_PERMFAIL, 0, "5.1.3");
	outcome(f, 1, SC_RCPT_DELIVERED, 250, "");
	finish(f);
}

/* --- the end of a session --------------------------------------------------------------- */

static void abort_during_data_fails_what_is_pending(void **state)
{
	struct fx *f = greeted(EHLO_FULL);
	bool unusable = true;

	(void)state;
	SEND(f, MSG, "b@example.net", "c@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\n"
		  "RCPT TO:<c@example.net>\r\nDATA\r\n");
	server(f, "250 Ok\r\n250 Ok\r\n550 no\r\n354 go\r\n");
	client(f, MSG ".\r\n");
	smtp_client_abort(f->c, "timed out waiting for the reply to the end of data");
	client(f, "");
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 0, "");
	assert_int_equal(f->res[0].reply.stage, SC_STAGE_DOT);
	assert_string_equal(f->res[0].reply.text,
			    "timed out waiting for the reply to the end of data");
	outcome(f, 1, SC_RCPT_PERMFAIL, 550, "");
	event(f, SC_CLOSED);
	assert_non_null(smtp_client_failure(f->c, &unusable));
	assert_false(unusable);		  /* READY had been reached */
	smtp_client_abort(f->c, "again"); /* harmless */
	event(f, SC_CLOSED);
	finish(f);
}

static void abort_before_ready_makes_the_host_unusable(void **state)
{
	struct fx *f = start(&plain_cfg);

	(void)state;
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	smtp_client_abort(f->c, "connection reset by peer");
	event(f, SC_CLOSED);
	failed_with(f, 0, SC_STAGE_EHLO, true, "connection reset by peer");
	finish(f);
}

static void a_554_greeting_means_the_host_is_unusable(void **state)
{
	struct fx *f = start(&plain_cfg);

	(void)state;
	server(f, "554 5.7.1 mx.test No SMTP service here\r\n");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 554, SC_STAGE_GREETING, true, "No SMTP service here");
	finish(f);
}

static void a_421_greeting_gets_no_quit(void **state)
{
	struct fx *f = start(&plain_cfg);

	(void)state;
	server(f, "421 4.3.2 too busy\r\n");
	event(f, SC_CLOSED);
	client(f, "");
	failed_with(f, 421, SC_STAGE_GREETING, true, "too busy");
	finish(f);
}

static void quit_after_the_server_closes_is_clean(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	smtp_client_quit(f->c);
	client(f, "QUIT\r\n");
	smtp_client_abort(f->c, "connection closed");
	event(f, SC_CLOSED);
	assert_null(smtp_client_failure(f->c, NULL));
	finish(f);
}

/* --- hostile servers -------------------------------------------------------------------- */

static void a_malformed_reply_ends_the_session(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 400 Bad Request\r\n",
		"250-mx.test\r\n251 other code\r\n",
		"2500 too many digits\r\n",
		"25\r\n",
		"250_x\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *f = start(&plain_cfg);

		server(f, GREETING);
		client(f, "EHLO client.test\r\n");
		server(f, bad[i]);
		event(f, SC_CLOSED);
		client(f, "");
		failed_with(f, 0, SC_STAGE_EHLO, true, "malformed reply from the server");
		assert_int_equal(smtp_client_failure(f->c, NULL)->enh.cls, 4);
		finish(f);
	}
}

static void a_nul_in_a_reply_ends_the_session(void **state)
{
	struct fx *f = greeted(EHLO_FULL);

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	server_bytes(f, "250 Ok\0\r\n", 9);
	event(f, SC_DONE);
	outcome(f, 0, SC_RCPT_TEMPFAIL, 0, "4.5.0");
	assert_non_null(strstr(f->res[0].reply.text, "NUL"));
	event(f, SC_CLOSED);
	failed_with(f, 0, SC_STAGE_MAIL, true, "NUL byte in reply");
	finish(f);
}

static void a_64_kib_line_is_refused_early(void **state)
{
	struct fx *f = start(&plain_cfg);
	char *line = malloc(65536);

	(void)state;
	assert_non_null(line);
	memcpy(line, "220 ", 4);
	memset(line + 4, 'x', 65536 - 4);
	for (size_t off = 0; off < 65536; off += 1000)
		server_bytes(f, line + off, off + 1000 <= 65536 ? 1000 : 65536 - off);
	event(f, SC_CLOSED);
	failed_with(f, 0, SC_STAGE_GREETING, true, "reply line longer than 2048 octets");
	free(line);
	finish(f);
}

static void endless_continuation_lines_are_bounded(void **state)
{
	struct fx *f = start(&plain_cfg);
	size_t fed = 0;

	(void)state;
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	while (smtp_client_event(f->c) == SC_WAIT) {
		server(f, "250-PIPELINING\r\n");
		fed++;
		assert_true(fed < 1000);
	}
	event(f, SC_CLOSED);
	failed_with(f, 0, SC_STAGE_EHLO, true, "reply with more than 128 lines");
	finish(f);
}

static void a_reply_split_into_single_bytes_is_read_whole(void **state)
{
	struct fx *f = start(&plain_cfg);
	const char *text = GREETING;

	(void)state;
	for (size_t i = 0; text[i] != '\0'; i++) {
		client(f, "");
		server_bytes(f, text + i, 1);
	}
	client(f, "EHLO client.test\r\n");
	text = EHLO_FULL;
	for (size_t i = 0; text[i] != '\0'; i++)
		server_bytes(f, text + i, 1);
	event(f, SC_READY);
	assert_true(smtp_client_caps(f->c)->smtputf8);
	assert_string_equal(smtp_client_banner(f->c), "mx.test ESMTP ready (EHLO mx.test)");
	finish(f);
}

static void reply_text_is_one_bounded_line(void **state)
{
	struct fx *f = greeted(EHLO_LOCKSTEP);
	char reply[3000];
	size_t n = 0;

	(void)state;
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	for (int i = 0; i < 6; i++) {
		memcpy(reply + n, "550-5.7.1 ", 10);
		n += 10;
		memset(reply + n, 'a' + i, 100);
		n += 100;
		memcpy(reply + n, "\x01\t\xc3\xa9\r\n", 6); /* control, TAB, é */
		n += 6;
	}
	memcpy(reply + n, "550 5.7.1 end\r\n", 16);
	server(f, reply);
	event(f, SC_WAIT);
	client(f, "RSET\r\n");
	{
		const char *t = f->res[0].reply.text;
		size_t len = strlen(t);

		assert_true(len <= 511);
		assert_null(strpbrk(t, "\r\n\t"));
		assert_true(strncmp(t, "aaaa", 4) == 0);
		assert_memory_equal(t + 100, "? \xc3\xa9 bbb", 8);
		/* the cut keeps whole characters */
		assert_true(((uint8_t)t[len - 1] & 0x80) == 0 || (uint8_t)t[len - 1] == 0xa9);
	}
	finish(f);
}

static void the_text_cut_never_splits_a_character(void **state)
{
	struct fx *f = start(&plain_cfg);
	char reply[600];

	(void)state;
	/* "554 " then 509 ASCII octets and "é": octets 510-511 of the text are é */
	memcpy(reply, "554 ", 4);
	memset(reply + 4, 'x', 510);
	memcpy(reply + 514, "\xc3\xa9yy\r\n", 7);
	server(f, reply);
	event(f, SC_CLOSED);
	assert_int_equal(strlen(smtp_client_failure(f->c, NULL)->text), 510);
	finish(f);
}

/* --- STARTTLS ----------------------------------------------------------------------------- */

static struct fx *tls_start(enum smtp_tls_level level, const char *ehlo)
{
	struct smtp_client_config cfg = plain_cfg;
	struct fx *f;

	cfg.tls = level;
	f = start(&cfg);
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	server(f, ehlo);
	return f;
}

static void starttls_drops_injected_bytes_and_says_ehlo_again(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_MAY, EHLO_STARTTLS);

	(void)state;
	client(f, "STARTTLS\r\n");
	event(f, SC_WAIT);
	/* A man in the middle appends replies after the 220, to be read after the handshake. */
	server(f, "220 2.0.0 Ready to start TLS\r\n250-evil.test\r\n250 AUTH PLAIN\r\n");
	event(f, SC_START_TLS);
	client(f, "");
	server(f, "250 more injected\r\n"); /* still before the handshake: dropped */
	assert_false(smtp_client_tls_active(f->c));
	smtp_client_tls_done(f->c, true, NULL);
	assert_true(smtp_client_tls_active(f->c));
	assert_false(smtp_client_caps(f->c)->pipelining); /* forgotten */
	client(f, "EHLO client.test\r\n");
	event(f, SC_WAIT);
	server(f, "250-mx.test\r\n250 8BITMIME\r\n");
	event(f, SC_READY);
	assert_true(smtp_client_caps(f->c)->eightbitmime);
	assert_false(smtp_client_caps(f->c)->auth_plain);
	assert_false(smtp_client_caps(f->c)->starttls);
	finish(f);
}

static void encrypt_without_starttls_fails(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_ENCRYPT, EHLO_FULL);

	(void)state;
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 0, SC_STAGE_STARTTLS, true,
		    "TLS required by policy but the server does not offer STARTTLS");
	finish(f);
}

static void may_without_starttls_goes_on_in_plaintext(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_MAY, EHLO_FULL);

	(void)state;
	client(f, "");
	event(f, SC_READY);
	assert_false(smtp_client_tls_active(f->c));
	finish(f);
}

static void starttls_refused_under_may_continues_in_plaintext(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_MAY, EHLO_STARTTLS);

	(void)state;
	client(f, "STARTTLS\r\n");
	server(f, "454 4.7.0 TLS not available due to local problem\r\n");
	client(f, "");
	event(f, SC_READY);
	SEND(f, MSG, "b@example.net");
	client(f, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
	finish(f);
}

static void starttls_refused_under_verify_fails(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_VERIFY, EHLO_STARTTLS);

	(void)state;
	client(f, "STARTTLS\r\n");
	server(f, "454 4.7.0 TLS not available\r\n");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 0, SC_STAGE_STARTTLS, true, "refused STARTTLS: 454 4.7.0 TLS not available");
	finish(f);
}

static void a_failed_handshake_under_may_asks_for_plaintext(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_MAY, EHLO_STARTTLS);

	(void)state;
	client(f, "STARTTLS\r\n");
	server(f, "220 go ahead\r\n");
	event(f, SC_START_TLS);
	smtp_client_tls_done(f->c, false, "no shared cipher");
	event(f, SC_CLOSED);
	client(f, "");
	assert_true(smtp_client_retry_plain(f->c));
	failed_with(f, 0, SC_STAGE_TLS, false, "TLS handshake failed: no shared cipher");
	finish(f);
}

static void a_failed_handshake_under_verify_fails(void **state)
{
	struct fx *f = tls_start(SMTP_TLS_VERIFY, EHLO_STARTTLS);

	(void)state;
	client(f, "STARTTLS\r\n");
	server(f, "220 go ahead\r\n");
	smtp_client_tls_done(f->c, false, "certificate not valid for mx.test");
	event(f, SC_CLOSED);
	assert_false(smtp_client_retry_plain(f->c));
	failed_with(f, 0, SC_STAGE_TLS, true, "certificate not valid for mx.test");
	finish(f);
}

static void tls_on_connect_never_says_starttls(void **state)
{
	struct smtp_client_config cfg = plain_cfg;
	struct fx *f;

	(void)state;
	cfg.tls = SMTP_TLS_VERIFY;
	cfg.tls_on_connect = true;
	f = start(&cfg);
	assert_true(smtp_client_tls_active(f->c));
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	server(f, EHLO_STARTTLS);
	client(f, "");
	event(f, SC_READY);
	finish(f);
}

/* --- AUTH ----------------------------------------------------------------------------------- */

static struct fx *auth_start(const char *ehlo)
{
	struct smtp_client_config cfg = plain_cfg;
	struct fx *f;

	cfg.auth_user = "user@example.org";
	cfg.auth_pass = "s3cret!";
	f = start(&cfg);
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	server(f, ehlo);
	return f;
}

static void auth_plain_sends_the_exact_initial_response(void **state)
{
	struct fx *f =
		auth_start("250-mx.test\r\n250-AUTH LOGIN PLAIN CRAM-MD5\r\n250 8BITMIME\r\n");

	(void)state;
	/* base64("\0user@example.org\0s3cret!") */
	client(f, "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAczNjcmV0IQ==\r\n");
	event(f, SC_WAIT);
	server(f, "235 2.7.0 Authentication successful\r\n");
	event(f, SC_READY);
	finish(f);
}

static void auth_login_when_plain_is_missing(void **state)
{
	struct fx *f = auth_start("250-mx.test\r\n250-auth=login\r\n250 SIZE 1000\r\n");

	(void)state;
	assert_true(smtp_client_caps(f->c)->auth_login);
	assert_false(smtp_client_caps(f->c)->auth_plain);
	client(f, "AUTH LOGIN\r\n");
	server(f, "334 VXNlcm5hbWU6\r\n");
	client(f, "dXNlckBleGFtcGxlLm9yZw==\r\n");
	server(f, "334 UGFzc3dvcmQ6\r\n");
	client(f, "czNjcmV0IQ==\r\n");
	server(f, "235 2.7.0 ok\r\n");
	event(f, SC_READY);
	finish(f);
}

static void a_refused_login_closes_the_session(void **state)
{
	struct fx *f = auth_start("250-mx.test\r\n250 AUTH PLAIN\r\n");

	(void)state;
	client(f, "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAczNjcmV0IQ==\r\n");
	server(f, "535 5.7.8 Error: authentication failed: authentication failure\r\n");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 535, SC_STAGE_AUTH, false, "authentication failed");
	assert_int_equal(smtp_client_failure(f->c, NULL)->enh.detail, 8);
	finish(f);
}

static void a_server_without_auth_cannot_log_in(void **state)
{
	struct fx *f = auth_start(EHLO_FULL);

	(void)state;
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 0, SC_STAGE_AUTH, false, "offers no AUTH mechanism");
	finish(f);
}

static void no_password_in_plaintext_when_tls_was_wanted(void **state)
{
	struct smtp_client_config cfg = plain_cfg;
	struct fx *f;

	(void)state;
	/* STARTTLS stripped from the EHLO reply (a downgrade): "may" falls back to plaintext, and
	 * the password must not follow it there. */
	cfg.tls = SMTP_TLS_MAY;
	cfg.auth_user = "user@example.org";
	cfg.auth_pass = "s3cret!";
	f = start(&cfg);
	server(f, GREETING);
	client(f, "EHLO client.test\r\n");
	server(f, "250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n");
	event(f, SC_CLOSED);
	client(f, "QUIT\r\n");
	failed_with(f, 0, SC_STAGE_AUTH, false, "not encrypted");
	assert_int_equal(smtp_client_failure(f->c, NULL)->enh.cls, 4);
	finish(f);
}

/* --- EHLO keywords, names ----------------------------------------------------------------- */

static void ehlo_keywords_are_read_case_insensitively(void **state)
{
	struct fx *f = greeted("250-mx.test greets you\r\n250-pipelining\r\n250-Size 52428800\r\n"
			       "250-8bitmime\r\n250-smtputf8\r\n250-CHUNKING\r\n250-DSN\r\n"
			       "250-enhancedstatuscodes\r\n250-AUTH=PLAIN\r\n250 Starttls\r\n");
	const struct smtp_client_caps *k = smtp_client_caps(f->c);

	(void)state;
	assert_true(k->esmtp && k->pipelining && k->eightbitmime && k->smtputf8);
	assert_true(k->chunking && k->dsn && k->enhancedstatuscodes && k->starttls);
	assert_true(k->auth_plain);
	assert_false(k->auth_login);
	assert_true(k->has_size);
	assert_int_equal(k->size, 52428800);
	finish(f);
}

static void names_of_stages_and_levels(void **state)
{
	enum smtp_tls_level l;

	(void)state;
	assert_string_equal(smtp_stage_name(SC_STAGE_RCPT), "RCPT TO");
	assert_string_equal(smtp_stage_name(SC_STAGE_DOT), "end of data");
	assert_string_equal(smtp_stage_name(SC_STAGE_TLS), "TLS handshake");
	assert_string_equal(smtp_stage_name(SC__STAGE_COUNT), "unknown");
	for (int i = 0; i < SC__STAGE_COUNT; i++)
		assert_non_null(smtp_stage_name((enum smtp_stage)i));
	assert_string_equal(smtp_tls_level_name(SMTP_TLS_MAY), "may");
	assert_true(smtp_tls_level_from_name("verify", &l));
	assert_int_equal(l, SMTP_TLS_VERIFY);
	assert_true(smtp_tls_level_from_name("Encrypt", &l));
	assert_int_equal(l, SMTP_TLS_ENCRYPT);
	assert_false(smtp_tls_level_from_name("dane", &l));
}

static void a_bad_helo_name_is_refused(void **state)
{
	struct smtp_client_config cfg = plain_cfg;

	(void)state;
	cfg.helo_name = "client.test\r\nRSET";
	assert_null(smtp_client_new(&cfg));
	cfg.helo_name = "";
	assert_null(smtp_client_new(&cfg));
}

/* --- dot-stuffing --------------------------------------------------------------------------- */

static void stuffed(const char *in, size_t len, const char *expect, size_t expect_len)
{
	struct buf b = BUF_INIT;
	bool same;

	assert_true(smtp_dot_stuff((const uint8_t *)in, len, &b));
	same = b.len == expect_len && memcmp(b.data, expect, b.len) == 0;
	buf_free(&b);
	if (!same)
		fail_msg("stuffing \"%.*s\" did not give \"%s\"", (int)len, in, expect);
}

#define STUFFED(in, expect) stuffed(in, sizeof(in) - 1, expect, sizeof(expect) - 1)

static void dot_stuffing_is_exact(void **state)
{
	(void)state;
	STUFFED("", ".\r\n");
	STUFFED(".", "..\r\n.\r\n");
	STUFFED("..", "...\r\n.\r\n");
	STUFFED(".\r\n", "..\r\n.\r\n");
	STUFFED("a\r\n.b\r\n", "a\r\n..b\r\n.\r\n");
	STUFFED("a.\r\n. \r\n", "a.\r\n.. \r\n.\r\n");
	STUFFED("a\nb\n", "a\r\nb\r\n.\r\n");	    /* bare LF */
	STUFFED("a\rb\r", "a\r\nb\r\n.\r\n");	    /* bare CR */
	STUFFED("a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"); /* CR before CRLF */
	STUFFED("no final line end", "no final line end\r\n.\r\n");
	STUFFED("\n.\n", "\r\n..\r\n.\r\n"); /* smuggling: never an end */
	STUFFED("x\r\n.\r.\r\n", "x\r\n..\r\n..\r\n.\r\n");
	STUFFED("a\0b\r\n", "a\0b\r\n.\r\n");
}

static void dot_stuffing_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_true(buf_append_str(&b, "DATA\r\n"));
	assert_true(smtp_dot_stuff((const uint8_t *)".x", 2, &b));
	assert_string_equal(buf_cstr(&b), "DATA\r\n..x\r\n.\r\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_pipelined_transaction_delivers_to_two_recipients),
		cmocka_unit_test(without_pipelining_commands_go_one_at_a_time),
		cmocka_unit_test(helo_is_used_when_ehlo_is_refused),
		cmocka_unit_test(helo_refused_too_ends_the_session),
		cmocka_unit_test(a_message_over_the_size_limit_is_not_sent),
		cmocka_unit_test(smtputf8_is_required_when_the_message_needs_it),
		cmocka_unit_test(mail_parameters_follow_what_the_server_offers),
		cmocka_unit_test(one_recipient_refused_one_accepted),
		cmocka_unit_test(too_many_recipients_leaves_the_rest_not_tried),
		cmocka_unit_test(too_many_recipients_in_a_pipeline),
		cmocka_unit_test(a_first_recipient_452_is_a_temporary_failure),
		cmocka_unit_test(a_421_during_rcpt_ends_everything),
		cmocka_unit_test(a_421_while_idle_closes),
		cmocka_unit_test(a_421_after_the_data_fails_the_accepted),
		cmocka_unit_test(an_unexpected_reply_while_idle_closes),
		cmocka_unit_test(a_451_at_end_of_data_is_temporary_and_resets),
		cmocka_unit_test(a_refused_sender_fails_every_recipient),
		cmocka_unit_test(a_refused_sender_in_a_pipeline_skips_the_other_replies),
		cmocka_unit_test(no_accepted_recipient_sends_no_data),
		cmocka_unit_test(no_accepted_recipient_without_pipelining),
		cmocka_unit_test(a_data_354_for_nobody_is_ended_at_once),
		cmocka_unit_test(a_refused_data_fails_the_accepted_recipients),
		cmocka_unit_test(a_refused_rset_closes),
		cmocka_unit_test(one_connection_carries_two_messages),
		cmocka_unit_test(send_is_refused_unless_ready),
		cmocka_unit_test(addresses_with_line_ends_are_never_written),
		cmocka_unit_test(abort_during_data_fails_what_is_pending),
		cmocka_unit_test(abort_before_ready_makes_the_host_unusable),
		cmocka_unit_test(a_554_greeting_means_the_host_is_unusable),
		cmocka_unit_test(a_421_greeting_gets_no_quit),
		cmocka_unit_test(quit_after_the_server_closes_is_clean),
		cmocka_unit_test(a_malformed_reply_ends_the_session),
		cmocka_unit_test(a_nul_in_a_reply_ends_the_session),
		cmocka_unit_test(a_64_kib_line_is_refused_early),
		cmocka_unit_test(endless_continuation_lines_are_bounded),
		cmocka_unit_test(a_reply_split_into_single_bytes_is_read_whole),
		cmocka_unit_test(reply_text_is_one_bounded_line),
		cmocka_unit_test(the_text_cut_never_splits_a_character),
		cmocka_unit_test(starttls_drops_injected_bytes_and_says_ehlo_again),
		cmocka_unit_test(encrypt_without_starttls_fails),
		cmocka_unit_test(may_without_starttls_goes_on_in_plaintext),
		cmocka_unit_test(starttls_refused_under_may_continues_in_plaintext),
		cmocka_unit_test(starttls_refused_under_verify_fails),
		cmocka_unit_test(a_failed_handshake_under_may_asks_for_plaintext),
		cmocka_unit_test(a_failed_handshake_under_verify_fails),
		cmocka_unit_test(tls_on_connect_never_says_starttls),
		cmocka_unit_test(auth_plain_sends_the_exact_initial_response),
		cmocka_unit_test(auth_login_when_plain_is_missing),
		cmocka_unit_test(a_refused_login_closes_the_session),
		cmocka_unit_test(a_server_without_auth_cannot_log_in),
		cmocka_unit_test(no_password_in_plaintext_when_tls_was_wanted),
		cmocka_unit_test(ehlo_keywords_are_read_case_insensitively),
		cmocka_unit_test(names_of_stages_and_levels),
		cmocka_unit_test(a_bad_helo_name_is_refused),
		cmocka_unit_test(dot_stuffing_is_exact),
		cmocka_unit_test(dot_stuffing_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
