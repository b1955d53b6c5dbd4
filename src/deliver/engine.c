/*
 * engine.c - the delivery scheduler: when each message is due, which destination each
 * recipient goes to, and what each reply means for it (see deliver.h).
 *
 * A due message is read from the spool on the thread pool (with, after a restart, what the
 * event log says already happened to it, and whether a recipient has been suppressed since),
 * split into one job per destination, and handed to outbound connections. Each recipient's
 * result is decided through the knowledge base: delivered, bounced, deferred per the retry
 * schedule (or the wait a greylisting server names), expired, or retried at once in a new
 * transaction (452 4.5.3).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "deliver/deliver_int.h"
#include "proto/explain.h"

/* ---- destinations ---------------------------------------------------------------------- */

struct job *dest_pop(struct dest *ds)
{
	struct job *j = ds->head;

	if (j != NULL) {
		ds->head = j->next;
		if (ds->head == NULL)
			ds->tail = NULL;
		ds->queued--;
		j->next = NULL;
	}
	return j;
}

static void dest_push(struct dest *ds, struct job *j)
{
	j->next = NULL;
	if (ds->tail != NULL)
		ds->tail->next = j;
	else
		ds->head = j;
	ds->tail = j;
	ds->queued++;
}

void dest_push_front(struct dest *ds, struct job *j)
{
	j->next = ds->head;
	ds->head = j;
	if (ds->tail == NULL)
		ds->tail = j;
	ds->queued++;
}

/* Opens connections while jobs wait and the limits allow. */
static void dest_run(struct deliver *d, struct dest *ds)
{
	/* Connections kept open for this destination first. */
	while (!d->stopping && outbound_wake(ds))
		;
	while (!d->stopping && ds->head != NULL && ds->active < d->cfg->per_destination &&
	       d->active < d->cfg->max_deliveries) {
		struct job *j = dest_pop(ds);
		if (!outbound_start(d, ds, j)) {
			struct smtp_client_reply why = { .code = 0,
							 .enh = { 4, 3, 0 },
							 .stage = SC_STAGE_CONNECT };
			snprintf(why.text, sizeof(why.text),
				 "cannot open a connection: out of memory");
			engine_job_failed(d, j, &why, false, "", "", "");
			break;
		}
	}
	/* All connection slots taken while mail waits: those that are only waiting go. */
	if (!d->stopping && ds->head != NULL && ds->active < d->cfg->per_destination &&
	    d->active >= d->cfg->max_deliveries)
		outbound_close_idle(d);
}

void dest_release(struct deliver *d, struct dest *ds)
{
	ds->active--;
	dest_run(d, ds);
	if (ds->active == 0 && ds->head == NULL) {
		hmap_remove(d->dests, ds->key);
		free(ds);
	}
	/* A connection slot came free: another destination may be waiting for one. */
	if (d->active < d->cfg->max_deliveries)
		engine_kick(d);
}

