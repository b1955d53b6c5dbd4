/*
 * rotate.c - the DKIM key rotation driver of the server (see rotate.h).
 *
 * A check is a round in three steps, one at a time:
 *   scan (thread pool)   read every key; retire the retiring keys whose time has come (and
 *                        an active key that no longer signs, left by a switch cut short);
 *                        read the public key (p=) of every pending key from its file
 *   look (loop)          one TXT lookup per pending key, all at once
 *   switch (thread pool) for each pending key whose record was seen: read it again (still
 *                        pending?), make it active, then its domain's other active keys of
 *                        the same algorithm retiring
 * Store work writes its log lines into the round (steps); the loop logs them when the work is
 * done, so the logger is only ever used from the loop's thread. The rotator's memory is
 * counted: one reference for the timer handle until it is closed, one for a round in
 * progress; it is freed when both are gone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/dkim.h"
#include "dkim/rotate.h"
#include "lib/buf.h"
#include "lib/hmap.h"

#define WAITING_EVERY_MS (3600 * 1000) /* "not published yet" once an hour per key */
#define STEP_TEXT_MAX	 600

struct dkim_rotator {
	uv_loop_t *loop;
	struct store *st;
	struct dns_resolver *dns;
	struct logger *log;
	unsigned check_s, grace_s;
	uv_timer_t timer;
	struct hmap *waiting; /* "domain selector" -> uint64_t: uv_now() of the last "waiting" */
	struct round *round;  /* the check in progress, or NULL */
	unsigned refs;	      /* the timer handle until closed, and the round */
	bool closing;
};

/* One log line to write on the loop. */
struct step {
	enum log_level level;
	char domain[STORE_DKIM_DOMAIN_MAX + 1];
	char selector[STORE_DKIM_SELECTOR_MAX + 1];
	const char *step;   /* published, activated, retiring, retired */
	const char *result; /* ok, waiting, failed */
	char detail[STEP_TEXT_MAX];
};

/* A pending key of the round. */
struct pending {
	struct round *rd;
	struct store_dkim_key k;
	char *value;		  /* its record's value, NULL when the file cannot be read */
	char problem[600];	  /* why value is NULL */
	bool seen;		  /* its record is in DNS */
	char said[STEP_TEXT_MAX]; /* what the lookup said when it was not */
};

struct round {
	struct dkim_rotator *r;
	uv_work_t work;
	unsigned grace_s;
	struct pending *keys;
	size_t nkeys, cap;
	unsigned lookups; /* in flight */
	struct step *steps;
	size_t nsteps, stepcap;
};

/* ---- the records ------------------------------------------------------------------------ */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The p= value of a tag-list (RFC 6376 3.2) without its whitespace, malloc'd; NULL when the
 * list is not a tag-list, has no p= or two, or the value is empty. */
static char *p_value(const char *list)
{
	char *out = NULL;
	const char *s = list;

	while (*s != '\0') {
		const char *end = strchr(s, ';'), *name;
		size_t namelen;

		if (end == NULL)
			end = s + strlen(s);
		while (s < end && is_wsp(*s))
			s++;
		if (s < end) {
			name = s;
			while (s < end && !is_wsp(*s) && *s != '=')
				s++;
			namelen = (size_t)(s - name);
			while (s < end && is_wsp(*s))
				s++;
			if (namelen == 0 || s == end || *s != '=')
				goto invalid;
			s++;
			if (namelen == 1 && name[0] == 'p') {
				size_t n = 0;
				if (out != NULL)
					goto invalid; /* a tag twice: the whole list is invalid */
				if ((out = malloc((size_t)(end - s) + 1)) == NULL)
					return NULL;
				for (; s < end; s++)
					if (!is_wsp(*s))
						out[n++] = *s;
				out[n] = '\0';
			}
		}
		s = *end != '\0' ? end + 1 : end; /* an empty segment ("a=b;", ";;") is fine */
	}
	if (out != NULL && out[0] == '\0')
		goto invalid; /* p= empty: a revoked key */
	return out;
invalid:
	free(out);
	return NULL;
}

bool dkim_record_has_key(const char *record, const char *value)
{
	char *want = p_value(value), *got = want != NULL ? p_value(record) : NULL;
	bool same = got != NULL && strcmp(want, got) == 0;

	free(want);
	free(got);
	return same;
}

/* ---- pieces of a round ------------------------------------------------------------------ */

