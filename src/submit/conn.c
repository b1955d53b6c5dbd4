/*
 * conn.c - one client connection of the submission server.
 *
 * Moves bytes between the socket, TLS and the SMTP session, and answers the session's
 * requests: AUTH on the thread pool (argon2id is slow on purpose), MAIL and RCPT at once (the
 * policy issue puts its checks here), DATA after the free-space check, and the message by
 * appending it to the spool and waiting for the committer's flush (commit.h). The 250 is
 * sent only once the flush covered the message: nothing acknowledged can be lost. A connection is freed
 * only when its handles are closed and no work item still points at it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "policy/policy.h"
#include "proto/proxy.h"
#include "proto/rfc5322.h"
#include "submit/submit_int.h"

#define RATE_GRACE_MS 10000 /* the minimum data rate is judged after this long in a message */

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct server *srv;
	struct conf_gen *gen;
	const struct listener *listener;
	struct smtp_server *smtp;
	struct tls_session *tls;
	struct conn *prev, *next;
	char id[16];
	char peer[INET6_ADDRSTRLEN];
	int port;
	bool trusted;
	bool closing;
	bool close_when_flushed;
	bool reading;
	bool waiting; /* a work item will answer the pending request */
	bool tls_logged;
	bool was_in_message;
	bool awaiting_proxy;	/* the PROXY header comes before SMTP */
	bool ip_counted;	/* policy_connect admitted it: policy_disconnect at the end */
	struct policy_txn *txn; /* made at the first MAIL: idle sessions stay small */
	int handles_open;
	int work_pending;
	int writes_pending;
	struct buf plain;
	struct buf cipher;
	uint64_t data_start;
	uint64_t data_bytes;
	uint64_t bytes_in;
	uint64_t bytes_out;
	unsigned messages;
	const char *close_reason;
};

struct write_req {
	uv_write_t req;
	struct conn *c;
	uint8_t data[];
};

struct auth_job {
	uv_work_t req;
	struct conn *c;
	struct store *store;
	char *user;
	uint8_t *password;
	size_t password_len;
	bool ok;
	int rc;
};

struct store_job {
	struct commit_waiter w; /* first: the committer hands it back */
	struct conn *c;
	char id[SPOOL_ID_MAX];
	size_t size;
	size_t rcpts;
	int64_t received;
	char dkim[600];
	char sender[ADDRESS_MAX + 1];
	char user[STORE_NAME_MAX + 1];
};

static void drive(struct conn *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void close_now(struct conn *c, const char *reason);

/* ---- lifetime ---------------------------------------------------------------------------- */

static void maybe_free(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->handles_open > 0 || c->work_pending > 0)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->txn != NULL)
		policy_txn_free(srv->policy, c->txn);
	free(c->txn);
	if (c->ip_counted)
		policy_disconnect(srv->policy, c->peer);
	smtp_server_free(c->smtp);
	tls_session_free(c->tls);
	buf_free(&c->plain);
	buf_free(&c->cipher);
	conf_gen_unref(c->gen);
	free(c);
	server_conn_gone(srv);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->handles_open--;
	maybe_free(c);
}

static void close_now(struct conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	log_event(c->srv->log, LOG_INFO, "disconnect",
		  "session=%s client=%s bytes_in=%llu bytes_out=%llu messages=%u reason=%s", c->id,
		  c->peer, (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
		  c->messages,
		  reason	    ? reason
		  : c->close_reason ? c->close_reason
				    : "quit");
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

struct conn *conn_next(struct conn *c)
{
	return c->next;
}

void conn_force_close(struct conn *c)
{
	close_now(c, "shutdown");
}

void conn_shutdown(struct conn *c)
{
	if (c->closing || c->smtp == NULL)
		return;
	smtp_server_shutdown(c->smtp);
	c->close_reason = "shutdown";
	drive(c);
}

/* ---- writing ----------------------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = w->c;

	free(w);
	c->writes_pending--;
	if (status < 0 && !c->closing)
		close_now(c, "write error");
	else if (c->close_when_flushed && c->writes_pending == 0)
		close_now(c, NULL);
	else if (c->writes_pending == 0 && !c->closing && c->smtp != NULL) {
		/* The session stops at a high-water mark of output; now that the client has taken
		 * it, let it go on with pipelined commands it still holds. */
		smtp_server_feed(c->smtp, NULL, 0);
		drive(c);
	}
}

