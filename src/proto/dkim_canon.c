/*
 * dkim_canon.c - DKIM canonicalization and the signing input (see dkim_canon.h).
 *
 * RFC 6376 3.4 (canonicalization), 3.5 (the tags), 3.7 (what is hashed), 5.4 (which fields are
 * signed); RFC 8463 for ed25519-sha256, whose input is the same.
 *
 * Line ends: CRLF, or a bare LF (taken as a line end, written as CRLF). A CR not followed by
 * LF is an ordinary octet. Both canonicalizations therefore write CRLF line ends only.
 *
 * The body's canonicalization is dkim_body.c's; this file has the header fields, the
 * parameters, the DKIM-Signature field and the signing input.
 *
 * Memory: nothing is allocated but the caller's buffers. On failure every buffer is left at
 * the length it had (dkim_prepare appends to field and input, like every function here).
 */
#include "dkim_canon.h"
#include "dkim_int.h"

#include <string.h>

#include <sodium.h>

#include "../lib/base64.h"

#define FOLD_WIDTH     78   /* no line of the field passes this column when it can be helped */
#define TAB_WIDTH      8    /* a folding TAB is counted as the columns it takes on a screen */
#define NAMES_MAX      64   /* names in a sign or oversign list */
#define FIELD_NAME_MAX 64   /* octets in one header field name */
#define DOMAIN_MAX     253  /* octets in d= and s= */
#define SIG_MAX	       1024 /* octets of a signature (RSA 8192) */

const char *const dkim_default_headers[] = {
	"From",
	"To",
	"Cc",
	"Subject",
	"Date",
	"Message-ID",
	"Reply-To",
	"In-Reply-To",
	"References",
	"MIME-Version",
	"Content-Type",
	"Content-Transfer-Encoding",
	"List-Unsubscribe",
	"List-Unsubscribe-Post",
	NULL,
};

const char *const dkim_default_oversign[] = { "From", "To", "Subject", "Date", NULL };

/* NULL for a value outside the enum: dkim_prepare refuses those. */
const char *dkim_alg_name(enum dkim_alg a)
{
	switch (a) {
	case DKIM_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ED25519_SHA256:
		return "ed25519-sha256";
	}
	return NULL;
}

const char *dkim_canon_name(enum dkim_canon c)
{
	switch (c) {
	case DKIM_CANON_SIMPLE:
		return "simple";
	case DKIM_CANON_RELAXED:
		return "relaxed";
	}
	return NULL;
}

static bool canon_word(const char *s, size_t n, enum dkim_canon *c)
{
	if (n == 6 && memcmp(s, "simple", 6) == 0) {
		*c = DKIM_CANON_SIMPLE;
		return true;
	}
	if (n == 7 && memcmp(s, "relaxed", 7) == 0) {
		*c = DKIM_CANON_RELAXED;
		return true;
	}
	return false;
}

/* Case-sensitive, as RFC 6376 3.2 says tag values are unless told otherwise. */
bool dkim_canon_parse(const char *s, enum dkim_canon *header, enum dkim_canon *body)
{
	const char *slash;
	enum dkim_canon h, b = DKIM_CANON_SIMPLE;

	if (s == NULL || header == NULL || body == NULL)
		return false;
	slash = strchr(s, '/');
	if (!canon_word(s, slash ? (size_t)(slash - s) : strlen(s), &h))
		return false;
	if (slash != NULL && !canon_word(slash + 1, strlen(slash + 1), &b))
		return false;
	*header = h;
	*body = b;
	return true;
}

/* ---- small helpers -------------------------------------------------------------------------- */

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool same_name(const uint8_t *a, size_t n, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] == '\0' || lower(a[i]) != lower((uint8_t)b[i]))
			return false;
	return b[n] == '\0';
}

static bool same_cname(const char *a, const char *b)
{
	return same_name((const uint8_t *)a, strlen(a), b);
}

