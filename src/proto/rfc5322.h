/*
 * rfc5322.h - the little of the Internet Message Format the submission server needs now:
 * finding whether a header field is present in a message's header section.
 *
 * Pure: no I/O, no allocation. The header section ends at the first empty line (or the end
 * of the message); folded continuation lines are not field names.
 */
#ifndef TERN_PROTO_RFC5322_H
#define TERN_PROTO_RFC5322_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the header section, the empty line that ends it included. */
size_t rfc5322_header_length(const uint8_t *msg, size_t len);

/* True when a field named `name` (case-insensitive) starts a line of the header section. */
bool rfc5322_has_field(const uint8_t *msg, size_t len, const char *name);

#endif
