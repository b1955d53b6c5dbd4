/*
 * test_status.c - the knowledge base is complete and consistent: every entry filled in,
 * tables sorted, retry advice agreeing with the class, every IANA code present, and the
 * fallbacks of RFC 3463 working for codes that are not in the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/status.h"

static void assert_text(const char *what, const char *code, const char *s)
{
	if (s == NULL || s[0] == '\0')
		fail_msg("%s of %s is empty", what, code);
	if (strchr(s, '\n') != NULL)
		fail_msg("%s of %s holds a newline", what, code);
	if (strlen(s) > (strcmp(what, "match") == 0 ? 2000u : 600u))
		fail_msg("%s of %s is too long", what, code);
}

static void assert_info_complete(const struct status_info *i)
{
	assert_non_null(i->code);
	assert_text("title", i->code, i->title);
	assert_text("meaning", i->code, i->meaning);
	assert_text("causes", i->code, i->causes);
	assert_text("action", i->code, i->action);
	assert_true((unsigned)i->category < CAT__COUNT);
	assert_true((unsigned)i->actor < ACTOR__COUNT);
}

static void basic_table_is_sorted_complete_and_consistent(void **state)
{
	(void)state;
	assert_true(status_basic_count > 50);
	for (size_t i = 0; i < status_basic_count; i++) {
		const struct status_info *e = &status_basic_table[i];
		int code, cls;

		assert_info_complete(e);
		assert_int_equal(strlen(e->code), 3);
		code = atoi(e->code);
		cls = code / 100;
		if (i > 0 && atoi(status_basic_table[i - 1].code) >= code)
			fail_msg("basic table not sorted at %s", e->code);
		/* retry advice agrees with the class */
		switch (cls) {
		case 1:
		case 4:
			if (e->retry != RETRY_LATER)
				fail_msg("%s: a %dxx code must advise a later retry", e->code, cls);
			break;
		case 2:
		case 3:
			if (e->retry != RETRY_NOT_NEEDED)
				fail_msg("%s: a %dxx code needs no retry", e->code, cls);
			break;
		case 5:
			if (e->retry != RETRY_NO)
				fail_msg("%s: a 5xx code must advise against retrying", e->code);
			break;
		default:
			fail_msg("%s: no such class", e->code);
		}
		if (cls == 5 && e->category == CAT_SUCCESS)
			fail_msg("%s: a failure cannot be in the success category", e->code);
		if ((cls == 4 || cls == 5) && e->actor == ACTOR_NONE)
			fail_msg("%s: a failure needs someone to act", e->code);
		assert_ptr_equal(status_basic(code), e);
	}
}

