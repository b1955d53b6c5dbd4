/*
 * buf.h - the one growable byte buffer of tern.
 *
 * Every module that builds bytes (replies, log lines, JSON, spooled messages) uses this type.
 * A buffer may be given a hard limit: growth past it fails instead of eating memory, which is
 * how input from the network stays bounded. Allocation failure and the limit are reported the
 * same way (false / -1); the buffer is left as it was.
 */
#ifndef TERN_LIB_BUF_H
#define TERN_LIB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	uint8_t *data; /* NUL-terminated when len > 0 or after buf_cstr, for convenience */
	size_t len;
	size_t cap;
	size_t limit; /* 0: no limit beyond SIZE_MAX */
};

/* A read-only view of bytes owned by someone else. */
struct slice {
	const uint8_t *data;
	size_t len;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */

bool buf_reserve(struct buf *b, size_t extra);
bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_append_str(struct buf *b, const char *s);
bool buf_append_byte(struct buf *b, uint8_t c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* The contents as a C string (always terminated; "" for an empty buffer). */
const char *buf_cstr(struct buf *b);

/* Takes ownership of the bytes (NUL-terminated); the buffer becomes empty. Free with free(). */
char *buf_steal(struct buf *b);

static inline struct slice buf_slice(const struct buf *b)
{
	struct slice s = { b->data, b->len };
	return s;
}

static inline struct slice slice_from_cstr(const char *s)
{
	struct slice sl = { (const uint8_t *)s, s ? strlen(s) : 0 };
	return sl;
}

#endif
