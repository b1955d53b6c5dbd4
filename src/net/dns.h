/*
 * dns.h - where mail for a domain goes: MX lookup with the addresses of every host, for the
 * delivery engine and `tern route`; TXT records (DKIM keys, SPF, DMARC), for the DKIM key
 * rotation and tern doctor; CNAME and PTR names, for tern doctor; with c-ares on the caller's
 * libuv loop.
 *
 * Promises:
 * - Every lookup ends in exactly one callback, always from the loop, never from inside the call
 *   that started it; the result is one of five statuses that say what the caller does
 *   (deliver; bounce with 5.1.2, 5.1.10 or 5.4.4; defer). Temporary trouble (SERVFAIL, timeout,
 *   REFUSED, an unreachable server) is never reported as permanent.
 * - Names are queried as absolute names: no search-list expansion, no /etc/hosts. They must be
 *   ASCII (an internationalised domain as A-labels, "xn--..."): anything else is not a valid
 *   domain name (DNS_NXDOMAIN), so the caller converts U-labels first.
 * - A query that times out is tried 3 times, timeout_s seconds each time against each
 *   configured server in turn (c-ares's own retries would double the wait every time); one
 *   answered SERVFAIL or REFUSED goes to the next server, when there is one.
 * - Answers are cached per lowercase name and query type for their TTL (1 second to 1 hour);
 *   NXDOMAIN and NODATA for their SOA's negative TTL (at most 60 seconds; not at all without a
 *   SOA, RFC 2308); temporary failures never. TXT answers are never cached: whoever asks for
 *   TXT is waiting for a record to change (a new DKIM key being published).
 * - Everything runs on the loop's thread; a resolver has no global state besides c-ares's
 *   library initialisation. Not thread-safe: one resolver per loop.
 */
#ifndef TERN_NET_DNS_H
#define TERN_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define DNS_HOSTS_MAX 16
#define DNS_ADDRS_MAX 8

enum dns_status {
	DNS_OK = 0,
	DNS_NXDOMAIN,	/* the domain does not exist -> caller bounces with 5.1.2 */
	DNS_NULL_MX,	/* RFC 7505 "MX 0 ." -> caller bounces with 5.1.10 */
	DNS_NO_ADDRESS, /* MX hosts (or the domain itself, without MX) have no A/AAAA */
	DNS_TEMPFAIL,	/* SERVFAIL, timeout, refused, network: caller defers */
};

struct dns_host {
	char name[256]; /* MX host name (or the domain itself for the implicit MX), lowercase */
	uint16_t preference;
	size_t naddrs;
	/* port 0; IPv4 and IPv6 interleaved, IPv4 first (a host's IPv6 path is the one more often
	 * broken or without PTR), each family in the order of its answer */
	struct sockaddr_storage addrs[DNS_ADDRS_MAX];
	/* this host's own address lookup: DNS_OK (naddrs > 0), DNS_NXDOMAIN (the host name does
	 * not exist), DNS_NO_ADDRESS (it exists without A/AAAA) or DNS_TEMPFAIL */
	enum dns_status status;
};

struct dns_mx_result {
	enum dns_status status;
	bool implicit;	 /* no MX record: the domain's own A/AAAA (RFC 5321 5.1) */
	char error[160]; /* for logs and bounces when status != OK, e.g. "example.net: no such
			    domain (NXDOMAIN)" */
	size_t nhosts;
	/* Preference order; random order among equal preference; duplicates removed. With
	 * DNS_OK, hosts without addresses are kept (naddrs 0, their own status) so the caller can
	 * log them: try only hosts with status DNS_OK. With DNS_NO_ADDRESS or DNS_TEMPFAIL after
	 * the MX answer, the hosts are there too, to say which failed. */
	struct dns_host hosts[DNS_HOSTS_MAX];
};

struct dns_resolver;

/* servers: "" for /etc/resolv.conf, else "ip[:port],ip[:port]" (IPv6 as [::1]:53). timeout_s
 * per try, 3 tries. NULL with err set when c-ares cannot start or the server list is wrong. */
