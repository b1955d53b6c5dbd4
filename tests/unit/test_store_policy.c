/*
 * test_store_policy.c - the store's policy tables on SQLite: approved senders, suppression,
 * limits and usage counts, with their error codes, case rules and all-or-nothing imports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	strcpy(f->dir, "/tmp/tern-storepol-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tern.db", f->dir);
	if (store_open_sqlite(f->path, &f->st, err, sizeof(err)) != 0 ||
	    store_user_add(f->st, "app", "pw", 2) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static bool allowed(struct store *st, const char *user, const char *addr)
{
	bool ok = true;

	assert_int_equal(store_sender_allowed(st, user, addr, &ok), 0);
	return ok;
}

static int collect(const char *sender, void *ctx)
{
	char *out = ctx;

	strcat(out, sender);
	strcat(out, " ");
	return 0;
}

static void senders_by_address_or_domain(void **state)
{
	struct fixture *f = *state;
	char list[256] = "";

	assert_int_equal(store_sender_add(f->st, "app", "News@Example.COM"), 0);
	assert_int_equal(store_sender_add(f->st, "app", "news@example.com"), -EEXIST);
	assert_int_equal(store_sender_add(f->st, "app", "@Example.org"), 0);
	assert_int_equal(store_sender_add(f->st, "ghost", "@example.org"), -ENOENT);
	assert_int_equal(store_sender_add(f->st, "app", "no-at-sign"), -EINVAL);
	assert_int_equal(store_sender_add(f->st, "app", "a@b@c"), -EINVAL);
	assert_true(allowed(f->st, "app", "NEWS@example.com"));
	assert_false(allowed(f->st, "app", "other@example.com"));
	assert_true(allowed(f->st, "app", "anyone@EXAMPLE.org"));
	assert_false(allowed(f->st, "app", "x@sub.example.org")); /* not subdomains */
	assert_false(allowed(f->st, "ghost", "news@example.com"));
	assert_int_equal(store_sender_list(f->st, "app", collect, list), 0);
	assert_string_equal(list, "@example.org news@example.com ");
	assert_int_equal(store_sender_list(f->st, "ghost", collect, list), -ENOENT);
	assert_int_equal(store_sender_remove(f->st, "app", "news@example.com"), 0);
	assert_int_equal(store_sender_remove(f->st, "app", "news@example.com"), -ENOENT);
	/* a deleted user's senders go with it, and do not come back with the name */
	assert_int_equal(store_user_delete(f->st, "app"), 0);
	assert_int_equal(store_user_add(f->st, "app", "pw", 2), 0);
	assert_false(allowed(f->st, "app", "anyone@example.org"));
}

static struct store_suppression entry(const char *addr, enum store_suppress_reason r,
				      int64_t created, int64_t expires)
{
	struct store_suppression e = { .reason = r, .created = created, .expires = expires };

	snprintf(e.address, sizeof(e.address), "%s", addr);
	snprintf(e.source, sizeof(e.source), "test");
	return e;
}

static int count_entries(const struct store_suppression *e, void *ctx)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

