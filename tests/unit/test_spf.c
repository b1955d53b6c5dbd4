/*
 * test_spf.c - SPF records and check_host (RFC 7208) against a zone held in a table: what a
 * domain owner's record authorises, and every way a record goes wrong (syntax, more than one,
 * the 10-lookup limit, void lookups, include and redirect loops, macros).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/spf.h"

/* A zone: name, type, value ("" entries NODATA; "NX" NXDOMAIN; "TEMP" a temporary failure). */
struct rr {
	const char *name;
	enum spf_qtype type;
	const char *value;
};

struct zone {
	const struct rr *rrs;
	size_t n;
	unsigned asked;
};

static void lookup(void *ctx, enum spf_qtype type, const char *name, const struct spf_ip *ip,
		   struct spf_answer *out)
{
	struct zone *z = ctx;
	char ptrname[80] = "";
	bool exists = false;

	z->asked++;
	if (type == SPF_Q_PTR) {
		spf_ip_format(ip, ptrname, sizeof(ptrname));
		name = ptrname;
	}
	out->status = SPF_DNS_OK;
	for (size_t i = 0; i < z->n; i++) {
		const struct rr *r = &z->rrs[i];
		if (strcmp(r->name, name) != 0)
			continue;
		exists = true;
		if (strcmp(r->value, "TEMP") == 0) {
			out->status = SPF_DNS_TEMPFAIL;
			return;
		}
		if (r->type != type || out->n == SPF_ANSWER_MAX)
			continue;
		if (type == SPF_Q_A || type == SPF_Q_AAAA)
			assert_true(spf_ip_parse(r->value, strlen(r->value), &out->ip[out->n]));
		else
			snprintf(out->str[out->n], sizeof(out->str[0]), "%s", r->value);
		out->n++;
	}
	if (!exists)
		out->status = SPF_DNS_NXDOMAIN;
}

static enum spf_result eval(const struct rr *rrs, size_t n, const char *ipt, const char *domain,
			    struct spf_outcome *o)
{
	struct zone z = { rrs, n, 0 };
	struct spf_ip ip;

	assert_true(spf_ip_parse(ipt, strlen(ipt), &ip));
	spf_check_host(&ip, domain, "app@example.com", lookup, &z, o);
	return o->result;
}

#define EVAL(rrs, ip, d, o) eval(rrs, sizeof(rrs) / sizeof(rrs[0]), ip, d, o)

