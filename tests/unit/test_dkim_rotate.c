/*
 * test_dkim_rotate.c - when the rotation says a key's record is published: the record in DNS
 * carries the key's own p=, however the operator's DNS editor wrote it (other tags, another
 * order, spaces and line breaks inside the base64), and never for another key, an empty
 * (revoked) p=, a record with two p= or something that is not a tag-list. The rotation itself
 * (DNS, store, timing) is tests/integration/test_dkim_rotate.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dkim/rotate.h"

#define P   "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="
#define OWN "v=DKIM1; k=ed25519; p=" P

static void the_record_as_tern_prints_it_publishes_the_key(void **state)
{
	(void)state;
	assert_true(dkim_record_has_key(OWN, OWN));
}

static void other_tags_order_and_whitespace_do_not_matter(void **state)
{
	(void)state;
	assert_true(dkim_record_has_key("p=" P, OWN));
	assert_true(dkim_record_has_key("k=ed25519; p=" P "; v=DKIM1", OWN));
	assert_true(dkim_record_has_key("v=DKIM1;k=ed25519;t=s;h=sha256;p=" P ";", OWN));
	assert_true(dkim_record_has_key("v=DKIM1; p = MCowBQYDK2VwAyEAGb9ECWmE zf6FQbrBZ9w7\r\n\t"
					"lshQhqowtrbLDFw4rXAxZuE= ; n=notes here",
					OWN));
	assert_true(dkim_record_has_key("  v=DKIM1 ;; p=" P " ;  ", OWN));
}

static void another_key_does_not(void **state)
{
	(void)state;
	assert_false(dkim_record_has_key(
		"v=DKIM1; k=ed25519; "
		"p=MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuF=",
		OWN));
	assert_false(dkim_record_has_key("v=DKIM1; k=ed25519; p=" P "AA", OWN));
	assert_false(
		dkim_record_has_key("v=DKIM1; k=ed25519; p=mcowbqydk2vwayeagb9ecwmezf6fqbrbz9w7"
				    "lshqhqowtrbldfw4rxaxzue=",
				    OWN)); /* base64 is case-sensitive */
}

static void a_revoked_or_missing_key_does_not(void **state)
{
	(void)state;
	assert_false(dkim_record_has_key("v=DKIM1; k=ed25519; p=", OWN));
	assert_false(dkim_record_has_key("v=DKIM1; k=ed25519; p=  ", OWN));
	assert_false(dkim_record_has_key("v=DKIM1; k=ed25519", OWN));
	assert_false(dkim_record_has_key("", OWN));
	assert_false(dkim_record_has_key("v=spf1 -all", OWN));
	/* the tag is "p", not a name ending or starting with p */
	assert_false(dkim_record_has_key("v=DKIM1; xp=" P, OWN));
	assert_false(dkim_record_has_key("v=DKIM1; pp=" P, OWN));
}

static void an_invalid_tag_list_does_not(void **state)
{
	(void)state;
	assert_false(dkim_record_has_key("v=DKIM1; p=" P "; p=" P, OWN)); /* a tag twice */
	assert_false(dkim_record_has_key("v=DKIM1; garbage; p=" P, OWN));
	assert_false(dkim_record_has_key("v=DKIM1; =x; p=" P, OWN));
	assert_false(dkim_record_has_key(P, OWN));
}

static void a_key_without_p_matches_nothing(void **state)
{
	(void)state;
	assert_false(dkim_record_has_key("p=", "p="));
	assert_false(dkim_record_has_key("v=DKIM1", "v=DKIM1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_record_as_tern_prints_it_publishes_the_key),
		cmocka_unit_test(other_tags_order_and_whitespace_do_not_matter),
		cmocka_unit_test(another_key_does_not),
		cmocka_unit_test(a_revoked_or_missing_key_does_not),
		cmocka_unit_test(an_invalid_tag_list_does_not),
		cmocka_unit_test(a_key_without_p_matches_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
