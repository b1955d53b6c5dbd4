/*
 * fuzz_smtp_reply.c - bytes from a hostile server into the reply parser.
 *
 * Checks beyond "no crash": a parsed reply never claims more bytes than it was given, its
 * text is terminated and free of control characters, and feeding the input one byte at a
 * time ends in the same result as feeding it whole (the parser is stateless and restartable).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply r, r2;
	enum smtp_reply_error err, err2;
	size_t used = 0, used2 = 0, pos = 0;
	enum smtp_reply_status st;

	/* parse replies one after another, as a client does */
	while (pos < size) {
		st = smtp_reply_parse(data + pos, size - pos, &r, &used, &err);
		if (st != SMTP_REPLY_OK)
			break;
		assert(used > 0 && used <= size - pos);
		assert(r.code >= 200 && r.code <= 599);
		assert(r.text_len == strlen(r.text));
		for (size_t i = 0; i < r.text_len; i++)
			assert((unsigned char)r.text[i] >= 0x20 || r.text[i] == '\t' ||
			       r.text[i] == '\n');
		pos += used;
	}

	/* incremental feeding of the first reply agrees with whole feeding */
	st = smtp_reply_parse(data, size, &r, &used, &err);
	for (size_t n = 0; n <= size; n++) {
		enum smtp_reply_status st2 = smtp_reply_parse(data, n, &r2, &used2, &err2);

		if (st2 == SMTP_REPLY_MORE)
			continue;
		assert(st2 == st);
		if (st == SMTP_REPLY_OK) {
			assert(used2 == used);
			assert(r2.code == r.code);
			assert(strcmp(r2.text, r.text) == 0);
		} else {
			assert(err2 == err);
		}
		break;
	}
	return 0;
}
