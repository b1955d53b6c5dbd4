/*
 * test_mime_build.c - the messages `tern send` builds: what a recipient's mail program needs to
 * show them right (encoded UTF-8 headers, alternatives, attachments with their types and names)
 * and what a server needs to take them (CRLF, short lines, no header injection).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "lib/base64.h"
#include "proto/mime_build.h"

#define T_DATE 1700000000 /* Tue, 14 Nov 2023 22:13:20 +0000 */

static struct mime_message base(void)
{
	static const struct mime_mailbox to[] = { { "Bob", "bob@example.net" } };
	struct mime_message m = {
		.from = { "App", "app@example.org" },
		.to = to,
		.to_count = 1,
		.subject = "Hello",
		.text = (const uint8_t *)"Hi Bob,\nsee you.\n",
		.text_len = 17,
		.date = T_DATE,
		.message_id = "1700000000.abc@example.org",
		.boundary_seed = "Seed42",
	};
	return m;
}

/* Is a header line longer than 78 columns one unbreakable word (after the field name on a
 * field's first line, after the folding blank on a continuation)? */
static bool one_word(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n > 0 && p[0] != ' ' && p[0] != '\t') {
		while (i < n && p[i] != ':')
			i++;
		i++;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < n; i++)
		if (p[i] == ' ' || p[i] == '\t')
			return false;
	return true;
}

/* Every line ends in CRLF, no bare CR or LF, none longer than 998 octets; header lines (up to
 * the first empty line) at most 78 columns unless they are one unbreakable word. */
static void assert_well_formed(const struct buf *b)
{
	bool header = true;
	size_t i = 0;

	assert_true(b->len >= 2);
	assert_memory_equal(b->data + b->len - 2, "\r\n", 2);
	while (i < b->len) {
		const uint8_t *lf = memchr(b->data + i, '\n', b->len - i);
		size_t end;
		assert_non_null(lf);
		end = (size_t)(lf - b->data);
		assert_true(end > i - 0 && b->data[end - 1] == '\r');
		assert_null(memchr(b->data + i, '\r', end - 1 - i));
		assert_true(end - 1 - i <= 998);
		if (end - 1 == i)
			header = false;
		if (header) {
			assert_true(end - 1 - i <= 78 || one_word(b->data + i, end - 1 - i));
			for (size_t k = i; k < end - 1; k++)
				assert_true(b->data[k] < 0x80);
		}
		i = end + 1;
	}
}

static char *build_ok(const struct mime_message *m)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	if (mime_build(m, &out, &err) != 0)
		fail_msg("mime_build failed: %s", buf_cstr(&err));
	assert_int_equal(err.len, 0);
	assert_well_formed(&out);
	buf_free(&err);
	return buf_steal(&out);
}

static char *build_fails(const struct mime_message *m)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	assert_int_equal(mime_build(m, &out, &err), -1);
	assert_true(err.len > 0);
	buf_free(&out);
	return buf_steal(&err);
}

/* The value of the first field `name` in the header section, unfolded (CRLF removed). */
static char *field_value(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *p = msg, *end = strstr(msg, "\r\n\r\n");
	struct buf v = BUF_INIT;

	while (p != NULL && p < end) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *q = p + n + 1;
			for (;;) {
				const char *eol = strstr(q, "\r\n");
				buf_append(&v, q, (size_t)(eol - q));
				q = eol + 2;
				if (*q != ' ' && *q != '\t')
					break;
			}
			return buf_steal(&v);
		}
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return NULL;
}

/* Decodes a run of B encoded-words ("=?utf-8?b?...?=" separated by blanks). */
static char *decode_words(const char *v)
{
	struct buf out = BUF_INIT;

	while (*v == ' ')
		v++;
	while (*v != '\0') {
		const char *start = strstr(v, "=?utf-8?b?"), *end;
		uint8_t dec[256];
		size_t n;
		assert_ptr_equal(start, v);
		start += 10;
		end = strstr(start, "?=");
		assert_non_null(end);
		assert_true(end + 2 - v <= 75);
		assert_true(base64_decode(start, (size_t)(end - start), dec, &n));
		buf_append(&out, dec, n);
		v = end + 2;
		while (*v == ' ')
			v++;
	}
	return buf_steal(&out);
}

static char *decode_qp(const char *s, size_t n)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=') {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			buf_append_byte(&out, (uint8_t)strtol(hex, NULL, 16));
			i += 2;
		} else {
			buf_append_byte(&out, (uint8_t)s[i]);
		}
	}
	return buf_steal(&out);
}

