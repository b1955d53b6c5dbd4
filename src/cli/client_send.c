/*
 * client_send.c - one submission through libtern and its exit status (see client_send.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client_send.h"

/* Which enhanced-code subject (the x in 5.x.y) a reply has; -1 when it has no enhanced code. */
static int subject(const struct tern_reply *r)
{
	if (r->enhanced[0] == '\0' || r->enhanced[1] != '.')
		return -1;
	return atoi(r->enhanced + 2);
}

static int reply_status(const struct tern_error *e)
{
	const struct tern_reply *r = &e->reply;
	int subj = subject(r);

	if (r->transient || (r->code >= 400 && r->code < 500))
		return EX_TEMPFAIL;
	if (e->stage == TERN_STAGE_AUTH)
		return EX_NOPERM;
	if (subj == 7)
		return EX_NOPERM;
	if (e->stage == TERN_STAGE_RCPT) {
		if (subj == 1 && strcmp(r->enhanced + 3, ".2") == 0)
			return EX_NOHOST;
		if (subj == 1 || (subj < 0 && (r->code == 550 || r->code == 551 || r->code == 553)))
			return EX_NOUSER;
	}
	if ((e->stage == TERN_STAGE_MAIL || e->stage == TERN_STAGE_DOT ||
	     e->stage == TERN_STAGE_DATA) &&
	    (subj == 6 || strcmp(r->enhanced, "5.3.4") == 0 || r->code == 552))
		return EX_DATAERR;
	return EX_UNAVAILABLE;
}

int client_status(const struct tern_error *e)
{
	switch (e->code) {
	case TERN_E_OK:
		return EX_OK;
	case TERN_E_REPLY:
		return reply_status(e);
	case TERN_E_DNS:
		return EX_NOHOST;
	case TERN_E_REFUSED:
	case TERN_E_TIMEOUT:
	case TERN_E_UNREACHABLE:
	case TERN_E_CLOSED:
	case TERN_E_IO:
		return EX_TEMPFAIL;
	case TERN_E_TLS_UNTRUSTED:
	case TERN_E_TLS_NAME:
		return EX_CONFIG;
	case TERN_E_TLS_HANDSHAKE:
	case TERN_E_TLS_EXPIRED:
	case TERN_E_NO_STARTTLS:
	case TERN_E_UNSUPPORTED:
		return EX_UNAVAILABLE;
	case TERN_E_PROTOCOL:
		return EX_PROTOCOL;
	case TERN_E_NOMEM:
		return EX_OSERR;
	case TERN_E_INVALID:
		return EX_DATAERR;
	case TERN_E_SEQUENCE:
		return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}

void client_report(const char *who, const struct tern_error *e)
{
	char explained[2048];

	fprintf(stderr, "%s: %s\n", who, e->message);
	if (e->code != TERN_E_REPLY || e->reply.code == 0)
		return;
	fprintf(stderr, "  reply        %d%s%s %s\n", e->reply.code,
		e->reply.enhanced[0] ? " " : "", e->reply.enhanced, e->reply.text);
	fprintf(stderr, "  explanation  ");
	cli_wrap(stderr, tern_reply_explain(&e->reply, explained, sizeof(explained)), 15, 78);
}

tern_client *client_begin(const struct client_conf *c, const char *who, int *status)
{
	struct tern_open_options o = {
		.host = c->host,
		.port = c->port,
		.tls = c->tls,
		.no_verify = c->no_verify,
		.ca_file = c->ca_file[0] != '\0' ? c->ca_file : NULL,
		.connect_timeout_ms = c->timeout * 1000,
		.command_timeout_ms = c->timeout * 1000,
	};
	struct tern_error e = { 0 };
	tern_client *t;

	if ((t = tern_open(&o, &e)) == NULL)
		goto fail;
	if (tern_hello(t, c->helo[0] != '\0' ? c->helo : NULL, &e) < 0)
		goto fail;
	if (c->user[0] != '\0' && tern_login(t, c->user, c->password, TERN_AUTH_AUTO, &e) < 0)
		goto fail;
	return t;
fail:
	client_report(who, &e);
	*status = client_status(&e);
	tern_close(t);
	return NULL;
}

bool client_queue_id(const char *text, char *out, size_t size)
{
	static const char *const marks[] = { "queued as ", "id=", "queued as: " };
	const char *p = NULL;
	size_t n;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]) && p == NULL; i++)
		if ((p = strcasestr(text, marks[i])) != NULL)
			p += strlen(marks[i]);
	if (p == NULL)
		return false;
	n = strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.");
	while (n > 0 && p[n - 1] == '.')
		n--; /* "queued as 4Xb2." */
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

int client_finish(tern_client *t, const char *who, const char *from, const char *const *rcpts,
		  size_t n, const void *msg, size_t len, FILE *id_out)
{
	struct tern_error e = { 0 };
	const struct tern_reply *r;
	char id[128];
	int status = EX_OK;

	if (tern_send_message(t, from, rcpts, n, msg, len, &e) < 0) {
		client_report(who, &e);
		status = client_status(&e);
		goto done;
	}
	r = tern_last_reply(t);
	if (id_out != NULL && r != NULL) {
		if (client_queue_id(r->text, id, sizeof(id)))
			fprintf(id_out, "%s\n", id);
		else /* no id to be found: the reply says what there is */
			fprintf(id_out, "%d%s%s %s\n", r->code, r->enhanced[0] ? " " : "",
				r->enhanced, r->text);
	}
	(void)tern_quit(t, &e); /* the message is accepted: a failed QUIT changes nothing */
done:
	tern_close(t);
	return status;
}

void client_random_hex(char *out, size_t chars)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];

	if (chars > 2 * sizeof(r))
		chars = 2 * sizeof(r);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(seed >> (8 * (i % 8)));
	}
	for (size_t i = 0; i < chars; i++)
		out[i] = hex[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[chars] = '\0';
}

void client_message_id(const char *address, char *out, size_t size)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	char h[17];

	client_random_hex(h, 16);
	snprintf(out, size, "%lld.%s@%s", (long long)time(NULL), h,
		 at != NULL && at[1] != '\0' ? at + 1 : "localhost");
}
