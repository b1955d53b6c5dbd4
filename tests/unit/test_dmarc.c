/*
 * test_dmarc.c - DMARC policy records and alignment (RFC 7489), DKIM key records (RFC 6376
 * 3.6.1): what tern doctor accepts, and the words it uses for what it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dmarc.h"

static void dmarc_records_parse(void **state)
{
	struct dmarc_record r;
	char err[200];

	(void)state;
	assert_true(dmarc_is_record("v=DMARC1; p=none"));
	assert_true(dmarc_is_record(" v=dmarc1 ;p=none"));
	assert_false(dmarc_is_record("v=DMARC10; p=none"));
	assert_false(dmarc_is_record("v=spf1 -all"));
	assert_true(dmarc_parse("v=DMARC1; p=reject; adkim=s; pct=50; rua=mailto:d@example.com", &r,
				err, sizeof(err)));
	assert_int_equal(r.p, DMARC_P_REJECT);
	assert_int_equal(r.sp, DMARC_P_REJECT);
	assert_int_equal(r.adkim, 's');
	assert_int_equal(r.aspf, 'r');
	assert_int_equal(r.pct, 50);
	assert_true(r.has_rua);
	assert_true(dmarc_parse("v=DMARC1;p=quarantine;sp=none;", &r, err, sizeof(err)));
	assert_int_equal(r.sp, DMARC_P_NONE);
}

static void dmarc_mistakes_are_named(void **state)
{
	struct dmarc_record r;
	char err[200];

	(void)state;
	assert_false(dmarc_parse("v=DMARC1; rua=mailto:d@example.com", &r, err, sizeof(err)));
	assert_non_null(strstr(err, "p= (the policy) is missing"));
	assert_false(dmarc_parse("p=none; v=DMARC1", &r, err, sizeof(err)));
	assert_non_null(strstr(err, "begin with v=DMARC1"));
	assert_false(dmarc_parse("v=DMARC1; p=block", &r, err, sizeof(err)));
	assert_false(dmarc_parse("v=DMARC1; p=none; pct=101", &r, err, sizeof(err)));
	assert_false(dmarc_parse("v=DMARC1; p=none; adkim=x", &r, err, sizeof(err)));
	assert_false(dmarc_parse("v=DMARC1; p=none; rua=d@example.com", &r, err, sizeof(err)));
	assert_false(dmarc_parse("v=DMARC1; p", &r, err, sizeof(err)));
	assert_false(dmarc_parse("", &r, err, sizeof(err)));
}

static void alignment_relaxed_and_strict(void **state)
{
	(void)state;
	assert_string_equal(dmarc_org_domain("mail.example.com"), "example.com");
	assert_string_equal(dmarc_org_domain("example.com"), "example.com");
	assert_string_equal(dmarc_org_domain("a.b.example.co.uk"), "example.co.uk");
	assert_string_equal(dmarc_org_domain("localhost"), "localhost");
	assert_true(dmarc_aligned("example.com", "EXAMPLE.com.", 's'));
	assert_true(dmarc_aligned("news.example.com", "example.com", 'r'));
	assert_false(dmarc_aligned("news.example.com", "example.com", 's'));
	assert_false(dmarc_aligned("example.com", "esp.example", 'r'));
	assert_false(dmarc_aligned("example.co.uk", "other.co.uk", 'r'));
}

static void dkim_key_records(void **state)
{
	struct dkim_key_record k;
	char err[200], p[64];

	(void)state;
	assert_true(dkim_key_record_parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPap"
					  "iMlrwIaaPcHURo=",
					  &k, err, sizeof(err)));
	assert_string_equal(k.k, "ed25519");
	assert_int_equal(k.key_bytes, 32);
	assert_true(dkim_key_record_parse("p=MIIB IjAN", &k, err, sizeof(err)));
	assert_string_equal(k.k, "rsa");
	assert_true(dkim_key_record_p("v=DKIM1; p=AB CD\tEF ;t=y", p, sizeof(p)));
	assert_string_equal(p, "ABCDEF");
	assert_true(dkim_key_record_parse("v=DKIM1; p=", &k, err, sizeof(err)));
	assert_true(k.revoked);
	assert_false(dkim_key_record_parse("v=DKIM1; k=rsa", &k, err, sizeof(err)));
	assert_non_null(strstr(err, "p= (the public key) is missing"));
	assert_false(dkim_key_record_parse("k=rsa; v=DKIM1; p=AAAA", &k, err, sizeof(err)));
	assert_false(dkim_key_record_parse("v=DKIM1; p=AB*D", &k, err, sizeof(err)));
	assert_non_null(strstr(err, "not valid base64"));
	assert_false(dkim_key_record_parse("v=DKIM1; k=dsa; p=AAAA", &k, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dmarc_records_parse),
		cmocka_unit_test(dmarc_mistakes_are_named),
		cmocka_unit_test(alignment_relaxed_and_strict),
		cmocka_unit_test(dkim_key_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
