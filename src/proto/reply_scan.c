/*
 * reply_scan.c - find SMTP replies quoted inside prose (see reply_scan.h).
 *
 * A number is taken for a reply code only with evidence: an enhanced code right after it,
 * or a place where replies are quoted (start of a line, after "said:", a quote, "smtp;",
 * "error"). That keeps dates, sizes, ports and addresses out. Enhanced codes standing alone
 * need clean boundaries so that IP addresses and version numbers are not read as codes.
 *
 * Pure: no I/O, no allocation. Each byte is looked at a bounded number of times.
 */
#include "reply_scan.h"

#include <string.h>

#include "../lib/text.h"

#define CONTEXT_WINDOW 400 /* how far back prose about a reply is looked for */
#define JOIN_LINES_MAX 24  /* wrapped or continued lines joined into one reply */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return text_lower(c);
}

/* Does in[p..len) start with word (lowercase; a space matches any run of blanks)? */
static bool starts_ci(const char *in, size_t len, size_t p, const char *word)
{
	return p <= len && text_match_at(in, len, p, word, strlen(word)) != SIZE_MAX;
}

/* Where word first starts in in[from..to), or SIZE_MAX. */
static size_t find_ci(const char *in, size_t from, size_t to, const char *word)
{
	return text_find(in, to, from, word, strlen(word), NULL);
}

static size_t line_begin(const char *in, size_t p)
{
	while (p > 0 && in[p - 1] != '\n')
		p--;
	return p;
}

static size_t line_end(const char *in, size_t len, size_t p)
{
	const char *nl = memchr(in + p, '\n', len - p);

	return nl ? (size_t)(nl - in) : len;
}

/* An enhanced code at p with boundaries fit for prose: not part of an IP address ("5.1.1.1"),
 * a version ("v2.0.1"), or a longer number. A full stop ending a sentence is allowed. */
static size_t prose_enh(const char *in, size_t len, size_t p, struct enh_code *e)
{
	size_t n = 0, q;

	while (p + n < len && n < 10 && (is_digit(in[p + n]) || in[p + n] == '.'))
		n++;
	while (n > 0 && in[p + n - 1] == '.')
		n--;
	if (!enh_code_parse(in + p, n, e))
		return 0;
	q = p + n;
	if (q < len) {
		char c = in[q];

		if (is_alnum(c) || c == '_')
			return 0;
		if ((c == '.' || c == '-' || c == ':') && q + 1 < len && is_digit(in[q + 1]))
			return 0;
	}
	return n;
}

static bool left_boundary(const char *in, size_t p)
{
	char c;

	if (p == 0)
		return true;
	c = in[p - 1];
	return c != '\0' && strchr(" \t\r\n'\"(;:[<>#=,", c) != NULL;
}

/* Only blanks, quotes and transcript arrows before p on its line. */
static bool at_line_start(const char *in, size_t p)
{
	for (size_t i = line_begin(in, p); i < p; i++)
		if (!is_space(in[i]) && in[i] != '>' && in[i] != '<' && in[i] != '"' &&
		    in[i] != '\'' && in[i] != '\r')
			return false;
	return true;
}

/* Words after which a number is a reply code: "SMTP error 451", "Remote host said: 554". */
static bool lead_in_word(const char *in, size_t p)
{
	static const char *const words[] = { "error", "code",	  "reply", "response", "status",
					     "said",  "returned", "smtp",  "answer" };
	size_t ls = line_begin(in, p), e = p, b;

	while (e > ls && is_space(in[e - 1]))
		e--;
	if (e > ls && strchr(":;'\"(", in[e - 1]) != NULL)
		return true;
	b = e;
	while (b > ls && is_alpha(in[b - 1]))
		b--;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (e - b == strlen(words[i]) && starts_ci(in, e, b, words[i]))
			return true;
	return false;
}

static bool valid_basic(int code)
{
	int first = code / 100, second = code / 10 % 10;

	/* 101 and 111 are not SMTP replies but client libraries report connection failures
	 * with them ("111 Can't open SMTP stream"); the knowledge base explains them. */
	if (code == 101 || code == 111)
		return true;
	return first >= 2 && first <= 5 && second <= 5;
}

/* Skips blanks and at most one line break followed by indentation (a wrapped line). */
static size_t skip_gap(const char *in, size_t len, size_t p)
{
	while (p < len && is_space(in[p]))
		p++;
	if (p < len && (in[p] == '\r' || in[p] == '\n')) {
		size_t q = p;

		if (in[q] == '\r')
			q++;
		if (q < len && in[q] == '\n')
			q++;
		if (q < len && is_space(in[q])) {
			while (q < len && is_space(in[q]))
				q++;
			return q;
		}
	}
	return p;
}

