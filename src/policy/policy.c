/*
 * policy.c - connection limits, the failed-AUTH throttle, approved senders, suppression and
 * sending quotas (see policy.h).
 */
#include "policy/policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/hmap.h"

#define IP_STATES_MAX  100000 /* client addresses remembered; beyond, new ones are not throttled */
#define USAGE_KEYS_MAX 100000 /* user and user/domain counters kept in memory */

/* A sliding window of n buckets of `width` seconds; total is the sum of the buckets. */
struct window {
	uint32_t *b;
	uint32_t n;
	int64_t width;
	int64_t head; /* bucket number (time / width) of the newest bucket */
	uint64_t total;
};

struct usage {
	struct window minute; /* 60 x 1 s */
	struct window hour;   /* 60 x 1 min */
	struct window day;    /* 1440 x 1 min; NULL buckets for domain counters */
	uint32_t reserved;    /* places held by transactions in progress */
	uint32_t unflushed;   /* counted since the last flush, all in minute `unflushed_min` */
	int64_t unflushed_min;
	char user[STORE_NAME_MAX + 1];
	char domain[ADDRESS_DOMAIN_MAX + 1];
};

struct ipstate {
	unsigned conns;
	unsigned fails;
	int64_t fail_start;
};

struct policy {
	struct store *st;
	struct logger *log;
	policy_clock clock;
	void *clock_ctx;
	struct hmap *usage; /* "user" and "user\x01domain" -> struct usage */
	struct hmap *ips;   /* client address -> struct ipstate */
	/* What was read from the store about users, valid while the store's data version stays
	 * the same: one cheap check per MAIL instead of three lookups. */
	struct hmap *users; /* user -> struct user_cache */
	int64_t version;
	bool version_known;
	int64_t version_checked_ns; /* CLOCK_MONOTONIC of the last check */
	int64_t version_interval_ns;
};

#define VERSION_INTERVAL_NS 2000000 /* 2 ms: a CLI change is in force before its command returns */

#define SENDER_CACHE_MAX 10000 /* answers remembered per user before starting over */

struct user_cache {
	int rc; /* of reading the user: 0 or -ENOENT */
	bool enabled;
	struct store_limits own;
	struct hmap *senders; /* address -> ALLOWED or DENIED */
};

static char allowed_mark, denied_mark;
#define ALLOWED ((void *)&allowed_mark)
#define DENIED	((void *)&denied_mark)

static int64_t real_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int64_t now(const struct policy *p)
{
	return p->clock(p->clock_ctx);
}

/* ---- windows --------------------------------------------------------------------------- */

static bool window_init(struct window *w, uint32_t n, int64_t width)
{
	w->b = calloc(n, sizeof(*w->b));
	w->n = n;
	w->width = width;
	w->head = 0;
	w->total = 0;
	return w->b != NULL;
}

static void window_advance(struct window *w, int64_t t)
{
	int64_t k = t / w->width;

	if (k <= w->head)
		return;
	if (k - w->head >= (int64_t)w->n) {
		memset(w->b, 0, w->n * sizeof(*w->b));
		w->total = 0;
	} else {
		for (int64_t i = w->head + 1; i <= k; i++) {
			uint32_t *slot = &w->b[i % w->n];
			w->total -= *slot;
			*slot = 0;
		}
	}
	w->head = k;
}

static uint64_t window_sum(struct window *w, int64_t t)
{
	window_advance(w, t);
	return w->total;
}

/* Adds at time t; a bucket older than the window (a count loaded from the store) is ignored. */
static void window_add(struct window *w, int64_t t, uint32_t k)
{
	int64_t bucket = t / w->width;

	window_advance(w, t);
	if (bucket <= w->head - (int64_t)w->n)
		return;
	w->b[bucket % w->n] += k;
	w->total += k;
}

/* ---- counters -------------------------------------------------------------------------- */

static void usage_free(void *v)
{
	struct usage *u = v;

	if (u == NULL)
		return;
	free(u->minute.b);
	free(u->hour.b);
	free(u->day.b);
	free(u);
}

/* The counters of user, or of user and domain (domain non-NULL); made when missing. */
static struct usage *usage_get(struct policy *p, const char *user, const char *domain)
{
	char key[STORE_NAME_MAX + ADDRESS_DOMAIN_MAX + 3];
	struct usage *u;

