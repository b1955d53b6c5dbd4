/*
 * rotate.h - DKIM key rotation without a gap, driven by the running server.
 *
 * `tern dkim rotate` makes a new key 'pending' and prints its record; the operator publishes
 * it. Every check interval the rotator looks up SELECTOR._domainkey.DOMAIN TXT for each
 * pending key. Once a record there carries the key's own public key (p=, compared without
 * whitespace, whatever the other tags and their order), the key becomes 'active' and every
 * other active key of its domain and algorithm 'retiring' until now + grace: the signer
 * (reloaded by the server within a second of the store changing) switches to the new key, and
 * the old record stays published while mail signed with the old key may still be checked. A
 * retiring key whose time has come becomes 'retired' (its file stays; `tern dkim remove`
 * deletes it).
 *
 * Promises:
 * - The store is only touched on the loop's thread pool (uv_queue_work), never on the loop.
 * - A pending key is never activated without its record being seen, and the new key is made
 *   active before the old one stops being active, so there is no moment without a key.
 * - Each step is one log line, `event=dkim_rotation domain=D selector=S step=published|
 *   activated|retiring|retired result=ok|waiting|failed detail="..."`, and each change is an
 *   event in the store's event log (queue id "dkim", status "key", sender the domain). That a
 *   record is not published yet is logged at most once an hour per key.
 * - One check at a time: a check that is still running when the next is due makes it wait.
 */
#ifndef TERN_DKIM_ROTATE_H
#define TERN_DKIM_ROTATE_H

#include <stdbool.h>
#include <uv.h>

#include "lib/log.h"
#include "net/dns.h"
#include "store/store.h"

struct dkim_rotator;

/* Starts checking every check_interval_s seconds (at least 1; the first check a second from
 * now); retiring keys stay so for grace_s seconds. st must be a connection of its own: the
 * server sees other connections' changes (SQLite's data_version) and reloads its signer. st,
 * dns and log belong to the caller and must outlive the rotator's memory (see
 * dkim_rotator_free). NULL when out of memory. */
struct dkim_rotator *dkim_rotator_new(uv_loop_t *loop, struct store *st, struct dns_resolver *dns,
				      struct logger *log, unsigned check_interval_s,
				      unsigned grace_s);

/* New values from a reloaded configuration; the next check is check_interval_s from now. */
void dkim_rotator_configure(struct dkim_rotator *r, unsigned check_interval_s, unsigned grace_s);

/* Stops the checks; NULL is fine. A check in progress ends on its own: its store work
 * finishes on the thread pool (keep the store open until the loop has run dry), its lookups
 * end when they are answered or when the resolver is freed (free the resolver after this,
 * not before: no lookup is started once this has been called). The memory goes once all
 * that has ended and the timer has closed; the loop must run for it. */
void dkim_rotator_free(struct dkim_rotator *r);

/* Whether the DKIM key record `record` (a TXT record's strings joined) publishes the key of
 * `value` (what dkim_txt_value gives): both have exactly one p= tag, not empty, and the two
 * are equal once whitespace is removed. Other tags and their order do not matter; a record
 * that is not a tag-list (a segment without '=') publishes nothing. */
bool dkim_record_has_key(const char *record, const char *value);

#endif
