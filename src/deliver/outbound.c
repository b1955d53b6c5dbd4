/*
 * outbound.c - one outbound SMTP connection: resolve, connect (from the sender's pool
 * address), TLS as the level asks, and the client session of proto/smtp_client.c carrying
 * one job after another for the same destination.
 *
 * Host-level failures (refused, timed out, 421, a greeting that turns us away, TLS required
 * and failing) move on to the next address, then the next MX; when none is left the job and
 * every job queued for the destination are deferred with the last failure, so a dead host
 * costs one round of connection attempts, not one per message. An opportunistic (may)
 * handshake that fails is retried once on the same address without STARTTLS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver_int.h"

enum ob_phase { OB_RESOLVING, OB_CONNECTING, OB_SESSION, OB_CLOSED };

struct outbound {
	struct outbound *next, *prev;
	struct deliver *d;
	struct dest *ds;
	enum ob_phase phase;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t creq;
	int handles; /* open libuv handles */
	bool tcp_open;
	bool aborted;
	struct smtp_client *sc;
	struct tls_session *tls;
	bool handshaking;
	bool plain_only;   /* a failed opportunistic handshake: this address without STARTTLS */
	bool retry_same;   /* the next attempt is the same address again (in plaintext) */
	bool implicit_tls; /* TLS from the first byte (a route's tls_on_connect) */
	struct dns_mx_result *mx;
	size_t host_i, addr_i;
	bool verify_names_route; /* TLS names the route's host, not the MX */
	struct job *job;
	bool idle;		    /* on ds->idle, waiting for a job */
	struct outbound *idle_next; /* on ds->idle */
	struct smtp_client_reply last;
	char host[256];
	char ip[64];
	int port;
	char tlsdesc[128];
	char why[600];
	struct buf plain;
};

struct wreq {
	uv_write_t req;
	struct buf data; /* owned until written */
};

static void next_candidate(struct outbound *ob);
static void drive(struct outbound *ob);