static void addresses_parse_and_print(void **state)
{
	struct spf_ip ip;
	char t[64];
	const char *good[] = { "192.0.2.1",
			       "::1",
			       "2001:db8::7",
			       "::ffff:192.0.2.1",
			       "2001:db8:0:0:1:0:0:1",
			       "fe80::",
			       "1:2:3:4:5:6:7:8" };
	const char *want[] = { "192.0.2.1",	    "::1",    "2001:db8::7",	"::ffff:c000:201",
			       "2001:db8::1:0:0:1", "fe80::", "1:2:3:4:5:6:7:8" };
	const char *bad[] = { "",	  "1.2.3",  "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
			      "1::2::3",  ":1:2",   "1:2:3",	 "12345::",   "1:2:3:4:5:6:7:8:9",
			      "1.2.3.4:", "::1.2.3" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(spf_ip_parse(good[i], strlen(good[i]), &ip));
		spf_ip_format(&ip, t, sizeof(t));
		assert_string_equal(t, want[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(spf_ip_parse(bad[i], strlen(bad[i]), &ip));
}

static void syntax_errors_are_named(void **state)
{
	struct spf_record rec;
	char err[200];

	(void)state;
	assert_true(spf_parse("v=spf1 ip4:192.0.2.0/24 a mx/24 a:x.example//64 ~all", &rec, err,
			      sizeof(err)));
	assert_int_equal(rec.nterms, 5);
	assert_int_equal(rec.terms[1].cidr4, 32);
	assert_int_equal(rec.terms[2].cidr4, 24);
	assert_int_equal(rec.terms[3].cidr6, 64);
	assert_int_equal(rec.terms[4].qualifier, '~');
	assert_false(spf_parse("v=spf1 ip4:192.0.2 -all", &rec, err, sizeof(err)));
	assert_string_equal(err, "malformed term 'ip4:192.0.2'");
	assert_false(spf_parse("v=spf1 include -all", &rec, err, sizeof(err)));
	assert_false(spf_parse("v=spf1 ipv4:192.0.2.1 -all", &rec, err, sizeof(err)));
	assert_string_equal(err, "unknown mechanism 'ipv4:192.0.2.1'");
	assert_false(
		spf_parse("v=spf1 redirect=a.example redirect=b.example", &rec, err, sizeof(err)));
	assert_false(spf_parse("v=spf1 ip4:10.0.0.0/33", &rec, err, sizeof(err)));
	assert_false(spf_parse("v=spf10 -all", &rec, err, sizeof(err)));
	assert_true(spf_parse("v=spf1 foo=bar -all", &rec, err, sizeof(err))); /* ignored */
	assert_true(spf_is_record("V=SPF1"));
	assert_false(spf_is_record("v=spf1-all"));
}

static const struct rr basic[] = {
	{ "example.com", SPF_Q_TXT,
	  "v=spf1 ip4:192.0.2.0/24 mx a:relay.example.com include:_spf.esp.example -all" },
	{ "example.com", SPF_Q_TXT, "google-site-verification=abc" },
	{ "example.com", SPF_Q_MX, "mx.example.com" },
	{ "mx.example.com", SPF_Q_A, "198.51.100.10" },
	{ "relay.example.com", SPF_Q_A, "198.51.100.20" },
	{ "relay.example.com", SPF_Q_AAAA, "2001:db8::20" },
	{ "_spf.esp.example", SPF_Q_TXT, "v=spf1 ip6:2001:db8:e5::/48 ~all" },
	{ "soft.example", SPF_Q_TXT, "v=spf1 ip4:192.0.2.1 ~all" },
	{ "open.example", SPF_Q_TXT, "v=spf1 ip4:192.0.2.1" },
};

static void mechanisms_authorise_what_they_say(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(basic, "192.0.2.77", "example.com", &o), SPF_PASS);
	assert_string_equal(o.matched, "ip4:192.0.2.0/24");
	assert_string_equal(o.record, basic[0].value);
	assert_int_equal(EVAL(basic, "198.51.100.10", "example.com", &o), SPF_PASS);
	assert_string_equal(o.matched, "mx");
	assert_int_equal(EVAL(basic, "2001:db8::20", "example.com", &o), SPF_PASS);
	assert_string_equal(o.matched, "a:relay.example.com");
	assert_int_equal(EVAL(basic, "2001:db8:e5::9", "example.com", &o), SPF_PASS);
	assert_string_equal(o.matched, "include:_spf.esp.example -> ip6:2001:db8:e5::/48");
	assert_int_equal(o.lookups, 3);
	assert_int_equal(EVAL(basic, "203.0.113.5", "example.com", &o), SPF_FAIL);
	assert_string_equal(o.matched, "-all");
	assert_non_null(strstr(o.why, "203.0.113.5 is not authorised"));
	assert_int_equal(EVAL(basic, "203.0.113.5", "soft.example", &o), SPF_SOFTFAIL);
	assert_int_equal(EVAL(basic, "203.0.113.5", "open.example", &o), SPF_NEUTRAL);
	assert_int_equal(EVAL(basic, "203.0.113.5", "nothing.example", &o), SPF_NONE);
}

static const struct rr two_records[] = {
	{ "example.com", SPF_Q_TXT, "v=spf1 ip4:192.0.2.1 -all" },
	{ "example.com", SPF_Q_TXT, "v=spf1 include:esp.example -all" },
	{ "bad.example", SPF_Q_TXT, "v=spf1 ip4:192.0.2.1 ipv6:::1 -all" },
};

static void more_than_one_record_or_bad_syntax_is_a_permerror(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(two_records, "192.0.2.1", "example.com", &o), SPF_PERMERROR);
	assert_true(o.multiple);
	assert_non_null(strstr(o.why, "more than one SPF record"));
	assert_int_equal(EVAL(two_records, "192.0.2.1", "bad.example", &o), SPF_PERMERROR);
	assert_non_null(strstr(o.why, "unknown mechanism 'ipv6:::1'"));
}

static const struct rr many[] = {
	{ "example.com", SPF_Q_TXT, "v=spf1 include:i1.example include:i2.example -all" },
	{ "i1.example", SPF_Q_TXT,
	  "v=spf1 a:h1.example a:h2.example a:h3.example a:h4.example ?all" },
	{ "i2.example", SPF_Q_TXT,
	  "v=spf1 a:h5.example a:h6.example a:h7.example mx:h8.example a:h1.example ip4:192.0.2.9 "
	  "-all" },
	{ "h1.example", SPF_Q_A, "10.0.0.1" },
	{ "h2.example", SPF_Q_A, "10.0.0.2" },
	{ "h3.example", SPF_Q_A, "10.0.0.3" },
	{ "h4.example", SPF_Q_A, "10.0.0.4" },
	{ "h5.example", SPF_Q_A, "10.0.0.5" },
	{ "h6.example", SPF_Q_A, "10.0.0.6" },
	{ "h7.example", SPF_Q_A, "10.0.0.7" },
	{ "h8.example", SPF_Q_MX, "h1.example" },
	{ "ten.example", SPF_Q_TXT,
	  "v=spf1 include:i1.example a:h5.example a:h6.example a:h7.example mx:h8.example "
	  "ip4:192.0.2.9 -all" },
};

static void the_eleventh_lookup_is_a_permerror(void **state)
{
	struct spf_outcome o;

	(void)state;
	/* found after 2 lookups; ten.example uses 9 of the 10 */
	assert_int_equal(EVAL(many, "10.0.0.1", "example.com", &o), SPF_PASS);
	assert_int_equal(EVAL(many, "192.0.2.99", "ten.example", &o), SPF_FAIL);
	assert_int_equal(o.lookups, 9);
	/* 2 includes + 4 a + 4 a + mx = 11 before ip4:192.0.2.9 is reached */
	assert_int_equal(EVAL(many, "192.0.2.9", "example.com", &o), SPF_PERMERROR);
	assert_true(o.limit_exceeded);
	assert_non_null(strstr(o.why, "more than 10 DNS lookups"));
}

static const struct rr voids[] = {
	{ "example.com", SPF_Q_TXT,
	  "v=spf1 a:gone1.example a:gone2.example a:gone3.example ip4:192.0.2.1 -all" },
	{ "two.example", SPF_Q_TXT, "v=spf1 a:gone1.example mx:gone2.example ip4:192.0.2.1 -all" },
	{ "gone2.example", SPF_Q_TXT, "" },
};

static void a_third_void_lookup_is_a_permerror(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(voids, "192.0.2.1", "two.example", &o), SPF_PASS);
	assert_int_equal(o.voids, 2);
	assert_int_equal(EVAL(voids, "192.0.2.1", "example.com", &o), SPF_PERMERROR);
	assert_true(o.limit_exceeded);
	assert_non_null(strstr(o.why, "void lookups"));
}

