/*
 * server.h - the submission server: listeners, sessions and signals on one libuv loop.
 *
 * Glues the sans-IO SMTP session (proto/smtp_server) to sockets, TLS (net/tls), the credential
 * store (store/) and the durable spool (queue/spool). Blocking work (password hashing, fsync)
 * runs on the loop's thread pool, so a slow AUTH or a sync never stalls other sessions.
 * SIGTERM/SIGINT stop cleanly (idle sessions get 421, sessions inside a message may finish
 * within shutdown_grace); SIGHUP reloads the configuration and the TLS certificate for new
 * sessions without dropping the open ones.
 */
#ifndef TERN_SUBMIT_SERVER_H
#define TERN_SUBMIT_SERVER_H

#include "lib/config.h"
#include "lib/log.h"

/* Runs the server until it is stopped. `config_path` may be NULL (embedded defaults); it is
 * read again on SIGHUP. Returns 0 after a clean stop, 1 when it could not start (the reason
 * is logged). */
int server_run(const char *config_path, const struct tern_config *cfg, struct logger *log);

#endif
