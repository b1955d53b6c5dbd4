/*
 * finish.c - the end of each delivery round: bounces and delay notices, the event log, and
 * the removal of finished messages from the spool.
 *
 * Order matters for what a crash can do. A round's bounce is made durable in the spool first,
 * then the round's events, and only when every recipient is terminal is the message marked
 * done in the spool. A crash between two steps repeats work (a recipient delivered twice, a
 * bounce sent twice) but never loses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "deliver/deliver_int.h"
#include "proto/dsn.h"

void msgdata_unref(struct msgdata *md)
{
	if (md == NULL || --md->refs > 0)
		return;
	spool_message_free(&md->m);
	free(md);
}

/* ---- the event writer ------------------------------------------------------------------ */

#define EV_BATCH_MAX 4096

static char *pack(char **at, const char *s)
{
	char *start = *at;
	size_t n = strlen(s ? s : "");

	memcpy(start, s ? s : "", n + 1);
	*at += n + 1;
	return start;
}

void ev_add(struct deliver *d, const struct qmsg *m, const struct msgdata *md, const char *rcpt,
	    enum store_event_status st, int attempt, const char *host, const char *ip,
	    const char *tls, const char *dsn, const char *reply, const char *category,
	    bool suppress)
{
	const char *sender = md ? md->m.mail_from : "", *user = md ? md->m.user : "";
	struct spool_entry se;
	const char *parts[] = { m->id, rcpt, sender, user, host, ip, tls, dsn, reply, category };

	/* A message not read at the moment (an operator's action) still names its sender. */
	if (md == NULL && spool_entry_get(d->spool, m->id, &se) == 0)
		parts[2] = sender = se.mail_from;
	size_t len = 0;
	struct pending_event *p;
	char *at;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		len += strlen(parts[i] ? parts[i] : "") + 1;
	if ((p = calloc(1, sizeof(*p) + len)) == NULL) {
		log_event(d->log, LOG_ERROR, "event_lost", "queue_id=%s rcpt=%s status=%s", m->id,
			  rcpt, store_event_status_name(st));
		return;
	}
	at = p->strings;
	p->e.queue_id = pack(&at, m->id);
	p->e.recipient = pack(&at, rcpt);
	p->e.sender = pack(&at, sender);
	p->e.user = pack(&at, user);
	p->e.remote_host = pack(&at, host);
	p->e.remote_ip = pack(&at, ip);
	p->e.tls = pack(&at, tls);
	p->e.dsn = pack(&at, dsn);
	p->e.reply = pack(&at, reply);
	p->e.category = pack(&at, category);
	p->e.status = st;
	p->e.attempt = attempt;
	p->e.time_ms = now_ms(d);
	p->e.delay_ms = p->e.time_ms - m->received;
	p->suppress = suppress;
	p->seq = ++d->ev_seq;
	if (d->ev_tail != NULL)
		d->ev_tail->next = p;
	else
		d->ev_head = p;
	d->ev_tail = p;
	d->ev_count++;
}

static void ev_work(uv_work_t *w)
{
	struct deliver *d = w->data;
	struct store_event *v = calloc(EV_BATCH_MAX, sizeof(*v));
	size_t n = 0;

	if (v == NULL) {
		d->ev_rc = -ENOMEM;
		return;
	}
	for (struct pending_event *p = d->ev_batch; p != NULL; p = p->next)
		v[n++] = p->e;
	d->ev_rc = store_events_add(d->store, v, n);
	free(v);
	if (d->ev_rc != 0)
		return;
	/* Hard bounces of the configured kinds stop further mail to the address. */
	for (struct pending_event *p = d->ev_batch; p != NULL; p = p->next) {
		struct store_suppression s = { 0 };
		if (!p->suppress)
			continue;
		snprintf(s.address, sizeof(s.address), "%s", p->e.recipient);
		snprintf(s.source, sizeof(s.source), "bounce %s: %s", p->e.queue_id, p->e.reply);
		s.reason = STORE_SUPPRESS_BOUNCE;
		s.created = p->e.time_ms / 1000;
		(void)store_suppress_add(d->store, &s);
	}
}