static void send_bytes(struct conn *c, const uint8_t *p, size_t n)
{
	struct write_req *w;
	uv_buf_t b;

	if (n == 0 || c->closing)
		return;
	/* Mostly the socket takes it all at once: no request, no copy, no poll change. */
	if (c->writes_pending == 0) {
		int sent = uv_try_write((uv_stream_t *)&c->tcp,
					&(uv_buf_t){ .base = (char *)p, .len = n }, 1);
		if (sent > 0) {
			c->bytes_out += (uint64_t)sent;
			p += sent;
			n -= (size_t)sent;
		} else if (sent != UV_EAGAIN) {
			close_now(c, "write error");
			return;
		}
		if (n == 0)
			return;
	}
	w = malloc(sizeof(*w) + n);
	if (w == NULL) {
		close_now(c, "out of memory");
		return;
	}
	memcpy(w->data, p, n);
	w->c = c;
	b = uv_buf_init((char *)w->data, (unsigned)n);
	c->bytes_out += n;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
		free(w);
		close_now(c, "write error");
		return;
	}
	c->writes_pending++;
}

/* Sends what the session produced (through TLS when it is on) and TLS's own records. Returns
 * true when SMTP replies went out. */
static bool flush(struct conn *c)
{
	struct slice out = smtp_server_output(c->smtp);
	bool replied = false;

	if (c->tls == NULL) {
		send_bytes(c, out.data, out.len);
		replied = out.len > 0;
		smtp_server_output_done(c->smtp);
		return replied;
	}
	if (tls_handshake_done(c->tls) && out.len > 0) {
		if (!tls_write(c->tls, out.data, out.len)) {
			close_now(c, "tls write error");
			return false;
		}
		replied = true;
		smtp_server_output_done(c->smtp);
	}
	buf_reset(&c->cipher);
	if (!tls_pending_output(c->tls, &c->cipher)) {
		close_now(c, "out of memory");
		return false;
	}
	send_bytes(c, c->cipher.data, c->cipher.len);
	buf_reset(&c->cipher);
	return replied;
}

/* ---- timers ------------------------------------------------------------------------------ */

static void on_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->closing || c->waiting)
		return;
	if (c->smtp == NULL) {
		close_now(c, "timeout waiting for the PROXY header");
		return;
	}
	log_event(c->srv->log, LOG_INFO, "timeout", "session=%s client=%s state=%s", c->id, c->peer,
		  smtp_server_in_message(c->smtp) ? "data" : "command");
	smtp_server_timeout(c->smtp);
	c->close_reason = "timeout";
	drive(c);
}

