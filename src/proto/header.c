/*
 * header.c - header section scan and From/Sender mailbox lists (see header.h).
 */
#include "header.h"

#include <string.h>

/* ---- the header section ------------------------------------------------------------------ */

static bool name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)name[i])
			return false;
	}
	return true;
}

size_t header_field_name(const uint8_t *p, size_t n, size_t *colon)
{
	size_t i = 0, name;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	name = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (name == 0 || i == n || p[i] != ':')
		return 0;
	*colon = i;
	return name;
}

void header_scan(const uint8_t *msg, size_t len, size_t limit, struct header_scan *out)
{
	struct header_span *cur = NULL;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const uint8_t *lf = memchr(msg + pos, '\n', len - pos);
		size_t eol = lf != NULL ? (size_t)(lf - msg) : len; /* at the LF */
		size_t end = eol > pos && msg[eol - 1] == '\r' ? eol - 1 : eol;
		size_t next = lf != NULL ? eol + 1 : len, colon = 0, name;

		if (next > limit) {
			out->too_big = true;
			out->length = pos;
			return;
		}
		if (end == pos) { /* the empty line: the body follows */
			out->length = next;
			return;
		}
		if (msg[pos] == ' ' || msg[pos] == '\t') {
			if (!out->has_header)
				break; /* a continuation before any field: no header section */
			if (cur != NULL)
				cur->len = end - cur->off;
			pos = next;
			continue;
		}
		if ((name = header_field_name(msg + pos, end - pos, &colon)) == 0)
			break; /* not a field: the header section ends here (or never began) */
		out->has_header = true;
		cur = NULL;
		if (name_is(msg + pos, name, "received")) {
			out->received++;
		} else if (name_is(msg + pos, name, "from")) {
			if (out->from_fields++ == 0)
				cur = &out->from;
		} else if (name_is(msg + pos, name, "sender")) {
			if (out->sender_fields++ == 0)
				cur = &out->sender;
		}
		if (cur != NULL) {
			cur->off = pos + colon + 1;
			cur->len = end - cur->off;
		}
		pos = next;
	}
	out->length = pos;
}

/* ---- mailbox lists ------------------------------------------------------------------------ */

#define FLAT_MAX 512

struct parser {
	const uint8_t *v;
	size_t len, i;
	bool smtputf8;
	struct mailbox_list *out;
	char flat[FLAT_MAX]; /* the current word run, comments and folding taken out */
	size_t flat_len;
	bool overflow;
	size_t elem_start; /* where the current element began, for `bad` */
	void (*each)(const struct address *a, void *ctx); /* every mailbox, or NULL */
	void *each_ctx;
};

static enum mailbox_error fail(struct parser *p, enum mailbox_error e)
{
	size_t n = p->len - p->elem_start, k = 0;

	if (p->out->error != MAILBOX_OK)
		return p->out->error;
	p->out->error = e;
	for (size_t i = 0; i < n && k + 1 < sizeof(p->out->bad); i++) {
		uint8_t c = p->v[p->elem_start + i];
		if (c == '\r' || c == '\n' || ((c == ' ' || c == '\t') && k == 0))
			continue;
		p->out->bad[k++] = (char)(c < 32 || c == 127 ? '?' : c);
	}
	while (k > 0 && p->out->bad[k - 1] == ' ')
		k--;
	p->out->bad[k] = '\0';
	return e;
}

static void put(struct parser *p, uint8_t c)
{
	if (p->flat_len + 1 >= FLAT_MAX) {
		p->overflow = true;
		return;
	}
	p->flat[p->flat_len++] = (char)c;
}

/* Skips a comment at v[i] == '('. Nesting is counted, not recursed. */
static bool skip_comment(struct parser *p)
{
	size_t depth = 0;

	do {
		uint8_t c = p->v[p->i++];
		if (c == '\\' && p->i < p->len)
			p->i++;
		else if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
	} while (depth > 0 && p->i < p->len);
	return depth == 0;
}

/* Copies a quoted string at v[i] == '"' into flat, quotes and escapes kept as they are. */
static bool take_quoted(struct parser *p)
{
	put(p, p->v[p->i++]);
	while (p->i < p->len) {
		uint8_t c = p->v[p->i++];
		if (c == '\r' || c == '\n')
			continue; /* folding inside a quoted string */
		put(p, c);
		if (c == '\\' && p->i < p->len)
			put(p, p->v[p->i++]);
		else if (c == '"')
			return true;
	}
	return false;
}

/* Checks flat as an addr-spec and keeps it. Whitespace was left out already; an obsolete
 * source route ("@a,@b:") before it is dropped. */
static enum mailbox_error take_address(struct parser *p)
{
	struct address a;
	const char *s = p->flat;
	size_t n = p->flat_len;
	enum address_error e;

