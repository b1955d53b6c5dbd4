/*
 * dsn.c - delivery status notifications (see dsn.h).
 *
 * Checks every input first, one field at a time; then builds the three parts in scratch
 * buffers (so that their encoding is known and the boundary can be checked before anything
 * is written), then assembles the message into the caller's buffer.
 */
#include "dsn.h"

#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "explain.h"
#include "rfc5322.h"

#define WIDTH	     76 /* columns of the human text */
#define FOLD_WIDTH   78 /* where fields of the machine part are folded when they can be */
#define INDENT	     "    "
#define QUOTE_INDENT "        "

/* ---- checking the inputs ----------------------------------------------------------------- */

static bool is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* Length of the valid UTF-8 sequence at p[0..n) with its code point, 0 when invalid. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* 1..max octets of printable ASCII without space or angle brackets: host names, ids. */
static bool valid_token(const char *s, size_t max)
{
	size_t n = is_empty(s) ? 0 : strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '<' || s[i] == '>')
			return false;
	return true;
}

/* An envelope address as tern accepts them: 1..ADDRESS_MAX octets of valid UTF-8 without
 * control characters. */
static bool valid_address(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = is_empty(s) ? 0 : strlen(s);

	if (n == 0 || n > ADDRESS_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_decode(p + i, n - i, &cp);

		if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return false;
		i += k;
	}
	return true;
}

/* RFC 2046 bcharsnospace only: then it needs no care inside the quoted parameter. */
static bool valid_boundary(const char *s)
{
	static const char extra[] = "'()+_,-./:=?";
	size_t n = is_empty(s) ? 0 : strlen(s);

	if (n == 0 || n > DSN_BOUNDARY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (!alnum && strchr(extra, c) == NULL)
			return false;
	}
	return true;
}

static bool valid_time(int64_t t)
{
	return t >= 0 && t <= DSN_TIME_MAX;
}

static bool valid_status(struct enh_code e)
{
	if (e.cls == 0)
		return true;
	if (e.cls != 4 && e.cls != 5)
		return false;
	return e.subject <= 999 && e.detail <= 999;
}

static bool valid_recipient(const struct dsn_recipient *rc)
{
	if (!valid_address(rc->address))
		return false;
	if (rc->action != DSN_FAILED && rc->action != DSN_DELAYED)
		return false;
	if (!valid_status(rc->status))
		return false;
	if (rc->basic != 0 && (rc->basic < 400 || rc->basic > 599))
		return false;
	if (rc->reply == NULL && rc->reply_len != 0)
		return false;
	if (!is_empty(rc->remote_mta) && !valid_token(rc->remote_mta, DSN_HOST_MAX))
		return false;
	if (!valid_time(rc->last_attempt))
		return false;
	if (!valid_time(rc->retry_until))
		return false;
	return true;
}

static bool valid_report(const struct dsn_report *r)
{
	if (!valid_token(r->reporting_mta, DSN_HOST_MAX))
		return false;
	if (!valid_address(r->original_sender)) /* also: never a report to the null sender */
		return false;
	if (!valid_token(r->message_id, DSN_MESSAGE_ID_MAX))
		return false;
	if (!valid_boundary(r->boundary))
		return false;
	if (!is_empty(r->queue_id) && !valid_token(r->queue_id, DSN_HOST_MAX))
		return false;
	if (!valid_time(r->arrival) || !valid_time(r->now))
		return false;
	if (r->tz_offset_minutes <= -24 * 60 || r->tz_offset_minutes >= 24 * 60)
		return false;
	if (r->rcpts == NULL || r->rcpt_count == 0)
		return false;
	if (r->original == NULL && r->original_len != 0)
		return false;
	for (size_t i = 0; i < r->rcpt_count; i++)
		if (!valid_recipient(&r->rcpts[i]))
			return false;
	return true;
}

/* ---- small writers ----------------------------------------------------------------------- */