static const char *body_of(const char *msg)
{
	const char *b = strstr(msg, "\r\n\r\n");
	assert_non_null(b);
	return b + 4;
}

/* ---- the simple message --------------------------------------------------------------------- */

static void a_plain_message_has_every_field(void **state)
{
	struct mime_message m = base();
	char *msg;

	(void)state;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(msg, "From: App <app@example.org>\r\n"));
	assert_non_null(strstr(msg, "To: Bob <bob@example.net>\r\n"));
	assert_non_null(strstr(msg, "Subject: Hello\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <1700000000.abc@example.org>\r\n"));
	assert_non_null(strstr(msg, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 7bit\r\n"));
	assert_string_equal(body_of(msg), "Hi Bob,\r\nsee you.\r\n");
	assert_null(strstr(msg, "Bcc"));
	free(msg);
}

static void no_visible_recipient_is_undisclosed(void **state)
{
	struct mime_message m = base();
	char *msg;

	(void)state;
	m.to_count = 0;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "To: undisclosed-recipients:;\r\n"));
	free(msg);
}

static void display_names_are_quoted_or_encoded(void **state)
{
	static const struct mime_mailbox to[] = {
		{ "Doe, John \"JD\"", "john@example.net" },
		{ "Zoë Ångström", "zoe@example.net" },
		{ NULL, "plain@example.net" },
	};
	struct mime_message m = base();
	char *msg, *to_v, *enc;

	(void)state;
	m.to = to;
	m.to_count = 3;
	msg = build_ok(&m);
	to_v = field_value(msg, "To");
	assert_non_null(strstr(to_v, "\"Doe, John \\\"JD\\\"\" <john@example.net>,"));
	assert_non_null(strstr(to_v, " plain@example.net"));
	enc = strstr(to_v, "=?utf-8?b?");
	assert_non_null(enc);
	*strstr(enc, " <zoe@") = '\0';
	enc = decode_words(enc);
	assert_string_equal(enc, "Zoë Ångström");
	free(enc);
	free(to_v);
	free(msg);
}

static void many_recipients_fold_at_78(void **state)
{
	struct mime_mailbox to[30];
	char addrs[30][32];
	struct mime_message m = base();
	char *msg, *v;

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "user%02d@example.net", i);
		to[i] = (struct mime_mailbox){ NULL, addrs[i] };
	}
	m.to = to;
	m.to_count = 30;
	msg = build_ok(&m); /* checks 78 columns */
	v = field_value(msg, "To");
	assert_non_null(strstr(v, "user00@example.net, user01@example.net,"));
	assert_non_null(strstr(v, "user29@example.net"));
	free(v);
	free(msg);
}

/* ---- the subject ---------------------------------------------------------------------------- */

static void a_utf8_subject_becomes_encoded_words(void **state)
{
	const char *subj = "Résumé für Zoë — 日本語のテキストがとても長い件名 and an ASCII tail "
			   "that goes on well past one line of seventy-eight columns";
	struct mime_message m = base();
	char *msg, *v, *dec;

	(void)state;
	m.subject = subj;
	msg = build_ok(&m);
	v = field_value(msg, "Subject");
	assert_non_null(strstr(msg, "Subject: =?utf-8?b?"));
	dec = decode_words(v); /* checks each word <= 75 */
	assert_string_equal(dec, subj);
	free(dec);
	free(v);
	free(msg);
}

static void a_long_ascii_subject_folds_at_spaces(void **state)
{
	const char *subj = "Your monthly statement for the account ending in 4242 is ready to view "
			   "online, along with a summary of recent activity and the next steps";
	struct mime_message m = base();
	char *msg, *v;

	(void)state;
	m.subject = subj;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "\r\n "));
	v = field_value(msg, "Subject");
	assert_string_equal(v + 1, subj); /* unfolding gives it back */
	free(v);
	free(msg);
}

static void a_subject_that_looks_encoded_is_encoded(void **state)
{
	struct mime_message m = base();
	char *msg, *v, *dec;

	(void)state;
	m.subject = "literally =?utf-8?q?x?=";
	msg = build_ok(&m);
	v = field_value(msg, "Subject");
	dec = decode_words(v);
	assert_string_equal(dec, m.subject);
	free(dec);
	free(v);
	free(msg);
}

