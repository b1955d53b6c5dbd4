/*
 * dmarc.c - DMARC policy records, alignment, and DKIM key records (see dmarc.h).
 *
 * Both records are tag-lists (RFC 6376 3.2, RFC 7489 6.4): "tag=value" separated by ';',
 * whitespace around either ignored. One walker reads them; each record checks its own tags.
 */
#include "dmarc.h"

#include <stdint.h>
#include <string.h>

#include "../lib/base64.h"

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Writes a + b into err (cut to errlen). */
static void say(char *err, size_t errlen, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) : 0;

	if (errlen == 0)
		return;
	if (la > errlen - 1)
		la = errlen - 1;
	memcpy(err, a, la);
	if (lb > errlen - 1 - la)
		lb = errlen - 1 - la;
	if (lb > 0)
		memcpy(err + la, b, lb);
	err[la + lb] = '\0';
}

struct tag {
	const char *name, *value;
	size_t nlen, vlen;
};

/* The next tag of a tag-list at *s: 1 with the tag, 0 at the end, -1 when malformed. */
static int next_tag(const char **s, struct tag *t)
{
	const char *p = *s, *end;

	for (;;) {
		while (is_wsp(*p))
			p++;
		if (*p == '\0')
			return 0;
		if (*p != ';')
			break;
		p++; /* an empty segment */
	}
	end = strchr(p, ';');
	if (end == NULL)
		end = p + strlen(p);
	t->name = p;
	while (p < end && !is_wsp(*p) && *p != '=')
		p++;
	t->nlen = (size_t)(p - t->name);
	while (p < end && is_wsp(*p))
		p++;
	if (t->nlen == 0 || p == end || *p != '=')
		return -1;
	p++;
	while (p < end && is_wsp(*p))
		p++;
	t->value = p;
	t->vlen = (size_t)(end - p);
	while (t->vlen > 0 && is_wsp(t->value[t->vlen - 1]))
		t->vlen--;
	*s = *end != '\0' ? end + 1 : end;
	return 1;
}

static bool tag_is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && strncmp(t->name, name, t->nlen) == 0;
}

static bool value_is(const struct tag *t, const char *v)
{
	if (t->vlen != strlen(v))
		return false;
	for (size_t i = 0; i < t->vlen; i++)
		if (lower(t->value[i]) != lower(v[i]))
			return false;
	return true;
}

/* ---- DMARC --------------------------------------------------------------------------------- */

bool dmarc_is_record(const char *txt)
{
	static const char v[] = "v=dmarc1";
	size_t i = 0;

	while (is_wsp(txt[i]))
		i++;
	for (size_t k = 0; k < sizeof(v) - 1; k++, i++)
		if (lower(txt[i]) != v[k])
			return false;
	while (is_wsp(txt[i]))
		i++;
	return txt[i] == '\0' || txt[i] == ';';
}

static bool parse_policy(const struct tag *t, enum dmarc_policy *p)
{
	if (value_is(t, "none"))
		*p = DMARC_P_NONE;
	else if (value_is(t, "quarantine"))
		*p = DMARC_P_QUARANTINE;
	else if (value_is(t, "reject"))
		*p = DMARC_P_REJECT;
	else
		return false;
	return true;
}

bool dmarc_parse(const char *txt, struct dmarc_record *rec, char *err, size_t errlen)
{
	const char *s = txt;
	struct tag t;
	bool first = true, has_p = false, has_sp = false;
	int rc;

	memset(rec, 0, sizeof(*rec));
	rec->adkim = 'r';
	rec->aspf = 'r';
	rec->pct = 100;
	while ((rc = next_tag(&s, &t)) == 1) {
		if (first) {
			first = false;
			if (!tag_is(&t, "v") || !value_is(&t, "DMARC1")) {
				say(err, errlen, "the record must begin with v=DMARC1", NULL);
				return false;
			}
			continue;
		}
		if (tag_is(&t, "p")) {
			if (!parse_policy(&t, &rec->p)) {
				say(err, errlen, "p= must be none, quarantine or reject", NULL);
				return false;
			}
			has_p = true;
		} else if (tag_is(&t, "sp")) {
			if (!parse_policy(&t, &rec->sp)) {
				say(err, errlen, "sp= must be none, quarantine or reject", NULL);
				return false;
			}
			has_sp = true;
		} else if (tag_is(&t, "adkim") || tag_is(&t, "aspf")) {
			if (!value_is(&t, "r") && !value_is(&t, "s")) {
				say(err, errlen, tag_is(&t, "adkim") ? "adkim" : "aspf",
				    "= must be r (relaxed) or s (strict)");
				return false;
			}
			*(tag_is(&t, "adkim") ? &rec->adkim : &rec->aspf) = lower(t.value[0]);
		} else if (tag_is(&t, "pct")) {
			int v = 0;
			if (t.vlen == 0 || t.vlen > 3) {
				say(err, errlen, "pct= must be a number from 0 to 100", NULL);
				return false;
			}
			for (size_t i = 0; i < t.vlen; i++) {
				if (t.value[i] < '0' || t.value[i] > '9') {
					say(err, errlen, "pct= must be a number from 0 to 100",
					    NULL);
					return false;
				}
				v = v * 10 + (t.value[i] - '0');
			}
			if (v > 100) {
				say(err, errlen, "pct= must be a number from 0 to 100", NULL);
				return false;
			}
			rec->pct = v;
		} else if (tag_is(&t, "rua") || tag_is(&t, "ruf")) {
			if (t.vlen < 7 || strncmp(t.value, "mailto:", 7) != 0) {
				say(err, errlen, tag_is(&t, "rua") ? "rua" : "ruf",
				    "= must be a list of mailto: addresses");
				return false;
			}
			rec->has_rua |= tag_is(&t, "rua");
		}
		/* fo, rf, ri and unknown tags: ignored (RFC 7489 6.3) */
	}
	if (rc < 0) {
		say(err, errlen, "the record is not a list of tag=value pairs separated by ';'",
		    NULL);
		return false;
	}
	if (first) {
		say(err, errlen, "the record is empty", NULL);
		return false;
	}
	if (!has_p) {
		say(err, errlen, "p= (the policy) is missing; it must follow v=DMARC1", NULL);
		return false;
	}
	if (!has_sp)
		rec->sp = rec->p;
	return true;
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	return p == DMARC_P_REJECT ? "reject" : p == DMARC_P_QUARANTINE ? "quarantine" : "none";
}