static void restart_timer(struct conn *c)
{
	unsigned secs = smtp_server_in_message(c->smtp) ? c->gen->cfg.data_timeout
							: c->gen->cfg.command_timeout;

	if (!c->closing)
		uv_timer_start(&c->timer, on_timeout, (uint64_t)secs * 1000, 0);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void answer(struct conn *c, bool accept, enum smtp_reply_id reply, const char *queue_id)
{
	struct smtp_verdict v = { .accept = accept, .reply = reply, .queue_id = queue_id };

	smtp_server_answer(c->smtp, &v);
}

static void auth_work(uv_work_t *req)
{
	struct auth_job *j = req->data;

	j->rc = store_auth_check(j->store, j->user, j->password, j->password_len, &j->ok);
}

/* The user's own size and recipient limits hold from the moment the user is known. */
static void apply_user_limits(struct conn *c, const char *user)
{
	size_t size;
	unsigned rcpts;

	policy_session_limits(c->srv->policy, &c->gen->cfg, user, &size, &rcpts);
	smtp_server_set_limits(c->smtp, size, rcpts);
}

static void auth_done(uv_work_t *req, int status)
{
	struct auth_job *j = req->data;
	struct conn *c = j->c;
	char q[300];

	c->work_pending--;
	c->waiting = false;
	if (!c->closing) {
		bool ok = status == 0 && j->rc == 0 && j->ok;
		log_event(c->srv->log, ok ? LOG_INFO : LOG_WARN, "auth",
			  "session=%s client=%s user=%s result=%s", c->id, c->peer,
			  log_q(q, sizeof(q), j->user),
			  ok				? "ok"
			  : (status != 0 || j->rc != 0) ? "error"
							: "failed");
		if (status == 0 && j->rc == 0 && !ok)
			policy_auth_failed(c->srv->policy, &c->gen->cfg, c->peer);
		if (ok) /* before the answer: the session may go on to a pipelined MAIL */
			apply_user_limits(c, j->user);
		if (status != 0 || j->rc != 0)
			answer(c, false, SMTP_R_LOCAL_ERROR, NULL);
		else
			answer(c, ok, SMTP_R_NONE, NULL);
		drive(c);
	}
	sodium_memzero(j->password, j->password_len);
	free(j->password);
	free(j->user);
	free(j);
	maybe_free(c);
}

static void start_auth(struct conn *c, const struct smtp_request *r)
{
	struct auth_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->user = strdup(r->user)) == NULL ||
	    (j->password = malloc(r->password_len + 1)) == NULL) {
		if (j)
			free(j->user);
		free(j);
		answer(c, false, SMTP_R_LOCAL_ERROR, NULL);
		return;
	}
	memcpy(j->password, r->password, r->password_len);
	j->password_len = r->password_len;
	j->c = c;
	j->store = c->srv->store;
	j->req.data = j;
	if (uv_queue_work(&c->srv->loop, &j->req, auth_work, auth_done) != 0) {
		free(j->password);
		free(j->user);
		free(j);
		answer(c, false, SMTP_R_LOCAL_ERROR, NULL);
		return;
	}
	c->work_pending++;
	c->waiting = true;
	uv_timer_stop(&c->timer);
}

static void store_done(struct commit_waiter *w, int rc)
{
	struct store_job *j = (struct store_job *)w;
	struct conn *c = j->c;
	bool ok = rc == 0;

	c->work_pending--;
	c->waiting = false;
	if (ok && c->srv->deliver != NULL) {
		if (c->txn != NULL)
			for (size_t i = 0; i < c->txn->suppressed_count; i++)
				deliver_suppressed(c->srv->deliver, j->id, c->txn->mail_from,
						   c->txn->user, c->txn->suppressed[i]);
		deliver_accepted(c->srv->deliver, j->id, j->received, j->rcpts, j->sender, j->user,
				 j->dkim);
	}
	if (c->txn != NULL) {
		if (ok)
			policy_accepted(c->srv->policy, c->txn);
		else
			policy_txn_end(c->srv->policy, c->txn);
	}
	if (ok)
		log_event(c->srv->log, LOG_INFO, "queued",
			  "session=%s queue_id=%s size=%zu rcpts=%zu dkim=%s%s", c->id, j->id,
			  j->size, j->rcpts, j->dkim, c->closing ? " client=gone" : "");
	else
		log_event(c->srv->log, LOG_ERROR, "spool_error",
			  "session=%s queue_id=%s error=\"%s\" reply=\"452 4.3.1\"", c->id, j->id,
			  strerror(rc < 0 ? -rc : EIO));
	if (!c->closing) {
		if (ok)
			c->messages++;
		answer(c, ok, ok ? SMTP_R_NONE : SMTP_R_STORAGE_ERROR, j->id);
		drive(c);
	}
	free(j);
	maybe_free(c);
}

