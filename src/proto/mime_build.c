/*
 * mime_build.c - the MIME message builder (see mime_build.h).
 *
 * Every header input goes through one check (check_line) before anything of it is written, so
 * a line break can never reach the output as a line break. Header fields are written by one
 * folding writer (struct fold) that knows its column; bodies by three encoders (7bit/8bit
 * copy, quoted-printable, base64), each of which emits CRLF line ends and short lines only.
 */
#include "mime_build.h"

#include <string.h>
#include <strings.h>

#include "../lib/base64.h"
#include "address.h"
#include "rfc5322.h"

#define BOUNDARY_PREFIX "=_tern_"

/* ---- input checks -------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at p (valid, shortest form, no surrogates), 0 when invalid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(p + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* A header input: one line of UTF-8 without control characters (a tab is fine). */
static int check_line(const char *what, const char *s, struct buf *err)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			buf_printf(err,
				   "%s holds a line break (CR or LF); a header field is one line: "
				   "remove the line break",
				   what);
			return -1;
		}
		if ((p[i] < 32 && p[i] != '\t') || p[i] == 127) {
			buf_printf(err, "%s holds a control character (0x%02x); remove it", what,
				   p[i]);
			return -1;
		}
	}
	if (!utf8_valid(p, n)) {
		buf_printf(err, "%s is not valid UTF-8; write it in UTF-8", what);
		return -1;
	}
	return 0;
}

static bool is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* ---- the folding header writer -------------------------------------------------------------- */

struct fold {
	struct buf *b;
	size_t col; /* of the next character on the current line */
	bool bare;  /* the field's first line holds only "Name:" yet: never fold there */
};

static bool fold_start(struct fold *f, struct buf *b, const char *name)
{
	f->b = b;
	f->col = strlen(name) + 1;
	f->bare = true;
	return buf_append_str(b, name) && buf_append_byte(b, ':');
}

/* Appends blank (the whitespace before the word, at least one character) and word, folding
 * before the blank when the word would pass the fold column on this line. A line holds at
 * least one word, however long. */
static bool fold_word(struct fold *f, const char *blank, size_t blank_len, const char *word,
		      size_t n)
{
	if (!f->bare && f->col > 1 && f->col + blank_len + n > MIME_FOLD) {
		if (!buf_append(f->b, "\r\n", 2))
			return false;
		f->col = 0;
	}
	f->bare = false;
	f->col += blank_len + n;
	return buf_append(f->b, blank, blank_len) && buf_append(f->b, word, n);
}

static bool fold_end(struct fold *f)
{
	return buf_append(f->b, "\r\n", 2);
}

/* UTF-8 text s[0..n) as B encoded-words (RFC 2047 4.1), each preceded by a space, each as long
 * as fits the line and MIME_WORD_MAX, cut between characters. Adjacent encoded-words are
 * joined without the space when decoded, so the text comes back exactly. */
static bool fold_encoded(struct fold *f, const char *s, size_t n)
{
	static const size_t frame = 12; /* "=?utf-8?b?" and "?=" */
	const uint8_t *p = (const uint8_t *)s;
	char enc[BASE64_ENCODED_SIZE(64)];

	while (n > 0) {
		size_t room = f->col + 1 + frame < MIME_FOLD ? MIME_FOLD - f->col - 1 - frame : 0;
		size_t chars, take = 0, len;

		if (room > MIME_WORD_MAX - frame)
			room = MIME_WORD_MAX - frame;
		chars = room / 4 * 4;
		if (chars < 8 && f->col > 1 && !f->bare) { /* too little room here: fold first */
			if (!buf_append(f->b, "\r\n", 2))
				return false;
			f->col = 0;
			continue;
		}
		if (chars < 8)
			chars = 8;
		/* whole characters only, as many as fit chars/4*3 octets */
		while (take < n) {
			size_t k = utf8_len(p + take, n - take);
			if (k == 0)
				k = 1; /* checked before; never split what cannot be decoded anyway */
			if (take + k > chars / 4 * 3)
				break;
			take += k;
		}
		if (take == 0) /* one character longer than the room: chars >= 8 holds 6 octets */
			take = 1;
		len = base64_encode(p, take, enc);
		if (!buf_append_str(f->b, " =?utf-8?b?") || !buf_append(f->b, enc, len) ||
		    !buf_append(f->b, "?=", 2))
			return false;
		f->col += 1 + frame + len;
		f->bare = false;
		p += take;
		n -= take;
		if (n > 0) {
			if (!buf_append(f->b, "\r\n", 2))
				return false;
			f->col = 0;
		}
	}
	return true;
}

