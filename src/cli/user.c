/*
 * user.c - `tern user`: SMTP users and their credentials (add, list, show, suspend, resume,
 * delete, passwd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "store/store.h"

void user_usage(FILE *out)
{
	fprintf(out,
		"usage: tern user add NAME [--password-stdin] [-c FILE]\n"
		"       tern user passwd NAME [--password-stdin] [-c FILE]\n"
		"       tern user list [--json] [-c FILE]\n"
		"       tern user show NAME [--json] [-c FILE]\n"
		"       tern user suspend|resume NAME [-c FILE]\n"
		"       tern user delete NAME [-c FILE]\n"
		"\n"
		"Manages the SMTP users applications submit mail as. 'add' and 'passwd' print a\n"
		"generated password (shown only once) unless --password-stdin reads one from\n"
		"the first line of standard input. A suspended user can still log in, and MAIL\n"
		"gets '554 5.7.1 Account suspended', so the application learns why.\n");
}

static void utc(int64_t when, char *out, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* ctx: a size_t count of users printed so far, or NULL for the table. */
static int print_user(const struct store_user *u, void *ctx)
{
	char when[32];
	size_t *json = ctx;

	utc(u->created, when, sizeof(when));
	if (json != NULL)
		printf("%s{\"user\": \"%s\", \"state\": \"%s\", \"credentials\": %zu, "
		       "\"created\": \"%s\"}",
		       (*json)++ ? ",\n " : "", u->name, u->enabled ? "enabled" : "suspended",
		       u->credentials, when);
	else
		printf("%-32s %-9s %-11zu %s\n", u->name, u->enabled ? "enabled" : "suspended",
		       u->credentials, when);
	return 0;
}

/* The password: generated, or the first line of standard input. */
static bool get_password(bool from_stdin, char *pw, size_t size, bool *generated)
{
	*generated = !from_stdin;
	if (!from_stdin) {
		store_password_generate(pw);
		return true;
	}
	if (fgets(pw, (int)size, stdin) == NULL) {
		fprintf(stderr, "tern user: no password on standard input\n");
		return false;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0') {
		fprintf(stderr, "tern user: the password on standard input is empty\n");
		return false;
	}
	return true;
}

static const char *problem(int rc)
{
	switch (-rc) {
	case EEXIST:
		return "a user with that name exists already";
	case ENOENT:
		return "no such user ('tern user list' shows them)";
	case EINVAL:
		return "names are 1 to 64 characters of letters, digits and . _ @ + -";
	default:
		return strerror(-rc);
	}
}

int cmd_user(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	bool from_stdin = false, generated, json = false;
	size_t shown = 0;
	const char *verb, *name = NULL;
	struct tern_config cfg;
	struct store *st = NULL;
	char err[600], pw[1024];
	int rc = CLI_USAGE, r;

	json = cli_take_flag(&argc, argv, "--json");
	from_stdin = cli_take_flag(&argc, argv, "--password-stdin");
	if (argc < 2) {
		user_usage(stderr);
		return CLI_USAGE;
	}
	verb = argv[1];
	if (strcmp(verb, "list") != 0) {
		if (argc != 3) {
			user_usage(stderr);
			return CLI_USAGE;
		}
		name = argv[2];
	}
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "delete") &&
	    strcmp(verb, "passwd") && strcmp(verb, "show") && strcmp(verb, "suspend") &&
	    strcmp(verb, "resume")) {
		fprintf(stderr, "tern user: unknown action '%s'\n", verb);
		user_usage(stderr);
		return CLI_USAGE;
	}
	if (!setup_load(path, &cfg))
		return CLI_PROBLEM;
	if (store_open_sqlite(cfg.store_path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "tern user: %s\n", err);
		return CLI_PROBLEM;
	}
	rc = CLI_PROBLEM;
	if (strcmp(verb, "list") == 0) {
		if (json)
			printf("[");
		else
			printf("%-32s %-9s %-11s %s\n", "USER", "STATE", "CREDENTIALS", "CREATED");
		r = store_user_list(st, print_user, json ? &shown : NULL);
		if (json)
			printf("]\n");
	} else if (strcmp(verb, "show") == 0) {
		struct store_user u;
		if ((r = store_user_get(st, name, &u)) == 0 && json) {
			print_user(&u, &shown);
			printf("\n");
		} else if (r == 0) {
			printf("%-32s %-9s %-11s %s\n", "USER", "STATE", "CREDENTIALS", "CREATED");
			print_user(&u, NULL);
		}
	} else if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0) {
		bool on = strcmp(verb, "resume") == 0;
		if ((r = store_user_set_enabled(st, name, on)) == 0)
			printf("user %s %s\n", name, on ? "resumed" : "suspended");
	} else if (strcmp(verb, "delete") == 0) {
		r = store_user_delete(st, name);
		if (r == 0)
			printf("user %s deleted\n", name);
	} else {
		if (!get_password(from_stdin, pw, sizeof(pw), &generated))
			goto done;
		r = strcmp(verb, "add") == 0 ? store_user_add(st, name, pw, strlen(pw))
					     : store_user_passwd(st, name, pw, strlen(pw));
		if (r == 0 && generated)
			printf("user %s: password %s\n(shown only now; keep it in your "
			       "application's "
			       "secret store)\n",
			       name, pw);
		else if (r == 0)
			printf("user %s: password set\n", name);
		sodium_memzero(pw, sizeof(pw));
	}
	if (r != 0) {
		fprintf(stderr, "tern user %s: %s\n", verb, problem(r));
		goto done;
	}
	rc = CLI_OK;
