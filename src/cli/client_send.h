/*
 * client_send.h - one submission through libtern for `tern send` and `tern sendmail`:
 * connect, greet, log in, send one message; what to print when something fails, and which
 * sysexits.h status a program calling us should get.
 *
 * Exit statuses (the ones sendmail uses, so programs that check them keep working):
 *   EX_TEMPFAIL (75)    a 4xx reply, or the server cannot be reached now (refused, timed out,
 *                       unreachable, connection lost): try again later
 *   EX_NOHOST (68)      the server's name does not resolve
 *   EX_NOPERM (77)      the login was refused, or the server refused the sender or a
 *                       recipient for policy (5.7.x)
 *   EX_NOUSER (67)      a recipient was refused as unknown (5.1.x)
 *   EX_DATAERR (65)     the server refused the message itself (size 5.3.4, content 5.6.x)
 *   EX_CONFIG (78)      the certificate is not trusted or not for that name: configuration
 *   EX_UNAVAILABLE (69) any other permanent refusal, or TLS that cannot be had
 *   EX_PROTOCOL (76)    the server does not speak SMTP
 * Every failure prints what happened and what to do; a refusal also prints the reply and its
 * explanation from tern's knowledge base.
 */
#ifndef TERN_CLI_CLIENT_SEND_H
#define TERN_CLI_CLIENT_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <tern/client.h>

#include "cli/client_conf.h"

/* Opens the connection, says EHLO (with STARTTLS when the mode asks) and logs in when a user
 * is configured. NULL on failure, with the problem printed (prefixed "who: ") and *status set. */
tern_client *client_begin(const struct client_conf *c, const char *who, int *status);

/* Sends one message and ends the session (QUIT, close). On success prints the queue id from
 * the server's reply to id_out (when not NULL) and returns 0; else prints the problem and
 * returns its exit status. */
int client_finish(tern_client *t, const char *who, const char *from, const char *const *rcpts,
		  size_t n, const void *msg, size_t len, FILE *id_out);

/* The exit status for a libtern error (see above). */
int client_status(const struct tern_error *e);

/* Prints a libtern error: its message, and for a refusal the reply and its explanation. */
void client_report(const char *who, const struct tern_error *e);

/* `chars` random hex digits (at most 64) and a NUL into out, for Message-IDs and MIME
 * boundaries: getrandom(2), or should it fail the process id and the time, which keep them
 * unique enough for what they are used for. */
void client_random_hex(char *out, size_t chars);

/* A Message-ID value without the brackets: "UNIXTIME.RANDOM@DOMAIN", DOMAIN being that of
 * `address` ("localhost" when it has none). */
void client_message_id(const char *address, char *out, size_t size);

/* The queue id in a 250 reply's text ("Ok: queued as 01KAQ...", "OK id=1abc-00"), copied
 * into out; false when the text names none. */
bool client_queue_id(const char *text, char *out, size_t size);

#endif