/* Does unstructured text need encoded-words: non-ASCII, something that would be read as an
 * encoded-word, or a word too long to ever fit a line? */
static bool needs_encoding(const char *s)
{
	size_t run = 0;

	if (strstr(s, "=?") != NULL)
		return true;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return true;
		run = (*s == ' ' || *s == '\t') ? 0 : run + 1;
		if (run > MIME_LINE_MAX - 100)
			return true;
	}
	return false;
}

/* Unstructured text: words and the blanks between them kept; leading and trailing blanks
 * dropped. */
static bool fold_text(struct fold *f, const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (needs_encoding(s))
		return fold_encoded(f, s, n);
	for (size_t i = 0; i < n;) {
		size_t blank = i, word;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		word = i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		if (blank == 0) { /* the first word follows the colon with one space */
			if (!fold_word(f, " ", 1, s, i))
				return false;
			continue;
		}
		if (!fold_word(f, s + blank, word - blank, s + word, i - word))
			return false;
	}
	return true;
}

/* A display name as a phrase: atoms as they are, other ASCII as a quoted string, anything
 * else as encoded-words. */
static bool fold_phrase(struct fold *f, const char *name, struct buf *tmp)
{
	bool atoms = true;

	if (!is_ascii(name) || strstr(name, "=?") != NULL)
		return fold_encoded(f, name, strlen(name));
	for (const char *c = name; *c != '\0'; c++)
		if (*c != ' ' && !is_atext((unsigned char)*c))
			atoms = false;
	if (atoms)
		return fold_text(f, name);
	buf_reset(tmp);
	if (!buf_append_byte(tmp, '"'))
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if ((*c == '"' || *c == '\\')
			    ? !buf_append_byte(tmp, '\\') || !buf_append_byte(tmp, (uint8_t)*c)
			    : !buf_append_byte(tmp, (uint8_t)*c))
			return false;
	if (!buf_append_byte(tmp, '"'))
		return false;
	if (tmp->len > MIME_FOLD / 2) /* too long to stand on a line: encoded-words fold */
		return fold_encoded(f, name, strlen(name));
	return fold_word(f, " ", 1, (const char *)tmp->data, tmp->len);
}

static int check_mailbox(const struct mime_mailbox *mb, const char *field, struct buf *err)
{
	struct address a;
	struct buf what = BUF_INIT;
	int rc = -1;

	if (mb->addr == NULL ||
	    address_parse(mb->addr, strlen(mb->addr), false, &a) != ADDRESS_OK) {
		buf_printf(err,
			   "the %s address '%s' is not a valid ASCII mail address; write it as "
			   "local@domain",
			   field, mb->addr != NULL ? mb->addr : "");
		return -1;
	}
	if (mb->name == NULL)
		return 0;
	if (buf_printf(&what, "the display name of the %s address %s", field, mb->addr))
		rc = check_line(buf_cstr(&what), mb->name, err);
	else
		buf_printf(err, "out of memory");
	buf_free(&what);
	return rc;
}

int mime_put_mailboxes(struct buf *out, const char *name, const struct mime_mailbox *v, size_t n,
		       struct buf *err)
{
	struct buf tmp = BUF_INIT, word = BUF_INIT;
	struct fold f;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (check_mailbox(&v[i], name, err) < 0)
			return -1;
	if (!fold_start(&f, out, name))
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (v[i].name != NULL && v[i].name[0] != '\0' && !fold_phrase(&f, v[i].name, &tmp))
			goto nomem;
		buf_reset(&word);
		if (!buf_printf(&word,
				v[i].name != NULL && v[i].name[0] != '\0' ? "<%s>%s" : "%s%s",
				v[i].addr, i + 1 < n ? "," : ""))
			goto nomem;
		if (!fold_word(&f, " ", 1, (const char *)word.data, word.len))
			goto nomem;
	}
	if (!fold_end(&f))
		goto nomem;
	rc = 0;
	goto done;
