/*
 * fuzz_dkim_canon.c - any message, any signing parameters, into DKIM canonicalization and the
 * signing input.
 *
 * The first four octets choose the parameters (algorithm, canonicalizations, expiry, which
 * names are signed and oversigned, d= and s=, now and then invalid ones); the rest is the
 * message. Checks beyond "no crash, no read out of bounds":
 *   - the body hash is the SHA-256 of the canonical body;
 *   - a body found canonical in place (dkim_body_slice) is the canonical body;
 *   - canonicalizing a canonical body again changes nothing (both canonicalizations);
 *   - a canonical body has CRLF line ends only and ends with CRLF (or is empty: relaxed);
 *   - the prepared field has no CR or LF but folding CRLF + TAB, keeps within 78 columns,
 *     starts with "DKIM-Signature: v=1;" and ends with "b="; the input ends with the field
 *     canonicalized without its CRLF; the finished field ends with its only unfolded CRLF,
 *     and deleting the b= value gives back the prepared field (what a verifier does).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/dkim_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARAM_OCTETS 4

static const char *const pool[] = { "From",
				    "To",
				    "Cc",
				    "Subject",
				    "Date",
				    "Message-ID",
				    "X-Fuzz",
				    "Received",
				    "reply-to",
				    "CONTENT-TYPE",
				    "X-A-Rather-Long-Name-For-A-Header-Field" };
#define POOL (sizeof(pool) / sizeof(pool[0]))

static const char *const domains[] = {
	"example.com", "a.b.c.example.org",
	"x",	       "a-fairly-long-subdomain.of-a-fairly-long-domain.example",
	"bad domain",  ""
};
static const char *const selectors[] = { "sel", "s2023-11_a", "brisbane", "sel;x" };

/* A name list from the bits of mask over the pool; From first when asked. */
static void names_from(unsigned mask, bool from, const char **out)
{
	size_t n = 0;

	if (from)
		out[n++] = "From";
	for (size_t i = 0; i < POOL; i++)
		if (mask & (1u << i))
			out[n++] = pool[i];
	out[n] = NULL;
}

static void check_canonical_body(const struct buf *b, enum dkim_canon c)
{
	if (b->len == 0) {
		if (c == DKIM_CANON_SIMPLE) /* an empty body is CRLF for simple */
			abort();
		return;
	}
	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		abort();
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
}

static void body_checks(const uint8_t *msg, size_t len, enum dkim_canon c)
{
	struct buf once = BUF_INIT, again = BUF_INIT, wrapped = BUF_INIT;
	uint8_t h1[32], h2[32];
	size_t off, n;

	if (!dkim_canon_body(msg, len, c, &once))
		abort();
	check_canonical_body(&once, c);
	if (!dkim_body_hash(msg, len, c, h1))
		abort();
	crypto_hash_sha256(h2, once.len ? once.data : (const uint8_t *)"", once.len);
	if (memcmp(h1, h2, 32) != 0)
		abort();
	/* the canonical body found in place is exactly the canonical body */
	if (dkim_body_slice(msg, len, c, &off, &n) &&
	    (n != once.len || (n > 0 && memcmp(msg + off, once.data, n) != 0)))
		abort();
	/* canon(canon(x)) == canon(x): the canonical body behind an empty header section */
	if (!buf_append(&wrapped, "\r\n", 2) || !buf_append(&wrapped, once.data, once.len))
		abort();
	if (!dkim_canon_body(wrapped.data, wrapped.len, c, &again))
		abort();
	if (again.len != once.len || (once.len > 0 && memcmp(again.data, once.data, once.len)))
		abort();
	buf_free(&once);
	buf_free(&again);
	buf_free(&wrapped);
}

