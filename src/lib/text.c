/*
 * text.c - case-insensitive, blank-tolerant search (see text.h).
 */
#include "text.h"

#include <string.h>

size_t text_match_at(const char *hay, size_t len, size_t at, const char *needle, size_t n)
{
	size_t i = at;

	for (size_t j = 0; j < n; j++) {
		if (needle[j] == ' ') {
			if (i >= len || !text_is_blank(hay[i]))
				return SIZE_MAX;
			while (i < len && text_is_blank(hay[i]))
				i++;
			continue;
		}
		if (i >= len || text_lower(hay[i]) != needle[j])
			return SIZE_MAX;
		i++;
	}
	return i - at;
}

size_t text_find(const char *hay, size_t len, size_t from, const char *needle, size_t n,
		 size_t *span)
{
	char first;

	if (n == 0) {
		if (span != NULL)
			*span = 0;
		return from <= len ? from : SIZE_MAX;
	}
	first = needle[0];
	for (size_t i = from; i < len; i++) {
		size_t m;

		/* cheap first-byte test before the full comparison */
		if (first != ' ' && text_lower(hay[i]) != first)
			continue;
		m = text_match_at(hay, len, i, needle, n);
		if (m != SIZE_MAX) {
			if (span != NULL)
				*span = m;
			return i;
		}
	}
	return SIZE_MAX;
}
