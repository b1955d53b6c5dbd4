/*
 * libtern_threads.c - libtern from several threads at once, one connection each, as the
 * header allows: every thread opens its own connection (STARTTLS, verified against a CA
 * file), logs in and sends its messages, each naming its thread and number. Nothing is
 * shared between the threads but the library itself.
 *
 * usage: libtern_threads HOST PORT CA_FILE TLS_NAME USER PASSWORD THREADS MESSAGES
 * Prints "sent N" and exits 0 when every message was accepted; else the first error of each
 * thread that failed, and 1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/client.h>

struct job {
	pthread_t thread;
	int id, messages, sent;
	const char *const *argv;
	struct tern_error err;
};

static void *run(void *arg)
{
	struct job *j = arg;
	struct tern_open_options o;
	tern_client *c;
	const char *rcpt = "ok-threads@dest.test";
	char msg[512];

	memset(&o, 0, sizeof(o));
	o.host = j->argv[1];
	o.port = (uint16_t)atoi(j->argv[2]);
	o.tls = TERN_TLS_STARTTLS;
	o.ca_file = j->argv[3];
	o.tls_name = j->argv[4];
	if ((c = tern_open(&o, &j->err)) == NULL)
		return NULL;
	if (tern_hello(c, "client.example", &j->err) < 0 ||
	    tern_login(c, j->argv[5], j->argv[6], TERN_AUTH_AUTO, &j->err) < 0)
		goto done;
	for (int i = 0; i < j->messages; i++) {
		int n = snprintf(
			msg, sizeof(msg),
			"From: a@example.org\r\nTo: %s\r\nSubject: thread %d message %d\r\n"
			"\r\n.thread %d message %d\r\n",
			rcpt, j->id, i, j->id, i);
		if (tern_send_message(c, "a@example.org", &rcpt, 1, msg, (size_t)n, &j->err) < 0)
			goto done;
		j->sent++;
	}
	tern_quit(c, &j->err);
	j->err.code = TERN_E_OK;
done:
	tern_close(c);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job *jobs;
	int threads, messages, sent = 0, failed = 0;

	if (argc != 9 || (threads = atoi(argv[7])) <= 0 || (messages = atoi(argv[8])) <= 0) {
		fprintf(stderr, "usage: libtern_threads HOST PORT CA_FILE TLS_NAME USER PASSWORD "
				"THREADS MESSAGES\n");
		return 2;
	}
	if ((jobs = calloc((size_t)threads, sizeof(*jobs))) == NULL)
		return 1;
	for (int i = 0; i < threads; i++) {
		jobs[i].id = i;
		jobs[i].messages = messages;
		jobs[i].argv = (const char *const *)argv;
		jobs[i].err.code = TERN_E_IO;
		if (pthread_create(&jobs[i].thread, NULL, run, &jobs[i]) != 0)
			return 1;
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(jobs[i].thread, NULL);
		sent += jobs[i].sent;
		if (jobs[i].err.code != TERN_E_OK) {
			failed++;
			printf("thread %d: %s: %s\n", i, tern_error_name(jobs[i].err.code),
			       jobs[i].err.message);
		}
	}
	printf("sent %d\n", sent);
	free(jobs);
	return failed == 0 ? 0 : 1;
}
