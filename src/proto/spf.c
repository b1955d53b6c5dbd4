/*
 * spf.c - SPF records and check_host() (RFC 7208), see spf.h.
 *
 * Pure: the DNS is the caller's callback; text is built with the string builder of spf_int.h
 * (no stdio in src/proto). One evaluation keeps its counters and the stack of domains being
 * evaluated in a context on the caller's stack; each level of include/redirect keeps its own
 * parsed record, so the depth is bounded by the lookup limit.
 */
#include "spf.h"

#include <string.h>

#include "spf_int.h"

/* ---- the record ---------------------------------------------------------------------------- */

bool spf_is_record(const char *txt)
{
	static const char v[] = "v=spf1";

	for (size_t i = 0; i < sizeof(v) - 1; i++)
		if (lower(txt[i]) != v[i])
			return false;
	return txt[6] == '\0' || txt[6] == ' ';
}

static const struct {
	const char *name;
	enum spf_mech mech;
} mechs[] = {
	{ "all", SPF_ALL }, { "include", SPF_INCLUDE }, { "a", SPF_A },
	{ "mx", SPF_MX },   { "ptr", SPF_PTR },		{ "ip4", SPF_IP4 },
	{ "ip6", SPF_IP6 }, { "exists", SPF_EXISTS },
};

/* "/n" (or "//n" for the IPv6 prefix of a and mx); false when malformed or out of range. */
static bool parse_cidr(const char *s, size_t len, struct spf_term *t)
{
	size_t i = 0;

	while (i < len) {
		bool v6 = false;
		unsigned v = 0, digits = 0;

		if (s[i] != '/')
			return false;
		i++;
		if (i < len && s[i] == '/') {
			v6 = true;
			i++;
		}
		while (i < len && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || (digits > 1 && s[i - digits] == '0'))
			return false;
		if (v6 || t->mech == SPF_IP6) {
			if (v > 128 || (v6 && t->mech != SPF_A && t->mech != SPF_MX))
				return false;
			t->cidr6 = (int)v;
		} else {
			if (v > 32)
				return false;
			t->cidr4 = (int)v;
		}
	}
	return true;
}

/* A domain-spec: printable ASCII without spaces; macros are checked when expanded. */
static bool domain_spec_ok(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Where a domain-spec ends and the cidr begins: the last '/' outside a macro. */
static size_t cidr_start(const char *s, size_t len)
{
	size_t at = len;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && depth > 0)
			depth--;
		else if (s[i] == '/' && depth == 0) {
			at = i;
			break;
		}
	}
	return at;
}