static void ev_retry(uv_timer_t *t)
{
	ev_flush(t->data);
}

static void ev_done(uv_work_t *w, int status)
{
	struct deliver *d = w->data;
	struct pending_event *batch = d->ev_batch, *last = batch;
	int rc = status != 0 ? status : d->ev_rc;

	d->ev_batch = NULL;
	d->ev_flushing = false;
	while (last != NULL && last->next != NULL)
		last = last->next;
	if (rc != 0) {
		/* Kept, and written again shortly: a message is never removed from the spool
		 * before its events are stored. */
		log_event(d->log, LOG_ERROR, "events_write",
			  "error=\"%s\" events=%s hint=\"kept in memory, retried in 1 s\"",
			  strerror(rc < 0 ? -rc : rc), "pending");
		if (last != NULL) {
			last->next = d->ev_head;
			d->ev_head = batch;
			if (d->ev_tail == NULL)
				d->ev_tail = last;
		}
		uv_timer_start(&d->ev_retry, ev_retry, 1000, 0);
		return;
	}
	if (last != NULL)
		d->ev_durable = last->seq;
	while (batch != NULL) {
		struct pending_event *n = batch->next;
		free(batch);
		batch = n;
	}
	/* Waiters, in order of their sequence numbers. */
	for (;;) {
		struct event_waiter **pp = &d->ev_waiters, *w2 = NULL;
		for (; *pp != NULL; pp = &(*pp)->next) {
			if ((*pp)->seq <= d->ev_durable) {
				w2 = *pp;
				*pp = w2->next;
				break;
			}
		}
		if (w2 == NULL)
			break;
		w2->done(w2);
	}
	ev_flush(d);
	deliver_check_stopped(d);
}

void ev_flush(struct deliver *d)
{
	struct pending_event *p, *last = NULL;
	size_t n = 0;

	if (d->ev_flushing || d->ev_head == NULL)
		return;
	for (p = d->ev_head; p != NULL && n < EV_BATCH_MAX; p = p->next, n++)
		last = p;
	d->ev_batch = d->ev_head;
	d->ev_head = last->next;
	if (d->ev_head == NULL)
		d->ev_tail = NULL;
	last->next = NULL;
	d->ev_count -= n;
	d->ev_work.data = d;
	d->ev_flushing = true;
	if (uv_queue_work(d->loop, &d->ev_work, ev_work, ev_done) != 0) {
		d->ev_flushing = false;
		last->next = d->ev_head;
		d->ev_head = d->ev_batch;
		if (d->ev_tail == NULL)
			d->ev_tail = last;
		d->ev_batch = NULL;
		d->ev_count += n;
	}
}

void ev_wait(struct deliver *d, struct event_waiter *w)
{
	w->seq = d->ev_seq;
	if (w->seq <= d->ev_durable) {
		w->done(w);
		return;
	}
	w->next = d->ev_waiters;
	d->ev_waiters = w;
	ev_flush(d);
}

/* ---- a round's end --------------------------------------------------------------------- */

struct round {
	struct commit_waiter cw; /* first: the committer hands this back */
	struct event_waiter ew;
	struct round *next_removal;
	struct deliver *d;
	struct qmsg *m;
	char bounce_id[2][SPOOL_ID_MAX];
	int64_t bounce_received;
	size_t bounces;
	int rc;
};

static bool all_terminal(const struct qmsg *m)
{
	for (uint32_t i = 0; i < m->nrcpt; i++)
		if (!rstate_terminal(m->r[i].state))
			return false;
	return true;
}

static void round_free(struct round *r)
{
	struct deliver *d = r->d;

	d->works--;
	free(r);
	if (d->stopping)
		ev_flush(d); /* the last events of the round; its completion reports the stop */
	deliver_check_stopped(d);
}

/* Messages whose every recipient is terminal leave the spool in batches: one work item and
 * one flush of done marks for all that finished meanwhile. */
