/*
 * test_proxy.c - PROXY protocol headers (v1 text, v2 binary) give the real client address;
 * anything else is refused, never read past; and the header-section scanner of rfc5322.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proxy.h"
#include "proto/rfc5322.h"

static enum proxy_result v1(const char *s, struct proxy_addr *a, size_t *used)
{
	return proxy_parse(1, (const uint8_t *)s, strlen(s), a, used);
}

static void v1_headers_give_the_client(void **state)
{
	struct proxy_addr a;
	size_t used;
	const char *h = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 587\r\nEHLO x\r\n";

	(void)state;
	assert_int_equal(v1(h, &a, &used), PROXY_DONE);
	assert_int_equal(used, strlen("PROXY TCP4 192.0.2.7 198.51.100.1 40000 587\r\n"));
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.addr, "\xc0\x00\x02\x07", 4);
	assert_int_equal(a.port, 40000);
	assert_int_equal(v1("PROXY TCP6 2001:db8::7 ::1 1 2\r\n", &a, &used), PROXY_DONE);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.addr[0], 0x20);
	assert_int_equal(a.addr[1], 0x01);
	assert_int_equal(a.addr[15], 7);
	assert_int_equal(v1("PROXY UNKNOWN\r\n", &a, &used), PROXY_DONE);
	assert_int_equal(a.family, 0);
	assert_int_equal(v1("PROXY TCP4 192.0.2.7 198.51.100.1 40000", &a, &used), PROXY_MORE);
	assert_int_equal(v1("PRO", &a, &used), PROXY_MORE);
}

static void v1_junk_is_refused(void **state)
{
	struct proxy_addr a;
	size_t used;
	char longline[200];

	(void)state;
	assert_int_equal(v1("EHLO client\r\n", &a, &used), PROXY_BAD);
	assert_int_equal(v1("PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n", &a, &used), PROXY_BAD);
	assert_int_equal(v1("PROXY TCP4 192.0.2.1 198.51.100.1 1 70000\r\n", &a, &used), PROXY_BAD);
	assert_int_equal(v1("PROXY TCP5 192.0.2.1 198.51.100.1 1 2\r\n", &a, &used), PROXY_BAD);
	assert_int_equal(v1("PROXY TCP4 192.0.2.1 198.51.100.1 1\r\n", &a, &used), PROXY_BAD);
	assert_int_equal(v1("PROXY TCP6 2001:db8:::7 ::1 1 2\r\n", &a, &used), PROXY_BAD);
	memset(longline, '1', sizeof(longline));
	memcpy(longline, "PROXY ", 6);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(v1(longline, &a, &used), PROXY_BAD);
}

static void v2_headers_give_the_client(void **state)
{
	uint8_t h[64] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
			  0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 192,  0,	  2,	9,
			  198,	51,   100,  1,	  0x9C, 0x40, 0x02, 0x4B };
	struct proxy_addr a;
	size_t used;

	(void)state;
	assert_int_equal(proxy_parse(2, h, 28, &a, &used), PROXY_DONE);
	assert_int_equal(used, 28);
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.addr, "\xc0\x00\x02\x09", 4);
	assert_int_equal(a.port, 40000);
	assert_int_equal(proxy_parse(2, h, 20, &a, &used), PROXY_MORE);
	h[12] = 0x20; /* LOCAL */
	assert_int_equal(proxy_parse(2, h, 28, &a, &used), PROXY_DONE);
	assert_int_equal(a.family, 0);
	h[12] = 0x31; /* version 3 */
	assert_int_equal(proxy_parse(2, h, 28, &a, &used), PROXY_BAD);
	h[12] = 0x21;
	h[14] = 0xFF; /* a TLV section longer than we take */
	assert_int_equal(proxy_parse(2, h, 28, &a, &used), PROXY_BAD);
	assert_int_equal(proxy_parse(2, (const uint8_t *)"EHLO x\r\n", 8, &a, &used), PROXY_BAD);
}

static void header_fields_are_found_only_in_the_header(void **state)
{
	const char *m =
		"Subject: hi\r\nMessage-Id : <a@b>\r\n\tfolded\r\n\r\nDate: not a header\r\n";
	const uint8_t *p = (const uint8_t *)m;

	(void)state;
	assert_true(rfc5322_has_field(p, strlen(m), "Message-ID"));
	assert_true(rfc5322_has_field(p, strlen(m), "subject"));
	assert_false(rfc5322_has_field(p, strlen(m), "Date"));
	assert_false(rfc5322_has_field(p, strlen(m), "folded"));
	assert_int_equal(rfc5322_header_length(p, strlen(m)),
			 strlen(m) - strlen("Date: not a header\r\n"));
	assert_false(rfc5322_has_field((const uint8_t *)"", 0, "Date"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_headers_give_the_client),
		cmocka_unit_test(v1_junk_is_refused),
		cmocka_unit_test(v2_headers_give_the_client),
		cmocka_unit_test(header_fields_are_found_only_in_the_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