/* The codes the seeds show, standard and not: each must be explained. */
static void basic_table_has_every_code_of_the_seeds(void **state)
{
	static const int codes[] = {
		101, 111, 211, 214, 220, 221, 250, 251, 252, 254, 354, 420, 421, 422, 431, 432, 441,
		442, 446, 447, 449, 450, 451, 452, 455, 471, 500, 501, 502, 503, 504, 510, 511, 512,
		513, 521, 522, 523, 530, 535, 538, 541, 550, 551, 552, 553, 554, 555, 556,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (status_basic(codes[i]) == NULL)
			fail_msg("basic code %d is missing from the knowledge base", codes[i]);
	assert_null(status_basic(299));
	assert_null(status_basic(0));
}

static void enhanced_key(const char *code, unsigned *s, unsigned *d)
{
	assert_true(code[0] == 'X' && code[1] == '.');
	assert_int_equal(sscanf(code + 2, "%u.%u", s, d), 2);
}

static void enhanced_table_is_sorted_complete_and_consistent(void **state)
{
	unsigned prev = 0;

	(void)state;
	assert_int_equal(status_enhanced_count, 81);
	for (size_t i = 0; i < status_enhanced_count; i++) {
		const struct status_info *e = &status_enhanced_table[i];
		unsigned s, d, key;

		assert_info_complete(e);
		enhanced_key(e->code, &s, &d);
		key = s * 1000 + d;
		if (i > 0 && key <= prev)
			fail_msg("enhanced table not sorted at %s", e->code);
		prev = key;
		if (e->retry != RETRY_BY_CLASS)
			fail_msg("%s: enhanced codes take their retry advice from the class",
				 e->code);
		assert_ptr_equal(status_enhanced((uint16_t)s, (uint16_t)d), e);
	}
	/* every subject has its X.s.0 entry, the fallback of RFC 3463 */
	for (uint16_t s = 0; s <= 7; s++)
		if (status_enhanced(s, 0) == NULL)
			fail_msg("subject X.%u.0 is missing", s);
}

/* Compares the table with the IANA registry in the shared test data, when it is there. */
static void enhanced_table_equals_the_iana_registry(void **state)
{
	const char *shared = getenv("TERN_SHARED");
	char path[1024], line[4096];
	FILE *f;
	size_t found = 0;

	(void)state;
	if (shared == NULL || shared[0] == '\0')
		shared = "../shared";
	snprintf(path, sizeof(path), "%s/testdata/status/iana-smtp-enhanced-status-codes.csv",
		 shared);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr,
			"skipped: %s not found (the shared test data sits beside the "
			"repository; set TERN_SHARED to point at it)\n",
			path);
		skip();
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned s, d;

		/* a record starts with its code; description lines that continue a quoted field
		 * do not start with "X." */
		if (strncmp(line, "X.", 2) != 0 || sscanf(line + 2, "%u.%u,", &s, &d) != 2)
			continue;
		if (status_enhanced((uint16_t)s, (uint16_t)d) == NULL)
			fail_msg("X.%u.%u of the IANA registry is missing", s, d);
		found++;
	}
	fclose(f);
	assert_int_equal(found, status_enhanced_count);
}

static void class_and_group_tables_cover_every_digit(void **state)
{
	(void)state;
	for (int d = 1; d <= 5; d++) {
		const struct status_class_info *c = status_class(d);

		assert_non_null(c);
		assert_text("class title", "class", c->title);
		assert_text("class meaning", "class", c->meaning);
	}
	for (int d = 0; d <= 5; d++) {
		const struct status_class_info *g = status_basic_group(d);

		assert_non_null(g);
		assert_text("group title", "group", g->title);
		assert_text("group meaning", "group", g->meaning);
	}
	assert_null(status_class(7));
}

static void unknown_enhanced_codes_fall_back_to_subject_then_class(void **state)
{
	struct enh_code microsoft = { 4, 7, 500 }, nothing = { 5, 9, 9 }, known = { 5, 1, 1 };
	const struct status_info *i;
	bool exact;

	(void)state;
	i = status_enhanced_fallback(microsoft, &exact);
	assert_false(exact);
	assert_string_equal(i->code, "X.7.0");
	i = status_enhanced_fallback(nothing, &exact);
	assert_false(exact);
	assert_string_equal(i->code, "X.0.0");
	i = status_enhanced_fallback(known, &exact);
	assert_true(exact);
	assert_string_equal(i->code, "X.1.1");
}

static void category_vocabulary_is_exactly_the_published_one(void **state)
{
	static const char *const names[] = {
		"user_unknown",	 "mailbox_full",   "mailbox_disabled",
		"host_unknown",	 "domain_no_mail", "relay_denied",
		"auth_required", "auth_failed",	   "sender_rejected",
		"blocked",	 "spam",	   "virus",
		"policy",	 "too_large",	   "too_many_recipients",
		"rate_limited",	 "greylisted",	   "network",
		"timeout",	 "loop",	   "storage",
		"system",	 "syntax",	   "protocol",
		"tls_required",	 "expired",	   "success",
		"unknown",
	};

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), CAT__COUNT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum st_category c;

		assert_true(status_category_from_name(names[i], &c));
		assert_string_equal(status_category_name(c), names[i]);
	}
	for (int a = 0; a < ACTOR__COUNT; a++) {
		assert_non_null(status_actor_name((enum st_actor)a));
		assert_non_null(status_actor_words((enum st_actor)a));
	}
}

