/*
 * smtp_client_data.c - the text the client session reads and writes besides its states: the
 * message as DATA sends it (dot-stuffed, every line end CRLF), EHLO keywords, reply text made
 * into one printable line, and the names of stages and TLS levels.
 *
 * Pure: no I/O; smtp_dot_stuff grows only the caller's buffer (room for twice the message).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "smtp_client_int.h"

#include "../lib/base64.h"

/* The streaming stuffer: pieces may split lines, and a CRLF, anywhere. A line that starts
 * with '.' gets another; CRLF, a bare LF and a bare CR each end a line and become CRLF. Lines
 * are copied whole (memchr, memcpy): this runs over every octet of every message sent. The
 * position of the next LF is remembered across the line ends a bare CR makes, so a line of
 * many bare CRs costs no more than one scan. */
size_t smtp_stuff_piece(struct smtp_stuffer *st, const uint8_t *m, size_t len, uint8_t *dst)
{
	size_t o = 0, i = 0, lf_at = 0;
	bool lf_known = false;

	if (len > 0 && st->cr_pending) {
		st->cr_pending = false;
		if (m[0] == '\n')
			i = 1; /* the LF of a CRLF split between two pieces */
	}
	while (i < len) {
		size_t end;
		const uint8_t *cr;

		if (!lf_known || lf_at < i) {
			const uint8_t *lf = memchr(m + i, '\n', len - i);

			lf_at = lf != NULL ? (size_t)(lf - m) : len;
			lf_known = true;
		}
		end = lf_at;
		if ((cr = memchr(m + i, '\r', end - i)) != NULL)
			end = (size_t)(cr - m);
		if (!st->mid_line && m[i] == '.')
			dst[o++] = '.';
		memcpy(dst + o, m + i, end - i);
		o += end - i;
		if (end == len) { /* the piece ends inside a line */
			st->mid_line = true;
			break;
		}
		dst[o++] = '\r';
		dst[o++] = '\n';
		st->mid_line = false;
		i = end + 1;
		if (m[end] == '\r') {
			if (i < len && m[i] == '\n')
				i++;
			else if (i == len)
				st->cr_pending = true;
		}
	}
	return o;
}

size_t smtp_stuff_end(struct smtp_stuffer *st, uint8_t *dst)
{
	size_t o = 0;

	if (st->mid_line) {
		dst[o++] = '\r';
		dst[o++] = '\n';
	}
	memcpy(dst + o, ".\r\n", 3);
	st->mid_line = st->cr_pending = false;
	return o + 3;
}

bool smtp_dot_stuff(const uint8_t *msg, size_t len, struct buf *out)
{
	struct smtp_stuffer st = { false, false };

	if (len > (SIZE_MAX - 8) / 2)
		return false;
	if (!buf_reserve(out, 2 * len + 5))
		return false;
	out->len += smtp_stuff_piece(&st, msg, len, out->data + out->len);
	out->len += smtp_stuff_end(&st, out->data + out->len);
	out->data[out->len] = '\0';
	return true;
}

/* --- reply text ----------------------------------------------------------------------------- */

/* The length of s[0..len) without an incomplete UTF-8 sequence at its end (left by a cut). */
static size_t utf8_whole(const char *s, size_t len)
{
	size_t i = len, cont = 0, need;
	uint8_t lead;

	while (i > 0 && cont < 3 && ((uint8_t)s[i - 1] & 0xC0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0)
		return len;
	lead = (uint8_t)s[i - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return need > 1 && cont + 1 < need ? i - 1 : len;
}

void smtp_client_clean_add(char *dst, size_t size, const char *src, size_t n)
{
	size_t len = strlen(dst), room = size - 1 - len;
	bool cut = n > room;

	if (cut)
		n = room;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)src[i];

		if (ch == '\r' || ch == '\n' || ch == '\t')
			ch = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			ch = '?';
		dst[len++] = (char)ch;
	}
	if (cut)
		len = utf8_whole(dst, len);
	dst[len] = '\0';
}

void smtp_client_text_add(struct smtp_client_reply *d, const char *s)
{
	smtp_client_clean_add(d->text, sizeof(d->text), s, strlen(s));
}

const char *smtp_client_u64(uint64_t v, char buf[24])
{
	size_t n = 23;

	buf[n] = '\0';
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return buf + n;
}

void smtp_client_text_add_u64(struct smtp_client_reply *d, uint64_t v)
{
	char digits[24];

	smtp_client_text_add(d, smtp_client_u64(v, digits));
}

