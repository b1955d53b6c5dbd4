/*
 * queue.c - `tern queue`: what is in the spool (list, show ID), whether or not the server
 * runs. Never changes the spool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "queue/spool.h"

void queue_usage(FILE *out)
{
	fprintf(out,
		"usage: tern queue list [-c FILE]\n"
		"       tern queue show ID [--body] [-c FILE]\n"
		"\n"
		"Shows the messages in the spool: accepted, not yet finished. 'show' prints the\n"
		"envelope and the header section; --body prints the whole message.\n");
}

static int print_entry(const struct spool_entry *e, void *ctx)
{
	char when[32];
	time_t t = (time_t)e->received;
	struct tm tm;

	(*(size_t *)ctx)++;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	printf("%-20s %s %10zu %5zu  <%s>\n", e->id, when, e->size, e->rcpt_count, e->mail_from);
	return 0;
}

static void show(const struct spool_message *m, bool body)
{
	char when[32];
	time_t t = (time_t)m->received;
	struct tm tm;
	size_t end = m->data.len;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	printf("id:         %s\nreceived:   %s\nfrom:       <%s>\n", m->id, when, m->mail_from);
	for (size_t i = 0; i < m->rcpt_count; i++)
		printf("to:         <%s>\n", m->rcpts[i]);
	printf("user:       %s\nclient:     %s (helo %s)\nsize:       %zu\n%s%s\n",
	       m->user[0] ? m->user : "(trusted network)", m->client, m->helo, m->data.len,
	       m->smtputf8 ? "smtputf8:   yes\n" : "",
	       m->body_8bit ? "body:       8bitmime\n" : "");
	if (!body) {
		const uint8_t *p = m->data.data;
		for (size_t i = 0; i + 3 < m->data.len; i++) {
			if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
			    p[i + 3] == '\n') {
				end = i + 2;
				break;
			}
		}
	}
	fwrite(m->data.data, 1, end, stdout);
}

int cmd_queue(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct tern_config cfg;
	struct spool *sp = NULL;
	struct spool_message m;
	char err[600];
	bool body = false;
	int rc = CLI_PROBLEM, r;
	size_t count = 0;

	if (argc >= 2 && argc <= 4 && argc >= 3 && strcmp(argv[argc - 1], "--body") == 0) {
		body = true;
		argc--;
	}
	if (argc < 2 || (strcmp(argv[1], "list") == 0 && argc != 2) ||
	    (strcmp(argv[1], "show") == 0 && argc != 3) ||
	    (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "show") != 0)) {
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
	if (strcmp(argv[1], "list") == 0) {
		printf("%-20s %-20s %10s %5s  %s\n", "ID", "RECEIVED", "SIZE", "RCPTS", "FROM");
		if (spool_list(sp, print_entry, &count) == 0) {
			printf("%zu message%s\n", count, count == 1 ? "" : "s");
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
	show(&m, body);
	spool_message_free(&m);
	rc = CLI_OK;
done:
	spool_close(sp);
	return rc;
}
