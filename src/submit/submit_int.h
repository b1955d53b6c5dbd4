/*
 * submit_int.h - what server.c (loop, listeners, signals) and conn.c (one client connection)
 * share. Internal to src/submit.
 */
#ifndef TERN_SUBMIT_INT_H
#define TERN_SUBMIT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "net/tls.h"
#include "proto/smtp_server.h"
#include "queue/spool.h"
#include "store/store.h"
#include "policy/policy.h"
#include "deliver/control.h"
#include "deliver/deliver.h"
#include "dkim/dkim.h"
#include "queue/commit.h"

/* One configuration generation: what a session was started with stays valid for its whole
 * life, even when SIGHUP installs a newer one. */
struct conf_gen {
	int refs;
	struct tern_config cfg;
	struct smtp_server_config smtp[2]; /* [0] TLS listeners, [1] plain ones (no STARTTLS) */
	struct tls_context *tls;	   /* NULL when no certificate is configured */
};

struct server;

struct listener {
	uv_tcp_t tcp;
	struct server *srv;
	struct listener_config conf;
	bool open;
};

struct conn;

struct server {
	uv_loop_t loop;
	struct logger *log;
	const char *config_path;
	struct conf_gen *gen;
	struct listener listeners[CONFIG_LISTENERS_MAX];
	size_t listener_count;
	struct store *store;
	struct spool *spool;
	struct committer commit;   /* flushes the spool for the sessions */
	struct deliver *deliver;   /* takes what was accepted to its recipients */
	struct control *control;   /* DATA_DIR/control.sock for `tern queue` */
	struct signer_ref *signer; /* DKIM keys; NULL when signing is off */
	int64_t store_version;	   /* the store's data version the signer was loaded at */
	/* DKIM key rotation (src/dkim/rotate.c) with a resolver and a store connection of its
	 * own: its writes must come from another connection for dkim_refresh, which watches the
	 * store's data_version, to see them. rot_store is closed once the loop has run dry. */
	struct dkim_rotator *rotator;
	struct dns_resolver *rot_dns;
	struct store *rot_store;
	bool deliver_stopped;
	struct policy *policy;	/* sender policy: quotas, suppression, client limits */
	uv_timer_t usage_timer; /* writes the policy's counts to the store */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t grace;
	struct conn *conns;
	size_t conn_count;
	uint64_t sessions; /* counter for session ids */
	uint64_t seed;	   /* makes session ids differ across restarts */
	bool stopping;
	bool finished;
	uint8_t readbuf[65536]; /* one read buffer: libuv calls read callbacks one at a time */
	bool readbuf_busy;
};

void conf_gen_unref(struct conf_gen *g);

/* sign.c: DKIM signing of accepted messages on the thread pool */
struct signer_ref;
struct sign_request {
	struct buf msg;	  /* the message as it will be spooled (owned) */
	struct buf sig;	  /* the DKIM-Signature fields made, to put in front */
	char domain[256]; /* the header From's domain, "" when it has none */
	char desc[600];	  /* "example.com/sel1/rsa-sha256" or "none (no key for ...)" */
	int64_t now;
	int rc; /* from dkim_sign: signatures made, or -errno */
	void (*done)(struct sign_request *q);
};
/* Loads (or reloads) the signer from the store; 0, or -errno with err. */
int sign_load(struct server *srv, char *err, size_t errlen);
void sign_unload(struct server *srv);
/* The header From's domain (lowercase); false when there is none. */
bool sign_from_domain(const uint8_t *msg, size_t len, bool smtputf8, char *out, size_t size);
/* Starts signing q->msg for q->domain; q->done runs on the loop when done. false (with
 * q->desc saying why) when there is nothing to sign with: store the message as it is. */
bool sign_start(struct server *srv, const char *user, struct sign_request *q);

/* conn.c */
void conn_accept(struct listener *l);
void conn_shutdown(struct conn *c);
void conn_force_close(struct conn *c);
struct conn *conn_next(struct conn *c);
void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void server_conn_gone(struct server *srv);

#endif
