/*
 * sendmail_msg.c - preparing a piped message for submission (see sendmail_msg.h).
 *
 * One pass over the message with its line ends already made CRLF: the header section field by
 * field (a field is its first line and its folded continuation lines), then the body copied
 * whole. Address lists go to the header parser (header.h), which is the same one the
 * submission server uses, so a list this accepts the server reads the same way.
 */
#include "sendmail_msg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "mime_build.h"
#include "rfc5322.h"

bool sendmail_rcpts_add(struct sendmail_rcpts *r, const char *addr)
{
	size_t n = strlen(addr);

	if (n > ADDRESS_MAX)
		return false;
	for (size_t i = 0; i < r->count; i++)
		if (strcasecmp(r->addr[i], addr) == 0)
			return true;
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *v = realloc(r->addr, cap * sizeof(*r->addr));
		if (v == NULL)
			return false;
		r->addr = v;
		r->cap = cap;
	}
	memcpy(r->addr[r->count++], addr, n + 1);
	return true;
}

void sendmail_rcpts_free(struct sendmail_rcpts *r)
{
	free(r->addr);
	memset(r, 0, sizeof(*r));
}

struct walk {
	struct sendmail_rcpts *r;
	bool nomem;
};

static void take(const struct address *a, void *ctx)
{
	struct walk *w = ctx;

	if (!sendmail_rcpts_add(w->r, a->text))
		w->nomem = true;
}

/* Reads one address list into r; what names it in a message ("the To field"). The addresses
 * before a problem are taken out again, so a list is used whole or not at all. */
static int read_list(struct sendmail_rcpts *r, const uint8_t *v, size_t len, const char *what,
		     struct buf *err)
{
	struct mailbox_list *l = malloc(sizeof(*l));
	struct walk w = { .r = r };
	size_t before = r->count;
	int rc = -1;

	if (l == NULL) {
		buf_printf(err, "out of memory");
		return -1;
	}
	if (mailbox_list_walk(v, len, false, take, &w, l) != MAILBOX_OK) {
		buf_printf(err, "%s cannot be read: %s", what, mailbox_error_text(l));
		if (l->bad[0] != '\0')
			buf_printf(err, " at '%s'", l->bad);
		buf_printf(err, "; write each address as local@domain or Name <local@domain>, "
				"separated by commas");
		r->count = before;
		goto done;
	}
	if (w.nomem) {
		buf_printf(err, "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(l);
	return rc;
}

int sendmail_rcpts_parse(struct sendmail_rcpts *r, const char *arg, struct buf *err)
{
	struct buf what = BUF_INIT;
	int rc = -1;

	if (buf_printf(&what, "the recipient '%s'", arg))
		rc = read_list(r, (const uint8_t *)arg, strlen(arg), buf_cstr(&what), err);
	buf_free(&what);
	return rc;
}

void sendmail_out_free(struct sendmail_out *out)
{
	buf_free(&out->message);
	sendmail_rcpts_free(&out->rcpts);
}

bool sendmail_is_dot_line(const uint8_t *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len == 1 && line[0] == '.';
}

/* The message with every line end (CRLF, LF, a lone CR) made CRLF, the last line too. */
static bool normalise(const uint8_t *p, size_t n, struct buf *out)
{
	if (!buf_reserve(out, n + n / 16 + 2))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			if (!buf_append(out, "\r\n", 2))
				return false;
			if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (!buf_append_byte(out, p[i])) {
			return false;
		}
	}
	/* a last line without its line end gets one */
	return n == 0 || p[n - 1] == '\r' || p[n - 1] == '\n' || buf_append(out, "\r\n", 2);
}

static bool name_is(const uint8_t *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp((const char *)p, name, n) == 0;
}

/* End of the line at m[i] (after its CRLF; the message is normalised, so every line but
 * perhaps the last ends in CRLF). */
static size_t next_line(const struct buf *m, size_t i)
{
	const uint8_t *lf = memchr(m->data + i, '\n', m->len - i);

	return lf != NULL ? (size_t)(lf - m->data) + 1 : m->len;
}

struct state {
	const struct sendmail_in *in;
	struct sendmail_out *out;
	struct buf *err;
	bool has_from, has_date, has_id;
};

static bool has_8bit(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0x80)
			return true;
	return false;
}

/* A Subject with raw UTF-8 (PHP's mail() passes it so) as RFC 2047 encoded-words, so that a
 * server or reader without SMTPUTF8 gets it right. The value is unfolded first; when it is no
 * valid UTF-8 it is passed on as it came (nothing better can be done with an unknown
 * charset). */
static int subject_encoded(struct state *s, const uint8_t *v, size_t vlen)
{
	struct buf text = BUF_INIT, ignored = BUF_INIT;
	size_t mark = s->out->message.len;
	int rc = -2;

	for (size_t i = 0; i < vlen; i++)
		if (v[i] != '\r' && v[i] != '\n' && !buf_append_byte(&text, v[i]))
			goto done;
	rc = 0;
	if (mime_put_text_field(&s->out->message, "Subject", buf_cstr(&text), &ignored) < 0) {
		s->out->message.len = mark; /* not UTF-8 (or a control character): as it came */
		rc = buf_append_str(&s->out->message, "Subject:") &&
				     buf_append(&s->out->message, v, vlen)
			     ? 0
			     : -2;
	}
done:
	buf_free(&text);
	buf_free(&ignored);
	return rc;
}