void dest_fail_all(struct deliver *d, struct dest *ds, const struct smtp_client_reply *why,
		   bool permanent, const char *host, const char *ip)
{
	struct job *j;

	while ((j = dest_pop(ds)) != NULL)
		engine_job_failed(d, j, why, permanent, host, ip, "");
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static struct dest *dest_for(struct deliver *d, const char *rcpt, const char *user)
{
	const char *at = strrchr(rcpt, '@');
	const struct pool_config *pool = config_pool_for(d->cfg, user);
	const struct route_config *rt;
	char domain[256], key[320];
	struct dest *ds;

	snprintf(domain, sizeof(domain), "%s", at ? at + 1 : "");
	lower(domain);
	rt = config_route_for(d->cfg, domain);
	snprintf(key, sizeof(key), "%s|%s", pool ? pool->name : "",
		 rt && rt->host[0] ? rt->domain : domain);
	if ((ds = hmap_get(d->dests, key)) != NULL)
		return ds;
	if ((ds = calloc(1, sizeof(*ds))) == NULL)
		return NULL;
	snprintf(ds->key, sizeof(ds->key), "%s", key);
	snprintf(ds->domain, sizeof(ds->domain), "%s", domain);
	ds->pool = pool ? (int)(pool - d->cfg->pools) : -1;
	if (rt != NULL) {
		ds->route = *rt;
		ds->has_route = true;
	}
	/* An address literal (user@[192.0.2.1]) goes to that address, without MX. */
	if (!ds->has_route && domain[0] == '[') {
		size_t n = strlen(domain);
		const char *lit = domain + 1;
		if (strncasecmp(lit, "ipv6:", 5) == 0)
			lit += 5;
		n = strlen(lit);
		snprintf(ds->route.host, sizeof(ds->route.host), "%.*s", (int)(n ? n - 1 : 0), lit);
		ds->route.tls = DTLS_DEFAULT;
		ds->has_route = true;
	}
	if (!hmap_put(d->dests, key, ds, NULL)) {
		free(ds);
		return NULL;
	}
	return ds;
}

/* ---- jobs ------------------------------------------------------------------------------ */

void job_free(struct job *j)
{
	if (j == NULL)
		return;
	msgdata_unref(j->data);
	free(j->idx);
	free(j->rcpts);
	free(j->res);
	free(j);
}

static struct job *job_new(struct qmsg *m, struct msgdata *md, struct dest *ds, size_t cap)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->idx = calloc(cap, sizeof(*j->idx));
	j->rcpts = calloc(cap, sizeof(*j->rcpts));
	j->res = calloc(cap, sizeof(*j->res));
	if (j->idx == NULL || j->rcpts == NULL || j->res == NULL) {
		job_free(j);
		return NULL;
	}
	j->m = m;
	j->data = md;
	md->refs++;
	j->dest = ds;
	j->msg.mail_from = md->m.mail_from;
	j->msg.rcpts = j->rcpts;
	j->msg.data = md->m.data.data;
	j->msg.len = md->m.data.len;
	j->msg.smtputf8 = md->m.smtputf8;
	j->msg.body_8bit = md->m.body_8bit;
	return j;
}

/* ---- outcomes -------------------------------------------------------------------------- */

static int64_t retry_delay(const struct deliver *d, unsigned attempts)
{
	const struct tern_config *c = d->cfg;
	size_t k = attempts == 0 ? 0 : attempts - 1;
	int64_t base = (int64_t)c->retry[k < c->retry_count ? k : c->retry_count - 1] * 1000;
	uint32_t spread = (uint32_t)(base / 10);

	/* Up to 10% of jitter, so that messages deferred together do not return together. */
	return base + (spread ? randombytes_uniform(spread) : 0);
}

/* The reply as one line for events and logs: "550 5.1.1 text", or our own description. */
static void reply_line(const struct smtp_client_reply *r, char *out, size_t size)
{
	char e[16] = "";

	if (r->enh.cls != 0)
		enh_code_format(r->enh, e, sizeof(e));
	if (r->code > 0)
		snprintf(out, size, "%d%s%s %s", r->code, e[0] ? " " : "", e, r->text);
	else
		snprintf(out, size, "%s", r->text);
}

static void add_failure(struct qmsg *m, uint32_t rcpt, bool delayed,
			const struct smtp_client_reply *r, struct enh_code enh, const char *host,
			int64_t when)
{
	struct failure *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return; /* the event says what happened; only this line of the bounce is lost */
	f->rcpt = rcpt;
	f->delayed = delayed;
	f->basic = r->code;
	f->enh = enh;
	f->when = when;
	snprintf(f->remote, sizeof(f->remote), "%s", host ? host : "");
	/* The whole reply, codes included: for an expiry the Status is 4.4.7 and the reply
	 * quoted is the server's own. */
	reply_line(r, f->reply, sizeof(f->reply));
	f->next = m->fails;
	m->fails = f;
}

