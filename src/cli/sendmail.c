/*
 * sendmail.c - `tern sendmail`, and tern called by the name `sendmail`: the interface programs
 * that pipe mail to sendmail use (PHP's mail(), cron, logwatch, mailx, git send-email, ...),
 * submitting to the tern server of the client configuration (client_conf.h) at once.
 *
 * What it does with the message is proto/sendmail_msg's (Bcc removed, -t recipients, missing
 * From/Date/Message-ID added, cron's "From: root" replaced); this file reads the command line and standard input and turns
 * the outcome into sendmail's exit statuses. There is no local queue: a server that cannot
 * be reached is EX_TEMPFAIL (75), which cron, PHP and the like report, and nothing is kept.
 *
 * Options taken: -t, -i, -oi, -f/-r SENDER, -F NAME, -C FILE (the client configuration), -v
 * (print the queue id), -bm (the default), -bi and -I (nothing to do: no alias database).
 * Accepted and ignored, as they make no sense for a submission client: -o with any other
 * letter (-oem, -odi, -odb, ...), -O opt=value, -B type, -h hops, -N dsn, -R ret, -V envid,
 * -X file, -L label, -n, -m, -U, -G, -x, -8. Refused with what to use instead: -bs, -bp,
 * -bd, -bv and other modes, -q.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client_conf.h"
#include "cli/client_send.h"
#include "lib/buf.h"
#include "proto/address.h"
#include "proto/sendmail_msg.h"

void sendmail_usage(FILE *out)
{
	fprintf(out,
		"usage: tern sendmail [-t] [-i] [-f SENDER] [-F NAME] [-C FILE] [-v] [ADDR...]\n"
		"       sendmail ...          (tern installed or linked under that name)\n"
		"\n"
		"Reads a message on standard input and submits it to the tern server of the\n"
		"client configuration (/etc/tern/client.conf, or $TERN_CLIENT_CONFIG, with\n"
		"TERN_SERVER, TERN_USER, TERN_PASSWORD, ... over it), as programs that pipe\n"
		"mail to sendmail expect (PHP's mail(), cron, ...).\n"
		"\n"
		"  -t         the recipients are also read from To, Cc and Bcc\n"
		"  -i, -oi    a line with a single '.' does not end the message\n"
		"  -f SENDER  the envelope sender (default: the message's From, else from =\n"
		"             in the configuration); -r is the same\n"
		"  -F NAME    the display name of a From added to a message without one\n"
		"  -C FILE    the client configuration to use\n"
		"  -v         print the queue id the server gave\n"
		"\n"
		"Bcc fields are never sent. A message without From, Date or Message-ID gets\n"
		"them. Other sendmail options that programs pass (-odi, -oem, -oee, -N ...)\n"
		"are accepted and ignored; -bs, -bp and -q are refused, there being no local\n"
		"queue. Exit status as sendmail's (sysexits.h): 75 try again later, 67 unknown\n"
		"recipient, 77 refused for policy or login, 78 configuration, 64 usage.\n");
}

struct sm_options {
	bool extract, ignore_dots, verbose;
	const char *sender, *full_name, *config;
	struct sendmail_rcpts rcpts;
};

/* Takes an option's value: the rest of this argument, else the next one. */
static const char *value(int argc, char **argv, int *i, const char *rest)
{
	if (rest[0] != '\0')
		return rest;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* -b MODE: only -bm submits; -bi has nothing to do; the others are refused with the reason.
 * Returns -1 to go on, else the exit status to stop with. */
static int mode(const char *who, const char *m)
{
	if (strcmp(m, "m") == 0)
		return -1;
	if (strcmp(m, "i") == 0)
		return EX_OK; /* newaliases: tern keeps no alias database */
	if (strcmp(m, "s") == 0)
		fprintf(stderr,
			"%s: -bs (SMTP on standard input) is not offered; let the program pipe "
			"the message with '-t -i' instead (Symfony: "
			"sendmail://default?command=/usr/sbin/sendmail%%20-t%%20-i), or have it "
			"speak SMTP to the tern server itself\n",
			who);
	else if (strcmp(m, "p") == 0)
		fprintf(stderr,
			"%s: there is no local queue; 'tern queue list' on the tern server shows "
			"its spool\n",
			who);
	else
		fprintf(stderr, "%s: -b%s is not offered; only -bm (submit a message) is\n", who,
			m);
	return EX_USAGE;
}

/* Returns -1 when the options are fine, else the exit status to stop with. */
static int parse(int argc, char **argv, const char *who, struct sm_options *o)
{
	struct buf err = BUF_INIT;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		for (size_t j = 1; a[j] != '\0'; j++) {
			char c = a[j];
			const char *rest = a + j + 1;
			int rc;
			if (strchr("tivnmUGx8I", c) != NULL) {
				o->extract |= c == 't';
				o->ignore_dots |= c == 'i';
				o->verbose |= c == 'v';
				if (c == 'I')
					return EX_OK; /* newaliases: nothing to rebuild */
				continue;
			}
			if (c == 'q') {
				fprintf(stderr, "%s: there is no local queue to run (-q)\n", who);
				return EX_USAGE;
			}
			if (strchr("frFCoOBhNRVXLb", c) == NULL) {
				fprintf(stderr,
					"%s: unknown option -%c; 'tern help sendmail' lists what "
					"is "
					"taken\n",
					who, c);
				return EX_USAGE;
			}
			if ((v = value(argc, argv, &i, rest)) == NULL) {
				fprintf(stderr, "%s: -%c needs a value\n", who, c);
				return EX_USAGE;
			}
			if (c == 'f' || c == 'r')
				o->sender = v;
			else if (c == 'F')
				o->full_name = v;
			else if (c == 'C')
				o->config = v;
			else if (c == 'o' && strcmp(v, "i") == 0)
				o->ignore_dots = true;
			else if (c == 'b' && (rc = mode(who, v)) >= 0)
				return rc;
			break; /* the value was the rest of this argument, or the next one */
		}
	}
	for (; i < argc; i++) {
		if (sendmail_rcpts_parse(&o->rcpts, argv[i], &err) < 0) {
			fprintf(stderr, "%s: %s%s\n", who, buf_cstr(&err),
				strchr(argv[i], '@') == NULL
					? " (mail from cron to a local user: set MAILTO=address in "
					  "the crontab)"
					: "");
			buf_free(&err);
			return EX_DATAERR;
		}
	}
	return -1;
}

