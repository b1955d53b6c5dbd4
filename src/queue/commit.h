/*
 * commit.h - makes appended messages durable for the event loop, without blocking it.
 *
 * One thread runs the spool's group commit in rounds: each round flushes everything appended
 * before it started, then wakes the loop once, and the loop answers every message the round
 * made durable. Compared with one thread-pool job per message, this saves a thread hand-off
 * and a wake-up per message, which on a busy server are most of what durability costs.
 *
 * Promises: a waiter's callback runs on the loop thread, exactly once, after its sequence
 * number is settled (0: durable; -errno: gone for good, answer with a temporary failure), in
 * the order the waiters were queued.
 */
#ifndef TERN_SUBMIT_COMMIT_H
#define TERN_SUBMIT_COMMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "queue/spool.h"

struct commit_waiter {
	uint64_t seq; /* from spool_append */
	void (*done)(struct commit_waiter *w, int rc);
	struct commit_waiter *next;
};

struct committer {
	uv_async_t async;
	struct spool *spool;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t want;	 /* highest seq a waiter needs (under mu) */
	uint64_t synced; /* highest seq a finished round covered (under mu) */
	bool stop;	 /* under mu */
	bool running;
	struct commit_waiter *head, *tail; /* loop thread only */
};

/* Starts the thread. Returns 0 or a negative errno. */
int committer_start(struct committer *cm, uv_loop_t *loop, struct spool *sp);

/* Queues w (loop thread only); w->done runs once w->seq is settled. */
void committer_wait(struct committer *cm, struct commit_waiter *w);

/* Stops the thread and closes the loop handle (the loop must run once more to finish the
 * close). Call when no waiter is left. */
void committer_stop(struct committer *cm);

#endif
