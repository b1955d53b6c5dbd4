/*
 * server.c - the submission server's loop: configuration generations, listeners, signals and
 * a clean stop (see server.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkim/rotate.h"
#include "net/dns.h"
#include "submit/server.h"
#include "submit/submit_int.h"

static struct conf_gen *gen_new(const struct tern_config *cfg, struct logger *log)
{
	struct conf_gen *g = calloc(1, sizeof(*g));
	char err[512];
	bool needs_tls = false;

	if (g == NULL)
		return NULL;
	g->refs = 1;
	g->cfg = *cfg;
	for (size_t i = 0; i < cfg->listener_count; i++)
		needs_tls |= cfg->listeners[i].tls != LISTEN_PLAIN;
	if (cfg->tls_certificate[0] != '\0') {
		g->tls = tls_context_new(cfg->tls_certificate, cfg->tls_private_key, err,
					 sizeof(err));
		if (g->tls == NULL) {
			log_event(log, LOG_ERROR, "config", "error=\"%s\"", err);
			free(g);
			return NULL;
		}
	} else if (needs_tls) {
		log_event(log, LOG_ERROR, "config",
			  "error=\"a listener uses TLS but [tls] certificate is not set; set "
			  "certificate and private_key, or tls = none on the listener\"");
		free(g);
		return NULL;
	}
	for (int k = 0; k < 2; k++) {
		struct smtp_server_config *s = &g->smtp[k];
		s->hostname = g->cfg.hostname;
		s->max_message_size = (size_t)cfg->max_message_size;
		s->max_recipients = cfg->max_recipients;
		s->max_errors = cfg->max_errors;
		s->max_auth_failures = cfg->max_auth_failures;
		s->starttls_offered = k == 0 && g->tls != NULL;
		s->auth_offered = true;
		s->allow_plaintext_auth = cfg->allow_plaintext_auth;
		s->require_tls = cfg->require_tls;
	}
	return g;
}

void conf_gen_unref(struct conf_gen *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	tls_context_unref(g->tls);
	free(g);
}

static void on_handle_closed(uv_handle_t *h)
{
	(void)h;
}

/* Stops the rotation; a check in progress ends on its own while the loop runs. */
static void rotation_stop(struct server *srv)
{
	dkim_rotator_free(srv->rotator);
	srv->rotator = NULL;
	if (srv->rot_dns != NULL)
		dns_resolver_free(srv->rot_dns);
	srv->rot_dns = NULL;
}

/* Without it pending keys stay pending; mail is still signed with the active keys. */
static void rotation_start(struct server *srv, const struct tern_config *cfg)
{
	char err[512];

	if (store_open_sqlite(cfg->store_path, &srv->rot_store, err, sizeof(err)) != 0)
		goto fail;
	srv->rot_dns =
		dns_resolver_new(&srv->loop, cfg->dns_servers, cfg->dns_timeout, err, sizeof(err));
	if (srv->rot_dns == NULL)
		goto fail;
	srv->rotator = dkim_rotator_new(&srv->loop, srv->rot_store, srv->rot_dns, srv->log,
					cfg->dkim_rotation_check, cfg->dkim_rotation_grace);
	if (srv->rotator != NULL)
		return;
	snprintf(err, sizeof(err), "out of memory");
fail:
	log_event(srv->log, LOG_ERROR, "dkim_rotation",
		  "error=\"cannot start the key rotation: %s\" hint=\"pending keys stay pending "
		  "until a restart\"",
		  err);
	rotation_stop(srv);
}

/* Everything is closed or closing: let the loop run dry. */
static void finish(struct server *srv)
{
	if (srv->finished)
		return;
	srv->finished = true;
	uv_close((uv_handle_t *)&srv->sig_term, on_handle_closed);
	uv_close((uv_handle_t *)&srv->sig_int, on_handle_closed);
	uv_close((uv_handle_t *)&srv->sig_hup, on_handle_closed);
	uv_close((uv_handle_t *)&srv->grace, on_handle_closed);
	uv_close((uv_handle_t *)&srv->usage_timer, on_handle_closed);
	rotation_stop(srv);
	policy_flush(srv->policy);
	committer_stop(&srv->commit);
	log_event(srv->log, LOG_INFO, "stopped", "%s", "");
}

/* Keys added, rotated or removed by `tern dkim` reach the signer within a second. */
static void dkim_refresh(struct server *srv, bool force)
{
	int64_t v = 0;
	char err[600];

	if (store_data_version(srv->store, &v) != 0 || (!force && v == srv->store_version))
		return;
	srv->store_version = v;
	if (sign_load(srv, err, sizeof(err)) != 0)
		log_event(srv->log, LOG_ERROR, "dkim_keys",
			  "error=\"%s\" kept=previous hint=\"tern dkim list shows the keys\"", err);
}

static void on_usage_timer(uv_timer_t *t)
{
	struct server *srv = t->data;

	policy_flush(srv->policy);
	dkim_refresh(srv, false);
}