static void patterns_are_complete_and_well_formed(void **state)
{
	(void)state;
	assert_true(status_pattern_count >= 40);
	for (size_t i = 0; i < status_pattern_count; i++) {
		const struct status_pattern *p = &status_pattern_table[i];
		const char *m;

		assert_text("name", p->name ? p->name : "?", p->name);
		assert_text("match", p->name, p->match);
		assert_text("meaning", p->name, p->meaning);
		assert_text("causes", p->name, p->causes);
		assert_text("action", p->name, p->action);
		for (m = p->match; *m; m++) {
			if (*m >= 'A' && *m <= 'Z')
				fail_msg("pattern %s: match text must be lowercase", p->name);
			if (*m == '|' && (m == p->match || m[1] == '|' || m[1] == '\0'))
				fail_msg("pattern %s: empty alternative", p->name);
		}
		if (p->category == CAT_UNKNOWN && p->verdict == VERDICT_UNKNOWN)
			fail_msg("pattern %s says nothing: no category and no verdict", p->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(status_pattern_table[j].name, p->name) == 0)
				fail_msg("pattern name %s used twice", p->name);
	}
}

static void enhanced_codes_parse_strictly(void **state)
{
	struct enh_code e;
	char buf[16];

	(void)state;
	assert_true(enh_code_parse("5.1.1", 5, &e));
	assert_int_equal(e.cls, 5);
	assert_int_equal(e.subject, 1);
	assert_int_equal(e.detail, 1);
	assert_true(enh_code_parse("4.7.500", 7, &e));
	assert_int_equal(e.detail, 500);
	assert_string_equal(enh_code_format(e, buf, sizeof(buf)), "4.7.500");
	assert_true(enh_code_parse("2.0.0", 5, &e));
	assert_false(enh_code_parse("3.0.0", 5, &e));  /* no class 3 */
	assert_false(enh_code_parse("5.01.1", 6, &e)); /* leading zero */
	assert_false(enh_code_parse("5.1.1000", 8, &e));
	assert_false(enh_code_parse("5.1", 3, &e));
	assert_false(enh_code_parse("5.1.1.", 6, &e));
	assert_false(enh_code_parse("5..1", 4, &e));
	assert_false(enh_code_parse("", 0, &e));
}

/* Minimal pattern semantics, checked through the real table: a phrase wrapped over lines and
 * in another case still matches; a code constraint excludes other codes. */
static void pattern_matching_tolerates_case_and_wrapping(void **state)
{
	struct enh_code none = { 0, 0, 0 }, e541 = { 5, 4, 1 }, e5410 = { 5, 4, 10 };
	const char *wrapped = "Relay\n    ACCESS   denied";
	const struct status_pattern *p;

	(void)state;
	p = status_pattern_match(wrapped, strlen(wrapped), 554, none);
	assert_non_null(p);
	assert_int_equal(p->category, CAT_RELAY_DENIED);
	/* Microsoft's 5.4.1 "access denied" is an unknown recipient; the same words with another
	 * code are not */
	p = status_pattern_match("Recipient address rejected: Access denied", 41, 550, e541);
	assert_non_null(p);
	assert_int_equal(p->category, CAT_USER_UNKNOWN);
	p = status_pattern_match("Recipient address rejected: Access denied", 41, 550, e5410);
	assert_true(p == NULL || p->category != CAT_USER_UNKNOWN);
	assert_null(status_pattern_match("", 0, 0, none));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_table_is_sorted_complete_and_consistent),
		cmocka_unit_test(basic_table_has_every_code_of_the_seeds),
		cmocka_unit_test(enhanced_table_is_sorted_complete_and_consistent),
		cmocka_unit_test(enhanced_table_equals_the_iana_registry),
		cmocka_unit_test(class_and_group_tables_cover_every_digit),
		cmocka_unit_test(unknown_enhanced_codes_fall_back_to_subject_then_class),
		cmocka_unit_test(category_vocabulary_is_exactly_the_published_one),
		cmocka_unit_test(patterns_are_complete_and_well_formed),
		cmocka_unit_test(enhanced_codes_parse_strictly),
		cmocka_unit_test(pattern_matching_tolerates_case_and_wrapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