static void set_reply(struct smtp_client_reply *r, int cls, int subject, int detail,
		      enum smtp_stage stage, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void set_reply(struct smtp_client_reply *r, int cls, int subject, int detail,
		      enum smtp_stage stage, const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->enh = (struct enh_code){ (uint8_t)cls, (uint16_t)subject, (uint16_t)detail };
	r->stage = stage;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* ---- lifetime -------------------------------------------------------------------------- */

static void ob_free(struct outbound *ob)
{
	struct deliver *d = ob->d;
	struct dest *ds = ob->ds;

	if (ob->prev != NULL)
		ob->prev->next = ob->next;
	else
		d->conns = ob->next;
	if (ob->next != NULL)
		ob->next->prev = ob->prev;
	free(ob->mx);
	buf_free(&ob->plain);
	free(ob);
	d->active--;
	dest_release(d, ds);
	if (d->stopping)
		ev_flush(d);
	deliver_check_stopped(d);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct outbound *ob = h->data;

	if (--ob->handles == 0)
		ob_free(ob);
}

/* The TCP handle is closed: the end, or the next address. */
static void on_tcp_closed(uv_handle_t *h)
{
	struct outbound *ob = h->data;

	ob->handles--;
	if (ob->phase == OB_CLOSED) {
		if (ob->handles == 0)
			ob_free(ob);
		return;
	}
	next_candidate(ob);
}

static void session_reset(struct outbound *ob)
{
	smtp_client_free(ob->sc);
	ob->sc = NULL;
	tls_session_free(ob->tls);
	ob->tls = NULL;
	ob->handshaking = false;
	ob->tlsdesc[0] = '\0';
	buf_reset(&ob->plain);
}

/* Closes the connection; the next address is tried once it is closed. */
static void reconnect(struct outbound *ob)
{
	session_reset(ob);
	uv_timer_stop(&ob->timer);
	ob->phase = OB_CONNECTING;
	if (ob->tcp_open) {
		ob->tcp_open = false;
		uv_close((uv_handle_t *)&ob->tcp, on_tcp_closed);
		return;
	}
	next_candidate(ob);
}

/* Takes ob off its destination's idle list. */
static void unpark(struct outbound *ob)
{
	if (!ob->idle)
		return;
	for (struct outbound **p = &ob->ds->idle; *p != NULL; p = &(*p)->idle_next) {
		if (*p == ob) {
			*p = ob->idle_next;
			break;
		}
	}
	ob->idle = false;
	ob->idle_next = NULL;
}

/* The end: no job left (or it was handed back). */
static void ob_end(struct outbound *ob)
{
	unpark(ob);
	ob->phase = OB_CLOSED;
	session_reset(ob);
	uv_timer_stop(&ob->timer);
	if (ob->tcp_open) {
		ob->tcp_open = false;
		uv_close((uv_handle_t *)&ob->tcp, on_tcp_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&ob->timer))
		uv_close((uv_handle_t *)&ob->timer, on_timer_closed);
}

/* Nothing more to send (or a stop): an unsent job goes back to the queue, untried. */
static void end_returning(struct outbound *ob)
{
	if (ob->job != NULL)
		engine_job_return(ob->d, ob->job);
	ob->job = NULL;
	ob_end(ob);
}

/* The destination cannot be reached now: this job and all queued for it take `why`. */
static void give_up(struct outbound *ob, const struct smtp_client_reply *why, bool permanent)
{
	struct deliver *d = ob->d;

	log_event(d->log, LOG_INFO, "destination_failed",
		  "destination=%s permanent=%s queued=%zu reason=\"%s\"", ob->ds->key,
		  permanent ? "yes" : "no", ob->ds->queued, why->text);
	if (ob->job != NULL)
		engine_job_failed(d, ob->job, why, permanent, ob->host, ob->ip, ob->tlsdesc);
	ob->job = NULL;
	if (!d->stopping)
		dest_fail_all(d, ob->ds, why, permanent, ob->host, ob->ip);
	ob_end(ob);
}

/* ---- writing --------------------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	(void)status; /* a failed write shows up as a failed read */
	buf_free(&w->data);
	free(w);
}

/* Writes b's bytes, taking them over (b is left empty). */
static void send_buf(struct outbound *ob, struct buf *b)
{
	struct wreq *w;
	uv_buf_t u;

	if (b->len == 0 || !ob->tcp_open)
		goto drop;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		smtp_client_abort(ob->sc, "out of memory");
		goto drop;
	}
	w->data = *b;
	*b = (struct buf)BUF_INIT;
	u = uv_buf_init((char *)w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&ob->tcp, &u, 1, on_written) != 0) {
		buf_free(&w->data);
		free(w);
	}
	return;
drop:
	buf_free(b);
}

/* Sends what TLS has for the peer. */
static void flush_tls(struct outbound *ob)
{
	struct buf c = BUF_INIT;

	if (ob->tls != NULL && tls_pending_output(ob->tls, &c))
		send_buf(ob, &c);
	buf_free(&c);
}

static void flush_session(struct outbound *ob)
{
	struct buf out = BUF_INIT;

	if (ob->sc == NULL || !smtp_client_has_output(ob->sc))
		return;
	smtp_client_output(ob->sc, &out);
	if (ob->tls != NULL && !ob->handshaking) {
		if (!tls_write(ob->tls, out.data, out.len))
			smtp_client_abort(ob->sc, "TLS write failed");
		flush_tls(ob);
	} else {
		send_buf(ob, &out);
	}
	buf_free(&out);
}

static void arm(struct outbound *ob, unsigned seconds);

static void on_timeout(uv_timer_t *t)
{
	struct outbound *ob = t->data;

	if (ob->phase == OB_CONNECTING) {
		set_reply(&ob->last, 4, 4, 1, SC_STAGE_CONNECT,
			  "connect to %s[%s]:%d timed out after %u s", ob->host, ob->ip, ob->port,
			  ob->d->cfg->connect_timeout);
		/* The connect callback runs with UV_ECANCELED, then the close callback moves on. */
		ob->tcp_open = false;
		uv_close((uv_handle_t *)&ob->tcp, on_tcp_closed);
		return;
	}
	if (ob->phase == OB_SESSION && ob->sc != NULL) {
		char why[512];
		snprintf(why, sizeof(why), "timed out waiting for %s[%s] (%u s)", ob->host, ob->ip,
			 ob->job ? ob->d->cfg->data_timeout_out : ob->d->cfg->smtp_timeout);
		smtp_client_abort(ob->sc, why);
		drive(ob);
	}
}