struct dns_resolver *dns_resolver_new(uv_loop_t *loop, const char *servers, unsigned timeout_s,
				      char *err, size_t errlen);

/* Cancels pending lookups (their callbacks run with DNS_TEMPFAIL "resolver shut down"), closes
 * handles; the loop must run afterwards for the closes to finish, then the memory is freed.
 * The callbacks run from the loop after this returns; lookups started from them get the same
 * answer. Do not start lookups once the loop has finished the closes. */
void dns_resolver_free(struct dns_resolver *r);

typedef void (*dns_mx_cb)(const struct dns_mx_result *res, void *arg);

/* MX lookup with the A/AAAA of every host (both families; at most DNS_ADDRS_MAX each host).
 * Always calls cb exactly once, never synchronously from inside dns_resolve_mx. res is valid
 * only during the callback.
 * - NXDOMAIN on MX: DNS_NXDOMAIN; a name that is not a valid domain name gets it too.
 * - one MX with the target "." (RFC 7505): DNS_NULL_MX; a "." among other MX is ignored.
 * - no MX record (NODATA): the implicit MX, the domain's own A/AAAA; none: DNS_NO_ADDRESS.
 * - hosts with addresses: DNS_OK; none, and some failed temporarily: DNS_TEMPFAIL; none, and
 *   none failed temporarily: DNS_NO_ADDRESS. */
void dns_resolve_mx(struct dns_resolver *r, const char *domain, dns_mx_cb cb, void *arg);

/* Addresses of one host name (routes, smarthosts): result with nhosts 1 and the host's status
 * as the result's (DNS_NXDOMAIN when the name does not exist: for a configured route that is
 * the operator's mistake, which callers usually defer rather than bounce). An IP literal
 * (1.2.3.4, 2001:db8::1, optionally in brackets) resolves to itself without a query. Same
 * callback promises as dns_resolve_mx. */
void dns_resolve_host(struct dns_resolver *r, const char *name, dns_mx_cb cb, void *arg);

#define DNS_TXT_MAX 64 /* TXT records of one answer handed to the caller; more are dropped */

/* records[0..n): the TXT records of the name, each record's character-strings joined into one
 * string (RFC 6376 3.6.2.2, RFC 7208 3.3: no separator), in the order of the answer. A record
 * holding a NUL octet cannot be a C string and is left out. Valid only during the callback.
 * error: "" with DNS_OK, else words for logs, e.g. "sel._domainkey.example.org: no such name
 * (NXDOMAIN)". */
typedef void (*dns_txt_cb)(enum dns_status st, const char *const *records, size_t n,
			   const char *error, void *arg);

/* TXT lookup of name (queried as given: the caller adds "_domainkey." and the like). Same
 * callback promises as dns_resolve_mx (exactly once, never synchronously, DNS_TEMPFAIL
 * "resolver shut down" when the resolver is freed first); never answered from the cache.
 * - records: DNS_OK with n > 0;
 * - the name exists without TXT records (NODATA): DNS_OK with n == 0;
 * - NXDOMAIN, or a name that is not a valid domain name: DNS_NXDOMAIN;
 * - SERVFAIL, timeout, REFUSED, an unusable answer: DNS_TEMPFAIL. */
void dns_resolve_txt(struct dns_resolver *r, const char *name, dns_txt_cb cb, void *arg);

enum dns_name_type { DNS_CNAME, DNS_PTR };

/* The target names of name's CNAME or PTR records (lowercase, without the trailing dot), for
 * tern doctor. For DNS_PTR, name may be an IP literal: its in-addr.arpa or ip6.arpa name is
 * asked. The callback and statuses as dns_resolve_txt's (the names in records); a PTR answer
 * reached through a CNAME (RFC 2317) gives the PTR names. Never cached. */
void dns_resolve_names(struct dns_resolver *r, const char *name, enum dns_name_type type,
		       dns_txt_cb cb, void *arg);

/* Words for a status, e.g. "temporary DNS failure". */
const char *dns_status_name(enum dns_status s);

#endif