void dkim_split_message(const uint8_t *msg, size_t len, size_t *hdr_end, size_t *body)
{
	size_t pos = 0;

	while (pos < len) {
		const uint8_t *lf;

		if (msg[pos] == '\n') {
			*hdr_end = pos;
			*body = pos + 1;
			return;
		}
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n') {
			*hdr_end = pos;
			*body = pos + 2;
			return;
		}
		lf = memchr(msg + pos, '\n', len - pos);
		if (lf == NULL)
			break;
		pos = (size_t)(lf - msg) + 1;
	}
	*hdr_end = len;
	*body = len;
}

/* ---- header canonicalization (RFC 6376 3.4.1, 3.4.2) ------------------------------------- */

/* Length of the line end at p[i..n) (CRLF 2, bare LF 1), 0 when there is none. */
static inline size_t line_end_at(const uint8_t *p, size_t i, size_t n)
{
	if (p[i] == '\n')
		return 1;
	if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
		return 2;
	return 0;
}

/* p[0..n) relaxed into w: a line end followed by WSP (a fold) is removed, WSP runs become one
 * SP, WSP at the end is dropped (and at the start too when trim_start); any other line end is
 * written as CRLF. Octets are lowercased when asked (the field name). Returns the length. */
static size_t relax_part(const uint8_t *p, size_t n, bool lowercase, bool trim_start, uint8_t *w)
{
	size_t i = 0, o = 0;
	bool wsp = false;

	while (i < n) {
		size_t j = i, k;

		while (j < n && !dkim_is_special(p[j]))
			j++;
		if (j > i) {
			if (wsp && (o > 0 || !trim_start))
				w[o++] = ' ';
			wsp = false;
			if (lowercase) {
				for (size_t m = i; m < j; m++)
					w[o++] = lower(p[m]);
			} else {
				memcpy(w + o, p + i, j - i);
				o += j - i;
			}
		}
		if (j == n)
			break;
		if (dkim_is_wsp(p[j])) {
			wsp = true;
			i = j + 1;
			continue;
		}
		k = line_end_at(p, j, n);
		if (k > 0 && j + k < n && dkim_is_wsp(p[j + k])) { /* a fold: it is WSP */
			wsp = true;
			i = j + k;
			continue;
		}
		if (wsp && (o > 0 || !trim_start))
			w[o++] = ' ';
		wsp = false;
		if (k == 0) { /* a CR alone: an ordinary octet */
			w[o++] = p[j];
			i = j + 1;
			continue;
		}
		w[o++] = '\r';
		w[o++] = '\n';
		i = j + k;
	}
	return o;
}

/* LFs in p[0..n) not preceded by CR: each needs one octet more when written as CRLF. */
static size_t bare_lfs(const uint8_t *p, size_t n)
{
	size_t count = 0;

	for (const uint8_t *lf = memchr(p, '\n', n); lf != NULL;
	     lf = memchr(lf + 1, '\n', n - (size_t)(lf + 1 - p)))
		if (lf == p || lf[-1] != '\r')
			count++;
	return count;
}

static size_t simple_field(const uint8_t *p, size_t n, uint8_t *w)
{
	size_t run = 0, o = 0;

	for (const uint8_t *lf = memchr(p, '\n', n); lf != NULL;
	     lf = memchr(lf + 1, '\n', n - (size_t)(lf + 1 - p))) {
		size_t q = (size_t)(lf - p);

		if (q > 0 && p[q - 1] == '\r')
			continue;
		memcpy(w + o, p + run, q - run);
		o += q - run;
		w[o++] = '\r';
		w[o++] = '\n';
		run = q + 1;
	}
	memcpy(w + o, p + run, n - run);
	return o + (n - run);
}