/* Appends s[0..len) with every run of blanks and control characters (CR, LF, NUL, C1 too)
 * made one space and the ends trimmed, cut at a character after max octets with "..." added.
 * ascii: other non-ASCII characters become '?'; else valid UTF-8 stays and invalid bytes
 * become '?'. */
static bool put_clean(struct buf *b, const char *s, size_t len, size_t max, bool ascii)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t start = b->len, i = 0;
	bool space = false;

	while (i < len) {
		uint32_t cp = p[i];
		size_t n = utf8_decode(p + i, len - i, &cp);
		const char *piece = s + i;
		size_t plen = n;

		if (n != 0 && (cp <= ' ' || (cp >= 0x7f && cp < 0xa0))) {
			space = b->len > start;
			i += n;
			continue;
		}
		if (n == 0 || (ascii && n > 1)) {
			piece = "?";
			plen = 1;
			n = n == 0 ? 1 : n;
		}
		if (b->len - start + (space ? 1 : 0) + plen > max)
			return buf_append(b, "...", 3);
		if (space && !buf_append_byte(b, ' '))
			return false;
		space = false;
		if (!buf_append(b, piece, plen))
			return false;
		i += n;
	}
	return true;
}

/* Appends s[0..len) (clean: no control characters) word-wrapped at WIDTH columns, each line
 * starting with indent and ending with CRLF. A word longer than a line is cut at a
 * character. Columns are characters, so a line stays far below DSN_LINE_MAX octets. */
static bool put_wrapped(struct buf *b, const char *indent, const char *s, size_t len)
{
	size_t width = WIDTH - strlen(indent), pos = 0;

	for (;;) {
		size_t i, cols = 0, brk, end;

		while (pos < len && s[pos] == ' ')
			pos++;
		if (pos == len)
			return true;
		i = brk = pos;
		while (i < len && cols < width) {
			if (s[i] == ' ')
				brk = i;
			i++;
			while (i < len && ((uint8_t)s[i] & 0xC0) == 0x80)
				i++; /* the rest of a UTF-8 character */
			cols++;
		}
		if (i < len && s[i] != ' ' && brk > pos)
			i = brk; /* the line would end inside a word: end it before the word */
		end = i;
		while (end > pos && s[end - 1] == ' ')
			end--;
		if (!buf_append_str(b, indent) || !buf_append(b, s + pos, end - pos) ||
		    !buf_append(b, "\r\n", 2))
			return false;
		pos = i;
	}
}

/* Appends "name:" and the value v[0..len) (clean ASCII, single spaces) as a field folded at
 * spaces (RFC 5322 2.2.3) into lines of about FOLD_WIDTH octets. A word too long for any
 * line is broken by force at DSN_LINE_MAX, the one change unfolding does not undo. */
static bool put_folded(struct buf *b, const char *name, const char *v, size_t len)
{
	size_t col = strlen(name) + 1, first = col, pos = 0;

	if (!buf_printf(b, "%s:", name))
		return false;
	while (pos < len) {
		/* the next word with the space before it: " word" */
		size_t end = pos + 1;

		while (end < len && v[end] != ' ')
			end++;
		if (col > first && col + (end - pos) + 1 > FOLD_WIDTH) {
			if (!buf_append(b, "\r\n", 2))
				return false;
			col = 0; /* the word's space begins the continuation line */
		}
		if (pos == 0 && !buf_append_byte(b, ' ')) /* the space after the colon */
			return false;
		col += pos == 0 ? 1 : 0;
		while (col + (end - pos) > DSN_LINE_MAX) {
			size_t n = DSN_LINE_MAX - col;

			if (!buf_append(b, v + pos, n) || !buf_append(b, "\r\n ", 3))
				return false;
			pos += n;
			col = 1;
		}
		if (!buf_append(b, v + pos, end - pos))
			return false;
		col += end - pos;
		pos = end;
	}
	return buf_append(b, "\r\n", 2);
}