bool smtp_client_put_base64(struct buf *out, const char *const *parts, const size_t *lens,
			    size_t nparts)
{
	uint8_t block[48]; /* a multiple of 3: blocks encode independently */
	char enc[BASE64_ENCODED_SIZE(sizeof(block))];
	size_t fill = 0;
	bool ok = true;

	for (size_t p = 0; p < nparts; p++) {
		for (size_t i = 0; i < lens[p]; i++) {
			block[fill++] = (uint8_t)parts[p][i];
			if (fill < sizeof(block))
				continue;
			base64_encode(block, fill, enc);
			ok = ok && buf_append_str(out, enc);
			fill = 0;
		}
	}
	if (fill > 0) {
		base64_encode(block, fill, enc);
		ok = ok && buf_append_str(out, enc);
	}
	ok = ok && buf_append_str(out, "\r\n");
	explicit_bzero(block, sizeof(block));
	explicit_bzero(enc, sizeof(enc));
	return ok;
}

void smtp_client_text_add_reply(struct smtp_client_reply *d, const struct smtp_reply *r)
{
	char enh[16];

	smtp_client_text_add_u64(d, (uint64_t)r->code);
	if (r->enh.cls != 0) {
		smtp_client_text_add(d, " ");
		smtp_client_text_add(d, enh_code_format(r->enh, enh, sizeof(enh)));
	}
	if (r->text_len > 0) {
		smtp_client_text_add(d, " ");
		smtp_client_clean_add(d->text, sizeof(d->text), r->text, r->text_len);
	}
}

void smtp_client_reply_from(struct smtp_client_reply *d, const struct smtp_reply *r,
			    enum smtp_stage stage)
{
	memset(d, 0, sizeof(*d));
	d->code = r->code;
	d->enh = r->enh;
	d->stage = stage;
	smtp_client_clean_add(d->text, sizeof(d->text), r->text, r->text_len);
}

void smtp_client_local_reply(struct smtp_client_reply *d, int code, struct enh_code enh,
			     enum smtp_stage stage, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->code = code;
	d->enh = enh;
	d->stage = stage;
	smtp_client_text_add(d, text);
}

/* --- checks before sending ------------------------------------------------------------ */

static const struct enh_code ENH_TOO_BIG = { 5, 3, 4 };	   /* larger than the SIZE limit */
static const struct enh_code ENH_NEEDS_UTF8 = { 5, 6, 7 }; /* SMTPUTF8 needed */
static const struct enh_code ENH_BAD_SENDER = { 5, 1, 7 }; /* unusable sender address */
static const struct enh_code ENH_BAD_RCPT = { 5, 1, 3 };   /* unusable recipient address */

static void all_fail(const struct smtp_client_message *m, struct smtp_rcpt_result *res,
		     const struct smtp_client_reply *why)
{
	for (size_t i = 0; i < m->rcpt_count; i++) {
		res[i].outcome = SC_RCPT_PERMFAIL;
		res[i].reply = *why;
	}
}

/* An address goes between < and > on a command line: no control characters. */
static bool valid_path(const char *s, bool empty_ok)
{
	if (s == NULL || (*s == '\0' && !empty_ok))
		return false;
	for (; *s != '\0'; s++)
		if ((uint8_t)*s < ' ' || (uint8_t)*s == 0x7f)
			return false;
	return true;
}

bool smtp_client_precheck(const struct smtp_client_caps *caps, const struct smtp_client_message *m,
			  struct smtp_rcpt_result *res)
{
	struct smtp_client_reply d;
	bool any = false;

	if (caps->has_size && caps->size > 0 && m->len > caps->size) {
		smtp_client_local_reply(&d, 0, ENH_TOO_BIG, SC_STAGE_MAIL, "message size ");
		smtp_client_text_add_u64(&d, m->len);
		smtp_client_text_add(&d, " exceeds the server's limit of ");
		smtp_client_text_add_u64(&d, caps->size);
		smtp_client_text_add(&d, " octets");
		all_fail(m, res, &d);
		return false;
	}
	if (m->smtputf8 && !caps->smtputf8) {
		smtp_client_local_reply(
			&d, 0, ENH_NEEDS_UTF8, SC_STAGE_MAIL,
			"the message needs SMTPUTF8 (non-ASCII addresses or headers) but the "
			"server does not offer it");
		all_fail(m, res, &d);
		return false;
	}
	if (!valid_path(m->mail_from, true)) {
		smtp_client_local_reply(
			&d, 0, ENH_BAD_SENDER, SC_STAGE_MAIL,
			"the sender address contains a control character; nothing was sent");
		all_fail(m, res, &d);
		return false;
	}
	for (size_t i = 0; i < m->rcpt_count; i++) {
		if (valid_path(m->rcpts[i], false))
			continue;
		smtp_client_local_reply(
			&d, 0, ENH_BAD_RCPT, SC_STAGE_RCPT,
			"the recipient address is empty or contains a control character; it "
			"was not sent");
		res[i].outcome = SC_RCPT_PERMFAIL;
		res[i].reply = d;
	}
	for (size_t i = 0; i < m->rcpt_count; i++)
		any = any || res[i].outcome == SC_RCPT_PENDING;
	return any;
}

