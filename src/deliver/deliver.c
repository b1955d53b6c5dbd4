/*
 * deliver.c - the delivery engine's life: start (with recovery from the spool and the event
 * log), messages coming in from the submission side, reload and stop (see deliver.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver_int.h"

static void on_handle_closed(uv_handle_t *h)
{
	(void)h;
}

struct deliver *deliver_new(const struct deliver_deps *deps, const struct tern_config *cfg,
			    char *err, size_t errlen)
{
	struct deliver *d = calloc(1, sizeof(*d));
	char terr[512];

	if (d == NULL || (d->cfg = malloc(sizeof(*d->cfg))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*d->cfg = *cfg;
	d->loop = deps->loop;
	d->spool = deps->spool;
	d->commit = deps->commit;
	d->log = deps->log;
	d->tick_at = INT64_MAX;
	d->msgs = hmap_new();
	d->dests = hmap_new();
	if (d->msgs == NULL || d->dests == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Its own connection: event batches never wait behind the policy's lookups. */
	if (store_open_sqlite(cfg->store_path, &d->store, err, errlen) != 0)
		goto fail;
	d->dns = dns_resolver_new(d->loop, cfg->dns_servers, cfg->dns_timeout, err, errlen);
	if (d->dns == NULL)
		goto fail;
	d->tls = tls_client_context_new(cfg->tls_ca_file, terr, sizeof(terr));
	if (d->tls == NULL && cfg->tls >= DTLS_ENCRYPT) {
		snprintf(err, errlen, "%s", terr);
		goto fail;
	}
	if (d->tls == NULL) {
		/* Opportunistic TLS needs no CA: keep it, with the system's CAs for any route that
		 * verifies (a private CA's certificates then fail, closed). */
		log_event(d->log, LOG_WARN, "outbound_tls",
			  "error=\"%s\" hint=\"fix [delivery] tls_ca_file; until then routes with "
			  "tls = verify trust only the system's CAs\"",
			  terr);
		d->tls = tls_client_context_new(NULL, terr, sizeof(terr));
	}
	uv_timer_init(d->loop, &d->tick);
	d->tick.data = d;
	uv_timer_init(d->loop, &d->ev_retry);
	d->ev_retry.data = d;
	uv_timer_init(d->loop, &d->prune);
	d->prune.data = d;
	return d;
fail:
	if (d != NULL) {
		if (d->dns != NULL) {
			dns_resolver_free(d->dns);
			uv_run(d->loop, UV_RUN_NOWAIT);
		}
		store_close(d->store);
		hmap_free(d->msgs, NULL);
		hmap_free(d->dests, NULL);
		free(d->cfg);
		free(d);
	}
	return NULL;
}

static int recover_entry(const struct spool_entry *e, void *ctx)
{
	struct deliver *d = ctx;
	struct qmsg *m = q_add(d, e->id, (int64_t)e->received * 1000, e->rcpt_count);

	if (m == NULL)
		return -ENOMEM;
	m->recovered = true;
	m->null_sender = e->mail_from[0] == '\0';
	return 0;
}

/* Held and released are message-wide events; the later one counts. */
static int recover_hold(const struct store_event *e, void *ctx)
{
	struct deliver *d = ctx;
	struct qmsg *m = hmap_get(d->msgs, e->queue_id);

	if (m != NULL)
		m->held = e->status == EV_HELD;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct store_event *x = a, *y = b;

	return x->time_ms < y->time_ms ? -1 : x->time_ms > y->time_ms;
}

struct hold_rows {
	struct store_event *v;
	size_t n, cap;
	char (*ids)[SPOOL_ID_MAX];
};

static int collect_hold(const struct store_event *e, void *ctx)
{
	struct hold_rows *h = ctx;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct store_event *v = realloc(h->v, cap * sizeof(*v));
		char(*ids)[SPOOL_ID_MAX] = realloc(h->ids, cap * sizeof(*ids));
		if (v != NULL)
			h->v = v;
		if (ids != NULL)
			h->ids = ids;
		if (v == NULL || ids == NULL)
			return -ENOMEM;
		h->cap = cap;
	}
	snprintf(h->ids[h->n], SPOOL_ID_MAX, "%s", e->queue_id);
	h->v[h->n] = *e;
	h->v[h->n].queue_id = NULL;
	h->n++;
	return 0;
}

/* A delay notice already sent is not sent again after a restart. */
static int recover_warned(const struct store_event *e, void *ctx)
{
	struct qmsg *m = hmap_get(((struct deliver *)ctx)->msgs, e->queue_id);

	if (m != NULL)
		m->warned = true;
	return 0;
}

