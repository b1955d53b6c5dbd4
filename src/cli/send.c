/*
 * send.c - `tern send`: build one message from options and files and submit it.
 *
 * The message is built (proto/mime_build) before anything is sent, so bad input costs no
 * connection: a Subject with a line break, an address that is no address, a file that cannot
 * be read are refused with what to do. It is built once more without 8-bit text when the
 * server turns out not to offer 8BITMIME. Exit statuses are sysexits.h (client_send.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client_conf.h"
#include "cli/client_send.h"
#include "lib/buf.h"
#include "proto/address.h"
#include "proto/mime_build.h"

#define WHO "tern send"

void send_usage(FILE *out)
{
	fprintf(out,
		"usage: tern send --server HOST[:PORT] [--tls starttls|implicit|none]\n"
		"                 [--user U (--password-file F | TERN_PASSWORD)]\n"
		"                 --from ADDR --to ADDR... [--cc ADDR...] [--bcc ADDR...]\n"
		"                 [--subject S] [--body FILE|-] [--html FILE] [--attach FILE]...\n"
		"                 [--header \"Name: value\"]... [--ca-file F] [--no-verify]\n"
		"                 [--helo NAME] [--config FILE] [--print]\n"
		"\n"
		"Builds a MIME message (UTF-8 subject and names encoded, text and HTML as\n"
		"alternatives, attachments in base64 typed by their extension), submits it\n"
		"and prints the queue id from the server's reply. On failure it prints the\n"
		"reply and what it means; the exit status is one of sysexits.h (75: try\n"
		"again later, 77: login or policy refused, 67: recipient unknown, ...).\n"
		"\n"
		"  --to, --cc, --bcc  one or more addresses after each, or repeated, or\n"
		"                     comma-separated: 'Bob <bob@example.net>' or a bare address\n"
		"  --body FILE        the text (UTF-8); '-' reads standard input\n"
		"  --html FILE        an HTML version; with --body both go as alternatives\n"
		"  --attach FILE      an attachment (repeat for more)\n"
		"  --header 'N: V'    an extra header field (repeat for more)\n"
		"  --ca-file F        trust the authorities in F for the server's certificate\n"
		"  --no-verify        accept any certificate (tests only)\n"
		"  --print            write the message to standard output (CRLF line ends,\n"
		"                     8-bit text allowed) instead of sending it\n"
		"  --config FILE      the client configuration (default /etc/tern/client.conf\n"
		"                     or $TERN_CLIENT_CONFIG); options given here win over it\n"
		"\n"
		"Defaults come from the client configuration and TERN_SERVER, TERN_USER,\n"
		"TERN_PASSWORD, TERN_FROM, ... (docs/send.md).\n");
}

/* A growable list of pointers (into argv or owned strings, as the caller knows). */
struct list {
	void **v;
	size_t n, cap;
};

static bool list_add(struct list *l, void *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = p;
	return true;
}

struct options {
	const char *server, *tls, *user, *password_file, *from, *subject, *body, *html, *ca_file;
	const char *helo, *config;
	bool no_verify, print; /* print: write the message to standard output, send nothing */
	struct list to, cc, bcc, attach, header; /* char * into argv */
};

