/*
 * rfc5322.c - header section scanning (see rfc5322.h).
 */
#include <string.h>
#include <strings.h>

#include "rfc5322.h"

size_t rfc5322_header_length(const uint8_t *msg, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const uint8_t *lf = memchr(msg + i, '\n', len - i);
		size_t line_end = lf ? (size_t)(lf - msg) + 1 : len;
		size_t line_len = line_end - i;
		if (line_len == 1 || (line_len == 2 && msg[i] == '\r'))
			return line_end; /* the empty line */
		i = line_end;
	}
	return len;
}

bool rfc5322_has_field(const uint8_t *msg, size_t len, const char *name)
{
	size_t hlen = rfc5322_header_length(msg, len), nlen = strlen(name);

	for (size_t i = 0; i < hlen;) {
		const uint8_t *lf = memchr(msg + i, '\n', hlen - i);
		size_t next = lf ? (size_t)(lf - msg) + 1 : hlen;
		if (next - i > nlen && strncasecmp((const char *)msg + i, name, nlen) == 0) {
			size_t k = i + nlen;
			while (k < next && (msg[k] == ' ' || msg[k] == '\t'))
				k++; /* obsolete syntax allows blanks before the colon */
			if (k < next && msg[k] == ':')
				return true;
		}
		i = next;
	}
	return false;
}