static void decide(struct deliver *d, struct job *j, size_t k, const char *host, const char *ip,
		   const char *tls)
{
	struct qmsg *m = j->m;
	uint32_t i = j->idx[k];
	struct qrcpt *r = &m->r[i];
	const struct smtp_rcpt_result *res = &j->res[k];
	const struct smtp_client_reply *rep = &res->reply;
	/* Only failures need the knowledge base's reading (category, a wait to honour). */
	struct explanation *ex = res->outcome == SC_RCPT_DELIVERED ? NULL : malloc(sizeof(*ex));
	int64_t now = now_ms(d), delay;
	struct enh_code enh = rep->enh;
	char line[700], dsn[16] = "", relay[400];
	const char *status = "", *category = "";
	bool suppress = false;
	enum store_event_status st;
	int attempt = r->attempts + 1;

	if (ex != NULL) {
		explain_reply(rep->code, rep->enh, rep->text, strlen(rep->text), ex);
		category = status_category_name(ex->category);
	}
	if (enh.cls == 0)
		enh = (struct enh_code){ res->outcome == SC_RCPT_DELIVERED  ? 2
					 : res->outcome == SC_RCPT_PERMFAIL ? 5
									    : 4,
					 0, 0 };
	/* A deferral says so in its code too (a relay's 535 5.7.8 is retried, not final). */
	if (enh.cls == 5 && (res->outcome == SC_RCPT_TEMPFAIL || res->outcome == SC_RCPT_PENDING))
		enh.cls = 4;
	enh_code_format(enh, dsn, sizeof(dsn));
	reply_line(rep, line, sizeof(line));
	switch (res->outcome) {
	case SC_RCPT_DELIVERED:
		r->state = RS_DELIVERED;
		st = EV_DELIVERED;
		status = "sent";
		break;
	case SC_RCPT_PERMFAIL:
		r->state = RS_BOUNCED;
		st = EV_BOUNCED;
		status = "bounced";
		suppress = ex != NULL && config_list_has(d->cfg->suppress_on_bounce, category);
		if (!m->null_sender)
			add_failure(m, i, false, rep, enh, host, now);
		break;
	case SC_RCPT_NOT_TRIED:
		/* Not an attempt: the server took no more recipients in that transaction. */
		r->state = RS_QUEUED;
		r->next_at = now;
		free(ex);
		return;
	case SC_RCPT_TEMPFAIL:
	case SC_RCPT_PENDING:
	default:
		r->attempts++;
		delay = ex != NULL && ex->retry_after > 0 ? (int64_t)ex->retry_after * 1000 + 500
							  : retry_delay(d, r->attempts);
		if (now + delay > m->received + (int64_t)d->cfg->max_queue_lifetime * 1000) {
			r->state = RS_EXPIRED;
			st = EV_EXPIRED;
			status = "expired";
			if (!m->null_sender)
				add_failure(m, i, false, rep, (struct enh_code){ 4, 4, 7 }, host,
					    now);
			break;
		}
		r->state = RS_DEFERRED;
		r->next_at = now + delay;
		st = EV_DEFERRED;
		status = "deferred";
		if (d->cfg->delay_warning > 0 && !m->warned && !m->null_sender &&
		    now - m->received >= (int64_t)d->cfg->delay_warning * 1000)
			add_failure(m, i, true, rep, enh, host, now);
		break;
	}
	free(ex);
	if (ip != NULL && ip[0] != '\0')
		snprintf(relay, sizeof(relay), "%s[%s]", host, ip);
	else
		snprintf(relay, sizeof(relay), "%s", host && host[0] ? host : "none");
	log_event(d->log, LOG_INFO, "delivery",
		  "%s: to=<%s>, relay=%s, delay=%.1f, tls=%s, dkim=%s, attempt=%d, dsn=%s, "
		  "status=%s (%s)",
		  m->id, j->rcpts[k], relay, (double)(now - m->received) / 1000.0,
		  tls && tls[0] ? tls : "none", j->data->dkim, attempt, dsn, status, line);
	ev_add(d, m, j->data, j->rcpts[k], st, attempt, host, ip, tls, dsn, line, category,
	       suppress);
}

static void job_end(struct deliver *d, struct job *j)
{
	struct qmsg *m = j->m;

	job_free(j);
	if (--m->inflight == 0)
		finish_round(d, m);
}

void engine_job_done(struct deliver *d, struct job *j, const char *host, const char *ip,
		     const char *tls)
{
	/* NOT_TRIED recipients become due at once: the round's end schedules them again. */
	for (size_t k = 0; k < j->n; k++)
		decide(d, j, k, host, ip, tls);
	job_end(d, j);
}