struct candidate {
	int basic;
	struct enh_code enh;
	enum finding_kind kind;
	char sep;    /* '-' when the reply continues on further lines */
	size_t text; /* where the words start */
	bool quoted; /* opened by a quote: the reply ends at its closing quote */
};

static bool try_basic(const char *in, size_t len, size_t p, struct candidate *c)
{
	int code;
	char rc;
	size_t q, elen;

	if (p + 3 > len || !is_digit(in[p]) || !is_digit(in[p + 1]) || !is_digit(in[p + 2]))
		return false;
	code = (in[p] - '0') * 100 + (in[p + 1] - '0') * 10 + (in[p + 2] - '0');
	if (!valid_basic(code))
		return false;
	rc = p + 3 < len ? in[p + 3] : '\n';
	if (rc != ' ' && rc != '-' && rc != '\t' && rc != '\r' && rc != '\n')
		return false;
	memset(c, 0, sizeof(*c));
	c->basic = code;
	c->kind = FIND_REPLY;
	c->sep = rc == '-' ? '-' : ' ';
	c->quoted = p > 0 && in[p - 1] == '\'';
	q = p + 3 < len && (rc == ' ' || rc == '-' || rc == '\t') ? p + 4 : p + 3;
	q = skip_gap(in, len, q);
	elen = q < len ? prose_enh(in, len, q, &c->enh) : 0;
	if (elen > 0) {
		c->text = q + elen;
		return true; /* a code and an enhanced code: that is a reply */
	}
	c->enh.cls = 0;
	if (rc == '-' && p + 4 < len && is_digit(in[p + 4]))
		return false; /* "202-555-0123" */
	if (!at_line_start(in, p) && !lead_in_word(in, p) &&
	    !((code == 101 || code == 111) && p >= 2 && in[p - 2] == ','))
		return false;
	c->text = p + 3 < len ? p + 4 : p + 3;
	if (c->text > len)
		c->text = len;
	return true;
}

static bool try_enhanced(const char *in, size_t len, size_t p, struct candidate *c)
{
	size_t elen;
	size_t ls;

	memset(c, 0, sizeof(*c));
	elen = prose_enh(in, len, p, &c->enh);
	if (elen == 0)
		return false;
	ls = line_begin(in, p);
	while (ls < p && is_space(in[ls]))
		ls++;
	c->kind = starts_ci(in, p, ls, "status:") ? FIND_DSN_STATUS : FIND_ENHANCED;
	c->sep = ' ';
	c->text = p + elen;
	c->quoted = p > 0 && in[p - 1] == '\'';
	return true;
}

static void text_add(struct reply_finding *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && f->text_len + 1 < sizeof(f->text); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		/* one space between words, none at the start */
		if (c == ' ' && (f->text_len == 0 || f->text[f->text_len - 1] == ' '))
			continue;
		f->text[f->text_len++] = (char)c;
	}
	f->text[f->text_len] = '\0';
}

/* Does a line, from p, start with a reply code (a new reply, not more of this one)? */
static bool starts_reply(const char *in, size_t len, size_t p)
{
	struct candidate c;

	return try_basic(in, len, p, &c) || try_enhanced(in, len, p, &c);
}

/* Reads the words of a reply from c->text on, joining continuation lines ("550-..." then
 * "550 ...", with or without "<<< ") and wrapped lines (indented). Returns where it ended. */
static size_t read_text(const char *in, size_t len, const struct candidate *c,
			struct reply_finding *f)
{
	size_t pos = c->text;
	char sep = c->sep;

	for (int lines = 0;; lines++) {
		size_t le = line_end(in, len, pos), seg = le, next, c1, m;
		bool closed = false;

		if (seg > pos && in[seg - 1] == '\r')
			seg--;
		if (c->quoted) {
			for (size_t q = pos; q < seg; q++) {
				size_t r = q + 1;

				if (in[q] != '\'')
					continue;
				while (r < seg && is_space(in[r]))
					r++;
				if (r == seg) {
					seg = q;
					closed = true;
					break;
				}
			}
		}
		if (f->text_len > 0)
			text_add(f, " ", 1);
		text_add(f, in + pos, seg - pos);
		next = le < len ? le + 1 : len;
		if (closed || next >= len || lines + 1 >= JOIN_LINES_MAX)
			return next;
		c1 = next;
		while (c1 < len && is_space(in[c1]))
			c1++;
		if (c1 >= len || in[c1] == '\n' || in[c1] == '\r')
			return next; /* a blank line ends it */
		m = c1;
		if (starts_ci(in, len, m, "<<<")) {
			m += 3;
			while (m < len && is_space(in[m]))
				m++;
		}
		if (sep == '-' && c->basic > 0 && m + 3 <= len && is_digit(in[m]) &&
		    (in[m] - '0') * 100 + (in[m + 1] - '0') * 10 + (in[m + 2] - '0') == c->basic &&
		    is_digit(in[m + 1]) && is_digit(in[m + 2])) {
			struct enh_code e;
			size_t elen;

			sep = m + 3 < len && in[m + 3] == '-' ? '-' : ' ';
			m += 3;
			if (m < len && (in[m] == ' ' || in[m] == '-'))
				m++;
			elen = prose_enh(in, len, m, &e);
			if (elen > 0) {
				m += elen;
				while (m < len && is_space(in[m]))
					m++;
			}
			pos = m;
			continue;
		}
		if (c1 > next && sep != '-' && !starts_reply(in, len, c1)) {
			pos = c1; /* an indented line: the same reply, wrapped */
			continue;
		}
		return next;
	}
}

