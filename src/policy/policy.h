/*
 * policy.h - who may send as whom, to whom, and how much: the sender policy of the submission
 * server, decided per connection, per MAIL, per RCPT and per message.
 *
 * Promises:
 * - Limits are exact under concurrency. A message reserves its place in every quota at MAIL
 *   (so a client learns at once, before DATA, that a quota is spent), the reservation becomes
 *   a count when the message is accepted and is released when the transaction ends without
 *   it. However many sessions run at once, a quota of N lets exactly N messages through.
 * - Windows slide: "per minute" is any 60 seconds, "per day" any 24 hours (one-second buckets
 *   for the minute, one-minute buckets for the hour and the day).
 * - Time comes from the clock given at creation, so tests can move it without waiting.
 * - Counts are written to the store about every second (policy_flush) and read back at start
 *   (policy_load): a restart does not hand out a day's quota again, and `tern limits show`
 *   in another process sees what was used.
 * - Per-client state (connections, failed AUTH) is kept for a bounded number of addresses.
 * Everything runs on the event loop thread; nothing here is thread-safe.
 */
#ifndef TERN_POLICY_POLICY_H
#define TERN_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config.h"
#include "lib/log.h"
#include "proto/address.h"
#include "proto/smtp_server.h"
#include "store/store.h"

struct policy;
struct usage;

typedef int64_t (*policy_clock)(void *ctx); /* unix seconds */

/* NULL clock: the real one (time()). NULL when out of memory. */
struct policy *policy_new(struct store *st, struct logger *log, policy_clock clock,
			  void *clock_ctx);
void policy_free(struct policy *p);

/* Forgets what was read from the store about users (the cache also goes by itself when
 * another process changes the store; this is for changes through the same connection). */
void policy_forget(struct policy *p);

/* How often at most the store is asked whether it changed (default 2 ms; 0 for tests that
 * change it and check at once). */
void policy_set_version_interval(struct policy *p, int64_t ns);

/* Reads the last day's counts from the store (at start). 0 or -errno. */
int policy_load(struct policy *p);
/* Writes the counts made since the last flush to the store. 0 or -errno (kept for the next
 * try). */
int policy_flush(struct policy *p);

/* ---- connections ---------------------------------------------------------------------- */

/* A client at `ip` connects: SMTP_R_NONE and the connection is counted, or the reply that
 * refuses it (too many connections, or too many failed AUTH from this address lately). */
enum smtp_reply_id policy_connect(struct policy *p, const struct tern_config *cfg, const char *ip,
				  size_t total_sessions);
void policy_disconnect(struct policy *p, const char *ip); /* only after an accepted connect */
void policy_auth_failed(struct policy *p, const struct tern_config *cfg, const char *ip);

/* ---- a transaction -------------------------------------------------------------------- */

/* Per session, zeroed at start; policy_txn_end releases what it holds. */
struct policy_txn {
	char user[STORE_NAME_MAX + 1]; /* "" when no sender policy applies */
	struct store_limits lim;       /* effective: the user's own or the server's */
	struct usage *u;	       /* the user's counters, while a reservation is held */
	struct usage *dom;	       /* the user's counters for the sending domain */
	bool reserved;
	char mail_from[ADDRESS_MAX + 1];
	/* recipients accepted but suppressed, to leave out of delivery (grows as needed) */
	char (*suppressed)[ADDRESS_MAX + 1];
	size_t suppressed_count, suppressed_cap;
	char arg[ADDRESS_MAX + 1]; /* storage for a reply's arguments */
	char arg2[ADDRESS_MAX + 1];
};

/* Whose policy applies to a session: the authenticated user, or trusted_user for clients from
 * trusted_networks ("" and NULL: none). */
const char *policy_user(const struct tern_config *cfg, const char *auth_user, bool trusted);

/* The user's own message size and recipient limits (0: keep the listener's), for
 * smtp_server_set_limits as soon as the user is known (after AUTH, or at connect for a
 * trusted_user), so that SIZE= at MAIL is judged by them already. */
void policy_session_limits(struct policy *p, const struct tern_config *cfg, const char *user,
			   size_t *max_size, unsigned *max_rcpts);

/* MAIL FROM: suspended account, approved sender, quotas (reserving a place). Fills v (accept,
 * or the refusal) and returns v->accept. `size` is SIZE= (0 when absent). The user's own size
 * and recipient limits are in t->lim afterwards, for smtp_server_set_limits. */
bool policy_mail(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		 const char *user, const struct address *from, struct smtp_verdict *v);

/* RCPT TO: the suppression list. */
bool policy_rcpt(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		 const struct address *rcpt, struct smtp_verdict *v);

/* End of DATA, before the message is stored. For every message: a header section that
 * starts with a field and fits max_header_size, at most max_hops Received fields, exactly
 * one From field holding valid mailboxes (554 5.6.0, 554 5.4.6, 553 5.1.3). Where a sender
 * policy applies: one From mailbox equal to the envelope sender, or with allow_multiple_from
 * every one approved; a Sender field's mailbox approved (553 5.7.1 with what to change). */
bool policy_message(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		    const uint8_t *msg, size_t len, bool smtputf8, struct smtp_verdict *v);

/* Whether user may send as address (approved itself or by its domain). 0 or -errno. */
int policy_sender_allowed(struct policy *p, const char *user, const char *address, bool *ok);

/* True when rcpt was accepted as suppressed in this transaction (leave it out of delivery). */
bool policy_is_suppressed(const struct policy_txn *t, const char *rcpt);

/* The message was accepted: its reservation becomes a count. */
void policy_accepted(struct policy *p, struct policy_txn *t);
/* The transaction ended (accepted or not): releases a reservation still held. */
void policy_txn_end(struct policy *p, struct policy_txn *t);
/* The session ended: policy_txn_end, and the memory t holds (not t itself). */
void policy_txn_free(struct policy *p, struct policy_txn *t);

/* What remains of each quota of user now (for `tern limits show` and tests): -1 where there
 * is no limit. */
struct policy_remaining {
	int64_t minute, hour, day;
};
void policy_remaining(struct policy *p, const struct tern_config *cfg, const char *user,
		      struct policy_remaining *out);

#endif
