/*
 * doctor_smtp.h - what the two halves of `tern doctor smtp` share: doctor_smtp.c (the command,
 * the host name, TCP, the raw greeting probe) and doctor_dialogue.c (the libtern connection:
 * EHLO, TLS, AUTH, MAIL, RCPT, the message). Not for use elsewhere.
 */
#ifndef TERN_CLI_DOCTOR_SMTP_H
#define TERN_CLI_DOCTOR_SMTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include <tern/client.h>

#include "cli/doctor.h"

#define SMTP_SEP "\x1f" /* between seen and todo in doc_stepf */

enum mode { M_AUTO, M_STARTTLS, M_IMPLICIT, M_NONE };

struct smtpdoc {
	struct doc_report *rep;
	const char *arg; /* HOST[:PORT] as given */
	char host[256];
	int port;
	enum mode mode;
	bool mode_given; /* --tls other than auto */
	const char *user, *password_file, *from, *to, *ca_file, *alternatives;
	char password[512];
	bool send;
	int timeout_ms;
	bool is_name;
	struct sockaddr_storage addr;		     /* the address connected to (or tried first) */
	struct sockaddr_storage more[DNS_ADDRS_MAX]; /* the name's other addresses, in order */
	size_t nmore;
	char addrtext[INET6_ADDRSTRLEN];
	char greeting[1024];
	tern_client *c;
};

/* The title of a step by its name ("tls" -> "TLS"). */
const char *smtp_step_title(const char *name);

/* A reply explained from the knowledge base, with what to do (libtern's explanation). */
void smtp_explain(const struct tern_reply *r, char *out, size_t size);

/* The libtern connection after a greeting was seen: every step from TLS (implicit) or EHLO on. */
void smtp_dialogue(struct smtpdoc *d);

#endif