static void arm(struct outbound *ob, unsigned seconds)
{
	uv_timer_start(&ob->timer, on_timeout, (uint64_t)seconds * 1000, 0);
}

/* ---- the session ----------------------------------------------------------------------- */

static const char *helo_name(const struct outbound *ob, const struct pool_address *pa)
{
	const struct tern_config *c = ob->d->cfg;

	if (pa != NULL && pa->helo[0] != '\0')
		return pa->helo;
	return c->helo_name[0] ? c->helo_name : c->hostname;
}

static enum smtp_tls_level tls_level(const struct outbound *ob)
{
	enum delivery_tls t = ob->ds->has_route && ob->ds->route.tls != DTLS_DEFAULT
				      ? ob->ds->route.tls
				      : ob->d->cfg->tls;

	if (ob->plain_only || ob->d->tls == NULL)
		return t >= DTLS_ENCRYPT && !ob->plain_only ? (enum smtp_tls_level)t
							    : SMTP_TLS_NONE;
	return (enum smtp_tls_level)t;
}

static bool start_tls(struct outbound *ob)
{
	bool verify = tls_level(ob) == SMTP_TLS_VERIFY;

	if (ob->d->tls == NULL)
		return false;
	ob->tls = tls_session_new_client(ob->d->tls, ob->host, verify);
	if (ob->tls == NULL)
		return false;
	ob->handshaking = true;
	if (tls_handshake(ob->tls) < 0)
		return false;
	flush_tls(ob);
	return true;
}

/* Records the end of a handshake; `why` says what went wrong (NULL: ask the session). Returns
 * the words for the failure, "TLS handshake with HOST failed: ...", in ob->why. */
static const char *handshake_result(struct outbound *ob, bool ok, const char *why)
{
	ob->handshaking = false;
	if (ok)
		snprintf(ob->tlsdesc, sizeof(ob->tlsdesc), "%s/%s", tls_version(ob->tls),
			 tls_cipher(ob->tls));
	else
		snprintf(ob->why, sizeof(ob->why), "TLS handshake with %s[%s] failed: %s", ob->host,
			 ob->ip,
			 why != NULL ? why
			 : ob->tls != NULL
				 ? tls_error(ob->tls)
				 : "no TLS context (see the tls_ca_file warning at start)");
	if (ob->d->cfg->log_level <= LOG_DEBUG || !ok)
		log_event(ob->d->log, ok ? LOG_DEBUG : LOG_INFO, "outbound_tls",
			  "host=%s ip=%s result=%s %s\"%s\"", ob->host, ob->ip,
			  ok ? "ok" : "failed", ok ? "tls=" : "error=", ok ? ob->tlsdesc : ob->why);
	return ob->why;
}

/* At SC_DONE: decide what is final; keep what goes to the next transaction or host. */
static void transaction_done(struct outbound *ob)
{
	bool unusable = false;
	const struct smtp_client_reply *f = smtp_client_failure(ob->sc, &unusable);
	bool elsewhere = f != NULL && unusable;

	ob->job = engine_job_settle(ob->d, ob->job, elsewhere, ob->host, ob->ip, ob->tlsdesc);
}

/* Whether a session's failure fails the job for good. A relay refusing our AUTH (or offering
 * none we can use) is the operator's setup to fix, not the message's fault: deferred, as
 * Postfix's smtp_sasl_auth_soft_bounce does, so one wrong password bounces nothing. */
static bool permanent_failure(const struct smtp_client_reply *f)
{
	if (f->stage == SC_STAGE_AUTH)
		return false;
	return f->code >= 500 || (f->code == 0 && f->enh.cls == 5);
}

