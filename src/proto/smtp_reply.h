/*
 * smtp_reply.h - parse SMTP replies from a server, single and multi-line, into code,
 * enhanced status code and text.
 *
 * Pure: no I/O, no allocation; the reply is written into the caller's struct. Never reads past
 * len. Bounded: a line longer than SMTP_REPLY_LINE_MAX, more than SMTP_REPLY_LINES_MAX lines,
 * a NUL byte or a malformed line is an error, so a hostile server cannot make the caller
 * buffer without end. The caller needs to keep at most SMTP_REPLY_BYTES_MAX bytes to make
 * progress.
 */
#ifndef TERN_PROTO_SMTP_REPLY_H
#define TERN_PROTO_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send longer lines, and a
 * client that refuses them fails deliveries for nothing. 2 KiB is generous and still bounded. */
#define SMTP_REPLY_LINE_MAX  2048
#define SMTP_REPLY_LINES_MAX 128
#define SMTP_REPLY_BYTES_MAX (SMTP_REPLY_LINE_MAX * SMTP_REPLY_LINES_MAX)
/* Text kept for the caller; longer replies are truncated (the codes are always kept). */
#define SMTP_REPLY_TEXT_MAX 4096

enum smtp_reply_status {
	SMTP_REPLY_OK = 0, /* one complete reply parsed */
	SMTP_REPLY_MORE,   /* incomplete: feed more bytes */
	SMTP_REPLY_ERROR,  /* malformed or over a bound: give up on this server */
};

enum smtp_reply_error {
	SMTP_REPLY_E_NONE = 0,
	SMTP_REPLY_E_LINE_TOO_LONG,
	SMTP_REPLY_E_TOO_MANY_LINES,
	SMTP_REPLY_E_SYNTAX,	    /* not "DDD", "DDD-" or "DDD " at the start of a line */
	SMTP_REPLY_E_CODE_MISMATCH, /* a continuation line with another code */
	SMTP_REPLY_E_NUL,	    /* NUL byte in a reply */
};

struct smtp_reply {
	int code;	     /* 200..599 */
	struct enh_code enh; /* from the first line, cls 0 when the server sent none */
	size_t nlines;
	bool truncated; /* text was longer than SMTP_REPLY_TEXT_MAX */
	size_t text_len;
	char text[SMTP_REPLY_TEXT_MAX]; /* each line's text after the codes, joined with '\n';
					 * control characters other than TAB become '?' */
};

/* Parses one complete reply at the start of in[0..len). On SMTP_REPLY_OK, *consumed is the
 * number of bytes it took (including the final line end) and *r is filled. On
 * SMTP_REPLY_ERROR, *err says why. Line ends are CRLF; a bare LF is tolerated from servers. */
enum smtp_reply_status smtp_reply_parse(const uint8_t *in, size_t len, struct smtp_reply *r,
					size_t *consumed, enum smtp_reply_error *err);

const char *smtp_reply_error_text(enum smtp_reply_error err);

/* Reads "c.s.d" at the start of s (len bytes) followed by a space, end, or line end. Returns
 * its length, or 0 when s does not start with an enhanced status code. */
size_t enh_code_prefix(const char *s, size_t len, struct enh_code *out);

#endif