/* The Received field, and Message-ID / Date when the message has none (RFC 6409 8). */
static bool add_trace_fields(struct conn *c, const struct smtp_request *r, struct buf *out,
			     time_t now, size_t *id_at)
{
	struct tm tm;
	char date[64], helo[128];
	const char *user = smtp_server_user(c->smtp);
	bool tls = smtp_server_tls(c->smtp);
	const char *h = smtp_server_helo(c->smtp);
	size_t i;
	uint8_t rnd[8];

	for (i = 0; i < sizeof(helo) - 1 && h[i]; i++)
		helo[i] = (h[i] > 32 && h[i] < 127 && h[i] != '(' && h[i] != ')') ? h[i] : '?';
	helo[i] = '\0';
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* RFC 3848 protocol names; RFC 6531 names SMTPUTF8 sessions UTF8SMTP, UTF8SMTPSA... */
	buf_printf(out, "Received: from %s ([%s])\r\n\tby %s (tern) with %s%s", helo, c->peer,
		   c->gen->cfg.hostname,
		   r->smtputf8 ? "UTF8SMTP"
		   : h[0]      ? "ESMTP"
			       : "SMTP",
		   tls && user ? "SA"
		   : tls       ? "S"
		   : user      ? "A"
			       : "");
	/* the queue id is known only inside spool_append, which fills in the slot */
	buf_printf(out, " id ");
	*id_at = out->len;
	buf_printf(out, "%.*s", SPOOL_ID_LEN, "????????????????????????????????");
	if (tls)
		buf_printf(out, "\r\n\t(%s %s)", tls_version(c->tls), tls_cipher(c->tls));
	if (r->rcpt_count == 1)
		buf_printf(out, "\r\n\tfor <%s>", r->rcpts[0].text);
	buf_printf(out, ";\r\n\t%s\r\n", date);
	if (!rfc5322_has_field(r->message.data, r->message.len, "Message-ID")) {
		randombytes_buf(rnd, sizeof(rnd));
		buf_printf(out, "Message-ID: <%lld.%02x%02x%02x%02x%02x%02x%02x%02x@%s>\r\n",
			   (long long)now, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
			   rnd[7], c->gen->cfg.hostname);
	}
	if (!rfc5322_has_field(r->message.data, r->message.len, "Date"))
		buf_printf(out, "Date: %s\r\n", date);
	return buf_append(out, r->message.data, r->message.len);
}

/* Spools msg (taken over) for the pending message request: the second half of start_store,
 * after any signing. */
static void store_message(struct conn *c, const struct smtp_request *r, struct buf *msg,
			  size_t id_at, const char *dkim)
{
	struct store_job *j = calloc(1, sizeof(*j));
	const char **rcpts = calloc(r->rcpt_count + 1, sizeof(*rcpts));
	time_t now = time(NULL);
	int rc = -ENOMEM;
	struct spool_envelope env = { 0 };

	if (j == NULL || rcpts == NULL)
		goto fail;
	env.id_slot = msg->data + id_at;
	/* Suppressed recipients were accepted, and are never delivered to. */
	for (size_t i = 0; i < r->rcpt_count; i++)
		if (c->txn == NULL || !policy_is_suppressed(c->txn, r->rcpts[i].text))
			rcpts[env.rcpt_count++] = r->rcpts[i].text;
	env.mail_from = r->mail_from->text;
	env.rcpts = rcpts;
	env.user = smtp_server_user(c->smtp) ? smtp_server_user(c->smtp) : "";
	env.client = c->peer;
	env.helo = smtp_server_helo(c->smtp);
	env.received = now;
	env.smtputf8 = r->smtputf8;
	env.body_8bit = r->body_8bit;
	rc = spool_append(c->srv->spool, &env, msg->data, msg->len, j->id, &j->w.seq);
	if (rc < 0)
		goto fail;
	j->c = c;
	j->size = msg->len;
	j->rcpts = env.rcpt_count;
	j->received = (int64_t)now;
	snprintf(j->sender, sizeof(j->sender), "%s", env.mail_from);
	snprintf(j->user, sizeof(j->user), "%s", env.user);
	snprintf(j->dkim, sizeof(j->dkim), "%s", dkim);
	j->w.done = store_done;
	committer_wait(&c->srv->commit, &j->w);
	c->work_pending++;
	c->waiting = true;
	uv_timer_stop(&c->timer);
	free(rcpts);
	buf_free(msg);
	return;
fail:
	log_event(c->srv->log, LOG_ERROR, "spool_error",
		  "session=%s error=\"%s\" reply=\"452 4.3.1\"", c->id, strerror(-rc));
	free(j);
	free(rcpts);
	buf_free(msg);
	answer(c, false, SMTP_R_STORAGE_ERROR, NULL);
}

