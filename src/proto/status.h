/*
 * status.h - the knowledge base: what every SMTP reply code and enhanced status code means.
 *
 * One table of facts, used by `tern explain`, the logs, bounce texts, the delivery engine's
 * retry / bounce / suppress decisions and the client library. Never two lists of the same
 * facts: anything that needs to know what "550 5.1.1" means asks here.
 *
 * Three tables feed it:
 *   - basic reply codes (RFC 5321 and the non-standard ones real servers send),
 *   - enhanced status codes (every code of the IANA registry, written "X.s.d"),
 *   - text patterns of well-known real replies, which refine the category where the code
 *     alone is vague (550 and 5.7.1 cover spam, policy, relay denial and blocklists alike).
 * An enhanced code missing from the table falls back to the meaning of its subject
 * (X.s.0) and class, as RFC 3463 asks of clients.
 *
 * Pure: no I/O, no allocation. All strings are static.
 */
#ifndef TERN_PROTO_STATUS_H
#define TERN_PROTO_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What kind of problem a reply reports. Later modules key bounces, suppression and metrics
 * on these; the names (status_category_name) are part of tern's interface. */
enum st_category {
	CAT_UNKNOWN = 0,
	CAT_USER_UNKNOWN,	 /* the mailbox does not exist */
	CAT_MAILBOX_FULL,	 /* over quota, out of space for this user */
	CAT_MAILBOX_DISABLED,	 /* exists but suspended, inactive, not accepting mail */
	CAT_HOST_UNKNOWN,	 /* the recipient's domain or mail host cannot be found */
	CAT_DOMAIN_NO_MAIL,	 /* the domain says it takes no mail (null MX, 521/556) */
	CAT_RELAY_DENIED,	 /* the server will not relay for this sender/recipient */
	CAT_AUTH_REQUIRED,	 /* authenticate first */
	CAT_AUTH_FAILED,	 /* credentials or mechanism refused */
	CAT_SENDER_REJECTED,	 /* the sender address is refused (not owned, unknown domain) */
	CAT_BLOCKED,		 /* the sending IP or domain is blocked (blocklists, reputation) */
	CAT_SPAM,		 /* the content was judged to be spam */
	CAT_VIRUS,		 /* malware found in the content */
	CAT_POLICY,		 /* a local policy refuses it (DMARC, SPF, content rules) */
	CAT_TOO_LARGE,		 /* the message exceeds a size limit */
	CAT_TOO_MANY_RECIPIENTS, /* too many recipients in one transaction */
	CAT_RATE_LIMITED,	 /* too much, too fast: send slower */
	CAT_GREYLISTED,		 /* deliberate first-attempt deferral */
	CAT_NETWORK,		 /* connection refused, dropped, unreachable */
	CAT_TIMEOUT,		 /* no answer in time */
	CAT_LOOP,		 /* mail loop, too many hops */
	CAT_STORAGE,		 /* the server's disk or queue is full */
	CAT_SYSTEM,		 /* a fault inside a mail system */
	CAT_SYNTAX,		 /* a malformed command, address or parameter */
	CAT_PROTOCOL,		 /* commands out of order, unsupported extension */
	CAT_TLS_REQUIRED,	 /* encryption needed first */
	CAT_EXPIRED,		 /* gave up after the retry period */
	CAT_SUCCESS,		 /* nothing wrong */
	CAT__COUNT
};

/* Who most likely has to act to fix it. */
enum st_actor {
	ACTOR_NONE = 0,		 /* nobody: success */
	ACTOR_SENDING_PROGRAM,	 /* the application or client that submitted the mail */
	ACTOR_SENDING_SERVER,	 /* the sending mail server or its provider (ISP, relay) */
	ACTOR_NETWORK,		 /* routers, firewalls, DNS between the two */
	ACTOR_RECEIVING_SERVER,	 /* the recipient's mail server and its administrator */
	ACTOR_RECIPIENT_MAILBOX, /* the recipient (their mailbox, their settings) */
	ACTOR_POLICY,		 /* policy or reputation: blocklists, anti-spam, DMARC */
	ACTOR__COUNT
};

/* Whether sending the same thing again can succeed. */
enum st_retry {
	RETRY_NOT_NEEDED = 0, /* success or intermediate: nothing to retry */
	RETRY_LATER,	      /* transient: the same attempt may succeed later */
	RETRY_NO,	      /* permanent: it fails again until something is changed */
	RETRY_BY_CLASS,	      /* enhanced-code entries: decided by the class of the reply */
};