	if (n > 0 && s[0] == '@') {
		const char *colon = memchr(s, ':', n);
		if (colon != NULL) {
			n -= (size_t)(colon + 1 - s);
			s = colon + 1;
		}
	}
	e = p->overflow ? ADDRESS_E_TOO_LONG : address_parse(s, n, p->smtputf8, &a);
	if (e != ADDRESS_OK || n == 0 || a.is_null) {
		p->out->address_error = e != ADDRESS_OK ? e : ADDRESS_E_SYNTAX;
		return fail(p, MAILBOX_E_ADDRESS);
	}
	if (p->each != NULL)
		p->each(&a, p->each_ctx);
	if (p->out->count < MAILBOX_MAX)
		p->out->addr[p->out->count] = a;
	p->out->count++;
	return MAILBOX_OK;
}

/* Reads words into flat up to a top-level delimiter, which is returned (0 at the end).
 * Whitespace and comments are dropped: in an addr-spec they may only stand around dots and
 * the '@' (obsolete syntax), and in a display name their text does not matter here. */
static int words(struct parser *p, bool in_angle)
{
	while (p->i < p->len) {
		uint8_t c = p->v[p->i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p->i++;
		} else if (c == '(') {
			if (!skip_comment(p))
				return -MAILBOX_E_COMMENT;
		} else if (c == ')') {
			return -MAILBOX_E_COMMENT;
		} else if (c == '"') {
			if (!take_quoted(p))
				return -MAILBOX_E_QUOTE;
		} else if (c == '[') {
			/* a domain literal, whose colons ("[IPv6:...]") start no group */
			while (p->i < p->len && p->v[p->i] != ']')
				put(p, p->v[p->i++]);
			if (p->i < p->len)
				put(p, p->v[p->i++]);
		} else if (in_angle ? c == '>'
				    : (c == ',' || c == ';' || c == ':' || c == '<' || c == '>')) {
			return c;
		} else if (in_angle && c == '<') {
			return -MAILBOX_E_ANGLE;
		} else {
			put(p, c);
			p->i++;
		}
	}
	return 0;
}

enum mailbox_error mailbox_list_parse(const uint8_t *v, size_t len, bool smtputf8,
				      struct mailbox_list *out)
{
	return mailbox_list_walk(v, len, smtputf8, NULL, NULL, out);
}

enum mailbox_error mailbox_list_walk(const uint8_t *v, size_t len, bool smtputf8,
				     void (*each)(const struct address *a, void *ctx), void *ctx,
				     struct mailbox_list *out)
{
	struct parser p = {
		.v = v, .len = len, .smtputf8 = smtputf8, .out = out, .each = each, .each_ctx = ctx
	};
	bool in_group = false;
	int d;

	memset(out, 0, sizeof(*out));
	for (;;) {
		p.flat_len = 0;
		p.overflow = false;
		p.elem_start = p.i;
		if ((d = words(&p, false)) < 0)
			return fail(&p, (enum mailbox_error) - d);
		if (d == '>')
			return fail(&p, MAILBOX_E_ANGLE);
		if (d == ':') { /* display-name ":" starts a group */
			if (in_group)
				return fail(&p, MAILBOX_E_GROUP);
			in_group = true;
			out->groups++;
			p.i++;
			continue;
		}
		if (d == '<') {
			p.i++;
			p.flat_len = 0; /* the display name is not needed */
			p.overflow = false;
			if ((d = words(&p, true)) < 0)
				return fail(&p, (enum mailbox_error) - d);
			if (d != '>')
				return fail(&p, MAILBOX_E_ANGLE);
			p.i++;
			if (take_address(&p) != MAILBOX_OK)
				return out->error;
			p.flat_len = 0;
			if ((d = words(&p, false)) < 0)
				return fail(&p, (enum mailbox_error) - d);
			if (p.flat_len > 0 || d == '<' || d == '>' || d == ':')
				return fail(&p, MAILBOX_E_ANGLE); /* text after the angle-addr */
		} else if (p.flat_len > 0 && take_address(&p) != MAILBOX_OK) {
			return out
				->error; /* an addr-spec; an empty element is obsolete but harmless */
		}
		if (d == ';') {
			if (!in_group)
				return fail(&p, MAILBOX_E_GROUP);
			in_group = false;
		}
		if (d == 0)
			break;
		p.i++;
	}
	if (in_group)
		return fail(&p, MAILBOX_E_GROUP);
	return MAILBOX_OK;
}

const char *mailbox_error_text(const struct mailbox_list *l)
{
	switch (l->error) {
	case MAILBOX_OK:
		return "no error";
	case MAILBOX_E_QUOTE:
		return "unterminated quoted string";
	case MAILBOX_E_COMMENT:
		return "unbalanced parentheses";
	case MAILBOX_E_ANGLE:
		return "unbalanced angle brackets";
	case MAILBOX_E_GROUP:
		return "group without its closing semicolon";
	case MAILBOX_E_ADDRESS:
		switch (l->address_error) {
		case ADDRESS_E_TOO_LONG:
			return "address too long";
		case ADDRESS_E_NEEDS_UTF8:
			return "non-ASCII address without SMTPUTF8";
		default:
			return "not a valid address";
		}
	}
	return "not a valid address";
}