static void line_breaks_in_the_subject_are_refused(void **state)
{
	struct mime_message m = base();
	char *err;

	(void)state;
	m.subject = "Hello\r\nBcc: victim@example.com";
	err = build_fails(&m);
	assert_non_null(strstr(err, "the Subject holds a line break"));
	free(err);
	m.subject = "Hello\nX: y";
	err = build_fails(&m);
	assert_non_null(strstr(err, "line break"));
	free(err);
	m.subject = "bell\a";
	err = build_fails(&m);
	assert_non_null(strstr(err, "control character"));
	free(err);
	m.subject = "bad \xff utf-8";
	err = build_fails(&m);
	assert_non_null(strstr(err, "not valid UTF-8"));
	free(err);
}

/* ---- addresses and extra fields ------------------------------------------------------------- */

static void bad_addresses_and_names_are_refused(void **state)
{
	static const struct mime_mailbox bad_to[] = { { NULL, "not an address" } };
	static const struct mime_mailbox evil_name[] = { { "Bob\r\nBcc: x@y.z", "bob@x.org" } };
	struct mime_message m = base();
	char *err;

	(void)state;
	m.to = bad_to;
	err = build_fails(&m);
	assert_non_null(strstr(err, "the To address 'not an address' is not a valid"));
	free(err);
	m.to = evil_name;
	err = build_fails(&m);
	assert_non_null(strstr(err, "display name of the To address bob@x.org holds a line break"));
	free(err);
	m = base();
	m.from.addr = "app@";
	err = build_fails(&m);
	assert_non_null(strstr(err, "From address 'app@'"));
	free(err);
}

static void extra_fields_are_checked_and_encoded(void **state)
{
	const struct mime_field fields[] = {
		{ "Reply-To", "support@example.org" },
		{ "X-Campaign", "Frühling" },
	};
	struct mime_message m = base();
	char *msg, *v, *dec;

	(void)state;
	m.fields = fields;
	m.field_count = 2;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Reply-To: support@example.org\r\n"));
	v = field_value(msg, "X-Campaign");
	dec = decode_words(v);
	assert_string_equal(dec, "Frühling");
	free(dec);
	free(v);
	free(msg);
}

static void extra_fields_cannot_inject_or_duplicate(void **state)
{
	struct mime_field f = { "X-Note", "a\r\nBcc: victim@example.com" };
	struct mime_message m = base();
	char *err;

	(void)state;
	m.fields = &f;
	m.field_count = 1;
	err = build_fails(&m);
	assert_non_null(strstr(err, "the value of the X-Note field holds a line break"));
	free(err);
	f = (struct mime_field){ "Bad Name", "x" };
	err = build_fails(&m);
	assert_non_null(strstr(err, "field name 'Bad Name' may hold only printable ASCII"));
	free(err);
	f = (struct mime_field){ "content-type", "text/html" };
	err = build_fails(&m);
	assert_non_null(strstr(err, "Content-Type field is written from the message's own parts"));
	free(err);
	f = (struct mime_field){ "Bcc", "x@example.org" };
	err = build_fails(&m);
	assert_non_null(strstr(err, "Bcc field"));
	free(err);
}

static void date_and_message_id_may_be_given(void **state)
{
	const struct mime_field fields[] = {
		{ "Message-ID", "<given@example.org>" },
		{ "Date", "Mon, 1 Jan 2024 00:00:00 +0000" },
	};
	struct mime_message m = base();
	char *msg;

	(void)state;
	m.fields = fields;
	m.field_count = 2;
	m.message_id = NULL;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Message-ID: <given@example.org>\r\n"));
	assert_null(strstr(msg, "1700000000.abc"));
	assert_null(strstr(msg, "2023"));
	free(msg);
	m = base();
	m.message_id = "no-at-sign";
	msg = build_fails(&m);
	assert_non_null(strstr(msg, "Message-ID"));
	free(msg);
}

/* ---- bodies --------------------------------------------------------------------------------- */

static void utf8_text_is_8bit_only_with_8bitmime(void **state)
{
	const char *text = "Grüße aus Köln\r\n";
	struct mime_message m = base();
	char *msg, *dec;

	(void)state;
	m.text = (const uint8_t *)text;
	m.text_len = strlen(text);
	m.allow_8bit = true;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 8bit\r\n"));
	assert_string_equal(body_of(msg), text);
	free(msg);
	m.allow_8bit = false;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_non_null(strstr(body_of(msg), "Gr=C3=BC=C3=9Fe"));
	dec = decode_qp(body_of(msg), strlen(body_of(msg)));
	assert_string_equal(dec, text);
	free(dec);
	free(msg);
}

