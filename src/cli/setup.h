/*
 * setup.h - finding and creating tern's configuration for the commands that need one.
 *
 * `-c FILE` wins; otherwise ./var/tern.conf when a development setup exists there, otherwise
 * /etc/tern/tern.conf. `tern serve --dev` creates the development setup under ./var on first
 * start: configuration, a self-signed certificate, the store with one SMTP credential (its
 * password printed once), and the spool.
 */
#ifndef TERN_CLI_SETUP_H
#define TERN_CLI_SETUP_H

#include <stdbool.h>

#include "lib/config.h"
#include "store/store.h"

#define DEV_DIR	      "var"
#define DEV_CONFIG    DEV_DIR "/tern.conf"
#define SYSTEM_CONFIG "/etc/tern/tern.conf"

/* Parses "-c FILE" out of argv (removing it); returns the configuration path to use. */
const char *setup_config_path(int *argc, char **argv);

/* Loads the configuration; prints the problem and returns false on failure. */
bool setup_load(const char *path, struct tern_config *cfg);

/* Loads the configuration and opens the store it names; prints the problem (prefixed with
 * `who`) and returns NULL on failure. */
struct store *setup_store(const char *path, struct tern_config *cfg, const char *who);

/* Creates ./var with everything in it unless it exists; prints what it made. */
bool setup_dev(void);

#endif