/* ---- the reply of one recipient ---------------------------------------------------------- */

struct ctx {
	const struct dsn_report *r;
	struct explanation *ex;
	struct buf clean; /* a reply, cleaned */
	struct buf reply; /* a reply with its codes: "550 5.1.1 text" */
	size_t words;	  /* where the reply's words start in clean, after its codes */
	struct buf para;  /* a paragraph before wrapping */
};

static struct enh_code status_of(const struct dsn_recipient *rc)
{
	struct enh_code e = rc->status;

	if (e.cls != 0)
		return e;
	if (rc->basic != 0)
		e.cls = (uint8_t)(rc->basic / 100);
	else
		e.cls = rc->action == DSN_FAILED ? 5 : 4;
	e.subject = 0;
	e.detail = 0;
	return e;
}

static bool starts_with_word(const uint8_t *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(s, word, n) == 0 && (len == n || s[n] == ' ' || s[n] == '-');
}

/* The offset after a code of n octets at t[at..) and the separator after it. */
static size_t skip_code(size_t len, size_t at, size_t n)
{
	at += n;
	return at < len ? at + 1 : at;
}

/* c->reply = the reply as the server gave it, codes first ("550 5.1.1 User unknown"), cleaned
 * (ascii: for the machine part). A reply text that already starts with its codes is kept;
 * c->words tells where its words start, for explain_reply(). A local failure (basic 0) is its
 * description alone. */
static bool make_reply(struct ctx *c, const struct dsn_recipient *rc, bool ascii)
{
	char basic[8], enh[16];
	const uint8_t *t;
	size_t n;

	buf_reset(&c->clean);
	buf_reset(&c->reply);
	if (!put_clean(&c->clean, rc->reply, rc->reply_len, DSN_REPLY_MAX, ascii))
		return false;
	t = c->clean.data;
	n = c->clean.len;
	c->words = 0;
	if (rc->basic != 0) {
		enh_code_format(rc->status, enh, sizeof(enh));
		basic[0] = (char)('0' + rc->basic / 100);
		basic[1] = (char)('0' + rc->basic / 10 % 10);
		basic[2] = (char)('0' + rc->basic % 10);
		basic[3] = '\0';
		if (starts_with_word(t, n, basic)) {
			c->words = skip_code(n, 0, strlen(basic));
			if (rc->status.cls != 0 &&
			    starts_with_word(t + c->words, n - c->words, enh))
				c->words = skip_code(n, c->words, strlen(enh));
			return buf_append(&c->reply, t, n);
		}
		if (!buf_append_str(&c->reply, basic))
			return false;
		if (rc->status.cls != 0 && starts_with_word(t, n, enh))
			c->words = skip_code(n, 0, strlen(enh));
		else if (rc->status.cls != 0 &&
			 (!buf_append_byte(&c->reply, ' ') || !buf_append_str(&c->reply, enh)))
			return false;
		if (n > 0 && !buf_append_byte(&c->reply, ' '))
			return false;
	}
	return n == 0 || buf_append(&c->reply, t, n);
}

/* ---- part 1: for people ------------------------------------------------------------------ */

static size_t count_action(const struct dsn_report *r, enum dsn_action a)
{
	size_t n = 0;

	for (size_t i = 0; i < r->rcpt_count; i++)
		n += r->rcpts[i].action == a;
	return n;
}

/* Wraps the paragraph built in c->para, then a blank line when blank. */
static bool flush_para(struct ctx *c, struct buf *p, const char *indent, bool blank)
{
	if (!put_wrapped(p, indent, (const char *)c->para.data, c->para.len))
		return false;
	buf_reset(&c->para);
	return !blank || buf_append(p, "\r\n", 2);
}

static bool para_date(struct ctx *c, const char *before, int64_t t, const char *after)
{
	return buf_append_str(&c->para, before) &&
	       rfc5322_put_date(&c->para, t, c->r->tz_offset_minutes) &&
	       buf_append_str(&c->para, after);
}