static bool parse_term(const char *s, size_t len, struct spf_record *rec, char *err, size_t errlen)
{
	struct spf_term *t;
	size_t name_len = 0, k;
	const char *name;

	/* a modifier: name "=" value */
	while (name_len < len && (is_alpha(s[name_len]) ||
				  (name_len > 0 && (is_digit(s[name_len]) || s[name_len] == '-' ||
						    s[name_len] == '_' || s[name_len] == '.'))))
		name_len++;
	if (name_len > 0 && name_len < len && s[name_len] == '=') {
		const char *v = s + name_len + 1;
		size_t vlen = len - name_len - 1;
		bool redirect = name_len == 8 && same_ascii(s, "redirect", 8);
		bool exp = name_len == 3 && same_ascii(s, "exp", 3);
		char *slot = redirect ? rec->redirect : exp ? rec->exp : NULL;

		if (slot == NULL)
			return true; /* unknown modifiers are ignored (RFC 7208 6) */
		if (slot[0] != '\0') {
			set_text(err, errlen, redirect ? "redirect=" : "exp=",
				 " appears twice (RFC 7208 6: at most once)", NULL);
			return false;
		}
		if (!domain_spec_ok(v, vlen)) {
			set_text(err, errlen,
				 redirect ? "redirect=" : "exp=", " has no valid domain after it",
				 NULL);
			return false;
		}
		memcpy(slot, v, vlen);
		slot[vlen] = '\0';
		return true;
	}
	if (rec->nterms == SPF_TERMS_MAX) {
		set_text(err, errlen, "too many terms in the record", NULL, NULL);
		return false;
	}
	t = &rec->terms[rec->nterms];
	memset(t, 0, sizeof(*t));
	k = len < sizeof(t->text) - 1 ? len : sizeof(t->text) - 1;
	memcpy(t->text, s, k);
	t->text[k] = '\0';
	t->qualifier = '+';
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (len > 0 && (s[0] == '+' || s[0] == '-' || s[0] == '~' || s[0] == '?')) {
		t->qualifier = s[0];
		s++;
		len--;
	}
	name = s;
	for (name_len = 0; name_len < len && s[name_len] != ':' && s[name_len] != '/'; name_len++)
		;
	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++)
		if (strlen(mechs[k].name) == name_len && same_ascii(name, mechs[k].name, name_len))
			break;
	if (k == sizeof(mechs) / sizeof(mechs[0])) {
		set_text(err, errlen, "unknown mechanism '", t->text, "'");
		return false;
	}
	t->mech = mechs[k].mech;
	s += name_len;
	len -= name_len;
	switch (t->mech) {
	case SPF_ALL:
		if (len != 0)
			goto bad;
		break;
	case SPF_INCLUDE:
	case SPF_EXISTS:
		if (len < 2 || s[0] != ':' || !domain_spec_ok(s + 1, len - 1))
			goto bad;
		memcpy(t->domain, s + 1, len - 1);
		break;
	case SPF_PTR:
		if (len > 0 && (s[0] != ':' || !domain_spec_ok(s + 1, len - 1)))
			goto bad;
		if (len > 0)
			memcpy(t->domain, s + 1, len - 1);
		break;
	case SPF_A:
	case SPF_MX: {
		size_t c;
		if (len > 0 && s[0] == ':') {
			c = cidr_start(s + 1, len - 1);
			if (!domain_spec_ok(s + 1, c))
				goto bad;
			memcpy(t->domain, s + 1, c);
			s += 1 + c;
			len -= 1 + c;
		}
		if (!parse_cidr(s, len, t))
			goto bad;
		break;
	}
	case SPF_IP4:
	case SPF_IP6: {
		size_t c;
		if (len < 2 || s[0] != ':')
			goto bad;
		s++;
		len--;
		for (c = 0; c < len && s[c] != '/'; c++)
			;
		if (!spf_ip_parse(s, c, &t->ip) || t->ip.family != (t->mech == SPF_IP4 ? 4 : 6))
			goto bad;
		if (!parse_cidr(s + c, len - c, t))
			goto bad;
		break;
	}
	}
	rec->nterms++;
	return true;
bad:
	set_text(err, errlen, "malformed term '", t->text, "'");
	return false;
}

bool spf_parse(const char *txt, struct spf_record *rec, char *err, size_t errlen)
{
	const char *s = txt;

	memset(rec, 0, sizeof(*rec));
	if (!spf_is_record(txt)) {
		set_text(err, errlen, "not an SPF record (it must begin with v=spf1)", NULL, NULL);
		return false;
	}
	s += 6;
	while (*s != '\0') {
		size_t n;
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
				set_text(err, errlen, "a character outside printable ASCII", NULL,
					 NULL);
				return false;
			}
		}
		if (!parse_term(s, n, rec, err, errlen))
			return false;
		s += n;
	}
	return true;
}

const char *spf_result_name(enum spf_result r)
{
	static const char *const names[] = { "none",	 "neutral",   "pass",	   "fail",
					     "softfail", "temperror", "permerror", "unevaluated" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* ---- check_host ---------------------------------------------------------------------------- */

/* One evaluation: the caller's arguments, the counters, the domains being evaluated. */
struct eval {
	const struct spf_ip *ip;
	const char *sender;
	spf_lookup_fn lookup;
	void *lctx;
	struct spf_outcome *out;
	struct spf_answer ans; /* scratch: read before the next lookup */
	char stack[SPF_LOOKUP_LIMIT + 2][256];
	size_t depth;
	char error[400]; /* why a temperror, permerror or unevaluated */
};

/* The error of a term that stops the evaluation; the first one wins. */
static enum spf_result stop(struct eval *e, enum spf_result r, const char *a, const char *b,
			    const char *c)
{
	if (e->error[0] == '\0')
		set_text(e->error, sizeof(e->error), a, b, c);
	return r;
}

static void ask(struct eval *e, enum spf_qtype type, const char *name)
{
	memset(&e->ans, 0, sizeof(e->ans));
	e->lookup(e->lctx, type, name, e->ip, &e->ans);
	if (e->ans.n > SPF_ANSWER_MAX)
		e->ans.n = SPF_ANSWER_MAX;
}

/* Counts a DNS-querying term: false (and the permerror) past the limit. */
static bool count_lookup(struct eval *e, const struct spf_term *t, const char *what)
{
	if (++e->out->lookups <= SPF_LOOKUP_LIMIT)
		return true;
	e->out->limit_exceeded = true;
	stop(e, SPF_PERMERROR, "more than 10 DNS lookups (RFC 7208 4.6.4) at ",
	     t != NULL ? t->text : what, "");
	return false;
}

/* Counts a lookup that found nothing: false (and the permerror) past the limit. */
static bool count_void(struct eval *e, const char *name)
{
	if (++e->out->voids <= SPF_VOID_LIMIT)
		return true;
	e->out->limit_exceeded = true;
	stop(e, SPF_PERMERROR,
	     "more than 2 lookups found nothing (void lookups, RFC 7208 4.6.4), "
	     "the last for ",
	     name, "");
	return false;
}

/* A name as a domain: labels of 1..63 octets, at most 253 in all, no empty label. */
static bool domain_ok(const char *d)
{
	size_t label = 0, len = strlen(d);

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63 || (unsigned char)d[i] <= 0x20 ||
			   (unsigned char)d[i] >= 0x7f) {
			return false;
		}
	}
	return label > 0 || len > 1;
}

