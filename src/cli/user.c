/*
 * user.c - `tern user`: SMTP users and their credentials (add, list, show, suspend, resume,
 * delete, passwd).
 */
#include <errno.h>
#include <stdio.h>
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
		"       tern user list [-c FILE]\n"
		"       tern user show NAME [-c FILE]\n"
		"       tern user suspend|resume NAME [-c FILE]\n"
		"       tern user delete NAME [-c FILE]\n"
		"\n"
		"Manages the SMTP users applications submit mail as. 'add' and 'passwd' print a\n"
		"generated password (shown only once) unless --password-stdin reads one from\n"
		"the first line of standard input. A suspended user can still log in, and MAIL\n"
		"gets '554 5.7.1 Account suspended', so the application learns why.\n");
}

static int print_user(const struct store_user *u, void *ctx)
{
	char when[32];
	time_t t = (time_t)u->created;
	struct tm tm;

	(void)ctx;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
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
	bool from_stdin = false, generated;
	const char *verb, *name = NULL;
	struct tern_config cfg;
	struct store *st = NULL;
	char err[600], pw[1024];
	int rc = CLI_USAGE, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0) {
			from_stdin = true;
			for (int k = i; k < argc; k++)
				argv[k] = argv[k + 1];
			argc--;
			i--;
		}
	}
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
		printf("%-32s %-9s %-11s %s\n", "USER", "STATE", "CREDENTIALS", "CREATED");
		r = store_user_list(st, print_user, NULL);
	} else if (strcmp(verb, "show") == 0) {
		struct store_user u;
		if ((r = store_user_get(st, name, &u)) == 0) {
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