/* --- EHLO keywords -------------------------------------------------------------------------- */

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static const struct flag_keyword {
	const char *name;
	size_t offset; /* of the bool in struct smtp_client_caps */
} flag_keywords[] = {
	{ "PIPELINING", offsetof(struct smtp_client_caps, pipelining) },
	{ "STARTTLS", offsetof(struct smtp_client_caps, starttls) },
	{ "SMTPUTF8", offsetof(struct smtp_client_caps, smtputf8) },
	{ "8BITMIME", offsetof(struct smtp_client_caps, eightbitmime) },
	{ "CHUNKING", offsetof(struct smtp_client_caps, chunking) },
	{ "ENHANCEDSTATUSCODES", offsetof(struct smtp_client_caps, enhancedstatuscodes) },
	{ "DSN", offsetof(struct smtp_client_caps, dsn) },
};

/* "SIZE 10240000": no number (or garbage) means no limit stated; a huge one saturates. */
static uint64_t size_param(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	return v;
}

/* "AUTH PLAIN LOGIN CRAM-MD5", or the old "AUTH=LOGIN PLAIN" */
static void auth_params(struct smtp_client_caps *caps, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && (is_blank(s[i]) || s[i] == '='))
			i++;
		start = i;
		while (i < n && !is_blank(s[i]) && s[i] != '=')
			i++;
		if (word_is(s + start, i - start, "PLAIN"))
			caps->auth_plain = true;
		else if (word_is(s + start, i - start, "LOGIN"))
			caps->auth_login = true;
	}
}

/* One line of the EHLO reply after the first: a keyword and its parameters. */
static void ehlo_keyword(struct smtp_client_caps *caps, const char *s, size_t n)
{
	size_t k = 0;

	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (k < n && !is_blank(s[k]) && s[k] != '=')
		k++;
	for (size_t i = 0; i < sizeof(flag_keywords) / sizeof(flag_keywords[0]); i++) {
		if (word_is(s, k, flag_keywords[i].name)) {
			*(bool *)((char *)caps + flag_keywords[i].offset) = true;
			return;
		}
	}
	if (word_is(s, k, "SIZE")) {
		while (k < n && is_blank(s[k]))
			k++;
		caps->has_size = true;
		caps->size = size_param(s + k, n - k);
	} else if (word_is(s, k, "AUTH")) {
		auth_params(caps, s + k, n - k);
	}
}

void smtp_client_ehlo_caps(struct smtp_client_caps *caps, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;

		ehlo_keyword(caps, p, (size_t)(eol - p));
		p = eol + 1;
	}
}

/* --- names ---------------------------------------------------------------------------------- */

const char *smtp_stage_name(enum smtp_stage s)
{
	static const char *const names[SC__STAGE_COUNT] = {
		[SC_STAGE_CONNECT] = "connect",	  [SC_STAGE_GREETING] = "greeting",
		[SC_STAGE_EHLO] = "EHLO",	  [SC_STAGE_STARTTLS] = "STARTTLS",
		[SC_STAGE_TLS] = "TLS handshake", [SC_STAGE_AUTH] = "AUTH",
		[SC_STAGE_MAIL] = "MAIL FROM",	  [SC_STAGE_RCPT] = "RCPT TO",
		[SC_STAGE_DATA] = "DATA",	  [SC_STAGE_DOT] = "end of data",
		[SC_STAGE_RSET] = "RSET",	  [SC_STAGE_QUIT] = "QUIT",
	};

	if ((unsigned)s >= SC__STAGE_COUNT)
		return "unknown";
	return names[s];
}

static const char *const tls_level_names[] = {
	[SMTP_TLS_NONE] = "none",
	[SMTP_TLS_MAY] = "may",
	[SMTP_TLS_ENCRYPT] = "encrypt",
	[SMTP_TLS_VERIFY] = "verify",
};

#define TLS_LEVELS (sizeof(tls_level_names) / sizeof(tls_level_names[0]))

const char *smtp_tls_level_name(enum smtp_tls_level l)
{
	if ((unsigned)l >= TLS_LEVELS)
		return "unknown";
	return tls_level_names[l];
}

/* Case-insensitive, as the configuration file reads them. */
bool smtp_tls_level_from_name(const char *name, enum smtp_tls_level *out)
{
	if (name == NULL)
		return false;
	for (size_t i = 0; i < TLS_LEVELS; i++) {
		if (strcasecmp(name, tls_level_names[i]) == 0) {
			*out = (enum smtp_tls_level)i;
			return true;
		}
	}
	return false;
}