static void session_closed(struct outbound *ob)
{
	bool unusable = false, plain = smtp_client_retry_plain(ob->sc);
	const struct smtp_client_reply *f = smtp_client_failure(ob->sc, &unusable);

	if (f != NULL)
		ob->last = *f;
	if (ob->job == NULL || ob->d->stopping) {
		end_returning(ob);
		return;
	}
	if (plain && ob->ds->has_route && ob->ds->route.auth_user[0] != '\0') {
		/* Never in plaintext where a password would follow: whoever breaks the handshake
		 * must not make it leak. The next address, or a deferral. */
		snprintf(ob->last.text, sizeof(ob->last.text),
			 "%.300s; not retried without TLS, because this route logs in with a "
			 "password "
			 "(the connection is not encrypted otherwise)",
			 ob->why);
		ob->last.enh = (struct enh_code){ 4, 7, 5 };
		reconnect(ob);
		return;
	}
	if (plain) {
		/* Same address again, in plaintext: may-level TLS is best effort. */
		ob->plain_only = true;
		ob->retry_same = true;
		reconnect(ob);
		return;
	}
	if (f != NULL && !unusable) {
		/* The server refused something that is not about the host (AUTH, for one): the
		 * reply decides for the job. */
		engine_job_failed(ob->d, ob->job, f, permanent_failure(f), ob->host, ob->ip,
				  ob->tlsdesc);
		ob->job = NULL;
		ob_end(ob);
		return;
	}
	reconnect(ob);
}

/* The idle time is over: QUIT. */
static void on_idle_over(uv_timer_t *t)
{
	struct outbound *ob = t->data;

	unpark(ob);
	if (ob->sc == NULL)
		return;
	smtp_client_quit(ob->sc);
	arm(ob, ob->d->cfg->smtp_timeout);
	drive(ob);
}

/* Keeps a greeted connection without a job open for connection_cache_time, for the next
 * message to this destination: no new TCP connection, EHLO and TLS handshake for it (mail
 * from an application comes a message at a time). false: not kept, QUIT now. */
static bool park(struct outbound *ob)
{
	unsigned keep = ob->d->cfg->connection_cache;

	if (keep == 0 || ob->d->stopping)
		return false;
	ob->idle = true;
	ob->idle_next = ob->ds->idle;
	ob->ds->idle = ob;
	uv_timer_start(&ob->timer, on_idle_over, (uint64_t)keep * 1000, 0);
	return true;
}

bool outbound_wake(struct dest *ds)
{
	struct outbound *ob = ds->idle;

	if (ob == NULL || ds->head == NULL)
		return false;
	unpark(ob);
	uv_timer_stop(&ob->timer);
	drive(ob); /* SC_READY: takes the job at the head of ds */
	return true;
}

void outbound_close_idle(struct deliver *d)
{
	for (struct outbound *ob = d->conns; ob != NULL; ob = ob->next) {
		if (!ob->idle)
			continue;
		unpark(ob);
		uv_timer_stop(&ob->timer);
		smtp_client_quit(ob->sc);
		arm(ob, d->cfg->smtp_timeout);
		drive(ob);
	}
}

