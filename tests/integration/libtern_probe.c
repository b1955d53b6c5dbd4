/*
 * libtern_probe.c - drives libtern one call at a time for tests/integration/test_libtern.py.
 *
 *   libtern_probe [options] HOST PORT none|starttls|implicit STEP...
 *
 * Options: --ca FILE, --name TLS_NAME, --no-verify, --continue (verify_continue),
 * --timeout MS (connect and command timeouts). Steps: ehlo, helo, hello, starttls,
 * login:USER:PASS[:plain|login], mail:ADDR, rcpt:ADDR, data:TEXT, bigdata:OCTETS, open_data,
 * write:TEXT,
 * close_data, send:FROM:TO, rset, noop, quit, tls. In TEXT, "\n" stands for a line end.
 *
 * One line per step (and one for open; the step's name without its argument), whatever the
 * outcome, so the test can check each:
 *   step=NAME result=TERN_E_... stage=STAGE errno=N code=N enh=X.Y.Z transient=0|1
 *   permanent=0|1 state=[WORDS] msg=MESSAGE
 * then, for a refused reply, "explain=..." and for the tls step "tls ...". Every step runs
 * even after one failed (a refused call must be harmless). Exit 0 when open worked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/client.h>

static void report(const char *arg, int rc, const struct tern_error *err, const tern_client *c)
{
	char step[32];

	/* the step's name without its argument */
	snprintf(step, sizeof(step), "%.*s", (int)strcspn(arg, ":"), arg);
	if (rc == 0) {
		const struct tern_reply *r = tern_last_reply(c);

		printf("step=%s result=TERN_E_OK stage=none errno=0 code=%d enh=%s transient=0 "
		       "permanent=0 state=[%s] msg=\n",
		       step, r ? r->code : 0, r && r->enhanced[0] ? r->enhanced : "-",
		       tern_state(c));
		return;
	}
	printf("step=%s result=%s stage=%s errno=%d code=%d enh=%s transient=%d permanent=%d "
	       "state=[%s] msg=%s\n",
	       step, tern_error_name(err->code), tern_stage_name(err->stage), err->sys_errno,
	       err->reply.code, err->reply.enhanced[0] ? err->reply.enhanced : "-",
	       err->reply.transient, err->reply.permanent, c ? tern_state(c) : "none",
	       err->message);
	if (err->code == TERN_E_REPLY) {
		char buf[4096];

		printf("explain=%s\n", tern_reply_explain(&err->reply, buf, sizeof(buf)));
	}
}

