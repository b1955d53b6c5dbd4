/*
 * dns.c - the resolver: MX, address, TXT, CNAME and PTR lookups with c-ares on a libuv loop (see dns.h);
 * what an answer holds, and the cache, are dns_answer.c's (see dns_int.h).
 *
 * c-ares says which sockets it wants watched through the sock-state callback: each gets a
 * uv_poll; one uv_timer fires at ares_timeout(). A lookup is a small state machine: the MX
 * query, then the A and AAAA queries of every host, counted in `pending` (held at one while
 * queries are being started, since a cached answer completes at once). A finished lookup goes
 * on the `done` list, which a zero timer hands to the callers: a callback never runs inside
 * the call that started its lookup, nor inside c-ares. Failed queries are retried here (see
 * retry), and only definite answers (records, NXDOMAIN, NODATA) are cached. A TXT lookup is
 * the same machine with one query (PH_TXT) and its own callback; its answers are not cached;
 * so are CNAME and PTR lookups (dns_resolve_names), whose names come back as TXT strings do.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hmap.h"
#include "lib/log.h"
#include "net/dns.h"
#include "net/dns_int.h"

#define DNS_TRIES 3 /* attempts of one query, each of timeout_s against every server */

struct dns_sock {
	struct dns_sock *next;
	struct dns_resolver *r;
	ares_socket_t fd;
	uv_poll_t poll;
};

enum phase { PH_MX, PH_ADDR, PH_TXT };

struct dns_lookup {
	struct dns_lookup *next; /* on r->done */
	struct dns_resolver *r;
	dns_mx_cb cb;
	dns_txt_cb txt_cb; /* dns_resolve_txt: called instead of cb */
	void *arg;
	enum phase phase;
	bool host_only; /* dns_resolve_host */
	bool shut_down; /* a query was cancelled by dns_resolver_free */
	unsigned pending;
	int temp_status; /* the first temporary failure of an address query */
	struct {
		int status[2]; /* A, AAAA */
		size_t n[2];
		struct ip ip[2][DNS_ADDRS_MAX];
	} fam[DNS_HOSTS_MAX];
	char domain[256];
	struct dns_mx_result res; /* TXT lookups: status and error only */
	char *txt;		  /* TXT lookups: ntxt records, each NUL-terminated, back to back */
	size_t ntxt;
};

/* One query in flight: the argument c-ares hands back. */
struct dns_query {
	struct dns_lookup *lk;
	int type;
	size_t host; /* address queries: index in lk->res.hosts */
	unsigned tries;
	char name[256];
};

struct dns_resolver {
	uv_loop_t *loop;
	ares_channel channel;
	uv_timer_t timer;   /* at ares_timeout() */
	uv_timer_t deliver; /* zero timer: runs the callbacks of the done list */
	struct dns_sock *socks;
	struct dns_lookup *done, *done_tail;
	struct hmap *cache; /* dns_cache_get, dns_cache_put (dns_answer.c) */
	unsigned nservers;
	bool closing;
	unsigned closes; /* handles whose close has not finished */
};

static void query_start(struct dns_lookup *lk, int type, size_t host, const char *name);
static void advance(struct dns_lookup *lk);

