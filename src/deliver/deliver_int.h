/*
 * deliver_int.h - what the parts of the delivery engine share: the queue index (queue.c), the
 * scheduler and outcomes (engine.c), outbound connections (outbound.c), the event writer and
 * bounces (finish.c).
 */
#ifndef TERN_DELIVER_DELIVER_INT_H
#define TERN_DELIVER_DELIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "deliver/deliver.h"
#include "lib/buf.h"
#include "lib/hmap.h"
#include "net/dns.h"
#include "net/tls.h"
#include "proto/smtp_client.h"
#include "store/store.h"

/* Per recipient. Terminal states never change again. */
enum rstate {
	RS_QUEUED = 0, /* waiting for its next attempt */
	RS_INFLIGHT,   /* in a job */
	RS_DEFERRED,   /* a temporary failure; next_at says when again */
	RS_DELIVERED,
	RS_BOUNCED,
	RS_EXPIRED,
	RS_SUPPRESSED,
	RS_DELETED,
};
static inline bool rstate_terminal(uint8_t s)
{
	return s >= RS_DELIVERED;
}

struct qrcpt {
	uint8_t state;	   /* enum rstate */
	uint16_t attempts; /* attempts that ended in a temporary failure */
	int64_t next_at;   /* unix ms; for QUEUED and DEFERRED */
};

/* A recipient's failure that goes into the next bounce (or delay notice) of its message. */
struct failure {
	struct failure *next;
	uint32_t rcpt;
	bool delayed; /* a delay notice, not a bounce */
	int basic;
	struct enh_code enh;
	int64_t when;
	char remote[256];
	char reply[512];
};

/* The message bytes and envelope while jobs use them. */
struct msgdata {
	int refs;
	struct spool_message m;
	char dkim[300]; /* "d/s/a" of the signatures tern put on top, or "none" */
};

#define HEAP_NONE UINT32_MAX

/* A message in the queue: 88 bytes with its first recipient's state (the usual message has
 * one), 16 more per further recipient; the spool has everything else. A large backlog costs
 * this, the map entry and the spool's index entry per message. */
struct qmsg {
	char id[SPOOL_ID_LEN + 1];
	bool held : 1;
	bool loading : 1;     /* being read from the spool */
	bool recovered : 1;   /* from before a restart: ask the events what already happened */
	bool warned : 1;      /* a delay notice went out */
	bool finishing : 1;   /* waiting for its bounce / events / spool removal */
	bool null_sender : 1; /* known after the first load */
	uint16_t inflight;    /* jobs out */
	uint32_t nrcpt;
	uint32_t heap_idx; /* HEAP_NONE when not in the heap */
	int64_t received;  /* unix ms */
	int64_t next_at;   /* heap key, unix ms; INT64_MAX when nothing is due */
	struct qrcpt *r;   /* &first when nrcpt <= 1 */
	struct failure *fails;
	struct msgdata *data;
	struct qrcpt first;
};

/* Recipients of one message going to one destination over one connection. */
struct job {
	struct job *next;
	struct qmsg *m;
	struct msgdata *data;
	struct dest *dest;
	size_t n;
	uint32_t *idx;	    /* recipient indices in m */
	const char **rcpts; /* their addresses, in data */
	struct smtp_rcpt_result *res;
	struct smtp_client_message msg;
};

/* Where jobs wait for a connection: one per (pool, domain or route). */
struct dest {
	char key[320];
	char domain[256];	   /* the recipients' domain (lowercase) */
	struct route_config route; /* copied; route.host "" = MX of domain */
	bool has_route;
	int pool; /* index in cfg->pools, -1 for none */
	struct job *head, *tail;
	size_t queued;
	unsigned active;       /* connections open for it (idle ones included) */
	struct outbound *idle; /* open, greeted and waiting for a job (connection_cache_time) */
};

struct round;

struct pending_event {
	struct pending_event *next;
	uint64_t seq;
	bool suppress; /* also add the recipient to the suppression list */
	struct store_event e;
	char strings[]; /* the event's strings, packed */
};

struct event_waiter {
	struct event_waiter *next;
	uint64_t seq;
	void (*done)(struct event_waiter *w);
};