static void drive(struct outbound *ob)
{
	for (int guard = 0; guard < 1000 && ob->sc != NULL; guard++) {
		enum smtp_client_event ev;

		flush_session(ob);
		ev = smtp_client_event(ob->sc);
		switch (ev) {
		case SC_WAIT:
			return;
		case SC_START_TLS:
			if (!start_tls(ob))
				smtp_client_tls_done(ob->sc, false,
						     handshake_result(ob, false, NULL));
			return;
		case SC_READY:
			if (ob->idle)
				return; /* waiting for a job: nothing to say meanwhile */
			if (ob->job == NULL && !ob->d->stopping)
				ob->job = dest_pop(ob->ds);
			if (ob->job != NULL) {
				smtp_client_send(ob->sc, &ob->job->msg, ob->job->res);
				arm(ob, ob->d->cfg->data_timeout_out);
			} else if (!park(ob)) {
				smtp_client_quit(ob->sc);
				arm(ob, ob->d->cfg->smtp_timeout);
			}
			break;
		case SC_DONE:
			transaction_done(ob);
			break;
		case SC_CLOSED:
			flush_session(ob);
			session_closed(ob);
			return;
		}
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(suggested);
	b->len = b->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct outbound *ob = s->data;

	if (n < 0 && ob->sc != NULL) {
		char why[512];
		snprintf(why, sizeof(why), "connection to %s[%s] %s", ob->host, ob->ip,
			 n == UV_EOF ? "closed by the server" : uv_strerror((int)n));
		if (ob->handshaking && !ob->implicit_tls) {
			smtp_client_tls_done(ob->sc, false, handshake_result(ob, false, why));
		} else if (ob->handshaking) {
			smtp_client_abort(ob->sc, handshake_result(ob, false, why));
		} else {
			smtp_client_abort(ob->sc, why);
		}
		drive(ob);
	} else if (n > 0 && ob->sc != NULL) {
		arm(ob, ob->job ? ob->d->cfg->data_timeout_out : ob->d->cfg->smtp_timeout);
		if (ob->tls == NULL) {
			smtp_client_feed(ob->sc, (const uint8_t *)b->base, (size_t)n);
		} else if (!tls_feed(ob->tls, (const uint8_t *)b->base, (size_t)n)) {
			smtp_client_abort(ob->sc, "TLS failure");
		} else {
			if (ob->handshaking) {
				int h = tls_handshake(ob->tls);
				flush_tls(ob);
				if (h != 0) {
					const char *w = handshake_result(ob, h > 0, NULL);
					if (!ob->implicit_tls)
						smtp_client_tls_done(ob->sc, h > 0, w);
					else if (h < 0)
						smtp_client_abort(ob->sc, w);
				}
			}
			if (!ob->handshaking && ob->sc != NULL && ob->tls != NULL) {
				buf_reset(&ob->plain);
				if (tls_read(ob->tls, &ob->plain) < 0 && ob->plain.len == 0)
					smtp_client_abort(ob->sc, tls_error(ob->tls));
				else
					smtp_client_feed(ob->sc, ob->plain.data, ob->plain.len);
				flush_tls(ob);
			}
		}
		drive(ob);
	}
	free(b->base);
}

/* ---- connecting ------------------------------------------------------------------------ */

static const struct pool_address *pool_address(struct outbound *ob, int family)
{
	const struct pool_config *p;

	if (ob->ds->pool < 0 || (size_t)ob->ds->pool >= ob->d->cfg->pool_count)
		return NULL; /* a reload took the pool away: the system picks the address */
	p = &ob->d->cfg->pools[ob->ds->pool];
	for (size_t k = 0; k < p->naddrs; k++) {
		unsigned *next = &ob->d->pool_next[ob->ds->pool];
		const struct pool_address *a = &p->addrs[(*next + k) % p->naddrs];
		if (a->family == family) {
			*next += (unsigned)k + 1;
			return a;
		}
	}
	return NULL;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct outbound *ob = req->data;
	struct smtp_client_config cc = { 0 };
	const struct pool_address *pa = NULL;

	if (status != 0 || !ob->tcp_open) {
		/* Canceled: a timeout or a stop closed the handle and said why. */
		if (status != UV_ECANCELED)
			set_reply(&ob->last, 4, 4, 1, SC_STAGE_CONNECT, "connect to %s[%s]:%d: %s",
				  ob->host, ob->ip, ob->port, uv_strerror(status));
		if (ob->tcp_open)
			reconnect(ob);
		return;
	}
	ob->phase = OB_SESSION;
	if (ob->ds->pool >= 0 && (size_t)ob->ds->pool < ob->d->cfg->pool_count) {
		const struct pool_config *p = &ob->d->cfg->pools[ob->ds->pool];
		struct sockaddr_storage local;
		int len = sizeof(local);
		char text[64] = "";
		if (uv_tcp_getsockname(&ob->tcp, (struct sockaddr *)&local, &len) == 0)
			uv_ip_name((struct sockaddr *)&local, text, sizeof(text));
		for (size_t k = 0; k < p->naddrs && pa == NULL; k++)
			if (strcmp(p->addrs[k].text, text) == 0)
				pa = &p->addrs[k];
	}
	cc.helo_name = helo_name(ob, pa);
	cc.tls = tls_level(ob);
	cc.tls_on_connect = ob->implicit_tls = ob->ds->has_route && ob->ds->route.tls_on_connect;
	if (ob->ds->has_route && ob->ds->route.auth_user[0] != '\0') {
		cc.auth_user = ob->ds->route.auth_user;
		cc.auth_pass = ob->ds->route.auth_password;
	}
	ob->sc = smtp_client_new(&cc);
	if (ob->sc == NULL) {
		set_reply(&ob->last, 4, 3, 0, SC_STAGE_CONNECT, "out of memory");
		reconnect(ob);
		return;
	}
	uv_tcp_nodelay(&ob->tcp, 1);
	uv_read_start((uv_stream_t *)&ob->tcp, on_alloc, on_read);
	arm(ob, ob->d->cfg->smtp_timeout);
	if (cc.tls_on_connect && !start_tls(ob)) {
		smtp_client_abort(ob->sc, handshake_result(ob, false, NULL));
		drive(ob);
	}
}

static void reconnect_later(struct outbound *ob)
{
	ob->phase = OB_CONNECTING;
	ob->tcp_open = false;
	uv_close((uv_handle_t *)&ob->tcp, on_tcp_closed);
}

/* Tries one address: true when a connection is under way or its handle is closing (the close
 * callback moves on), false to try the next address at once. */
static bool connect_to(struct outbound *ob, const struct dns_host *h, size_t a)
{
	struct sockaddr_storage ss = h->addrs[a];
	const struct pool_address *pa = NULL;
	int family = ss.ss_family == AF_INET6 ? 6 : 4;
	int rc;

	if (ob->ds->pool >= 0 && (size_t)ob->ds->pool < ob->d->cfg->pool_count &&
	    (pa = pool_address(ob, family)) == NULL)
		return false; /* the pool has no address of this family */
	ob->port = ob->ds->has_route && ob->ds->route.port ? ob->ds->route.port
							   : (int)ob->d->cfg->remote_port;
	if (family == 6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)ob->port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)ob->port);
	uv_ip_name((struct sockaddr *)&ss, ob->ip, sizeof(ob->ip));
	snprintf(ob->host, sizeof(ob->host), "%s",
		 ob->ds->has_route && ob->ds->route.host[0] ? ob->ds->route.host : h->name);
	if (uv_tcp_init(ob->d->loop, &ob->tcp) != 0)
		return false;
	ob->tcp.data = ob;
	ob->tcp_open = true;
	ob->handles++;
	if (pa != NULL) {
		struct sockaddr_storage local = { 0 };
		if (family == 6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&local;
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, pa->addr, 16);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&local;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, pa->addr, 4);
		}
		if ((rc = uv_tcp_bind(&ob->tcp, (struct sockaddr *)&local, 0)) != 0) {
			set_reply(&ob->last, 4, 4, 0, SC_STAGE_CONNECT,
				  "cannot bind to pool address %s: %s", pa->text, uv_strerror(rc));
			reconnect_later(ob);
			return true;
		}
	}
	ob->creq.data = ob;
	if ((rc = uv_tcp_connect(&ob->creq, &ob->tcp, (struct sockaddr *)&ss, on_connect)) != 0) {
		set_reply(&ob->last, 4, 4, 1, SC_STAGE_CONNECT, "connect to %s[%s]:%d: %s",
			  ob->host, ob->ip, ob->port, uv_strerror(rc));
		reconnect_later(ob);
		return true;
	}
	ob->phase = OB_CONNECTING;
	arm(ob, ob->d->cfg->connect_timeout);
	return true;
}