static void long_lines_go_quoted_printable(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 3);
	struct mime_message m = base();
	char *msg, *dec;

	(void)state;
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	text[100] = ' '; /* a blank in the middle stays; one at a soft break stays too */
	text[n - 1] = ' ';
	memcpy(text + n, "\r\n", 3);
	m.text = (const uint8_t *)text;
	m.text_len = n + 2;
	m.allow_8bit = true;
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: quoted-printable\r\n"));
	for (const char *p = body_of(msg); *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		assert_true(eol - p <= 76);
		p = eol + 2;
	}
	assert_non_null(strstr(msg, "=20\r\n")); /* the trailing blank */
	dec = decode_qp(body_of(msg), strlen(body_of(msg)));
	assert_string_equal(dec, text);
	free(dec);
	free(msg);
	free(text);
}

static void line_ends_of_any_kind_become_crlf(void **state)
{
	const char text[] = "one\ntwo\r\nthree\rfour";
	struct mime_message m = base();
	char *msg;

	(void)state;
	m.text = (const uint8_t *)text;
	m.text_len = sizeof(text) - 1;
	msg = build_ok(&m);
	assert_string_equal(body_of(msg), "one\r\ntwo\r\nthree\r\nfour\r\n");
	free(msg);
}

static void a_body_holding_the_boundary_prefix_is_encoded(void **state)
{
	const char *text = "--=_tern_Seed42_a\r\nsneaky\r\n";
	struct mime_message m = base();
	char *msg;

	(void)state;
	m.text = (const uint8_t *)text;
	m.text_len = strlen(text);
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "quoted-printable"));
	assert_non_null(strstr(body_of(msg), "--=3D_tern_Seed42_a"));
	free(msg);
}

static void invalid_utf8_text_is_refused(void **state)
{
	struct mime_message m = base();
	char *err;

	(void)state;
	m.text = (const uint8_t *)"caf\xe9\r\n"; /* Latin-1 */
	m.text_len = 6;
	err = build_fails(&m);
	assert_non_null(strstr(err, "the text body is not valid UTF-8"));
	free(err);
}

static void text_and_html_are_alternatives(void **state)
{
	const char *html = "<p>Hi <b>Bob</b></p>\n";
	struct mime_message m = base();
	char *msg, *alt, *plain, *h;

	(void)state;
	m.html = (const uint8_t *)html;
	m.html_len = strlen(html);
	msg = build_ok(&m);
	assert_non_null(strstr(msg, "Content-Type: multipart/alternative;\r\n"
				    " boundary=\"=_tern_Seed42_b\"\r\n"));
	alt = strstr(msg, "--=_tern_Seed42_b\r\n");
	assert_non_null(alt);
	plain = strstr(alt, "Content-Type: text/plain; charset=utf-8");
	h = strstr(alt, "Content-Type: text/html; charset=utf-8");
	assert_non_null(plain);
	assert_non_null(h);
	assert_true(plain < h); /* the preferred form last */
	assert_non_null(strstr(msg, "<p>Hi <b>Bob</b></p>\r\n\r\n--=_tern_Seed42_b--\r\n"));
	free(msg);
	m.text = NULL;
	msg = build_ok(&m);
	assert_null(strstr(msg, "multipart"));
	assert_non_null(strstr(msg, "Content-Type: text/html; charset=utf-8\r\n"));
	free(msg);
}

/* ---- attachments ---------------------------------------------------------------------------- */

static void attachments_are_base64_with_their_types(void **state)
{
	uint8_t data[1000];
	struct mime_attachment att[] = {
		{ "report.PDF", NULL, data, sizeof(data) },
		{ "blob.xyz", NULL, (const uint8_t *)"x", 1 },
		{ "empty.txt", NULL, NULL, 0 },
	};
	struct mime_message m = base();
	char *msg, *p, *end;
	struct buf b64 = BUF_INIT;
	uint8_t dec[1100];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	m.html = (const uint8_t *)"<p>x</p>";
	m.html_len = 8;
	m.attachments = att;
	m.attachment_count = 3;
	msg = build_ok(&m);
	assert_non_null(
		strstr(msg, "Content-Type: multipart/mixed;\r\n boundary=\"=_tern_Seed42_a\""));
	assert_non_null(strstr(msg, "multipart/alternative")); /* nested in the mixed */
	assert_non_null(strstr(msg,
			       "Content-Type: application/pdf; name=\"report.PDF\"\r\n"
			       "Content-Transfer-Encoding: base64\r\n"
			       "Content-Disposition: attachment; filename=\"report.PDF\"\r\n\r\n"));
	assert_non_null(strstr(msg, "Content-Type: application/octet-stream; name=\"blob.xyz\""));
	assert_non_null(strstr(msg, "Content-Type: text/plain; name=\"empty.txt\""));
	p = strstr(msg, "filename=\"report.PDF\"\r\n\r\n") + 25;
	end = strstr(p, "--=_tern_Seed42_a");
	for (const char *q = p; q < end;) {
		const char *eol = strstr(q, "\r\n");
		assert_true(eol - q <= 76);
		buf_append(&b64, q, (size_t)(eol - q));
		q = eol + 2;
	}
	assert_true(base64_decode((const char *)b64.data, b64.len, dec, &n));
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(dec, data, sizeof(data));
	assert_non_null(strstr(msg, "--=_tern_Seed42_a--\r\n"));
	buf_free(&b64);
	free(msg);
}

