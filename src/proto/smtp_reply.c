/*
 * smtp_reply.c - parse SMTP replies, single and multi-line, into code, enhanced code and text.
 *
 * Pure: no I/O, no allocation beyond the caller's struct. Never reads past len. Stateless:
 * the caller keeps unparsed bytes and calls again with more; the bounds in smtp_reply.h cap
 * how much it may have to keep.
 */
#include "smtp_reply.h"

#include <string.h>

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

size_t enh_code_prefix(const char *s, size_t len, struct enh_code *out)
{
	size_t n = 0;

	/* The longest code is "5.999.999": 9 bytes. */
	while (n < len && n < 10 && (is_digit((uint8_t)s[n]) || s[n] == '.'))
		n++;
	if (n < len && s[n] != ' ' && s[n] != '\t' && s[n] != '\r' && s[n] != '\n')
		return 0;
	if (!enh_code_parse(s, n, out))
		return 0;
	return n;
}

static void append_text(struct smtp_reply *r, const uint8_t *p, size_t n, bool newline)
{
	size_t room;

	if (newline) {
		if (r->text_len + 1 >= sizeof(r->text)) {
			r->truncated = true;
			return;
		}
		r->text[r->text_len++] = '\n';
	}
	room = sizeof(r->text) - 1 - r->text_len;
	if (n > room) {
		n = room;
		r->truncated = true;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		/* Replies end up in logs and bounces: no control characters survive. */
		r->text[r->text_len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	r->text[r->text_len] = '\0';
}

enum smtp_reply_status smtp_reply_parse(const uint8_t *in, size_t len, struct smtp_reply *r,
					size_t *consumed, enum smtp_reply_error *err)
{
	size_t pos = 0;

	*err = SMTP_REPLY_E_NONE;
	*consumed = 0;
	memset(r, 0, sizeof(*r));

	for (;;) {
		size_t avail = len - pos;
		size_t scan = avail < SMTP_REPLY_LINE_MAX + 2 ? avail : SMTP_REPLY_LINE_MAX + 2;
		const uint8_t *line = in + pos;
		const uint8_t *lf = memchr(line, '\n', scan);
		size_t llen, tlen;
		const uint8_t *text;
		int code;
		uint8_t sep;
		struct enh_code e;
		size_t elen;

		if (lf == NULL) {
			if (avail > SMTP_REPLY_LINE_MAX + 1) {
				*err = SMTP_REPLY_E_LINE_TOO_LONG;
				return SMTP_REPLY_ERROR;
			}
			if (memchr(line, '\0', avail) != NULL) {
				*err = SMTP_REPLY_E_NUL;
				return SMTP_REPLY_ERROR;
			}
			return SMTP_REPLY_MORE;
		}
		llen = (size_t)(lf - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen > SMTP_REPLY_LINE_MAX) {
			*err = SMTP_REPLY_E_LINE_TOO_LONG;
			return SMTP_REPLY_ERROR;
		}
		if (memchr(line, '\0', llen) != NULL) {
			*err = SMTP_REPLY_E_NUL;
			return SMTP_REPLY_ERROR;
		}
		if (llen < 3 || line[0] < '2' || line[0] > '5' || !is_digit(line[1]) ||
		    !is_digit(line[2])) {
			*err = SMTP_REPLY_E_SYNTAX;
			return SMTP_REPLY_ERROR;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		sep = llen > 3 ? line[3] : ' '; /* "250" alone is a complete reply */
		if (sep != ' ' && sep != '-') {
			*err = SMTP_REPLY_E_SYNTAX;
			return SMTP_REPLY_ERROR;
		}
		if (r->nlines == 0)
			r->code = code;
		else if (code != r->code) {
			*err = SMTP_REPLY_E_CODE_MISMATCH;
			return SMTP_REPLY_ERROR;
		}
		text = llen > 4 ? line + 4 : line + llen;
		tlen = llen > 4 ? llen - 4 : 0;
		/* RFC 2034: each line may start with the enhanced code; keep the first one and strip
		 * them all from the text, so the text reads as one message. */
		elen = enh_code_prefix((const char *)text, tlen, &e);
		if (elen > 0) {
			if (r->enh.cls == 0 && r->nlines == 0)
				r->enh = e;
			text += elen;
			tlen -= elen;
			while (tlen > 0 && (*text == ' ' || *text == '\t')) {
				text++;
				tlen--;
			}
		}
		append_text(r, text, tlen, r->nlines > 0);
		r->nlines++;
		pos += (size_t)(lf - line) + 1;
		if (sep == ' ') {
			*consumed = pos;
			return SMTP_REPLY_OK;
		}
		if (r->nlines >= SMTP_REPLY_LINES_MAX) {
			*err = SMTP_REPLY_E_TOO_MANY_LINES;
			return SMTP_REPLY_ERROR;
		}
	}
}

const char *smtp_reply_error_text(enum smtp_reply_error err)
{
	switch (err) {
	case SMTP_REPLY_E_NONE:
		return "no error";
	case SMTP_REPLY_E_LINE_TOO_LONG:
		return "reply line longer than 2048 octets";
	case SMTP_REPLY_E_TOO_MANY_LINES:
		return "reply with more than 128 lines";
	case SMTP_REPLY_E_SYNTAX:
		return "malformed reply line (not a three-digit code followed by space or hyphen)";
	case SMTP_REPLY_E_CODE_MISMATCH:
		return "continuation line with a different reply code";
	case SMTP_REPLY_E_NUL:
		return "NUL byte in reply";
	}
	return "unknown error";
}