/* "a\nb" in an argument stands for a line end. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (out == NULL)
		exit(3);
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s += 2;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void tls_step(tern_client *c)
{
	struct tern_tls_info i;
	struct tern_error err;
	int rc = tern_tls_info(c, &i, &err);

	report("tls", rc, &err, c);
	if (rc == 0)
		printf("tls version=%s cipher=%s verified=%d verify_code=%ld not_after=%lld "
		       "subject=[%s] names=[%s] verify_error=[%s]\n",
		       i.version, i.cipher, i.verified, i.verify_code, (long long)i.not_after,
		       i.subject, i.names, i.verify_error);
}

static int step(tern_client *c, const char *s, struct tern_error *err)
{
	char *arg = strchr(s, ':') ? unescape(strchr(s, ':') + 1) : NULL;
	int rc = -2;

	if (strcmp(s, "ehlo") == 0)
		rc = tern_ehlo(c, "probe.test", err);
	else if (strcmp(s, "helo") == 0)
		rc = tern_helo(c, "probe.test", err);
	else if (strcmp(s, "hello") == 0)
		rc = tern_hello(c, NULL, err);
	else if (strcmp(s, "starttls") == 0)
		rc = tern_starttls(c, err);
	else if (strncmp(s, "login:", 6) == 0) {
		char *pass = strchr(arg, ':'), *mech = pass ? strchr(pass + 1, ':') : NULL;
		enum tern_auth_mech m = TERN_AUTH_AUTO;

		if (pass != NULL)
			*pass++ = '\0';
		if (mech != NULL) {
			*mech++ = '\0';
			m = strcmp(mech, "plain") == 0 ? TERN_AUTH_PLAIN : TERN_AUTH_LOGIN;
		}
		rc = tern_login(c, arg, pass ? pass : "", m, err);
	} else if (strncmp(s, "mail:", 5) == 0)
		rc = tern_mail(c, arg, NULL, err);
	else if (strncmp(s, "rcpt:", 5) == 0)
		rc = tern_rcpt(c, arg, err);
	else if (strncmp(s, "data:", 5) == 0)
		rc = tern_data(c, arg, strlen(arg), err);
	else if (strncmp(s, "bigdata:", 8) == 0) { /* a message of N octets, lines of 70 */
		size_t n = strtoul(arg, NULL, 10);
		char *m = malloc(n + 1);

		if (m == NULL)
			exit(3);
		for (size_t i = 0; i < n; i++)
			m[i] = i % 71 == 70 ? '\n' : 'x';
		rc = tern_data(c, m, n, err);
		free(m);
	} else if (strcmp(s, "open_data") == 0)
		rc = tern_open_data(c, err);
	else if (strncmp(s, "write:", 6) == 0)
		rc = tern_write_data(c, arg, strlen(arg), err);
	else if (strcmp(s, "close_data") == 0)
		rc = tern_close_data(c, err);
	else if (strncmp(s, "send:", 5) == 0) {
		char *to = strchr(arg, ':');
		const char *rcpts[1];
		static const char msg[] = "Subject: probe\n\nsent by libtern_probe\n";

		if (to != NULL)
			*to++ = '\0';
		rcpts[0] = to ? to : "";
		rc = tern_send_message(c, arg, rcpts, 1, msg, sizeof(msg) - 1, err);
	} else if (strcmp(s, "rset") == 0)
		rc = tern_rset(c, err);
	else if (strcmp(s, "noop") == 0)
		rc = tern_noop(c, err);
	else if (strcmp(s, "quit") == 0)
		rc = tern_quit(c, err);
	free(arg);
	return rc;
}

int main(int argc, char **argv)
{
	struct tern_open_options o = { 0 };
	struct tern_error err;
	tern_client *c;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			o.ca_file = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			o.tls_name = argv[++i];
		else if (strcmp(argv[i], "--no-verify") == 0)
			o.no_verify = true;
		else if (strcmp(argv[i], "--continue") == 0)
			o.verify_continue = true;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			o.connect_timeout_ms = o.command_timeout_ms = (unsigned)atoi(argv[++i]);
		else
			return fprintf(stderr, "unknown option %s\n", argv[i]), 2;
	}
	if (argc - i < 3)
		return fprintf(stderr, "usage: %s [options] HOST PORT MODE STEP...\n", argv[0]), 2;
	o.host = argv[i];
	o.port = (uint16_t)atoi(argv[i + 1]);
	o.tls = strcmp(argv[i + 2], "implicit") == 0   ? TERN_TLS_IMPLICIT
		: strcmp(argv[i + 2], "starttls") == 0 ? TERN_TLS_STARTTLS
						       : TERN_TLS_NONE;
	c = tern_open(&o, &err);
	report("open", c ? 0 : -1, &err, c);
	if (c == NULL)
		return 1;
	for (i += 3; i < argc; i++) {
		if (strcmp(argv[i], "tls") == 0) {
			tls_step(c);
			continue;
		}
		int rc = step(c, argv[i], &err);

		if (rc == -2)
			return fprintf(stderr, "unknown step %s\n", argv[i]), 2;
		report(argv[i], rc, &err, c);
	}
	printf("offers size=%d limit=%llu auth=[%s]\n", tern_offers(c, "SIZE"),
	       (unsigned long long)tern_size_limit(c), tern_auth_mechanisms(c));
	tern_close(c);
	return 0;
}