void server_conn_gone(struct server *srv)
{
	srv->conn_count--;
	if (srv->stopping && srv->conn_count == 0 && srv->deliver_stopped)
		finish(srv);
}

static void on_deliver_stopped(void *arg)
{
	struct server *srv = arg;

	srv->deliver_stopped = true;
	if (srv->conn_count == 0)
		finish(srv);
}

static void on_grace_over(uv_timer_t *t)
{
	struct server *srv = t->data;

	log_event(srv->log, LOG_WARN, "shutdown_grace_over", "sessions=%zu", srv->conn_count);
	for (struct conn *k = srv->conns; k != NULL;) {
		struct conn *n = conn_next(k);
		conn_force_close(k);
		k = n;
	}
}

static void stop(struct server *srv, const char *why)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_event(srv->log, LOG_INFO, "stopping", "signal=%s sessions=%zu", why, srv->conn_count);
	for (size_t i = 0; i < srv->listener_count; i++) {
		if (srv->listeners[i].open)
			uv_close((uv_handle_t *)&srv->listeners[i].tcp, on_handle_closed);
		srv->listeners[i].open = false;
	}
	for (struct conn *k = srv->conns; k != NULL;) {
		struct conn *n = conn_next(k);
		conn_shutdown(k);
		k = n;
	}
	control_close(srv->control);
	srv->control = NULL;
	if (srv->deliver != NULL)
		deliver_stop(srv->deliver, on_deliver_stopped, srv);
	else
		srv->deliver_stopped = true;
	if (srv->conn_count == 0) {
		if (srv->deliver_stopped)
			finish(srv);
		return;
	}
	uv_timer_start(&srv->grace, on_grace_over, (uint64_t)srv->gen->cfg.shutdown_grace * 1000,
		       0);
}

static void reload(struct server *srv)
{
	struct tern_config cfg;
	struct conf_gen *g;
	char err[512];

	if (srv->config_path == NULL) {
		log_event(srv->log, LOG_INFO, "reload",
			  "result=skipped reason=\"no configuration file\"");
		return;
	}
	if (config_load(srv->config_path, &cfg, err, sizeof(err)) != 0) {
		log_event(srv->log, LOG_ERROR, "reload", "result=failed error=\"%s\" kept=previous",
			  err);
		return;
	}
	/* Listeners stay as they are: a new address or port needs a restart. */
	cfg.listener_count = srv->gen->cfg.listener_count;
	memcpy(cfg.listeners, srv->gen->cfg.listeners, sizeof(cfg.listeners));
	g = gen_new(&cfg, srv->log);
	if (g == NULL) {
		log_event(srv->log, LOG_ERROR, "reload", "result=failed kept=previous");
		return;
	}
	conf_gen_unref(srv->gen);
	srv->gen = g;
	srv->log->level = cfg.log_level;
	if (srv->deliver != NULL)
		deliver_reload(srv->deliver, &cfg);
	dkim_rotator_configure(srv->rotator, cfg.dkim_rotation_check, cfg.dkim_rotation_grace);
	dkim_refresh(srv, true);
	log_event(srv->log, LOG_INFO, "reload", "result=ok sessions=%zu", srv->conn_count);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *srv = h->data;

	if (signum == SIGHUP)
		reload(srv);
	else
		stop(srv, signum == SIGTERM ? "TERM" : "INT");
}

static void on_connection(uv_stream_t *s, int status)
{
	struct listener *l = s->data;

	if (status < 0) {
		log_event(l->srv->log, LOG_WARN, "accept_error", "listener=%s error=\"%s\"",
			  l->conf.name, uv_strerror(status));
		return;
	}
	conn_accept(l);
}

static int open_listener(struct server *srv, struct listener *l)
{
	struct sockaddr_storage ss;
	int rc;

	if (strchr(l->conf.address, ':') != NULL)
		rc = uv_ip6_addr(l->conf.address, l->conf.port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(l->conf.address, l->conf.port, (struct sockaddr_in *)&ss);
	if (rc == 0)
		rc = uv_tcp_init(&srv->loop, &l->tcp);
	if (rc != 0)
		goto fail;
	l->open = true;
	l->tcp.data = l;
	if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection)) != 0)
		goto fail;
	log_event(srv->log, LOG_INFO, "listening", "listener=%s address=%s port=%d tls=%s",
		  l->conf.name, l->conf.address, l->conf.port,
		  l->conf.tls == LISTEN_STARTTLS       ? "starttls"
		  : l->conf.tls == LISTEN_IMPLICIT_TLS ? "implicit"
						       : "none");
	return 0;
fail:
	log_event(srv->log, LOG_ERROR, "listen",
		  "listener=%s address=%s port=%d error=\"%s\" hint=\"is another server using the "
		  "port? ports below 1024 need root\"",
		  l->conf.name, l->conf.address, l->conf.port, uv_strerror(rc));
	return -1;
}

