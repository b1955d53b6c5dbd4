/*
 * test_policy.c - the sender policy against a real SQLite store, with a clock the tests move:
 * quotas exact with reservations, sliding windows, approved senders, suspension,
 * suppression replies, per-address connection limits and the failed-AUTH throttle, and
 * counts that survive a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

struct fixture {
	char dir[64];
	struct store *st;
	struct policy *p;
	struct tern_config cfg;
	int64_t now;
	struct logger log;
};

static int64_t fake_clock(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

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
	char path[128], err[512];

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/tern-policy-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tern.db", f->dir);
	if (store_open_sqlite(path, &f->st, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	config_defaults(&f->cfg);
	f->now = 1767225600; /* 2026-01-01 00:00:00 */
	logger_init(&f->log, stderr, LOG_ERROR);
	f->p = policy_new(f->st, &f->log, fake_clock, f);
	if (f->p == NULL || store_user_add(f->st, "app", "pw", 2) != 0 ||
	    store_sender_add(f->st, "app", "news@example.com") != 0 ||
	    store_sender_add(f->st, "app", "@example.org") != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	policy_free(f->p);
	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct address addr(const char *s)
{
	struct address a;

	assert_int_equal(address_parse(s, strlen(s), false, &a), ADDRESS_OK);
	return a;
}

/* MAIL FROM as user "app"; returns the reply id (SMTP_R_NONE when accepted). */
static enum smtp_reply_id mail(struct fixture *f, struct policy_txn *t, const char *from)
{
	struct address a = addr(from);
	struct smtp_verdict v;

	if (policy_mail(f->p, &f->cfg, t, "app", &a, &v))
		return SMTP_R_NONE;
	assert_int_not_equal(v.reply, SMTP_R_NONE);
	return v.reply;
}

/* One whole message: MAIL accepted, then counted. */
static void send_one(struct fixture *f, const char *from)
{
	struct policy_txn t = { 0 };

	assert_int_equal(mail(f, &t, from), SMTP_R_NONE);
	policy_accepted(f->p, &t);
	assert_false(t.reserved);
}

static void per_minute_quota_is_exact_with_reservations(void **state)
{
	struct fixture *f = *state;
	struct policy_txn t[7];
	struct address a = addr("news@example.com");
	struct smtp_verdict v;

	memset(t, 0, sizeof(t));
	f->cfg.per_minute = 5;
	/* five transactions in progress at once hold the five places */
	for (int i = 0; i < 5; i++)
		assert_int_equal(mail(f, &t[i], "news@example.com"), SMTP_R_NONE);
	assert_false(policy_mail(f->p, &f->cfg, &t[5], "app", &a, &v));
	assert_int_equal(v.reply, SMTP_R_RATE_MINUTE);
	assert_string_equal(v.arg, "5");
	/* one gives up (RSET): its place is free again */
	policy_txn_end(f->p, &t[0]);
	assert_int_equal(mail(f, &t[5], "news@example.com"), SMTP_R_NONE);
	for (int i = 1; i < 6; i++)
		policy_accepted(f->p, &t[i]);
	assert_int_equal(mail(f, &t[6], "news@example.com"), SMTP_R_RATE_MINUTE);
	/* the window slides: 59 s later still spent, 60 s later free */
	f->now += 59;
	assert_int_equal(mail(f, &t[6], "news@example.com"), SMTP_R_RATE_MINUTE);
	f->now += 1;
	assert_int_equal(mail(f, &t[6], "news@example.com"), SMTP_R_NONE);
	policy_txn_end(f->p, &t[6]);
}

static void hour_day_and_domain_quotas(void **state)
{
	struct fixture *f = *state;
	struct policy_txn t = { 0 };
	struct policy_remaining r;

	f->cfg.per_day = 4;
	f->cfg.domain_per_hour = 2;
	send_one(f, "a@example.org");
	send_one(f, "b@example.org");
	/* the domain's hour is spent, another approved domain's is not */
	assert_int_equal(mail(f, &t, "c@example.org"), SMTP_R_RATE_DOMAIN_HOUR);
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_NONE);
	policy_accepted(f->p, &t);
	f->now += 3600;
	send_one(f, "c@example.org");
	policy_remaining(f->p, &f->cfg, "app", &r);
	assert_int_equal(r.day, 0);
	assert_int_equal(r.minute, -1); /* no limit */
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_RATE_DAY);
	/* a day after the first two, their places come back */
	f->now += 23 * 3600 - 59;
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_RATE_DAY);
	f->now += 60;
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_NONE);
	policy_txn_end(f->p, &t);

	f->cfg.per_day = 0;
	f->cfg.per_hour = 1;
	f->now += 7200;
	send_one(f, "news@example.com");
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_RATE_HOUR);
}