const char *dns_status_name(enum dns_status s)
{
	static const char *const names[] = { "ok", "no such domain", "null MX", "no address",
					     "temporary DNS failure" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* What a failed query means, in words. */
static const char *failure_words(int status)
{
	switch (status) {
	case ARES_ESERVFAIL:
		return "the DNS server failed to answer (SERVFAIL)";
	case ARES_ETIMEOUT:
		return "no answer from the DNS server (timed out)";
	case ARES_EREFUSED:
		return "the DNS server refused the query (REFUSED)";
	case ARES_ECONNREFUSED:
		return "cannot reach the DNS server (connection refused)";
	case ARES_EFORMERR:
	case ARES_EBADRESP:
	case ARES_ENOTIMP:
		return "the DNS server gave a malformed or unusable answer";
	case ARES_ENOMEM:
		return "out of memory";
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return "resolver shut down";
	}
	return ares_strerror(status);
}

static bool is_negative(int status)
{
	return status == ARES_ENOTFOUND || status == ARES_ENODATA;
}

/* --- names ---------------------------------------------------------------------------------- */

/* A domain or host name as tern queries it: lowercase, without the trailing dot, letters,
 * digits, '-' and '_' in labels of 1 to 63 octets, at most 253 octets. */
static bool name_normalize(const char *in, char out[256])
{
	size_t len = strlen(in), label = 0;
	char name[256];

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else {
			if (!isalnum(c) && c != '-' && c != '_')
				return false;
			if (++label > 63)
				return false;
		}
		name[i] = (char)tolower(c);
	}
	if (label == 0)
		return false;
	name[len] = '\0';
	memcpy(out, name, len + 1);
	return true;
}

/* --- the loop: sockets and timers ----------------------------------------------------------- */

static void closed_one(struct dns_resolver *r);
static void rearm(struct dns_resolver *r);

static void on_timer(uv_timer_t *t)
{
	struct dns_resolver *r = t->data;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
	rearm(r);
}

/* Sets the timer to c-ares's next timeout, after anything that may have changed it. */
static void rearm(struct dns_resolver *r)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (r->closing)
		return;
	tvp = ares_timeout(r->channel, NULL, &tv);
	if (tvp == NULL) {
		uv_timer_stop(&r->timer);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
	uv_timer_start(&r->timer, on_timer, ms, 0);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct dns_sock *s = h->data;
	struct dns_resolver *r = s->r;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	/* On an error c-ares reads (and writes) to find it and moves to the next server. */
	if (status < 0 || (events & UV_READABLE))
		rfd = s->fd;
	if (status < 0 || (events & UV_WRITABLE))
		wfd = s->fd;
	ares_process_fd(r->channel, rfd, wfd); /* may close s: not used after this */
	rearm(r);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct dns_sock *s = h->data;
	struct dns_resolver *r = s->r;

	free(s);
	closed_one(r);
}

static void sock_close(struct dns_resolver *r, struct dns_sock *s)
{
	for (struct dns_sock **p = &r->socks; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	uv_poll_stop(&s->poll);
	r->closes++;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* c-ares wants fd watched for reading and/or writing, or no more (then it closes it). */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *r = data;
	struct dns_sock *s = r->socks;

	while (s != NULL && s->fd != fd)
		s = s->next;
	if (!readable && !writable) {
		if (s != NULL)
			sock_close(r, s);
		return;
	}
	if (s == NULL) {
		/* Without a watch the query times out: a temporary failure, nothing lost. */
		if (r->closing || (s = calloc(1, sizeof(*s))) == NULL)
			return;
		if (uv_poll_init_socket(r->loop, &s->poll, fd) != 0) {
			free(s);
			return;
		}
		s->r = r;
		s->fd = fd;
		s->poll.data = s;
		s->next = r->socks;
		r->socks = s;
	}
	uv_poll_start(&s->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
		      on_poll);
}

/* --- lookups -------------------------------------------------------------------------------- */

static void deliver_batch(struct dns_resolver *r);

static void on_deliver(uv_timer_t *t)
{
	deliver_batch(t->data);
}

/* Hands a finished TXT lookup to its caller: the records as an array of strings. */
static void call_txt(struct dns_lookup *lk)
{
	const char *records[DNS_TXT_MAX];
	size_t n = 0;

	for (const char *p = lk->txt; n < lk->ntxt; p += strlen(p) + 1)
		records[n++] = p;
	lk->txt_cb(lk->res.status, records, n, lk->res.error, lk->arg);
}

/* Runs the callbacks of the lookups done so far; those finished meanwhile wait for the next
 * turn of the loop, so a callback that starts a lookup cannot keep this loop going. */
static void deliver_batch(struct dns_resolver *r)
{
	struct dns_lookup *batch = r->done, *lk;

	r->done = r->done_tail = NULL;
	while ((lk = batch) != NULL) {
		batch = lk->next;
		if (lk->txt_cb != NULL)
			call_txt(lk);
		else
			lk->cb(&lk->res, lk->arg);
		free(lk->txt);
		free(lk);
		if (r->closing && batch != NULL) {
			/* A callback freed the resolver: the rest go first when the closes finish. */
			struct dns_lookup *tail = batch;
			while (tail->next != NULL)
				tail = tail->next;
			tail->next = r->done;
			if (r->done == NULL)
				r->done_tail = tail;
			r->done = batch;
			return;
		}
	}
}

static void finish(struct dns_lookup *lk)
{
	struct dns_resolver *r = lk->r;

	lk->next = NULL;
	if (r->done_tail != NULL)
		r->done_tail->next = lk;
	else
		r->done = lk;
	r->done_tail = lk;
	if (!r->closing)
		uv_timer_start(&r->deliver, on_deliver, 0, 0);
}

static void release(struct dns_lookup *lk)
{
	if (--lk->pending == 0)
		advance(lk);
}

static void fail(struct dns_lookup *lk, enum dns_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the lookup's status and its error text. */
static void fail(struct dns_lookup *lk, enum dns_status st, const char *fmt, ...)
{
	va_list ap;

	lk->res.status = st;
	va_start(ap, fmt);
	vsnprintf(lk->res.error, sizeof(lk->res.error), fmt, ap);
	va_end(ap);
}

/* Shuffles runs of equal preference (the caller spreads load as the domain asked). */
static void shuffle_equal(size_t *idx, size_t n, const struct mx_rr *mx)
{
	for (size_t start = 0, end; start < n; start = end) {
		end = start + 1;
		while (end < n && mx[idx[end]].pref == mx[idx[start]].pref)
			end++;
		for (size_t i = end - start; i > 1; i--) {
			size_t j = randombytes_uniform((uint32_t)i), t = idx[start + i - 1];
			idx[start + i - 1] = idx[start + j];
			idx[start + j] = t;
		}
	}
}

static void mx_answer(struct dns_lookup *lk, const struct answer *a)
{
	struct dns_mx_result *res = &lk->res;
	size_t idx[MX_MAX], n = 0;

	if (a->status == ARES_ENOTFOUND) {
		fail(lk, DNS_NXDOMAIN, "%s: no such domain (NXDOMAIN)", lk->domain);
		return;
	}
	if (a->status == ARES_ENODATA) {
		/* RFC 5321 5.1: without MX, the domain itself is the one host, preference 0. */
		res->implicit = true;
		res->nhosts = 1;
		memcpy(res->hosts[0].name, lk->domain, sizeof(lk->domain));
		return;
	}
	if (a->status != ARES_SUCCESS) {
		lk->shut_down |= a->status == ARES_EDESTRUCTION || a->status == ARES_ECANCELLED;
		fail(lk, DNS_TEMPFAIL, "%s: MX lookup failed: %s", lk->domain,
		     failure_words(a->status));
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->mx[i].name[0] != '\0') /* "." among other MX: ignored */
			idx[n++] = i;
	if (n == 0) {
		fail(lk, DNS_NULL_MX, "%s: the domain accepts no mail (null MX, RFC 7505)",
		     lk->domain);
		return;
	}
	shuffle_equal(idx, n, a->mx);
	for (size_t i = 0; i < n && i < DNS_HOSTS_MAX; i++) {
		res->hosts[i].preference = a->mx[idx[i]].pref;
		memcpy(res->hosts[i].name, a->mx[idx[i]].name, sizeof(res->hosts[i].name));
		res->nhosts++;
	}
}

static void addr_answer(struct dns_lookup *lk, int type, size_t host, const struct answer *a)
{
	int f = type == T_A ? 0 : 1;

	lk->fam[host].status[f] = a->status;
	if (a->status == ARES_EDESTRUCTION || a->status == ARES_ECANCELLED)
		lk->shut_down = true;
	else if (a->status != ARES_SUCCESS && !is_negative(a->status) && lk->temp_status == 0)
		lk->temp_status = a->status;
	for (size_t i = 0; a->status == ARES_SUCCESS && i < a->n && i < DNS_ADDRS_MAX; i++)
		lk->fam[host].ip[f][lk->fam[host].n[f]++] = a->ip[i];
}

static const char *type_name(int type)
{
	return type == T_CNAME ? "CNAME" : type == T_PTR ? "PTR" : "TXT";
}

static void txt_answer(struct dns_lookup *lk, int type, const struct answer *a)
{
	if (a->status == ARES_ENOTFOUND) {
		fail(lk, DNS_NXDOMAIN, "%s: no such name (NXDOMAIN)", lk->domain);
		return;
	}
	if (a->status == ARES_ENODATA) /* the name exists without TXT records: none to give */
		return;
	if (a->status != ARES_SUCCESS) {
		lk->shut_down |= a->status == ARES_EDESTRUCTION || a->status == ARES_ECANCELLED;
		fail(lk, DNS_TEMPFAIL, "%s: %s lookup failed: %s", lk->domain, type_name(type),
		     failure_words(a->status));
		return;
	}
	if ((lk->txt = malloc(a->txt_len)) == NULL) {
		fail(lk, DNS_TEMPFAIL, "%s: %s lookup failed: %s", lk->domain, type_name(type),
		     failure_words(ARES_ENOMEM));
		return;
	}
	memcpy(lk->txt, a->txt, a->txt_len);
	lk->ntxt = a->n;
}

/* A host's addresses, IPv4 and IPv6 interleaved, and its status. */
static void host_conclude(struct dns_lookup *lk, size_t i)
{
	struct dns_host *h = &lk->res.hosts[i];
	const int *st = lk->fam[i].status;

	for (size_t k = 0;
	     h->naddrs < DNS_ADDRS_MAX && (k < lk->fam[i].n[0] || k < lk->fam[i].n[1]); k++) {
		for (int f = 0; f < 2 && h->naddrs < DNS_ADDRS_MAX; f++) {
			struct sockaddr_storage *ss = &h->addrs[h->naddrs];
			if (k >= lk->fam[i].n[f])
				continue;
			memset(ss, 0, sizeof(*ss));
			if (f == 0) {
				struct sockaddr_in *sin = (struct sockaddr_in *)ss;
				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, lk->fam[i].ip[0][k].b, 4);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr, lk->fam[i].ip[1][k].b, 16);
			}
			h->naddrs++;
		}
	}
	if (h->naddrs > 0)
		h->status = DNS_OK;
	else if (!is_negative(st[0]) || !is_negative(st[1]))
		h->status = DNS_TEMPFAIL;
	else if (st[0] == ARES_ENOTFOUND && st[1] == ARES_ENOTFOUND)
		h->status = DNS_NXDOMAIN;
	else
		h->status = DNS_NO_ADDRESS;
}

/* The verdict once every host's addresses are in. */
static void conclude(struct dns_lookup *lk)
{
	struct dns_mx_result *res = &lk->res;
	const struct dns_host *failed = NULL;
	bool temp = false;

	res->status = DNS_NO_ADDRESS;
	for (size_t i = 0; i < res->nhosts; i++) {
		host_conclude(lk, i);
		if (res->hosts[i].status == DNS_OK)
			res->status = DNS_OK;
		if (res->hosts[i].status == DNS_TEMPFAIL && !temp) {
			temp = true;
			failed = &res->hosts[i];
		}
		if (failed == NULL && res->hosts[i].status != DNS_OK)
			failed = &res->hosts[i];
	}
	if (res->status == DNS_OK || failed == NULL)
		return;
	if (temp) {
		res->status = DNS_TEMPFAIL;
		fail(lk, DNS_TEMPFAIL, "%s: address lookup failed: %s", failed->name,
		     failure_words(lk->temp_status));
	} else if (lk->host_only && failed->status == DNS_NXDOMAIN) {
		fail(lk, DNS_NXDOMAIN, "%s: no such host (NXDOMAIN)", failed->name);
	} else if (lk->host_only || res->implicit) {
		fail(lk, DNS_NO_ADDRESS, "%s: %s", failed->name,
		     res->implicit ? "no MX record and no address (A/AAAA)"
				   : "no address (A/AAAA)");
	} else if (res->nhosts == 1) {
		fail(lk, DNS_NO_ADDRESS, "%s: its MX host %s has no address (A/AAAA)", lk->domain,
		     failed->name);
	} else {
		fail(lk, DNS_NO_ADDRESS,
		     "%s: none of its MX hosts has an address (A/AAAA), e.g. %s", lk->domain,
		     failed->name);
	}
}

/* Called when no query of the lookup is pending. */
static void advance(struct dns_lookup *lk)
{
	struct dns_mx_result *res = &lk->res;

	if (lk->phase == PH_MX && res->status == DNS_OK && !lk->shut_down) {
		lk->phase = PH_ADDR;
		lk->pending = 1;
		for (size_t i = 0; i < res->nhosts; i++) {
			query_start(lk, T_A, i, res->hosts[i].name);
			query_start(lk, T_AAAA, i, res->hosts[i].name);
		}
		release(lk); /* back here with phase PH_ADDR once all are answered */
		return;
	}
	if (lk->phase == PH_ADDR)
		conclude(lk);
	if (lk->shut_down) {
		res->status = DNS_TEMPFAIL;
		err_printf(res->error, sizeof(res->error), "%s: resolver shut down", lk->domain);
	}
	finish(lk);
}

static void query_done(struct dns_lookup *lk, int type, size_t host, const struct answer *a)
{
	if (type == T_MX)
		mx_answer(lk, a);
	else if (type == T_TXT || type == T_CNAME || type == T_PTR)
		txt_answer(lk, type, a);
	else
		addr_answer(lk, type, host, a);
	release(lk);
}

/* Whether a failed query goes again. Tries are counted here, not by c-ares, whose every try
 * doubles the timeout, which reports SERVFAIL and REFUSED as "connection refused" unless
 * ARES_FLAG_NOCHECKRESP, and which fails every query in flight to a server when the server
 * closes a TCP connection (a truncated answer's), as "connection refused" too. */
static bool retry(const struct dns_resolver *r, const struct dns_query *q, int status)
{
	if (r->closing || q->tries >= DNS_TRIES)
		return false;
	if (status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED)
		return true;
	/* Another server may answer: with ARES_OPT_ROTATE the next try starts at the next. */
	if (status == ARES_ESERVFAIL || status == ARES_EREFUSED)
		return q->tries < r->nservers;
	return false;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct dns_lookup *lk = q->lk;
	struct dns_resolver *r = lk->r;
	struct answer a = { .status = status };
	unsigned ttl = 0;

	(void)timeouts;
	if (retry(r, q, status)) {
		q->tries++;
		ares_query(r->channel, q->name, C_IN, q->type, on_answer, q);
		return;
	}
	if (status == ARES_SUCCESS) {
		a.status = q->type == T_MX    ? dns_parse_mx(abuf, alen, &a)
			   : q->type == T_TXT ? dns_parse_txt(abuf, alen, &a)
			   : q->type == T_CNAME || q->type == T_PTR
				   ? dns_parse_names(q->type, abuf, alen, &a)
				   : dns_parse_addrs(q->type, abuf, alen, &a);
		ttl = dns_answer_ttl(abuf, alen, a.status != ARES_SUCCESS);
	} else if (is_negative(status)) {
		ttl = dns_answer_ttl(abuf, alen, true);
	}
	if (!r->closing && (a.status == ARES_SUCCESS || is_negative(a.status)))
		dns_cache_put(r->cache, uv_now(r->loop), q->type, q->name, &a, ttl);
	query_done(lk, q->type, q->host, &a);
	free(a.mx);
	free(a.ip);
	free(a.txt);
	free(q);
}

static void query_start(struct dns_lookup *lk, int type, size_t host, const char *name)
{
	struct dns_resolver *r = lk->r;
	const struct answer *cached;
	struct answer a = { .status = ARES_EDESTRUCTION };
	struct dns_query *q;

	lk->pending++;
	if (r->closing) {
		query_done(lk, type, host, &a);
		return;
	}
	if ((cached = dns_cache_get(r->cache, uv_now(r->loop), type, name)) != NULL) {
		query_done(lk, type, host, cached);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		a.status = ARES_ENOMEM;
		query_done(lk, type, host, &a);
		return;
	}
	q->lk = lk;
	q->type = type;
	q->host = host;
	q->tries = 1;
	snprintf(q->name, sizeof(q->name), "%s", name);
	ares_query(r->channel, q->name, C_IN, type, on_answer, q);
	rearm(r);
}

static struct dns_lookup *lookup_new(struct dns_resolver *r, const char *name, dns_mx_cb cb,
				     void *arg)
{
	struct dns_lookup *lk = calloc(1, sizeof(*lk));

	if (lk == NULL) {
		/* The callback must run, and cannot without memory: nothing sane is left to do. */
		fprintf(stderr, "tern: out of memory starting a DNS lookup\n");
		abort();
	}
	lk->r = r;
	lk->cb = cb;
	lk->arg = arg;
	snprintf(lk->domain, sizeof(lk->domain), "%s", name);
	return lk;
}

/* Starts lk's one query of `type` for name, or ends lk at once when name is no domain name. */
static void start_query(struct dns_lookup *lk, const char *name, enum phase phase, int type)
{
	if (!name_normalize(name, lk->domain)) {
		fail(lk, DNS_NXDOMAIN, "%s: not a valid domain name", lk->domain);
		finish(lk);
		return;
	}
	lk->phase = phase;
	lk->pending = 1;
	query_start(lk, type, 0, lk->domain);
	release(lk);
}

void dns_resolve_mx(struct dns_resolver *r, const char *domain, dns_mx_cb cb, void *arg)
{
	start_query(lookup_new(r, domain, cb, arg), domain, PH_MX, T_MX);
}

/* An IP literal, bare or in brackets, as the one address of the result. */
static bool ip_literal(const char *name, struct dns_host *h)
{
	char buf[64];
	size_t len = strlen(name);
	struct sockaddr_in *sin = (struct sockaddr_in *)&h->addrs[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->addrs[0];

	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		name++;
		len -= 2;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	memset(&h->addrs[0], 0, sizeof(h->addrs[0]));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		return false;
	snprintf(h->name, sizeof(h->name), "%s", buf);
	h->naddrs = 1;
	h->status = DNS_OK;
	return true;
}

void dns_resolve_host(struct dns_resolver *r, const char *name, dns_mx_cb cb, void *arg)
{
	struct dns_lookup *lk = lookup_new(r, name, cb, arg);
	struct dns_mx_result *res = &lk->res;

	lk->host_only = true;
	res->nhosts = 1;
	if (ip_literal(name, &res->hosts[0])) {
		finish(lk);
		return;
	}
	if (!name_normalize(name, lk->domain)) {
		snprintf(res->hosts[0].name, sizeof(res->hosts[0].name), "%s", name);
		res->hosts[0].status = DNS_NXDOMAIN;
		fail(lk, DNS_NXDOMAIN, "%s: not a valid host name", lk->domain);
		finish(lk);
		return;
	}
	memcpy(res->hosts[0].name, lk->domain, sizeof(lk->domain));
	lk->phase = PH_ADDR;
	lk->pending = 1;
	query_start(lk, T_A, 0, lk->domain);
	query_start(lk, T_AAAA, 0, lk->domain);
	release(lk);
}

void dns_resolve_txt(struct dns_resolver *r, const char *name, dns_txt_cb cb, void *arg)
{
	struct dns_lookup *lk = lookup_new(r, name, NULL, arg);

	lk->txt_cb = cb;
	start_query(lk, name, PH_TXT, T_TXT);
}

/* The reverse-lookup name of an IP literal: in-addr.arpa or ip6.arpa (RFC 1035 3.5, RFC 3596
 * 2.5); false when name is not an address. */
static bool reverse_name(const char *name, char out[256])
{
	struct dns_host h;
	static const char hx[] = "0123456789abcdef";

	if (!ip_literal(name, &h))
		return false;
	if (h.addrs[0].ss_family == AF_INET) {
		const uint8_t *b = (const uint8_t *)&((struct sockaddr_in *)&h.addrs[0])->sin_addr;
		snprintf(out, 256, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
	} else {
		const uint8_t *b =
			(const uint8_t *)&((struct sockaddr_in6 *)&h.addrs[0])->sin6_addr;
		size_t n = 0;
		for (int i = 15; i >= 0; i--) {
			out[n++] = hx[b[i] & 15];
			out[n++] = '.';
			out[n++] = hx[b[i] >> 4];
			out[n++] = '.';
		}
		memcpy(out + n, "ip6.arpa", 9);
	}
	return true;
}

void dns_resolve_names(struct dns_resolver *r, const char *name, enum dns_name_type type,
		       dns_txt_cb cb, void *arg)
{
	struct dns_lookup *lk = lookup_new(r, name, NULL, arg);
	char rev[256];

	lk->txt_cb = cb;
	if (type == DNS_PTR && reverse_name(name, rev))
		name = rev;
	start_query(lk, name, PH_TXT, type == DNS_PTR ? T_PTR : T_CNAME);
}

/* --- the resolver --------------------------------------------------------------------------- */

static unsigned count_servers(ares_channel ch)
{
	struct ares_addr_port_node *list = NULL;
	unsigned n = 0;

	if (ares_get_servers_ports(ch, &list) != ARES_SUCCESS)
		return 1;
	for (struct ares_addr_port_node *s = list; s != NULL; s = s->next)
		n++;
	ares_free_data(list);
	return n > 0 ? n : 1;
}

struct dns_resolver *dns_resolver_new(uv_loop_t *loop, const char *servers, unsigned timeout_s,
				      char *err, size_t errlen)
{
	struct dns_resolver *r = NULL;
	struct ares_options opts;
	int rc;

	/* c-ares's library state is set once per process and reference-counted; on Unix it
	 * holds nothing that changes afterwards. */
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		err_printf(err, errlen, "cannot start the DNS resolver: %s", ares_strerror(rc));
		return NULL;
	}
	if (sodium_init() < 0 || (r = calloc(1, sizeof(*r))) == NULL ||
	    (r->cache = hmap_new()) == NULL) {
		err_printf(err, errlen, "cannot start the DNS resolver: out of memory");
		goto fail;
	}
	r->loop = loop;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = r;
	opts.timeout = (int)(timeout_s > 0 ? timeout_s : 5) * 1000;
	opts.tries = 1; /* see on_answer */
	/* NOCHECKRESP: c-ares 1.18 hides SERVFAIL and REFUSED behind ARES_ECONNREFUSED. */
	opts.flags = ARES_FLAG_NOCHECKRESP;
	rc = ares_init_options(&r->channel, &opts,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				       ARES_OPT_FLAGS | ARES_OPT_ROTATE);
	if (rc != ARES_SUCCESS) {
		err_printf(err, errlen, "cannot start the DNS resolver: %s", ares_strerror(rc));
		goto fail;
	}
	if (servers != NULL && servers[0] != '\0' &&
	    (rc = ares_set_servers_ports_csv(r->channel, servers)) != ARES_SUCCESS) {
		err_printf(err, errlen,
			   "DNS servers '%s': %s; write IP[:PORT] separated by commas, IPv6 in "
			   "brackets as [::1]:53",
			   servers, ares_strerror(rc));
		ares_destroy(r->channel);
		goto fail;
	}
	r->nservers = count_servers(r->channel);
	uv_timer_init(loop, &r->timer);
	uv_timer_init(loop, &r->deliver);
	r->timer.data = r;
	r->deliver.data = r;
	return r;
fail:
	if (r != NULL)
		hmap_free(r->cache, NULL);
	free(r);
	ares_library_cleanup();
	return NULL;
}

static void closed_one(struct dns_resolver *r)
{
	r->closes--;
	if (!r->closing)
		return;
	/* Cancelled lookups, and those started from their callbacks, get their answer. */
	while (r->done != NULL)
		deliver_batch(r);
	if (r->closes > 0)
		return;
	hmap_free(r->cache, free);
	free(r);
}

static void on_handle_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

void dns_resolver_free(struct dns_resolver *r)
{
	if (r == NULL || r->closing)
		return;
	r->closing = true;
	/* Ends every query with ARES_EDESTRUCTION (lookups finish "resolver shut down") and
	 * reports each socket closed, which closes its poll handle. */
	ares_destroy(r->channel);
	r->channel = NULL;
	while (r->socks != NULL)
		sock_close(r, r->socks);
	r->closes += 2;
	uv_close((uv_handle_t *)&r->timer, on_handle_closed);
	uv_close((uv_handle_t *)&r->deliver, on_handle_closed);
	ares_library_cleanup();
}