static const char *normalize_command(const char *in, size_t len, size_t p)
{
	static const struct {
		const char *word;
		const char *command;
	} words[] = {
		{ "rcpt", "RCPT TO" },
		{ "mail from", "MAIL FROM" },
		{ "end of data", "DATA" },
		{ "data", "DATA" },
		{ "message body", "DATA" },
		{ "bdat", "BDAT" },
		{ "ehlo", "EHLO" },
		{ "helo", "HELO" },
		{ "starttls", "STARTTLS" },
		{ "auth", "AUTH" },
		{ "quit", "QUIT" },
		{ "initial server greeting", "CONNECT" },
		{ "initial connection", "CONNECT" },
		{ "greeting", "CONNECT" },
		{ "connect", "CONNECT" },
		{ "pipelined", "RCPT TO" },
	};

	while (p < len && is_space(in[p]))
		p++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (starts_ci(in, len, p, words[i].word))
			return words[i].command;
	return NULL;
}

/* The last "name[ip]" (or "name [ip]") in in[from..to), with ":port" when it follows. */
static void find_host(const char *in, size_t from, size_t to, struct reply_context *ctx)
{
	for (size_t i = from; i < to; i++) {
		size_t ip0, ip1, n1, n0;
		bool dotted = false;

		if (in[i] != '[')
			continue;
		ip0 = i + 1;
		if (starts_ci(in, to, ip0, "ipv6:"))
			ip0 += 5;
		ip1 = ip0;
		while (ip1 < to && (is_digit(in[ip1]) || in[ip1] == '.' || in[ip1] == ':' ||
				    (lower(in[ip1]) >= 'a' && lower(in[ip1]) <= 'f'))) {
			dotted = dotted || in[ip1] == '.' || in[ip1] == ':';
			ip1++;
		}
		if (ip1 >= to || in[ip1] != ']' || ip1 - ip0 < 3 || !dotted ||
		    ip1 - ip0 >= sizeof(ctx->ip))
			continue;
		n1 = i;
		if (n1 > from && in[n1 - 1] == ' ')
			n1--;
		n0 = n1;
		while (n0 > from && (is_alnum(in[n0 - 1]) || in[n0 - 1] == '.' ||
				     in[n0 - 1] == '-' || in[n0 - 1] == '_'))
			n0--;
		if (n1 - n0 < 1 || n1 - n0 >= sizeof(ctx->host) ||
		    memchr(in + n0, '.', n1 - n0) == NULL)
			continue;
		memcpy(ctx->host, in + n0, n1 - n0);
		ctx->host[n1 - n0] = '\0';
		memcpy(ctx->ip, in + ip0, ip1 - ip0);
		ctx->ip[ip1 - ip0] = '\0';
		ctx->port[0] = '\0';
		if (ip1 + 1 < to && in[ip1 + 1] == ':') {
			size_t p0 = ip1 + 2, p1 = p0;

			while (p1 < to && p1 - p0 < 5 && is_digit(in[p1]))
				p1++;
			if (p1 > p0) {
				memcpy(ctx->port, in + p0, p1 - p0);
				ctx->port[p1 - p0] = '\0';
			}
		}
		i = ip1;
	}
}

/* The command a reply answered: the last clear statement of it in in[from..to). */
static void find_command(const char *in, size_t from, size_t to, struct reply_context *ctx)
{
	static const char *const markers[] = { "in reply to ", "after ", "while sending ",
					       "while receiving the ", ">>> " };
	size_t best = SIZE_MAX;

	for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++) {
		size_t at = from;

		for (;;) {
			size_t span = 0;
			size_t hit = text_find(in, to, at, markers[m], strlen(markers[m]), &span);
			const char *cmd;

			if (hit == SIZE_MAX)
				break;
			/* the span, not the marker's length: a wrapped marker covers more bytes */
			cmd = normalize_command(in, to, hit + span);
			if (cmd != NULL && (best == SIZE_MAX || hit > best)) {
				best = hit;
				ctx->command = cmd;
			}
			at = hit + 1;
		}
	}
	{
		size_t hit = find_ci(in, from, to, "refused to talk to me");

		if (hit != SIZE_MAX && (best == SIZE_MAX || hit > best))
			ctx->command = "CONNECT";
	}
}