/* "LEAD the recipient below." or "LEAD the 3 recipients below." */
static bool para_recipients(struct buf *b, const char *lead, size_t n)
{
	if (n == 1)
		return buf_printf(b, "%s the recipient below.", lead);
	return buf_printf(b, "%s the %zu recipients below.", lead, n);
}

static bool text_intro(struct ctx *c, struct buf *p)
{
	const struct dsn_report *r = c->r;
	size_t failed = count_action(r, DSN_FAILED), delayed = count_action(r, DSN_DELAYED);

	if (!buf_printf(&c->para, "This is the mail system at host %s.", r->reporting_mta) ||
	    !flush_para(c, p, "", true))
		return false;
	if (failed > 0 &&
	    (!para_recipients(&c->para, "Your message could not be delivered to", failed) ||
	     !buf_append_str(&c->para, " Delivery has been given up and will not be tried "
				       "again. For each recipient, here is what happened and "
				       "what to do.") ||
	     !flush_para(c, p, "", true)))
		return false;
	if (delayed > 0 &&
	    (!para_recipients(&c->para, "Your message has not been delivered yet to", delayed) ||
	     !buf_append_str(&c->para, " Delivery is still being tried: you do not need to "
				       "send the message again. You will be told if it finally "
				       "fails.") ||
	     !flush_para(c, p, "", true)))
		return false;
	if (is_empty(r->queue_id) && r->arrival == 0)
		return true;
	if (!buf_append_str(&c->para, "Your message"))
		return false;
	if (!is_empty(r->queue_id) && !buf_printf(&c->para, ": queue id %s", r->queue_id))
		return false;
	if (r->arrival != 0 &&
	    !para_date(c, is_empty(r->queue_id) ? " was received " : ", received ", r->arrival, ""))
		return false;
	return buf_append_byte(&c->para, '.') && flush_para(c, p, "", true);
}

/* "Title. Meaning" with a period after the title unless it has one. */
static bool para_sentences(struct buf *b, const char *title, const char *meaning)
{
	size_t n = strlen(title);

	if (!buf_append_str(b, title))
		return false;
	if ((n == 0 || title[n - 1] != '.') && !buf_append_byte(b, '.'))
		return false;
	return meaning == NULL || (buf_append_byte(b, ' ') && buf_append_str(b, meaning));
}

static bool text_recipient(struct ctx *c, struct buf *p, const struct dsn_recipient *rc)
{
	struct enh_code status = status_of(rc), asked = rc->status;
	const struct status_info *fallback;
	const char *title, *meaning, *action;
	bool exact, remote = !is_empty(rc->remote_mta);
	char code[16];

	if (!make_reply(c, rc, false))
		return false;
	/* With no code at all, the class the action implies is all there is to explain by. */
	if (asked.cls == 0 && rc->basic == 0)
		asked = status;
	explain_reply(rc->basic, asked, buf_cstr(&c->clean) + c->words, c->clean.len - c->words,
		      c->ex);
	fallback = status_enhanced_fallback(status, &exact);
	title = c->ex->title != NULL ? c->ex->title : fallback->title;
	meaning = c->ex->meaning != NULL ? c->ex->meaning : fallback->meaning;
	action = c->ex->action != NULL ? c->ex->action : fallback->action;

	if (!buf_printf(&c->para, "<%s>: %s (status %s)", rc->address,
			rc->action == DSN_FAILED ? "delivery failed" : "delivery delayed",
			enh_code_format(status, code, sizeof(code))) ||
	    !flush_para(c, p, "", false))
		return false;
	if (!buf_append_str(&c->para, "What happened: ") ||
	    !para_sentences(&c->para, title, meaning) || !flush_para(c, p, INDENT, false))
		return false;
	if (c->reply.len > 0) {
		bool ok;

		if (rc->basic != 0 && remote)
			ok = buf_printf(&c->para, "The server %s answered:", rc->remote_mta);
		else if (rc->basic != 0)
			ok = buf_append_str(&c->para, "The receiving server answered:");
		else if (remote)
			ok = buf_printf(&c->para,
					"The attempt to deliver to %s failed:", rc->remote_mta);
		else
			ok = buf_append_str(&c->para, "The attempt to deliver failed:");
		if (!ok || !flush_para(c, p, INDENT, false) ||
		    !put_wrapped(p, QUOTE_INDENT, (const char *)c->reply.data, c->reply.len))
			return false;
	}
	if (!buf_printf(&c->para, "What to do: %s", action) || !flush_para(c, p, INDENT, false))
		return false;
	if (rc->last_attempt != 0 && (!para_date(c, "Last attempt: ", rc->last_attempt, ".") ||
				      !flush_para(c, p, INDENT, false)))
		return false;
	if (rc->action == DSN_DELAYED) {
		bool ok = rc->retry_until != 0
				  ? para_date(c, "Delivery will be tried until ", rc->retry_until,
					      ". If it has not succeeded by then, the message "
					      "will be returned to you.")
				  : buf_append_str(&c->para, "Delivery will be tried again.");

		if (!ok || !flush_para(c, p, INDENT, false))
			return false;
	}
	return buf_append(p, "\r\n", 2);
}

