/*
 * dkim_canon.h - DKIM (RFC 6376) canonicalization and the signing input, without keys or I/O.
 *
 * Everything a signer does except the private-key operation: the canonical body and its
 * SHA-256 (bh=), the choice of header fields to sign (bottom-up for repeated names, RFC 6376
 * 5.4.2, and "oversigning": a name listed once more than it occurs, so that nobody can add one
 * later), the DKIM-Signature field with an empty b=, and the exact octets whose hash the key
 * signs. src/dkim adds the keys (OpenSSL); tests and verifiers use the same functions.
 *
 * Pure: no I/O, no clock (t= and x= are passed in), output only into the caller's buffers.
 * Input is the message as it will be transmitted: header section, empty line, body, CRLF line
 * ends (a bare LF is taken as a line end, as verifiers do).
 */
#ifndef TERN_PROTO_DKIM_CANON_H
#define TERN_PROTO_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

enum dkim_canon { DKIM_CANON_SIMPLE = 0, DKIM_CANON_RELAXED };
enum dkim_alg { DKIM_RSA_SHA256 = 0, DKIM_ED25519_SHA256 };

const char *dkim_alg_name(enum dkim_alg a);	/* "rsa-sha256", "ed25519-sha256" */
const char *dkim_canon_name(enum dkim_canon c); /* "simple", "relaxed" */
bool dkim_canon_parse(const char *s, enum dkim_canon *header, enum dkim_canon *body);
/* "relaxed/relaxed", "simple/relaxed", "relaxed" (= relaxed/simple, RFC 6376 3.5 c=) */

/* The header fields signed when present (issue: From To Cc Subject Date Message-ID Reply-To
 * In-Reply-To References MIME-Version Content-Type Content-Transfer-Encoding List-Unsubscribe
 * List-Unsubscribe-Post), and those oversigned (From To Subject Date). NULL-terminated. */
extern const char *const dkim_default_headers[];
extern const char *const dkim_default_oversign[];

/* The canonical form of the body (everything after the first empty line; when there is none,
 * the whole input is header and the body is empty) appended to out. simple: trailing empty
 * lines removed, CRLF added when missing (an empty body is CRLF). relaxed: trailing WSP removed
 * from each line, WSP runs reduced to one SP, trailing empty lines removed (an empty body stays
 * empty). */
bool dkim_canon_body(const uint8_t *msg, size_t len, enum dkim_canon c, struct buf *out);
/* The canonical body when it is a slice of the input, msg[*off..*off + *n), as it usually is:
 * the body needs nothing but its empty lines at the end dropped. true then; false when the
 * canonical form differs (dkim_canon_body makes it). relaxed: no TAB, no WSP run longer than
 * one SP, no WSP at the end of a line (but on the lines dropped), no LF without CR before it,
 * and a last kept line that ends in CRLF (an empty canonical body is an empty slice). simple:
 * no LF without CR before it, and a last line that ends in CRLF (a body of empty lines only
 * is its first CRLF; an empty body is no slice). No copy and no allocation. */
bool dkim_body_slice(const uint8_t *msg, size_t len, enum dkim_canon c, size_t *off, size_t *n);
/* SHA-256 of the canonical body (the bh= value before base64). */
bool dkim_body_hash(const uint8_t *msg, size_t len, enum dkim_canon c, uint8_t out[32]);

/* One header field (name, colon, value, with its folding CRLFs, without the final CRLF)
 * canonicalized and appended to out with a final CRLF. relaxed: name lowercased, unfolded,
 * WSP runs to one SP, WSP around the colon and at the end removed. */
bool dkim_canon_header(const uint8_t *field, size_t len, enum dkim_canon c, struct buf *out);

struct dkim_params {
	enum dkim_alg alg;
	enum dkim_canon header_canon, body_canon;
	const char *domain;	     /* d= */
	const char *selector;	     /* s= */
	int64_t timestamp;	     /* t=, unix seconds */
	int64_t expire;		     /* x=, 0 for none */
	const char *const *headers;  /* names to sign when present, NULL = dkim_default_headers */
	const char *const *oversign; /* names listed once more, NULL = dkim_default_oversign */
	/* The body's SHA-256 when the caller has it (a faster hash, or one body hash for several
	 * signatures); NULL: computed here with dkim_body_hash. */
	const uint8_t *body_hash;
};

/* Prepares one signature over msg[0..len):
 *   field:  "DKIM-Signature: v=1; a=...; c=...; d=...; s=...; t=...; [x=...;] h=...; bh=...;
 *            b=" folded at 78 columns, without a final CRLF (dkim_finish appends b and CRLF);
 *   input:  the octets to hash and sign: the selected header fields canonicalized, in h= order,
 *           then the DKIM-Signature field as above (b= empty) canonicalized, without a final
 *           CRLF (RFC 6376 3.7).
 * Tags appear in the order shown; no l= ever. false on invalid parameters (empty domain or
 * selector, characters that would break the field) or a buffer failure. */
bool dkim_prepare(const uint8_t *msg, size_t len, const struct dkim_params *p, struct buf *field,
		  struct buf *input);

/* Appends the base64 signature to field (folded) and the final CRLF: the field is then ready
 * to be put in front of the message. */
bool dkim_finish(struct buf *field, const uint8_t *sig, size_t sig_len);

#endif