const char *dmarc_org_domain(const char *d, const struct psl *psl)
{
	size_t len = strlen(d);
	const char *dots[3] = { NULL, NULL, NULL }; /* the last three dots, last first */
	size_t nd = 0;

	if (psl != NULL)
		return psl_org_domain(psl, d);
	if (len > 0 && d[len - 1] == '.')
		len--;
	for (size_t i = len; i > 0 && nd < 3; i--)
		if (d[i - 1] == '.')
			dots[nd++] = d + i - 1;
	if (nd < 2)
		return d;
	/* "example.co.uk": a two-letter top level under a short second level */
	if ((size_t)(d + len - dots[0]) == 3 && (size_t)(dots[0] - dots[1]) <= 4)
		return nd >= 3 ? dots[2] + 1 : d;
	return dots[1] + 1;
}

/* Equal names, case and one trailing dot ignored. */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool dmarc_aligned(const char *from_domain, const char *auth_domain, char mode,
		   const struct psl *psl)
{
	if (same_name(from_domain, auth_domain))
		return true;
	if (lower(mode) == 's')
		return false;
	return same_name(dmarc_org_domain(from_domain, psl), dmarc_org_domain(auth_domain, psl));
}

/* ---- DKIM key records ---------------------------------------------------------------------- */

bool dkim_key_record_p(const char *txt, char *out, size_t size)
{
	const char *s = txt;
	struct tag t;

	while (next_tag(&s, &t) == 1) {
		size_t n = 0;
		if (!tag_is(&t, "p"))
			continue;
		for (size_t i = 0; i < t.vlen; i++) {
			if (is_wsp(t.value[i]))
				continue;
			if (n + 1 >= size)
				return false;
			out[n++] = t.value[i];
		}
		if (size == 0)
			return false;
		out[n] = '\0';
		return true;
	}
	return false;
}

bool dkim_key_record_parse(const char *txt, struct dkim_key_record *rec, char *err, size_t errlen)
{
	const char *s = txt;
	struct tag t;
	bool first = true, has_p = false;
	int rc;

	memset(rec, 0, sizeof(*rec));
	memcpy(rec->k, "rsa", 4);
	while ((rc = next_tag(&s, &t)) == 1) {
		if (tag_is(&t, "v") && (!first || !value_is(&t, "DKIM1"))) {
			say(err, errlen, "v= must be DKIM1 and come first", NULL);
			return false;
		}
		first = false;
		if (tag_is(&t, "k")) {
			if (!value_is(&t, "rsa") && !value_is(&t, "ed25519")) {
				say(err, errlen, "k= must be rsa or ed25519", NULL);
				return false;
			}
			memcpy(rec->k, t.value, t.vlen);
			rec->k[t.vlen] = '\0';
			for (size_t i = 0; i < t.vlen; i++)
				rec->k[i] = lower(rec->k[i]);
		} else if (tag_is(&t, "t")) {
			for (size_t i = 0; i < t.vlen; i++)
				rec->testing |= lower(t.value[i]) == 'y';
		} else if (tag_is(&t, "p")) {
			char b64[2048];
			uint8_t raw[BASE64_DECODED_MAX(sizeof(b64))];
			size_t n = 0;

			if (has_p) {
				say(err, errlen, "p= appears twice", NULL);
				return false;
			}
			has_p = true;
			for (size_t i = 0; i < t.vlen; i++) {
				if (is_wsp(t.value[i]))
					continue;
				if (n + 1 >= sizeof(b64)) {
					say(err, errlen, "p= is longer than any key tern knows",
					    NULL);
					return false;
				}
				b64[n++] = t.value[i];
			}
			b64[n] = '\0';
			rec->p_len = n;
			rec->revoked = n == 0;
			if (n > 0 && !base64_decode(b64, n, raw, &rec->key_bytes)) {
				say(err, errlen,
				    "p= is not valid base64 (a character was lost or "
				    "added when the record was pasted?)",
				    NULL);
				return false;
			}
		}
	}
	if (rc < 0) {
		say(err, errlen, "the record is not a list of tag=value pairs separated by ';'",
		    NULL);
		return false;
	}
	if (!has_p) {
		say(err, errlen, "p= (the public key) is missing", NULL);
		return false;
	}
	return true;
}