static void remove_work(uv_work_t *w)
{
	struct deliver *d = w->data;
	size_t n = 0;

	for (struct round *r = d->rm_batch; r != NULL; r = r->next_removal)
		n++;
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	int *rcs = calloc(n ? n : 1, sizeof(*rcs));
	if (ids == NULL || rcs == NULL) {
		for (struct round *r = d->rm_batch; r != NULL; r = r->next_removal)
			r->rc = -ENOMEM;
		goto done;
	}
	n = 0;
	for (struct round *r = d->rm_batch; r != NULL; r = r->next_removal)
		ids[n++] = r->m->id;
	spool_done_many(d->spool, ids, n, rcs);
	n = 0;
	for (struct round *r = d->rm_batch; r != NULL; r = r->next_removal)
		r->rc = rcs[n++];
done:
	free(ids);
	free(rcs);
}

static void remove_start(struct deliver *d);

static void removed(uv_work_t *w, int status)
{
	struct deliver *d = w->data;
	struct round *r = d->rm_batch, *next;

	d->rm_batch = NULL;
	d->rm_running = false;
	for (; r != NULL; r = next) {
		struct qmsg *m = r->m;
		int rc = status != 0 ? status : r->rc;
		next = r->next_removal;
		if (rc != 0 && rc != -ENOENT) {
			log_event(d->log, LOG_ERROR, "spool_done",
				  "queue_id=%s error=\"%s\" hint=\"finished, stays in the spool "
				  "until the next start\"",
				  m->id, strerror(-rc));
			m->finishing = false;
		} else {
			log_event(d->log, LOG_DEBUG, "removed", "queue_id=%s", m->id);
			q_remove(d, m);
		}
		round_free(r);
	}
	remove_start(d);
}

static void remove_start(struct deliver *d)
{
	if (d->rm_running || d->rm_head == NULL)
		return;
	d->rm_batch = d->rm_head;
	d->rm_head = NULL;
	d->rm_running = true;
	d->rm_work.data = d;
	if (uv_queue_work(d->loop, &d->rm_work, remove_work, removed) != 0) {
		d->rm_head = d->rm_batch;
		d->rm_batch = NULL;
		d->rm_running = false;
	}
}

static void events_stored(struct event_waiter *w)
{
	struct round *r = (struct round *)((char *)w - offsetof(struct round, ew));
	struct deliver *d = r->d;
	struct qmsg *m = r->m;

	if (all_terminal(m)) {
		r->next_removal = d->rm_head;
		d->rm_head = r;
		remove_start(d);
		return;
	}
	m->finishing = false;
	/* Between attempts only the index stays in memory; the spool has the message. */
	msgdata_unref(m->data);
	m->data = NULL;
	q_schedule(d, m);
	engine_kick(d);
	round_free(r);
}

static void bounces_durable(struct commit_waiter *cw, int rc)
{
	struct round *r = (struct round *)cw;
	struct deliver *d = r->d;

	if (rc != 0) {
		/* The disk refused the bounce: the failures stay recorded in the events
		 * (`tern events --id`), and the log says the sender was not told. */
		log_event(d->log, LOG_ERROR, "bounce_store",
			  "queue_id=%s error=\"%s\" hint=\"the sender gets no bounce; tern events "
			  "--id %s shows the failures\"",
			  r->m->id, strerror(-rc), r->m->id);
	} else {
		for (size_t i = 0; i < r->bounces; i++) {
			struct qmsg *b = q_add(d, r->bounce_id[i], r->bounce_received, 1);
			if (b == NULL)
				continue;
			ev_add(d, b, NULL, r->m->data ? r->m->data->m.mail_from : "", EV_QUEUED, 0,
			       "", "", "", "", "delivery status notification", "", false);
			q_schedule(d, b);
		}
		engine_kick(d);
	}
	ev_wait(d, &r->ew);
}