static const struct rr loops[] = {
	{ "a.example", SPF_Q_TXT, "v=spf1 include:b.example -all" },
	{ "b.example", SPF_Q_TXT, "v=spf1 include:a.example -all" },
	{ "self.example", SPF_Q_TXT, "v=spf1 redirect=self.example" },
	{ "r.example", SPF_Q_TXT, "v=spf1 redirect=target.example" },
	{ "target.example", SPF_Q_TXT, "v=spf1 ip4:192.0.2.0/24 -all" },
	{ "nospf.example", SPF_Q_TXT, "v=spf1 include:plain.example -all" },
	{ "plain.example", SPF_Q_TXT, "just text" },
	{ "temp.example", SPF_Q_TXT, "v=spf1 include:down.example -all" },
	{ "down.example", SPF_Q_TXT, "TEMP" },
};

static void loops_redirects_and_missing_includes(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(loops, "192.0.2.1", "a.example", &o), SPF_PERMERROR);
	assert_true(o.loop);
	assert_false(o.limit_exceeded);
	assert_int_equal(EVAL(loops, "192.0.2.1", "self.example", &o), SPF_PERMERROR);
	assert_true(o.loop);
	assert_int_equal(EVAL(loops, "192.0.2.1", "r.example", &o), SPF_PASS);
	assert_string_equal(o.matched, "redirect=target.example -> ip4:192.0.2.0/24");
	assert_int_equal(EVAL(loops, "198.51.100.1", "r.example", &o), SPF_FAIL);
	assert_int_equal(EVAL(loops, "192.0.2.1", "nospf.example", &o), SPF_PERMERROR);
	assert_non_null(strstr(o.why, "plain.example has no SPF record"));
	assert_int_equal(EVAL(loops, "192.0.2.1", "temp.example", &o), SPF_TEMPERROR);
}

