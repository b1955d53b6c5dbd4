/*
 * spf_int.h - what the two files of the SPF module share (spf.c: records and check_host;
 * spf_ip.c: addresses): a string builder that never overflows (src/proto has no stdio) and
 * ASCII character tests. Not for use outside src/proto/spf*.c.
 */
#ifndef TERN_PROTO_SPF_INT_H
#define TERN_PROTO_SPF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* ---- a string builder: always NUL-terminated, silently cut at its size --------------------- */

struct sb {
	char *p;
	size_t size, len;
};

static inline void sb_init(struct sb *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	if (size > 0)
		p[0] = '\0';
}

static inline void sb_addn(struct sb *b, const char *s, size_t n)
{
	if (b->size == 0)
		return;
	if (n > b->size - 1 - b->len)
		n = b->size - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static inline void sb_num(struct sb *b, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && i > 0);
	sb_addn(b, d + i, sizeof(d) - i);
}

static inline void set_text(char *out, size_t size, const char *a, const char *b, const char *c)
{
	struct sb s;

	sb_init(&s, out, size);
	sb_add(&s, a);
	sb_add(&s, b != NULL ? b : "");
	sb_add(&s, c != NULL ? c : "");
}

static inline char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* True when a[0..n) and b[0..n) are equal, ASCII case ignored. */
static inline bool same_ascii(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

#endif