nomem:
	buf_printf(err, "out of memory while writing the %s field", name);
done:
	buf_free(&tmp);
	buf_free(&word);
	return rc;
}

/* ftext of RFC 5322 3.6.8: printable ASCII but the colon. */
static int check_field_name(const char *name, struct buf *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > MIME_FIELD_NAME_MAX) {
		buf_printf(err, "a header field name must be 1 to %d characters long",
			   MIME_FIELD_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 32 || c >= 127 || c == ':') {
			buf_printf(err,
				   "the header field name '%.*s' may hold only printable ASCII "
				   "without spaces or colons; write it like X-Campaign",
				   (int)(c < 32 || c >= 127 ? i : n), name);
			return -1;
		}
	}
	return 0;
}

int mime_put_text_field(struct buf *out, const char *name, const char *value, struct buf *err)
{
	struct buf what = BUF_INIT;
	struct fold f;
	int rc = -1;

	if (check_field_name(name, err) < 0)
		return -1;
	if (!buf_printf(&what, "the value of the %s field", name))
		goto nomem;
	if (check_line(buf_cstr(&what), value, err) < 0)
		goto done;
	if (!fold_start(&f, out, name) || !fold_text(&f, value) || !fold_end(&f))
		goto nomem;
	rc = 0;
	goto done;
nomem:
	buf_printf(err, "out of memory while writing the %s field", name);
done:
	buf_free(&what);
	return rc;
}

/* ---- content types -------------------------------------------------------------------------- */

