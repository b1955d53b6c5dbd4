/*
 * queue.c - `tern queue`: what is in the spool (list, show), and the operator's actions on it
 * (retry, hold, release, delete), by queue id, recipient, domain or all.
 *
 * Looking never changes anything and works whether or not the server runs. Actions go to the
 * running server through its control socket; when no server runs, hold, release and delete
 * are done here, on the spool and the event log, and take effect at the next start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "queue/spool.h"
#include "store/store.h"

void queue_usage(FILE *out)
{
	fprintf(out,
		"usage: tern queue list [--json] [-c FILE]\n"
		"       tern queue show ID [--body] [--json] [-c FILE]\n"
		"       tern queue retry|hold|release|delete SELECTOR [-c FILE]\n"
		"\n"
		"Shows the messages in the spool (accepted, not yet finished) and acts on them.\n"
		"SELECTOR is a queue id, --rcpt ADDR, --domain DOMAIN or --all.\n"
		"  retry    try the selected messages now instead of at their next retry time\n"
		"  hold     stop delivering them until released (kept in the spool)\n"
		"  release  deliver held messages again\n"
		"  delete   remove them: every recipient not yet delivered ends as 'deleted'\n"
		"           (no bounce is sent), recorded in 'tern events'\n"
		"The actions reach the running server through DATA_DIR/control.sock; without a\n"
		"running server, hold, release and delete are done directly.\n");
}

static void utc(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

struct list_ctx {
	bool json;
	size_t count;
};

static int print_entry(const struct spool_entry *e, void *ctx)
{
	struct list_ctx *l = ctx;
	char when[32];

	utc(e->received, when, sizeof(when));
	if (l->json) {
		printf("%s{\"id\": \"%s\", \"received\": \"%s\", \"size\": %zu, \"recipients\": "
		       "%zu, "
		       "\"from\": ",
		       l->count ? ",\n " : "", e->id, when, e->size, e->rcpt_count);
		cli_json_string(e->mail_from);
		printf("}");
	} else {
		printf("%-20s %s %10zu %5zu  <%s>\n", e->id, when, e->size, e->rcpt_count,
		       e->mail_from);
	}
	l->count++;
	return 0;
}

static size_t header_end(const struct spool_message *m)
{
	const uint8_t *p = m->data.data;

	for (size_t i = 0; i + 3 < m->data.len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
			return i + 2;
	return m->data.len;
}

static void show(const struct spool_message *m, bool body, bool json)
{
	char when[32];
	size_t end = body ? m->data.len : header_end(m);

	utc(m->received, when, sizeof(when));
	if (json) {
		printf("{\"id\": \"%s\", \"received\": \"%s\", \"from\": ", m->id, when);
		cli_json_string(m->mail_from);
		printf(", \"to\": [");
		for (size_t i = 0; i < m->rcpt_count; i++) {
			printf("%s", i ? ", " : "");
			cli_json_string(m->rcpts[i]);
		}
		printf("], \"user\": ");
		cli_json_string(m->user);
		printf(", \"client\": ");
		cli_json_string(m->client);
		printf(", \"helo\": ");
		cli_json_string(m->helo);
		printf(", \"size\": %zu, \"smtputf8\": %s, \"body_8bit\": %s}\n", m->data.len,
		       m->smtputf8 ? "true" : "false", m->body_8bit ? "true" : "false");
		return;
	}
	printf("id:         %s\nreceived:   %s\nfrom:       <%s>\n", m->id, when, m->mail_from);
	for (size_t i = 0; i < m->rcpt_count; i++)
		printf("to:         <%s>\n", m->rcpts[i]);
	printf("user:       %s\nclient:     %s (helo %s)\nsize:       %zu\n%s%s\n",
	       m->user[0] ? m->user : "(trusted network)", m->client, m->helo, m->data.len,
	       m->smtputf8 ? "smtputf8:   yes\n" : "",
	       m->body_8bit ? "body:       8bitmime\n" : "");
	fwrite(m->data.data, 1, end, stdout);
}

/* ---- actions --------------------------------------------------------------------------- */

/* Sends one request line to the running server. 1 and the answer when it ran it, 0 when no
 * server listens, -1 on another failure (printed). */
