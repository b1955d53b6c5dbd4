/*
 * serve.c - `tern serve`: run the submission server.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "lib/log.h"
#include "submit/server.h"

void serve_usage(FILE *out)
{
	fprintf(out,
		"usage: tern serve [-c FILE] [--dev]\n"
		"\n"
		"Runs the submission server in the foreground, logging one key=value line per\n"
		"event to standard error. SIGTERM or SIGINT stop it cleanly; SIGHUP reloads the\n"
		"configuration and the TLS certificate.\n"
		"\n"
		"  -c FILE   configuration file (default: ./var/tern.conf if present, else\n"
		"            /etc/tern/tern.conf; keys in docs/configuration.md)\n"
		"  --dev     create a development setup under ./var on first start (self-signed\n"
		"            certificate, store, spool, one SMTP credential) and use it\n");
}

int cmd_serve(int argc, char **argv)
{
	const char *path;
	bool dev = false;
	struct tern_config cfg;
	struct logger log;

	path = setup_config_path(&argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dev") == 0) {
			dev = true;
		} else {
			fprintf(stderr, "tern serve: unknown option '%s'\n", argv[i]);
			serve_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (dev) {
		if (!setup_dev())
			return CLI_PROBLEM;
		path = DEV_CONFIG;
	}
	if (!setup_load(path, &cfg))
		return CLI_PROBLEM;
	logger_init(&log, stderr, cfg.log_level);
	return server_run(path, &cfg, &log) == 0 ? CLI_OK : CLI_PROBLEM;
}