	snprintf(key, sizeof(key), "%s%s%s", user, domain ? "\x01" : "", domain ? domain : "");
	if ((u = hmap_get(p->usage, key)) != NULL)
		return u;
	if (hmap_count(p->usage) >= USAGE_KEYS_MAX || (u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	snprintf(u->user, sizeof(u->user), "%s", user);
	snprintf(u->domain, sizeof(u->domain), "%s", domain ? domain : "");
	if (!window_init(&u->hour, 60, 60) ||
	    (domain == NULL &&
	     (!window_init(&u->minute, 60, 1) || !window_init(&u->day, 1440, 60))) ||
	    !hmap_put(p->usage, key, u, NULL)) {
		usage_free(u);
		return NULL;
	}
	return u;
}

static void usage_count(struct usage *u, int64_t t, uint32_t k, bool flush_later)
{
	if (u->minute.b != NULL)
		window_add(&u->minute, t, k);
	window_add(&u->hour, t, k);
	if (u->day.b != NULL)
		window_add(&u->day, t, k);
	if (flush_later) {
		u->unflushed_min = t / 60;
		u->unflushed += k;
	}
}

static void user_cache_free(void *v)
{
	struct user_cache *c = v;

	if (c != NULL)
		hmap_free(c->senders, NULL);
	free(c);
}

void policy_set_version_interval(struct policy *p, int64_t ns)
{
	p->version_interval_ns = ns;
}

void policy_forget(struct policy *p)
{
	struct hmap *fresh = hmap_new();

	if (fresh == NULL)
		return; /* keep the old map; the next check tries again */
	hmap_free(p->users, user_cache_free);
	p->users = fresh;
}

/* Drops the cache when the store changed since it was filled (the admin CLI, another
 * server). */
static void check_version(struct policy *p)
{
	struct timespec ts;
	int64_t v, t;

	/* Each check is a read transaction (file locks); a busy server checks at most every
	 * few milliseconds, which no admin command is faster than. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (p->version_known && t - p->version_checked_ns < p->version_interval_ns)
		return;
	p->version_checked_ns = t;

	if (store_data_version(p->st, &v) != 0) {
		policy_forget(p);
		p->version_known = false;
		return;
	}
	if (!p->version_known || v != p->version)
		policy_forget(p);
	p->version = v;
	p->version_known = true;
}

/* The user's state and limits, from the cache or the store. NULL when out of memory or the
 * store cannot be read. */
static struct user_cache *user_state(struct policy *p, const char *user)
{
	struct user_cache *c = hmap_get(p->users, user);
	struct store_user su;

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->senders = hmap_new()) == NULL)
		goto fail;
	c->rc = store_user_get(p->st, user, &su);
	if (c->rc == 0) {
		c->enabled = su.enabled;
		c->rc = store_limits_get(p->st, user, &c->own);
	}
	if ((c->rc != 0 && c->rc != -ENOENT) || !hmap_put(p->users, user, c, NULL))
		goto fail;
	return c;
fail:
	user_cache_free(c);
	return NULL;
}

/* Whether user may send as address: 1, 0, or -errno. */
static int sender_ok(struct policy *p, struct user_cache *c, const char *user, const char *address)
{
	void *known = hmap_get(c->senders, address);
	bool ok = false;
	int rc;

	if (known != NULL)
		return known == ALLOWED;
	if ((rc = store_sender_allowed(p->st, user, address, &ok)) < 0)
		return rc;
	if (hmap_count(c->senders) >= SENDER_CACHE_MAX) {
		hmap_free(c->senders, NULL);
		if ((c->senders = hmap_new()) == NULL)
			return -ENOMEM;
	}
	(void)hmap_put(c->senders, address, ok ? ALLOWED : DENIED, NULL);
	return ok;
}

struct policy *policy_new(struct store *st, struct logger *log, policy_clock clock, void *clock_ctx)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->st = st;
	p->log = log;
	p->clock = clock != NULL ? clock : real_clock;
	p->clock_ctx = clock_ctx;
	p->version_interval_ns = VERSION_INTERVAL_NS;
	if ((p->usage = hmap_new()) == NULL || (p->ips = hmap_new()) == NULL ||
	    (p->users = hmap_new()) == NULL) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	hmap_free(p->usage, usage_free);
	hmap_free(p->ips, free);
	hmap_free(p->users, user_cache_free);
	free(p);
}

static int load_one(const struct store_usage *su, void *ctx)
{
	struct policy *p = ctx;
	struct usage *u = usage_get(p, su->user, su->domain[0] ? su->domain : NULL);

	if (u != NULL)
		usage_count(u, su->minute * 60, su->count, false);
	return 0;
}

int policy_load(struct policy *p)
{
	int64_t t = now(p);
	int rc = store_usage_load(p->st, t / 60 - 1440, load_one, p);

	/* What is older than a day is of no use to any window. */
	if (rc == 0)
		(void)store_usage_prune(p->st, t / 60 - 1440);
	return rc;
}