done:
	store_close(st);
	return rc;
}

/* ---- tern credential ------------------------------------------------------------------- */

void credential_usage(FILE *out)
{
	fprintf(out,
		"usage: tern credential add USER [--password-stdin] [-c FILE]\n"
		"       tern credential list USER [--json] [-c FILE]\n"
		"       tern credential revoke USER ID [-c FILE]\n"
		"\n"
		"A user may hold up to %d passwords at once, so that one can be rotated\n"
		"without downtime: add the new one, move the applications over, revoke the\n"
		"old one (its ID is in 'list').\n",
		STORE_CREDENTIALS_MAX);
}

struct cred_ctx {
	bool json;
	size_t n;
};

static int print_credential(const struct store_credential *c, void *ctx)
{
	struct cred_ctx *k = ctx;
	char when[32];

	utc(c->created, when, sizeof(when));
	if (k->json)
		printf("%s{\"id\": %lld, \"created\": \"%s\"}", k->n ? ", " : "", (long long)c->id,
		       when);
	else
		printf("%-8lld %s\n", (long long)c->id, when);
	k->n++;
	return 0;
}

int cmd_credential(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct cred_ctx k = { false, 0 };
	bool from_stdin = false, generated;
	struct tern_config cfg;
	struct store *st;
	const char *verb;
	char pw[1024], *end;
	int64_t r = 0;
	long long id = 0;

	k.json = cli_take_flag(&argc, argv, "--json");
	from_stdin = cli_take_flag(&argc, argv, "--password-stdin");
	verb = argc > 1 ? argv[1] : "";
	if (!(((strcmp(verb, "add") == 0 || strcmp(verb, "list") == 0) && argc == 3) ||
	      (strcmp(verb, "revoke") == 0 && argc == 4))) {
		credential_usage(stderr);
		return CLI_USAGE;
	}
	if (argc == 4 && ((id = strtoll(argv[3], &end, 10)) <= 0 || *end != '\0')) {
		fprintf(stderr,
			"tern credential revoke: '%s' is not a credential ID ('tern "
			"credential list %s' shows them)\n",
			argv[3], argv[2]);
		return CLI_USAGE;
	}
	if ((st = setup_store(path, &cfg, "tern credential")) == NULL)
		return CLI_PROBLEM;
	if (strcmp(verb, "list") == 0) {
		if (k.json)
			printf("{\"user\": \"%s\", \"credentials\": [", argv[2]);
		else
			printf("%-8s %s\n", "ID", "CREATED");
		r = store_credential_list(st, argv[2], print_credential, &k);
		if (k.json && r == 0)
			printf("]}\n");
	} else if (strcmp(verb, "revoke") == 0) {
		if ((r = store_credential_delete(st, argv[2], (int64_t)id)) == 0)
			printf("credential %lld of %s revoked\n", id, argv[2]);
	} else if (get_password(from_stdin, pw, sizeof(pw), &generated)) {
		r = store_credential_add(st, argv[2], pw, strlen(pw));
		if (r > 0 && generated)
			printf("user %s: new credential %lld, password %s\n(shown only now; keep "
			       "it in your application's secret store)\n",
			       argv[2], (long long)r, pw);
		else if (r > 0)
			printf("user %s: new credential %lld\n", argv[2], (long long)r);
		sodium_memzero(pw, sizeof(pw));
	} else {
		r = -EINVAL;
	}
	store_close(st);
	if (r < 0) {
		fprintf(stderr, "tern credential %s: %s\n", verb,
			r == -EMLINK ? "the user has the most credentials allowed; revoke one first"
			: r == -ENOENT && argc == 4 ? "no such user or credential"
						    : problem((int)r));
		return CLI_PROBLEM;
	}
	return CLI_OK;
}