struct message_parts {
	struct mime_mailbox from;
	struct mime_mailbox *to, *cc;
	size_t nto, ncc;
	struct list rcpts; /* char *: the envelope, owned by the mailboxes' text */
	struct list text;  /* char *: copies of address arguments, freed at the end */
	struct buf body, html;
	struct mime_attachment *att;
	struct buf *att_data;
	struct mime_field *fields;
	size_t nfields;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, WHO ": ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; 'tern help send' shows the options\n");
	return EX_USAGE;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	const struct {
		const char *name;
		const char **value;
	} single[] = {
		{ "--server", &o->server },   { "--tls", &o->tls },
		{ "--user", &o->user },	      { "--password-file", &o->password_file },
		{ "--from", &o->from },	      { "--subject", &o->subject },
		{ "--body", &o->body },	      { "--html", &o->html },
		{ "--ca-file", &o->ca_file }, { "--helo", &o->helo },
		{ "--config", &o->config },
	};
	const struct {
		const char *name;
		struct list *l;
		bool many; /* takes every following argument up to the next option */
	} multi[] = {
		{ "--to", &o->to, true },	   { "--cc", &o->cc, true },
		{ "--bcc", &o->bcc, true },	   { "--attach", &o->attach, false },
		{ "--header", &o->header, false },
	};

	for (int i = 1; i < argc; i++) {
		size_t k;
		if (strcmp(argv[i], "--no-verify") == 0 || strcmp(argv[i], "--print") == 0) {
			o->no_verify |= argv[i][2] == 'n';
			o->print |= argv[i][2] == 'p';
			continue;
		}
		for (k = 0; k < sizeof(single) / sizeof(single[0]); k++)
			if (strcmp(argv[i], single[k].name) == 0)
				break;
		if (k < sizeof(single) / sizeof(single[0])) {
			if (i + 1 == argc)
				return usage_error("%s needs a value", argv[i]);
			if (*single[k].value != NULL)
				return usage_error("%s is given twice", argv[i]);
			*single[k].value = argv[++i];
			continue;
		}
		for (k = 0; k < sizeof(multi) / sizeof(multi[0]); k++)
			if (strcmp(argv[i], multi[k].name) == 0)
				break;
		if (k == sizeof(multi) / sizeof(multi[0]))
			return usage_error("unknown argument '%s'", argv[i]);
		if (i + 1 == argc || (multi[k].many && strncmp(argv[i + 1], "--", 2) == 0))
			return usage_error("%s needs a value", argv[i]);
		do {
			if (!list_add(multi[k].l, argv[++i]))
				return EX_OSERR;
		} while (multi[k].many && i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0);
	}
	return EX_OK;
}

/* "Name <addr>", "\"Name\" <addr>" or "addr" into a mailbox; s is modified in place. */
static bool parse_mailbox(char *s, struct mime_mailbox *mb)
{
	char *lt, *gt, *name = s, *end;
	struct address a;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	lt = strrchr(s, '<');
	gt = strrchr(s, '>');
	mb->name = NULL;
	mb->addr = s;
	if (lt != NULL && gt == end - 1 && gt > lt) {
		*gt = '\0';
		mb->addr = lt + 1;
		*lt = '\0';
		name = s;
		end = lt;
		while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (end - name >= 2 && name[0] == '"' && end[-1] == '"') {
			end[-1] = '\0';
			name++;
		}
		mb->name = name[0] != '\0' ? name : NULL;
	}
	return address_parse(mb->addr, strlen(mb->addr), false, &a) == ADDRESS_OK;
}

/* Splits an argument at the commas outside quotes and angle brackets. */
static int add_mailboxes(struct message_parts *p, const char *flag, const char *arg,
			 struct mime_mailbox **v, size_t *n, bool envelope)
{
	char *copy = strdup(arg), *start;
	bool quoted = false;
	int angle = 0;

