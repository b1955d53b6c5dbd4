/*
 * buf.c - the growable byte buffer (see buf.h).
 *
 * Growth doubles the capacity, capped at the buffer's limit. One spare byte is always kept
 * after the contents so the data can be handed out NUL-terminated without copying.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

bool buf_reserve(struct buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : SIZE_MAX - 1;
	size_t need, cap;
	uint8_t *p;

	if (extra > limit || b->len > limit - extra)
		return false;
	need = b->len + extra + 1; /* room for the terminating NUL */
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > limit + 1)
		cap = limit + 1;
	p = realloc(b->data, cap);
	if (p == NULL)
		return false;
	b->data = p;
	b->cap = cap;
	return true;
}

bool buf_append(struct buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return false;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

bool buf_append_byte(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

bool buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return false;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return true;
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ok;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

const char *buf_cstr(struct buf *b)
{
	if (b->data == NULL && !buf_reserve(b, 0))
		return "";
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

char *buf_steal(struct buf *b)
{
	char *p;

	if (b->data == NULL && !buf_reserve(b, 0))
		return NULL;
	b->data[b->len] = '\0';
	p = (char *)b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
