/*
 * mime_build.h - builds a whole Internet message (RFC 5322 with MIME, RFC 2045-2049) from what a
 * person gives `tern send`: addresses, a subject, a text and/or HTML body, attachments and
 * extra header fields.
 *
 * Promises, whatever the input:
 *   - CRLF line ends only, no line longer than 998 octets, header fields folded at 78 columns
 *     wherever they have a space to fold at (encoded-words always have one): a longer header
 *     line is one word that cannot be broken (a long address or content type);
 *   - the header section is ASCII: UTF-8 in the Subject, display names and extra fields becomes
 *     RFC 2047 encoded-words ("=?utf-8?b?...?=", at most 75 characters each, never splitting a
 *     character); invalid UTF-8 is refused;
 *   - no header injection: CR, LF, NUL or another control character in a subject, name, field
 *     or file name is refused with a message saying which input and what to do;
 *   - Date, Message-ID and MIME-Version always (Date and Message-ID may be given as extra
 *     fields instead);
 *   - a text body is 7bit when it is ASCII with lines of at most 998 octets, 8bit when it is
 *     UTF-8 with such lines and the server takes 8BITMIME, quoted-printable otherwise;
 *     charset=utf-8; line ends of any kind become CRLF;
 *   - text and HTML together: multipart/alternative; attachments: multipart/mixed, each base64
 *     at 76 columns, its type from the file extension (application/octet-stream when unknown),
 *     the file name in RFC 2231 form (filename*=utf-8''...) when it is not plain ASCII;
 *   - a boundary never occurs in the content: a 7bit or 8bit body that holds the boundary's
 *     prefix is sent quoted-printable, which writes every '=' as "=3D".
 *
 * Pure: no I/O, no clock, no randomness: the date, the Message-ID and a seed for the boundaries
 * come from the caller. Allocates only the output.
 */
#ifndef TERN_PROTO_MIME_BUILD_H
#define TERN_PROTO_MIME_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

#define MIME_LINE_MAX	    998 /* octets of a line, CRLF excluded (RFC 5322 2.1.1) */
#define MIME_FOLD	    78	/* columns a header line is folded at (RFC 5322 2.1.1 SHOULD) */
#define MIME_WORD_MAX	    75	/* characters of an encoded-word (RFC 2047 2) */
#define MIME_B64_LINE	    76	/* characters of a base64 line (RFC 2045 6.8) */
#define MIME_SEED_MAX	    40	/* characters of the boundary seed */
#define MIME_FIELD_NAME_MAX 76	/* octets of an extra field's name */

struct mime_mailbox {
	const char *name; /* display name (UTF-8), NULL or "" for none */
	const char *addr; /* "local@domain", ASCII */
};

struct mime_attachment {
	const char *filename;	  /* the name the recipient sees (UTF-8, no directory part) */
	const char *content_type; /* "type/subtype", or NULL: from the file name's extension */
	const uint8_t *data;
	size_t len;
};

struct mime_field {
	const char *name;  /* "Reply-To", "X-Campaign", ... */
	const char *value; /* one line; UTF-8 is written as encoded-words */
};

struct mime_message {
	struct mime_mailbox from;
	const struct mime_mailbox *to; /* none at all: "To: undisclosed-recipients:;" */
	size_t to_count;
	const struct mime_mailbox *cc;
	size_t cc_count;
	const char *subject; /* NULL: no Subject field */
	const uint8_t *text; /* the text/plain body, NULL for none */
	size_t text_len;
	const uint8_t *html; /* the text/html body, NULL for none */
	size_t html_len;
	const struct mime_attachment *attachments;
	size_t attachment_count;
	const struct mime_field *fields; /* extra header fields, in order */
	size_t field_count;
	int64_t date;		   /* unix seconds for the Date field */
	int tz_offset_minutes;	   /* the Date's zone; |offset| < 24 h */
	const char *message_id;	   /* "unique@domain", without the angle brackets */
	const char *boundary_seed; /* 1..MIME_SEED_MAX letters and digits, random per message */
	bool allow_8bit;	   /* the server offers 8BITMIME: UTF-8 text may go as 8bit */
};

/* Appends the message to out. Returns 0, or -1 with a sentence in err (appended) saying which
 * input is wrong and what to do; out may then hold a partial message. */
int mime_build(const struct mime_message *m, struct buf *out, struct buf *err);

/* Appends one header field "Name: mailbox, mailbox\r\n", display names encoded and the list
 * folded. Returns 0, or -1 with the problem in err. */
int mime_put_mailboxes(struct buf *out, const char *name, const struct mime_mailbox *v, size_t n,
		       struct buf *err);

/* Appends one unstructured header field "Name: value\r\n" (encoded-words when the value is not
 * plain ASCII, folded). Returns 0, or -1 with the problem in err. */
int mime_put_text_field(struct buf *out, const char *name, const char *value, struct buf *err);

/* The content type for a file name, from its extension (case does not matter);
 * "application/octet-stream" when the extension is unknown or missing. */
const char *mime_type_for(const char *filename);

#endif
