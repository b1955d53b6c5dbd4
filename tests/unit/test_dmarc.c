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
	assert_string_equal(dmarc_org_domain("mail.example.com", NULL), "example.com");
	assert_string_equal(dmarc_org_domain("example.com", NULL), "example.com");
	assert_string_equal(dmarc_org_domain("a.b.example.co.uk", NULL), "example.co.uk");
	assert_string_equal(dmarc_org_domain("localhost", NULL), "localhost");
	assert_true(dmarc_aligned("example.com", "EXAMPLE.com.", 's', NULL));
	assert_true(dmarc_aligned("news.example.com", "example.com", 'r', NULL));
	assert_false(dmarc_aligned("news.example.com", "example.com", 's', NULL));
	assert_false(dmarc_aligned("example.com", "esp.example", 'r', NULL));
	assert_false(dmarc_aligned("example.co.uk", "other.co.uk", 'r', NULL));
}

/* The list's own rules: exact, wildcard and exception rules, comments and the private part. */
static void public_suffix_list(void **state)
{
	static const char list[] = "// ===BEGIN ICANN DOMAINS===\n"
				   "com\nuk\nco.uk\nde\n\n"
				   "// ck : https://en.wikipedia.org/wiki/.ck\n"
				   "*.ck\n!www.ck\n"
				   "jp\n*.kawasaki.jp\n!city.kawasaki.jp\n"
				   "// ===BEGIN PRIVATE DOMAINS===\n"
				   "github.io  this part is ignored\n";
	struct psl *p = psl_parse(list, sizeof(list) - 1);

	(void)state;
	assert_non_null(p);
	assert_int_equal(psl_rules(p), 10);
	assert_string_equal(dmarc_org_domain("mail.example.com", p), "example.com");
	assert_string_equal(dmarc_org_domain("a.b.Example.CO.uk.", p), "Example.CO.uk.");
	/* a short name under a country: the heuristic gets it wrong, the list does not */
	assert_string_equal(dmarc_org_domain("mail.bmw.de", p), "bmw.de");
	assert_string_equal(dmarc_org_domain("mail.bmw.de", NULL), "mail.bmw.de");
	assert_string_equal(dmarc_org_domain("a.shop.example.ck", p), "shop.example.ck");
	assert_string_equal(dmarc_org_domain("a.www.ck", p), "www.ck");
	assert_string_equal(dmarc_org_domain("x.city.kawasaki.jp", p), "city.kawasaki.jp");
	assert_string_equal(dmarc_org_domain("x.y.kawasaki.jp", p), "x.y.kawasaki.jp");
	assert_string_equal(dmarc_org_domain("me.github.io", p), "me.github.io");
	assert_string_equal(dmarc_org_domain("co.uk", p), "co.uk");
	/* no rule: the top level is the suffix */
	assert_string_equal(dmarc_org_domain("mail.example.test", p), "example.test");
	assert_true(dmarc_aligned("news.bmw.de", "mail.bmw.de", 'r', p));
	assert_false(dmarc_aligned("a.github.io", "b.github.io", 'r', p));
	psl_free(p);
	assert_null(psl_parse("// only a comment\n\n", 19));
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
		cmocka_unit_test(public_suffix_list),
		cmocka_unit_test(dkim_key_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