static void recover_holds(struct deliver *d)
{
	struct hold_rows h = { 0 };
	struct store_event_filter f = { .status = EV_HELD };

	if (store_events_query(d->store, &f, collect_hold, &h) == 0) {
		f.status = EV_RELEASED;
		(void)store_events_query(d->store, &f, collect_hold, &h);
	}
	/* ids travel with their rows through the sort */
	for (size_t i = 0; i < h.n; i++)
		h.v[i].queue_id = h.ids[i];
	if (h.n > 0) {
		struct store_event *sorted = malloc(h.n * sizeof(*sorted));
		if (sorted != NULL) {
			memcpy(sorted, h.v, h.n * sizeof(*sorted));
			qsort(sorted, h.n, sizeof(*sorted), by_time);
			for (size_t i = 0; i < h.n; i++)
				recover_hold(&sorted[i], d);
			free(sorted);
		}
	}
	free(h.v);
	free(h.ids);
}

struct start_ctx {
	struct deliver *d;
	size_t held, empty;
};

struct empty_ctx {
	struct qmsg **v;
	size_t n, cap;
};

static bool collect_empty(const char *key, void *v, void *ctx)
{
	struct empty_ctx *e = ctx;
	struct qmsg *m = v;

	(void)key;
	if (m->nrcpt != 0)
		return false;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct qmsg **g = realloc(e->v, cap * sizeof(*g));
		if (g == NULL)
			return false; /* ends at the next start */
		e->v = g;
		e->cap = cap;
	}
	e->v[e->n++] = m;
	return false;
}

/* Messages whose every recipient was suppressed at the door: nothing to deliver, only to end.
 * Collected first, ended after the walk (ending one changes the map). */
static void finish_empty(struct deliver *d)
{
	struct empty_ctx e = { 0 };

	hmap_sweep(d->msgs, collect_empty, &e);
	for (size_t i = 0; i < e.n; i++)
		finish_round(d, e.v[i]);
	free(e.v);
}

/* Everything recovered is due at once (the retry schedule starts again after a restart). */
static bool schedule_one(const char *key, void *v, void *ctx)
{
	struct start_ctx *s = ctx;
	struct qmsg *m = v;

	(void)key;
	s->held += m->held;
	if (m->nrcpt > 0)
		q_schedule(s->d, m);
	else
		s->empty++; /* ended after the sweep: ending changes the map */
	return false;
}

static void prune_work(uv_work_t *w)
{
	struct deliver *d = w->data;

	d->pruned =
		store_events_prune(d->store, now_ms(d) - (int64_t)d->cfg->event_retention * 1000);
}

static void prune_done(uv_work_t *w, int status)
{
	struct deliver *d = w->data;

	d->pruning = false;
	d->works--;
	if (status == 0 && d->pruned > 0)
		log_event(d->log, LOG_INFO, "events_pruned", "events=%lld older_than_days=%u",
			  (long long)d->pruned, d->cfg->event_retention / 86400);
	else if (status == 0 && d->pruned < 0)
		log_event(d->log, LOG_WARN, "events_pruned", "error=\"%s\"",
			  strerror((int)-d->pruned));
	deliver_check_stopped(d);
}

/* Once at start (a second in) and then every hour. */
static void on_prune(uv_timer_t *t)
{
	struct deliver *d = t->data;

	if (d->pruning || d->stopping || d->cfg->event_retention == 0)
		return;
	d->prune_work.data = d;
	if (uv_queue_work(d->loop, &d->prune_work, prune_work, prune_done) == 0) {
		d->pruning = true;
		d->works++;
	}
}

int deliver_start(struct deliver *d)
{
	int rc = spool_list(d->spool, recover_entry, d);
	struct start_ctx held = { d, 0, 0 };

	if (rc != 0) {
		log_event(d->log, LOG_ERROR, "delivery_recovery", "error=\"%s\"", strerror(-rc));
		return rc;
	}
	recover_holds(d);
	if (d->cfg->delay_warning > 0) {
		struct store_event_filter f = { .status = EV_DELAYED };
		(void)store_events_query(d->store, &f, recover_warned, d);
	}
	hmap_sweep(d->msgs, schedule_one, &held);
	if (held.empty > 0)
		finish_empty(d);
	log_event(d->log, LOG_INFO, "delivery_started",
		  "messages=%zu held=%zu enabled=%s dns=%s tls=%s", hmap_count(d->msgs), held.held,
		  d->cfg->deliver ? "yes" : "no",
		  d->cfg->dns_servers[0] ? d->cfg->dns_servers : "system",
		  (const char *[]){ "none", "may", "encrypt", "verify" }[d->cfg->tls]);
	uv_timer_start(&d->prune, on_prune, 1000, 3600 * 1000);
	engine_kick(d);
	return 0;
}