struct job *engine_job_settle(struct deliver *d, struct job *j, bool keep_temp, const char *host,
			      const char *ip, const char *tls)
{
	size_t kept = 0;

	for (size_t k = 0; k < j->n; k++) {
		enum smtp_rcpt_outcome o = j->res[k].outcome;
		if (o == SC_RCPT_NOT_TRIED || (keep_temp && o == SC_RCPT_TEMPFAIL)) {
			/* for the next transaction, or the next host */
			j->idx[kept] = j->idx[k];
			j->rcpts[kept] = j->rcpts[k];
			memset(&j->res[kept], 0, sizeof(j->res[kept]));
			kept++;
			continue;
		}
		decide(d, j, k, host, ip, tls);
	}
	j->n = kept;
	j->msg.rcpt_count = kept;
	if (kept > 0)
		return j;
	job_end(d, j);
	return NULL;
}

void engine_job_return(struct deliver *d, struct job *j)
{
	int64_t now = now_ms(d);

	for (size_t k = 0; k < j->n; k++) {
		struct qrcpt *r = &j->m->r[j->idx[k]];
		if (r->state == RS_INFLIGHT) {
			r->state = RS_QUEUED;
			r->next_at = now;
		}
	}
	job_end(d, j);
}

void engine_job_failed(struct deliver *d, struct job *j, const struct smtp_client_reply *why,
		       bool permanent, const char *host, const char *ip, const char *tls)
{
	for (size_t k = 0; k < j->n; k++) {
		j->res[k].outcome = permanent ? SC_RCPT_PERMFAIL : SC_RCPT_TEMPFAIL;
		j->res[k].reply = *why;
	}
	engine_job_done(d, j, host, ip, tls);
}

/* ---- loading a due message ------------------------------------------------------------- */

struct load {
	struct deliver *d;
	struct qmsg *m;
	struct msgdata *md;
	int rc;
	bool recovered;
	uint8_t *term;	     /* per recipient: 0, or 1 + a terminal store_event_status */
	uint8_t *suppressed; /* per recipient */
	uint16_t *attempts;  /* per recipient, after a restart: deferrals already recorded */
	uint32_t nrcpt;
};

/* After a restart the retry schedule goes on where it was: each deferral on record counts. */
static int on_deferred(const struct store_event *e, void *ctx)
{
	struct load *l = ctx;

	for (uint32_t i = 0; i < l->nrcpt; i++)
		if (strcasecmp(l->md->m.rcpts[i], e->recipient) == 0 && l->attempts[i] < UINT16_MAX)
			l->attempts[i]++;
	return 0;
}

static int on_terminal(const char *rcpt, enum store_event_status s, void *ctx)
{
	struct load *l = ctx;
	bool whole = rcpt[0] == '\0' && s == EV_DELETED; /* an operator deleted the message */

	for (uint32_t i = 0; i < l->nrcpt && i < l->md->m.rcpt_count; i++)
		if ((whole || strcasecmp(l->md->m.rcpts[i], rcpt) == 0) && l->term[i] == 0)
			l->term[i] = (uint8_t)(1 + s);
	return 0;
}

/* The value of tag `t` ("d", "s", "a") in a DKIM-Signature value v[0..n), into out. */
static void sig_tag(const char *v, size_t n, const char *t, char *out, size_t size)
{
	size_t tl = strlen(t);

	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t end = i, k;
		while (end < n && v[end] != ';')
			end++;
		while (i < end && strchr(" \t\r\n", v[i]) != NULL)
			i++;
		if (end - i > tl && strncmp(v + i, t, tl) == 0) {
			k = i + tl;
			while (k < end && strchr(" \t\r\n", v[k]) != NULL)
				k++;
			if (k < end && v[k] == '=') {
				size_t o = 0;
				for (k++; k < end && o + 1 < size; k++)
					if (strchr(" \t\r\n", v[k]) == NULL)
						out[o++] = v[k];
				out[o] = '\0';
				return;
			}
		}
		i = end + 1;
	}
}

/* What signed the message, from the DKIM-Signature fields at its top (tern puts its own there
 * at acceptance): "example.com/sel1/rsa-sha256,..." or "none". For the delivery log lines. */
