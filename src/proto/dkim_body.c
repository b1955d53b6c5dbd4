/*
 * dkim_body.c - DKIM body canonicalization and the body hash (RFC 6376 3.4.3, 3.4.4, 3.7;
 * see dkim_canon.h).
 *
 * Speed: most bodies are canonical already but for their trailing empty lines, and the rest
 * mostly need a few octets changed here and there. The body is scanned for the next octet that
 * needs work, a block of octets at a time; what lies between is copied or hashed in one run,
 * and a body that needs nothing is found in place (dkim_body_slice) without a copy.
 *
 * Memory: nothing is allocated but the caller's buffer; on failure it keeps its length.
 */
#include "dkim_canon.h"
#include "dkim_int.h"

#include <string.h>

#include <sodium.h>

#define STAGE 4096 /* octets gathered before they are hashed */

/* ---- where canonical bytes go: a buffer, or the hash ------------------------------------ */

struct sink {
	struct buf *out;	      /* written here when not NULL ... */
	crypto_hash_sha256_state sha; /* ... else hashed */
	size_t staged;
	uint8_t stage[STAGE];
};

static void sink_flush(struct sink *s)
{
	if (s->staged > 0)
		crypto_hash_sha256_update(&s->sha, s->stage, s->staged);
	s->staged = 0;
}

/* false when the buffer cannot grow (its limit, or no memory) */
static inline bool sink_put(struct sink *s, const uint8_t *p, size_t n)
{
	if (s->out != NULL) {
		if (!buf_reserve(s->out, n))
			return false;
		if (n > 0)
			memcpy(s->out->data + s->out->len, p, n);
		s->out->len += n;
		return true;
	}
	if (n > sizeof(s->stage) - s->staged) {
		sink_flush(s);
		if (n >= sizeof(s->stage)) {
			crypto_hash_sha256_update(&s->sha, p, n);
			return true;
		}
	}
	memcpy(s->stage + s->staged, p, n);
	s->staged += n;
	return true;
}

static const uint8_t crlf[2] = { '\r', '\n' };
static const uint8_t space[1] = { ' ' };

/* ---- finding what canonicalization changes ---------------------------------------------------
 *
 * Most bodies are canonical already but for their trailing empty lines, and the rest mostly
 * need a few octets changed here and there. The body is therefore scanned for the next octet
 * that needs work ("a mark"), BLOCK octets at a time with the compiler's generic vectors (SSE2
 * or NEON underneath); what lies between marks is copied or hashed in one run. A block test may
 * report a mark where there is none (it is coarser than the octet test), never the reverse:
 * such a block is looked at octet by octet. */

#define BLOCK 32 /* octets per block test: two vectors */

typedef uint8_t v16 __attribute__((vector_size(16)));

