/*
 * smtp_client_int.h - what the parts of the SMTP client session (smtp_client.c,
 * smtp_client_data.c) and libtern's per-command dialogue (smtp_client_calls.c) share. Not for
 * use outside src/proto/smtp_client*.c.
 */
#ifndef TERN_PROTO_SMTP_CLIENT_INT_H
#define TERN_PROTO_SMTP_CLIENT_INT_H

#include "smtp_client.h"

/* Appends src[0..n) to the NUL-terminated text in dst[0..size) as one printable line: CR, LF
 * and TAB become spaces, other control characters '?'. What does not fit is cut at a UTF-8
 * character boundary. */
void smtp_client_clean_add(char *dst, size_t size, const char *src, size_t n);

/* v in decimal, written at the end of buf; returns where the digits start. */
const char *smtp_client_u64(uint64_t v, char buf[24]);

/* Appends the base64 of parts[0..nparts) concatenated (AUTH PLAIN's "\0user\0pass", a
 * LOGIN step) and CRLF to out; the blocks it used are wiped, so the secret is copied nowhere
 * but out. false when out of memory. */
bool smtp_client_put_base64(struct buf *out, const char *const *parts, const size_t *lens,
			    size_t nparts);

/* Sets what the keyword lines of an EHLO reply (the parsed text after its first line, lines
 * separated by '\n') offer; case-insensitive; unknown keywords are ignored. */
void smtp_client_ehlo_caps(struct smtp_client_caps *caps, const char *text, size_t len);

/* The text of a struct smtp_client_reply, kept one printable line of at most 511 octets. */
void smtp_client_text_add(struct smtp_client_reply *d, const char *s);
void smtp_client_text_add_u64(struct smtp_client_reply *d, uint64_t v);
/* Appends "454 4.7.0 TLS not available". */
void smtp_client_text_add_reply(struct smtp_client_reply *d, const struct smtp_reply *r);
/* The server's reply r, as the reply at `stage`. */
void smtp_client_reply_from(struct smtp_client_reply *d, const struct smtp_reply *r,
			    enum smtp_stage stage);
/* A failure the session writes itself (code 0 unless it stands for a server's refusal). */
void smtp_client_local_reply(struct smtp_client_reply *d, int code, struct enh_code enh,
			     enum smtp_stage stage, const char *text);

/* The checks of smtp_client_send before anything is sent: the SIZE limit, SMTPUTF8, and
 * addresses that cannot be written on a command line. Decides the recipients they fail (all
 * pending on entry); false when none is left to send. */
bool smtp_client_precheck(const struct smtp_client_caps *caps, const struct smtp_client_message *m,
			  struct smtp_rcpt_result *res);

#endif