static const struct {
	const char *ext, *type;
} types[] = {
	{ "txt", "text/plain" },
	{ "text", "text/plain" },
	{ "log", "text/plain" },
	{ "csv", "text/csv" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "css", "text/css" },
	{ "md", "text/markdown" },
	{ "ics", "text/calendar" },
	{ "xml", "application/xml" },
	{ "json", "application/json" },
	{ "js", "text/javascript" },
	{ "pdf", "application/pdf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "7z", "application/x-7z-compressed" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "rtf", "application/rtf" },
	{ "pem", "application/x-pem-file" },
};

const char *mime_type_for(const char *filename)
{
	const char *dot = strrchr(filename, '.');

	if (dot == NULL || dot == filename || dot[1] == '\0')
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* "type/subtype", both RFC 2045 tokens. */
static bool content_type_ok(const char *t)
{
	size_t slash = 0, n = strlen(t);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '/' && slash == 0 && i > 0)
			slash = i;
		else if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return slash > 0 && slash + 1 < n;
}

/* ---- parameters ----------------------------------------------------------------------------- */

static bool attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* Is enc[i] the start of a character: a literal, or "%XX" that is no UTF-8 continuation? */
static bool char_start(const uint8_t *enc, size_t i)
{
	return enc[i] != '%' ||
	       !(enc[i + 1] == '8' || enc[i + 1] == '9' || enc[i + 1] == 'A' || enc[i + 1] == 'B');
}

/* Appends "; name=value" to a folded field: a quoted string when the value is short printable
 * ASCII, else RFC 2231 "name*=utf-8''%XX..." or, when that does not fit a line, continuations
 * "name*0*=utf-8''...; name*1*=..." each on its own line, cut between characters. */
static bool put_param(struct fold *f, const char *name, const char *value, struct buf *tmp)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *v = (const uint8_t *)value;
	size_t n = strlen(value), i = 0, start, name_len = strlen(name);
	struct buf enc = BUF_INIT;
	bool plain = n <= 60, ok = false;
	unsigned part = 0;

	for (size_t k = 0; k < n && plain; k++)
		plain = v[k] >= 32 && v[k] < 127;
	if (!buf_append_byte(f->b, ';'))
		return false;
	f->col++;
	buf_reset(tmp);
	if (plain) {
		if (!buf_printf(tmp, "%s=\"", name))
			return false;
		for (size_t k = 0; k < n; k++)
			if (((v[k] == '"' || v[k] == '\\') && !buf_append_byte(tmp, '\\')) ||
			    !buf_append_byte(tmp, v[k]))
				return false;
		return buf_append_byte(tmp, '"') &&
		       fold_word(f, " ", 1, (const char *)tmp->data, tmp->len);
	}
	for (size_t k = 0; k < n; k++)
		if (attr_char(v[k]) ? !buf_append_byte(&enc, v[k])
				    : !(buf_append_byte(&enc, '%') &&
					buf_append_byte(&enc, (uint8_t)hex[v[k] >> 4]) &&
					buf_append_byte(&enc, (uint8_t)hex[v[k] & 15])))
			goto done;
	if (!buf_append_byte(&enc, '\0')) /* char_start may look two past a '%' */
		goto done;
	enc.len--;
	if (name_len + enc.len + 12 < MIME_FOLD) {
		ok = buf_printf(tmp, "%s*=utf-8''%s", name, (const char *)enc.data) &&
		     fold_word(f, " ", 1, (const char *)tmp->data, tmp->len);
		goto done;
	}
	while (i < enc.len) {
		buf_reset(tmp);
		if (!buf_printf(tmp, "%s*%u*=%s", name, part, part == 0 ? "utf-8''" : ""))
			goto done;
		start = i;
		/* whole characters while they fit the line, and at least one */
		for (;;) {
			size_t next = i + (enc.data[i] == '%' ? 3 : 1);
			while (next < enc.len && !char_start(enc.data, next))
				next += enc.data[next] == '%' ? 3 : 1;
			if (i > start && tmp->len + (next - start) > MIME_FOLD - 6)
				break;
			i = next;
			if (i >= enc.len)
				break;
		}
		if (!buf_append(tmp, enc.data + start, i - start) ||
		    (i < enc.len && !buf_append_byte(tmp, ';')))
			goto done;
		if (!buf_append(f->b, "\r\n", 2))
			goto done;
		f->col = 0;
		if (!fold_word(f, " ", 1, (const char *)tmp->data, tmp->len))
			goto done;
		part++;
	}
	ok = true;
done:
	buf_free(&enc);
	return ok;
}

/* ---- bodies --------------------------------------------------------------------------------- */

enum cte { CTE_7BIT, CTE_8BIT, CTE_QP };

static const char *const cte_names[] = { "7bit", "8bit", "quoted-printable" };

/* Length of the line at p[0..n) and of its line end (CRLF, LF or a lone CR; 0 at the end). */
static size_t line_at(const uint8_t *p, size_t n, size_t *eol)
{
	size_t i = 0;

	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	*eol = i == n ? 0 : (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
	return i;
}

static int choose_cte(const uint8_t *p, size_t n, bool allow_8bit, const char *what, enum cte *out,
		      struct buf *err)
{
	bool eight = false, control = false;
	size_t longest = 0;

	if (!utf8_valid(p, n)) {
		buf_printf(err,
			   "%s is not valid UTF-8 text; convert it to UTF-8 (iconv -t UTF-8) or "
			   "send it as an attachment",
			   what);
		return -1;
	}
	for (size_t i = 0; i < n;) {
		size_t eol, len = line_at(p + i, n - i, &eol);
		for (size_t k = 0; k < len; k++) {
			eight |= p[i + k] >= 0x80;
			control |= p[i + k] == 0 || p[i + k] == 127;
		}
		if (len > longest)
			longest = len;
		i += len + eol;
	}
	if (control || longest > MIME_LINE_MAX || memmem(p, n, BOUNDARY_PREFIX, 7) != NULL)
		*out = CTE_QP;
	else if (eight)
		*out = allow_8bit ? CTE_8BIT : CTE_QP;
	else
		*out = CTE_7BIT;
	return 0;
}

/* The text with every line end made CRLF, and a final CRLF. */
static bool put_lines(struct buf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t eol, len = line_at(p + i, n - i, &eol);
		if (!buf_append(b, p + i, len) || !buf_append(b, "\r\n", 2))
			return false;
		i += len + eol;
	}
	return true;
}