	if (copy == NULL || !list_add(&p->text, copy)) {
		free(copy);
		return EX_OSERR;
	}
	start = copy;
	for (char *c = copy;; c++) {
		if (*c == '"')
			quoted = !quoted;
		else if (*c == '<' && !quoted)
			angle++;
		else if (*c == '>' && !quoted && angle > 0)
			angle--;
		if (*c != '\0' && (*c != ',' || quoted || angle > 0))
			continue;
		bool last = *c == '\0';
		*c = '\0';
		if (strspn(start, " \t") != strlen(start)) {
			struct mime_mailbox mb, *nv;
			if (!parse_mailbox(start, &mb)) {
				fprintf(stderr,
					WHO ": %s '%s' is not an address; write local@domain or "
					    "'Name <local@domain>' (a name with a comma in quotes: "
					    "'\"Doe, John\" <john@example.net>')\n",
					flag, start);
				return EX_DATAERR;
			}
			if (v != NULL) {
				if ((nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL)
					return EX_OSERR;
				*v = nv;
				(*v)[(*n)++] = mb;
			}
			if (envelope && !list_add(&p->rcpts, (void *)mb.addr))
				return EX_OSERR;
		}
		if (last)
			break;
		start = c + 1;
	}
	return EX_OK;
}

static int read_into(const char *flag, const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = EX_OK;

	if (f == NULL) {
		fprintf(stderr, WHO ": cannot read %s %s: %s\n", flag, path, strerror(errno));
		return EX_NOINPUT;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (!buf_append(b, chunk, n)) {
			rc = EX_OSERR;
			break;
		}
	if (ferror(f)) {
		fprintf(stderr, WHO ": cannot read %s %s: %s\n", flag, path, strerror(errno));
		rc = EX_IOERR;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

static int collect(const struct options *o, struct message_parts *p)
{
	char *from = strdup(o->from);
	int rc;

	if (from == NULL || !list_add(&p->text, from)) {
		free(from);
		return EX_OSERR;
	}
	if (!parse_mailbox(from, &p->from)) {
		fprintf(stderr,
			WHO ": --from '%s' is not an address; write local@domain or "
			    "'Name <local@domain>'\n",
			o->from);
		return EX_DATAERR;
	}
	for (size_t i = 0; i < o->to.n; i++)
		if ((rc = add_mailboxes(p, "--to", o->to.v[i], &p->to, &p->nto, true)) != EX_OK)
			return rc;
	for (size_t i = 0; i < o->cc.n; i++)
		if ((rc = add_mailboxes(p, "--cc", o->cc.v[i], &p->cc, &p->ncc, true)) != EX_OK)
			return rc;
	for (size_t i = 0; i < o->bcc.n; i++)
		if ((rc = add_mailboxes(p, "--bcc", o->bcc.v[i], NULL, NULL, true)) != EX_OK)
			return rc;
	if (p->rcpts.n == 0)
		return usage_error("no recipients: give --to, --cc or --bcc");
	if (o->body != NULL && (rc = read_into("--body", o->body, &p->body)) != EX_OK)
		return rc;
	if (o->html != NULL && (rc = read_into("--html", o->html, &p->html)) != EX_OK)
		return rc;
	p->att = calloc(o->attach.n + 1, sizeof(*p->att));
	p->att_data = calloc(o->attach.n + 1, sizeof(*p->att_data));
	p->fields = calloc(o->header.n + 1, sizeof(*p->fields));
	if (p->att == NULL || p->att_data == NULL || p->fields == NULL)
		return EX_OSERR;
	for (size_t i = 0; i < o->attach.n; i++) {
		const char *path = o->attach.v[i], *slash = strrchr(path, '/');
		if ((rc = read_into("--attach", path, &p->att_data[i])) != EX_OK)
			return rc;
		p->att[i] = (struct mime_attachment){ slash != NULL ? slash + 1 : path, NULL,
						      p->att_data[i].data, p->att_data[i].len };
	}
	for (size_t i = 0; i < o->header.n; i++) {
		char *h = strdup(o->header.v[i]), *colon;
		if (h == NULL || !list_add(&p->text, h)) {
			free(h);
			return EX_OSERR;
		}
		if ((colon = strchr(h, ':')) == NULL)
			return usage_error("--header '%s' is not 'Name: value'",
					   (const char *)o->header.v[i]);
		*colon = '\0';
		p->fields[p->nfields++] =
			(struct mime_field){ h, colon + 1 + strspn(colon + 1, " ") };
	}
	return EX_OK;
}

static int build(const struct message_parts *p, const struct options *o, bool allow_8bit,
		 const char *message_id, const char *seed, int64_t now, int tz, struct buf *out)
{
	struct mime_message m = {
		.from = p->from,
		.to = p->to,
		.to_count = p->nto,
		.cc = p->cc,
		.cc_count = p->ncc,
		.subject = o->subject,
		.text = o->body != NULL ? p->body.data != NULL ? p->body.data : (const uint8_t *)""
					: NULL,
		.text_len = p->body.len,
		.html = o->html != NULL ? p->html.data != NULL ? p->html.data : (const uint8_t *)""
					: NULL,
		.html_len = p->html.len,
		.attachments = p->att,
		.attachment_count = o->attach.n,
		.fields = p->fields,
		.field_count = p->nfields,
		.date = now,
		.tz_offset_minutes = tz,
		.message_id = message_id,
		.boundary_seed = seed,
		.allow_8bit = allow_8bit,
	};
	struct buf err = BUF_INIT;

	buf_reset(out);
	if (mime_build(&m, out, &err) == 0)
		return EX_OK;
	fprintf(stderr, WHO ": %s\n", buf_cstr(&err));
	buf_free(&err);
	return EX_DATAERR;
}

/* The options over the configuration. */
static int configure(const struct options *o, struct client_conf *c)
{
	char err[1024];

	if (client_conf_load(c, o->config, err, sizeof(err)) < 0) {
		fprintf(stderr, WHO ": %s\n", err);
		return EX_CONFIG;
	}
	if (o->server != NULL && !client_conf_server(c, o->server))
		return usage_error("--server '%s' is not HOST, HOST:PORT or [IPv6]:PORT",
				   o->server);
	if (o->tls != NULL && !client_conf_tls(o->tls, &c->tls))
		return usage_error("--tls '%s' is not starttls, implicit or none", o->tls);
	if (o->user != NULL)
		snprintf(c->user, sizeof(c->user), "%s", o->user);
	if (o->password_file != NULL) {
		snprintf(c->password_file, sizeof(c->password_file), "%s", o->password_file);
		c->password_set = false; /* the file named here wins over TERN_PASSWORD */
	}
	if (o->ca_file != NULL)
		snprintf(c->ca_file, sizeof(c->ca_file), "%s", o->ca_file);
	if (o->helo != NULL)
		snprintf(c->helo, sizeof(c->helo), "%s", o->helo);
	if (o->no_verify)
		c->no_verify = true;
	if (o->print)
		return EX_OK; /* nothing is sent: no server or password needed */
	if (c->host[0] == '\0')
		return usage_error("no server: give --server HOST[:PORT], or set server in the "
				   "client configuration or TERN_SERVER");
	if (client_conf_password(c, err, sizeof(err)) < 0) {
		fprintf(stderr, WHO ": %s\n", err);
		return EX_CONFIG;
	}
	return EX_OK;
}

int cmd_send(int argc, char **argv)
{
	struct options o = { 0 };
	struct message_parts p = { 0 };
	struct client_conf *conf = calloc(1, sizeof(*conf));
	struct buf msg = BUF_INIT;
	char message_id[300], seed[25];
	time_t now = time(NULL);
	struct tm tm;
	int tz = 0, rc;
	tern_client *t;

	if (conf == NULL)
		return EX_OSERR;
	if ((rc = parse_options(argc, argv, &o)) != EX_OK)
		goto done;
	if ((rc = configure(&o, conf)) != EX_OK)
		goto done;
	if (o.from == NULL)
		o.from = conf->from[0] != '\0' ? conf->from : NULL;
	if (o.from == NULL) {
		rc = usage_error("no sender: give --from ADDR, or set from in the client "
				 "configuration or TERN_FROM");
		goto done;
	}
	if ((rc = collect(&o, &p)) != EX_OK)
		goto done;
	if (localtime_r(&now, &tm) != NULL)
		tz = (int)(tm.tm_gmtoff / 60);
	client_random_hex(seed, 24);
	client_message_id(p.from.addr, message_id, sizeof(message_id));
	/* built first with 8-bit text allowed: every input problem shows before connecting */
	if ((rc = build(&p, &o, true, message_id, seed, (int64_t)now, tz, &msg)) != EX_OK)
		goto done;
	if (o.print) {
		rc = fwrite(msg.data, 1, msg.len, stdout) == msg.len && fflush(stdout) == 0
			     ? EX_OK
			     : EX_IOERR;
		goto done;
	}
	if ((t = client_begin(conf, WHO, &rc)) == NULL)
		goto done;
	if (!tern_offers(t, "8BITMIME") &&
	    (rc = build(&p, &o, false, message_id, seed, (int64_t)now, tz, &msg)) != EX_OK) {
		tern_close(t);
		goto done;
	}
	rc = client_finish(t, WHO, p.from.addr, (const char *const *)p.rcpts.v, p.rcpts.n, msg.data,
			   msg.len, stdout);
done:
	for (size_t i = 0; i < p.text.n; i++)
		free(p.text.v[i]);
	for (size_t i = 0; p.att_data != NULL && i < o.attach.n; i++)
		buf_free(&p.att_data[i]);
	free(p.text.v);
	free(p.rcpts.v);
	free(p.to);
	free(p.cc);
	free(p.att);
	free(p.att_data);
	free(p.fields);
	buf_free(&p.body);
	buf_free(&p.html);
	buf_free(&msg);
	free(o.to.v);
	free(o.cc.v);
	free(o.bcc.v);
	free(o.attach.v);
	free(o.header.v);
	if (conf != NULL)
		explicit_bzero(conf->password, sizeof(conf->password));
	free(conf);
	return rc;
}
