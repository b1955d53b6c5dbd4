/*
 * test_sendmail_msg.c - what `sendmail -t` makes of a message a program pipes to it: the
 * recipients a mail program would see in To, Cc and Bcc, no Bcc left in what is sent, and the
 * fields a message must have added when it lacks them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/sendmail_msg.h"

#define T_DATE 1700000000 /* Tue, 14 Nov 2023 22:13:20 +0000 */

static struct sendmail_in input(const char *msg, bool extract)
{
	struct sendmail_in in = {
		.msg = (const uint8_t *)msg,
		.len = strlen(msg),
		.extract = extract,
		.sender = "app@example.org",
		.date = T_DATE,
		.message_id = "1.2@example.org",
	};
	return in;
}

static void prepare_ok(const struct sendmail_in *in, struct sendmail_out *out)
{
	struct buf err = BUF_INIT;

	memset(out, 0, sizeof(*out));
	if (sendmail_prepare(in, out, &err) != 0)
		fail_msg("sendmail_prepare failed: %s", buf_cstr(&err));
	buf_free(&err);
	buf_cstr(&out->message);
}

static void rcpts_are(const struct sendmail_rcpts *r, const char *const *want, size_t n)
{
	assert_int_equal(r->count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->addr[i], want[i]);
}

static void t_reads_to_cc_and_bcc_and_drops_bcc(void **state)
{
	const char *msg = "From: App <app@example.org>\n"
			  "To: \"Doe, John\" <john@example.net>, Ann (the boss) <ann@example.net>\n"
			  "Cc: carol@example.net,\n"
			  "\tdave@example.net\n"
			  "Bcc: secret@example.net,\n"
			  " hidden@example.net\n"
			  "Subject: t\n"
			  "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
			  "Message-ID: <x@example.org>\n"
			  "\n"
			  "Bcc: in the body stays\n";
	static const char *const want[] = { "john@example.net",	  "ann@example.net",
					    "carol@example.net",  "dave@example.net",
					    "secret@example.net", "hidden@example.net" };
	struct sendmail_in in = input(msg, true);
	struct sendmail_out out;

	(void)state;
	prepare_ok(&in, &out);
	rcpts_are(&out.rcpts, want, 6);
	assert_string_equal(
		(const char *)out.message.data,
		"From: App <app@example.org>\r\n"
		"To: \"Doe, John\" <john@example.net>, Ann (the boss) <ann@example.net>\r\n"
		"Cc: carol@example.net,\r\n"
		"\tdave@example.net\r\n"
		"Subject: t\r\n"
		"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
		"Message-ID: <x@example.org>\r\n"
		"\r\n"
		"Bcc: in the body stays\r\n");
	assert_string_equal(out.from, "app@example.org");
	assert_false(out.added_from || out.added_date || out.added_message_id);
	sendmail_out_free(&out);
}

static void without_t_bcc_is_dropped_and_nothing_read(void **state)
{
	const char *msg = "To: a@example.net\r\nBCC: b@example.net\r\n\r\nbody\r\n";
	struct sendmail_in in = input(msg, false);
	struct sendmail_out out;

	(void)state;
	prepare_ok(&in, &out);
	assert_int_equal(out.rcpts.count, 0);
	assert_null(strstr((const char *)out.message.data, "b@example.net"));
	sendmail_out_free(&out);
}

static void groups_and_repeats(void **state)
{
	const char *msg = "To: undisclosed-recipients:;\nCc: Team: a@example.net, b@example.net;,"
			  " A@EXAMPLE.NET\nTo: b@example.net\n\nx\n";
	static const char *const want[] = { "a@example.net", "b@example.net" };
	struct sendmail_in in = input(msg, true);
	struct sendmail_out out;

	(void)state;
	prepare_ok(&in, &out);
	rcpts_are(&out.rcpts, want, 2);
	sendmail_out_free(&out);
}