static int ask_server(const char *data_dir, const char *line, char *answer, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0;
	int fd, rc = -1;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.sock", data_dir) >=
	    sizeof(sa.sun_path)) {
		fprintf(stderr, "tern queue: data_dir %s is too long for a socket path\n",
			data_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = errno == ENOENT || errno == ECONNREFUSED ? 0 : -1;
		if (rc < 0)
			fprintf(stderr, "tern queue: cannot reach the server at %s: %s\n",
				sa.sun_path, strerror(errno));
		goto done;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		goto done;
	while (got + 1 < size) {
		ssize_t n = read(fd, answer + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(answer, '\n', got) != NULL)
			break;
	}
	answer[got] = '\0';
	answer[strcspn(answer, "\r\n")] = '\0';
	rc = got > 0 ? 1 : -1;
	if (rc < 0)
		fprintf(stderr, "tern queue: the server closed the control connection\n");
done:
	close(fd);
	return rc;
}

struct offline_ctx {
	struct spool *sp;
	struct store *st;
	const char *verb;
	const char *what;
	size_t count;
	int rc;
};

static bool matches(struct spool *sp, const char *id, const char *what)
{
	struct spool_message m;
	const char *needle = strchr(what, ':');
	bool hit = false;

	if (strcmp(what, "all") == 0)
		return true;
	if (strncmp(what, "rcpt:", 5) != 0 && strncmp(what, "domain:", 7) != 0)
		return strcmp(what, id) == 0;
	if (spool_read(sp, id, &m) != 0)
		return false;
	for (size_t i = 0; i < m.rcpt_count && !hit; i++) {
		const char *at = strrchr(m.rcpts[i], '@');
		hit = what[0] == 'r' ? strcasecmp(m.rcpts[i], needle + 1) == 0
				     : at != NULL && strcasecmp(at + 1, needle + 1) == 0;
	}
	spool_message_free(&m);
	return hit;
}

static int act_offline(const struct spool_entry *e, void *ctx)
{
	struct offline_ctx *o = ctx;
	struct store_event ev = { 0 };
	struct timespec ts;
	int rc;

	if (!matches(o->sp, e->id, o->what))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ev.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ev.queue_id = e->id;
	ev.recipient = "";
	ev.sender = e->mail_from;
	ev.user = ev.remote_host = ev.remote_ip = ev.tls = ev.dsn = ev.category = "";
	ev.delay_ms = ev.time_ms - e->received * 1000;
	ev.status = o->verb[0] == 'h' ? EV_HELD : o->verb[0] == 'r' ? EV_RELEASED : EV_DELETED;
	ev.reply = o->verb[0] == 'h'   ? "held by an operator"
		   : o->verb[0] == 'r' ? "released by an operator"
				       : "deleted by an operator";
	/* The event first: a crash between the two leaves a message the next start ends. */
	if ((rc = store_events_add(o->st, &ev, 1)) != 0 ||
	    (ev.status == EV_DELETED && (rc = spool_done(o->sp, e->id)) != 0)) {
		fprintf(stderr, "tern queue %s: %s: %s\n", o->verb, e->id, strerror(-rc));
		o->rc = rc;
		return rc;
	}
	o->count++;
	return 0;
}

static int act(const char *path, const struct tern_config *cfg, const char *verb, const char *what)
{
	char line[700], answer[256], err[600];
	struct offline_ctx o = { .verb = verb, .what = what };
	struct tern_config *again;
	int r;

	snprintf(line, sizeof(line), "%s %s\n", verb, what);
	r = ask_server(cfg->data_dir, line, answer, sizeof(answer));
	if (r < 0)
		return CLI_PROBLEM;
	if (r > 0) {
		if (strncmp(answer, "ok ", 3) != 0) {
			fprintf(stderr, "tern queue %s: %s\n", verb,
				strncmp(answer, "error ", 6) == 0 ? answer + 6 : answer);
			return CLI_PROBLEM;
		}
		printf("%s message%s %s\n", answer + 3, strcmp(answer + 3, "1") ? "s" : "",
		       strcmp(verb, "retry") == 0     ? "to be tried now"
		       : strcmp(verb, "hold") == 0    ? "held"
		       : strcmp(verb, "release") == 0 ? "released"
						      : "deleted");
		return strcmp(answer + 3, "0") == 0 ? CLI_PROBLEM : CLI_OK;
	}
	if (strcmp(verb, "retry") == 0) {
		printf("no server is running: every queued message is tried when it starts\n");
		return CLI_OK;
	}
	/* No server: do it here. Opening the spool takes its lock, so a server starting
	 * meanwhile waits for nothing and finds the result. */
	if ((again = malloc(sizeof(*again))) == NULL) /* setup_store loads it anew */
		return CLI_PROBLEM;
	if (spool_open(cfg->spool_path, &o.sp, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern queue %s: %s\n", verb, err);
		free(again);
		return CLI_PROBLEM;
	}
	o.st = again ? setup_store(path, again, "tern queue") : NULL;
	free(again);
	if (o.st == NULL) {
		spool_close(o.sp);
		return CLI_PROBLEM;
	}
	(void)spool_list(o.sp, act_offline, &o);
	store_close(o.st);
	spool_close(o.sp);
	if (o.rc != 0)
		return CLI_PROBLEM;
	printf("%zu message%s %s (no server running)\n", o.count, o.count == 1 ? "" : "s",
	       verb[0] == 'h'	? "held"
	       : verb[0] == 'r' ? "released"
				: "deleted");
	return o.count > 0 ? CLI_OK : CLI_PROBLEM;
}

/* The selector from the arguments after the verb: ID | --rcpt A | --domain D | --all. */
static bool selector(int argc, char **argv, char *out, size_t size)
{
	if (argc == 3 && strcmp(argv[2], "--all") == 0)
		return snprintf(out, size, "all") > 0;
	if (argc == 4 && strcmp(argv[2], "--rcpt") == 0)
		return (size_t)snprintf(out, size, "rcpt:%s", argv[3]) < size;
	if (argc == 4 && strcmp(argv[2], "--domain") == 0)
		return (size_t)snprintf(out, size, "domain:%s", argv[3]) < size;
	if (argc == 3 && argv[2][0] != '-' && strchr(argv[2], ':') == NULL &&
	    strchr(argv[2], ' ') == NULL)
		return (size_t)snprintf(out, size, "%s", argv[2]) < size;
	return false;
}

int cmd_queue(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct tern_config cfg;
	struct spool *sp = NULL;
	struct spool_message m;
	struct list_ctx l = { false, 0 };
	char err[600], what[600];
	bool body;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc = CLI_PROBLEM, r;

	l.json = cli_take_flag(&argc, argv, "--json");
	body = cli_take_flag(&argc, argv, "--body");
	if (strcmp(verb, "retry") == 0 || strcmp(verb, "hold") == 0 ||
	    strcmp(verb, "release") == 0 || strcmp(verb, "delete") == 0) {
		if (!selector(argc, argv, what, sizeof(what))) {
			queue_usage(stderr);
			return CLI_USAGE;
		}
		if (!setup_load(path, &cfg))
			return CLI_PROBLEM;
		return act(path, &cfg, verb, what);
	}
	if ((strcmp(verb, "list") != 0 || argc != 2) && (strcmp(verb, "show") != 0 || argc != 3)) {
		queue_usage(stderr);
		return CLI_USAGE;
	}
	if (!setup_load(path, &cfg))
		return CLI_PROBLEM;
	/* Read-only: the server may be running and owns the spool; this only looks. */
	if (spool_open_readonly(cfg.spool_path, &sp, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern queue: %s\n", err);
		return CLI_PROBLEM;
	}
	if (strcmp(verb, "list") == 0) {
		if (l.json)
			printf("[");
		else
			printf("%-20s %-20s %10s %5s  %s\n", "ID", "RECEIVED", "SIZE", "RCPTS",
			       "FROM");
		if (spool_list(sp, print_entry, &l) == 0) {
			if (l.json)
				printf("]\n");
			else
				printf("%zu message%s\n", l.count, l.count == 1 ? "" : "s");
			rc = CLI_OK;
		}
		goto done;
	}
	r = spool_read(sp, argv[2], &m);
	if (r != 0) {
		fprintf(stderr, "tern queue show: %s: %s\n", argv[2],
			r == -ENOENT ? "no such message in the spool ('tern queue list' shows them)"
				     : strerror(-r));
		goto done;
	}
	show(&m, body, l.json);
	spool_message_free(&m);
	rc = CLI_OK;
done:
	spool_close(sp);
	return rc;
}
