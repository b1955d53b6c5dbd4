/*
 * test_smtp_client_calls.c - libtern's dialogue one call at a time, driven as a caller and a
 * server would drive it: call() begins a call, client() checks exactly what it wrote, server()
 * feeds the reply. Every order the library refuses has its own test, and checks that nothing
 * was written and that the message names the call, the state and the order that works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smtp_client_calls.h"

#define EHLO_FULL                                                                                  \
	"250-mx.test Hello\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n"                \
	"250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 ENHANCEDSTATUSCODES\r\n"
#define EHLO_BARE "250-mx.test\r\n250 8BITMIME\r\n"

struct fx {
	struct smtp_calls *c;
	struct buf out;
	enum smtp_calls_refusal kind;
	char why[768];
};

static struct fx *start(bool starttls_required)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct smtp_calls_config cfg = { .starttls_required = starttls_required };

	assert_non_null(f);
	f->c = smtp_calls_new(&cfg);
	assert_non_null(f->c);
	buf_init(&f->out, 0);
	return f;
}

static void finish(struct fx *f)
{
	smtp_calls_free(f->c);
	buf_free(&f->out);
	free(f);
}

static void server(struct fx *f, const char *text)
{
	smtp_calls_feed(f->c, (const uint8_t *)text, strlen(text));
}

static void client(struct fx *f, const char *text)
{
	buf_reset(&f->out);
	smtp_calls_output(f->c, &f->out);
	assert_string_equal(buf_cstr(&f->out), text);
}

static bool call(struct fx *f, enum smtp_call k, const struct smtp_calls_args *a)
{
	return smtp_calls_begin(f->c, k, "tern_x", a, &f->kind, f->why, sizeof(f->why));
}

static void call_ok(struct fx *f, enum smtp_call k, const struct smtp_calls_args *a)
{
	assert_true(call(f, k, a));
	assert_int_equal(f->kind, REFUSE_NONE);
}

static void done(struct fx *f, bool ok)
{
	assert_int_equal(smtp_calls_status(f->c), CALLS_DONE);
	assert_int_equal(smtp_calls_ok(f->c), ok);
}

/* The call is refused: nothing written, and the message says what it must. */
static void refused(struct fx *f, enum smtp_call k, const struct smtp_calls_args *a,
		    enum smtp_calls_refusal kind, const char *need, const char *state)
{
	assert_false(call(f, k, a));
	assert_int_equal(f->kind, kind);
	assert_false(smtp_calls_has_output(f->c));
	assert_non_null(strstr(f->why, "tern_x refused, nothing was sent"));
	if (strstr(f->why, need) == NULL || strstr(f->why, state) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", f->why, need, state);
	if (kind == REFUSE_SEQUENCE && strstr(f->why, SMTP_CALLS_ORDER) == NULL)
		fail_msg("message \"%s\" lacks the order that works", f->why);
}

static struct fx *greeted(bool required)
{
	struct fx *f = start(required);

	server(f, "220 mx.test ESMTP\r\n");
	done(f, true);
	return f;
}

static struct fx *after_ehlo(const char *ehlo)
{
	struct fx *f = greeted(false);
	struct smtp_calls_args a = { .name = "client.test" };

	call_ok(f, CALL_EHLO, &a);
	client(f, "EHLO client.test\r\n");
	server(f, ehlo);
	done(f, true);
	return f;
}

static struct fx *after_mail(void)
{
	struct fx *f = after_ehlo(EHLO_FULL);
	struct smtp_calls_args a = { .address = "a@example.org" };