/* Builds and appends one DSN for the failures of one kind; false when none was made. */
static bool make_dsn(struct deliver *d, struct qmsg *m, bool delayed, char *id, int64_t now,
		     uint64_t *seq)
{
	struct msgdata *md = m->data;
	struct dsn_recipient *rv;
	struct dsn_report rep = { 0 };
	struct spool_envelope env = { 0 };
	const char *to[1];
	struct buf out = BUF_INIT;
	char msgid[300], boundary[64];
	uint8_t rnd[12];
	size_t n = 0, count = 0;
	bool ok = false;

	for (struct failure *f = m->fails; f != NULL; f = f->next)
		count += f->delayed == delayed;
	if (count == 0 || md == NULL || m->null_sender)
		return false;
	if ((rv = calloc(count, sizeof(*rv))) == NULL)
		return false;
	for (struct failure *f = m->fails; f != NULL; f = f->next) {
		if (f->delayed != delayed)
			continue;
		rv[n].address = md->m.rcpts[f->rcpt];
		rv[n].action = delayed ? DSN_DELAYED : DSN_FAILED;
		rv[n].status = f->enh;
		rv[n].basic = f->basic;
		rv[n].reply = f->reply;
		rv[n].reply_len = strlen(f->reply);
		rv[n].remote_mta = f->remote;
		rv[n].last_attempt = f->when / 1000;
		rv[n].retry_until = delayed ? m->received / 1000 + d->cfg->max_queue_lifetime : 0;
		n++;
	}
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(msgid, sizeof(msgid), "%lld.%02x%02x%02x%02x%02x%02x.dsn@%s",
		 (long long)(now / 1000), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		 d->cfg->hostname);
	snprintf(boundary, sizeof(boundary), "=_tern_%02x%02x%02x%02x%02x%02x", rnd[6], rnd[7],
		 rnd[8], rnd[9], rnd[10], rnd[11]);
	rep.reporting_mta = d->cfg->hostname;
	rep.queue_id = m->id;
	rep.original_sender = md->m.mail_from;
	rep.message_id = msgid;
	rep.boundary = boundary;
	rep.arrival = m->received / 1000;
	rep.now = now / 1000;
	rep.rcpts = rv;
	rep.rcpt_count = n;
	rep.original = md->m.data.data;
	rep.original_len = md->m.data.len;
	if (!dsn_build(&rep, &out))
		goto done;
	to[0] = md->m.mail_from;
	env.mail_from = "";
	env.rcpts = to;
	env.rcpt_count = 1;
	env.user = "";
	env.client = "";
	env.helo = d->cfg->hostname;
	env.received = now / 1000;
	env.smtputf8 = md->m.smtputf8;
	env.body_8bit = true;
	ok = spool_append(d->spool, &env, out.data, out.len, id, seq) == 0;
	log_event(d->log, ok ? LOG_INFO : LOG_ERROR, delayed ? "delay_notice" : "bounce",
		  "queue_id=%s to=<%s> recipients=%zu%s%s", m->id, md->m.mail_from, n,
		  ok ? " dsn_id=" : " error=\"cannot store\"", ok ? id : "");
done:
	buf_free(&out);
	free(rv);
	return ok;
}

void finish_round(struct deliver *d, struct qmsg *m)
{
	struct round *r = calloc(1, sizeof(*r));
	int64_t now = now_ms(d);
	uint64_t seq = 0, s2 = 0;

	if (r == NULL) {
		q_schedule(d, m);
		return;
	}
	d->works++;
	r->d = d;
	r->m = m;
	r->ew.done = events_stored;
	r->cw.done = bounces_durable;
	r->bounce_received = now;
	m->finishing = true;
	q_schedule(d, m); /* out of the heap until the round is over */
	if (make_dsn(d, m, false, r->bounce_id[r->bounces], now, &seq))
		r->bounces++;
	if (!m->warned && make_dsn(d, m, true, r->bounce_id[r->bounces], now, &s2)) {
		r->bounces++;
		m->warned = true;
		ev_add(d, m, m->data, "", EV_DELAYED, 0, "", "", "", "", "delay notice sent", "",
		       false);
		seq = s2 > seq ? s2 : seq;
	}
	for (struct failure *f = m->fails; f != NULL;) {
		struct failure *n = f->next;
		free(f);
		f = n;
	}
	m->fails = NULL;
	if (r->bounces > 0) {
		r->cw.seq = seq;
		committer_wait(d->commit, &r->cw);
		return;
	}
	ev_wait(d, &r->ew);
}