int server_run(const char *config_path, const struct tern_config *cfg, struct logger *log)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct spool_recovery rec = { 0 };
	char err[512];
	int rc = 1, r;

	if (srv == NULL)
		return 1;
	srv->log = log;
	srv->config_path = config_path;
	srv->seed = ((uint64_t)time(NULL) << 20) ^ ((uint64_t)getpid() << 36);
	/* The thread pool runs spool reads, event batches, fsyncs of finished messages, DNS-free
	 * store lookups and password hashing; fsync waits hold a thread each, so four (libuv's
	 * default) leave the rest starving. Set before the pool starts; the operator's value wins. */
	setenv("UV_THREADPOOL_SIZE", "16", 0);
	uv_loop_init(&srv->loop);
	uv_timer_init(&srv->loop, &srv->grace);
	srv->grace.data = srv;
	if ((srv->gen = gen_new(cfg, log)) == NULL)
		goto done;
	if (store_open_sqlite(cfg->store_path, &srv->store, err, sizeof(err)) != 0) {
		log_event(log, LOG_ERROR, "store", "error=\"%s\"", err);
		goto done;
	}
	if (spool_open(cfg->spool_path, &srv->spool, &rec, err, sizeof(err)) != 0) {
		log_event(log, LOG_ERROR, "spool", "error=\"%s\"", err);
		goto done;
	}
	if ((srv->policy = policy_new(srv->store, log, NULL, NULL)) == NULL)
		goto done;
	if ((r = committer_start(&srv->commit, &srv->loop, srv->spool)) != 0) {
		log_event(log, LOG_ERROR, "spool", "error=\"cannot start the flusher: %s\"",
			  uv_strerror(r));
		goto done;
	}
	if ((r = policy_load(srv->policy)) < 0)
		log_event(log, LOG_WARN, "usage_load",
			  "error=\"%s\" hint=\"quotas start from zero\"", strerror(-r));
	{
		struct deliver_deps deps = { &srv->loop, srv->spool, &srv->commit, log };
		srv->deliver = deliver_new(&deps, cfg, err, sizeof(err));
		if (srv->deliver == NULL) {
			log_event(log, LOG_ERROR, "delivery", "error=\"%s\"", err);
			committer_stop(&srv->commit);
			uv_run(&srv->loop, UV_RUN_NOWAIT);
			goto done;
		}
	}
	uv_timer_init(&srv->loop, &srv->usage_timer);
	srv->usage_timer.data = srv;
	uv_timer_start(&srv->usage_timer, on_usage_timer, 1000, 1000);
	log_event(log, LOG_INFO, "spool_recovered", "path=%s messages=%zu torn=%zu quarantined=%zu",
		  cfg->spool_path, rec.messages, rec.torn, rec.quarantined);
	(void)deliver_start(srv->deliver);
	if ((r = sign_load(srv, err, sizeof(err))) != 0) {
		/* Mail of a domain with a key must not go out unsigned: no start without the keys. */
		log_event(log, LOG_ERROR, "dkim_keys", "error=\"%s\"", err);
		goto stop_listeners;
	}
	(void)store_data_version(srv->store, &srv->store_version);
	rotation_start(srv, cfg);
	srv->control = control_open(&srv->loop, cfg->data_dir, srv->deliver, log);
	srv->listener_count = cfg->listener_count;
	for (size_t i = 0; i < cfg->listener_count; i++) {
		srv->listeners[i].srv = srv;
		srv->listeners[i].conf = cfg->listeners[i];
		if (open_listener(srv, &srv->listeners[i]) != 0)
			goto stop_listeners;
	}
	uv_signal_init(&srv->loop, &srv->sig_term);
	uv_signal_init(&srv->loop, &srv->sig_int);
	uv_signal_init(&srv->loop, &srv->sig_hup);
	srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);
	uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
	log_event(log, LOG_INFO, "started", "version=%s hostname=%s pid=%d", TERN_VERSION,
		  cfg->hostname, (int)getpid());
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	rc = 0;
	goto done;
stop_listeners:
	control_close(srv->control);
	srv->control = NULL;
	srv->deliver_stopped = true;
	committer_stop(&srv->commit);
	uv_close((uv_handle_t *)&srv->usage_timer, on_handle_closed);
	rotation_stop(srv);
	for (size_t i = 0; i < srv->listener_count; i++)
		if (srv->listeners[i].open)
			uv_close((uv_handle_t *)&srv->listeners[i].tcp, on_handle_closed);
	uv_close((uv_handle_t *)&srv->grace, on_handle_closed);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
done:
	if (rc != 0 && !uv_is_closing((uv_handle_t *)&srv->grace)) {
		uv_close((uv_handle_t *)&srv->grace, on_handle_closed);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
	}
	rotation_stop(srv);
	sign_unload(srv);
	deliver_free(srv->deliver);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	uv_loop_close(&srv->loop);
	policy_free(srv->policy);
	spool_close(srv->spool);
	store_close(srv->store);
	store_close(srv->rot_store);
	srv->rot_store = NULL;
	conf_gen_unref(srv->gen);
	free(srv);
	return rc;
}