/* The value of a macro letter, before its transformers. */
static bool macro_value(struct eval *e, char letter, const char *domain, struct sb *v)
{
	const char *at = strrchr(e->sender, '@');

	switch (lower(letter)) {
	case 's':
		sb_add(v, e->sender);
		return true;
	case 'l':
		if (at != NULL && at > e->sender)
			sb_addn(v, e->sender, (size_t)(at - e->sender));
		else
			sb_add(v, "postmaster");
		return true;
	case 'o':
	case 'h': /* no HELO name here: the sender's domain stands for it */
		sb_add(v, at != NULL ? at + 1 : e->sender);
		return true;
	case 'd':
		sb_add(v, domain);
		return true;
	case 'v':
		sb_add(v, e->ip->family == 4 ? "in-addr" : "ip6");
		return true;
	case 'i':
		if (e->ip->family == 4) {
			char t[64];
			spf_ip_format(e->ip, t, sizeof(t));
			sb_add(v, t);
		} else {
			static const char hx[] = "0123456789abcdef";
			for (int i = 0; i < 16; i++) {
				char n[4] = { hx[e->ip->b[i] >> 4], '.', hx[e->ip->b[i] & 15],
					      '.' };
				sb_addn(v, n, i == 15 ? 3 : 4);
			}
		}
		return true;
	}
	return false;
}

/* Applies a macro's transformers (keep the rightmost `keep` parts, reverse, split on delims)
 * to value, appending the parts joined with '.' to out. */
static void transform(const char *value, unsigned keep, bool reverse, const char *delims,
		      struct sb *out)
{
	const char *part[128];
	size_t plen[128], n = 0, first;
	const char *p = value;

	for (;;) {
		size_t l = strcspn(p, delims);
		if (n < 128) {
			part[n] = p;
			plen[n++] = l;
		}
		if (p[l] == '\0')
			break;
		p += l + 1;
	}
	if (reverse) {
		for (size_t i = 0; i < n / 2; i++) {
			const char *tp = part[i];
			size_t tl = plen[i];
			part[i] = part[n - 1 - i];
			plen[i] = plen[n - 1 - i];
			part[n - 1 - i] = tp;
			plen[n - 1 - i] = tl;
		}
	}
	first = keep > 0 && keep < n ? n - keep : 0;
	for (size_t i = first; i < n; i++) {
		if (i > first)
			sb_add(out, ".");
		sb_addn(out, part[i], plen[i]);
	}
}

/* Expands the macros of a domain-spec (RFC 7208 7) into out[256], cut from the left to 253
 * octets. A spec of "" is the current domain. SPF_PASS when done, else the error. */
static enum spf_result expand(struct eval *e, const char *spec, const char *domain, char out[256])
{
	char buf[1024], value[512];
	struct sb b, v;
	const char *s = spec;