/* The next address to try (after a failure or at the start); gives up when none is left. */
static void next_candidate(struct outbound *ob)
{
	if (ob->job == NULL || ob->d->stopping) {
		end_returning(ob);
		return;
	}
	if (ob->retry_same && ob->mx != NULL && ob->addr_i > 0) {
		ob->retry_same = false;
		if (connect_to(ob, &ob->mx->hosts[ob->host_i], ob->addr_i - 1))
			return;
	}
	ob->retry_same = false;
	while (ob->mx != NULL && ob->host_i < ob->mx->nhosts) {
		const struct dns_host *h = &ob->mx->hosts[ob->host_i];
		size_t a = ob->addr_i++;
		if (h->status != DNS_OK || a >= h->naddrs) {
			ob->host_i++;
			ob->addr_i = 0;
			continue;
		}
		ob->plain_only = false;
		if (connect_to(ob, h, a))
			return;
	}
	give_up(ob, &ob->last, false);
}

static void on_resolved(const struct dns_mx_result *res, void *arg)
{
	struct outbound *ob = arg;
	bool route = ob->ds->has_route && ob->ds->route.host[0] != '\0';

	ob->phase = OB_CONNECTING;
	if (ob->d->stopping) {
		next_candidate(ob);
		return;
	}
	switch (res->status) {
	case DNS_OK:
		if ((ob->mx = malloc(sizeof(*ob->mx))) == NULL) {
			set_reply(&ob->last, 4, 3, 0, SC_STAGE_CONNECT, "out of memory");
			break;
		}
		*ob->mx = *res;
		set_reply(&ob->last, 4, 4, 4, SC_STAGE_CONNECT, "%s: no usable mail host address",
			  ob->ds->domain);
		next_candidate(ob);
		return;
	case DNS_NXDOMAIN:
		if (route)
			break;
		set_reply(&ob->last, 5, 1, 2, SC_STAGE_CONNECT, "Host or domain name not found: %s",
			  res->error);
		give_up(ob, &ob->last, true);
		return;
	case DNS_NULL_MX:
		set_reply(&ob->last, 5, 1, 10, SC_STAGE_CONNECT,
			  "The domain %s accepts no mail (null MX, RFC 7505)", ob->ds->domain);
		give_up(ob, &ob->last, true);
		return;
	case DNS_NO_ADDRESS:
		if (route)
			break;
		set_reply(&ob->last, 5, 4, 4, SC_STAGE_CONNECT,
			  "No address for the mail hosts of %s: %s", ob->ds->domain, res->error);
		give_up(ob, &ob->last, true);
		return;
	case DNS_TEMPFAIL:
	default:
		break;
	}
	/* Temporary DNS trouble, or a route whose host does not resolve (the operator's to fix):
	 * deferred, not bounced. */
	set_reply(&ob->last, 4, 4, 3, SC_STAGE_CONNECT, "DNS lookup failed: %s",
		  res->error[0] ? res->error : dns_status_name(res->status));
	give_up(ob, &ob->last, false);
}

