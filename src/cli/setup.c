/*
 * setup.c - configuration lookup and the development setup (see setup.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/setup.h"
#include "net/tls.h"
#include "store/store.h"

const char *setup_config_path(int *argc, char **argv)
{
	const char *path = NULL;
	int o = 0;

	for (int i = 0; i < *argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < *argc) {
			path = argv[++i];
			continue;
		}
		argv[o++] = argv[i];
	}
	*argc = o;
	argv[o] = NULL;
	if (path != NULL)
		return path;
	if (getenv("TERN_CONFIG") != NULL)
		return getenv("TERN_CONFIG");
	if (access(DEV_CONFIG, R_OK) == 0)
		return DEV_CONFIG;
	return SYSTEM_CONFIG;
}

bool setup_load(const char *path, struct tern_config *cfg)
{
	char err[600];

	if (config_load(path, cfg, err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "tern: %s\n", err);
	if (strcmp(path, SYSTEM_CONFIG) == 0 && access(path, F_OK) != 0)
		fprintf(stderr,
			"tern: no configuration found; pass -c FILE, or run "
			"'tern serve --dev' (make run) for a development setup under ./%s\n",
			DEV_DIR);
	return false;
}

static bool make_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return true;
	fprintf(stderr, "tern: cannot create %s: %s\n", path, strerror(errno));
	return false;
}

static bool write_config(const char *dir)
{
	FILE *f = fopen(DEV_CONFIG, "w");

	if (f == NULL) {
		fprintf(stderr, "tern: cannot write %s: %s\n", DEV_CONFIG, strerror(errno));
		return false;
	}
	fprintf(f,
		"# tern development configuration, made by 'tern serve --dev'.\n"
		"# Every key and its default: docs/configuration.md\n"
		"\n"
		"[server]\n"
		"hostname = localhost\n"
		"data_dir = %s\n"
		"log_level = info\n"
		"# programs on this host may submit without AUTH\n"
		"trusted_networks =\n"
		"\n"
		"[listener submission]\n"
		"address = 127.0.0.1\n"
		"port = 2587\n"
		"tls = starttls\n"
		"\n"
		"[listener submissions]\n"
		"address = 127.0.0.1\n"
		"port = 2465\n"
		"tls = implicit\n"
		"\n"
		"[tls]\n"
		"certificate = %s/tls/cert.pem\n"
		"private_key = %s/tls/key.pem\n"
		"\n"
		"[submission]\n"
		"max_message_size = 25M\n",
		dir, dir, dir);
	return fclose(f) == 0;
}

bool setup_dev(void)
{
	char dir[PATH_MAX], cert[PATH_MAX + 32], key[PATH_MAX + 32], err[600];
	char password[25];
	struct tern_config cfg;
	struct store *st = NULL;
	bool ok = false;

	if (access(DEV_CONFIG, F_OK) == 0)
		return true;
	if (!make_dir(DEV_DIR) || realpath(DEV_DIR, dir) == NULL)
		return false;
	snprintf(cert, sizeof(cert), "%s/tls", dir);
	if (!make_dir(cert))
		return false;
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/tls/key.pem", dir);
	if (tls_make_self_signed("localhost", cert, key, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern: %s\n", err);
		return false;
	}
	if (!write_config(dir) || !setup_load(DEV_CONFIG, &cfg))
		goto done;
	if (store_open_sqlite(cfg.store_path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern: %s\n", err);
		goto done;
	}
	store_password_generate(password);
	/* The development user may send as any address of example.org (RFC 2606), so the
	 * examples work as printed; real senders are approved with 'tern sender add'. */
	if (store_user_add(st, "dev", password, strlen(password)) != 0 ||
	    store_sender_add(st, "dev", "@example.org") != 0) {
		fprintf(stderr, "tern: cannot create the development user in %s\n", cfg.store_path);
		goto done;
	}
	printf("Development setup created in %s:\n"
	       "  configuration  %s/tern.conf\n"
	       "  certificate    %s (self-signed)\n"
	       "  store          %s\n"
	       "  spool          %s\n"
	       "\n"
	       "SMTP credential (shown only now; 'tern user passwd dev' makes a new one):\n"
	       "  user      dev\n"
	       "  password  %s\n"
	       "  may send as any address @example.org ('tern sender add dev ADDRESS' for more)\n"
	       "\n"
	       "Submit on 127.0.0.1:2587 (STARTTLS) or 127.0.0.1:2465 (TLS), e.g.\n"
	       "  swaks --server 127.0.0.1:2587 --tls --auth-user dev --auth-password '%s' \\\n"
	       "        --from you@example.org --to someone@example.net\n"
	       "  echo hello | TERN_PASSWORD='%s' tern send --server localhost:2587 \\\n"
	       "        --ca-file %s --user dev --from you@example.org \\\n"
	       "        --to someone@example.net --subject test --body -\n"
	       "Check this installation: tern doctor -c %s/tern.conf\n\n",
	       dir, dir, cert, cfg.store_path, cfg.spool_path, password, password, password, cert,
	       dir);
	fflush(stdout);
	ok = true;
done:
	store_close(st);
	return ok;
}

struct store *setup_store(const char *path, struct tern_config *cfg, const char *who)
{
	struct store *st = NULL;
	char err[600];

	if (!setup_load(path, cfg))
		return NULL;
	if (store_open_sqlite(cfg->store_path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		return NULL;
	}
	return st;
}