	if (spec[0] == '\0') {
		set_text(out, 256, domain, NULL, NULL);
		return SPF_PASS;
	}
	sb_init(&b, buf, sizeof(buf));
	while (*s != '\0') {
		unsigned keep = 0, digits = 0;
		bool reverse = false;
		char delims[8] = "";
		size_t nd = 0;
		char letter;

		if (*s != '%') {
			sb_addn(&b, s++, 1);
			continue;
		}
		s++;
		if (*s == '%' || *s == '_' || *s == '-') {
			sb_add(&b, *s == '%' ? "%" : *s == '_' ? " " : "%20");
			s++;
			continue;
		}
		if (*s != '{' || s[1] == '\0')
			return stop(e, SPF_PERMERROR, "malformed macro in '", spec, "'");
		letter = s[1];
		s += 2;
		if (lower(letter) == 'p')
			return stop(e, SPF_UNEVALUATED,
				    "the %{p} macro (the validated host name of the address) is "
				    "not evaluated by tern, in '",
				    spec, "'");
		sb_init(&v, value, sizeof(value));
		if (!macro_value(e, letter, domain, &v))
			return stop(e, SPF_PERMERROR, "unknown macro letter in '", spec, "'");
		while (is_digit(*s) && digits < 4) {
			keep = keep * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if ((digits > 0 && keep == 0) || digits == 4)
			return stop(e, SPF_PERMERROR, "malformed macro in '", spec, "'");
		if (lower(*s) == 'r') {
			reverse = true;
			s++;
		}
		while (*s != '\0' && strchr(".-+,/_=", *s) != NULL && nd < sizeof(delims) - 1)
			delims[nd++] = *s++;
		delims[nd] = '\0';
		if (*s != '}')
			return stop(e, SPF_PERMERROR, "malformed macro in '", spec, "'");
		s++;
		transform(value, keep, reverse, nd > 0 ? delims : ".", &b);
	}
	s = buf;
	if (b.len > 0 && buf[b.len - 1] == '.')
		buf[--b.len] = '\0';
	while (strlen(s) > 253 && strchr(s, '.') != NULL) /* RFC 7208 7.3 */
		s = strchr(s, '.') + 1;
	if (strlen(s) > 253)
		return stop(e, SPF_PERMERROR, "the name made from '", spec, "' is too long");
	set_text(out, 256, s, NULL, NULL);
	return SPF_PASS;
}

static enum spf_result check(struct eval *e, const char *domain, char *matched, size_t mlen);

/* Whether any address of name (of the evaluated address's family, or A for exists) lies in
 * the term's prefix. 1 match, 0 none, -1 with the error set. */
static int addr_match(struct eval *e, const struct spf_term *t, const char *name, bool any_a,
		      bool count_voids)
{
	enum spf_qtype q = any_a || e->ip->family == 4 ? SPF_Q_A : SPF_Q_AAAA;

	ask(e, q, name);
	if (e->ans.status == SPF_DNS_TEMPFAIL) {
		stop(e, SPF_TEMPERROR, "the DNS lookup of ", name, " failed for now");
		return -1;
	}
	if (e->ans.status == SPF_DNS_NXDOMAIN || e->ans.n == 0)
		return count_voids && !count_void(e, name) ? -1 : 0;
	if (any_a)
		return 1;
	for (size_t i = 0; i < e->ans.n; i++)
		if (spf_ip_in(e->ip, &e->ans.ip[i], e->ip->family == 4 ? t->cidr4 : t->cidr6))
			return 1;
	return 0;
}

static int mx_match(struct eval *e, const struct spf_term *t, const char *target)
{
	char names[SPF_NAMES_LIMIT][256];
	size_t n;

	ask(e, SPF_Q_MX, target);
	if (e->ans.status == SPF_DNS_TEMPFAIL) {
		stop(e, SPF_TEMPERROR, "the MX lookup of ", target, " failed for now");
		return -1;
	}
	if (e->ans.status == SPF_DNS_NXDOMAIN || e->ans.n == 0)
		return count_void(e, target) ? 0 : -1;
	if (e->ans.n > SPF_NAMES_LIMIT) {
		e->out->limit_exceeded = true;
		stop(e, SPF_PERMERROR, "more than 10 MX hosts (RFC 7208 4.6.4) for ", t->text, "");
		return -1;
	}
	n = e->ans.n;
	for (size_t i = 0; i < n; i++)
		set_text(names[i], sizeof(names[i]), e->ans.str[i], NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		int m = names[i][0] != '\0' ? addr_match(e, t, names[i], false, false) : 0;
		if (m != 0)
			return m;
	}
	return 0;
}

/* ptr (RFC 7208 5.5): a validated host name of the address in the target domain. DNS errors
 * mean no match. */
static int ptr_match(struct eval *e, const char *target)
{
	char names[SPF_NAMES_LIMIT][256];
	size_t n, tl = strlen(target);
	struct spf_term any = { .cidr4 = 32, .cidr6 = 128 };

	ask(e, SPF_Q_PTR, "");
	if (e->ans.status != SPF_DNS_OK || e->ans.n == 0)
		return e->ans.status == SPF_DNS_TEMPFAIL || count_void(e, "the PTR name") ? 0 : -1;
	n = e->ans.n < SPF_NAMES_LIMIT ? e->ans.n : SPF_NAMES_LIMIT;
	for (size_t i = 0; i < n; i++)
		set_text(names[i], sizeof(names[i]), e->ans.str[i], NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		bool inside = (l == tl && same_ascii(names[i], target, l)) ||
			      (l > tl && names[i][l - tl - 1] == '.' &&
			       same_ascii(names[i] + l - tl, target, tl));
		if (inside && addr_match(e, &any, names[i], false, false) == 1)
			return 1;
	}
	return 0;
}

/* Whether a domain is being evaluated already (an include or redirect loop). */
static bool on_stack(const struct eval *e, const char *d)
{
	for (size_t i = 0; i < e->depth; i++)
		if (strlen(e->stack[i]) == strlen(d) && same_ascii(e->stack[i], d, strlen(d)))
			return true;
	return false;
}

/* Evaluates an include or redirect target: its result, with `why` naming the term. */
static enum spf_result descend(struct eval *e, const struct spf_term *t, const char *spec,
			       const char *domain, char *matched, size_t mlen)
{
	char target[256];
	enum spf_result r;

	if (!count_lookup(e, t, spec))
		return SPF_PERMERROR;
	if ((r = expand(e, spec, domain, target)) != SPF_PASS)
		return r;
	if (!domain_ok(target))
		return stop(e, SPF_PERMERROR, "'", target, "' is not a valid domain name");
	if (on_stack(e, target)) {
		e->out->loop = true;
		return stop(e, SPF_PERMERROR, "a loop: ", target,
			    " includes or redirects back to itself through the records above it");
	}
	r = check(e, target, matched, mlen);
	if (r == SPF_NONE)
		return stop(e, SPF_PERMERROR, target, " has no SPF record, yet ",
			    t != NULL ? "an include names it" : "a redirect names it");
	return r;
}

/* One mechanism: 1 match, 0 none, -1 stop (result in *r). */
static int term_match(struct eval *e, const struct spf_term *t, const char *domain, char *matched,
		      size_t mlen, enum spf_result *r)
{
	char target[256];
	int m;

	switch (t->mech) {
	case SPF_ALL:
		return 1;
	case SPF_IP4:
	case SPF_IP6:
		return spf_ip_in(e->ip, &t->ip, t->mech == SPF_IP4 ? t->cidr4 : t->cidr6);
	case SPF_INCLUDE:
		*r = descend(e, t, t->domain, domain, matched, mlen);
		if (*r == SPF_PASS)
			return 1;
		if (*r == SPF_FAIL || *r == SPF_SOFTFAIL || *r == SPF_NEUTRAL)
			return 0;
		return -1;
	default:
		break;
	}
	if (!count_lookup(e, t, NULL)) {
		*r = SPF_PERMERROR;
		return -1;
	}
	if ((*r = expand(e, t->domain, domain, target)) != SPF_PASS)
		return -1;
	if (!domain_ok(target)) {
		*r = stop(e, SPF_PERMERROR, "'", target, "' is not a valid domain name");
		return -1;
	}
	m = t->mech == SPF_A	    ? addr_match(e, t, target, false, true)
	    : t->mech == SPF_EXISTS ? addr_match(e, t, target, true, true)
	    : t->mech == SPF_MX	    ? mx_match(e, t, target)
				    : ptr_match(e, target);
	if (m < 0)
		*r = e->out->limit_exceeded ? SPF_PERMERROR : SPF_TEMPERROR;
	return m;
}

static enum spf_result qualified(char q)
{
	return q == '-' ? SPF_FAIL : q == '~' ? SPF_SOFTFAIL : q == '?' ? SPF_NEUTRAL : SPF_PASS;
}

/* check_host() for one domain; matched gets the deciding term. */
static enum spf_result check(struct eval *e, const char *domain, char *matched, size_t mlen)
{
	struct spf_record rec;
	char record[SPF_TXT_MAX], err[200];
	size_t found = 0;
	enum spf_result r = SPF_NEUTRAL;