static void rotator_unref(struct dkim_rotator *r)
{
	if (--r->refs > 0)
		return;
	hmap_free(r->waiting, free);
	free(r);
}

static void round_end(struct round *rd)
{
	struct dkim_rotator *r = rd->r;

	for (size_t i = 0; i < rd->nkeys; i++)
		free(rd->keys[i].value);
	free(rd->keys);
	free(rd->steps);
	free(rd);
	r->round = NULL;
	rotator_unref(r);
}

static void step_add(struct round *rd, enum log_level level, const struct store_dkim_key *k,
		     const char *step, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Keeps a log line for the loop (called from the thread pool, or on the loop itself). */
static void step_add(struct round *rd, enum log_level level, const struct store_dkim_key *k,
		     const char *step, const char *result, const char *fmt, ...)
{
	struct step *s;
	va_list ap;

	if (rd->nsteps == rd->stepcap) {
		size_t ncap = rd->stepcap ? rd->stepcap * 2 : 8;
		struct step *v = realloc(rd->steps, ncap * sizeof(*v));
		if (v == NULL)
			return; /* the store has the change and its event; only the line is lost */
		rd->steps = v;
		rd->stepcap = ncap;
	}
	s = &rd->steps[rd->nsteps++];
	s->level = level;
	snprintf(s->domain, sizeof(s->domain), "%s", k->domain);
	snprintf(s->selector, sizeof(s->selector), "%s", k->selector);
	s->step = step;
	s->result = result;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* Writes the round's log lines and forgets them. On the loop. */
static void steps_flush(struct round *rd)
{
	char q[STEP_TEXT_MAX + 16];

	for (size_t i = 0; i < rd->nsteps; i++) {
		const struct step *s = &rd->steps[i];
		log_event(rd->r->log, s->level, "dkim_rotation",
			  "domain=%s selector=%s step=%s result=%s detail=%s", s->domain,
			  s->selector, s->step, s->result, log_q(q, sizeof(q), s->detail));
	}
	rd->nsteps = 0;
}

/* "rsa-2048", "ed25519" */
static void alg_words(const struct store_dkim_key *k, char *out, size_t size)
{
	if (k->algorithm == STORE_DKIM_RSA)
		snprintf(out, size, "rsa-%d", k->bits);
	else
		snprintf(out, size, "%s", store_dkim_alg_name(k->algorithm));
}

static void utc(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%" PRId64, when);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records a change of k in the store's event log; a failure is only logged. */
static void event_add(struct round *rd, const struct store_dkim_key *k, const char *reply)
{
	struct store_event ev = {
		.time_ms = now_ms(),
		.queue_id = "dkim",
		.recipient = "",
		.sender = k->domain,
		.user = "",
		.status = EV_KEY,
		.reply = reply,
		.category = "",
	};
	int rc = store_events_add(rd->r->st, &ev, 1);

	if (rc != 0)
		step_add(rd, LOG_WARN, k, "event", "failed",
			 "the event log was not written: %s; the key's state is saved",
			 strerror(-rc));
}

/* Makes old, replaced by `by`, retiring until `until`; true when done. The event is the
 * caller's. */
static bool retire_one(struct round *rd, const struct store_dkim_key *old, const char *by,
		       int64_t until)
{
	char when[32];
	int rc = store_dkim_set_state(rd->r->st, old->domain, old->selector, STORE_DKIM_RETIRING,
				      STORE_DKIM_KEEP, until);

	if (rc != 0) {
		step_add(rd, LOG_ERROR, old, "retiring", "failed",
			 "replaced by %s, but the store cannot be written: %s; the newer key "
			 "signs meanwhile; tried again at the next check",
			 by, strerror(-rc));
		return false;
	}
	utc(until, when, sizeof(when));
	step_add(rd, LOG_INFO, old, "retiring", "ok",
		 "replaced by %s; no longer signs; keep its record published until %s so that "
		 "mail signed with it still verifies",
		 by, when);
	return true;
}

/* Retires k when its time has come. */
static void retire_if_due(struct round *rd, const struct store_dkim_key *k, int64_t now)
{
	char alg[32], reply[STEP_TEXT_MAX];
	int rc;

	if (k->retire_at > now)
		return;
	rc = store_dkim_set_state(rd->r->st, k->domain, k->selector, STORE_DKIM_RETIRED,
				  STORE_DKIM_KEEP, STORE_DKIM_KEEP);
	if (rc != 0) {
		if (rc != -ENOENT) /* removed meanwhile: nothing to do */
			step_add(rd, LOG_ERROR, k, "retired", "failed",
				 "cannot write the store: %s; tried again at the next check",
				 strerror(-rc));
		return;
	}
	alg_words(k, alg, sizeof(alg));
	snprintf(reply, sizeof(reply),
		 "selector %s (%s) retired: its grace period is over; its record may be removed "
		 "from DNS",
		 k->selector, alg);
	event_add(rd, k, reply);
	step_add(rd, LOG_INFO, k, "retired", "ok",
		 "grace period over; its record may be removed from DNS; 'tern dkim remove %s %s' "
		 "deletes the key",
		 k->domain, k->selector);
}

/* The active key of ks that signs for k's domain and algorithm, picked as the signer picks
 * (dkim_signer_load): the most recently activated, the newest by creation among equals, the
 * first listed among those. */
static const struct store_dkim_key *signing_key(const struct store_dkim_keys *ks,
						const struct store_dkim_key *k)
{
	const struct store_dkim_key *best = NULL;

	for (size_t i = 0; i < ks->n; i++) {
		const struct store_dkim_key *c = &ks->v[i];
		if (c->state != STORE_DKIM_ACTIVE || c->algorithm != k->algorithm ||
		    strcmp(c->domain, k->domain) != 0)
			continue;
		if (best == NULL || c->activated > best->activated ||
		    (c->activated == best->activated && c->created > best->created))
			best = c;
	}
	return best;
}

/* An active key that does not sign (a switch cut short by a crash or a store error): it
 * retires now, as the switch would have done. */
static void retire_if_replaced(struct round *rd, const struct store_dkim_keys *ks,
			       const struct store_dkim_key *k, int64_t now)
{
	const struct store_dkim_key *by = signing_key(ks, k);
	int64_t until = now + rd->grace_s;
	char alg[32], when[32], reply[STEP_TEXT_MAX];

	if (by == NULL || by == k)
		return;
	if (!retire_one(rd, k, by->selector, until))
		return;
	alg_words(k, alg, sizeof(alg));
	utc(until, when, sizeof(when));
	snprintf(reply, sizeof(reply), "selector %s (%s) retiring until %s: replaced by %s",
		 k->selector, alg, when, by->selector);
	event_add(rd, k, reply);
}

/* ---- a round ---------------------------------------------------------------------------- */

/* Thread pool: the retirements that are due, and the public keys of the pending keys. */
static void scan_work(uv_work_t *w)
{
	struct round *rd = w->data;
	int64_t now = (int64_t)time(NULL);
	struct store_dkim_keys ks;
	int rc;

	if ((rc = store_dkim_read(rd->r->st, NULL, &ks)) != 0) {
		struct store_dkim_key none = { .domain = "-", .selector = "-" };
		step_add(rd, LOG_ERROR, &none, "scan", "failed",
			 "cannot read the DKIM keys from the store: %s; tried again at the next "
			 "check",
			 strerror(-rc));
		return;
	}
	for (size_t i = 0; i < ks.n; i++) {
		const struct store_dkim_key *k = &ks.v[i];
		struct pending *p;
		struct buf v = BUF_INIT;

		if (k->state == STORE_DKIM_RETIRING)
			retire_if_due(rd, k, now);
		if (k->state == STORE_DKIM_ACTIVE)
			retire_if_replaced(rd, &ks, k, now);
		if (k->state != STORE_DKIM_PENDING)
			continue;
		if (rd->nkeys == rd->cap) {
			size_t ncap = rd->cap ? rd->cap * 2 : 8;
			struct pending *nv = realloc(rd->keys, ncap * sizeof(*nv));
			if (nv == NULL)
				break; /* the others at the next check */
			rd->keys = nv;
			rd->cap = ncap;
		}
		p = &rd->keys[rd->nkeys++];
		memset(p, 0, sizeof(*p));
		p->rd = rd;
		p->k = *k;
		if (dkim_txt_value(k->key_path, &v, p->problem, sizeof(p->problem)) == 0)
			p->value = buf_steal(&v);
		buf_free(&v);
	}
	store_dkim_keys_free(&ks);
}

/* Makes p active, then its domain's other active keys of the algorithm retiring. */
static void activate(struct round *rd, const struct pending *p)
{
	struct store *st = rd->r->st;
	struct store_dkim_key cur;
	struct store_dkim_keys ks;
	struct buf reply = BUF_INIT;
	int64_t now = (int64_t)time(NULL), until = now + rd->grace_s;
	char alg[32], when[32];
	int rc;

	/* Read again: the key may have been removed or changed since the scan. */
	if (store_dkim_get(st, p->k.domain, p->k.selector, &cur) != 0 ||
	    cur.state != STORE_DKIM_PENDING)
		return;
	if ((rc = store_dkim_set_state(st, cur.domain, cur.selector, STORE_DKIM_ACTIVE, now, 0)) !=
	    0) {
		step_add(rd, LOG_ERROR, &cur, "activated", "failed",
			 "record seen in DNS, but the store cannot be written: %s; tried again at "
			 "the next check",
			 strerror(-rc));
		return;
	}
	alg_words(&cur, alg, sizeof(alg));
	step_add(rd, LOG_INFO, &cur, "activated", "ok", "signs the mail of %s from now on (%s)",
		 cur.domain, alg);
	buf_printf(&reply, "selector %s (%s) active: its record is published", cur.selector, alg);
	if ((rc = store_dkim_read(st, cur.domain, &ks)) != 0) {
		step_add(rd, LOG_ERROR, &cur, "retiring", "failed",
			 "cannot read the domain's other keys: %s; the new key signs; the old ones "
			 "retire at the next check",
			 strerror(-rc));
	}
	utc(until, when, sizeof(when));
	for (size_t i = 0; i < ks.n; i++) {
		const struct store_dkim_key *old = &ks.v[i];
		if (old->state != STORE_DKIM_ACTIVE || old->algorithm != cur.algorithm ||
		    strcmp(old->selector, cur.selector) == 0)
			continue;
		if (retire_one(rd, old, cur.selector, until))
			buf_printf(&reply, "; %s now retiring until %s", old->selector, when);
	}
	store_dkim_keys_free(&ks);
	event_add(rd, &cur, reply.len > 0 ? buf_cstr(&reply) : "active");
	buf_free(&reply);
}

/* Thread pool: the switch to each key whose record was seen, oldest first. */
static void switch_work(uv_work_t *w)
{
	struct round *rd = w->data;

	for (size_t i = 0; i < rd->nkeys; i++)
		if (rd->keys[i].seen)
			activate(rd, &rd->keys[i]);
}

/* Loop: the switch is done; the signer follows within a second (the server's refresh). */
static void switch_done(uv_work_t *w, int status)
{
	struct round *rd = w->data;
	struct dkim_rotator *r = rd->r;
	char key[STORE_DKIM_DOMAIN_MAX + STORE_DKIM_SELECTOR_MAX + 2];

	(void)status;
	steps_flush(rd);
	for (size_t i = 0; i < rd->nkeys; i++) {
		if (!rd->keys[i].seen)
			continue;
		snprintf(key, sizeof(key), "%s %s", rd->keys[i].k.domain, rd->keys[i].k.selector);
		free(hmap_remove(r->waiting, key));
	}
	round_end(rd);
}

static void lookups_over(struct round *rd)
{
	bool any = false;

	for (size_t i = 0; i < rd->nkeys; i++)
		any |= rd->keys[i].seen;
	if (!any || rd->r->closing) {
		round_end(rd);
		return;
	}
	if (uv_queue_work(rd->r->loop, &rd->work, switch_work, switch_done) != 0)
		round_end(rd); /* seen again at the next check */
}

/* Whether to say (again) that k is waiting: at most once an hour. */
static bool waiting_due(struct dkim_rotator *r, const struct store_dkim_key *k)
{
	char key[STORE_DKIM_DOMAIN_MAX + STORE_DKIM_SELECTOR_MAX + 2];
	uint64_t now = uv_now(r->loop), *last;

	snprintf(key, sizeof(key), "%s %s", k->domain, k->selector);
	last = hmap_get(r->waiting, key);
	if (last != NULL && now - *last < WAITING_EVERY_MS)
		return false;
	if (last == NULL) {
		if ((last = malloc(sizeof(*last))) == NULL)
			return true;
		if (!hmap_put(r->waiting, key, last, NULL)) {
			free(last);
			return true;
		}
	}
	*last = now;
	return true;
}

static void on_txt(enum dns_status st, const char *const *records, size_t n, const char *error,
		   void *arg)
{
	struct pending *p = arg;
	struct round *rd = p->rd;

	for (size_t i = 0; i < n && !p->seen; i++)
		p->seen = dkim_record_has_key(records[i], p->value);
	if (p->seen)
		step_add(rd, LOG_INFO, &p->k, "published", "ok", "record seen in DNS");
	else if (st != DNS_OK)
		snprintf(p->said, sizeof(p->said), "record not published yet: TXT lookup said %s",
			 error);
	else if (n == 0)
		snprintf(p->said, sizeof(p->said),
			 "record not published yet: TXT lookup found no TXT record at the name");
	else
		snprintf(p->said, sizeof(p->said),
			 "record not published yet: TXT lookup found %zu record%s, none with this "
			 "key's p= (an old or mistyped value?)",
			 n, n == 1 ? "" : "s");
	if (!p->seen && !rd->r->closing && waiting_due(rd->r, &p->k))
		step_add(rd, LOG_INFO, &p->k, "published", "waiting", "%s", p->said);
	steps_flush(rd);
	if (--rd->lookups == 0)
		lookups_over(rd);
}

/* Forgets the "waiting" times of keys that are no longer pending. */
static bool not_pending(const char *key, void *v, void *ctx)
{
	const struct round *rd = ctx;
	char mine[STORE_DKIM_DOMAIN_MAX + STORE_DKIM_SELECTOR_MAX + 2];

	for (size_t i = 0; i < rd->nkeys; i++) {
		snprintf(mine, sizeof(mine), "%s %s", rd->keys[i].k.domain, rd->keys[i].k.selector);
		if (strcmp(mine, key) == 0)
			return false;
	}
	free(v);
	return true;
}

/* Loop: log what the scan did; look up the records of the pending keys. */
static void scan_done(uv_work_t *w, int status)
{
	struct round *rd = w->data;
	struct dkim_rotator *r = rd->r;
	struct buf name = BUF_INIT;

	(void)status;
	steps_flush(rd);
	if (r->closing) {
		round_end(rd); /* the resolver may be gone: no lookup now */
		return;
	}
	hmap_sweep(r->waiting, not_pending, rd);
	rd->lookups = 1; /* held while the lookups are being started */
	for (size_t i = 0; i < rd->nkeys; i++) {
		struct pending *p = &rd->keys[i];
		if (p->value == NULL) {
			if (waiting_due(r, &p->k))
				step_add(rd, LOG_WARN, &p->k, "published", "failed",
					 "cannot check the record: %s", p->problem);
			continue;
		}
		buf_reset(&name);
		if (!dkim_txt_name(p->k.domain, p->k.selector, &name))
			continue;
		rd->lookups++;
		dns_resolve_txt(r->dns, buf_cstr(&name), on_txt, p);
	}
	buf_free(&name);
	steps_flush(rd);
	if (--rd->lookups == 0)
		lookups_over(rd);
}

static void on_timer(uv_timer_t *t)
{
	struct dkim_rotator *r = t->data;
	struct round *rd;

	if (r->closing || r->round != NULL) /* one check at a time */
		return;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return;
	rd->r = r;
	rd->grace_s = r->grace_s;
	rd->work.data = rd;
	if (uv_queue_work(r->loop, &rd->work, scan_work, scan_done) != 0) {
		free(rd);
		return;
	}
	r->round = rd;
	r->refs++;
}

/* ---- the rotator ------------------------------------------------------------------------ */

struct dkim_rotator *dkim_rotator_new(uv_loop_t *loop, struct store *st, struct dns_resolver *dns,
				      struct logger *log, unsigned check_interval_s,
				      unsigned grace_s)
{
	struct dkim_rotator *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->waiting = hmap_new()) == NULL) {
		free(r);
		return NULL;
	}
	r->loop = loop;
	r->st = st;
	r->dns = dns;
	r->log = log;
	r->check_s = check_interval_s > 0 ? check_interval_s : 1;
	r->grace_s = grace_s;
	r->refs = 1; /* the timer */
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, on_timer, 1000, (uint64_t)r->check_s * 1000);
	return r;
}

void dkim_rotator_configure(struct dkim_rotator *r, unsigned check_interval_s, unsigned grace_s)
{
	if (r == NULL || r->closing)
		return;
	r->check_s = check_interval_s > 0 ? check_interval_s : 1;
	r->grace_s = grace_s;
	uv_timer_start(&r->timer, on_timer, (uint64_t)r->check_s * 1000,
		       (uint64_t)r->check_s * 1000);
}

static void on_timer_closed(uv_handle_t *h)
{
	rotator_unref(h->data);
}

void dkim_rotator_free(struct dkim_rotator *r)
{
	if (r == NULL || r->closing)
		return;
	r->closing = true;
	uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}