/* No CR or LF in field[0..end) but CRLF + TAB; no line over 78 columns. */
static void check_folding(const uint8_t *f, size_t end)
{
	size_t col = 0;

	for (size_t i = 0; i < end; i++) {
		if (f[i] == '\r') {
			if (i + 2 >= end || f[i + 1] != '\n' || f[i + 2] != '\t')
				abort();
			i++;
			col = 0;
			continue;
		}
		if (f[i] == '\n')
			abort();
		col = f[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
		if (col > 78)
			abort();
	}
}

static void prepare_checks(const uint8_t *msg, size_t len, const struct dkim_params *p)
{
	struct buf field = BUF_INIT, input = BUF_INIT, canon = BUF_INIT;
	uint8_t sig[512];
	size_t sig_len, prepared;

	if (!dkim_prepare(msg, len, p, &field, &input)) {
		if (field.len != 0 || input.len != 0)
			abort();
		goto done;
	}
	if (field.len < 22 || memcmp(field.data, "DKIM-Signature: v=1;", 20) != 0)
		abort();
	if (memcmp(field.data + field.len - 2, "b=", 2) != 0)
		abort();
	check_folding(field.data, field.len);
	if (!dkim_canon_header(field.data, field.len, p->header_canon, &canon))
		abort();
	canon.len -= 2;
	if (input.len < canon.len ||
	    memcmp(input.data + input.len - canon.len, canon.data, canon.len) != 0)
		abort();

	prepared = field.len;
	sig_len = p->alg == DKIM_ED25519_SHA256 ? 64 : 256;
	for (size_t i = 0; i < sig_len; i++)
		sig[i] = (uint8_t)(input.data[i % input.len] + i);
	if (!dkim_finish(&field, sig, sig_len))
		abort();
	if (memcmp(field.data + field.len - 2, "\r\n", 2) != 0)
		abort();
	check_folding(field.data, field.len - 2);
	/* everything after the prepared "b=" is the value and its folding */
	for (size_t i = prepared; i < field.len - 2; i++)
		if (field.data[i] == ';' || field.data[i] == ' ')
			abort();
done:
	buf_free(&field);
	buf_free(&input);
	buf_free(&canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *hs[POOL + 2], *os[POOL + 2];
	struct dkim_params p;
	struct buf h = BUF_INIT;
	const uint8_t *msg;
	size_t len;
	uint32_t bits = 0;

	for (size_t i = 0; i < PARAM_OCTETS && i < size; i++)
		bits |= (uint32_t)data[i] << (8 * i);
	msg = size > PARAM_OCTETS ? data + PARAM_OCTETS : NULL;
	len = size > PARAM_OCTETS ? size - PARAM_OCTETS : 0;

	body_checks(msg, len, DKIM_CANON_SIMPLE);
	body_checks(msg, len, DKIM_CANON_RELAXED);
	/* the whole input as one header field, both ways */
	if (!dkim_canon_header(msg, len, DKIM_CANON_RELAXED, &h) ||
	    !dkim_canon_header(msg, len, DKIM_CANON_SIMPLE, &h))
		abort();
	buf_free(&h);

	memset(&p, 0, sizeof(p));
	p.alg = bits & 1 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256;
	p.header_canon = bits & 2 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	p.body_canon = bits & 4 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	p.timestamp = (int64_t)((bits >> 3) & 0xff) * 7000000;
	p.expire = bits & (1u << 11) ? p.timestamp + 86400 : 0;
	p.domain = domains[((bits >> 12) & 7) % (sizeof(domains) / sizeof(domains[0]))];
	p.selector = selectors[(bits >> 15) & 3];
	switch ((bits >> 17) & 3) {
	case 0: /* the defaults */
		break;
	case 1:
		names_from(bits >> 19, true, hs);
		p.headers = hs;
		break;
	case 2:
		names_from(bits >> 19, (bits >> 30) & 1, hs);
		names_from(bits >> 24, false, os);
		p.headers = hs;
		p.oversign = os;
		break;
	case 3:
		names_from(bits >> 19, (bits >> 30) & 1, hs);
		names_from(bits >> 23, (bits >> 31) & 1, os);
		p.headers = hs;
		p.oversign = os;
		break;
	}
	prepare_checks(msg, len, &p);
	return 0;
}
