/*
 * rfc5322.h - the little of the Internet Message Format the submission server needs now:
 * finding whether a header field is present in a message's header section, and writing the
 * date-time of a Date field.
 *
 * Pure: no I/O, no allocation beyond the caller's buffer. The header section ends at the first empty line (or the end
 * of the message); folded continuation lines are not field names.
 */
#ifndef TERN_PROTO_RFC5322_H
#define TERN_PROTO_RFC5322_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

/* Length of the header section, the empty line that ends it included. */
size_t rfc5322_header_length(const uint8_t *msg, size_t len);

/* True when a field named `name` (case-insensitive) starts a line of the header section. */
bool rfc5322_has_field(const uint8_t *msg, size_t len, const char *name);

/* Appends an RFC 5322 date-time, "Tue, 14 Nov 2023 17:13:20 -0500", for unix time t shown at
 * an offset of tz_minutes from UTC (|offset| < 24 h). The clock is the caller's: pure. */
bool rfc5322_put_date(struct buf *b, int64_t t, int tz_minutes);

#endif