bool outbound_start(struct deliver *d, struct dest *ds, struct job *first)
{
	struct outbound *ob = calloc(1, sizeof(*ob));

	if (ob == NULL)
		return false;
	ob->d = d;
	ob->ds = ds;
	ob->job = first;
	ob->phase = OB_RESOLVING;
	uv_timer_init(d->loop, &ob->timer);
	ob->timer.data = ob;
	ob->handles = 1;
	ob->next = d->conns;
	if (d->conns != NULL)
		d->conns->prev = ob;
	d->conns = ob;
	d->active++;
	ds->active++;
	if (ds->has_route && ds->route.host[0] != '\0')
		dns_resolve_host(d->dns, ds->route.host, on_resolved, ob);
	else
		dns_resolve_mx(d->dns, ds->domain, on_resolved, ob);
	return true;
}

void outbound_abort_all(struct deliver *d, const char *why)
{
	for (struct outbound *ob = d->conns; ob != NULL; ob = ob->next) {
		unpark(ob);
		if (ob->phase == OB_SESSION && ob->sc != NULL) {
			smtp_client_abort(ob->sc, why);
			drive(ob);
		} else if (ob->phase == OB_CONNECTING && ob->tcp_open) {
			reconnect_later(ob); /* next_candidate sees the stop and ends */
		}
	}
}