static void context_read(const char *in, size_t from, size_t mid, size_t to,
			 struct reply_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	find_host(in, from, mid, ctx);
	find_command(in, from, to, ctx);
}

void reply_scan_context(const char *in, size_t from, size_t to, struct reply_context *ctx)
{
	context_read(in, from, to, to, ctx);
}

/* Removes Postfix's "(in reply to X command)" from the words; the context keeps it. */
static void strip_in_reply_to(struct reply_finding *f)
{
	size_t hit = find_ci(f->text, 0, f->text_len, "(in reply to ");

	if (hit == SIZE_MAX)
		return;
	while (hit > 0 && f->text[hit - 1] == ' ')
		hit--;
	f->text_len = hit;
	f->text[hit] = '\0';
}

/* qmail and others put the enhanced code at the end: "... over quota (#5.2.2)". */
static void enhanced_from_text(struct reply_finding *f)
{
	for (size_t i = 0; i + 1 < f->text_len; i++) {
		struct enh_code e;

		if (f->text[i] != '#')
			continue;
		if (prose_enh(f->text, f->text_len, i + 1, &e) > 0 && e.cls == f->basic / 100) {
			f->enh = e;
			return;
		}
	}
}

size_t reply_scan(const char *in, size_t len, struct reply_finding *out, size_t max)
{
	size_t n = 0, p = 0;

	while (p < len && n < max) {
		struct candidate c;
		struct reply_finding *f;
		size_t end, window;
		bool found;

		if (!is_digit(in[p]) || !left_boundary(in, p)) {
			p++;
			continue;
		}
		found = try_basic(in, len, p, &c) || try_enhanced(in, len, p, &c);
		if (!found) {
			while (p < len && is_digit(in[p]))
				p++;
			continue;
		}
		f = &out[n];
		memset(f, 0, sizeof(*f));
		f->basic = c.basic;
		f->enh = c.enh;
		f->kind = c.kind;
		f->start = p;
		end = read_text(in, len, &c, f);
		f->end = end;
		/* prose about a reply sits on its line or the one before, not further back */
		window = line_begin(in, p);
		window = window > 0 ? line_begin(in, window - 1) : 0;
		if (p > CONTEXT_WINDOW && window < p - CONTEXT_WINDOW)
			window = p - CONTEXT_WINDOW;
		context_read(in, window, p, end, &f->ctx);
		strip_in_reply_to(f);
		if (f->basic > 0 && f->enh.cls == 0)
			enhanced_from_text(f);
		n++;
		p = end > p ? end : p + 1;
	}
	return n;
}

/* "00:02:00" at p: hours, minutes, seconds. */
static long clock_at(const char *s, size_t len, size_t p)
{
	long parts[3];

	for (int i = 0; i < 3; i++) {
		if (p + 2 > len || !is_digit(s[p]) || !is_digit(s[p + 1]))
			return 0;
		parts[i] = (s[p] - '0') * 10 + (s[p + 1] - '0');
		p += 2;
		if (i < 2) {
			if (p >= len || s[p] != ':')
				return 0;
			p++;
		}
	}
	return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

long reply_retry_after(const char *text, size_t len)
{
	static const char *const leads[] = { "come back in ",	 "try again in ", "retry in ",
					     "try again after ", "retry after ",  "wait ",
					     "again in ",	 "back in " };
	static const struct {
		const char *unit;
		long seconds;
	} units[] = { { "second", 1 }, { "sec", 1 },	 { "s ", 1 },	 { "minute", 60 },
		      { "min", 60 },   { "hour", 3600 }, { "h ", 3600 }, { "m ", 60 } };

	for (size_t l = 0; l < sizeof(leads) / sizeof(leads[0]); l++) {
		size_t at = 0;

		for (;;) {
			size_t hit = find_ci(text, at, len, leads[l]);
			size_t p;
			long v = 0, clock;

			if (hit == SIZE_MAX)
				break;
			p = hit + strlen(leads[l]);
			at = hit + 1;
			clock = clock_at(text, len, p);
			if (clock > 0)
				return clock > 86400 ? 86400 : clock;
			if (p >= len || !is_digit(text[p]))
				continue;
			while (p < len && is_digit(text[p]) && v < 1000000)
				v = v * 10 + (text[p++] - '0');
			while (p < len && is_space(text[p]))
				p++;
			for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
				if (starts_ci(text, len, p, units[u].unit) ||
				    (units[u].unit[1] == ' ' && p + 1 == len &&
				     lower(text[p]) == units[u].unit[0])) {
					long s = v * units[u].seconds;

					if (s > 0)
						return s > 86400 ? 86400 : s;
				}
			}
		}
	}
	return 0;
}