static void describe_dkim(const uint8_t *msg, size_t len, char *out, size_t size)
{
	static const char name[] = "DKIM-Signature:";
	size_t at = 0, o = 0;

	snprintf(out, size, "none");
	while (at + sizeof(name) - 1 < len &&
	       strncasecmp((const char *)msg + at, name, sizeof(name) - 1) == 0) {
		size_t start = at + sizeof(name) - 1, end = start;
		char d[256], s[128], a[32];
		/* the field runs to the first CRLF not followed by folding whitespace */
		while (end + 2 < len && !(msg[end] == '\r' && msg[end + 1] == '\n' &&
					  msg[end + 2] != ' ' && msg[end + 2] != '\t'))
			end++;
		sig_tag((const char *)msg + start, end - start, "d", d, sizeof(d));
		sig_tag((const char *)msg + start, end - start, "s", s, sizeof(s));
		sig_tag((const char *)msg + start, end - start, "a", a, sizeof(a));
		int n = snprintf(out + o, size - o, "%s%s/%s/%s", o ? "," : "", d, s, a);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
		at = end + 2;
	}
}

static void load_one(struct load *l)
{
	struct store_suppression e;
	int64_t now = now_ms(l->d) / 1000;

	l->rc = spool_read(l->d->spool, l->m->id, &l->md->m);
	if (l->rc != 0)
		return;
	if (l->md->m.rcpt_count != l->nrcpt) {
		l->rc = -EBADMSG;
		return;
	}
	describe_dkim(l->md->m.data.data, l->md->m.data.len, l->md->dkim, sizeof(l->md->dkim));
	if (l->recovered) {
		struct store_event_filter f = { .queue_id = l->m->id, .status = EV_DEFERRED };
		(void)store_events_terminal(l->d->store, l->m->id, on_terminal, l);
		if ((l->attempts = calloc(l->nrcpt + 1, sizeof(*l->attempts))) != NULL)
			(void)store_events_query(l->d->store, &f, on_deferred, l);
	}
	for (uint32_t i = 0; i < l->nrcpt; i++)
		l->suppressed[i] = store_suppress_get(l->d->store, l->md->m.rcpts[i], now, &e) == 0;
}

static void dispatch(struct deliver *d, struct qmsg *m)
{
	struct msgdata *md = m->data;
	int64_t now = now_ms(d);
	struct job *jobs[16];
	size_t njobs = 0;

	for (uint32_t i = 0; i < m->nrcpt; i++) {
		struct qrcpt *r = &m->r[i];
		struct dest *ds;
		struct job *j = NULL;
		if ((r->state != RS_QUEUED && r->state != RS_DEFERRED) || r->next_at > now)
			continue;
		ds = dest_for(d, md->m.rcpts[i], md->m.user);
		if (ds == NULL)
			continue; /* out of memory: stays due, tried at the next tick */
		for (size_t k = 0; k < njobs && j == NULL; k++)
			if (jobs[k]->dest == ds)
				j = jobs[k];
		if (j == NULL) {
			if (njobs == sizeof(jobs) / sizeof(jobs[0]))
				continue; /* many domains in one message: the rest go next round */
			if ((j = job_new(m, md, ds, m->nrcpt)) == NULL)
				continue;
			jobs[njobs++] = j;
		}
		j->idx[j->n] = i;
		j->rcpts[j->n] = md->m.rcpts[i];
		j->n++;
		r->state = RS_INFLIGHT;
	}
	m->inflight = (uint16_t)njobs;
	for (size_t k = 0; k < njobs; k++) {
		jobs[k]->msg.rcpt_count = jobs[k]->n;
		dest_push(jobs[k]->dest, jobs[k]);
	}
	for (size_t k = 0; k < njobs; k++)
		dest_run(d, jobs[k]->dest);
	if (njobs == 0)
		finish_round(d, m);
}