/* A signing job of a session: the request waits (the session is paused) until it is done. */
struct sign_wait {
	struct sign_request q; /* first: sign.c hands this back */
	struct conn *c;
	size_t id_at;
};

static void signed_done(struct sign_request *q)
{
	struct sign_wait *w = (struct sign_wait *)q;
	struct conn *c = w->c;
	const struct smtp_request *r;

	c->work_pending--;
	c->waiting = false;
	if (c->closing || (r = smtp_server_pending(c->smtp)) == NULL ||
	    r->kind != SMTP_REQ_MESSAGE) {
		buf_free(&q->msg);
		buf_free(&q->sig);
		free(w);
		maybe_free(c);
		return;
	}
	if (q->rc < 0) {
		log_event(c->srv->log, LOG_ERROR, "dkim_error",
			  "session=%s domain=%s error=\"%s\" reply=\"451 4.3.0\"", c->id, q->domain,
			  q->desc);
		goto refuse;
	}
	/* The signature fields go on top; the Received id slot moves down with the message. */
	w->id_at += q->sig.len;
	if (!buf_append(&q->sig, q->msg.data, q->msg.len))
		goto refuse;
	buf_free(&q->msg);
	store_message(c, r, &q->sig, w->id_at, q->desc);
	free(w);
	drive(c);
	return;
refuse:
	/* A domain with a key never sends unsigned mail: the client tries again. */
	if (c->txn != NULL)
		policy_txn_end(c->srv->policy, c->txn);
	buf_free(&q->msg);
	buf_free(&q->sig);
	free(w);
	answer(c, false, SMTP_R_LOCAL_ERROR, NULL);
	drive(c);
}

static void start_store(struct conn *c, const struct smtp_request *r)
{
	struct buf msg = BUF_INIT;
	time_t now = time(NULL);
	size_t id_at = 0;
	struct smtp_verdict v;
	struct sign_wait *w;

	/* The header's checks, before anything is stored. */
	if (c->txn != NULL && !policy_message(c->srv->policy, &c->gen->cfg, c->txn, r->message.data,
					      r->message.len, r->smtputf8, &v)) {
		policy_txn_end(c->srv->policy, c->txn);
		smtp_server_answer(c->smtp, &v);
		return;
	}
	if (!add_trace_fields(c, r, &msg, now, &id_at) || (w = calloc(1, sizeof(*w))) == NULL) {
		buf_free(&msg);
		log_event(c->srv->log, LOG_ERROR, "spool_error",
			  "session=%s error=\"out of memory\" reply=\"452 4.3.1\"", c->id);
		answer(c, false, SMTP_R_STORAGE_ERROR, NULL);
		return;
	}
	w->c = c;
	w->id_at = id_at;
	w->q.msg = msg;
	w->q.now = (int64_t)now;
	w->q.done = signed_done;
	sign_from_domain(msg.data, msg.len, r->smtputf8, w->q.domain, sizeof(w->q.domain));
	if (sign_start(c->srv, policy_user(&c->gen->cfg, smtp_server_user(c->smtp), c->trusted),
		       &w->q)) {
		c->work_pending++;
		c->waiting = true;
		uv_timer_stop(&c->timer);
		return;
	}
	msg = w->q.msg;
	store_message(c, r, &msg, id_at, w->q.desc);
	free(w);
}

static bool start_tls(struct conn *c)
{
	if (c->gen->tls == NULL)
		return false;
	c->tls = tls_session_new(c->gen->tls);
	return c->tls != NULL;
}

/* Answers what can be answered now, sends the output, and sets reading and the timer. */
/* The sender policy of MAIL: whose policy applies, and whether it allows this message now. */
static void check_mail(struct conn *c, const struct smtp_request *r)
{
	const char *user = policy_user(&c->gen->cfg, smtp_server_user(c->smtp), c->trusted);
	struct smtp_verdict v;

	if (c->txn == NULL && (c->txn = calloc(1, sizeof(*c->txn))) == NULL) {
		answer(c, false, SMTP_R_LOCAL_ERROR, NULL);
		return;
	}
	if (policy_mail(c->srv->policy, &c->gen->cfg, c->txn, user, r->address, &v) && user != NULL)
		smtp_server_set_limits(c->smtp, (size_t)c->txn->lim.max_message_size,
				       (unsigned)c->txn->lim.max_recipients);
	smtp_server_answer(c->smtp, &v);
}