/* One field m[start..end) (continuations included) whose name is m[start..start+name) and
 * whose value starts after the colon at m[colon]. */
static int field(struct state *s, const struct buf *m, size_t start, size_t name, size_t colon,
		 size_t end)
{
	const uint8_t *p = m->data + start;
	const uint8_t *v = m->data + colon + 1;
	size_t vlen = end - colon - 1;
	struct mailbox_list *l;
	bool bcc = name_is(p, name, "bcc");

	if (name_is(p, name, "date"))
		s->has_date = true;
	else if (name_is(p, name, "message-id"))
		s->has_id = true;
	else if (name_is(p, name, "from") && !s->has_from) {
		bool bare;
		if ((l = malloc(sizeof(*l))) == NULL)
			return -2;
		if (mailbox_list_parse(v, vlen, false, l) == MAILBOX_OK && l->count > 0)
			memcpy(s->out->from, l->addr[0].text, sizeof(s->out->from));
		bare = l->error == MAILBOX_E_ADDRESS && l->address_error == ADDRESS_E_SYNTAX;
		free(l);
		/* "From: root (Cron Daemon)": a local name no server can take. With a sender to
		 * put in its place the field is dropped here and written anew (add_missing). */
		if (bare && s->in->sender != NULL && s->in->sender[0] != '\0') {
			s->out->replaced_from = true;
			return 0;
		}
		s->has_from = true;
	}
	if (s->in->extract && (bcc || name_is(p, name, "to") || name_is(p, name, "cc"))) {
		const char *what = bcc			    ? "the Bcc field"
				   : name_is(p, name, "to") ? "the To field"
							    : "the Cc field";
		if (read_list(&s->out->rcpts, v, vlen, what, s->err) < 0)
			return -1;
	}
	if (bcc)
		return 0; /* never passed on */
	if (name_is(p, name, "subject") && has_8bit(v, vlen))
		return subject_encoded(s, v, vlen);
	return buf_append(&s->out->message, p, end - start) ? 0 : -2;
}

/* The fields a message must have, for those it lacks. */
static int add_missing(struct state *s)
{
	const struct sendmail_in *in = s->in;
	struct buf *b = &s->out->message;

	if (!s->has_date) {
		if (in->tz_offset_minutes <= -24 * 60 || in->tz_offset_minutes >= 24 * 60 ||
		    in->date < 0 || in->date > 253402300799LL) {
			buf_printf(s->err, "the date for the Date field is out of range");
			return -1;
		}
		if (!buf_append_str(b, "Date: ") ||
		    !rfc5322_put_date(b, in->date, in->tz_offset_minutes) ||
		    !buf_append(b, "\r\n", 2))
			return -2;
		s->out->added_date = true;
	}
	if (!s->has_from && in->sender != NULL && in->sender[0] != '\0') {
		struct mime_mailbox mb = { .name = in->full_name, .addr = in->sender };
		if (mime_put_mailboxes(b, "From", &mb, 1, s->err) < 0)
			return -1;
		memcpy(s->out->from, in->sender, strlen(in->sender) + 1);
		s->out->added_from = true;
	}
	if (!s->has_id && in->message_id != NULL) {
		if (strchr(in->message_id, '@') == NULL || strpbrk(in->message_id, "<>\r\n ") ||
		    strlen(in->message_id) > 250) {
			buf_printf(s->err, "the Message-ID to add is not like unique@example.org");
			return -1;
		}
		if (!buf_printf(b, "Message-ID: <%s>\r\n", in->message_id))
			return -2;
		s->out->added_message_id = true;
	}
	return 0;
}

int sendmail_prepare(const struct sendmail_in *in, struct sendmail_out *out, struct buf *err)
{
	struct state s = { .in = in, .out = out, .err = err };
	struct buf m = BUF_INIT;
	size_t i = 0, body;
	int rc = -2;

	if (in->sender != NULL && strlen(in->sender) > ADDRESS_MAX) {
		buf_printf(err, "the sender address is too long");
		return -1;
	}
	if (!normalise(in->msg, in->len, &m))
		goto done;
	/* An mbox separator line ("From sender date") some programs put first is no field. */
	if (m.len >= 5 && memcmp(m.data, "From ", 5) == 0)
		i = next_line(&m, 0);
	while (i < m.len) {
		size_t end = next_line(&m, i), colon = 0, name;
		if (end - i == 2 && m.data[i] == '\r')
			break; /* the empty line */
		if ((name = header_field_name(m.data + i, end - i, &colon)) == 0)
			break; /* no field: the body starts here, without an empty line */
		while (end < m.len && (m.data[end] == ' ' || m.data[end] == '\t'))
			end = next_line(&m, end);
		if ((rc = field(&s, &m, i, name, i + colon, end)) < 0)
			goto done;
		i = end;
	}
	body = i;
	if ((rc = add_missing(&s)) < 0)
		goto done;
	rc = -2;
	/* The body keeps its own empty line; one is added when the header section ran into
	 * the body or the end of the message without one. */
	if (!(body < m.len && m.data[body] == '\r') && !buf_append(&out->message, "\r\n", 2))
		goto done;
	if (!buf_append(&out->message, m.data + body, m.len - body))
		goto done;
	rc = 0;
done:
	if (rc == -2)
		buf_printf(err, "out of memory while reading the message");
	buf_free(&m);
	return rc < 0 ? -1 : 0;
}
