/*
 * test_smtp_reply.c - the protocol reply parser: single and multi-line replies, enhanced
 * codes, incomplete input, and every bound a hostile server could push against.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smtp_reply.h"

struct parsed {
	enum smtp_reply_status st;
	enum smtp_reply_error err;
	size_t used;
	struct smtp_reply r;
};

static struct parsed *parse(const char *s, size_t len)
{
	static struct parsed p;

	p.st = smtp_reply_parse((const uint8_t *)s, len, &p.r, &p.used, &p.err);
	return &p;
}

#define PARSE(s) parse((s), sizeof(s) - 1)

static void single_line_with_enhanced_code(void **state)
{
	struct parsed *p = PARSE("550 5.1.1 <bob@example.com>: User unknown\r\n");

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 550);
	assert_int_equal(p->r.enh.cls, 5);
	assert_int_equal(p->r.enh.subject, 1);
	assert_int_equal(p->r.enh.detail, 1);
	assert_string_equal(p->r.text, "<bob@example.com>: User unknown");
	assert_int_equal(p->used, strlen("550 5.1.1 <bob@example.com>: User unknown\r\n"));
	assert_int_equal(p->r.nlines, 1);
}

static void multi_line_reply_strips_the_repeated_codes(void **state)
{
	struct parsed *p = PARSE("550-5.1.1 The email account that you tried to reach does\r\n"
				 "550-5.1.1 not exist. Please try double-checking the\r\n"
				 "550 5.1.1 recipient's address. - gsmtp\r\n"
				 "250 next reply\r\n");

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 550);
	assert_int_equal(p->r.nlines, 3);
	assert_string_equal(p->r.text, "The email account that you tried to reach does\n"
				       "not exist. Please try double-checking the\n"
				       "recipient's address. - gsmtp");
	/* the next reply is left for the next call */
	assert_int_equal(p->used,
			 strlen("550-5.1.1 The email account that you tried to reach does\r\n"
				"550-5.1.1 not exist. Please try double-checking the\r\n"
				"550 5.1.1 recipient's address. - gsmtp\r\n"));
}

static void ehlo_reply_without_enhanced_codes(void **state)
{
	struct parsed *p = PARSE("250-mx.example.org Hello\r\n250-PIPELINING\r\n"
				 "250-SIZE 10240000\r\n250 ENHANCEDSTATUSCODES\r\n");

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 250);
	assert_int_equal(p->r.enh.cls, 0);
	assert_int_equal(p->r.nlines, 4);
	assert_string_equal(p->r.text,
			    "mx.example.org Hello\nPIPELINING\nSIZE 10240000\nENHANCEDSTATUSCODES");
}

static void bare_code_and_bare_lf_are_accepted(void **state)
{
	struct parsed *p = PARSE("250\r\n");

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 250);
	assert_string_equal(p->r.text, "");
	p = PARSE("221 2.0.0 Bye\n");
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 221);
	assert_string_equal(p->r.text, "Bye");
}

static void incomplete_input_asks_for_more(void **state)
{
	(void)state;
	assert_int_equal(PARSE("")->st, SMTP_REPLY_MORE);
	assert_int_equal(PARSE("25")->st, SMTP_REPLY_MORE);
	assert_int_equal(PARSE("250 ok")->st, SMTP_REPLY_MORE);
	assert_int_equal(PARSE("250-first\r\n")->st, SMTP_REPLY_MORE);
	assert_int_equal(PARSE("250-first\r\n250 sec")->st, SMTP_REPLY_MORE);
}

static void malformed_lines_are_errors(void **state)
{
	struct parsed *p;

	(void)state;
	p = PARSE("hello there\r\n");
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
	assert_int_equal(p->err, SMTP_REPLY_E_SYNTAX);
	assert_int_equal(PARSE("25\r\n")->err, SMTP_REPLY_E_SYNTAX);
	assert_int_equal(PARSE("250_ok\r\n")->err, SMTP_REPLY_E_SYNTAX);
	assert_int_equal(PARSE("650 no such class\r\n")->err, SMTP_REPLY_E_SYNTAX);
	p = PARSE("250-one\r\n550 two\r\n");
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
	assert_int_equal(p->err, SMTP_REPLY_E_CODE_MISMATCH);
	assert_non_null(smtp_reply_error_text(p->err));
}