/* What the overall verdict on a reply (or a bounce text) is. */
enum st_verdict {
	VERDICT_UNKNOWN = 0,  /* no code, and nothing in the words says which */
	VERDICT_SUCCESS,      /* 2xx */
	VERDICT_INTERMEDIATE, /* 3xx: go on (354, 334) */
	VERDICT_TRANSIENT,    /* 4xx: persistent transient failure */
	VERDICT_PERMANENT,    /* 5xx: permanent failure */
};

/* An RFC 3463 enhanced status code: class.subject.detail; cls == 0 means "none". */
struct enh_code {
	uint8_t cls;	  /* 2, 4 or 5 */
	uint16_t subject; /* 0..999 */
	uint16_t detail;  /* 0..999 */
};

/* One entry of the basic or the enhanced table. Every text is complete sentences in plain
 * words; none is empty. */
struct status_info {
	const char *code;    /* "550", or "X.1.1" for enhanced codes */
	const char *title;   /* a few words: "Mailbox unavailable" */
	const char *meaning; /* what the reply says happened */
	const char *causes;  /* the usual causes, most likely first */
	const char *action;  /* what the sender should do */
	enum st_actor actor;
	enum st_category category;
	enum st_retry retry; /* RETRY_BY_CLASS for enhanced codes */
	bool vague; /* used for many unrelated causes (550, 554, X.7.1): let the text decide */
};

/* A text pattern of well-known real replies. `match` holds alternatives separated by '|';
 * within one alternative '*' stands for any run of characters on the same reply. Matching is
 * case-insensitive. `codes` optionally restricts the pattern to replies whose basic or
 * enhanced code starts with one of the '|'-separated prefixes ("5.4.1|550"); NULL for any. */
struct status_pattern {
	const char *name; /* short stable id, e.g. "greylisting" */
	const char *match;
	const char *codes;
	enum st_category category;
	enum st_actor actor;
	const char *meaning; /* what this kind of reply means */
	const char *causes;
	const char *action;
	enum st_verdict
		verdict; /* VERDICT_UNKNOWN, or the verdict its words imply when no code says */
};

/* Class texts (2, 4, 5) and basic-code second-digit texts (x0x, x1x, ...) for fallbacks. */
struct status_class_info {
	int digit;
	const char *title;
	const char *meaning;
};

/* The tables themselves (status_basic.c, status_enhanced.c, status_patterns.c). Basic and
 * enhanced tables are sorted by code; a unit test keeps them so. */
extern const struct status_info status_basic_table[];
extern const size_t status_basic_count;
extern const struct status_info status_enhanced_table[];
extern const size_t status_enhanced_count;
extern const struct status_pattern status_pattern_table[];
extern const size_t status_pattern_count;
extern const struct status_class_info status_class_table[]; /* by first digit */
extern const size_t status_class_count;
extern const struct status_class_info status_basic_group_table[]; /* by second digit */
extern const size_t status_basic_group_count;

/* Lookups. Each returns NULL when there is no exact entry. */
const struct status_info *status_basic(int code);
const struct status_info *status_enhanced(uint16_t subject, uint16_t detail);
const struct status_class_info *status_class(int digit);
const struct status_class_info *status_basic_group(int second_digit);

/* The enhanced entry to explain `e` with: exact, else its subject's X.s.0, else X.0.0.
 * *exact tells which. Never NULL for a code with cls != 0. */
const struct status_info *status_enhanced_fallback(struct enh_code e, bool *exact);

/* The first category pattern (category != CAT_UNKNOWN) that matches `text` (len bytes) and
 * agrees with the codes (basic 0 and enhanced cls 0 when absent), or NULL. */
const struct status_pattern *status_pattern_match(const char *text, size_t len, int basic,
						  struct enh_code enhanced);
/* The first verdict phrase (a pattern with category CAT_UNKNOWN and a verdict: "will retry",
 * "delivery incomplete") found in `text`, or NULL. It tells whether a report as a whole is a
 * delay notice or a final failure, whatever the quoted reply says. */
const struct status_pattern *status_verdict_phrase(const char *text, size_t len);

/* Names for programs (JSON, logs, metrics) and words for people. */
const char *status_category_name(enum st_category c);
bool status_category_from_name(const char *name, enum st_category *out);
const char *status_actor_name(enum st_actor a);	    /* "receiving_server" */
const char *status_actor_words(enum st_actor a);    /* "the receiving server" */
const char *status_verdict_name(enum st_verdict v); /* "permanent" */
enum st_verdict status_verdict_of_class(int digit);

/* Formats "5.1.1" into buf (at least 12 bytes); returns buf. */
const char *enh_code_format(struct enh_code e, char *buf, size_t size);
/* Parses exactly "c.s.d" (no leading zeros beyond a single 0, 1-3 digits each part, class
 * 2/4/5) from s[0..len). Returns true and fills *out when the whole input is one code. */
bool enh_code_parse(const char *s, size_t len, struct enh_code *out);

#endif