static void a_users_own_limits_win(void **state)
{
	struct fixture *f = *state;
	struct store_limits own = { 1, -1, -1, -1, 2, 5000 };
	struct policy_txn t = { 0 };

	f->cfg.per_minute = 100;
	assert_int_equal(store_limits_set(f->st, "app", &own), 0);
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_NONE);
	assert_int_equal(t.lim.max_recipients, 2);
	assert_int_equal(t.lim.max_message_size, 5000);
	policy_accepted(f->p, &t);
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_RATE_MINUTE);
}

static void senders_must_be_approved_and_accounts_active(void **state)
{
	struct fixture *f = *state;
	struct policy_txn t = { 0 };
	struct address a = addr("other@example.com");
	struct smtp_verdict v;

	assert_false(policy_mail(f->p, &f->cfg, &t, "app", &a, &v));
	assert_int_equal(v.reply, SMTP_R_SENDER_NOT_AUTHORIZED);
	assert_null(v.arg); /* the session fills in the address of MAIL */
	assert_int_equal(mail(f, &t, "NEWS@Example.COM"), SMTP_R_NONE);
	assert_int_equal(mail(f, &t, "anyone@example.org"), SMTP_R_NONE);
	assert_int_equal(mail(f, &t, "x@sub.example.org"), SMTP_R_SENDER_NOT_AUTHORIZED);
	assert_int_equal(store_user_set_enabled(f->st, "app", false), 0);
	/* read from the cache until told: a change through this same connection */
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_NONE);
	policy_forget(f->p);
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_ACCOUNT_SUSPENDED);
	policy_txn_end(f->p, &t);
	/* a trusted client without trusted_user has no sender policy */
	assert_null(policy_user(&f->cfg, NULL, true));
	strcpy(f->cfg.trusted_user, "app");
	assert_string_equal(policy_user(&f->cfg, NULL, true), "app");
	assert_null(policy_user(&f->cfg, NULL, false));
}

/* A change made by another process (the admin CLI) is seen at the next MAIL. */
static void changes_from_another_connection_are_seen_at_once(void **state)
{
	struct fixture *f = *state;
	struct policy_txn t = { 0 };
	struct store *other;
	char path[128], err[512];

	snprintf(path, sizeof(path), "%s/tern.db", f->dir);
	assert_int_equal(store_open_sqlite(path, &other, err, sizeof(err)), 0);
	policy_set_version_interval(f->p, 0);
	assert_int_equal(mail(f, &t, "late@example.com"), SMTP_R_SENDER_NOT_AUTHORIZED);
	assert_int_equal(store_sender_add(other, "app", "late@example.com"), 0);
	assert_int_equal(mail(f, &t, "late@example.com"), SMTP_R_NONE);
	assert_int_equal(store_user_set_enabled(other, "app", false), 0);
	assert_int_equal(mail(f, &t, "late@example.com"), SMTP_R_ACCOUNT_SUSPENDED);
	policy_txn_end(f->p, &t);
	store_close(other);
}

