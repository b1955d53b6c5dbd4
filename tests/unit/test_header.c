/*
 * test_header.c - the header section scan and From/Sender parsing: the forms real mail uses,
 * the obsolete ones still seen, and hostile input (unterminated everything, deep nesting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/header.h"

static struct mailbox_list parse(const char *v, bool utf8)
{
	struct mailbox_list l;

	mailbox_list_parse((const uint8_t *)v, strlen(v), utf8, &l);
	return l;
}

static void scan(const char *msg, size_t limit, struct header_scan *h)
{
	header_scan((const uint8_t *)msg, strlen(msg), limit, h);
}

static void span_is(const char *msg, struct header_span s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(msg + s.off, want, s.len);
}

static void the_scan_finds_fields_and_counts_hops(void **state)
{
	const char *m = "Received: from a\r\n\tby b; Mon\r\nreceived: x\r\n"
			"FROM : App <app@example.org>\r\nSender: bulk@example.org\r\n"
			"Subject: hi\r\n\r\nbody\r\nFrom: not a field in the body\r\n";
	struct header_scan h;

	(void)state;
	scan(m, 1 << 20, &h);
	assert_true(h.has_header);
	assert_false(h.too_big);
	assert_int_equal(h.received, 2);
	assert_int_equal(h.from_fields, 1);
	assert_int_equal(h.sender_fields, 1);
	span_is(m, h.from, " App <app@example.org>");
	span_is(m, h.sender, " bulk@example.org");
	assert_int_equal(h.length, (size_t)(strstr(m, "body") - m));
}

static void folded_values_and_limits(void **state)
{
	const char *m = "From: App\r\n <app@example.org>\r\nTo: x\r\n\r\n";
	struct header_scan h;

	(void)state;
	scan(m, 1 << 20, &h);
	span_is(m, h.from, " App\r\n <app@example.org>");
	scan(m, 20, &h);
	assert_true(h.too_big);
	scan("\r\nbody only\r\n", 1000, &h);
	assert_false(h.has_header);
	scan("this is no header\r\n\r\n", 1000, &h);
	assert_false(h.has_header);
	scan(" folded first\r\nFrom: a@b.example\r\n\r\n", 1000, &h);
	assert_false(h.has_header);
	scan("From: a@b.example\r\nFrom: c@d.example\r\n\r\n", 1000, &h);
	assert_int_equal(h.from_fields, 2);
}

static void common_forms_parse(void **state)
{
	struct mailbox_list l;

	(void)state;
	l = parse(" app@example.org", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.addr[0].text, "app@example.org");
	l = parse(" \"Doe, John \\\"JD\\\"\" <john@example.org>", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_string_equal(l.addr[0].text, "john@example.org");
	l = parse(" John Q. Public <jqp@example.org> (the boss (really))", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_string_equal(l.addr[0].text, "jqp@example.org");
	l = parse(" =?UTF-8?B?w5xiZXI=?= <u@example.org>, second@example.net", false);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.addr[1].text, "second@example.net");
	l = parse(" (comment) a . b @ example . org (more)", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_string_equal(l.addr[0].text, "a.b@example.org");
	l = parse(" \"odd local\"@example.org", false);
	assert_int_equal(l.error, MAILBOX_OK);
	l = parse(" x@[IPv6:2001:db8::1]", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_int_equal(l.groups, 0);
	l = parse(" <@route.example:user@example.org>", false);
	assert_string_equal(l.addr[0].text, "user@example.org");
}

static void groups_count_mailboxes_inside(void **state)
{
	struct mailbox_list l;

	(void)state;
	l = parse(" Undisclosed recipients:;", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_int_equal(l.count, 0);
	assert_int_equal(l.groups, 1);
	l = parse(" Team: a@example.org, b@example.org; c@example.org", false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_int_equal(l.count, 3);
	l = parse(" Team: a@example.org", false);
	assert_int_equal(l.error, MAILBOX_E_GROUP);
}

static void utf8_needs_smtputf8(void **state)
{
	struct mailbox_list l;

	(void)state;
	l = parse(" Jörg <jörg@bücher.example>", false);
	assert_int_equal(l.error, MAILBOX_E_ADDRESS);
	assert_string_equal(mailbox_error_text(&l), "non-ASCII address without SMTPUTF8");
	l = parse(" Jörg <jörg@bücher.example>", true);
	assert_int_equal(l.error, MAILBOX_OK);
}

static void broken_input_is_named(void **state)
{
	struct mailbox_list l;
	char *deep = malloc(200004);

	(void)state;
	assert_int_equal(parse(" \"never closed <a@b.example>", false).error, MAILBOX_E_QUOTE);
	assert_int_equal(parse(" (never closed a@b.example", false).error, MAILBOX_E_COMMENT);
	assert_int_equal(parse(" a@b.example)", false).error, MAILBOX_E_COMMENT);
	assert_int_equal(parse(" App <a@b.example", false).error, MAILBOX_E_ANGLE);
	assert_int_equal(parse(" App a@b.example>", false).error, MAILBOX_E_ANGLE);
	assert_int_equal(parse(" <a@b.example> trailing", false).error, MAILBOX_E_ANGLE);
	l = parse(" App <not an address>", false);
	assert_int_equal(l.error, MAILBOX_E_ADDRESS);
	assert_string_equal(l.bad, "App <not an address>");
	assert_int_equal(parse(" a@@b.example", false).error, MAILBOX_E_ADDRESS);
	assert_int_equal(parse("", false).count, 0);
	/* 100,000 nested comments: counted, not recursed into */
	memset(deep, '(', 100000);
	memset(deep + 100000, ')', 100000);
	strcpy(deep + 200000, "a@b");
	l = parse(deep, false);
	assert_int_equal(l.error, MAILBOX_OK);
	assert_string_equal(l.addr[0].text, "a@b");
	deep[100000] = '\0';
	assert_int_equal(parse(deep, false).error, MAILBOX_E_COMMENT);
	free(deep);
}

static void count_each(const struct address *a, void *ctx)
{
	size_t *n = ctx;

	assert_non_null(strstr(a->text, "@example.net"));
	(*n)++;
}

static void a_walk_sees_every_mailbox_of_a_long_list(void **state)
{
	char v[4096];
	size_t len = 0, seen = 0;
	struct mailbox_list l;

	(void)state;
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(v + len, sizeof(v) - len, "%sUser %d <u%d@example.net>",
					i ? ",\r\n " : "", i, i);
	assert_int_equal(mailbox_list_walk((const uint8_t *)v, len, false, count_each, &seen, &l),
			 MAILBOX_OK);
	assert_int_equal(seen, 40);
	assert_int_equal(l.count, 40); /* counted; the first MAILBOX_MAX kept */
	assert_string_equal(l.addr[MAILBOX_MAX - 1].text, "u15@example.net");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_scan_finds_fields_and_counts_hops),
		cmocka_unit_test(folded_values_and_limits),
		cmocka_unit_test(common_forms_parse),
		cmocka_unit_test(groups_count_mailboxes_inside),
		cmocka_unit_test(utf8_needs_smtputf8),
		cmocka_unit_test(broken_input_is_named),
		cmocka_unit_test(a_walk_sees_every_mailbox_of_a_long_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