static bool build_text(struct ctx *c, struct buf *p)
{
	const struct dsn_report *r = c->r;

	if (!text_intro(c, p))
		return false;
	for (size_t i = 0; i < r->rcpt_count; i++)
		if (!text_recipient(c, p, &r->rcpts[i]))
			return false;
	return buf_append_str(p, "The header section of your message is attached.\r\n");
}

/* ---- part 2: for programs ---------------------------------------------------------------- */

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] >= 0x80)
			return false;
	return true;
}

/* "Final-Recipient: rfc822; addr", or for a non-ASCII address the utf-8-addr-xtext form of
 * RFC 6533 3: every character outside QCHAR (controls, space, '+', '=', '\', non-ASCII) as
 * \x{HEX}. Refused when that would not fit a line. */
static bool put_final_recipient(struct buf *p, const char *addr)
{
	size_t n = strlen(addr), start = p->len;

	if (is_ascii(addr, n))
		return buf_printf(p, "Final-Recipient: rfc822; %s\r\n", addr);
	if (!buf_append_str(p, "Final-Recipient: utf-8; "))
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t k = utf8_decode((const uint8_t *)addr + i, n - i, &cp);
		bool qchar = cp > ' ' && cp < 0x7f && cp != '+' && cp != '=' && cp != '\\';

		if (k == 0)
			return false; /* checked before: cannot happen */
		if (qchar ? !buf_append_byte(p, (uint8_t)cp)
			  : !buf_printf(p, "\\x{%02X}", (unsigned)cp))
			return false;
		i += k;
	}
	if (p->len - start > DSN_LINE_MAX)
		return false;
	return buf_append(p, "\r\n", 2);
}

static bool put_date_field(struct ctx *c, struct buf *p, const char *name, int64_t t)
{
	return buf_printf(p, "%s: ", name) && rfc5322_put_date(p, t, c->r->tz_offset_minutes) &&
	       buf_append(p, "\r\n", 2);
}

