/*
 * deliver.h - the delivery engine: takes what the spool holds to the recipients' mail servers.
 *
 * Every recipient of every spooled message ends in exactly one terminal state (delivered,
 * bounced, expired, suppressed, deleted) and every step is an event in the store. The engine
 * runs on the server's event loop; reading the spool, writing events and fsyncs run on the
 * loop's thread pool.
 *
 * Promises: a message leaves the spool only after every recipient is terminal and those
 * events, and any bounce written for them, are durable; after a crash everything not finished
 * is delivered again (at least once); a bounce is never sent for a message from the null
 * sender; the engine never blocks the loop on disk, DNS or a remote server.
 */
#ifndef TERN_DELIVER_DELIVER_H
#define TERN_DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/config.h"
#include "lib/log.h"
#include "queue/commit.h"
#include "queue/spool.h"

struct deliver;

struct deliver_deps {
	uv_loop_t *loop;
	struct spool *spool;
	struct committer *commit; /* makes bounces durable, shared with the submission side */
	struct logger *log;
};

/* Opens the engine's own store connection and the DNS resolver. NULL with err set. */
struct deliver *deliver_new(const struct deliver_deps *deps, const struct tern_config *cfg,
			    char *err, size_t errlen);
/* Takes in every live message of the spool (recovery) and starts scheduling. */
int deliver_start(struct deliver *d);
/* A message the submission side has made durable. */
/* dkim: what signed it, "example.com/sel1/rsa-sha256" or "none (no key for example.com)". */
void deliver_accepted(struct deliver *d, const char *id, int64_t received, size_t rcpt_count,
		      const char *sender, const char *user, const char *dkim);
/* A recipient accepted and left out of the spool because it is on the suppression list. */
void deliver_suppressed(struct deliver *d, const char *id, const char *sender, const char *user,
			const char *rcpt);
/* A new configuration (SIGHUP): routes, pools, TLS levels and limits apply to new
 * connections. */
void deliver_reload(struct deliver *d, const struct tern_config *cfg);
/* Stops: no new attempts; connections in flight are cut (their recipients stay queued and
 * are delivered after the restart); pending events are written. `done` runs when everything
 * is closed. */
void deliver_stop(struct deliver *d, void (*done)(void *arg), void *arg);
void deliver_free(struct deliver *d);

/* Operator actions, for the control socket. `what` selects: a queue id, "rcpt:ADDR",
 * "domain:DOMAIN" or "all". Each returns the number of messages it touched. */
size_t deliver_retry(struct deliver *d, const char *what);
size_t deliver_hold(struct deliver *d, const char *what, bool hold);
size_t deliver_delete(struct deliver *d, const char *what);

#endif