static void load_finish(struct load *l, int status)
{
	struct deliver *d = l->d;
	struct qmsg *m = l->m;

	d->loads--;
	m->loading = false;
	if (status != 0 || l->rc != 0) {
		int rc = status != 0 ? status : l->rc;
		msgdata_unref(l->md);
		if (rc == -ENOENT) {
			/* Gone from the spool (deleted while the server was down, or a race with
			 * an operator): nothing left to deliver. */
			q_remove(d, m);
		} else {
			log_event(
				d->log, LOG_ERROR, "spool_read",
				"queue_id=%s error=\"%s\" hint=\"held; see 'tern queue show %s'\"",
				m->id, strerror(-rc), m->id);
			m->held = true;
		}
		goto done;
	}
	m->data = l->md;
	m->null_sender = l->md->m.mail_from[0] == '\0';
	for (uint32_t i = 0; i < m->nrcpt; i++) {
		struct qrcpt *r = &m->r[i];
		if (rstate_terminal(r->state))
			continue;
		if (l->attempts != NULL && l->attempts[i] > r->attempts)
			r->attempts = l->attempts[i];
		if (l->term[i] != 0) {
			static const uint8_t to_state[EV__COUNT] = {
				[EV_DELIVERED] = RS_DELIVERED, [EV_BOUNCED] = RS_BOUNCED,
				[EV_EXPIRED] = RS_EXPIRED,     [EV_SUPPRESSED] = RS_SUPPRESSED,
				[EV_DELETED] = RS_DELETED,
			};
			r->state = to_state[l->term[i] - 1];
			continue;
		}
		if (l->suppressed[i]) {
			r->state = RS_SUPPRESSED;
			ev_add(d, m, l->md, l->md->m.rcpts[i], EV_SUPPRESSED, 0, "", "", "", "",
			       "on the suppression list: not delivered", "", false);
		}
	}
	m->recovered = false;
	dispatch(d, m);
done:
	free(l->term);
	free(l->suppressed);
	free(l->attempts);
	free(l);
}

/* Due messages are read in batches: one thread-pool job per LOAD_BATCH messages. */
#define LOAD_BATCH 32

struct load_batch {
	uv_work_t w;
	struct deliver *d;
	size_t n;
	struct load *items[LOAD_BATCH];
};

static void batch_work(uv_work_t *w)
{
	struct load_batch *b = w->data;

	for (size_t i = 0; i < b->n; i++)
		load_one(b->items[i]);
}

static void batch_done(uv_work_t *w, int status)
{
	struct load_batch *b = w->data;
	struct deliver *d = b->d;

	for (size_t i = 0; i < b->n; i++)
		load_finish(b->items[i], status);
	free(b);
	engine_kick(d);
	deliver_check_stopped(d);
}

/* Takes m out of the heap into a batch's next slot; false when out of memory. */
static bool load_add(struct deliver *d, struct load_batch *b, struct qmsg *m)
{
	struct load *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return false;
	l->md = calloc(1, sizeof(*l->md));
	l->term = calloc(m->nrcpt + 1, 1);
	l->suppressed = calloc(m->nrcpt + 1, 1);
	if (l->md == NULL || l->term == NULL || l->suppressed == NULL) {
		free(l->md);
		free(l->term);
		free(l->suppressed);
		free(l);
		return false;
	}
	l->md->refs = 1;
	l->d = d;
	l->m = m;
	l->nrcpt = m->nrcpt;
	l->recovered = m->recovered;
	m->loading = true;
	q_schedule(d, m); /* out of the heap while loading */
	d->loads++;
	b->items[b->n++] = l;
	return true;
}

/* ---- the timer ------------------------------------------------------------------------- */

/* Messages read from the spool at once: bounds memory when a large backlog falls due. */
#define LOADS_MAX 256

static void on_tick(uv_timer_t *t)
{
	struct deliver *d = t->data;
	int64_t now = now_ms(d);
	struct qmsg *m;

	d->tick_at = INT64_MAX;
	while (!d->stopping && d->loads < LOADS_MAX && d->active < d->cfg->max_deliveries &&
	       (m = q_peek(d)) != NULL && m->next_at <= now) {
		struct load_batch *b = calloc(1, sizeof(*b));
		if (b == NULL)
			break;
		b->d = d;
		b->w.data = b;
		while (b->n < LOAD_BATCH && d->loads < LOADS_MAX && (m = q_peek(d)) != NULL &&
		       m->next_at <= now && load_add(d, b, m))
			;
		if (uv_queue_work(d->loop, &b->w, batch_work, batch_done) != 0) {
			/* cannot happen with a live loop; put them back due */
			for (size_t i = 0; i < b->n; i++) {
				b->items[i]->m->loading = false;
				d->loads--;
				q_schedule(d, b->items[i]->m);
				msgdata_unref(b->items[i]->md);
				free(b->items[i]->term);
				free(b->items[i]->suppressed);
				free(b->items[i]);
			}
			free(b);
			break;
		}
	}
	engine_kick(d);
}

