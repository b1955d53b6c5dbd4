/*
 * reply_scan.h - find SMTP replies quoted inside prose: bounce messages, delivery reports,
 * log lines, error messages pasted by a person.
 *
 * Real bounces rarely hold a clean reply. The codes come with the enhanced code missing, or
 * written "#5.1.1" / "(#5.1.1)"; the reply is quoted inside a sentence ("host mx.example.com[
 * 192.0.2.1] said: 550 5.1.1 ...", "SMTP error from remote mail server after RCPT TO:<x>:
 * 550 ...", "Remote host said: 554 ..."), wrapped over indented lines, spread over a
 * multi-line transcript ("<<< 550-5.1.1 ..."), or given as DSN fields ("Status: 5.1.1",
 * "Diagnostic-Code: smtp; 550 ..."). The scanner finds each reply with its codes, its text
 * joined back into one line, and when the prose says so, the command it answered and the
 * server that sent it.
 *
 * Pure: no I/O, no allocation. Linear in the input; output bounded by the caller's array.
 */
#ifndef TERN_PROTO_REPLY_SCAN_H
#define TERN_PROTO_REPLY_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define REPLY_SCAN_TEXT_MAX 1024
#define REPLY_SCAN_HOST_MAX 256

enum finding_kind {
	FIND_REPLY = 0,	 /* a basic code, with or without an enhanced code */
	FIND_ENHANCED,	 /* an enhanced code standing alone ("#5.1.1", "dsn=5.1.1") */
	FIND_DSN_STATUS, /* an RFC 3464 "Status:" field */
};

struct reply_context {
	const char *command; /* "RCPT TO", "DATA", "CONNECT" (the greeting) ..., or NULL */
	char host[REPLY_SCAN_HOST_MAX]; /* the remote server's name, or "" */
	char ip[64];			/* its address, or "" */
	char port[8];			/* its port, or "" */
};

struct reply_finding {
	int basic;	     /* 0 when absent */
	struct enh_code enh; /* cls 0 when absent */
	enum finding_kind kind;
	size_t start, end; /* the span of input it was read from */
	size_t text_len;
	char text[REPLY_SCAN_TEXT_MAX]; /* the reply's words, codes removed, lines joined */
	struct reply_context ctx;
};

/* Finds up to max replies in in[0..len), in the order they appear. Returns how many. */
size_t reply_scan(const char *in, size_t len, struct reply_finding *out, size_t max);

/* Reads what prose around a failure says about it (the command, the server), from in[from..to).
 * Used for replies and for failures that carry no code at all ("connect to host[ip]:25:
 * Connection refused"). Fields not found are left empty. */
void reply_scan_context(const char *in, size_t from, size_t to, struct reply_context *ctx);

/* Finds a number of seconds that a reply asks the sender to wait ("please come back in
 * 00:02:00", "try again in 5 minutes", "retry after 300 seconds"). 0 when it names none. */
long reply_retry_after(const char *text, size_t len);

#endif
