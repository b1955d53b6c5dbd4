/*
 * test_buf.c - the buffer grows, formats, consumes, and refuses to pass its limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

static void append_and_printf_grow_the_buffer(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_true(buf_printf(&b, "%d,", i));
	assert_true(b.len > 3000);
	assert_int_equal(strncmp((const char *)b.data, "0,1,2,", 6), 0);
	assert_int_equal(strlen(buf_cstr(&b)), b.len);
	buf_free(&b);
}

static void consume_drops_the_front(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_true(buf_append_str(&b, "EHLO a\r\nMAIL"));
	buf_consume(&b, 8);
	assert_string_equal(buf_cstr(&b), "MAIL");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void the_limit_holds_and_leaves_the_buffer_intact(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_true(buf_append(&b, "0123456789", 10));
	assert_false(buf_append_byte(&b, 'x'));
	assert_false(buf_printf(&b, "%s", "more"));
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	buf_reset(&b);
	assert_true(buf_append_str(&b, "ok"));
	buf_free(&b);
}

static void steal_hands_over_a_c_string(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	assert_true(buf_append_str(&b, "hello"));
	s = buf_steal(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_and_printf_grow_the_buffer),
		cmocka_unit_test(consume_drops_the_front),
		cmocka_unit_test(the_limit_holds_and_leaves_the_buffer_intact),
		cmocka_unit_test(steal_hands_over_a_c_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
