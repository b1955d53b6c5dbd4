/*
 * test_explain.c - from codes, replies and bounce texts to verdicts, categories and advice,
 * as `tern explain` and the delivery engine rely on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/explain.h"

static struct explanation *ex;

static int setup(void **state)
{
	(void)state;
	ex = malloc(sizeof(*ex));
	return ex == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ex);
	return 0;
}

static struct explanation *explain(const char *s)
{
	explain_text(s, strlen(s), ex);
	return ex;
}

static void basic_code_alone(void **state)
{
	(void)state;
	explain("550");
	assert_true(ex->recognized);
	assert_int_equal(ex->basic, 550);
	assert_int_equal(ex->verdict, VERDICT_PERMANENT);
	assert_int_equal(ex->retry, RETRY_NO);
	assert_non_null(ex->basic_info);
	assert_non_null(ex->meaning);
	assert_non_null(ex->action);

	explain("421");
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	assert_int_equal(ex->retry, RETRY_LATER);

	explain("250");
	assert_int_equal(ex->verdict, VERDICT_SUCCESS);
	assert_int_equal(ex->category, CAT_SUCCESS);
	assert_int_equal(ex->retry, RETRY_NOT_NEEDED);
}

static void enhanced_code_alone(void **state)
{
	(void)state;
	explain("5.1.1");
	assert_true(ex->recognized);
	assert_int_equal(ex->verdict, VERDICT_PERMANENT);
	assert_int_equal(ex->category, CAT_USER_UNKNOWN);
	assert_non_null(ex->detail_info);
	assert_string_equal(ex->detail_info->code, "X.1.1");
	assert_string_equal(ex->subject_info->code, "X.1.0");

	explain("4.2.2");
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	assert_int_equal(ex->category, CAT_MAILBOX_FULL);
}

static void unregistered_detail_falls_back_to_its_subject(void **state)
{
	(void)state;
	explain("4.7.500");
	assert_true(ex->recognized);
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	assert_null(ex->detail_info);
	assert_non_null(ex->subject_info);
	assert_string_equal(ex->subject_info->code, "X.7.0");
	assert_non_null(ex->meaning);
}

static void subject_without_class(void **state)
{
	(void)state;
	explain("X.1.1");
	assert_true(ex->recognized);
	assert_true(ex->subject_only);
	assert_int_equal(ex->verdict, VERDICT_UNKNOWN);
	assert_string_equal(ex->detail_info->code, "X.1.1");
}

static void user_unknown_reply(void **state)
{
	(void)state;
	explain("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual "
		"alias table");
	assert_int_equal(ex->basic, 550);
	assert_int_equal(ex->enh.detail, 1);
	assert_int_equal(ex->category, CAT_USER_UNKNOWN);
	assert_int_equal(ex->verdict, VERDICT_PERMANENT);
	assert_int_equal(ex->retry, RETRY_NO);
	assert_string_equal(
		ex->text, "<bob@example.com>: Recipient address rejected: User unknown in virtual "
			  "alias table");
}

/* 550 and 5.7.1 are vague: the words decide. */
static void vague_codes_take_their_category_from_the_words(void **state)
{
	(void)state;
	explain("554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using "
		"zen.spamhaus.org");
	assert_int_equal(ex->category, CAT_BLOCKED);
	assert_non_null(ex->pattern);
	explain("554 5.7.1 <x@example.net>: Relay access denied");
	assert_int_equal(ex->category, CAT_RELAY_DENIED);
	explain("550 5.7.1 Helo command rejected: You aren't localhost");
	assert_true(ex->category == CAT_POLICY || ex->category == CAT_PROTOCOL ||
		    ex->category == CAT_SYNTAX);
	explain("553 5.7.1 Sender address rejected: not owned by user user@domain.com");
	assert_int_equal(ex->category, CAT_SENDER_REJECTED);
	explain("452 4.5.3 Error: too many recipients");
	assert_int_equal(ex->category, CAT_TOO_MANY_RECIPIENTS);
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	explain("550 5.4.6 Recipient address rejected: Hourly sending quota exceeded");
	assert_int_equal(ex->category, CAT_RATE_LIMITED);
}

static void greylisting_asks_to_come_back(void **state)
{
	(void)state;
	explain("451 4.7.1 Greylisting in action, please come back in 00:02:00");
	assert_int_equal(ex->category, CAT_GREYLISTED);
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	assert_int_equal(ex->retry, RETRY_LATER);
	assert_int_equal(ex->retry_after, 120);
}

