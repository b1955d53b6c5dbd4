/*
 * dkim_int.h - what the two halves of DKIM canonicalization share: dkim_canon.c (header fields,
 * parameters and the signing input) and dkim_body.c (the body). Not for other modules.
 */
#ifndef TERN_PROTO_DKIM_INT_H
#define TERN_PROTO_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

static inline bool dkim_is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* WSP, CR or LF: what ends a run in relaxed canonicalization */
static inline bool dkim_is_special(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Restores a buffer to an earlier length after a failure; false, for `return`. */
static inline bool dkim_rollback(struct buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
	return false;
}

/* Where the header section ends (the start of the first empty line) and the body begins;
 * both are len when there is no empty line. */
void dkim_split_message(const uint8_t *msg, size_t len, size_t *hdr_end, size_t *body);

#endif