	call_ok(f, CALL_MAIL, &a);
	client(f, "MAIL FROM:<a@example.org>\r\n");
	server(f, "250 2.1.0 Ok\r\n");
	done(f, true);
	return f;
}

/* --- the orders the library refuses ---------------------------------------------------- */

static void rcpt_before_mail_is_refused(void **state)
{
	struct fx *f = after_ehlo(EHLO_FULL);
	struct smtp_calls_args a = { .address = "b@example.org" };

	(void)state;
	refused(f, CALL_RCPT, &a, REFUSE_SEQUENCE, "RCPT needs an accepted MAIL first",
		"after EHLO");
	finish(f);
}

static void data_before_an_accepted_rcpt_is_refused(void **state)
{
	struct fx *f = after_mail();
	struct smtp_calls_args a = { .address = "nobody@example.org" };

	(void)state;
	call_ok(f, CALL_RCPT, &a);
	client(f, "RCPT TO:<nobody@example.org>\r\n");
	server(f, "550 5.1.1 User unknown\r\n");
	done(f, false);
	assert_int_equal(smtp_calls_reply(f->c)->code, 550);
	refused(f, CALL_DATA, NULL, REFUSE_SEQUENCE, "DATA needs an accepted RCPT first",
		"MAIL accepted, no recipient accepted yet");
	finish(f);
}

static void mail_before_ehlo_is_refused(void **state)
{
	struct fx *f = greeted(false);
	struct smtp_calls_args a = { .address = "a@example.org" };

	(void)state;
	refused(f, CALL_MAIL, &a, REFUSE_SEQUENCE, "MAIL needs EHLO first",
		"connected, before EHLO");
	finish(f);
}

static void login_before_ehlo_is_refused(void **state)
{
	struct fx *f = greeted(false);
	struct smtp_calls_args a = { .user = "u", .pass = "p" };

	(void)state;
	refused(f, CALL_LOGIN, &a, REFUSE_SEQUENCE, "login needs EHLO first",
		"connected, before EHLO");
	finish(f);
}

static void login_without_an_auth_offer_is_refused(void **state)
{
	struct fx *f = after_ehlo(EHLO_BARE);
	struct smtp_calls_args a = { .user = "u", .pass = "p" };

	(void)state;
	assert_string_equal(smtp_calls_auth_offered(f->c), "");
	refused(f, CALL_LOGIN, &a, REFUSE_SEQUENCE, "offered none", "after EHLO");
	finish(f);
}

static void anything_after_quit_is_refused(void **state)
{
	struct fx *f = after_ehlo(EHLO_FULL);
	struct smtp_calls_args a = { .address = "a@example.org" };

	(void)state;
	call_ok(f, CALL_QUIT, NULL);
	client(f, "QUIT\r\n");
	server(f, "221 2.0.0 Bye\r\n");
	done(f, true);
	refused(f, CALL_MAIL, &a, REFUSE_SEQUENCE, "the session ended with QUIT", "after QUIT");
	refused(f, CALL_NOOP, NULL, REFUSE_SEQUENCE, "the session ended with QUIT", "after QUIT");
	refused(f, CALL_QUIT, NULL, REFUSE_SEQUENCE, "the session ended with QUIT", "after QUIT");
	finish(f);
}

static void mail_inside_a_transaction_is_refused(void **state)
{
	struct fx *f = after_mail();
	struct smtp_calls_args a = { .address = "a@example.org" };

	(void)state;
	refused(f, CALL_MAIL, &a, REFUSE_SEQUENCE, "one is open already", "MAIL accepted");
	refused(f, CALL_EHLO, &(struct smtp_calls_args){ .name = "c.test" }, REFUSE_SEQUENCE,
		"outside a transaction", "MAIL accepted");
	finish(f);
}

static void commands_while_writing_the_message_are_refused(void **state)
{
	struct fx *f = after_mail();
	struct smtp_calls_args r = { .address = "b@example.org" };

	(void)state;
	call_ok(f, CALL_RCPT, &r);
	client(f, "RCPT TO:<b@example.org>\r\n");
	server(f, "250 2.1.5 Ok\r\n");
	call_ok(f, CALL_DATA, NULL);
	client(f, "DATA\r\n");
	server(f, "354 go ahead\r\n");
	done(f, true);
	refused(f, CALL_QUIT, NULL, REFUSE_SEQUENCE, "close_data first", "writing the message");
	refused(f, CALL_RSET, NULL, REFUSE_SEQUENCE, "close_data first", "writing the message");
	finish(f);
}

static void write_data_before_data_is_refused(void **state)
{
	struct fx *f = after_mail();
	struct smtp_calls_args a = { .data = (const uint8_t *)"x", .len = 1 };

	(void)state;
	refused(f, CALL_WRITE_DATA, &a, REFUSE_SEQUENCE, "needs DATA answered 354 first",
		"MAIL accepted");
	refused(f, CALL_END_DATA, NULL, REFUSE_SEQUENCE, "needs DATA answered 354 first",
		"MAIL accepted");
	finish(f);
}

static void mail_and_login_wait_for_starttls_when_required(void **state)
{
	struct fx *f = greeted(true);
	struct smtp_calls_args e = { .name = "client.test" };
	struct smtp_calls_args m = { .address = "a@example.org" };
	struct smtp_calls_args l = { .user = "u", .pass = "p" };

	(void)state;
	call_ok(f, CALL_EHLO, &e);
	client(f, "EHLO client.test\r\n");
	server(f, EHLO_FULL);
	refused(f, CALL_MAIL, &m, REFUSE_SEQUENCE, "MAIL needs STARTTLS and a new EHLO first",
		"after EHLO");
	refused(f, CALL_LOGIN, &l, REFUSE_SEQUENCE, "login needs STARTTLS and a new EHLO first",
		"after EHLO");

	/* STARTTLS: what the server sends after its 220 is never read (response injection) */
	call_ok(f, CALL_STARTTLS, NULL);
	client(f, "STARTTLS\r\n");
	server(f, "220 2.0.0 Ready\r\n250 injected\r\n");
	assert_int_equal(smtp_calls_status(f->c), CALLS_START_TLS);
	smtp_calls_tls_done(f->c, true);
	done(f, true);
	assert_true(smtp_calls_tls_active(f->c));
	assert_false(smtp_calls_offers(f->c, "AUTH")); /* what came in the clear is forgotten */
	refused(f, CALL_MAIL, &m, REFUSE_SEQUENCE, "send EHLO again first",
		"after STARTTLS, before the new EHLO");
	refused(f, CALL_STARTTLS, NULL, REFUSE_SEQUENCE, "send EHLO again first", "after STARTTLS");

	call_ok(f, CALL_EHLO, &e);
	client(f, "EHLO client.test\r\n");
	server(f, "250-mx.test\r\n250 AUTH PLAIN\r\n");
	refused(f, CALL_STARTTLS, NULL, REFUSE_SEQUENCE, "TLS is active already", "encrypted");
	call_ok(f, CALL_MAIL, &m);
	finish(f);
}

static void starttls_not_offered_is_its_own_refusal(void **state)
{
	struct fx *f = after_ehlo(EHLO_BARE);

	(void)state;
	assert_false(call(f, CALL_STARTTLS, NULL));
	assert_int_equal(f->kind, REFUSE_NO_STARTTLS);
	assert_non_null(strstr(f->why, "did not offer STARTTLS"));
	assert_false(smtp_calls_has_output(f->c));
	finish(f);
}

static void bad_arguments_are_refused_before_sending(void **state)
{
	struct fx *f = after_mail();
	static const char *const bad[] = { "a b@example.org", "a@example.org\r\nDATA", "<a@x>", "",
					   "a\tb@x" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct smtp_calls_args a = { .address = bad[i] };

		assert_false(call(f, CALL_RCPT, &a));
		assert_int_equal(f->kind, REFUSE_INVALID);
		assert_false(smtp_calls_has_output(f->c));
	}
	finish(f);
	f = greeted(false);
	assert_false(call(f, CALL_EHLO, &(struct smtp_calls_args){ .name = "a b" }));
	assert_int_equal(f->kind, REFUSE_INVALID);
	finish(f);
}

static void unsupported_parameters_are_refused(void **state)
{
	struct fx *f = after_ehlo(EHLO_FULL); /* 8BITMIME, no SMTPUTF8 */
	struct smtp_calls_args a = { .address = "a@example.org", .smtputf8 = true };

	(void)state;
	assert_false(call(f, CALL_MAIL, &a));
	assert_int_equal(f->kind, REFUSE_UNSUPPORTED);
	assert_non_null(strstr(f->why, "SMTPUTF8"));
	a.smtputf8 = false;
	a.body_8bit = true;
	a.size = 1234;
	call_ok(f, CALL_MAIL, &a);
	client(f, "MAIL FROM:<a@example.org> SIZE=1234 BODY=8BITMIME\r\n");
	finish(f);
}

/* --- replies --------------------------------------------------------------------------- */

static void a_whole_dialogue(void **state)
{
	struct fx *f = after_ehlo(EHLO_FULL);
	struct smtp_calls_args l = { .user = "user", .pass = "pass" };
	struct smtp_calls_args d = { .data = (const uint8_t *)".hi\nthere\r", .len = 10 };
	struct smtp_calls_args d2 = { .data = (const uint8_t *)"\n.\r\nend", .len = 7 };

	(void)state;
	assert_true(smtp_calls_offers(f->c, "size"));
	assert_true(smtp_calls_offers(f->c, "STARTTLS"));
	assert_false(smtp_calls_offers(f->c, "START"));
	assert_int_equal(smtp_calls_caps(f->c)->size, 10000);
	assert_string_equal(smtp_calls_auth_offered(f->c), "PLAIN LOGIN");
	assert_string_equal(smtp_calls_state_words(f->c), "after EHLO");

	call_ok(f, CALL_LOGIN, &l);
	client(f, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
	server(f, "235 2.7.0 Authentication successful\r\n");
	done(f, true);
	assert_true(smtp_calls_authenticated(f->c));
	assert_string_equal(smtp_calls_state_words(f->c), "after EHLO, logged in");
	refused(f, CALL_LOGIN, &l, REFUSE_SEQUENCE, "logged in already", "logged in");

	call_ok(f, CALL_MAIL, &(struct smtp_calls_args){ .address = "" });
	client(f, "MAIL FROM:<>\r\n");
	server(f, "250 2.1.0 Ok\r\n");
	call_ok(f, CALL_RCPT, &(struct smtp_calls_args){ .address = "b@example.org" });
	server(f, "250 2.1.5 Ok\r\n");
	call_ok(f, CALL_RCPT, &(struct smtp_calls_args){ .address = "c@example.org" });
	server(f, "250 2.1.5 Ok\r\n");
	assert_string_equal(smtp_calls_state_words(f->c),
			    "MAIL accepted and 2 recipients accepted");
	client(f, "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n");
	call_ok(f, CALL_DATA, NULL);
	client(f, "DATA\r\n");
	server(f, "354 End data with <CR><LF>.<CR><LF>\r\n");
	call_ok(f, CALL_WRITE_DATA, &d);
	done(f, true);
	call_ok(f, CALL_WRITE_DATA, &d2);
	call_ok(f, CALL_END_DATA, NULL);
	client(f, "..hi\r\nthere\r\n..\r\nend\r\n.\r\n");
	server(f, "250-2.0.0 Ok\r\n250 2.0.0 queued as ABC\r\n");
	done(f, true);
	assert_int_equal(smtp_calls_state(f->c), CS_HELLO);
	assert_string_equal(smtp_calls_reply(f->c)->text, "Ok\nqueued as ABC");
	finish(f);
}

static void auth_login_answers_each_question(void **state)
{
	struct fx *f = after_ehlo("250-mx.test\r\n250 AUTH=LOGIN\r\n");
	struct smtp_calls_args l = { .user = "user", .pass = "pass", .mech = SMTP_AUTH_AUTO };

	(void)state;
	assert_string_equal(smtp_calls_auth_offered(f->c), "LOGIN");
	assert_false(call(
		f, CALL_LOGIN,
		&(struct smtp_calls_args){ .user = "u", .pass = "p", .mech = SMTP_AUTH_PLAIN }));
	assert_int_equal(f->kind, REFUSE_UNSUPPORTED);
	call_ok(f, CALL_LOGIN, &l);
	client(f, "AUTH LOGIN\r\n");
	server(f, "334 VXNlcm5hbWU6\r\n");
	client(f, "dXNlcg==\r\n");
	server(f, "334 UGFzc3dvcmQ6\r\n");
	client(f, "cGFzcw==\r\n");
	server(f, "535 5.7.8 Authentication credentials invalid\r\n");
	done(f, false);
	assert_false(smtp_calls_authenticated(f->c));
	assert_int_equal(smtp_calls_state(f->c), CS_HELLO); /* it may be tried again */
	finish(f);
}

static void a_421_closes_the_session(void **state)
{
	struct fx *f = after_mail();
	struct smtp_calls_args a = { .address = "b@example.org" };

	(void)state;
	call_ok(f, CALL_RCPT, &a);
	client(f, "RCPT TO:<b@example.org>\r\n");
	server(f, "421 4.3.2 Shutting down\r\n");
	done(f, false);
	assert_int_equal(smtp_calls_state(f->c), CS_CLOSED);
	refused(f, CALL_RCPT, &a, REFUSE_CLOSED, "closed earlier", "closed");
	finish(f);
}

static void replies_that_do_not_fit_break_the_dialogue(void **state)
{
	static const char *const bad[] = {
		"250 ok\r\n250 again\r\n", /* two replies to one command */
		"354 go on\r\n",	   /* 354 to RCPT */
		"hello\r\n",		   /* not SMTP */
		"250-a\r\n251 b\r\n",	   /* code changes mid-reply */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *f = after_mail();

		call_ok(f, CALL_RCPT, &(struct smtp_calls_args){ .address = "b@example.org" });
		server(f, bad[i]);
		assert_int_equal(smtp_calls_status(f->c), CALLS_BROKEN);
		assert_int_equal(smtp_calls_state(f->c), CS_CLOSED);
		assert_true(smtp_calls_broken_why(f->c)[0] != '\0');
		finish(f);
	}
}

static void a_250_to_data_breaks_the_dialogue(void **state)
{
	struct fx *f = after_mail();

	(void)state;
	call_ok(f, CALL_RCPT, &(struct smtp_calls_args){ .address = "b@example.org" });
	server(f, "250 ok\r\n");
	call_ok(f, CALL_DATA, NULL);
	server(f, "250 ok\r\n");
	assert_int_equal(smtp_calls_status(f->c), CALLS_BROKEN);
	finish(f);
}

static void a_refused_greeting_ends_it(void **state)
{
	struct fx *f = start(false);

	(void)state;
	server(f, "554 5.7.1 go away\r\n");
	done(f, false);
	assert_int_equal(smtp_calls_state(f->c), CS_CLOSED);
	finish(f);
}

static void losing_the_connection_in_quit_is_the_end_asked_for(void **state)
{
	struct fx *f = after_ehlo(EHLO_FULL);

	(void)state;
	call_ok(f, CALL_QUIT, NULL);
	smtp_calls_lost(f->c);
	done(f, true);
	assert_int_equal(smtp_calls_state(f->c), CS_QUIT);
	finish(f);
	f = after_ehlo(EHLO_FULL);
	call_ok(f, CALL_NOOP, NULL);
	smtp_calls_lost(f->c);
	done(f, false);
	assert_int_equal(smtp_calls_state(f->c), CS_CLOSED);
	finish(f);
}

static void a_reply_in_single_bytes(void **state)
{
	struct fx *f = start(false);
	const char *g = "220-mx.test\r\n220 ESMTP\r\n";

	(void)state;
	for (size_t i = 0; g[i] != '\0'; i++) {
		assert_int_equal(smtp_calls_status(f->c), CALLS_WAIT);
		smtp_calls_feed(f->c, (const uint8_t *)g + i, 1);
	}
	done(f, true);
	assert_string_equal(smtp_calls_greeting(f->c), "mx.test ESMTP");
	finish(f);
}

/* --- the streaming stuffer is the whole-message stuffer -------------------------------- */

static void stuffing_in_pieces_equals_stuffing_whole(void **state)
{
	static const char *const msgs[] = {
		"",	     ".",	  "a",	      "a\r\n",	      ".a\r\n.b\n.\r.c",
		"x\r\r\n.y", "\r\n\r\n.", "..\n\n..", "a\rb\nc\r\nd", "\n.\n",
		"line\r",
	};

	(void)state;
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		const uint8_t *msg = (const uint8_t *)msgs[m];
		size_t len = strlen(msgs[m]);
		struct buf whole = BUF_INIT;

		assert_true(smtp_dot_stuff(msg, len, &whole));
		/* every split into three pieces */
		for (size_t i = 0; i <= len; i++) {
			for (size_t j = i; j <= len; j++) {
				struct smtp_stuffer st = { false, false };
				uint8_t out[128];
				size_t o = 0;

				o += smtp_stuff_piece(&st, msg, i, out + o);
				o += smtp_stuff_piece(&st, msg + i, j - i, out + o);
				o += smtp_stuff_piece(&st, msg + j, len - j, out + o);
				o += smtp_stuff_end(&st, out + o);
				assert_int_equal(o, whole.len);
				assert_memory_equal(out, whole.data, o);
			}
		}
		buf_free(&whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rcpt_before_mail_is_refused),
		cmocka_unit_test(data_before_an_accepted_rcpt_is_refused),
		cmocka_unit_test(mail_before_ehlo_is_refused),
		cmocka_unit_test(login_before_ehlo_is_refused),
		cmocka_unit_test(login_without_an_auth_offer_is_refused),
		cmocka_unit_test(anything_after_quit_is_refused),
		cmocka_unit_test(mail_inside_a_transaction_is_refused),
		cmocka_unit_test(commands_while_writing_the_message_are_refused),
		cmocka_unit_test(write_data_before_data_is_refused),
		cmocka_unit_test(mail_and_login_wait_for_starttls_when_required),
		cmocka_unit_test(starttls_not_offered_is_its_own_refusal),
		cmocka_unit_test(bad_arguments_are_refused_before_sending),
		cmocka_unit_test(unsupported_parameters_are_refused),
		cmocka_unit_test(a_whole_dialogue),
		cmocka_unit_test(auth_login_answers_each_question),
		cmocka_unit_test(a_421_closes_the_session),
		cmocka_unit_test(replies_that_do_not_fit_break_the_dialogue),
		cmocka_unit_test(a_250_to_data_breaks_the_dialogue),
		cmocka_unit_test(a_refused_greeting_ends_it),
		cmocka_unit_test(losing_the_connection_in_quit_is_the_end_asked_for),
		cmocka_unit_test(a_reply_in_single_bytes),
		cmocka_unit_test(stuffing_in_pieces_equals_stuffing_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