static inline v16 load16(const uint8_t *p)
{
	v16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool any16(v16 v)
{
	uint64_t a, b;

	memcpy(&a, &v, 8);
	memcpy(&b, (const uint8_t *)&v + 8, 8);
	return (a | b) != 0;
}

/* A LF without CR before it: written as CRLF (the first octet of the body has nothing before
 * it). Both canonicalizations mark these. */
static inline bool bare_lf_at(const uint8_t *p, size_t i)
{
	return p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
}

/* relaxed: a TAB, an SP followed by WSP, CR or LF or at the end (a run to shorten, or WSP at
 * the end of a line), or a bare LF. An SP before a CR that no LF follows needs nothing but is
 * marked all the same; the work done there changes nothing. */
static inline bool relaxed_mark(const uint8_t *p, size_t i, size_t n)
{
	if (p[i] == '\t')
		return true;
	if (p[i] == ' ')
		return i + 1 == n || dkim_is_special(p[i + 1]);
	return bare_lf_at(p, i);
}

/* Whether p[0..BLOCK) may hold a relaxed mark; reads p[-1..BLOCK]. */
static inline bool relaxed_block(const uint8_t *p)
{
	v16 v = load16(p), next = load16(p + 1), prev = load16(p - 1);
	v16 w = load16(p + 16), wnext = load16(p + 17), wprev = load16(p + 15);
	v16 m = (v16)((v == '\t') | ((v == ' ') & (next <= ' ')) | ((v == '\n') & (prev != '\r')));

	m |= (v16)((w == '\t') | ((w == ' ') & (wnext <= ' ')) | ((w == '\n') & (wprev != '\r')));
	return any16(m);
}

/* Whether p[0..BLOCK) may hold a bare LF; reads p[-1..BLOCK). */
static inline bool simple_block(const uint8_t *p)
{
	v16 v = load16(p), prev = load16(p - 1), w = load16(p + 16), wprev = load16(p + 15);

	return any16((v16)(((v == '\n') & (prev != '\r')) | ((w == '\n') & (wprev != '\r'))));
}

/* The first mark in p[i..n), or n. The blocks keep one octet on either side within p. */
static size_t relaxed_next(const uint8_t *p, size_t i, size_t n)
{
	while (i < n) {
		if (i > 0 && n - i > BLOCK) {
			size_t e = i + BLOCK;

			if (!relaxed_block(p + i)) {
				i = e;
				continue;
			}
			for (; i < e; i++)
				if (relaxed_mark(p, i, n))
					return i;
			continue;
		}
		if (relaxed_mark(p, i, n))
			return i;
		i++;
	}
	return n;
}

static size_t simple_next(const uint8_t *p, size_t i, size_t n)
{
	while (i < n) {
		if (i > 0 && n - i > BLOCK) {
			size_t e = i + BLOCK;

			if (!simple_block(p + i)) {
				i = e;
				continue;
			}
			for (; i < e; i++)
				if (bare_lf_at(p, i))
					return i;
			continue;
		}
		if (bare_lf_at(p, i))
			return i;
		i++;
	}
	return n;
}

/* ---- body canonicalization (RFC 6376 3.4.3, 3.4.4) --------------------------------------- */

/* simple: the length of p[0..n) without its empty lines at the end (a line is empty when its
 * terminator follows the previous one or the start; a CR before LF belongs to the LF). A body
 * whose last line has no line end keeps everything. 0: no line but empty ones, or none. */
static size_t simple_end(const uint8_t *p, size_t n)
{
	size_t end = n;

	if (n > 0 && p[n - 1] != '\n')
		return n;
	while (end > 0) {
		size_t t = end - 1;

		if (t > 0 && p[t - 1] == '\r')
			t--;
		if (t != 0 && p[t - 1] != '\n')
			break;
		end = t;
	}
	return end;
}

/* relaxed: the length of p[0..n) without the lines at the end that are empty once relaxed
 * (nothing but WSP before the line end) and without a last unterminated part of WSP only. */
static size_t relaxed_end(const uint8_t *p, size_t n)
{
	size_t end = n;

	while (end > 0) {
		size_t e = end;

		if (p[e - 1] == '\n') {
			e--;
			if (e > 0 && p[e - 1] == '\r')
				e--;
		}
		while (e > 0 && dkim_is_wsp(p[e - 1]))
			e--;
		if (e > 0 && p[e - 1] != '\n')
			break; /* something is left on that line */
		end = e;
	}
	return end;
}

/* simple: the body up to the end of its last non-empty line, bare LFs written as CRLF, and
 * CRLF after a last line that has none; an empty body is CRLF. */
static bool body_simple(const uint8_t *p, size_t n, struct sink *s)
{
	size_t end = simple_end(p, n), run = 0, i = 0;

	if (end == 0)
		return sink_put(s, crlf, 2);
	if (s->out != NULL && !buf_reserve(s->out, end + 2))
		return false;
	while ((i = simple_next(p, i, end)) < end) {
		if (!sink_put(s, p + run, i - run) || !sink_put(s, crlf, 2))
			return false;
		run = ++i;
	}
	if (!sink_put(s, p + run, end - run))
		return false;
	return p[end - 1] == '\n' || sink_put(s, crlf, 2);
}

/* relaxed: each line without the WSP at its end, its WSP runs written as one SP; the empty
 * lines at the end dropped (an empty body stays empty), CRLF after a last line that has none.
 * Everything between marks is kept as it is. */
static bool body_relaxed(const uint8_t *p, size_t n, struct sink *s)
{
	size_t end = relaxed_end(p, n), run = 0, i = 0;

	if (end == 0)
		return true;
	if (s->out != NULL && !buf_reserve(s->out, end + 2))
		return false;
	while ((i = relaxed_next(p, i, end)) < end) {
		size_t r = i + 1;
		bool line_end;

		if (!sink_put(s, p + run, i - run))
			return false;
		if (p[i] == '\n') { /* a bare LF */
			if (!sink_put(s, crlf, 2))
				return false;
			run = i = r;
			continue;
		}
		while (r < end && dkim_is_wsp(p[r]))
			r++;
		/* a run of WSP: nothing at the end of a line, else one SP */
		line_end = r == end || p[r] == '\n' ||
			   (p[r] == '\r' && r + 1 < end && p[r + 1] == '\n');
		if (!line_end && !sink_put(s, space, 1))
			return false;
		run = i = r;
	}
	if (!sink_put(s, p + run, end - run))
		return false;
	return p[end - 1] == '\n' || sink_put(s, crlf, 2);
}

/* Where the body of msg[0..len) begins; false for a NULL message that is not empty. */
static bool body_of(const uint8_t **msg, size_t len, size_t *off)
{
	size_t hdr_end;

	if (*msg == NULL && len > 0)
		return false;
	if (len == 0)
		*msg = (const uint8_t *)"";
	dkim_split_message(*msg, len, &hdr_end, off);
	return true;
}

static bool body_canon(const uint8_t *msg, size_t len, enum dkim_canon c, struct sink *s)
{
	size_t body;

	if (!body_of(&msg, len, &body))
		return false;
	switch (c) {
	case DKIM_CANON_SIMPLE:
		return body_simple(msg + body, len - body, s);
	case DKIM_CANON_RELAXED:
		return body_relaxed(msg + body, len - body, s);
	}
	return false;
}

bool dkim_body_slice(const uint8_t *msg, size_t len, enum dkim_canon c, size_t *off, size_t *n)
{
	const uint8_t *p;
	size_t body, m, end;

	if (off == NULL || n == NULL || !body_of(&msg, len, &body))
		return false;
	p = msg + body;
	m = len - body;
	switch (c) {
	case DKIM_CANON_SIMPLE:
		end = simple_end(p, m);
		if (end == 0) { /* empty lines only, or none: the canonical body is one CRLF */
			if (m < 2 || p[0] != '\r' || p[1] != '\n')
				return false;
			end = 2;
		} else if (p[end - 1] != '\n' || simple_next(p, 0, end) < end) {
			return false;
		}
		break;
	case DKIM_CANON_RELAXED:
		end = relaxed_end(p, m);
		if (end > 0 && (p[end - 1] != '\n' || relaxed_next(p, 0, end) < end))
			return false;
		break;
	default:
		return false;
	}
	*off = body;
	*n = end;
	return true;
}

bool dkim_canon_body(const uint8_t *msg, size_t len, enum dkim_canon c, struct buf *out)
{
	struct sink s;
	size_t was;

	if (out == NULL)
		return false;
	was = out->len;
	s.out = out;
	s.staged = 0;
	if (!body_canon(msg, len, c, &s))
		return dkim_rollback(out, was);
	if (out->data != NULL)
		out->data[out->len] = '\0';
	return true;
}

bool dkim_body_hash(const uint8_t *msg, size_t len, enum dkim_canon c, uint8_t out[32])
{
	struct sink s;

	if (out == NULL)
		return false;
	s.out = NULL;
	s.staged = 0;
	crypto_hash_sha256_init(&s.sha);
	if (!body_canon(msg, len, c, &s))
		return false;
	sink_flush(&s);
	crypto_hash_sha256_final(&s.sha, out);
	return true;
}