static void suppressed_recipients_get_the_configured_reply(void **state)
{
	struct fixture *f = *state;
	struct store_suppression e = { .reason = STORE_SUPPRESS_BOUNCE, .created = 1 };
	struct policy_txn t = { 0 };
	struct address gone = addr("gone@example.net"), fine = addr("fine@example.net");
	struct smtp_verdict v;

	strcpy(e.address, "gone@example.net");
	strcpy(e.source, "test");
	assert_int_equal(store_suppress_add(f->st, &e), 0);
	assert_int_equal(mail(f, &t, "news@example.com"), SMTP_R_NONE);
	assert_true(policy_rcpt(f->p, &f->cfg, &t, &fine, &v));
	assert_int_equal(v.reply, SMTP_R_NONE);
	assert_true(policy_rcpt(f->p, &f->cfg, &t, &gone, &v));
	assert_int_equal(v.reply, SMTP_R_SUPPRESSED_ACCEPTED);
	assert_string_equal(v.arg2, "bounce");
	assert_true(policy_is_suppressed(&t, "gone@example.net"));
	assert_false(policy_is_suppressed(&t, "fine@example.net"));
	f->cfg.suppression_reply = SUPPRESS_REPLY_254;
	assert_true(policy_rcpt(f->p, &f->cfg, &t, &gone, &v));
	assert_int_equal(v.reply, SMTP_R_SUPPRESSED_254);
	assert_string_equal(v.arg, "app");
	assert_string_equal(v.arg2, "gone@example.net");
	f->cfg.suppression_reply = SUPPRESS_REPLY_REJECT;
	assert_false(policy_rcpt(f->p, &f->cfg, &t, &gone, &v));
	assert_int_equal(v.reply, SMTP_R_SUPPRESSED_REJECTED);
	/* an entry that has expired no longer counts */
	e.expires = f->now - 1;
	assert_int_equal(store_suppress_add(f->st, &e), 0);
	assert_true(policy_rcpt(f->p, &f->cfg, &t, &gone, &v));
	assert_int_equal(v.reply, SMTP_R_NONE);
	policy_txn_free(f->p, &t);
}

static void connections_per_address_are_limited(void **state)
{
	struct fixture *f = *state;

	f->cfg.max_connections_per_ip = 2;
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.1", 1), SMTP_R_NONE);
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.1", 2), SMTP_R_NONE);
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.1", 3),
			 SMTP_R_TOO_MANY_CONNECTIONS);
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.2", 3), SMTP_R_NONE);
	policy_disconnect(f->p, "192.0.2.1");
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.1", 3), SMTP_R_NONE);
	f->cfg.max_connections = 10;
	assert_int_equal(policy_connect(f->p, &f->cfg, "192.0.2.3", 11),
			 SMTP_R_TOO_MANY_CONNECTIONS);
}

static void failed_auth_throttles_one_address_for_a_window(void **state)
{
	struct fixture *f = *state;

	f->cfg.auth_failures_per_ip = 3;
	f->cfg.auth_failure_window = 600;
	for (int i = 0; i < 3; i++)
		policy_auth_failed(f->p, &f->cfg, "198.51.100.7");
	assert_int_equal(policy_connect(f->p, &f->cfg, "198.51.100.7", 1),
			 SMTP_R_AUTH_TOO_MANY_FAILURES);
	assert_int_equal(policy_connect(f->p, &f->cfg, "198.51.100.8", 1), SMTP_R_NONE);
	f->now += 599;
	assert_int_equal(policy_connect(f->p, &f->cfg, "198.51.100.7", 1),
			 SMTP_R_AUTH_TOO_MANY_FAILURES);
	f->now += 1;
	assert_int_equal(policy_connect(f->p, &f->cfg, "198.51.100.7", 1), SMTP_R_NONE);
}

static void counts_survive_a_restart(void **state)
{
	struct fixture *f = *state;
	struct policy_remaining r;
	uint64_t sum = 0;

	f->cfg.per_day = 10;
	for (int i = 0; i < 3; i++)
		send_one(f, "news@example.com");
	assert_int_equal(policy_flush(f->p), 0);
	assert_int_equal(
		store_usage_sum(f->st, "app", "", f->now / 60 - 1440, f->now / 60 + 1, &sum), 0);
	assert_int_equal(sum, 3);
	policy_free(f->p);
	f->now += 3600;
	f->p = policy_new(f->st, &f->log, fake_clock, f);
	assert_non_null(f->p);
	assert_int_equal(policy_load(f->p), 0);
	policy_remaining(f->p, &f->cfg, "app", &r);
	assert_int_equal(r.day, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(per_minute_quota_is_exact_with_reservations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(hour_day_and_domain_quotas, setup, teardown),
		cmocka_unit_test_setup_teardown(a_users_own_limits_win, setup, teardown),
		cmocka_unit_test_setup_teardown(senders_must_be_approved_and_accounts_active, setup,
						teardown),
		cmocka_unit_test_setup_teardown(changes_from_another_connection_are_seen_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(suppressed_recipients_get_the_configured_reply,
						setup, teardown),
		cmocka_unit_test_setup_teardown(connections_per_address_are_limited, setup,
						teardown),
		cmocka_unit_test_setup_teardown(failed_auth_throttles_one_address_for_a_window,
						setup, teardown),
		cmocka_unit_test_setup_teardown(counts_survive_a_restart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