struct flush_ctx {
	struct store_usage *v;
	struct usage **from;
	size_t n, cap;
};

static bool collect(const char *key, void *v, void *ctx)
{
	struct usage *u = v;
	struct flush_ctx *f = ctx;

	(void)key;
	if (u->unflushed == 0 || f->n == f->cap)
		return false;
	f->v[f->n] = (struct store_usage){ u->user, u->domain, u->unflushed_min, u->unflushed };
	f->from[f->n++] = u;
	return false;
}

int policy_flush(struct policy *p)
{
	struct flush_ctx f = { NULL, NULL, 0, hmap_count(p->usage) };
	int rc = 0;

	if (f.cap == 0)
		return 0;
	f.v = calloc(f.cap, sizeof(*f.v));
	f.from = calloc(f.cap, sizeof(*f.from));
	if (f.v == NULL || f.from == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	hmap_sweep(p->usage, collect, &f);
	if (f.n == 0)
		goto cleanup;
	if ((rc = store_usage_add(p->st, f.v, f.n)) < 0) {
		log_event(p->log, LOG_WARN, "usage_flush", "error=\"%s\" entries=%zu",
			  strerror(-rc), f.n);
		goto cleanup;
	}
	for (size_t i = 0; i < f.n; i++)
		f.from[i]->unflushed = 0;
cleanup:
	free(f.v);
	free(f.from);
	return rc;
}

/* Counts are kept per minute for the store: a count of another minute is flushed first. */
static void usage_count_now(struct policy *p, struct usage *u)
{
	int64_t t = now(p);

	if (u->unflushed > 0 && u->unflushed_min != t / 60)
		(void)policy_flush(p);
	usage_count(u, t, 1, true);
}

/* ---- connections ----------------------------------------------------------------------- */

static struct ipstate *ip_get(struct policy *p, const char *ip, bool make)
{
	struct ipstate *s = hmap_get(p->ips, ip);

	if (s != NULL || !make || hmap_count(p->ips) >= IP_STATES_MAX)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (!hmap_put(p->ips, ip, s, NULL)) {
		free(s);
		return NULL;
	}
	return s;
}

static bool ip_throttled(const struct tern_config *cfg, struct ipstate *s, int64_t t)
{
	if (s->fails > 0 && t - s->fail_start >= (int64_t)cfg->auth_failure_window)
		s->fails = 0; /* the window has passed: a fresh start */
	return cfg->auth_failures_per_ip > 0 && s->fails >= cfg->auth_failures_per_ip;
}

/* Forgets an address with nothing left to remember. */
static void ip_maybe_forget(struct policy *p, const char *ip, struct ipstate *s)
{
	if (s->conns == 0 && s->fails == 0)
		free(hmap_remove(p->ips, ip));
}

enum smtp_reply_id policy_connect(struct policy *p, const struct tern_config *cfg, const char *ip,
				  size_t total_sessions)
{
	struct ipstate *s;

	if (total_sessions > cfg->max_connections)
		return SMTP_R_TOO_MANY_CONNECTIONS;
	s = ip_get(p, ip, true);
	if (s == NULL)
		return SMTP_R_NONE; /* the table is full: admit rather than lock everyone out */
	if (ip_throttled(cfg, s, now(p))) {
		ip_maybe_forget(p, ip, s);
		return SMTP_R_AUTH_TOO_MANY_FAILURES;
	}
	if (cfg->max_connections_per_ip > 0 && s->conns >= cfg->max_connections_per_ip) {
		ip_maybe_forget(p, ip, s);
		return SMTP_R_TOO_MANY_CONNECTIONS;
	}
	s->conns++;
	return SMTP_R_NONE;
}

void policy_disconnect(struct policy *p, const char *ip)
{
	struct ipstate *s = ip_get(p, ip, false);

	if (s == NULL)
		return;
	if (s->conns > 0)
		s->conns--;
	if (s->fails > 0 && s->conns == 0)
		return; /* still remembered for the throttle */
	ip_maybe_forget(p, ip, s);
}

void policy_auth_failed(struct policy *p, const struct tern_config *cfg, const char *ip)
{
	struct ipstate *s = ip_get(p, ip, true);
	int64_t t = now(p);

	if (s == NULL)
		return;
	if (s->fails == 0 || t - s->fail_start >= (int64_t)cfg->auth_failure_window) {
		s->fails = 0;
		s->fail_start = t;
	}
	s->fails++;
	if (cfg->auth_failures_per_ip > 0 && s->fails == cfg->auth_failures_per_ip)
		log_event(p->log, LOG_WARN, "auth_throttle",
			  "client=%s failures=%u window=%u reply=\"421 4.7.0\"", ip, s->fails,
			  cfg->auth_failure_window);
}

/* ---- a transaction --------------------------------------------------------------------- */

const char *policy_user(const struct tern_config *cfg, const char *auth_user, bool trusted)
{
	if (auth_user != NULL && auth_user[0] != '\0')
		return auth_user;
	if (trusted && cfg->trusted_user[0] != '\0')
		return cfg->trusted_user;
	return NULL;
}

static int64_t pick(int64_t own, unsigned server)
{
	return own == STORE_LIMIT_DEFAULT ? (int64_t)server : own;
}

static void effective_limits(const struct tern_config *cfg, const struct store_limits *own,
			     struct store_limits *out)
{
	out->per_minute = pick(own->per_minute, cfg->per_minute);
	out->per_hour = pick(own->per_hour, cfg->per_hour);
	out->per_day = pick(own->per_day, cfg->per_day);
	out->domain_per_hour = pick(own->domain_per_hour, cfg->domain_per_hour);
	out->max_recipients = pick(own->max_recipients, cfg->max_recipients);
	out->max_message_size = own->max_message_size == STORE_LIMIT_DEFAULT
					? (int64_t)cfg->max_message_size
					: own->max_message_size;
}

void policy_session_limits(struct policy *p, const struct tern_config *cfg, const char *user,
			   size_t *max_size, unsigned *max_rcpts)
{
	struct user_cache *c;
	struct store_limits lim;

	*max_size = 0;
	*max_rcpts = 0;
	if (user == NULL)
		return;
	check_version(p);
	if ((c = user_state(p, user)) == NULL || c->rc != 0)
		return;
	effective_limits(cfg, &c->own, &lim);
	*max_size = (size_t)lim.max_message_size;
	*max_rcpts = (unsigned)lim.max_recipients;
}

static bool refuse(struct smtp_verdict *v, enum smtp_reply_id id)
{
	v->accept = false;
	v->reply = id;
	return false;
}

static bool spent(uint64_t used, uint32_t reserved, int64_t limit)
{
	return limit > 0 && used + reserved >= (uint64_t)limit;
}

bool policy_mail(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		 const char *user, const struct address *from, struct smtp_verdict *v)
{
	struct user_cache *c;
	struct usage *u, *dom = NULL;
	int64_t tm = now(p);
	int ok;

	memset(v, 0, sizeof(*v));
	policy_txn_end(p, t);
	t->user[0] = '\0';
	t->suppressed_count = 0;
	snprintf(t->mail_from, sizeof(t->mail_from), "%s", from->text);
	if (user == NULL) {
		v->accept = true; /* a trusted client with no trusted_user: no sender policy */
		return true;
	}
	check_version(p);
	if ((c = user_state(p, user)) == NULL)
		return refuse(v, SMTP_R_LOCAL_ERROR);
	if (c->rc == -ENOENT || !c->enabled)
		return refuse(v, SMTP_R_ACCOUNT_SUSPENDED); /* or deleted while logged in */
	/* The null reverse-path (bounces) needs no approval: it claims no address. */
	if (!from->is_null) {
		if ((ok = sender_ok(p, c, user, from->text)) < 0)
			return refuse(v, SMTP_R_LOCAL_ERROR);
		if (!ok)
			return refuse(v, SMTP_R_SENDER_NOT_AUTHORIZED);
	}
	effective_limits(cfg, &c->own, &t->lim);
	snprintf(t->user, sizeof(t->user), "%s", user);
	if ((u = usage_get(p, user, NULL)) == NULL ||
	    (!from->is_null && (dom = usage_get(p, user, address_domain(from))) == NULL))
		return refuse(v, SMTP_R_LOCAL_ERROR);
	if (spent(window_sum(&u->minute, tm), u->reserved, t->lim.per_minute)) {
		snprintf(t->arg, sizeof(t->arg), "%" PRId64, t->lim.per_minute);
		v->arg = t->arg;
		return refuse(v, SMTP_R_RATE_MINUTE);
	}
	if (spent(window_sum(&u->hour, tm), u->reserved, t->lim.per_hour))
		return refuse(v, SMTP_R_RATE_HOUR);
	if (spent(window_sum(&u->day, tm), u->reserved, t->lim.per_day)) {
		snprintf(t->arg, sizeof(t->arg), "%" PRId64, t->lim.per_day);
		v->arg = t->arg;
		return refuse(v, SMTP_R_RATE_DAY);
	}
	if (dom != NULL && spent(window_sum(&dom->hour, tm), dom->reserved, t->lim.domain_per_hour))
		return refuse(v, SMTP_R_RATE_DOMAIN_HOUR);
	u->reserved++;
	if (dom != NULL)
		dom->reserved++;
	t->u = u;
	t->dom = dom;
	t->reserved = true;
	v->accept = true;
	return true;
}

bool policy_rcpt(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		 const struct address *rcpt, struct smtp_verdict *v)
{
	struct store_suppression e;
	int rc;

	memset(v, 0, sizeof(*v));
	v->accept = true;
	if ((rc = store_suppress_get(p->st, rcpt->text, now(p), &e)) == -ENOENT)
		return true;
	if (rc < 0)
		return refuse(v, SMTP_R_LOCAL_ERROR);
	snprintf(t->arg2, sizeof(t->arg2), "%s", store_suppress_reason_name(e.reason));
	log_event(p->log, LOG_INFO, "suppressed", "user=%s rcpt=%s reason=%s", t->user, rcpt->text,
		  t->arg2);
	switch (cfg->suppression_reply) {
	case SUPPRESS_REPLY_REJECT:
		v->arg2 = t->arg2;
		return refuse(v, SMTP_R_SUPPRESSED_REJECTED);
	case SUPPRESS_REPLY_254:
		v->reply = SMTP_R_SUPPRESSED_254;
		v->arg = t->user[0] ? t->user : "-";
		v->arg2 = rcpt->text;
		break;
	case SUPPRESS_REPLY_ACCEPT:
		v->reply = SMTP_R_SUPPRESSED_ACCEPTED;
		v->arg2 = t->arg2;
		break;
	}
	if (t->suppressed_count == t->suppressed_cap) {
		size_t cap = t->suppressed_cap ? t->suppressed_cap * 2 : 4;
		void *grown = realloc(t->suppressed, cap * sizeof(*t->suppressed));
		if (grown == NULL) /* it could not be left out of delivery: refuse it for now */
			return refuse(v, SMTP_R_LOCAL_ERROR);
		t->suppressed = grown;
		t->suppressed_cap = cap;
	}
	snprintf(t->suppressed[t->suppressed_count++], sizeof(t->suppressed[0]), "%s", rcpt->text);
	return true;
}

int policy_sender_allowed(struct policy *p, const char *user, const char *address, bool *ok)
{
	struct user_cache *c = user_state(p, user);
	int rc = c != NULL ? sender_ok(p, c, user, address) : -ENOMEM;

	*ok = rc == 1;
	return rc < 0 ? rc : 0;
}

bool policy_is_suppressed(const struct policy_txn *t, const char *rcpt)
{
	for (size_t i = 0; i < t->suppressed_count; i++)
		if (strcmp(t->suppressed[i], rcpt) == 0)
			return true;
	return false;
}

void policy_accepted(struct policy *p, struct policy_txn *t)
{
	if (!t->reserved)
		return;
	usage_count_now(p, t->u);
	if (t->dom != NULL)
		usage_count_now(p, t->dom);
	policy_txn_end(p, t);
}

void policy_txn_end(struct policy *p, struct policy_txn *t)
{
	(void)p;
	if (!t->reserved)
		return;
	t->u->reserved--;
	if (t->dom != NULL)
		t->dom->reserved--;
	t->u = t->dom = NULL;
	t->reserved = false;
}

void policy_txn_free(struct policy *p, struct policy_txn *t)
{
	policy_txn_end(p, t);
	free(t->suppressed);
	t->suppressed = NULL;
	t->suppressed_count = t->suppressed_cap = 0;
}

static int64_t left(struct window *w, int64_t t, uint32_t reserved, int64_t limit)
{
	uint64_t used = window_sum(w, t) + reserved;

	if (limit <= 0)
		return -1;
	return used >= (uint64_t)limit ? 0 : limit - (int64_t)used;
}

void policy_remaining(struct policy *p, const struct tern_config *cfg, const char *user,
		      struct policy_remaining *out)
{
	struct store_limits own = { -1, -1, -1, -1, -1, -1 }, lim;
	struct usage *u = usage_get(p, user, NULL);
	int64_t t = now(p);

	(void)store_limits_get(p->st, user, &own);
	effective_limits(cfg, &own, &lim);
	out->minute = out->hour = out->day = -1;
	if (u == NULL)
		return;
	out->minute = left(&u->minute, t, u->reserved, lim.per_minute);
	out->hour = left(&u->hour, t, u->reserved, lim.per_hour);
	out->day = left(&u->day, t, u->reserved, lim.per_day);
}
