/*
 * dns_answer.c - reading what the DNS servers said, and keeping it: the records of a raw MX, A,
 * AAAA, TXT, CNAME or PTR answer, how long the answer may be cached (its TTLs, or its SOA's for a negative
 * one), and the cache itself (see dns_int.h; the resolver that uses them is dns.c). TXT answers
 * are read but never kept.
 *
 * Promises: a malformed answer is never read past its end (no TTL: not cached); TTLs are kept
 * to 1 second to 1 hour, negative ones to 60 seconds; the cache holds at most CACHE_MAX answers
 * and drops expired ones before refusing more. No I/O, no loop: the caller says what time it is.
 */
#include <ares.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hmap.h"
#include "net/dns_int.h"

#define TTL_MAX	    3600  /* seconds a positive answer is cached at most */
#define NEG_TTL_MAX 60	  /* seconds a negative answer is cached at most */
#define CACHE_MAX   10000 /* cached answers */

struct cache_entry {
	uint64_t expires; /* uv_now() milliseconds */
	struct answer a;  /* its array is allocated with the entry */
};

/* --- answers -------------------------------------------------------------------------------- */

/* Copies a name from an answer: lowercase, without a trailing dot. */
static void name_copy(char out[256], const char *in)
{
	size_t i;

	for (i = 0; i < 255 && in[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	if (i > 0 && out[i - 1] == '.')
		i--;
	out[i] = '\0';
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Skips a possibly compressed name at off; the offset after it, or -1. */
static long skip_name(const unsigned char *m, long len, long off)
{
	while (off < len) {
		unsigned l = m[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : -1;
		if ((l & 0xc0) != 0)
			return -1;
		off += l + 1;
	}
	return -1;
}

/* Seconds an answer may be cached, 0 for not at all. Positive: the smallest TTL of the answer
 * section (CNAMEs included), 1 to TTL_MAX. Negative: min(TTL, MINIMUM) of the SOA in the
 * authority section (RFC 2308 section 5), 1 to NEG_TTL_MAX; without a SOA, not cached. */
unsigned dns_answer_ttl(const unsigned char *m, int mlen, bool negative)
{
	long len = mlen, off = 12;
	uint32_t ttl = UINT32_MAX, max = negative ? NEG_TTL_MAX : TTL_MAX;
	unsigned qd, an, ns;

	if (m == NULL || len < 12)
		return 0;
	qd = get16(m + 4);
	an = get16(m + 6);
	ns = get16(m + 8);
	for (unsigned i = 0; i < qd; i++) {
		off = skip_name(m, len, off);
		if (off < 0 || off + 4 > len)
			return 0;
		off += 4;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		unsigned type, rdlen;
		uint32_t rttl;

		off = skip_name(m, len, off);
		if (off < 0 || off + 10 > len)
			return 0;
		type = get16(m + off);
		rttl = get32(m + off + 4);
		rdlen = get16(m + off + 8);
		off += 10;
		if (off + (long)rdlen > len)
			return 0;
		if (rttl > INT32_MAX) /* RFC 2181 section 8 */
			rttl = 0;
		if (!negative && i < an && rttl < ttl)
			ttl = rttl;
		if (negative && i >= an && type == T_SOA && rdlen >= 22) {
			uint32_t minimum = get32(m + off + rdlen - 4);
			if (rttl < ttl)
				ttl = rttl;
			if (minimum < ttl)
				ttl = minimum;
		}
		off += rdlen;
	}
	if (ttl == UINT32_MAX)
		return 0;
	return ttl > max ? max : ttl < 1 ? 1 : ttl;
}

static int mx_cmp(const void *a, const void *b)
{
	const struct mx_rr *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The MX records of an answer into a->mx (allocated), sorted, each host once. */
int dns_parse_mx(const unsigned char *abuf, int alen, struct answer *a)
{
	struct ares_mx_reply *list = NULL;
	size_t n = 0, kept = 0;
	int rc = ares_parse_mx_reply(abuf, alen, &list);

	if (rc != ARES_SUCCESS)
		return rc;
	for (struct ares_mx_reply *m = list; m != NULL; m = m->next)
		n += n < MX_MAX;
	if (n == 0 || (a->mx = calloc(n, sizeof(*a->mx))) == NULL) {
		ares_free_data(list);
		return n == 0 ? ARES_ENODATA : ARES_ENOMEM;
	}
	n = 0;
	for (struct ares_mx_reply *m = list; m != NULL && n < MX_MAX; m = m->next) {
		a->mx[n].pref = m->priority;
		name_copy(a->mx[n].name, m->host);
		n++;
	}
	ares_free_data(list);
	qsort(a->mx, n, sizeof(*a->mx), mx_cmp);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < kept && !seen; k++)
			seen = strcmp(a->mx[k].name, a->mx[i].name) == 0;
		if (!seen)
			a->mx[kept++] = a->mx[i];
	}
	a->n = kept;
	return ARES_SUCCESS;
}

/* The addresses of an A or AAAA answer into a->ip (allocated), at most DNS_ADDRS_MAX. */
int dns_parse_addrs(int type, const unsigned char *abuf, int alen, struct answer *a)
{
	struct ares_addrttl v4[DNS_ADDRS_MAX];
	struct ares_addr6ttl v6[DNS_ADDRS_MAX];
	int n = DNS_ADDRS_MAX, rc;

	if (type == T_A)
		rc = ares_parse_a_reply(abuf, alen, NULL, v4, &n);
	else
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, v6, &n);
	if (rc != ARES_SUCCESS)
		return rc;
	if (n <= 0)
		return ARES_ENODATA;
	if ((a->ip = calloc((size_t)n, sizeof(*a->ip))) == NULL)
		return ARES_ENOMEM;
	for (int i = 0; i < n; i++) {
		if (type == T_A)
			memcpy(a->ip[i].b, &v4[i].ipaddr, 4);
		else
			memcpy(a->ip[i].b, &v6[i].ip6addr, 16);
	}
	a->n = (size_t)n;
	return ARES_SUCCESS;
}

/* The TXT records of an answer into a->txt (allocated): each record's character-strings
 * joined, records holding a NUL octet left out, at most DNS_TXT_MAX. */
int dns_parse_txt(const unsigned char *abuf, int alen, struct answer *a)
{
	struct ares_txt_ext *list = NULL;
	size_t size = 0, len = 0, start = 0;
	bool open = false, clean = true;
	int rc = ares_parse_txt_reply_ext(abuf, alen, &list);

	if (rc != ARES_SUCCESS)
		return rc;
	for (const struct ares_txt_ext *t = list; t != NULL; t = t->next)
		size += t->length + 1; /* every string its own record at most, with its NUL */
	if ((a->txt = malloc(size > 0 ? size : 1)) == NULL) {
		ares_free_data(list);
		return ARES_ENOMEM;
	}
	for (const struct ares_txt_ext *t = list; t != NULL; t = t->next) {
		if (t->record_start || !open) {
			/* The record before is complete: kept when clean, else forgotten. */
			if (open && clean) {
				a->txt[len++] = '\0';
				a->n++;
			} else {
				len = start;
			}
			start = len;
			open = false;
			if (a->n == DNS_TXT_MAX)
				break;
			open = true;
			clean = true;
		}
		if (t->length > 0 && memchr(t->txt, '\0', t->length) != NULL)
			clean = false;
		if (clean && t->length > 0) {
			memcpy(a->txt + len, t->txt, t->length);
			len += t->length;
		}
	}
	if (open && clean) {
		a->txt[len++] = '\0';
		a->n++;
	} else {
		len = start;
	}
	ares_free_data(list);
	a->txt_len = len;
	return a->n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* The target names of the records of `type` in an answer, as dns_parse_txt keeps strings. */
int dns_parse_names(int type, const unsigned char *abuf, int alen, struct answer *a)
{
	long len = alen, off = 12;
	unsigned qd, an;
	size_t used = 0;

	if (abuf == NULL || len < 12)
		return ARES_EBADRESP;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	for (unsigned i = 0; i < qd; i++) {
		off = skip_name(abuf, len, off);
		if (off < 0 || off + 4 > len)
			return ARES_EBADRESP;
		off += 4;
	}
	/* each name at most 256 octets with its NUL */
	if ((a->txt = malloc((size_t)(an > DNS_TXT_MAX ? DNS_TXT_MAX : an) * 256 + 1)) == NULL)
		return ARES_ENOMEM;
	for (unsigned i = 0; i < an && a->n < DNS_TXT_MAX; i++) {
		unsigned rtype, rdlen;
		char *name = NULL;
		long enclen = 0;

		off = skip_name(abuf, len, off);
		if (off < 0 || off + 10 > len)
			return ARES_EBADRESP;
		rtype = get16(abuf + off);
		rdlen = get16(abuf + off + 8);
		off += 10;
		if (off + (long)rdlen > len)
			return ARES_EBADRESP;
		if (rtype == (unsigned)type &&
		    ares_expand_name(abuf + off, abuf, alen, &name, &enclen) == ARES_SUCCESS) {
			char low[256];
			name_copy(low, name);
			ares_free_string(name);
			memcpy(a->txt + used, low, strlen(low) + 1);
			used += strlen(low) + 1;
			a->n++;
		}
		off += rdlen;
	}
	a->txt_len = used;
	return a->n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* --- cache ---------------------------------------------------------------------------------- */

static void cache_key(char key[300], int type, const char *name)
{
	snprintf(key, 300, "%d %s", type, name);
}

static bool expired(const char *key, void *v, void *ctx)
{
	(void)key;
	if (((struct cache_entry *)v)->expires > *(uint64_t *)ctx)
		return false;
	free(v);
	return true;
}

const struct answer *dns_cache_get(struct hmap *cache, uint64_t now, int type, const char *name)
{
	char key[300];
	struct cache_entry *e;

	cache_key(key, type, name);
	e = hmap_get(cache, key);
	if (e == NULL || e->expires <= now)
		return NULL;
	return &e->a;
}

void dns_cache_put(struct hmap *cache, uint64_t now, int type, const char *name,
		   const struct answer *a, unsigned ttl)
{
	size_t each = type == T_MX ? sizeof(struct mx_rr) : sizeof(struct ip);
	struct cache_entry *e;
	char key[300];
	void *old = NULL;

	/* TXT: its caller waits for the record to change; CNAME and PTR: asked by tern doctor, which
	 * wants what the DNS says now */
	if (ttl == 0 || type == T_TXT || type == T_CNAME || type == T_PTR)
		return;
	if (hmap_count(cache) >= CACHE_MAX)
		hmap_sweep(cache, expired, &now);
	if (hmap_count(cache) >= CACHE_MAX)
		return;
	if ((e = malloc(sizeof(*e) + a->n * each)) == NULL)
		return;
	e->expires = now + (uint64_t)ttl * 1000;
	e->a = *a;
	e->a.mx = NULL;
	e->a.ip = NULL;
	if (a->n > 0 && type == T_MX) {
		e->a.mx = (struct mx_rr *)(e + 1);
		memcpy(e->a.mx, a->mx, a->n * each);
	} else if (a->n > 0) {
		e->a.ip = (struct ip *)(e + 1);
		memcpy(e->a.ip, a->ip, a->n * each);
	}
	cache_key(key, type, name);
	if (!hmap_put(cache, key, e, &old)) {
		free(e);
		return;
	}
	free(old);
}
