/*
 * test_client_conf.c - the client configuration of `tern send` and `tern sendmail`: server
 * addresses as people write them, the file and the environment over it, and errors that say
 * which file, which line and what to write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/client_conf.h"

static const char *const vars[] = { "TERN_CLIENT_CONFIG", "TERN_SERVER",   "TERN_TLS",
				    "TERN_USER",	  "TERN_PASSWORD", "TERN_PASSWORD_FILE",
				    "TERN_FROM",	  "TERN_CA_FILE",  "TERN_TLS_VERIFY",
				    "TERN_HELO",	  "TERN_TIMEOUT" };

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

/* A file holding text; its path in a static buffer. */
static const char *file_with(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/tern-client-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void servers_as_people_write_them(void **state)
{
	struct client_conf c;

	(void)state;
	assert_true(client_conf_server(&c, "mail.example.org"));
	assert_string_equal(c.host, "mail.example.org");
	assert_int_equal(c.port, 0);
	assert_true(client_conf_server(&c, "127.0.0.1:2525"));
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 2525);
	assert_true(client_conf_server(&c, "[::1]:587"));
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 587);
	assert_true(client_conf_server(&c, "2001:db8::25"));
	assert_string_equal(c.host, "2001:db8::25");
	assert_int_equal(c.port, 0);
	assert_false(client_conf_server(&c, ""));
	assert_false(client_conf_server(&c, "host:0"));
	assert_false(client_conf_server(&c, "host:65536"));
	assert_false(client_conf_server(&c, "host:smtp"));
	assert_false(client_conf_server(&c, "a host"));
	assert_false(client_conf_server(&c, "[::1]x"));
	assert_false(client_conf_server(&c, "user@host"));
}

static void tls_modes(void **state)
{
	enum tern_tls_mode m;

	(void)state;
	assert_true(client_conf_tls("STARTTLS", &m));
	assert_int_equal(m, TERN_TLS_STARTTLS);
	assert_true(client_conf_tls("implicit", &m));
	assert_int_equal(m, TERN_TLS_IMPLICIT);
	assert_true(client_conf_tls("none", &m));
	assert_int_equal(m, TERN_TLS_NONE);
	assert_false(client_conf_tls("maybe", &m));
}

static void the_file_then_the_environment(void **state)
{
	const char *path = file_with("; the tern client\n[client]\nserver = mail.example.org:587\n"
				     "tls = implicit\nuser = app\nfrom = app@example.org\n"
				     "tls_verify = no\ntimeout = 30\n");
	struct client_conf c;
	char err[512];

	(void)state;
	assert_int_equal(client_conf_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.path, path);
	assert_string_equal(c.host, "mail.example.org");
	assert_int_equal(c.port, 587);
	assert_int_equal(c.tls, TERN_TLS_IMPLICIT);
	assert_string_equal(c.user, "app");
	assert_string_equal(c.from, "app@example.org");
	assert_true(c.no_verify);
	assert_int_equal(c.timeout, 30);
	setenv("TERN_SERVER", "other.example.org", 1);
	setenv("TERN_USER", "web", 1);
	setenv("TERN_PASSWORD", "s3cret", 1);
	setenv("TERN_CLIENT_CONFIG", path, 1);
	assert_int_equal(client_conf_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.host, "other.example.org");
	assert_int_equal(c.port, 0);
	assert_string_equal(c.user, "web");
	assert_true(c.password_set);
	assert_string_equal(c.password, "s3cret");
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), 0);
	setenv("TERN_TLS", "sometimes", 1);
	assert_int_equal(client_conf_load(&c, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TERN_TLS: tls 'sometimes' is not one of starttls"));
	unlink(path);
}

static void errors_name_the_file_and_line(void **state)
{
	const char *path = file_with("[client]\nserver = a.example.org\nsmarthost = b\n");
	struct client_conf c;
	char err[512], want[128];

	(void)state;
	assert_int_equal(client_conf_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: unknown key 'smarthost'", path);
	assert_non_null(strstr(err, want));
	unlink(path);
	path = file_with("[server]\nhostname = x\n");
	assert_int_equal(client_conf_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "section [server] is unknown"));
	unlink(path);
	path = file_with("[client]\nserver = host:99999\n");
	assert_int_equal(client_conf_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: server 'host:99999' is not HOST, HOST:PORT"));
	unlink(path);
	assert_int_equal(client_conf_load(&c, "/nonexistent/client.conf", err, sizeof(err)), -1);
	assert_non_null(
		strstr(err, "cannot read the client configuration /nonexistent/client.conf"));
	assert_non_null(strstr(err, "create it with a [client] section"));
}

static void the_password_file(void **state)
{
	struct client_conf c;
	char err[512];
	const char *path;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), 0); /* no user: none */
	strcpy(c.user, "app");
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "user 'app' needs a password"));
	path = file_with("correct horse battery\r\nsecond line\n");
	strcpy(c.password_file, path);
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), 0);
	assert_string_equal(c.password, "correct horse battery");
	unlink(path);
	c.password_set = false;
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read the password file"));
	assert_non_null(strstr(err, "create it with the password on its first line"));
	path = file_with("\n");
	strcpy(c.password_file, path);
	assert_int_equal(client_conf_password(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is empty"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(servers_as_people_write_them, clean_env),
		cmocka_unit_test_setup(tls_modes, clean_env),
		cmocka_unit_test_setup(the_file_then_the_environment, clean_env),
		cmocka_unit_test_setup(errors_name_the_file_and_line, clean_env),
		cmocka_unit_test_setup(the_password_file, clean_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