/* A field that has no colon is taken as all name. */
bool dkim_canon_header(const uint8_t *field, size_t len, enum dkim_canon c, struct buf *out)
{
	const uint8_t *colon;
	size_t need, o, name_len;
	uint8_t *w;

	if (out == NULL || (field == NULL && len > 0))
		return false;
	if (c != DKIM_CANON_SIMPLE && c != DKIM_CANON_RELAXED)
		return false;
	if (len == 0)
		field = (const uint8_t *)"";
	need = len + bare_lfs(field, len) + 2;
	if (need < len || !buf_reserve(out, need))
		return false;
	w = out->data + out->len;
	if (c == DKIM_CANON_SIMPLE) {
		o = simple_field(field, len, w);
	} else {
		colon = memchr(field, ':', len);
		name_len = colon != NULL ? (size_t)(colon - field) : len;
		o = relax_part(field, name_len, true, false, w);
		if (colon != NULL) {
			w[o++] = ':';
			o += relax_part(colon + 1, len - name_len - 1, false, true, w + o);
		}
	}
	w[o++] = '\r';
	w[o++] = '\n';
	out->len += o;
	out->data[out->len] = '\0';
	return true;
}

/* ---- checking the parameters -------------------------------------------------------------- */

/* d= and s= (RFC 6376 3.5): dot-separated labels of letters, digits, '-' and '_' (selectors
 * in the wild use '_'), each 1..63 octets, 1..DOMAIN_MAX in all. A-labels only: an
 * internationalized name is given in its ASCII form. */
