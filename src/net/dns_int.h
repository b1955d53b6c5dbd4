/*
 * dns_int.h - what the two halves of the resolver share: dns.c (c-ares on the libuv loop,
 * lookups, retries, results) and dns_answer.c (reading raw answers: records, TTLs; the cache of
 * answers). Not for use outside src/net/dns*.c.
 *
 * An answer is the same thing fresh from the wire and from the cache: dns.c consumes it without
 * knowing which.
 */
#ifndef TERN_NET_DNS_INT_H
#define TERN_NET_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/dns.h"

struct hmap;

enum { C_IN = 1, T_A = 1, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28 };

#define MX_MAX 32 /* MX records kept from one answer, before shuffling */

struct mx_rr {
	uint16_t pref;
	char name[256]; /* lowercase, no trailing dot; "" for "." (null MX) */
};

struct ip {
	uint8_t b[16]; /* 4 bytes for A, 16 for AAAA */
};

/* One answer, fresh or cached. status: ARES_SUCCESS (n > 0), ARES_ENOTFOUND (NXDOMAIN),
 * ARES_ENODATA (the name exists without records of the type), anything else is temporary. */
struct answer {
	int status;
	size_t n;
	struct mx_rr *mx; /* T_MX: sorted by preference, duplicates removed */
	struct ip *ip;	  /* T_A, T_AAAA */
	char *txt;	  /* T_TXT: n records, each NUL-terminated, back to back */
	size_t txt_len;	  /* octets of txt, the NULs included */
};

/* Seconds an answer may be cached, 0 for not at all. Positive: the smallest TTL of the answer
 * section (CNAMEs included), 1 to 3600. Negative: min(TTL, MINIMUM) of the SOA in the authority
 * section (RFC 2308 section 5), 1 to 60; without a SOA, not cached. m may be NULL (then 0). */
unsigned dns_answer_ttl(const unsigned char *m, int mlen, bool negative);

/* The MX records of an answer into a->mx (allocated, the caller frees), sorted, each host
 * once, at most MX_MAX; an ARES_ status, ARES_ENODATA for none. */
int dns_parse_mx(const unsigned char *abuf, int alen, struct answer *a);

/* The addresses of an A or AAAA answer into a->ip (allocated, the caller frees), at most
 * DNS_ADDRS_MAX; an ARES_ status, ARES_ENODATA for none. */
int dns_parse_addrs(int type, const unsigned char *abuf, int alen, struct answer *a);

/* The TXT records of an answer into a->txt (allocated, the caller frees), each record's
 * character-strings joined, at most DNS_TXT_MAX, records holding a NUL octet left out; an
 * ARES_ status, ARES_ENODATA for none. */
int dns_parse_txt(const unsigned char *abuf, int alen, struct answer *a);

/* The target names of the CNAME or PTR records (type) of an answer into a->txt as dns_parse_txt
 * does (lowercase, no trailing dot), at most DNS_TXT_MAX; records of other types in the answer
 * (a CNAME chain in front of PTR records) are passed over. An ARES_ status, ARES_ENODATA for
 * none. */
int dns_parse_names(int type, const unsigned char *abuf, int alen, struct answer *a);

/* The cache: an hmap of "TYPE name" -> one malloc'd block each (free them with free).
 * now is uv_now() milliseconds. dns_cache_get: the unexpired answer, valid until the next
 * dns_cache_put, or NULL. dns_cache_put copies a (ttl 0 or a TXT, CNAME or PTR answer: nothing); when the
 * cache is full even after dropping expired entries, the answer is simply not kept. */
const struct answer *dns_cache_get(struct hmap *cache, uint64_t now, int type, const char *name);
void dns_cache_put(struct hmap *cache, uint64_t now, int type, const char *name,
		   const struct answer *a, unsigned ttl);

#endif
