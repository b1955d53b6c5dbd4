/*
 * dsn.h - delivery status notifications: the bounce or delay notice tern sends back to the
 * envelope sender of a message it could not deliver (or not yet), as an RFC 3464 report in
 * an RFC 6522 multipart/report; report-type=delivery-status.
 *
 * A DSN is read twice: by a person, who needs to know what happened and what to do, and by a
 * program (the sending application, a list manager), which parses the machine part. So a DSN
 * has three parts:
 *   1. text/plain; charset=utf-8: per recipient, the knowledge base's words for the failure
 *      (explain_reply(), the same knowledge `tern explain` uses: title, meaning, action),
 *      the reply quoted, and for delays until when tern keeps trying;
 *   2. message/delivery-status: Reporting-MTA, Arrival-Date, then per recipient
 *      Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date and
 *      Will-Retry-Until. Always 7-bit: a non-ASCII address is written "utf-8;" in the
 *      utf-8-addr-xtext form of RFC 6533 (\x{E9}), non-ASCII in a reply becomes '?';
 *   3. text/rfc822-headers: the original's header section (never its body), line ends made
 *      CRLF, at most DSN_HEADERS_MAX octets.
 *
 * Promises, whatever the inputs:
 *   - CRLF line ends only, and no line longer than DSN_LINE_MAX (998) octets: replies are
 *     cut at DSN_REPLY_MAX and folded at spaces; an over-long header line of the original is
 *     folded by force;
 *   - no CR, LF, NUL or other control character of a reply or an address reaches a field:
 *     replies have them replaced by spaces, fields given by the caller are refused if they
 *     hold any (no header injection);
 *   - the boundary occurs only as the parts' delimiters: a report whose content would hold a
 *     line starting with it is refused, so the caller may pick another;
 *   - Auto-Submitted: auto-replied (RFC 3834), so that auto-responders do not answer it.
 * The caller sends the result with an empty envelope sender (MAIL FROM:<>, RFC 5321 4.5.5),
 * which is also why a report to the null sender is refused. When the sender or the original
 * header section is not ASCII the message is 8-bit (8BITMIME, and SMTPUTF8 for an address).
 *
 * Pure: no I/O, no clock (times are passed in), no randomness (the boundary and the
 * Message-ID come from the caller). Allocates only the output and scratch space.
 */
#ifndef TERN_PROTO_DSN_H
#define TERN_PROTO_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "status.h"

#define DSN_LINE_MAX	   998		  /* octets of a line, CRLF excluded (RFC 5322 2.1.1) */
#define DSN_REPLY_MAX	   2048		  /* octets of a reply quoted; longer is cut, "..." */
#define DSN_HEADERS_MAX	   (256 * 1024)	  /* octets of the original returned at most */
#define DSN_BOUNDARY_MAX   70		  /* RFC 2046 5.1.1 */
#define DSN_MESSAGE_ID_MAX 250		  /* octets of the Message-ID value, <> excluded */
#define DSN_HOST_MAX	   255		  /* octets of a host name */
#define DSN_TIME_MAX	   253402300799LL /* 9999-12-31 23:59:59 UTC: four-digit years */

enum dsn_action { DSN_FAILED, DSN_DELAYED };

struct dsn_recipient {
	const char *address;	/* final recipient (the RCPT TO address, no brackets) */
	enum dsn_action action; /* failed: given up for good; delayed: still being retried */
	struct enh_code status; /* e.g. 5.1.1; cls 0 -> 5.0.0 / 4.0.0 from basic code or action */
	int basic;		/* the remote reply's basic code, 0 when the failure was local */
	/* The remote reply: its text after the codes (smtp_reply's text; the codes are put in
	 * front) or the whole reply as received; with basic 0, a local description ("Host or
	 * domain name not found"). May hold CR, LF, NUL: they become spaces. */
	const char *reply;
	size_t reply_len;
	const char *remote_mta; /* host name that answered, or NULL/"" */
	int64_t last_attempt;	/* unix seconds, 0 = none */
	int64_t retry_until;	/* for DSN_DELAYED: when tern gives up, 0 = not shown */
};

struct dsn_report {
	const char *reporting_mta;   /* our host name (FQDN) */
	const char *queue_id;	     /* shown to the reader; NULL/"" = not shown */
	const char *original_sender; /* envelope sender of the original; the DSN is sent to it */
	const char *message_id;	     /* the DSN's own Message-ID value without <> */
	const char *boundary;	     /* MIME boundary; must not start a line of the content */
	int64_t arrival;	     /* when the original was accepted; 0 = not shown */
	int64_t now;		     /* Date of the DSN */
	int tz_offset_minutes;	     /* for the dates shown; 0 = +0000; |offset| < 24 h */
	const struct dsn_recipient *rcpts;
	size_t rcpt_count;
	const uint8_t *original; /* the original message (its header section is returned) */
	size_t original_len;
};

/* Builds the whole DSN message (header section + body, CRLF line ends), appended to out.
 * Returns false on a buffer failure or invalid input (no recipients, missing or malformed
 * fields, a control character in a field, the boundary found in the content); out is then
 * left as it was. Subject "Undelivered Mail Returned to Sender" when any recipient failed,
 * else "Delayed Mail (still being retried)". */
bool dsn_build(const struct dsn_report *r, struct buf *out);

#endif