/* Quoted-printable (RFC 2045 6.7): lines of at most 76 characters, soft breaks "=" before
 * that, blanks at the end of a line and everything but printable ASCII as =XX. */
static bool put_qp(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n;) {
		size_t eol, len = line_at(p + i, n - i, &eol), col = 0;
		for (size_t k = 0; k < len; k++) {
			uint8_t c = p[i + k];
			bool last = k + 1 == len;
			bool lit = (c >= 33 && c <= 126 && c != '=') ||
				   ((c == ' ' || c == '\t') && !last);
			size_t w = lit ? 1 : 3;
			/* room for "=" at the end of a line that goes on */
			if (col + w > (last ? 76 : 75)) {
				if (!buf_append(b, "=\r\n", 3))
					return false;
				col = 0;
			}
			if (lit ? !buf_append_byte(b, c)
				: !(buf_append_byte(b, '=') &&
				    buf_append_byte(b, (uint8_t)hex[c >> 4]) &&
				    buf_append_byte(b, (uint8_t)hex[c & 15])))
				return false;
			col += w;
		}
		if (!buf_append(b, "\r\n", 2))
			return false;
		i += len + eol;
	}
	return true;
}

static bool put_base64(struct buf *b, const uint8_t *p, size_t n)
{
	char line[MIME_B64_LINE + 1];

	for (size_t i = 0; i < n; i += MIME_B64_LINE / 4 * 3) {
		size_t take = n - i < MIME_B64_LINE / 4 * 3 ? n - i : MIME_B64_LINE / 4 * 3;
		size_t len = base64_encode(p + i, take, line);
		if (!buf_append(b, line, len) || !buf_append(b, "\r\n", 2))
			return false;
	}
	return true;
}

/* ---- the message ---------------------------------------------------------------------------- */

struct builder {
	const struct mime_message *m;
	struct buf *out, *err;
	struct buf tmp;
};

/* One text part: its header fields and its content. */
static int put_text_part(struct builder *bd, const char *subtype, const uint8_t *p, size_t n,
			 const char *what)
{
	enum cte cte;

	if (choose_cte(p, n, bd->m->allow_8bit, what, &cte, bd->err) < 0)
		return -1;
	if (!buf_printf(bd->out,
			"Content-Type: text/%s; charset=utf-8\r\n"
			"Content-Transfer-Encoding: %s\r\n\r\n",
			subtype, cte_names[cte]))
		return -2;
	if (!(cte == CTE_QP ? put_qp(bd->out, p, n) : put_lines(bd->out, p, n)))
		return -2;
	return 0;
}

static bool put_boundary_param(struct builder *bd, const char *type, char level)
{
	return buf_printf(bd->out, "Content-Type: multipart/%s;\r\n boundary=\"%s%s_%c\"\r\n\r\n",
			  type, BOUNDARY_PREFIX, bd->m->boundary_seed, level);
}

/* A delimiter starts with the CRLF that ends the part before it (RFC 2046 5.1.1), so it is
 * written after the part's own last line end: the part keeps its final line break. */
static bool put_delimiter(struct builder *bd, char level, bool close)
{
	return buf_printf(bd->out, "\r\n--%s%s_%c%s\r\n", BOUNDARY_PREFIX, bd->m->boundary_seed,
			  level, close ? "--" : "");
}

/* The body: text, HTML, both as alternatives, or an empty text. */
static int put_body(struct builder *bd)
{
	const struct mime_message *m = bd->m;
	int rc;

	if (m->text != NULL && m->html != NULL) {
		if (!put_boundary_param(bd, "alternative", 'b') || !put_delimiter(bd, 'b', false))
			return -2;
		if ((rc = put_text_part(bd, "plain", m->text, m->text_len, "the text body")) < 0)
			return rc;
		if (!put_delimiter(bd, 'b', false))
			return -2;
		if ((rc = put_text_part(bd, "html", m->html, m->html_len, "the HTML body")) < 0)
			return rc;
		return put_delimiter(bd, 'b', true) ? 0 : -2;
	}
	if (m->html != NULL)
		return put_text_part(bd, "html", m->html, m->html_len, "the HTML body");
	return put_text_part(bd, "plain", m->text != NULL ? m->text : (const uint8_t *)"",
			     m->text != NULL ? m->text_len : 0, "the text body");
}

