/*
 * test_reply_scan.c - finding replies inside the prose of real bounces, and not finding them
 * in dates, addresses, versions and other numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/reply_scan.h"

#define MAXF 8

static struct reply_finding found[MAXF];

static size_t scan(const char *s)
{
	return reply_scan(s, strlen(s), found, MAXF);
}

static void assert_enh(const struct reply_finding *f, int cls, int subject, int detail)
{
	assert_int_equal(f->enh.cls, cls);
	assert_int_equal(f->enh.subject, subject);
	assert_int_equal(f->enh.detail, detail);
}

static void postfix_bounce_with_wrapped_reply(void **state)
{
	const char *s =
		"<bob@pm.example>: host mail.pm.example[192.0.2.10] said: 550 5.1.1\n"
		"    <bob@pm.example>: Recipient address rejected: Address does not exist (in\n"
		"    reply to RCPT TO command)\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_int_equal(found[0].basic, 550);
	assert_enh(&found[0], 5, 1, 1);
	assert_string_equal(found[0].text,
			    "<bob@pm.example>: Recipient address rejected: Address does not exist");
	assert_string_equal(found[0].ctx.command, "RCPT TO");
	assert_string_equal(found[0].ctx.host, "mail.pm.example");
	assert_string_equal(found[0].ctx.ip, "192.0.2.10");
}

static void postfix_greeting_refusal(void **state)
{
	const char *s =
		"<l@orange.example>: host smtp-in.orange.example[198.51.100.23] refused to talk "
		"to\n"
		"    me: 421 mwinf5c25 ME Too many connections, slow down. OFR005_104 [104]\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_int_equal(found[0].basic, 421);
	assert_int_equal(found[0].enh.cls, 0);
	assert_string_equal(found[0].ctx.command, "CONNECT");
	assert_string_equal(found[0].ctx.host, "smtp-in.orange.example");
}

static void exim_error_after_rcpt(void **state)
{
	const char *s = "  SMTP error from remote mail server after RCPT TO:<x@example.net>:\n"
			"    host mx.example.net [203.0.113.5]: 550 Unrouteable address\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_int_equal(found[0].basic, 550);
	assert_string_equal(found[0].text, "Unrouteable address");
	assert_string_equal(found[0].ctx.command, "RCPT TO");
	assert_string_equal(found[0].ctx.host, "mx.example.net");
	assert_string_equal(found[0].ctx.ip, "203.0.113.5");
}

static void gmail_multi_line_reply_is_one_reply(void **state)
{
	const char *s =
		"The response was:\n"
		"550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
		"550-5.1.1 double-checking the recipient's email address for typos or\n"
		"550 5.1.1 unnecessary spaces. - gsmtp\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_int_equal(found[0].basic, 550);
	assert_enh(&found[0], 5, 1, 1);
	assert_string_equal(
		found[0].text,
		"The email account that you tried to reach does not exist. Please try "
		"double-checking the recipient's email address for typos or unnecessary "
		"spaces. - gsmtp");
}

static void sendmail_transcript(void **state)
{
	const char *s = "... while talking to mx.example.com.:\n"
			">>> DATA\n"
			"<<< 554-5.7.1 Message rejected\n"
			"<<< 554 5.7.1 as spam\n"
			"554 5.0.0 Service unavailable\n";

	(void)state;
	assert_int_equal(scan(s), 2);
	assert_int_equal(found[0].basic, 554);
	assert_enh(&found[0], 5, 7, 1);
	assert_string_equal(found[0].text, "Message rejected as spam");
	assert_string_equal(found[0].ctx.command, "DATA");
	assert_enh(&found[1], 5, 0, 0);
}

static void quoted_reply_ends_at_its_quote(void **state)
{
	const char *s =
		"Remote Server returned '550 5.4.1 Recipient address rejected: Access denied. "
		"[AM4P.prod.outlook.com]'\nOriginal message headers:\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_enh(&found[0], 5, 4, 1);
	assert_string_equal(found[0].text,
			    "Recipient address rejected: Access denied. [AM4P.prod.outlook.com]");
}

static void qmail_code_at_the_end(void **state)
{
	const char *s =
		"Remote host said: 552 sorry, mailbox u@example.com is over quota (#5.2.2)\n";

	(void)state;
	assert_int_equal(scan(s), 1);
	assert_int_equal(found[0].basic, 552);
	assert_enh(&found[0], 5, 2, 2);
}

static void dsn_fields(void **state)
{
	const char *s =
		"Final-Recipient: rfc822;t@yaloc.example\n"
		"Action: failed\n"
		"Status: 5.4.310\n"
		"Diagnostic-Code: smtp;550 5.4.310 DNS domain yaloc.example does not exist\n";

	(void)state;
	assert_int_equal(scan(s), 2);
	assert_int_equal(found[0].kind, FIND_DSN_STATUS);
	assert_int_equal(found[0].basic, 0);
	assert_enh(&found[0], 5, 4, 310);
	assert_int_equal(found[1].kind, FIND_REPLY);
	assert_int_equal(found[1].basic, 550);
	assert_string_equal(found[1].text, "DNS domain yaloc.example does not exist");
}

static void postfix_log_dsn_field(void **state)
{
	(void)state;
	assert_int_equal(
		scan("to=<a@b.example>, relay=none, delay=0.1, dsn=4.4.1, status=deferred"), 1);
	assert_int_equal(found[0].kind, FIND_ENHANCED);
	assert_enh(&found[0], 4, 4, 1);
}

static void numbers_that_are_not_codes(void **state)
{
	(void)state;
	assert_int_equal(scan("Arrival-Date: Sun, 1 Jan 2023 00:00:00 +0000"), 0);
	assert_int_equal(scan("from [192.0.2.1] and 5.1.1.1 and 4.2.2.4"), 0);
	assert_int_equal(scan("libfoo v2.1.0 and version-5.1.1 build"), 0);
	assert_int_equal(scan("connect to port 465 and 587 failed"), 0);
	assert_int_equal(scan("call 202-555-0123 now"), 0);
	assert_int_equal(scan("The message was 250 KB"), 0);
	assert_int_equal(scan("Gmail will retry for 46 more hours."), 0);
	assert_int_equal(scan("2023-11-23T18:53:22.058Z 10DSKD34941BC6NE"), 0);
}

static void reply_codes_in_plain_arguments(void **state)
{
	(void)state;
	assert_int_equal(scan("550"), 1);
	assert_int_equal(found[0].basic, 550);
	assert_int_equal(scan("4.7.500"), 1);
	assert_enh(&found[0], 4, 7, 500);
	assert_int_equal(scan("SMTP error 451 Unable to complete command, DNS not available"), 1);
	assert_int_equal(found[0].basic, 451);
	assert_int_equal(scan("Connection refused, 111 Can't open SMTP stream."), 1);
	assert_int_equal(found[0].basic, 111);
}

static void codeless_failure_context(void **state)
{
	const char *s = "<u@example.org>: connect to mails.example.org[198.51.100.194]:25: "
			"Connection refused\n";
	const char *t = "conversation with mx.example.com[192.0.2.9] timed out while\n"
			"    sending RCPT TO";
	struct reply_context ctx;

	(void)state;
	assert_int_equal(scan(s), 0);
	reply_scan_context(s, 0, strlen(s), &ctx);
	assert_string_equal(ctx.host, "mails.example.org");
	assert_string_equal(ctx.ip, "198.51.100.194");
	assert_string_equal(ctx.port, "25");
	reply_scan_context(t, 0, strlen(t), &ctx);
	assert_string_equal(ctx.command, "RCPT TO");
}

static void output_is_bounded_by_the_callers_array(void **state)
{
	size_t n = 200 * 8;
	char *s = malloc(n + 1);

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < 200; i++)
		memcpy(s + i * 8, "550 x y\n", 8);
	s[n] = '\0';
	assert_int_equal(reply_scan(s, n, found, MAXF), MAXF);
	free(s);
}

static void retry_after_reads_the_wait(void **state)
{
	const char *grey = "Greylisting in action, please come back in 00:02:00";

	(void)state;
	assert_int_equal(reply_retry_after(grey, strlen(grey)), 120);
	assert_int_equal(reply_retry_after("try again in 5 minutes", 22), 300);
	assert_int_equal(reply_retry_after("Please retry after 300 seconds.", 31), 300);
	assert_int_equal(reply_retry_after("Gmail will retry for 46 more hours", 34), 0);
	assert_int_equal(reply_retry_after("User unknown", 12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postfix_bounce_with_wrapped_reply),
		cmocka_unit_test(postfix_greeting_refusal),
		cmocka_unit_test(exim_error_after_rcpt),
		cmocka_unit_test(gmail_multi_line_reply_is_one_reply),
		cmocka_unit_test(sendmail_transcript),
		cmocka_unit_test(quoted_reply_ends_at_its_quote),
		cmocka_unit_test(qmail_code_at_the_end),
		cmocka_unit_test(dsn_fields),
		cmocka_unit_test(postfix_log_dsn_field),
		cmocka_unit_test(numbers_that_are_not_codes),
		cmocka_unit_test(reply_codes_in_plain_arguments),
		cmocka_unit_test(codeless_failure_context),
		cmocka_unit_test(output_is_bounded_by_the_callers_array),
		cmocka_unit_test(retry_after_reads_the_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