void deliver_accepted(struct deliver *d, const char *id, int64_t received, size_t rcpt_count,
		      const char *sender, const char *user, const char *dkim)
{
	char what[700];
	struct qmsg *m = q_add(d, id, received * 1000, rcpt_count);
	struct msgdata md = { 0 };

	if (m == NULL) {
		log_event(d->log, LOG_ERROR, "delivery_queue",
			  "queue_id=%s error=\"out of memory\" hint=\"it is in the spool and goes "
			  "out after a restart\"",
			  id);
		return;
	}
	md.m.mail_from = (char *)sender;
	md.m.user = (char *)user;
	snprintf(what, sizeof(what), "accepted; dkim=%s", dkim);
	ev_add(d, m, &md, "", EV_QUEUED, 0, "", "", "", "", what, "", false);
	ev_flush(d);
	if (m->nrcpt == 0) {
		finish_round(d, m); /* every recipient was suppressed: nothing to deliver */
		return;
	}
	q_schedule(d, m);
	engine_kick(d);
}

void deliver_suppressed(struct deliver *d, const char *id, const char *sender, const char *user,
			const char *rcpt)
{
	struct qmsg tmp = { 0 };
	struct msgdata md = { 0 };

	snprintf(tmp.id, sizeof(tmp.id), "%s", id);
	tmp.received = now_ms(d);
	md.m.mail_from = (char *)sender;
	md.m.user = (char *)user;
	ev_add(d, &tmp, &md, rcpt, EV_SUPPRESSED, 0, "", "", "", "",
	       "on the suppression list: accepted, not delivered", "", false);
	ev_flush(d);
}

void deliver_reload(struct deliver *d, const struct tern_config *cfg)
{
	bool was = d->cfg->deliver;

	/* Destinations keep the route and pool they were made with until they empty. */
	*d->cfg = *cfg;
	if (!was && cfg->deliver)
		engine_kick(d);
	if (!cfg->deliver)
		uv_timer_stop(&d->tick), d->tick_at = INT64_MAX;
}

void deliver_stop(struct deliver *d, void (*done)(void *arg), void *arg)
{
	d->stopping = true;
	d->stopped = done;
	d->stopped_arg = arg;
	uv_timer_stop(&d->tick);
	uv_timer_stop(&d->prune);
	outbound_abort_all(d, "tern is shutting down");
	ev_flush(d);
	deliver_check_stopped(d);
}

void deliver_check_stopped(struct deliver *d)
{
	void (*cb)(void *) = d->stopped;

	if (!d->stopping || cb == NULL || d->ev_flushing || d->ev_head != NULL || d->active > 0 ||
	    d->loads > 0 || d->works > 0)
		return;
	d->stopped = NULL;
	cb(d->stopped_arg);
}

static void free_msg(void *v)
{
	struct qmsg *m = v;

	msgdata_unref(m->data);
	for (struct failure *f = m->fails; f != NULL;) {
		struct failure *n = f->next;
		free(f);
		f = n;
	}
	if (m->r != &m->first)
		free(m->r);
	free(m);
}

/* Destinations still holding jobs at exit (a stop does not drain them). */
static void free_dest(void *v)
{
	struct dest *ds = v;
	struct job *j;

	while ((j = dest_pop(ds)) != NULL)
		job_free(j);
	free(ds);
}

void deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	uv_close((uv_handle_t *)&d->tick, on_handle_closed);
	uv_close((uv_handle_t *)&d->ev_retry, on_handle_closed);
	uv_close((uv_handle_t *)&d->prune, on_handle_closed);
	dns_resolver_free(d->dns);
	uv_run(d->loop, UV_RUN_NOWAIT);
	while (d->ev_head != NULL) {
		struct pending_event *n = d->ev_head->next;
		log_event(d->log, LOG_WARN, "event_unsaved", "queue_id=%s rcpt=%s status=%s",
			  d->ev_head->e.queue_id, d->ev_head->e.recipient,
			  store_event_status_name(d->ev_head->e.status));
		free(d->ev_head);
		d->ev_head = n;
	}
	hmap_free(d->msgs, free_msg);
	hmap_free(d->dests, free_dest);
	tls_context_unref(d->tls);
	store_close(d->store);
	free(d->heap);
	free(d->cfg);
	free(d);
}
