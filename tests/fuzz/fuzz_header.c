/*
 * fuzz_header.c - a client's message header into the header scan and the From/Sender parser.
 *
 * Checks beyond "no crash": spans stay inside the input, the header section is never longer
 * than the input or the limit, every mailbox returned re-parses as a valid address on its own,
 * and a parse that succeeds never reports a problem text.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(struct header_span s, size_t size)
{
	if (s.off > size || s.len > size - s.off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mailbox_list l;
	struct header_scan h;
	struct address a;
	bool utf8 = size > 0 && (data[0] & 1);
	size_t limit = size > 1 ? 64 + (size_t)data[1] * 64 : 4096;

	header_scan(data, size, limit, &h);
	if (h.length > size || (h.too_big && h.length > limit))
		abort();
	check_span(h.from, size);
	check_span(h.sender, size);
	if (mailbox_list_parse(data, size, utf8, &l) == MAILBOX_OK) {
		for (size_t i = 0; i < l.count && i < MAILBOX_MAX; i++)
			if (address_parse(l.addr[i].text, strlen(l.addr[i].text), utf8, &a) !=
			    ADDRESS_OK)
				abort();
		if (l.bad[0] != '\0')
			abort();
	} else if (strlen(mailbox_error_text(&l)) == 0) {
		abort();
	}
	return 0;
}
