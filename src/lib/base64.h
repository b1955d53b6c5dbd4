/*
 * base64.h - strict RFC 4648 base64, as SMTP AUTH uses it.
 *
 * Decoding refuses anything that is not canonical base64: characters outside the alphabet,
 * wrong padding, a length that is not a multiple of four. SMTP AUTH answers such input with
 * "501 5.5.2 ... not a valid Base64 string", so being lenient would only hide client bugs.
 */
#ifndef TERN_LIB_BASE64_H
#define TERN_LIB_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes needed to encode n bytes, plus the terminating NUL. */
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)
/* At most this many bytes come out of decoding n characters. */
#define BASE64_DECODED_MAX(n) (((n) / 4) * 3)

/* Writes the encoding of in[0..len) and a NUL into out (BASE64_ENCODED_SIZE(len) bytes);
 * returns the length without the NUL. */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

/* Decodes in[0..len) into out (room for BASE64_DECODED_MAX(len) bytes). Returns false for
 * input that is not canonical base64; *out_len is set on success. Empty input decodes to
 * nothing. */
bool base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

#endif