/* The message on standard input, up to its end or, without -i, a line with a lone dot. */
static int read_message(const char *who, bool ignore_dots, struct buf *b)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = EX_OK;

	errno = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		if (!ignore_dots && sendmail_is_dot_line((const uint8_t *)line, len))
			break;
		if (!buf_append(b, line, (size_t)n)) {
			fprintf(stderr, "%s: out of memory reading the message\n", who);
			rc = EX_OSERR;
			break;
		}
	}
	if (rc == EX_OK && ferror(stdin)) {
		fprintf(stderr, "%s: cannot read the message from standard input: %s\n", who,
			strerror(errno));
		rc = EX_IOERR;
	}
	free(line);
	return rc;
}

/* "<addr>", "addr", or "<>"/"" for the null sender, checked. */
static bool sender_ok(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);
	struct address a;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n >= size)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return n == 0 || address_parse(out, n, false, &a) == ADDRESS_OK;
}

static int submit(const char *who, struct sm_options *o, struct client_conf *conf)
{
	struct sendmail_out out;
	struct buf in = BUF_INIT, err = BUF_INIT;
	char sender[ADDRESS_MAX + 1] = "", envelope[ADDRESS_MAX + 1], message_id[300], why[1024];
	const char **rcpts = NULL, *e;
	time_t now = time(NULL);
	struct tm tm;
	tern_client *t;
	int rc;

	memset(&out, 0, sizeof(out));
	if (o->sender != NULL && !sender_ok(o->sender, sender, sizeof(sender))) {
		fprintf(stderr, "%s: -f '%s' is not an address; write local@domain\n", who,
			o->sender);
		rc = EX_USAGE;
		goto done;
	}
	if ((rc = read_message(who, o->ignore_dots, &in)) != EX_OK)
		goto done;
	client_message_id(o->sender != NULL ? sender : conf->from, message_id, sizeof(message_id));
	struct sendmail_in si = {
		.msg = in.data != NULL ? in.data : (const uint8_t *)"",
		.len = in.len,
		.extract = o->extract,
		.sender = o->sender != NULL ? sender : conf->from,
		.full_name = o->full_name,
		.date = (int64_t)now,
		.tz_offset_minutes = localtime_r(&now, &tm) != NULL ? (int)(tm.tm_gmtoff / 60) : 0,
		.message_id = message_id,
	};
	if (sendmail_prepare(&si, &out, &err) < 0) {
		fprintf(stderr, "%s: %s\n", who, buf_cstr(&err));
		rc = EX_DATAERR;
		goto done;
	}
	for (size_t i = 0; i < out.rcpts.count; i++)
		if (!sendmail_rcpts_add(&o->rcpts, out.rcpts.addr[i])) {
			rc = EX_OSERR;
			goto done;
		}
	if (o->rcpts.count == 0) {
		fprintf(stderr,
			"%s: no recipients: give them as arguments, or use -t to read To, Cc and "
			"Bcc (the message has %s)\n",
			who, o->extract ? "none there either" : "not been read for them");
		rc = EX_USAGE;
		goto done;
	}
	/* the envelope sender: -f, else the message's From, else the configuration's */
	e = o->sender != NULL ? sender : out.from[0] != '\0' ? out.from : conf->from;
	if (strlen(e) >= sizeof(envelope) || !sender_ok(e, envelope, sizeof(envelope))) {
		fprintf(stderr, "%s: the sender '%s' is not an address; write local@domain\n", who,
			e);
		rc = EX_CONFIG;
		goto done;
	}
	if (o->sender == NULL && envelope[0] == '\0') {
		fprintf(stderr,
			"%s: no sender: the message has no From; pass -f ADDRESS or set from = "
			"ADDRESS in %s (or TERN_FROM)\n",
			who, conf->path[0] != '\0' ? conf->path : CLIENT_CONF_DEFAULT);
		rc = EX_CONFIG;
		goto done;
	}
	if (client_conf_password(conf, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s: %s\n", who, why);
		rc = EX_CONFIG;
		goto done;
	}
	if ((rcpts = calloc(o->rcpts.count, sizeof(*rcpts))) == NULL) {
		rc = EX_OSERR;
		goto done;
	}
	for (size_t i = 0; i < o->rcpts.count; i++)
		rcpts[i] = o->rcpts.addr[i];
	if ((t = client_begin(conf, who, &rc)) == NULL)
		goto done;
	rc = client_finish(t, who, envelope, rcpts, o->rcpts.count, out.message.data,
			   out.message.len, o->verbose ? stdout : NULL);
done:
	free(rcpts);
	sendmail_out_free(&out);
	buf_free(&in);
	buf_free(&err);
	return rc;
}

/* who: how the messages name the command, "tern sendmail" or "sendmail". */
static int run(int argc, char **argv, const char *who)
{
	struct sm_options o = { 0 };
	struct client_conf *conf = calloc(1, sizeof(*conf));
	char err[1024];
	int rc;

	if (conf == NULL)
		return EX_OSERR;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			sendmail_usage(stdout);
			rc = EX_OK;
			goto done;
		}
	if ((rc = parse(argc, argv, who, &o)) >= 0)
		goto done;
	if (client_conf_load(conf, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		rc = EX_CONFIG;
		goto done;
	}
	if (conf->host[0] == '\0') {
		fprintf(stderr,
			"%s: no tern server is configured; create %s with\n"
			"    [client]\n"
			"    server = HOST:PORT\n"
			"    user = NAME\n"
			"    password_file = FILE\n"
			"(or set TERN_SERVER, TERN_USER and TERN_PASSWORD)\n",
			who, conf->path[0] != '\0' ? conf->path : CLIENT_CONF_DEFAULT);
		rc = EX_CONFIG;
		goto done;
	}
	rc = submit(who, &o, conf);
done:
	sendmail_rcpts_free(&o.rcpts);
	explicit_bzero(conf->password, sizeof(conf->password));
	free(conf);
	return rc;
}

int cmd_sendmail(int argc, char **argv)
{
	return run(argc, argv, "tern sendmail");
}

int sendmail_main(int argc, char **argv)
{
	return run(argc, argv, "sendmail");
}