void engine_kick(struct deliver *d)
{
	struct qmsg *m = q_peek(d);
	int64_t at, now;

	if (d->stopping || m == NULL || !d->cfg->deliver)
		return;
	if (d->loads >= LOADS_MAX || d->active >= d->cfg->max_deliveries)
		return; /* load_done / dest_release kick again */
	now = now_ms(d);
	at = m->next_at < now ? now : m->next_at;
	if (at >= d->tick_at && d->tick_at != INT64_MAX && d->tick_at >= now)
		return;
	d->tick_at = at;
	uv_timer_start(&d->tick, on_tick, (uint64_t)(at - now), 0);
}

/* ---- operator actions ------------------------------------------------------------------ */

struct select_ctx {
	struct deliver *d;
	const char *what;
	size_t count, cap;
	struct qmsg **hits;
};

/* Whether message m is selected. Selecting by recipient or domain needs the envelope, which
 * only loaded messages have in memory: others are read from the spool here (rare: an
 * operator's command). */
static bool selected(struct deliver *d, struct qmsg *m, const char *what)
{
	struct spool_message sm;
	bool hit = false;
	const char *needle;

	if (strcmp(what, "all") == 0)
		return true;
	if (strncmp(what, "rcpt:", 5) != 0 && strncmp(what, "domain:", 7) != 0)
		return strcmp(what, m->id) == 0;
	needle = strchr(what, ':') + 1;
	if (spool_read(d->spool, m->id, &sm) != 0)
		return false;
	for (size_t i = 0; i < sm.rcpt_count && !hit; i++) {
		const char *at = strrchr(sm.rcpts[i], '@');
		hit = what[0] == 'r' ? strcasecmp(sm.rcpts[i], needle) == 0
				     : at != NULL && strcasecmp(at + 1, needle) == 0;
	}
	spool_message_free(&sm);
	return hit;
}

static void delete_message(struct deliver *d, struct qmsg *m)
{
	bool any = false;

	for (uint32_t i = 0; i < m->nrcpt; i++) {
		if (rstate_terminal(m->r[i].state) || m->r[i].state == RS_INFLIGHT)
			continue;
		m->r[i].state = RS_DELETED;
		any = true;
	}
	if (any)
		ev_add(d, m, NULL, "", EV_DELETED, 0, "", "", "", "", "deleted by an operator", "",
		       false);
	if (m->inflight == 0 && !m->loading && !m->finishing)
		finish_round(d, m);
}

static bool collect(const char *key, void *v, void *ctx)
{
	struct select_ctx *s = ctx;
	struct qmsg *m = v;

	(void)key;
	if (m->finishing || !selected(s->d, m, s->what))
		return false;
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct qmsg **grown = realloc(s->hits, cap * sizeof(*grown));
		if (grown == NULL)
			return false;
		s->hits = grown;
		s->cap = cap;
	}
	s->hits[s->count++] = m;
	return false;
}

static void act(struct deliver *d, struct qmsg *m, int action)
{
	int64_t now = now_ms(d);

	switch (action) {
	case 0:
		for (uint32_t i = 0; i < m->nrcpt; i++)
			if (m->r[i].state == RS_DEFERRED || m->r[i].state == RS_QUEUED)
				m->r[i].next_at = now;
		break;
	case 1:
	case 2:
		if (m->held == (action == 1))
			break;
		m->held = action == 1;
		ev_add(d, m, NULL, "", m->held ? EV_HELD : EV_RELEASED, 0, "", "", "", "",
		       m->held ? "held by an operator" : "released by an operator", "", false);
		break;
	default:
		delete_message(d, m);
		return;
	}
	q_schedule(d, m);
}

/* Selects first, then acts: acting may end a message, which must not happen inside the
 * map's walk. */
static size_t act_all(struct deliver *d, const char *what, int action)
{
	struct select_ctx s = { d, what, 0, 0, NULL };

	hmap_sweep(d->msgs, collect, &s);
	for (size_t i = 0; i < s.count; i++)
		act(d, s.hits[i], action);
	free(s.hits);
	ev_flush(d);
	engine_kick(d);
	return s.count;
}

size_t deliver_retry(struct deliver *d, const char *what)
{
	return act_all(d, what, 0);
}

size_t deliver_hold(struct deliver *d, const char *what, bool hold)
{
	return act_all(d, what, hold ? 1 : 2);
}

size_t deliver_delete(struct deliver *d, const char *what)
{
	return act_all(d, what, 3);
}