static void suppression_entries_replace_expire_and_filter(void **state)
{
	struct fixture *f = *state;
	struct store_suppression e = entry("Gone@Example.net", STORE_SUPPRESS_BOUNCE, 100, 0), got;
	struct store_suppress_filter flt = { -1, 0, 0, false, 1000 };
	size_t n = 0;

	assert_int_equal(store_suppress_add(f->st, &e), 0);
	assert_int_equal(store_suppress_get(f->st, "gone@EXAMPLE.NET", 1000, &got), 0);
	assert_string_equal(got.address, "gone@example.net");
	assert_int_equal(got.reason, STORE_SUPPRESS_BOUNCE);
	assert_string_equal(got.source, "test");
	/* the same address again: the new entry wins */
	e = entry("gone@example.net", STORE_SUPPRESS_COMPLAINT, 200, 500);
	assert_int_equal(store_suppress_add(f->st, &e), 0);
	assert_int_equal(store_suppress_get(f->st, "gone@example.net", 499, &got), 0);
	assert_int_equal(got.reason, STORE_SUPPRESS_COMPLAINT);
	assert_int_equal(store_suppress_get(f->st, "gone@example.net", 500, NULL), -ENOENT);
	assert_int_equal(store_suppress_get(f->st, "never@example.net", 0, NULL), -ENOENT);
	e = entry("later@example.net", STORE_SUPPRESS_UNSUBSCRIBE, 300, 0);
	assert_int_equal(store_suppress_add(f->st, &e), 0);
	assert_int_equal(store_suppress_list(f->st, &flt, count_entries, &n), 0);
	assert_int_equal(n, 1); /* the expired one is left out */
	flt.include_expired = true;
	n = 0;
	assert_int_equal(store_suppress_list(f->st, &flt, count_entries, &n), 0);
	assert_int_equal(n, 2);
	flt.since = 250;
	n = 0;
	assert_int_equal(store_suppress_list(f->st, &flt, count_entries, &n), 0);
	assert_int_equal(n, 1);
	flt = (struct store_suppress_filter){ STORE_SUPPRESS_COMPLAINT, 0, 0, true, 0 };
	n = 0;
	assert_int_equal(store_suppress_list(f->st, &flt, count_entries, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_suppress_count(f->st, 1000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_suppress_remove(f->st, "LATER@example.net"), 0);
	assert_int_equal(store_suppress_remove(f->st, "later@example.net"), -ENOENT);
	assert_string_equal(store_suppress_reason_name(STORE_SUPPRESS_UNSUBSCRIBE), "unsubscribe");
	assert_int_equal(store_suppress_reason_parse("complaint"), STORE_SUPPRESS_COMPLAINT);
	assert_int_equal(store_suppress_reason_parse("dislike"), -1);
}

static void add_many_is_all_or_nothing_and_fast(void **state)
{
	struct fixture *f = *state;
	size_t n = 200000, count = 0;
	struct store_suppression *v = calloc(n, sizeof(*v));
	struct timespec a, b;
	double took;

	for (size_t i = 0; i < 3; i++)
		v[i] = entry("ok@example.net", STORE_SUPPRESS_MANUAL, 1, 0);
	v[1].address[0] = '\0'; /* a bad one in the middle */
	assert_int_equal(store_suppress_add_many(f->st, v, 3), -EINVAL);
	assert_int_equal(store_suppress_count(f->st, 0, &count), 0);
	assert_int_equal(count, 0);
	for (size_t i = 0; i < n; i++) {
		v[i] = entry("", STORE_SUPPRESS_BOUNCE, 1, 0);
		snprintf(v[i].address, sizeof(v[i].address), "u%zu@d%zu.example", i, i % 100);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(store_suppress_add_many(f->st, v, n), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# %zu entries in one transaction: %.2f s\n", n, took);
	assert_int_equal(store_suppress_count(f->st, 0, &count), 0);
	assert_int_equal(count, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < 10000; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "u%zu@d%zu.example", i * 19 % (2 * n),
			 i * 19 % (2 * n) % 100);
		assert_int_equal(store_suppress_get(f->st, addr, 0, NULL) == 0,
				 i * 19 % (2 * n) < n);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# lookup among %zu: %.1f us on average\n", n, took / 10000 * 1e6);
	assert_true(took / 10000 < 100e-6);
	free(v);
}

static void limits_default_and_override(void **state)
{
	struct fixture *f = *state;
	struct store_limits l, own = { 10, -1, 1000, 0, 5, 1 << 20 };

	assert_int_equal(store_limits_get(f->st, "app", &l), 0);
	assert_int_equal(l.per_minute, STORE_LIMIT_DEFAULT);
	assert_int_equal(l.max_message_size, STORE_LIMIT_DEFAULT);
	assert_int_equal(store_limits_set(f->st, "app", &own), 0);
	assert_int_equal(store_limits_get(f->st, "app", &l), 0);
	assert_memory_equal(&l, &own, sizeof(l));
	own.per_hour = -2;
	assert_int_equal(store_limits_set(f->st, "app", &own), -EINVAL);
	assert_int_equal(store_limits_get(f->st, "ghost", &l), -ENOENT);
	assert_int_equal(store_limits_set(f->st, "ghost", &own), -EINVAL);
	own.per_hour = 0;
	assert_int_equal(store_limits_set(f->st, "ghost", &own), -ENOENT);
}

static int sum_loaded(const struct store_usage *u, void *ctx)
{
	*(uint64_t *)ctx += u->count;
	return 0;
}

static void usage_adds_sums_and_prunes(void **state)
{
	struct fixture *f = *state;
	struct store_usage v[] = {
		{ "app", "", 100, 3 },
		{ "app", "", 101, 2 },
		{ "app", "example.org", 101, 2 },
		{ "app", "", 100, 1 }, /* the same minute again: added up */
	};
	uint64_t sum = 0;

	assert_int_equal(store_usage_add(f->st, v, 4), 0);
	assert_int_equal(store_usage_sum(f->st, "app", "", 100, 102, &sum), 0);
	assert_int_equal(sum, 6);
	assert_int_equal(store_usage_sum(f->st, "app", "", 101, 102, &sum), 0);
	assert_int_equal(sum, 2);
	assert_int_equal(store_usage_sum(f->st, "app", "example.org", 0, 1000, &sum), 0);
	assert_int_equal(sum, 2);
	sum = 0;
	assert_int_equal(store_usage_load(f->st, 101, sum_loaded, &sum), 0);
	assert_int_equal(sum, 4);
	assert_int_equal(store_usage_prune(f->st, 101), 0);
	assert_int_equal(store_usage_sum(f->st, "app", "", 0, 1000, &sum), 0);
	assert_int_equal(sum, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(senders_by_address_or_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(suppression_entries_replace_expire_and_filter,
						setup, teardown),
		cmocka_unit_test_setup_teardown(add_many_is_all_or_nothing_and_fast, setup,
						teardown),
		cmocka_unit_test_setup_teardown(limits_default_and_override, setup, teardown),
		cmocka_unit_test_setup_teardown(usage_adds_sums_and_prunes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