static bool status_recipient(struct ctx *c, struct buf *p, const struct dsn_recipient *rc)
{
	char code[16];

	if (!buf_append(p, "\r\n", 2) || !put_final_recipient(p, rc->address))
		return false;
	if (!buf_printf(p, "Action: %s\r\nStatus: %s\r\n",
			rc->action == DSN_FAILED ? "failed" : "delayed",
			enh_code_format(status_of(rc), code, sizeof(code))))
		return false;
	if (!is_empty(rc->remote_mta) && !buf_printf(p, "Remote-MTA: dns; %s\r\n", rc->remote_mta))
		return false;
	if (rc->basic != 0) {
		if (!make_reply(c, rc, true))
			return false;
		buf_reset(&c->para);
		if (!buf_append_str(&c->para, "smtp; ") ||
		    !buf_append(&c->para, c->reply.data, c->reply.len) ||
		    !put_folded(p, "Diagnostic-Code", (const char *)c->para.data, c->para.len))
			return false;
		buf_reset(&c->para);
	}
	if (rc->last_attempt != 0 && !put_date_field(c, p, "Last-Attempt-Date", rc->last_attempt))
		return false;
	if (rc->action == DSN_DELAYED && rc->retry_until != 0 &&
	    !put_date_field(c, p, "Will-Retry-Until", rc->retry_until))
		return false;
	return true;
}

static bool build_status(struct ctx *c, struct buf *p)
{
	const struct dsn_report *r = c->r;

	if (!buf_printf(p, "Reporting-MTA: dns; %s\r\n", r->reporting_mta))
		return false;
	if (r->arrival != 0 && !put_date_field(c, p, "Arrival-Date", r->arrival))
		return false;
	for (size_t i = 0; i < r->rcpt_count; i++)
		if (!status_recipient(c, p, &r->rcpts[i]))
			return false;
	return true;
}

/* ---- part 3: the original's header section ----------------------------------------------- */

/* One line of the original (no line end in it), NUL made a space, folded by force at
 * DSN_LINE_MAX octets (at a UTF-8 character when there is one near), then CRLF. */
static bool put_header_line(struct buf *p, const uint8_t *s, size_t len)
{
	size_t room = DSN_LINE_MAX;

	while (len > 0) {
		size_t n = len;

		if (n > room) {
			n = room;
			for (size_t back = 0; back < 3 && n > 1 && (s[n] & 0xC0) == 0x80; back++)
				n--; /* do not split a character */
		}
		for (size_t i = 0; i < n; i++)
			if (!buf_append_byte(p, s[i] == '\0' ? ' ' : s[i]))
				return false;
		s += n;
		len -= n;
		if (len > 0 && !buf_append(p, "\r\n ", 3))
			return false;
		room = DSN_LINE_MAX - 1;
	}
	return buf_append(p, "\r\n", 2);
}

/* Lines end at CRLF, LF or a lone CR; the first empty line ends the header section. Without
 * one, the whole message is headers, up to DSN_HEADERS_MAX octets (a line the cap cuts is
 * left out). */
static bool build_headers(const struct dsn_report *r, struct buf *p)
{
	const uint8_t *m = r->original;
	size_t len = r->original_len, limit = len < DSN_HEADERS_MAX ? len : DSN_HEADERS_MAX;
	size_t pos = 0;

	while (pos < limit) {
		size_t end = pos, next;

		while (end < limit && m[end] != '\r' && m[end] != '\n')
			end++;
		if (end == limit && limit < len)
			break;
		if (end == pos)
			break; /* the empty line: the body follows */
		if (end + 1 < len && m[end] == '\r' && m[end + 1] == '\n')
			next = end + 2;
		else
			next = end < len ? end + 1 : end;
		if (!put_header_line(p, m + pos, end - pos))
			return false;
		pos = next;
	}
	return true;
}

/* ---- the message ------------------------------------------------------------------------- */

/* Does a line of s start with "--boundary"? */
static bool holds_delimiter(const struct buf *s, const char *boundary)
{
	size_t n = strlen(boundary);

	for (size_t i = 0; i < s->len;) {
		const uint8_t *lf = memchr(s->data + i, '\n', s->len - i);
		size_t next = lf != NULL ? (size_t)(lf - s->data) + 1 : s->len;

		if (next - i >= n + 2 && s->data[i] == '-' && s->data[i + 1] == '-' &&
		    memcmp(s->data + i + 2, boundary, n) == 0)
			return true;
		i = next;
	}
	return false;
}

