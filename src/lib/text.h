/*
 * text.h - small text helpers with no mail knowledge: case-insensitive search that treats a
 * space in the needle as any run of blanks and line breaks in the haystack, so that phrases
 * wrapped over lines ("refused to talk to\n    me") are still found.
 *
 * Pure: no I/O, no allocation. ASCII case folding only (replies are ASCII; UTF-8 bytes are
 * compared as they are).
 */
#ifndef TERN_LIB_TEXT_H
#define TERN_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline char text_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool text_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does hay[at..len) start with needle (n bytes, lowercase)? Returns the number of bytes of
 * hay it spans, or SIZE_MAX when it does not match. */
size_t text_match_at(const char *hay, size_t len, size_t at, const char *needle, size_t n);

/* The first position >= from where needle matches, or SIZE_MAX; *span gets the bytes of hay
 * the match covers (may be NULL). */
size_t text_find(const char *hay, size_t len, size_t from, const char *needle, size_t n,
		 size_t *span);

#endif