static void check_rcpt(struct conn *c, const struct smtp_request *r)
{
	struct smtp_verdict v;

	policy_rcpt(c->srv->policy, &c->gen->cfg, c->txn, r->address, &v);
	smtp_server_answer(c->smtp, &v);
}

static void drive(struct conn *c)
{
	const struct smtp_request *r;
	bool replied;
	struct slice rej;

	while (!c->closing && !c->waiting && (r = smtp_server_pending(c->smtp)) != NULL) {
		switch (r->kind) {
		case SMTP_REQ_STARTTLS:
			flush(c); /* the 220 goes out in the clear, before the handshake */
			if (!start_tls(c)) {
				close_now(c, "tls setup failed");
				return;
			}
			smtp_server_tls_started(c->smtp);
			break;
		case SMTP_REQ_AUTH:
			start_auth(c, r);
			break;
		case SMTP_REQ_MAIL:
			check_mail(c, r);
			break;
		case SMTP_REQ_RCPT:
			check_rcpt(c, r);
			break;
		case SMTP_REQ_DATA:
			if (!spool_space_ok(c->srv->spool, c->gen->cfg.spool_reserve)) {
				log_event(c->srv->log, LOG_WARN, "spool_full",
					  "session=%s reserve=%llu reply=\"452 4.3.1\"", c->id,
					  (unsigned long long)c->gen->cfg.spool_reserve);
				answer(c, false, SMTP_R_NO_SPACE, NULL);
				break;
			}
			c->data_start = uv_now(&c->srv->loop);
			c->data_bytes = 0;
			answer(c, true, SMTP_R_NONE, NULL);
			break;
		case SMTP_REQ_MESSAGE:
			start_store(c, r);
			break;
		case SMTP_REQ_NONE:
			break;
		}
	}
	if (c->closing)
		return;
	/* RSET, a new EHLO or a refused message ended the transaction: its quota place goes. */
	if (c->txn != NULL && c->txn->reserved && !c->waiting &&
	    smtp_server_state(c->smtp) < SMTP_ST_MAIL)
		policy_txn_end(c->srv->policy, c->txn);
	rej = smtp_server_rejections(c->smtp);
	for (size_t i = 0; i < rej.len;) {
		const uint8_t *nl = memchr(rej.data + i, '\n', rej.len - i);
		size_t n = nl ? (size_t)(nl - rej.data) - i : rej.len - i;
		log_event(c->srv->log, LOG_INFO, "reject", "session=%s client=%s %.*s", c->id,
			  c->peer, (int)n, (const char *)rej.data + i);
		i += n + 1;
	}
	smtp_server_rejections_done(c->smtp);
	replied = flush(c);
	if (c->closing)
		return;
	if (smtp_server_closed(c->smtp)) {
		c->close_when_flushed = true;
		if (c->writes_pending == 0)
			close_now(c, NULL);
		return;
	}
	if (smtp_server_wants_input(c->smtp) && !c->reading) {
		uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_read);
		c->reading = true;
	}
	if (!smtp_server_wants_input(c->smtp) && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
	if (!c->waiting && (replied || smtp_server_in_message(c->smtp) != c->was_in_message))
		restart_timer(c);
	c->was_in_message = smtp_server_in_message(c->smtp);
	/* The output went out at once: the session may hold pipelined commands it stopped at
	 * when its output reached the high-water mark (each round takes up to that much). */
	if (replied && c->writes_pending == 0 && !c->waiting) {
		smtp_server_feed(c->smtp, NULL, 0);
		if (smtp_server_output(c->smtp).len > 0 || smtp_server_pending(c->smtp) != NULL)
			drive(c);
	}
}

/* ---- reading ----------------------------------------------------------------------------- */