static void more_recipients_than_a_mailbox_list_keeps(void **state)
{
	struct buf msg = BUF_INIT;
	struct sendmail_in in;
	struct sendmail_out out;
	char want[16];

	(void)state;
	buf_append_str(&msg, "To: ");
	for (int i = 0; i < 100; i++)
		buf_printf(&msg, "%su%d@example.net", i ? ",\n " : "", i);
	buf_append_str(&msg, "\n\nbody\n");
	in = input(buf_cstr(&msg), true);
	prepare_ok(&in, &out);
	assert_int_equal(out.rcpts.count, 100);
	snprintf(want, sizeof(want), "u%d@example.net", 99);
	assert_string_equal(out.rcpts.addr[99], want);
	sendmail_out_free(&out);
	buf_free(&msg);
}

static void missing_fields_are_added(void **state)
{
	const char *msg = "To: a@example.net\nSubject: cron\n\nline\n";
	struct sendmail_in in = input(msg, true);
	struct sendmail_out out;
	const char *m;

	(void)state;
	in.full_name = "Cron Daemon";
	prepare_ok(&in, &out);
	m = (const char *)out.message.data;
	assert_non_null(strstr(m, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(m, "From: Cron Daemon <app@example.org>\r\n"));
	assert_non_null(strstr(m, "Message-ID: <1.2@example.org>\r\n"));
	assert_non_null(strstr(m, "\r\n\r\nline\r\n"));
	assert_true(out.added_from && out.added_date && out.added_message_id);
	assert_string_equal(out.from, "app@example.org");
	sendmail_out_free(&out);
}

static void a_utf8_full_name_is_encoded(void **state)
{
	struct sendmail_in in = input("To: a@example.net\n\nx\n", true);
	struct sendmail_out out;

	(void)state;
	in.full_name = "Zoë";
	prepare_ok(&in, &out);
	assert_non_null(strstr((const char *)out.message.data,
			       "From: =?utf-8?b?Wm/Dqw==?= <app@example.org>\r\n"));
	sendmail_out_free(&out);
}

static void a_message_without_header_or_end(void **state)
{
	struct sendmail_in in = input("just a body line\nand another", false);
	struct sendmail_out out;
	const char *m;

	(void)state;
	prepare_ok(&in, &out);
	m = (const char *)out.message.data;
	assert_non_null(strstr(m, "Message-ID: <1.2@example.org>\r\n\r\njust a body line\r\n"
				  "and another\r\n"));
	sendmail_out_free(&out);
	in = input("To: a@example.net", true);
	prepare_ok(&in, &out);
	m = (const char *)out.message.data;
	assert_int_equal(strncmp(m, "To: a@example.net\r\nDate: ", 25), 0);
	assert_int_equal(strcmp(m + out.message.len - 4, "\r\n\r\n"), 0);
	sendmail_out_free(&out);
}

static void an_mbox_from_line_is_not_a_field(void **state)
{
	struct sendmail_in in = input("From app@example.org Mon Jan  1 00:00:00 2024\n"
				      "To: a@example.net\n\nx\n",
				      true);
	struct sendmail_out out;

	(void)state;
	prepare_ok(&in, &out);
	assert_int_equal(strncmp((const char *)out.message.data, "To: a@example.net\r\n", 19), 0);
	assert_int_equal(out.rcpts.count, 1);
	sendmail_out_free(&out);
}

static void an_unreadable_list_is_refused_whole(void **state)
{
	struct sendmail_in in = input("To: ok@example.net, <broken@example.net\n\nx\n", true);
	struct sendmail_out out;
	struct buf err = BUF_INIT;

	(void)state;
	memset(&out, 0, sizeof(out));
	assert_int_equal(sendmail_prepare(&in, &out, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "the To field cannot be read: unbalanced angle"));
	assert_int_equal(out.rcpts.count, 0);
	sendmail_out_free(&out);
	buf_free(&err);
}

static void command_line_recipients(void **state)
{
	struct sendmail_rcpts r = { 0 };
	struct buf err = BUF_INIT;
	static const char *const want[] = { "a@example.net", "b@example.net", "c@example.net" };

	(void)state;
	assert_int_equal(sendmail_rcpts_parse(&r, "a@example.net", &err), 0);
	assert_int_equal(sendmail_rcpts_parse(&r, "Bee <b@example.net>, c@example.net", &err), 0);
	assert_int_equal(sendmail_rcpts_parse(&r, "A@example.net", &err), 0);
	rcpts_are(&r, want, 3);
	assert_int_equal(sendmail_rcpts_parse(&r, "root", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "the recipient 'root' cannot be read"));
	sendmail_rcpts_free(&r);
	buf_free(&err);
}

static void a_raw_utf8_subject_is_encoded(void **state)
{
	struct sendmail_in in = input("Subject: Gr\xc3\xbc\xc3\x9f"
				      "e\nTo: a@example.net\n\nx\n",
				      true);
	struct sendmail_out out;

	(void)state;
	prepare_ok(&in, &out);
	assert_non_null(strstr((const char *)out.message.data,
			       "Subject: =?utf-8?b?R3LDvMOfZQ==?=\r\nTo: a@example.net\r\n"));
	sendmail_out_free(&out);
	in = input("Subject: caf\xe9\n\nx\n", false); /* Latin-1: passed on as it came */
	prepare_ok(&in, &out);
	assert_non_null(strstr((const char *)out.message.data, "Subject: caf\xe9\r\n"));
	sendmail_out_free(&out);
}

/* What Debian's cron pipes to "sendmail -FCronDaemon -i -B8BITMIME -oem ops@example.net". */
static void crons_bare_from_is_replaced_by_the_sender(void **state)
{
	struct sendmail_in in = input("From: root (Cron Daemon)\nTo: ops@example.net\n"
				      "Subject: Cron <root@host> ls\n\nfile\n",
				      false);
	struct sendmail_out out;
	const char *m;

	(void)state;
	in.full_name = "CronDaemon";
	prepare_ok(&in, &out);
	m = (const char *)out.message.data;
	assert_null(strstr(m, "root (Cron Daemon)"));
	assert_non_null(strstr(m, "From: CronDaemon <app@example.org>\r\n"));
	assert_true(out.replaced_from && out.added_from);
	assert_string_equal(out.from, "app@example.org");
	sendmail_out_free(&out);
	in.sender = NULL; /* nothing to put in its place: left as it is */
	prepare_ok(&in, &out);
	assert_non_null(strstr((const char *)out.message.data, "From: root (Cron Daemon)\r\n"));
	assert_false(out.replaced_from);
	sendmail_out_free(&out);
}

static void the_dot_line(void **state)
{
	(void)state;
	assert_true(sendmail_is_dot_line((const uint8_t *)".", 1));
	assert_true(sendmail_is_dot_line((const uint8_t *)".\r", 2));
	assert_false(sendmail_is_dot_line((const uint8_t *)"..", 2));
	assert_false(sendmail_is_dot_line((const uint8_t *)". ", 2));
	assert_false(sendmail_is_dot_line((const uint8_t *)"", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_reads_to_cc_and_bcc_and_drops_bcc),
		cmocka_unit_test(without_t_bcc_is_dropped_and_nothing_read),
		cmocka_unit_test(groups_and_repeats),
		cmocka_unit_test(more_recipients_than_a_mailbox_list_keeps),
		cmocka_unit_test(missing_fields_are_added),
		cmocka_unit_test(a_utf8_full_name_is_encoded),
		cmocka_unit_test(a_message_without_header_or_end),
		cmocka_unit_test(an_mbox_from_line_is_not_a_field),
		cmocka_unit_test(an_unreadable_list_is_refused_whole),
		cmocka_unit_test(command_line_recipients),
		cmocka_unit_test(a_raw_utf8_subject_is_encoded),
		cmocka_unit_test(crons_bare_from_is_replaced_by_the_sender),
		cmocka_unit_test(the_dot_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
