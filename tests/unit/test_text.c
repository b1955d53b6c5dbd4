/*
 * test_text.c - case-insensitive search where a space matches any run of blanks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/text.h"

static size_t find(const char *hay, const char *needle, size_t *span)
{
	return text_find(hay, strlen(hay), 0, needle, strlen(needle), span);
}

static void finds_across_case_and_line_wraps(void **state)
{
	size_t span;

	(void)state;
	assert_int_equal(find("host refused to talk to\n    ME: 421", "to me:", &span), 21);
	assert_int_equal(span, 10);
	assert_int_equal(find("Relay Access Denied", "relay access denied", NULL), 0);
	assert_int_equal(find("no match here", "relay", NULL), SIZE_MAX);
	/* a space in the needle needs at least one blank */
	assert_int_equal(find("relayaccess", "relay access", NULL), SIZE_MAX);
	/* never past the end */
	assert_int_equal(find("rela", "relay", NULL), SIZE_MAX);
	assert_int_equal(find("", "a", NULL), SIZE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_across_case_and_line_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