void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	if (!c->srv->readbuf_busy) {
		c->srv->readbuf_busy = true;
		*buf = uv_buf_init((char *)c->srv->readbuf, sizeof(c->srv->readbuf));
		return;
	}
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void too_slow(struct conn *c)
{
	uint64_t elapsed = uv_now(&c->srv->loop) - c->data_start;
	unsigned rate = c->gen->cfg.min_data_rate;

	if (rate == 0 || elapsed < RATE_GRACE_MS || c->data_bytes * 1000 / elapsed >= rate)
		return;
	log_event(c->srv->log, LOG_INFO, "too_slow",
		  "session=%s client=%s bytes=%llu seconds=%llu min_rate=%u", c->id, c->peer,
		  (unsigned long long)c->data_bytes, (unsigned long long)(elapsed / 1000), rate);
	smtp_server_timeout(c->smtp);
	c->close_reason = "too slow";
}

static void feed_plain(struct conn *c, const uint8_t *p, size_t n)
{
	if (smtp_server_in_message(c->smtp)) {
		c->data_bytes += n;
		restart_timer(c);
	}
	smtp_server_feed(c->smtp, p, n);
	if (smtp_server_in_message(c->smtp))
		too_slow(c);
}

/* Bytes from the socket: through TLS when it is on, into the session, then drive. */
static void process_input(struct conn *c, const uint8_t *p, size_t n)
{
	int rc;

	if (c->tls == NULL) {
		feed_plain(c, p, n);
		drive(c);
		return;
	}
	if (!tls_feed(c->tls, p, n)) {
		close_now(c, "tls error");
		return;
	}
	rc = tls_read(c->tls, &c->plain);
	if (!c->tls_logged && tls_handshake_done(c->tls)) {
		c->tls_logged = true;
		log_event(c->srv->log, LOG_INFO, "tls", "session=%s client=%s version=%s cipher=%s",
			  c->id, c->peer, tls_version(c->tls), tls_cipher(c->tls));
	}
	if (c->plain.len > 0)
		feed_plain(c, c->plain.data, c->plain.len);
	buf_reset(&c->plain);
	if (rc < 0) {
		char q[200];
		flush(c); /* a TLS alert, if there is one */
		log_event(c->srv->log, LOG_INFO, "tls_error", "session=%s client=%s error=%s",
			  c->id, c->peer, log_q(q, sizeof(q), tls_error(c->tls)));
		close_now(c, "tls error");
		return;
	}
	drive(c);
}

static bool start_session(struct conn *c);

/* The PROXY header names the real client: only then is the session started. */
static void process_proxy(struct conn *c, const uint8_t *p, size_t n)
{
	struct proxy_addr pa;
	size_t used = 0;
	enum proxy_result r;
	struct buf rest = BUF_INIT;

	if (!buf_append(&c->plain, p, n)) {
		close_now(c, "out of memory");
		return;
	}
	r = proxy_parse(c->listener->conf.proxy == PROXY_V2 ? 2 : 1, c->plain.data, c->plain.len,
			&pa, &used);
	if (r == PROXY_MORE)
		return;
	if (r == PROXY_BAD) {
		log_event(c->srv->log, LOG_WARN, "proxy_error",
			  "session=%s client=%s error=\"no valid PROXY v%d header\"", c->id,
			  c->peer, c->listener->conf.proxy == PROXY_V2 ? 2 : 1);
		close_now(c, "bad proxy header");
		return;
	}
	if (pa.family != 0) {
		char via[INET6_ADDRSTRLEN];
		memcpy(via, c->peer, sizeof(via));
		inet_ntop(pa.family == 4 ? AF_INET : AF_INET6, pa.addr, c->peer, sizeof(c->peer));
		c->port = pa.port;
		c->trusted = net_blocks_contain(c->gen->cfg.trusted, c->gen->cfg.trusted_count,
						pa.family, pa.addr);
		log_event(c->srv->log, LOG_INFO, "proxy", "session=%s client=%s port=%d via=%s%s",
			  c->id, c->peer, c->port, via, c->trusted ? " trusted=yes" : "");
	}
	c->awaiting_proxy = false;
	buf_append(&rest, c->plain.data + used, c->plain.len - used);
	buf_reset(&c->plain);
	if (start_session(c) && rest.len > 0 && !c->closing)
		process_input(c, rest.data, rest.len);
	buf_free(&rest);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (buf->base == (char *)c->srv->readbuf)
		c->srv->readbuf_busy = false;
	if (nread < 0)
		close_now(c, nread == UV_EOF ? "client closed" : uv_strerror((int)nread));
	else if (nread > 0 && !c->closing) {
		c->bytes_in += (uint64_t)nread;
		if (c->awaiting_proxy)
			process_proxy(c, (const uint8_t *)buf->base, (size_t)nread);
		else
			process_input(c, (const uint8_t *)buf->base, (size_t)nread);
	}
	if (buf->base != NULL && buf->base != (char *)c->srv->readbuf)
		free(buf->base);
}