static bool is_7bit(const struct buf *s)
{
	return is_ascii((const char *)s->data, s->len);
}

static bool put_part(struct buf *out, const char *boundary, const char *headers,
		     const struct buf *content)
{
	return buf_printf(out, "\r\n--%s\r\n%s\r\n", boundary, headers) &&
	       buf_append(out, content->data, content->len);
}

static bool assemble(const struct dsn_report *r, struct buf *out, const struct buf *text,
		     const struct buf *status, const struct buf *headers)
{
	bool text8 = !is_7bit(text), headers8 = !is_7bit(headers);
	bool failed = count_action(r, DSN_FAILED) > 0;

	if (!buf_append_str(out, "Date: ") ||
	    !rfc5322_put_date(out, r->now, r->tz_offset_minutes) ||
	    !buf_printf(out,
			"\r\nFrom: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
			"To: <%s>\r\n"
			"Subject: %s\r\n"
			"Message-ID: <%s>\r\n"
			"Auto-Submitted: auto-replied\r\n"
			"MIME-Version: 1.0\r\n"
			"Content-Type: multipart/report; report-type=delivery-status;\r\n"
			"\tboundary=\"%s\"\r\n"
			"%s"
			"\r\n"
			"This is a MIME-encapsulated message.\r\n",
			r->reporting_mta, r->original_sender,
			failed ? "Undelivered Mail Returned to Sender"
			       : "Delayed Mail (still being retried)",
			r->message_id, r->boundary,
			text8 || headers8 ? "Content-Transfer-Encoding: 8bit\r\n" : ""))
		return false;
	if (!put_part(out, r->boundary,
		      text8 ? "Content-Description: Notification\r\n"
			      "Content-Type: text/plain; charset=utf-8\r\n"
			      "Content-Transfer-Encoding: 8bit\r\n"
			    : "Content-Description: Notification\r\n"
			      "Content-Type: text/plain; charset=utf-8\r\n",
		      text))
		return false;
	if (!put_part(out, r->boundary,
		      "Content-Description: Delivery report\r\n"
		      "Content-Type: message/delivery-status\r\n",
		      status))
		return false;
	if (!put_part(out, r->boundary,
		      headers8 ? "Content-Description: Message headers\r\n"
				 "Content-Type: text/rfc822-headers\r\n"
				 "Content-Transfer-Encoding: 8bit\r\n"
			       : "Content-Description: Message headers\r\n"
				 "Content-Type: text/rfc822-headers\r\n",
		      headers))
		return false;
	return buf_printf(out, "\r\n--%s--\r\n", r->boundary);
}

bool dsn_build(const struct dsn_report *r, struct buf *out)
{
	struct ctx c;
	struct buf text, status, headers;
	size_t start;
	bool ok = false;

	if (r == NULL || out == NULL || !valid_report(r))
		return false;
	start = out->len;
	memset(&c, 0, sizeof(c));
	c.r = r;
	buf_init(&c.clean, 0);
	buf_init(&c.reply, 0);
	buf_init(&c.para, 0);
	buf_init(&text, 0);
	buf_init(&status, 0);
	buf_init(&headers, 0);
	if ((c.ex = malloc(sizeof(*c.ex))) == NULL)
		goto done;
	if (!build_text(&c, &text) || !build_status(&c, &status) || !build_headers(r, &headers))
		goto done;
	if (holds_delimiter(&text, r->boundary) || holds_delimiter(&status, r->boundary) ||
	    holds_delimiter(&headers, r->boundary))
		goto done;
	ok = assemble(r, out, &text, &status, &headers);
done:
	if (!ok) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	free(c.ex);
	buf_free(&c.clean);
	buf_free(&c.reply);
	buf_free(&c.para);
	buf_free(&text);
	buf_free(&status);
	buf_free(&headers);
	return ok;
}