static const struct rr macros[] = {
	{ "example.com", SPF_Q_TXT, "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all" },
	{ "1.2.0.192.app._spf.example.com", SPF_Q_A, "127.0.0.2" },
	{ "v6.example", SPF_Q_TXT, "v=spf1 exists:%{i}.%{v}.example -all" },
	{ "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.ip6.example", SPF_Q_A,
	  "127.0.0.2" },
	{ "p.example", SPF_Q_TXT, "v=spf1 exists:%{p}.example -all" },
	{ "broken.example", SPF_Q_TXT, "v=spf1 exists:%{x}.example -all" },
};

static void macros_are_expanded_or_reported_unsupported(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(macros, "192.0.2.1", "example.com", &o), SPF_PASS);
	assert_int_equal(EVAL(macros, "192.0.2.2", "example.com", &o), SPF_FAIL);
	assert_int_equal(EVAL(macros, "2001:db8::1", "v6.example", &o), SPF_PASS);
	assert_int_equal(EVAL(macros, "192.0.2.1", "p.example", &o), SPF_UNEVALUATED);
	assert_non_null(strstr(o.why, "%{p}"));
	assert_int_equal(EVAL(macros, "192.0.2.1", "broken.example", &o), SPF_PERMERROR);
}

static const struct rr ptrs[] = {
	{ "example.com", SPF_Q_TXT, "v=spf1 ptr -all" },
	{ "192.0.2.1", SPF_Q_PTR, "mail.example.com" },
	{ "mail.example.com", SPF_Q_A, "192.0.2.1" },
	{ "192.0.2.2", SPF_Q_PTR, "liar.example.com" },
	{ "liar.example.com", SPF_Q_A, "192.0.2.99" },
};

static void ptr_needs_a_confirmed_name_inside_the_domain(void **state)
{
	struct spf_outcome o;

	(void)state;
	assert_int_equal(EVAL(ptrs, "192.0.2.1", "example.com", &o), SPF_PASS);
	assert_int_equal(EVAL(ptrs, "192.0.2.2", "example.com", &o), SPF_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_parse_and_print),
		cmocka_unit_test(syntax_errors_are_named),
		cmocka_unit_test(mechanisms_authorise_what_they_say),
		cmocka_unit_test(more_than_one_record_or_bad_syntax_is_a_permerror),
		cmocka_unit_test(the_eleventh_lookup_is_a_permerror),
		cmocka_unit_test(a_third_void_lookup_is_a_permerror),
		cmocka_unit_test(loops_redirects_and_missing_includes),
		cmocka_unit_test(macros_are_expanded_or_reported_unsupported),
		cmocka_unit_test(ptr_needs_a_confirmed_name_inside_the_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