static void non_ascii_file_names_use_rfc2231(void **state)
{
	struct mime_attachment att[] = {
		{ "Übersicht.pdf", NULL, (const uint8_t *)"x", 1 },
		{ "日本語のとても長いファイル名が続いてもっと続いてさらに続く報告書.pdf", NULL,
		  (const uint8_t *)"y", 1 },
		{ "a \"quoted\" name.txt", NULL, (const uint8_t *)"z", 1 },
	};
	struct mime_message m = base();
	char *msg;

	(void)state;
	m.attachments = att;
	m.attachment_count = 3;
	msg = build_ok(&m); /* every header line within 78 columns */
	assert_non_null(strstr(msg, "filename*=utf-8''%C3%9Cbersicht.pdf"));
	assert_non_null(strstr(msg, "filename*0*=utf-8''%E6%97%A5"));
	assert_non_null(strstr(msg, "filename*1*="));
	assert_non_null(strstr(msg, "filename=\"a \\\"quoted\\\" name.txt\""));
	free(msg);
}

static void bad_attachment_names_are_refused(void **state)
{
	struct mime_attachment att = { "evil\r\nname.txt", NULL, (const uint8_t *)"x", 1 };
	struct mime_message m = base();
	char *err;

	(void)state;
	m.attachments = &att;
	m.attachment_count = 1;
	err = build_fails(&m);
	assert_non_null(strstr(err, "file name holds a line break"));
	free(err);
	att.filename = "dir/name.txt";
	err = build_fails(&m);
	assert_non_null(strstr(err, "without its directory"));
	free(err);
	att.filename = "ok.txt";
	att.content_type = "text plain";
	err = build_fails(&m);
	assert_non_null(strstr(err, "is not type/subtype"));
	free(err);
}

static void types_come_from_the_extension(void **state)
{
	(void)state;
	assert_string_equal(mime_type_for("a.pdf"), "application/pdf");
	assert_string_equal(mime_type_for("photo.JPEG"), "image/jpeg");
	assert_string_equal(mime_type_for("x.tar.gz"), "application/gzip");
	assert_string_equal(mime_type_for("Makefile"), "application/octet-stream");
	assert_string_equal(mime_type_for(".bashrc"), "application/octet-stream");
	assert_string_equal(mime_type_for("trailing."), "application/octet-stream");
	assert_string_equal(mime_type_for("x.unknown"), "application/octet-stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_plain_message_has_every_field),
		cmocka_unit_test(no_visible_recipient_is_undisclosed),
		cmocka_unit_test(display_names_are_quoted_or_encoded),
		cmocka_unit_test(many_recipients_fold_at_78),
		cmocka_unit_test(a_utf8_subject_becomes_encoded_words),
		cmocka_unit_test(a_long_ascii_subject_folds_at_spaces),
		cmocka_unit_test(a_subject_that_looks_encoded_is_encoded),
		cmocka_unit_test(line_breaks_in_the_subject_are_refused),
		cmocka_unit_test(bad_addresses_and_names_are_refused),
		cmocka_unit_test(extra_fields_are_checked_and_encoded),
		cmocka_unit_test(extra_fields_cannot_inject_or_duplicate),
		cmocka_unit_test(date_and_message_id_may_be_given),
		cmocka_unit_test(utf8_text_is_8bit_only_with_8bitmime),
		cmocka_unit_test(long_lines_go_quoted_printable),
		cmocka_unit_test(line_ends_of_any_kind_become_crlf),
		cmocka_unit_test(a_body_holding_the_boundary_prefix_is_encoded),
		cmocka_unit_test(invalid_utf8_text_is_refused),
		cmocka_unit_test(text_and_html_are_alternatives),
		cmocka_unit_test(attachments_are_base64_with_their_types),
		cmocka_unit_test(non_ascii_file_names_use_rfc2231),
		cmocka_unit_test(bad_attachment_names_are_refused),
		cmocka_unit_test(types_come_from_the_extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
