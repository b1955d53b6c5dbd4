/*
 * control.c - the running server's control socket (DATA_DIR/control.sock, mode 0600): how
 * `tern queue retry|hold|release|delete` reach the delivery engine while it runs.
 *
 * One request line per connection: "retry|hold|release|delete SELECTOR\n", where SELECTOR is
 * a queue id, "rcpt:ADDR", "domain:DOMAIN" or "all". The answer is one line: "ok N" (N
 * messages touched) or "error WHAT". Only the socket's owner (file mode) can connect; lines
 * are bounded; a client that sends nothing is dropped after 10 seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver/control.h"

#define LINE_MAX_ 600

struct control {
	uv_pipe_t pipe;
	struct deliver *d;
	struct logger *log;
	char path[1100];
	bool open;
};

struct ctl_client {
	uv_pipe_t pipe;
	uv_timer_t timer;
	struct control *ctl;
	char line[LINE_MAX_];
	size_t len;
	int handles;
	bool answered;
	char reply[128];
	uv_write_t wreq;
};

static void client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;

	if (--c->handles == 0)
		free(c);
}

static void client_close(struct ctl_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, client_closed);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, client_closed);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	client_close(w->data);
}

static void answer(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void answer(struct ctl_client *c, const char *fmt, ...)
{
	va_list ap;
	uv_buf_t b;

	if (c->answered)
		return;
	c->answered = true;
	va_start(ap, fmt);
	vsnprintf(c->reply, sizeof(c->reply), fmt, ap);
	va_end(ap);
	b = uv_buf_init(c->reply, (unsigned)strlen(c->reply));
	c->wreq.data = c;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0)
		client_close(c);
}

static void run(struct ctl_client *c)
{
	char *sp = strchr(c->line, ' ');
	const char *verb = c->line, *what;
	size_t n;

	if (sp == NULL || sp[1] == '\0') {
		answer(c, "error write: retry|hold|release|delete SELECTOR\n");
		return;
	}
	*sp = '\0';
	what = sp + 1;
	if (strcmp(verb, "retry") == 0)
		n = deliver_retry(c->ctl->d, what);
	else if (strcmp(verb, "hold") == 0)
		n = deliver_hold(c->ctl->d, what, true);
	else if (strcmp(verb, "release") == 0)
		n = deliver_hold(c->ctl->d, what, false);
	else if (strcmp(verb, "delete") == 0)
		n = deliver_delete(c->ctl->d, what);
	else {
		answer(c, "error unknown action '%.40s'\n", verb);
		return;
	}
	log_event(c->ctl->log, LOG_INFO, "queue_action", "action=%s selector=%.300s messages=%zu",
		  verb, what, n);
	answer(c, "ok %zu\n", n);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct ctl_client *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->line + c->len, (unsigned)(sizeof(c->line) - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct ctl_client *c = s->data;
	char *nl;

	(void)b;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	if ((nl = strchr(c->line, '\n')) != NULL) {
		*nl = '\0';
		if (nl > c->line && nl[-1] == '\r')
			nl[-1] = '\0';
		run(c);
	} else if (c->len >= sizeof(c->line) - 1) {
		answer(c, "error request too long\n");
	}
}

static void on_idle(uv_timer_t *t)
{
	client_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct ctl_client *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->ctl = ctl;
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_timer_init(server->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->handles = 2;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_idle, 10000, 0);
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

struct control *control_open(uv_loop_t *loop, const char *data_dir, struct deliver *d,
			     struct logger *log)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	mode_t old;
	int rc;

	if (ctl == NULL)
		return NULL;
	ctl->d = d;
	ctl->log = log;
	snprintf(ctl->path, sizeof(ctl->path), "%s/control.sock", data_dir);
	uv_pipe_init(loop, &ctl->pipe, 0);
	ctl->pipe.data = ctl;
	ctl->open = true;
	/* A socket left by a crash is ours to replace: the spool lock says no other server runs. */
	unlink(ctl->path);
	old = umask(077);
	rc = uv_pipe_bind(&ctl->pipe, ctl->path);
	umask(old);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ctl->pipe, 16, on_connection);
	if (rc != 0) {
		log_event(log, LOG_WARN, "control_socket",
			  "path=%s error=\"%s\" hint=\"tern queue retry/hold/release/delete will "
			  "not reach this server\"",
			  ctl->path, uv_strerror(rc));
		control_close(ctl);
		return NULL;
	}
	return ctl;
}

static void ctl_closed(uv_handle_t *h)
{
	free(h->data);
}

void control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->open) {
		unlink(ctl->path);
		ctl->open = false;
	}
	uv_close((uv_handle_t *)&ctl->pipe, ctl_closed);
}