static void nul_bytes_are_refused(void **state)
{
	static const char in[] = "250 o\0k\r\n";
	struct parsed *p = parse(in, sizeof(in) - 1);

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
	assert_int_equal(p->err, SMTP_REPLY_E_NUL);
	/* also while the line is still incomplete */
	p = parse(in, 6);
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
}

static void control_characters_never_reach_the_text(void **state)
{
	struct parsed *p = PARSE("550 bad\x1b[31m\x07 text\r\n");

	(void)state;
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_string_equal(p->r.text, "bad?[31m? text");
}

static void a_64k_line_is_an_error_not_a_buffer(void **state)
{
	size_t n = 64 * 1024;
	char *big = malloc(n);
	struct parsed *p;

	(void)state;
	assert_non_null(big);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'a', n - 4);
	/* no line end at all: refused once the bound is passed, without waiting for more */
	p = parse(big, n);
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
	assert_int_equal(p->err, SMTP_REPLY_E_LINE_TOO_LONG);
	/* with a line end far away */
	big[n - 2] = '\r';
	big[n - 1] = '\n';
	p = parse(big, n);
	assert_int_equal(p->err, SMTP_REPLY_E_LINE_TOO_LONG);
	/* just under the bound is fine */
	big[SMTP_REPLY_LINE_MAX] = '\r';
	big[SMTP_REPLY_LINE_MAX + 1] = '\n';
	p = parse(big, SMTP_REPLY_LINE_MAX + 2);
	assert_int_equal(p->st, SMTP_REPLY_OK);
	free(big);
}

static void endless_continuation_lines_are_an_error(void **state)
{
	size_t n = (SMTP_REPLY_LINES_MAX + 5) * 10;
	char *in = malloc(n);
	struct parsed *p;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < SMTP_REPLY_LINES_MAX + 5; i++)
		memcpy(in + i * 10, "250-xxxx\r\n", 10);
	p = parse(in, n);
	assert_int_equal(p->st, SMTP_REPLY_ERROR);
	assert_int_equal(p->err, SMTP_REPLY_E_TOO_MANY_LINES);
	free(in);
}

static void long_replies_keep_their_codes_and_truncate_text(void **state)
{
	size_t lines = 100, width = 1000, n = lines * (width + 2);
	char *in = malloc(n);
	struct parsed *p;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < lines; i++) {
		char *l = in + i * (width + 2);

		memset(l, 'x', width);
		memcpy(l, i + 1 == lines ? "451 4.3.0 " : "451-4.3.0 ", 10);
		l[width] = '\r';
		l[width + 1] = '\n';
	}
	p = parse(in, n);
	assert_int_equal(p->st, SMTP_REPLY_OK);
	assert_int_equal(p->r.code, 451);
	assert_int_equal(p->r.enh.cls, 4);
	assert_true(p->r.truncated);
	assert_true(p->r.text_len < SMTP_REPLY_TEXT_MAX);
	assert_int_equal(strlen(p->r.text), p->r.text_len);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_line_with_enhanced_code),
		cmocka_unit_test(multi_line_reply_strips_the_repeated_codes),
		cmocka_unit_test(ehlo_reply_without_enhanced_codes),
		cmocka_unit_test(bare_code_and_bare_lf_are_accepted),
		cmocka_unit_test(incomplete_input_asks_for_more),
		cmocka_unit_test(malformed_lines_are_errors),
		cmocka_unit_test(nul_bytes_are_refused),
		cmocka_unit_test(control_characters_never_reach_the_text),
		cmocka_unit_test(a_64k_line_is_an_error_not_a_buffer),
		cmocka_unit_test(endless_continuation_lines_are_an_error),
		cmocka_unit_test(long_replies_keep_their_codes_and_truncate_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