static bool valid_domain(const char *s)
{
	size_t n, label = 0;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

/* A field name (RFC 5322 ftext: printable ASCII but ':'), 1..FIELD_NAME_MAX octets. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 33 || s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

static bool valid_names(const char *const *list)
{
	size_t n = 0;

	for (; list[n] != NULL; n++)
		if (n >= NAMES_MAX || !valid_name(list[n]))
			return false;
	return true;
}

/* Whether list[0..upto) (NULL-terminated before upto, or not) has name. */
static bool listed(const char *const *list, size_t upto, const char *name)
{
	for (size_t i = 0; i < upto && list[i] != NULL; i++)
		if (same_cname(list[i], name))
			return true;
	return false;
}

static bool valid_params(const struct dkim_params *p)
{
	const char *const *h, *const *o;

	if (p == NULL)
		return false;
	h = p->headers ? p->headers : dkim_default_headers;
	o = p->oversign ? p->oversign : dkim_default_oversign;
	if (dkim_alg_name(p->alg) == NULL)
		return false;
	if (dkim_canon_name(p->header_canon) == NULL || dkim_canon_name(p->body_canon) == NULL)
		return false;
	if (!valid_domain(p->domain))
		return false;
	if (!valid_domain(p->selector))
		return false;
	if (p->timestamp < 0)
		return false;
	if (p->expire != 0 && p->expire <= p->timestamp) /* RFC 6376 3.5 x=: later than t= */
		return false;
	if (!valid_names(h) || !valid_names(o))
		return false;
	if (!listed(h, NAMES_MAX, "from") && !listed(o, NAMES_MAX, "from")) /* RFC 6376 5.4 */
		return false;
	return true;
}

/* ---- building the field, folded ------------------------------------------------------------ */

struct fold {
	struct buf *b;
	size_t col;
	bool ok;
};

static void put(struct fold *f, const void *s, size_t n)
{
	if (f->ok && !buf_append(f->b, s, n))
		f->ok = false;
	f->col += n;
}

static void fold_line(struct fold *f)
{
	put(f, "\r\n\t", 3);
	f->col = TAB_WIDTH;
}

/* Continues the field with SP or a fold, whichever keeps s[0..n) within FOLD_WIDTH (the
 * fold is useless when s will not fit even on a line of its own). */
static void sep_then(struct fold *f, const char *s, size_t n)
{
	if (f->col + 1 + n > FOLD_WIDTH && f->col > TAB_WIDTH)
		fold_line(f);
	else
		put(f, " ", 1);
	put(f, s, n);
}

/* name=value; (the longest value is d= or s=) */
static void tag(struct fold *f, const char *name, const char *value)
{
	char t[2 + 1 + DOMAIN_MAX + 1];
	size_t nn = strlen(name), vn = strlen(value);

	memcpy(t, name, nn);
	t[nn] = '=';
	memcpy(t + nn + 1, value, vn);
	t[nn + 1 + vn] = ';';
	sep_then(f, t, nn + vn + 2);
}

static void number(char out[24], int64_t v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	uint64_t u = (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	while (n > 0)
		out[i++] = tmp[--n];
	out[i] = '\0';
}

/* "relaxed/simple" and the like: at most 15 octets and the NUL. */
static void canon_pair(char out[16], enum dkim_canon header, enum dkim_canon body)
{
	const char *h = dkim_canon_name(header), *b = dkim_canon_name(body);
	size_t hn = strlen(h), bn = strlen(b);

	memcpy(out, h, hn);
	out[hn] = '/';
	memcpy(out + hn + 1, b, bn + 1);
}

/* The names in h=, in the order they are hashed. */
struct hlist {
	struct fold *f;
	size_t count;
};

static void h_name(struct hlist *h, const char *name)
{
	char low[FIELD_NAME_MAX];
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		low[i] = (char)lower((uint8_t)name[i]);
	if (h->count == 0) {
		/* "h=", the first name and the separator after it on one line */
		if (h->f->col + 1 + 2 + n + 1 > FOLD_WIDTH)
			fold_line(h->f);
		else
			put(h->f, " ", 1);
		put(h->f, "h=", 2);
	} else {
		put(h->f, ":", 1);
		if (h->f->col + n + 1 > FOLD_WIDTH)
			fold_line(h->f);
	}
	put(h->f, low, n);
	h->count++;
}

/* Every instance of name in the header section msg[0..end), bottom-up (RFC 6376 5.4.2):
 * canonicalized into input, and named in h= once each. Returns how many. */
static size_t sign_instances(const uint8_t *msg, size_t end, const char *name, enum dkim_canon c,
			     struct hlist *h, struct buf *input, bool *ok)
{
	size_t pos = end, count = 0;

	while (pos > 0) {
		size_t ls, fe = pos, nl;
		bool last_line = true;
		const uint8_t *colon;

		/* walk up the lines of one field: continuation lines start with WSP */
		for (;;) {
			const uint8_t *lf = pos > 1 ? memrchr(msg, '\n', pos - 1) : NULL;

			ls = lf != NULL ? (size_t)(lf - msg) + 1 : 0;
			if (last_line && fe > ls && msg[fe - 1] == '\n') {
				fe--;
				if (fe > ls && msg[fe - 1] == '\r')
					fe--;
			}
			last_line = false;
			if (ls == 0 || !dkim_is_wsp(msg[ls]))
				break;
			pos = ls;
		}
		pos = ls;
		colon = memchr(msg + ls, ':', fe - ls);
		if (colon == NULL)
			continue;
		nl = (size_t)(colon - msg) - ls;
		while (nl > 0 && dkim_is_wsp(msg[ls + nl - 1]))
			nl--;
		if (!same_name(msg + ls, nl, name))
			continue;
		if (!dkim_canon_header(msg + ls, fe - ls, c, input))
			*ok = false;
		h_name(h, name);
		count++;
	}
	return count;
}

bool dkim_prepare(const uint8_t *msg, size_t len, const struct dkim_params *p, struct buf *field,
		  struct buf *input)
{
	const char *const *hs, *const *os;
	size_t field_was, input_was, hdr_end, body, hn = 0, on = 0, canon_start;
	uint8_t bh[32];
	char bh64[BASE64_ENCODED_SIZE(32)], num[24], c[16];
	struct fold f;
	struct hlist h;
	bool ok = true;

	if (field == NULL || input == NULL || (msg == NULL && len > 0) || !valid_params(p))
		return false;
	if (len == 0)
		msg = (const uint8_t *)"";
	hs = p->headers ? p->headers : dkim_default_headers;
	os = p->oversign ? p->oversign : dkim_default_oversign;
	while (hs[hn] != NULL)
		hn++;
	while (os[on] != NULL)
		on++;
	field_was = field->len;
	input_was = input->len;
	if (p->body_hash != NULL)
		memcpy(bh, p->body_hash, sizeof(bh));
	else if (!dkim_body_hash(msg, len, p->body_canon, bh))
		return false;
	base64_encode(bh, sizeof(bh), bh64);
	dkim_split_message(msg, len, &hdr_end, &body);

	f.b = field;
	f.col = 0;
	f.ok = true;
	h.f = &f;
	h.count = 0;
	put(&f, "DKIM-Signature: v=1;", 20);
	tag(&f, "a", dkim_alg_name(p->alg));
	canon_pair(c, p->header_canon, p->body_canon);
	tag(&f, "c", c);
	tag(&f, "d", p->domain);
	tag(&f, "s", p->selector);
	number(num, p->timestamp);
	tag(&f, "t", num);
	if (p->expire != 0) {
		number(num, p->expire);
		tag(&f, "x", num);
	}

	/* The names to sign, each once (a name given twice is signed once), then the oversigned
	 * names not among them (they are signed too: listing a name that is present signs its
	 * last instance anyway). From is named even when absent: RFC 6376 5.4 wants it in h=. */
	for (size_t i = 0; i < hn + on; i++) {
		const char *name = i < hn ? hs[i] : os[i - hn];
		size_t n;

		if (i < hn ? listed(hs, i, name)
			   : (listed(hs, hn, name) || listed(os, i - hn, name)))
			continue;
		n = sign_instances(msg, hdr_end, name, p->header_canon, &h, input, &ok);
		if (n == 0 && same_cname(name, "from") && !listed(os, on, "from"))
			h_name(&h, name);
	}
	/* Oversigning: each oversigned name once more than it occurs, so that no instance can be
	 * added later. The extra entry matches no field (all were taken above) and contributes
	 * the null string (RFC 6376 5.4.2). A name that is absent is listed once too, as
	 * OpenDKIM's OversignHeaders does: that signs its absence, so nobody can add one. */
	for (size_t i = 0; i < on; i++)
		if (!listed(os, i, os[i]))
			h_name(&h, os[i]);
	put(&f, ";", 1);
	tag(&f, "bh", bh64);
	sep_then(&f, "b=", 2);
	if (!ok || !f.ok)
		goto fail;

	/* RFC 6376 3.7: the field itself, b= empty, canonicalized, without its final CRLF. */
	canon_start = input->len;
	if (!dkim_canon_header(field->data + field_was, field->len - field_was, p->header_canon,
			       input))
		goto fail;
	if (input->len - canon_start < 2)
		goto fail;
	input->len -= 2;
	input->data[input->len] = '\0';
	return true;
fail:
	dkim_rollback(field, field_was);
	return dkim_rollback(input, input_was);
}

/* ---- the signature ---------------------------------------------------------------------- */

bool dkim_finish(struct buf *field, const uint8_t *sig, size_t sig_len)
{
	char b64[BASE64_ENCODED_SIZE(SIG_MAX)];
	size_t n, col = 0, start = 0, done = 0, was;
	const uint8_t *lf;

	if (field == NULL || sig == NULL || sig_len == 0 || sig_len > SIG_MAX)
		return false;
	n = base64_encode(sig, sig_len, b64);
	if (field->len > 0) {
		lf = memrchr(field->data, '\n', field->len);
		start = lf != NULL ? (size_t)(lf - field->data) + 1 : 0;
	}
	for (size_t i = start; i < field->len; i++)
		col = field->data[i] == '\t' ? (col / TAB_WIDTH + 1) * TAB_WIDTH : col + 1;
	was = field->len;
	while (done < n) {
		size_t room = col < FOLD_WIDTH ? FOLD_WIDTH - col : 0, k;

		if (room == 0) {
			if (!buf_append(field, "\r\n\t", 3))
				return dkim_rollback(field, was);
			col = TAB_WIDTH;
			continue;
		}
		k = n - done < room ? n - done : room;
		if (!buf_append(field, b64 + done, k))
			return dkim_rollback(field, was);
		done += k;
		col += k;
	}
	if (!buf_append(field, "\r\n", 2))
		return dkim_rollback(field, was);
	return true;
}
