/*
 * sendmail_msg.h - what `sendmail` does to a message a program pipes to it before the message
 * is submitted: line ends made CRLF, with -t the recipients read from To, Cc and Bcc, the Bcc
 * fields taken out, and From, Date and Message-ID added when the message has none.
 *
 * Promises:
 *   - every address list of To, Cc and Bcc is read whole (display names, groups such as
 *     "undisclosed-recipients:;", comments, folded lines, however many addresses), with the
 *     same address checks as the envelope (address.h); a list that cannot be read is refused
 *     with the field named, never half used;
 *   - no Bcc field is ever in the output, with -t or without (it would tell every recipient
 *     who was copied in secret), its folded lines included;
 *   - a Subject holding raw UTF-8 (PHP's mail() writes it so) becomes RFC 2047 encoded-words;
 *   - a From whose address is a bare local name (cron writes "From: root (Cron Daemon)") is
 *     replaced by one with the sender, when there is a sender: no server takes the first;
 *   - nothing else of the message changes: fields keep their order and bytes, the body its
 *     lines (only the line ends become CRLF; a lone CR counts as a line end);
 *   - recipients come out once each (compared without regard to case), in order of appearance.
 *
 * Pure: no I/O, no clock (the date is passed in), no randomness (the Message-ID is passed in).
 * Allocates only the output.
 */
#ifndef TERN_PROTO_SENDMAIL_MSG_H
#define TERN_PROTO_SENDMAIL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "address.h"

struct sendmail_rcpts {
	char (*addr)[ADDRESS_MAX + 1];
	size_t count, cap;
};

struct sendmail_in {
	const uint8_t *msg; /* the message as piped: LF or CRLF line ends */
	size_t len;
	bool extract;		/* -t: recipients from To, Cc and Bcc */
	const char *sender;	/* the envelope sender, for a missing From ("" or NULL: none) */
	const char *full_name;	/* -F: the display name of that From (NULL: none) */
	int64_t date;		/* for a missing Date: unix seconds */
	int tz_offset_minutes;	/* and its zone; |offset| < 24 h */
	const char *message_id; /* for a missing Message-ID, without <> */
};

struct sendmail_out {
	struct buf message;	     /* what to submit */
	struct sendmail_rcpts rcpts; /* with extract: the header's recipients */
	char from[ADDRESS_MAX + 1];  /* the first mailbox of the From field, "" without one */
	bool added_from, added_date, added_message_id;
	bool replaced_from; /* the From held no address (cron's "root (Cron Daemon)") */
};

/* Fills out (which must be zeroed first). Returns 0, or -1 with a sentence in err saying what
 * is wrong with the message and what to do. Free out with sendmail_out_free either way. */
int sendmail_prepare(const struct sendmail_in *in, struct sendmail_out *out, struct buf *err);
void sendmail_out_free(struct sendmail_out *out);

/* Adds the addresses of one command-line argument ("a@example.org", "Bob <b@example.org>,
 * c@example.org") to r, each once. Returns 0, or -1 with the problem in err. */
int sendmail_rcpts_parse(struct sendmail_rcpts *r, const char *arg, struct buf *err);
/* Adds one checked address to r unless it is there already. false: out of memory. */
bool sendmail_rcpts_add(struct sendmail_rcpts *r, const char *addr);
void sendmail_rcpts_free(struct sendmail_rcpts *r);

/* Is line[0..len) (its line end excluded) the lone "." that ends a message on standard input
 * when neither -i nor -oi is given? */
bool sendmail_is_dot_line(const uint8_t *line, size_t len);

#endif
