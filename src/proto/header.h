/*
 * header.h - what the sender policy reads from a message's header section (RFC 5322): its
 * size, how many Received fields it has, and the mailboxes of From and Sender.
 *
 * Pure and bounded: no I/O, no allocation, no recursion (nested comments are counted, not
 * recursed into), every loop moves forward through the input. Addresses found are checked
 * with the envelope parser (address.h), so "valid" means the same thing in the header as in
 * MAIL FROM. UTF-8 is accepted only when the message came with SMTPUTF8 (RFC 6532).
 */
#ifndef TERN_PROTO_HEADER_H
#define TERN_PROTO_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"

struct header_span {
	size_t off, len; /* into the message; len 0: absent */
};

struct header_scan {
	bool has_header;		 /* a header section that starts with a field */
	bool too_big;			 /* the header section is longer than the limit given */
	size_t length;			 /* of the header section, its empty line included */
	size_t received;		 /* Received fields */
	size_t from_fields;		 /* From fields (RFC 5322 wants exactly one) */
	size_t sender_fields;		 /* Sender fields (at most one) */
	struct header_span from, sender; /* the first of each: the value after the colon */
};

/* The length of a field name at p[0..n) followed (after optional WSP, obsolete but seen) by
 * ':'; 0 when the line starts no field. *colon gets the colon's index. */
size_t header_field_name(const uint8_t *p, size_t n, size_t *colon);

/* Scans msg[0..len) (CRLF line ends) up to the end of the header section or `limit` octets. */
void header_scan(const uint8_t *msg, size_t len, size_t limit, struct header_scan *out);

enum mailbox_error {
	MAILBOX_OK = 0,
	MAILBOX_E_QUOTE,   /* unterminated quoted string */
	MAILBOX_E_COMMENT, /* comment not closed, or ')' without '(' */
	MAILBOX_E_ANGLE,   /* '<' without '>' or the other way round */
	MAILBOX_E_GROUP,   /* a group without its ';' */
	MAILBOX_E_ADDRESS, /* an addr-spec that is no valid address */
};

#define MAILBOX_MAX 16 /* addresses kept from one field; more are counted */

struct mailbox_list {
	struct address addr[MAILBOX_MAX];
	size_t count;			  /* mailboxes in the field (may exceed MAILBOX_MAX) */
	size_t groups;			  /* groups ("undisclosed-recipients:;") seen */
	enum mailbox_error error;	  /* the first problem */
	enum address_error address_error; /* for MAILBOX_E_ADDRESS */
	char bad[96];			  /* the offending text, for the reply; cut short */
};

/* Parses a From or Sender value (mailbox-list, groups allowed) of v[0..len). Returns
 * out->error. */
enum mailbox_error mailbox_list_parse(const uint8_t *v, size_t len, bool smtputf8,
				      struct mailbox_list *out);

/* The same, and each(a, ctx) for every mailbox in order, however many there are (address
 * lists of To, Cc and Bcc are longer than MAILBOX_MAX). Mailboxes before an error have been
 * passed on already; the caller decides what a failed list means. */
enum mailbox_error mailbox_list_walk(const uint8_t *v, size_t len, bool smtputf8,
				     void (*each)(const struct address *a, void *ctx), void *ctx,
				     struct mailbox_list *out);

/* A short reason for a mailbox_error, e.g. "unterminated quoted string". */
const char *mailbox_error_text(const struct mailbox_list *l);

#endif