static int put_attachment(struct builder *bd, const struct mime_attachment *a)
{
	const char *type = a->content_type != NULL ? a->content_type : mime_type_for(a->filename);
	struct fold f;

	if (!fold_start(&f, bd->out, "Content-Type") ||
	    !fold_word(&f, " ", 1, type, strlen(type)) ||
	    !put_param(&f, "name", a->filename, &bd->tmp) || !fold_end(&f))
		return -2;
	if (!buf_append_str(bd->out, "Content-Transfer-Encoding: base64\r\n"))
		return -2;
	if (!fold_start(&f, bd->out, "Content-Disposition") ||
	    !fold_word(&f, " ", 1, "attachment", 10) ||
	    !put_param(&f, "filename", a->filename, &bd->tmp) || !fold_end(&f))
		return -2;
	if (!buf_append(bd->out, "\r\n", 2) || !put_base64(bd->out, a->data, a->len))
		return -2;
	return 0;
}

static int check_attachment(const struct mime_attachment *a, struct buf *err)
{
	if (a->filename == NULL || a->filename[0] == '\0') {
		buf_printf(err, "an attachment has no file name; give each one a name");
		return -1;
	}
	if (check_line("an attachment's file name", a->filename, err) < 0)
		return -1;
	if (strchr(a->filename, '/') != NULL) {
		buf_printf(err,
			   "the attachment name '%s' holds a '/'; give the name without its "
			   "directory",
			   a->filename);
		return -1;
	}
	if (a->content_type != NULL && !content_type_ok(a->content_type)) {
		buf_printf(err,
			   "the content type '%s' of attachment '%s' is not type/subtype (like "
			   "application/pdf)",
			   a->content_type, a->filename);
		return -1;
	}
	if (a->data == NULL && a->len > 0) {
		buf_printf(err, "attachment '%s' has no data", a->filename);
		return -1;
	}
	return 0;
}

/* Fields the builder writes itself: an extra one of these would make two. Date and
 * Message-ID given as extra fields replace the builder's. */
static const char *const own_fields[] = { "From",
					  "To",
					  "Cc",
					  "Bcc",
					  "Subject",
					  "MIME-Version",
					  "Content-Type",
					  "Content-Transfer-Encoding",
					  "Content-Disposition" };

static bool has_field(const struct mime_message *m, const char *name)
{
	for (size_t i = 0; i < m->field_count; i++)
		if (m->fields[i].name != NULL && strcasecmp(m->fields[i].name, name) == 0)
			return true;
	return false;
}