static void delay_notice_quoting_a_permanent_reply_is_transient(void **state)
{
	(void)state;
	explain("** Delivery incomplete **\n\n"
		"There was a temporary problem delivering your message to x@gmail.example. Gmail "
		"will retry for 47 more hours. You'll be notified if the delivery fails "
		"permanently.\n\nThe response from the remote server was:\n"
		"550 5.7.1 The message is likely suspicious due to the very low reputation of the "
		"sending domain.\n");
	assert_int_equal(ex->reply_verdict, VERDICT_PERMANENT);
	assert_int_equal(ex->verdict, VERDICT_TRANSIENT);
	assert_non_null(ex->notice);
}

static void first_failure_is_the_reason(void **state)
{
	(void)state;
	explain(">>> MAIL FROM:<a@example.org>\n<<< 250 2.1.0 OK\n>>> RCPT TO:<b@example.net>\n"
		"<<< 550 5.1.1 No such user\n>>> DATA\n<<< 503 5.5.1 RCPT first\n");
	assert_int_equal(ex->nfindings, 3);
	assert_int_equal(ex->basic, 550);
	assert_int_equal(ex->primary, 1);
	assert_string_equal(ex->ctx.command, "RCPT TO");
}

static void enhanced_code_borrowed_from_the_dsn(void **state)
{
	(void)state;
	explain("Remote host said: 550 Mailbox unavailable\n\nStatus: 5.2.1\nAction: failed\n");
	assert_int_equal(ex->basic, 550);
	assert_true(ex->enh_borrowed);
	assert_int_equal(ex->enh.subject, 2);
	assert_int_equal(ex->enh.detail, 1);
}

static void class_mismatch_is_noted_and_the_basic_code_rules(void **state)
{
	(void)state;
	explain("550 4.7.1 Try again later");
	assert_true(ex->class_mismatch);
	assert_int_equal(ex->verdict, VERDICT_PERMANENT);
}

static void failures_without_a_code_are_read_from_their_words(void **state)
{
	(void)state;
	explain("<u@example.org>: connect to mx.example.org[198.51.100.194]:25: Connection "
		"refused");
	assert_true(ex->recognized);
	assert_int_equal(ex->basic, 0);
	assert_int_equal(ex->verdict, VERDICT_UNKNOWN);
	assert_int_equal(ex->category, CAT_NETWORK);
	assert_string_equal(ex->ctx.host, "mx.example.org");
	explain("<o@example.mx>: conversation with mx2.example.com[192.0.2.32] timed out while\n"
		"    sending RCPT TO");
	assert_int_equal(ex->category, CAT_TIMEOUT);
	assert_string_equal(ex->ctx.command, "RCPT TO");
	explain("<j@example.br>: Domain example.br does not accept mail (nullMX)");
	assert_int_equal(ex->category, CAT_DOMAIN_NO_MAIL);
}

static void nothing_recognisable(void **state)
{
	(void)state;
	explain("Hello");
	assert_false(ex->recognized);
	explain("");
	assert_false(ex->recognized);
	explain("   \n\t ");
	assert_false(ex->recognized);
}

static void explain_reply_for_programs(void **state)
{
	struct enh_code e = { 5, 2, 2 };
	const char *t = "Mailbox full";

	(void)state;
	explain_reply(552, e, t, strlen(t), ex);
	assert_int_equal(ex->verdict, VERDICT_PERMANENT);
	assert_int_equal(ex->category, CAT_MAILBOX_FULL);
	assert_string_equal(ex->text, "Mailbox full");
	assert_string_equal(explain_retry_name(ex->retry), "no");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_code_alone),
		cmocka_unit_test(enhanced_code_alone),
		cmocka_unit_test(unregistered_detail_falls_back_to_its_subject),
		cmocka_unit_test(subject_without_class),
		cmocka_unit_test(user_unknown_reply),
		cmocka_unit_test(vague_codes_take_their_category_from_the_words),
		cmocka_unit_test(greylisting_asks_to_come_back),
		cmocka_unit_test(delay_notice_quoting_a_permanent_reply_is_transient),
		cmocka_unit_test(first_failure_is_the_reason),
		cmocka_unit_test(enhanced_code_borrowed_from_the_dsn),
		cmocka_unit_test(class_mismatch_is_noted_and_the_basic_code_rules),
		cmocka_unit_test(failures_without_a_code_are_read_from_their_words),
		cmocka_unit_test(nothing_recognisable),
		cmocka_unit_test(explain_reply_for_programs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
