/*
 * dmarc.h - the DMARC policy record (RFC 7489 6.3) and identifier alignment (3.1); the DKIM
 * key record (RFC 6376 3.6.1). What `tern doctor dns` reads in TXT records.
 *
 * Pure: no I/O, no allocation. Parsers take the record as one string (the TXT record's
 * character-strings joined) and say what is wrong in words.
 *
 * Alignment uses the Public Suffix List (psl.h) when the caller has it. Without it the
 * organizational domain is taken to be the last two labels, or three when the last two look
 * like a registry's second level (co.uk, com.au: a two-letter top level under a label of at
 * most three letters) — wrong for a short name under a country (bmw.de) and for private
 * suffixes (github.io), which is why the list is preferred.
 */
#ifndef TERN_PROTO_DMARC_H
#define TERN_PROTO_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "psl.h"

enum dmarc_policy { DMARC_P_NONE = 0, DMARC_P_QUARANTINE, DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p;
	enum dmarc_policy sp; /* p when absent */
	char adkim;	      /* 'r' or 's' */
	char aspf;	      /* 'r' or 's' */
	int pct;	      /* 0..100 */
	bool has_rua;
};

/* True when a TXT record claims to be DMARC: it begins with "v=DMARC1" (then ';' or space). */
bool dmarc_is_record(const char *txt);

/* Parses a DMARC record: v=DMARC1 first, then p= (required, RFC 7489 6.6.3), the known tags
 * checked (sp, adkim, aspf, pct, fo, rf, ri, rua, ruf), unknown ones ignored. false with err. */
bool dmarc_parse(const char *txt, struct dmarc_record *rec, char *err, size_t errlen);

/* The organizational domain of d (see above), a pointer into d; psl may be NULL. */
const char *dmarc_org_domain(const char *d, const struct psl *psl);

/* Whether an authenticated domain (DKIM d=, SPF's domain) is aligned with the From domain:
 * strict ('s') needs them equal, relaxed ('r') the same organizational domain. Case is
 * ignored, a trailing dot too. */
bool dmarc_aligned(const char *from_domain, const char *auth_domain, char mode,
		   const struct psl *psl);

const char *dmarc_policy_name(enum dmarc_policy p);

/* ---- DKIM key records ---------------------------------------------------------------------- */

struct dkim_key_record {
	char k[16];	  /* key type: "rsa" when absent */
	bool revoked;	  /* p= empty */
	bool testing;	  /* t=y */
	size_t p_len;	  /* characters of p= without whitespace */
	size_t key_bytes; /* octets the base64 of p= decodes to */
};

/* Parses a DKIM key record: tag=value pairs, v=DKIM1 first when present, p= required and
 * valid base64, k= rsa or ed25519. false with err. */
bool dkim_key_record_parse(const char *txt, struct dkim_key_record *rec, char *err, size_t errlen);

/* Copies the p= value without whitespace into out (size octets); false when there is none or
 * it does not fit. */
bool dkim_key_record_p(const char *txt, char *out, size_t size);

#endif