	ask(e, SPF_Q_TXT, domain);
	if (e->ans.status == SPF_DNS_TEMPFAIL)
		return stop(e, SPF_TEMPERROR, "the TXT lookup of ", domain, " failed for now");
	for (size_t i = 0; e->ans.status == SPF_DNS_OK && i < e->ans.n; i++) {
		if (spf_is_record(e->ans.str[i])) {
			if (found++ == 0)
				set_text(record, sizeof(record), e->ans.str[i], NULL, NULL);
		}
	}
	if (e->depth == 0 && found > 0)
		set_text(e->out->record, sizeof(e->out->record), record, NULL, NULL);
	if (found == 0)
		return SPF_NONE;
	if (found > 1) {
		e->out->multiple = true;
		return stop(e, SPF_PERMERROR, domain,
			    " publishes more than one SPF record (RFC 7208 4.5: exactly one)",
			    NULL);
	}
	if (!spf_parse(record, &rec, err, sizeof(err)))
		return stop(e, SPF_PERMERROR, domain, "'s SPF record is invalid: ", err);
	if (e->depth >= sizeof(e->stack) / sizeof(e->stack[0]))
		return stop(e, SPF_PERMERROR, "includes nested too deep at ", domain, "");
	set_text(e->stack[e->depth++], 256, domain, NULL, NULL);
	for (size_t i = 0; i < rec.nterms; i++) {
		const struct spf_term *t = &rec.terms[i];
		char inner[512] = "";
		int m = term_match(e, t, domain, inner, sizeof(inner), &r);

		if (m < 0)
			goto done;
		if (m == 1) {
			struct sb b;
			sb_init(&b, matched, mlen);
			sb_add(&b, t->text);
			if (inner[0] != '\0') {
				sb_add(&b, " -> ");
				sb_add(&b, inner);
			}
			r = qualified(t->qualifier);
			goto done;
		}
	}
	r = SPF_NEUTRAL; /* no term matched: the default, unless a redirect says more */
	if (rec.redirect[0] != '\0') {
		char inner[512] = "";
		r = descend(e, NULL, rec.redirect, domain, inner, sizeof(inner));
		if (inner[0] != '\0')
			set_text(matched, mlen, "redirect=", rec.redirect, " -> ");
		if (inner[0] != '\0') {
			struct sb b = { matched, mlen, strlen(matched) };
			sb_add(&b, inner);
		}
	}
done:
	e->depth--;
	return r;
}

static void explain(const struct eval *e, const char *domain, char *ipt)
{
	struct spf_outcome *o = e->out;
	struct sb b;

	sb_init(&b, o->why, sizeof(o->why));
	switch (o->result) {
	case SPF_NONE:
		sb_add(&b, domain);
		sb_add(&b, " publishes no SPF record");
		return;
	case SPF_PASS:
		sb_add(&b, ipt);
		sb_add(&b, " is authorised by ");
		sb_add(&b, o->matched);
		return;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		sb_add(&b, ipt);
		sb_add(&b, " is not authorised: ");
		if (o->matched[0] != '\0') {
			sb_add(&b, o->matched);
			sb_add(&b, " matched it, which says ");
		} else {
			sb_add(&b, "no term matched it, and without one the result is ");
		}
		sb_add(&b, spf_result_name(o->result));
		return;
	default:
		sb_add(&b, e->error[0] != '\0' ? e->error : "the evaluation failed");
		return;
	}
}

void spf_check_host(const struct spf_ip *ip, const char *domain, const char *sender,
		    spf_lookup_fn lookup, void *ctx, struct spf_outcome *out)
{
	/* Large (the scratch answer): the caller's stack might be small, the struct is static-
	 * free, so it lives here for the duration of one call. */
	struct eval e;
	char pm[300], ipt[64];

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if (sender == NULL || strchr(sender, '@') == NULL) {
		set_text(pm, sizeof(pm), "postmaster@", domain, NULL);
		sender = pm;
	}
	e.ip = ip;
	e.sender = sender;
	e.lookup = lookup;
	e.lctx = ctx;
	e.out = out;
	spf_ip_format(ip, ipt, sizeof(ipt));
	if (!domain_ok(domain)) {
		out->result = SPF_NONE;
		set_text(out->why, sizeof(out->why), "'", domain, "' is not a valid domain name");
		return;
	}
	out->result = check(&e, domain, out->matched, sizeof(out->matched));
	explain(&e, domain, ipt);
}
