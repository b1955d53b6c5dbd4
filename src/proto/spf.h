/*
 * spf.h - SPF (RFC 7208): the record's syntax, and check_host() for one address, with the DNS
 * answers asked of the caller through a lookup callback.
 *
 * Pure: no I/O, no clock, no allocation. The caller's callback does the DNS queries (tern
 * doctor fills it from c-ares, the unit tests and the fuzz harness from tables) and must
 * answer synchronously.
 *
 * Promises:
 * - Every limit of RFC 7208 section 4.6.4 is kept: at most 10 terms that query DNS (include,
 *   a, mx, ptr, exists, redirect) in the whole evaluation, at most 10 MX or PTR names looked at
 *   per term, at most 2 void lookups (a name that does not exist or has no records); going
 *   past one is a permerror that says which limit.
 * - An include or redirect that comes back to a domain already being evaluated is a permerror
 *   ("loop") found before the lookup limit would catch it.
 * - Macros (section 7) are expanded with their transformers for the letters s, l, o, d, i, h
 *   and v. %{p} (the validated PTR name) is not: a record that needs it ends in
 *   SPF_UNEVALUATED, which says so, rather than in a guessed result.
 * - out->matched says which term decided (through includes: "include:a.example ->
 *   ip4:192.0.2.0/24"), out->why says in words why the result is what it is.
 */
#ifndef TERN_PROTO_SPF_H
#define TERN_PROTO_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPF_LOOKUP_LIMIT 10 /* DNS-querying terms per evaluation (RFC 7208 4.6.4) */
#define SPF_VOID_LIMIT	 2  /* lookups that found nothing */
#define SPF_NAMES_LIMIT	 10 /* MX or PTR names looked at per term */
#define SPF_ANSWER_MAX	 16 /* records handed back by one lookup */
#define SPF_TXT_MAX	 1024
#define SPF_TERMS_MAX	 64

enum spf_result {
	SPF_NONE = 0, /* no SPF record */
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
	SPF_UNEVALUATED, /* the record needs something not implemented here (%{p}) */
};

/* An address: family 4 (b[0..4)) or 6 (b[0..16)). */
struct spf_ip {
	int family;
	uint8_t b[16];
};

/* Parses a dotted quad or an RFC 4291 IPv6 text form (with ::, and a trailing dotted quad). */
bool spf_ip_parse(const char *s, size_t len, struct spf_ip *out);
/* The text form of an address (IPv6 compressed); out has at least 46 bytes. */
void spf_ip_format(const struct spf_ip *ip, char *out, size_t size);
/* True when ip lies in net/prefix (same family). */
bool spf_ip_in(const struct spf_ip *ip, const struct spf_ip *net, int prefix);

enum spf_qtype { SPF_Q_TXT, SPF_Q_A, SPF_Q_AAAA, SPF_Q_MX, SPF_Q_PTR };
enum spf_dns { SPF_DNS_OK = 0, SPF_DNS_NXDOMAIN, SPF_DNS_TEMPFAIL };

/* One lookup's answer. SPF_DNS_OK with n == 0: the name exists without such records. TXT
 * records (character-strings joined) and MX/PTR names go in str; A and AAAA in ip. */
struct spf_answer {
	enum spf_dns status;
	size_t n;
	char str[SPF_ANSWER_MAX][SPF_TXT_MAX];
	struct spf_ip ip[SPF_ANSWER_MAX];
};

/* name is a domain name without the trailing dot; for SPF_Q_PTR, the address is `ip` (name
 * is its in-addr.arpa / ip6.arpa form). Fill out (zeroed by the caller). */
typedef void (*spf_lookup_fn)(void *ctx, enum spf_qtype type, const char *name,
			      const struct spf_ip *ip, struct spf_answer *out);

/* ---- the record ---------------------------------------------------------------------------- */

enum spf_mech { SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_PTR, SPF_IP4, SPF_IP6, SPF_EXISTS };

struct spf_term {
	char qualifier; /* '+', '-', '~', '?' */
	enum spf_mech mech;
	char domain[256]; /* domain-spec as written (macros unexpanded), "" for the current */
	struct spf_ip ip; /* ip4, ip6 */
	int cidr4, cidr6; /* prefix lengths; 32 and 128 when absent */
	char text[128];	  /* the term as written (cut), for messages */
};

struct spf_record {
	size_t nterms;
	struct spf_term terms[SPF_TERMS_MAX];
	char redirect[256]; /* "" when absent */
	char exp[256];
};

/* True when a TXT record is an SPF record: "v=spf1" alone or followed by a space. */
bool spf_is_record(const char *txt);

/* Parses an SPF record. false with err ("unknown mechanism 'ip4:1.2.3'", ...) on a syntax
 * error, which check_host reports as a permerror. */
bool spf_parse(const char *txt, struct spf_record *rec, char *err, size_t errlen);

/* ---- check_host ---------------------------------------------------------------------------- */

struct spf_outcome {
	enum spf_result result;
	unsigned lookups;	  /* DNS-querying terms used */
	unsigned voids;		  /* void lookups */
	char record[SPF_TXT_MAX]; /* the top domain's record ("" when none) */
	char matched[512];	  /* the term that decided, "" when none did */
	char why[512];		  /* the result in words */
	bool limit_exceeded;	  /* a permerror from a limit of 4.6.4 */
	bool loop;		  /* a permerror from an include/redirect loop */
	bool multiple;		  /* a permerror from more than one record */
};

/* check_host(ip, domain, sender) of RFC 7208 section 4. sender may be NULL (then
 * "postmaster@domain"). The callback is asked for every record needed. */
void spf_check_host(const struct spf_ip *ip, const char *domain, const char *sender,
		    spf_lookup_fn lookup, void *ctx, struct spf_outcome *out);

/* "pass", "fail", ... */
const char *spf_result_name(enum spf_result r);

#endif