static int check_message(const struct mime_message *m, struct buf *err)
{
	size_t n;

	if (m->boundary_seed == NULL || (n = strlen(m->boundary_seed)) == 0 || n > MIME_SEED_MAX) {
		buf_printf(err, "the boundary seed must be 1 to %d letters and digits",
			   MIME_SEED_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!((m->boundary_seed[i] >= 'a' && m->boundary_seed[i] <= 'z') ||
		      (m->boundary_seed[i] >= 'A' && m->boundary_seed[i] <= 'Z') ||
		      (m->boundary_seed[i] >= '0' && m->boundary_seed[i] <= '9'))) {
			buf_printf(err, "the boundary seed must be letters and digits only");
			return -1;
		}
	if (m->tz_offset_minutes <= -24 * 60 || m->tz_offset_minutes >= 24 * 60 || m->date < 0 ||
	    m->date > 253402300799LL) {
		buf_printf(err, "the date is out of range");
		return -1;
	}
	if (!has_field(m, "Message-ID")) {
		const char *id = m->message_id;
		bool ok = id != NULL && strchr(id, '@') != NULL && strlen(id) <= 250;
		for (const char *c = id; ok && *c != '\0'; c++)
			ok = *c > 32 && *c < 127 && *c != '<' && *c != '>';
		if (!ok) {
			buf_printf(err, "the Message-ID must be printable ASCII like "
					"unique@example.org, without angle brackets");
			return -1;
		}
	}
	for (size_t i = 0; i < m->field_count; i++) {
		if (m->fields[i].name == NULL || m->fields[i].value == NULL) {
			buf_printf(err, "an extra header field has no name or no value");
			return -1;
		}
		for (size_t k = 0; k < sizeof(own_fields) / sizeof(own_fields[0]); k++)
			if (strcasecmp(m->fields[i].name, own_fields[k]) == 0) {
				buf_printf(err,
					   "the %s field is written from the message's own parts; "
					   "give it that way, not as an extra header field",
					   own_fields[k]);
				return -1;
			}
	}
	if (m->subject != NULL && check_line("the Subject", m->subject, err) < 0)
		return -1;
	for (size_t i = 0; i < m->attachment_count; i++)
		if (check_attachment(&m->attachments[i], err) < 0)
			return -1;
	return 0;
}

static int put_header(struct builder *bd)
{
	const struct mime_message *m = bd->m;
	struct fold f;

	if (!has_field(m, "Date") && (!buf_append_str(bd->out, "Date: ") ||
				      !rfc5322_put_date(bd->out, m->date, m->tz_offset_minutes) ||
				      !buf_append(bd->out, "\r\n", 2)))
		return -2;
	if (mime_put_mailboxes(bd->out, "From", &m->from, 1, bd->err) < 0)
		return -1;
	if (m->to_count > 0 && mime_put_mailboxes(bd->out, "To", m->to, m->to_count, bd->err) < 0)
		return -1;
	if (m->cc_count > 0 && mime_put_mailboxes(bd->out, "Cc", m->cc, m->cc_count, bd->err) < 0)
		return -1;
	if (m->to_count == 0 && m->cc_count == 0 &&
	    !buf_append_str(bd->out, "To: undisclosed-recipients:;\r\n"))
		return -2;
	if (m->subject != NULL &&
	    (!fold_start(&f, bd->out, "Subject") || !fold_text(&f, m->subject) || !fold_end(&f)))
		return -2;
	if (!has_field(m, "Message-ID") &&
	    !buf_printf(bd->out, "Message-ID: <%s>\r\n", m->message_id))
		return -2;
	for (size_t i = 0; i < m->field_count; i++)
		if (mime_put_text_field(bd->out, m->fields[i].name, m->fields[i].value, bd->err) <
		    0)
			return -1;
	return buf_append_str(bd->out, "MIME-Version: 1.0\r\n") ? 0 : -2;
}

int mime_build(const struct mime_message *m, struct buf *out, struct buf *err)
{
	struct builder bd = { .m = m, .out = out, .err = err, .tmp = BUF_INIT };
	int rc;

	if (check_message(m, err) < 0)
		return -1;
	if ((rc = put_header(&bd)) < 0)
		goto done;
	if (m->attachment_count == 0) {
		rc = put_body(&bd);
		goto done;
	}
	rc = -2;
	if (!put_boundary_param(&bd, "mixed", 'a') ||
	    !buf_append_str(out, "This is a multi-part message in MIME format.\r\n"))
		goto done;
	if (m->text != NULL || m->html != NULL) {
		if (!put_delimiter(&bd, 'a', false) || (rc = put_body(&bd)) < 0)
			goto done;
		rc = -2;
	}
	for (size_t i = 0; i < m->attachment_count; i++) {
		if (!put_delimiter(&bd, 'a', false) ||
		    (rc = put_attachment(&bd, &m->attachments[i])) < 0)
			goto done;
		rc = -2;
	}
	rc = put_delimiter(&bd, 'a', true) ? 0 : -2;
done:
	if (rc == -2)
		buf_printf(err, "out of memory while building the message");
	buf_free(&bd.tmp);
	return rc < 0 ? -1 : 0;
}
