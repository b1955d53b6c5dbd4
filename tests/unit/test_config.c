/*
 * test_config.c - the configuration file: defaults, every kind of value, clear errors with
 * file and line, trusted_networks matching, and every key documented.
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

#include "lib/config.h"

static char path[64];

static int load(const char *text, struct tern_config *c, char *err)
{
	FILE *f;

	strcpy(path, "/tmp/tern-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	int rc = config_load(path, c, err, 600);
	unlink(path);
	return rc;
}

static void defaults_are_usable(void **state)
{
	struct tern_config c;
	char err[600];

	(void)state;
	assert_int_equal(config_load(NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.listener_count, 2);
	assert_int_equal(c.listeners[0].port, 587);
	assert_int_equal(c.listeners[0].tls, LISTEN_STARTTLS);
	assert_int_equal(c.listeners[1].port, 465);
	assert_int_equal(c.listeners[1].tls, LISTEN_IMPLICIT_TLS);
	assert_int_equal(c.command_timeout, 300);
	assert_int_equal(c.max_recipients, 50);
	assert_int_equal(c.max_hops, 50);
	assert_int_equal(c.max_header_size, 256 * 1024);
	assert_int_equal(c.suppression_reply, SUPPRESS_REPLY_ACCEPT);
	assert_int_equal(c.per_minute, 0);
	assert_int_equal(c.trusted_count, 0);
	assert_string_equal(c.store_path, "/var/lib/tern/tern.db");
	assert_string_equal(c.spool_path, "/var/lib/tern/spool");
}

static void a_file_sets_every_kind_of_value(void **state)
{
	struct tern_config c;
	char err[600];

	(void)state;
	assert_int_equal(load("[server]\nhostname = mx.example.org\ndata_dir = /srv/tern\n"
			      "trusted_networks = 127.0.0.0/8, ::1 10.1.2.0/24\n"
			      "[listener mx]\naddress = 0.0.0.0\nport = 25\ntls = starttls\n"
			      "[submission]\nmax_message_size = 10M\nallow_plaintext_auth = yes\n"
			      "[spool]\nreserve = 0\n",
			      &c, err),
			 0);
	assert_string_equal(c.hostname, "mx.example.org");
	assert_string_equal(c.store_path, "/srv/tern/tern.db");
	assert_int_equal(c.listener_count, 1);
	assert_int_equal(c.listeners[0].port, 25);
	assert_int_equal(c.max_message_size, 10 * 1024 * 1024);
	assert_true(c.allow_plaintext_auth);
	assert_int_equal(c.spool_reserve, 0);
	assert_int_equal(c.trusted_count, 3);
	uint8_t in[4] = { 127, 1, 2, 3 }, out[4] = { 10, 1, 3, 1 }, in2[4] = { 10, 1, 2, 200 };
	uint8_t v6[16] = { 0 };
	v6[15] = 1;
	assert_true(net_blocks_contain(c.trusted, c.trusted_count, 4, in));
	assert_true(net_blocks_contain(c.trusted, c.trusted_count, 4, in2));
	assert_false(net_blocks_contain(c.trusted, c.trusted_count, 4, out));
	assert_true(net_blocks_contain(c.trusted, c.trusted_count, 6, v6));
	v6[15] = 2;
	assert_false(net_blocks_contain(c.trusted, c.trusted_count, 6, v6));
}

static void mistakes_name_the_line_and_the_fix(void **state)
{
	struct tern_config c;
	char err[600];

	(void)state;
	assert_int_equal(load("[server]\nhostnme = x\n", &c, err), -1);
	assert_non_null(strstr(err, ":2: unknown key 'hostnme' in section [server]"));
	assert_int_equal(load("[submission]\n\nmax_recipients = many\n", &c, err), -1);
	assert_non_null(strstr(err, ":3: max_recipients: 'many' is not a whole number"));
	assert_int_equal(load("[submission]\nmax_recipients = 0\n", &c, err), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(load("[server]\ntrusted_networks = 10.0.0.0/33\n", &c, err), -1);
	assert_non_null(strstr(err, "not an address block"));
	assert_int_equal(load("[listener a]\ntls = maybe\n", &c, err), -1);
	assert_non_null(strstr(err, "not one of starttls, implicit, none"));
	assert_int_equal(load("[listener a]\naddress = localhost\n", &c, err), -1);
	assert_non_null(strstr(err, "is not an IP address"));
	assert_int_equal(load("[submission]\nrequire_tls = perhaps\n", &c, err), -1);
	assert_non_null(strstr(err, "not yes or no"));
	assert_int_equal(load("just words\n", &c, err), -1);
	assert_non_null(strstr(err, ":1:"));
	assert_int_equal(config_load("/nonexistent/tern.conf", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read configuration /nonexistent/tern.conf"));
}

struct doc {
	char *text;
	int missing;
};

static void check_documented(const char *section, const char *key, void *ctx)
{
	struct doc *d = ctx;
	char needle[128];

	snprintf(needle, sizeof(needle), "`%s`", key);
	if (strstr(d->text, needle) == NULL) {
		fprintf(stderr, "key %s.%s is not in docs/configuration.md\n", section, key);
		d->missing++;
	}
}

static void every_key_is_documented(void **state)
{
	const char *root = getenv("TERN_SOURCE_DIR");
	char file[1024];
	struct doc d = { 0 };
	FILE *f;
	long n;

	(void)state;
	snprintf(file, sizeof(file), "%s/docs/configuration.md", root ? root : ".");
	f = fopen(file, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	d.text = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(d.text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	config_each_key(check_documented, &d);
	free(d.text);
	assert_int_equal(d.missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_usable),
		cmocka_unit_test(a_file_sets_every_kind_of_value),
		cmocka_unit_test(mistakes_name_the_line_and_the_fix),
		cmocka_unit_test(every_key_is_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
