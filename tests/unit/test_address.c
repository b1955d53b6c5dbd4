/*
 * test_address.c - envelope addresses are checked part by part, and base64 (used by AUTH) is
 * decoded strictly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base64.h"
#include "proto/address.h"

static enum address_error path(const char *s, bool null_ok, bool utf8, struct address *a)
{
	return address_parse_path(s, strlen(s), null_ok, utf8, a);
}

static void good_paths_are_kept_as_written(void **state)
{
	struct address a;

	(void)state;
	assert_int_equal(path("<Bob.Smith+tag@Example.ORG>", false, false, &a), ADDRESS_OK);
	assert_string_equal(a.text, "Bob.Smith+tag@Example.ORG");
	assert_int_equal(a.local_len, 13);
	assert_string_equal(address_domain(&a), "Example.ORG");
	assert_int_equal(path("<\"john doe\"@example.org>", false, false, &a), ADDRESS_OK);
	assert_int_equal(path("<\"a@b\"@example.org>", false, false, &a), ADDRESS_OK);
	assert_int_equal(a.local_len, 5);
	assert_int_equal(path("<@relay.example:user@example.org>", false, false, &a), ADDRESS_OK);
	assert_string_equal(a.text, "user@example.org");
	assert_int_equal(path("<user@[192.0.2.1]>", false, false, &a), ADDRESS_OK);
	assert_int_equal(path("<user@[IPv6:2001:db8::1]>", false, false, &a), ADDRESS_OK);
	/* a NUL inside a literal (from a header, where NUL is not refused earlier) */
	assert_int_equal(address_parse("u@[IPv6:1::\0001]", 14, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<>", true, false, &a), ADDRESS_OK);
	assert_true(a.is_null);
}

static void bad_paths_are_refused_one_reason_each(void **state)
{
	struct address a;
	char longlocal[100], longpath[300];

	(void)state;
	assert_int_equal(path("user@example.org", false, false, &a), ADDRESS_E_NO_BRACKETS);
	assert_int_equal(path("<>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<@example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user@>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<us..er@example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<.user@example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user@exa mple.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user@-example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user@example..org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<user@[300.1.1.1]>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<\"unterminated@example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	assert_int_equal(path("<us\x01er@example.org>", false, false, &a), ADDRESS_E_SYNTAX);
	memset(longlocal, 'a', sizeof(longlocal));
	memcpy(longlocal, "<", 1);
	strcpy(longlocal + 70, "@example.org>");
	assert_int_equal(path(longlocal, false, false, &a), ADDRESS_E_TOO_LONG);
	memset(longpath, 'b', sizeof(longpath));
	longpath[0] = '<';
	strcpy(longpath + 280, "@e.org>");
	assert_int_equal(path(longpath, false, false, &a), ADDRESS_E_TOO_LONG);
}

static void utf8_needs_smtputf8(void **state)
{
	struct address a;

	(void)state;
	assert_int_equal(path("<j\xc3\xb6rg@b\xc3\xbc"
			      "cher.example>",
			      false, false, &a),
			 ADDRESS_E_NEEDS_UTF8);
	assert_int_equal(path("<j\xc3\xb6rg@b\xc3\xbc"
			      "cher.example>",
			      false, true, &a),
			 ADDRESS_OK);
	assert_true(a.utf8);
}

static void base64_decodes_strictly(void **state)
{
	uint8_t out[64];
	char enc[64];
	size_t n;

	(void)state;
	assert_true(base64_decode("AGFwcABzZWNyZXQ=", 16, out, &n));
	assert_int_equal(n, 11);
	assert_memory_equal(out, "\0app\0secret", 11);
	assert_true(base64_decode("", 0, out, &n));
	assert_int_equal(n, 0);
	assert_false(base64_decode("AGFwc", 5, out, &n));    /* length */
	assert_false(base64_decode("AG=w", 4, out, &n));     /* padding inside */
	assert_false(base64_decode("AGF*", 4, out, &n));     /* alphabet */
	assert_false(base64_decode("QR==", 4, out, &n));     /* non-zero bits under padding */
	assert_false(base64_decode("QQ==QQ==", 8, out, &n)); /* padding before the end */
	for (size_t len = 0; len < 20; len++) {
		uint8_t in[20];
		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)(i * 37 + len);
		size_t e = base64_encode(in, len, enc);
		assert_int_equal(e, strlen(enc));
		assert_true(base64_decode(enc, e, out, &n));
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(out, in, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_paths_are_kept_as_written),
		cmocka_unit_test(bad_paths_are_refused_one_reason_each),
		cmocka_unit_test(utf8_needs_smtputf8),
		cmocka_unit_test(base64_decodes_strictly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