struct deliver {
	uv_loop_t *loop;
	struct spool *spool;
	struct committer *commit;
	struct logger *log;
	struct tern_config *cfg;
	struct store *store;
	struct dns_resolver *dns;
	struct tls_context *tls; /* client context; NULL when it could not be made */
	struct hmap *msgs;	 /* id -> qmsg */
	struct hmap *dests;	 /* key -> dest */
	struct qmsg **heap;
	size_t heap_len, heap_cap;
	uv_timer_t tick;
	int64_t tick_at;		      /* when the timer fires, INT64_MAX when stopped */
	unsigned active;		      /* outbound connections */
	unsigned pool_next[CONFIG_POOLS_MAX]; /* each pool's addresses are used in turn */
	struct outbound *conns;
	bool stopping;
	void (*stopped)(void *arg);
	void *stopped_arg;
	size_t loads; /* spool reads in flight */
	/* event writer */
	struct pending_event *ev_head, *ev_tail;
	size_t ev_count;
	uint64_t ev_seq, ev_durable;
	bool ev_flushing;
	uv_work_t ev_work;
	struct pending_event *ev_batch;
	int ev_rc;
	struct event_waiter *ev_waiters;
	uv_timer_t ev_retry;
	uv_timer_t prune; /* hourly: events older than event_retention go */
	uv_work_t prune_work;
	bool pruning;
	int64_t pruned;
	size_t works; /* other thread-pool jobs in flight */
	/* finished messages waiting to leave the spool, and the batch doing so */
	struct round *rm_head, *rm_batch;
	bool rm_running;
	uv_work_t rm_work;
};

/* deliver.c: calls the stop callback once nothing is left in flight */
void deliver_check_stopped(struct deliver *d);

/* queue.c: the index and the heap of due times */
struct qmsg *q_add(struct deliver *d, const char *id, int64_t received, size_t nrcpt);
void q_remove(struct deliver *d, struct qmsg *m);
void q_schedule(struct deliver *d, struct qmsg *m); /* recomputes next_at, fixes the heap */
struct qmsg *q_peek(struct deliver *d);
int64_t now_ms(const struct deliver *d);

/* engine.c */
void engine_kick(struct deliver *d); /* (re)arms the timer for the earliest due message */
void engine_job_done(struct deliver *d, struct job *j, const char *host, const char *ip,
		     const char *tls);
/* Decides the recipients whose result is final; keeps in j those for another transaction
 * (452 4.5.3) and, with keep_temp, those with a temporary failure (to try the next host).
 * Returns j when some are kept, else NULL (the job is over). */
struct job *engine_job_settle(struct deliver *d, struct job *j, bool keep_temp, const char *host,
			      const char *ip, const char *tls);
/* Hands the job's recipients back, untried (a stop): due again at once. */
void engine_job_return(struct deliver *d, struct job *j);
void engine_job_failed(struct deliver *d, struct job *j, const struct smtp_client_reply *why,
		       bool permanent, const char *host, const char *ip, const char *tls);
struct job *dest_pop(struct dest *ds);
void dest_push_front(struct dest *ds, struct job *j);
void dest_release(struct deliver *d, struct dest *ds); /* a connection of ds ended */
void dest_fail_all(struct deliver *d, struct dest *ds, const struct smtp_client_reply *why,
		   bool permanent, const char *host, const char *ip);
void job_free(struct job *j);

/* outbound.c */
struct outbound;
bool outbound_start(struct deliver *d, struct dest *ds, struct job *first);
/* Hands the next queued job of ds to one of its idle connections; false when it has none. */
bool outbound_wake(struct dest *ds);
/* Closes every idle connection (a connection slot is wanted elsewhere). */
void outbound_close_idle(struct deliver *d);
void outbound_abort_all(struct deliver *d, const char *why);

/* finish.c: events, bounces, removal */
void ev_add(struct deliver *d, const struct qmsg *m, const struct msgdata *md, const char *rcpt,
	    enum store_event_status st, int attempt, const char *host, const char *ip,
	    const char *tls, const char *dsn, const char *reply, const char *category,
	    bool suppress);
void ev_wait(struct deliver *d, struct event_waiter *w);
void ev_flush(struct deliver *d);
void finish_round(struct deliver *d, struct qmsg *m);
void msgdata_unref(struct msgdata *md);

#endif
