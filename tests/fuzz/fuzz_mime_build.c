/*
 * fuzz_mime_build.c - arbitrary parts into the MIME builder.
 *
 * The input is split at NUL bytes into: subject, display name, extra field name, extra field
 * value, attachment file name, text body, HTML body (the rest is the attachment's data); the
 * first byte's bits choose 8BITMIME and which parts are present. Checks beyond "no crash":
 * a message built has CRLF line ends only, no line over 998 octets, an ASCII header section
 * with lines of at most 78 columns unless a line is one word that cannot be broken, and a
 * refusal always says why.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/mime_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIECES 7

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

static void check(const struct buf *b)
{
	bool header = true;
	size_t i = 0;

	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		abort();
	while (i < b->len) {
		const uint8_t *lf = memchr(b->data + i, '\n', b->len - i);
		size_t end = (size_t)(lf - b->data);
		if (lf == NULL || end == i || b->data[end - 1] != '\r')
			abort();
		if (memchr(b->data + i, '\r', end - 1 - i) != NULL || end - 1 - i > 998)
			abort();
		if (end - 1 == i)
			header = false;
		if (header) {
			if (end - 1 - i > 78 && !one_word(b->data + i, end - 1 - i))
				abort();
			for (size_t k = i; k < end - 1; k++)
				if (b->data[k] >= 0x80)
					abort();
		}
		i = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *piece[PIECES] = { 0 };
	size_t len[PIECES] = { 0 }, pos = 1, k;
	uint8_t flags = size > 0 ? data[0] : 0;
	struct mime_mailbox to = { NULL, "bob@example.net" };
	struct mime_field field;
	struct mime_attachment att;
	struct mime_message m = {
		.from = { "App", "app@example.org" },
		.to = &to,
		.to_count = 1,
		.date = 1700000000,
		.message_id = "1.2@example.org",
		.boundary_seed = "fuzz",
	};
	struct buf out = BUF_INIT, err = BUF_INIT;

	for (k = 0; k < PIECES; k++) {
		const uint8_t *nul = pos < size ? memchr(data + pos, 0, size - pos) : NULL;
		size_t end = nul != NULL ? (size_t)(nul - data) : size;
		if (pos > size)
			end = pos = size;
		len[k] = end - pos;
		if ((piece[k] = malloc(len[k] + 1)) == NULL)
			goto done;
		memcpy(piece[k], data + pos, len[k]);
		piece[k][len[k]] = '\0';
		pos = end < size ? end + 1 : size;
	}
	m.allow_8bit = flags & 1;
	m.subject = flags & 2 ? piece[0] : NULL;
	to.name = flags & 4 ? piece[1] : NULL;
	field = (struct mime_field){ piece[2], piece[3] };
	if (flags & 8) {
		m.fields = &field;
		m.field_count = 1;
	}
	att = (struct mime_attachment){ piece[4], NULL, data + pos, size - pos };
	if (flags & 16) {
		m.attachments = &att;
		m.attachment_count = 1;
	}
	if (flags & 32) {
		m.text = (const uint8_t *)piece[5];
		m.text_len = len[5];
	}
	if (flags & 64) {
		m.html = (const uint8_t *)piece[6];
		m.html_len = len[6];
	}
	if (mime_build(&m, &out, &err) == 0) {
		if (err.len != 0)
			abort();
		check(&out);
	} else if (err.len == 0) {
		abort();
	}
done:
	for (k = 0; k < PIECES; k++)
		free(piece[k]);
	buf_free(&out);
	buf_free(&err);
	return 0;
}