/* ---- accepting --------------------------------------------------------------------------- */

static bool peer_of(struct conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	const uint8_t *addr;
	int family;

	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
		return false;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		addr = (const uint8_t *)&in->sin_addr;
		family = 4;
		c->port = ntohs(in->sin_port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		addr = (const uint8_t *)&in6->sin6_addr;
		family = 6;
		c->port = ntohs(in6->sin6_port);
	}
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, c->peer, sizeof(c->peer));
	c->trusted =
		net_blocks_contain(c->gen->cfg.trusted, c->gen->cfg.trusted_count, family, addr);
	return true;
}

static bool start_session(struct conn *c)
{
	const struct listener *l = c->listener;
	bool implicit = l->conf.tls == LISTEN_IMPLICIT_TLS;
	enum smtp_reply_id refusal;

	c->smtp = smtp_server_new(&c->gen->smtp[l->conf.tls == LISTEN_PLAIN ? 1 : 0], implicit,
				  c->trusted);
	if (c->smtp == NULL || (implicit && !start_tls(c))) {
		close_now(c, "out of memory");
		return false;
	}
	/* Limits per client address, now that the real address is known (after PROXY). */
	refusal = policy_connect(c->srv->policy, &c->gen->cfg, c->peer, c->srv->conn_count);
	if (refusal != SMTP_R_NONE) {
		smtp_server_refuse(c->smtp, refusal);
		c->close_reason = refusal == SMTP_R_TOO_MANY_CONNECTIONS ? "too many connections"
									 : "auth throttle";
		log_event(c->srv->log, LOG_WARN, "refused", "session=%s client=%s reason=\"%s\"",
			  c->id, c->peer, c->close_reason);
	} else {
		c->ip_counted = true;
		if (c->trusted)
			apply_user_limits(c, policy_user(&c->gen->cfg, NULL, true));
	}
	drive(c);
	restart_timer(c);
	return !c->closing;
}

void conn_accept(struct listener *l)
{
	struct server *srv = l->srv;
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return;
	c->srv = srv;
	c->listener = l;
	c->gen = srv->gen;
	c->gen->refs++;
	uv_tcp_init(&srv->loop, &c->tcp);
	uv_timer_init(&srv->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->conn_count++;
	snprintf(c->id, sizeof(c->id), "%012llx",
		 (unsigned long long)((srv->seed + ++srv->sessions) & 0xffffffffffffULL));
	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&c->tcp) != 0 || !peer_of(c)) {
		close_now(c, "accept failed");
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	log_event(srv->log, LOG_INFO, "connect", "session=%s client=%s port=%d listener=%s%s",
		  c->id, c->peer, c->port, l->conf.name, c->trusted ? " trusted=yes" : "");
	if (srv->conn_count > c->gen->cfg.max_connections || srv->stopping) {
		/* RFC 5321 3.1: a server that cannot take the session says 421 and closes. */
		static const char busy[] = "421 4.7.0 Too many connections, try again later\r\n";
		send_bytes(c, (const uint8_t *)busy, sizeof(busy) - 1);
		c->close_when_flushed = true;
		c->close_reason = "too many connections";
		return;
	}
	if (l->conf.proxy != PROXY_OFF) {
		c->awaiting_proxy = true;
		uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_read);
		c->reading = true;
		uv_timer_start(&c->timer, on_timeout, (uint64_t)c->gen->cfg.command_timeout * 1000,
			       0);
		return;
	}
	start_session(c);
}
