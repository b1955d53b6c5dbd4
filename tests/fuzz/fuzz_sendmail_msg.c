/*
 * fuzz_sendmail_msg.c - a piped message into the sendmail preparation, with and without -t.
 *
 * Checks beyond "no crash": the result has CRLF line ends only, no Bcc field in its header
 * section, every recipient re-parses as a valid address, and a refusal always says why.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/sendmail_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct sendmail_out *o)
{
	const struct buf *b = &o->message;
	bool header = true;
	struct address a;

	for (size_t i = 0; i < b->len;) {
		const uint8_t *lf = memchr(b->data + i, '\n', b->len - i);
		size_t end = lf != NULL ? (size_t)(lf - b->data) : 0;
		if (lf == NULL || end == i || b->data[end - 1] != '\r')
			abort();
		if (memchr(b->data + i, '\r', end - 1 - i) != NULL)
			abort();
		if (end - 1 == i)
			header = false;
		if (header && end - i >= 4 &&
		    strncasecmp((const char *)b->data + i, "bcc:", 4) == 0)
			abort();
		i = end + 1;
	}
	for (size_t i = 0; i < o->rcpts.count; i++)
		if (address_parse(o->rcpts.addr[i], strlen(o->rcpts.addr[i]), false, &a) !=
		    ADDRESS_OK)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sendmail_in in = {
		.msg = size > 0 ? data + 1 : data,
		.len = size > 0 ? size - 1 : 0,
		.extract = size > 0 && (data[0] & 1),
		.sender = size > 0 && (data[0] & 2) ? "app@example.org" : NULL,
		.full_name = size > 0 && (data[0] & 4) ? "Zoë \"Z\" Doe" : NULL,
		.date = 1700000000,
		.message_id = "1.2@example.org",
	};
	struct sendmail_out out;
	struct buf err = BUF_INIT;

	memset(&out, 0, sizeof(out));
	if (sendmail_prepare(&in, &out, &err) == 0)
		check(&out);
	else if (err.len == 0)
		abort();
	sendmail_out_free(&out);
	buf_free(&err);
	return 0;
}
