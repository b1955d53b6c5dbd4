/*
 * test_client.c - libtern's calls over a scripted transport: no network. The script is what
 * the server says, one reply per read; the test checks what the library wrote, what each call
 * returned, and that every error says what it must (its name, the stage, the reply, the
 * explanation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/client_int.h"
#include "lib/buf.h"

#define GREETING "220 mx.test ESMTP\r\n"
#define EHLO	 "250-mx.test\r\n250-SIZE 5000\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n"

struct script {
	struct tern_transport base;
	const char *const *says; /* one entry per read; NULL ends the list: the server closes */
	size_t next;
	struct buf wrote;
	bool tls;
	bool *closed;	   /* set when the library closes it */
	char **last_words; /* what it wrote since the last check, when it was closed */
};

static ssize_t s_read(struct tern_transport *t, void *p, size_t len, const char *during,
		      struct tern_error *err)
{
	struct script *s = (struct script *)t;
	const char *say = s->says[s->next];
	size_t n;

	(void)during;
	(void)err;
	if (say == NULL)
		return 0;
	s->next++;
	n = strlen(say);
	assert_true(n <= len);
	memcpy(p, say, n);
	return (ssize_t)n;
}

static int s_write(struct tern_transport *t, const void *p, size_t len, const char *during,
		   struct tern_error *err)
{
	struct script *s = (struct script *)t;

	(void)during;
	(void)err;
	assert_true(buf_append(&s->wrote, p, len));
	return 0;
}

static int s_start_tls(struct tern_transport *t, struct tern_error *err)
{
	((struct script *)t)->tls = true;
	(void)err;
	return 0;
}

static bool s_tls_active(const struct tern_transport *t)
{
	return ((const struct script *)t)->tls;
}

static int s_tls_info(const struct tern_transport *t, struct tern_tls_info *out)
{
	if (!((const struct script *)t)->tls)
		return -1;
	snprintf(out->version, sizeof(out->version), "TLSv1.3");
	return 0;
}

static void s_local_name(const struct tern_transport *t, char *buf, size_t size)
{
	(void)t;
	snprintf(buf, size, "[127.0.0.1]");
}

static void s_close(struct tern_transport *t)
{
	struct script *s = (struct script *)t;

	*s->closed = true;
	*s->last_words = strdup(buf_cstr(&s->wrote));
	buf_free(&s->wrote);
	free(s);
}

static const struct tern_transport_ops script_ops = {
	.read = s_read,
	.write = s_write,
	.start_tls = s_start_tls,
	.tls_active = s_tls_active,
	.tls_info = s_tls_info,
	.local_name = s_local_name,
	.close = s_close,
};

struct fx {
	tern_client *c;
	struct script *s;
	bool closed;
	char *last_words;
	struct tern_error err;
};

static struct fx *open_with(const char *const *says, enum tern_tls_mode mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tern_open_options o = { .host = "mx.test", .tls = mode };

	assert_non_null(f);
	f->s = calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	f->s->base.ops = &script_ops;
	snprintf(f->s->base.peer, sizeof(f->s->base.peer), "mx.test:25");
	f->s->says = says;
	f->s->closed = &f->closed;
	f->s->last_words = &f->last_words;
	buf_init(&f->s->wrote, 0);
	f->c = tern_open_transport(&f->s->base, &o, &f->err);
	return f;
}

static void finish(struct fx *f)
{
	tern_close(f->c);
	free(f->last_words);
	free(f);
}

/* C: what the library wrote since the last check. */
static void wrote(struct fx *f, const char *text)
{
	assert_false(f->closed);
	assert_string_equal(buf_cstr(&f->s->wrote), text);
	buf_reset(&f->s->wrote);
}

static void has(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", text, part);
}

static void rcpt_before_mail_is_named_and_not_sent(void **state)
{
	static const char *const says[] = { GREETING, EHLO, NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);

	(void)state;
	assert_non_null(f->c);
	assert_int_equal(tern_ehlo(f->c, NULL, &f->err), 0);
	wrote(f, "EHLO [127.0.0.1]\r\n");
	assert_int_equal(tern_rcpt(f->c, "b@example.org", &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	assert_string_equal(tern_error_name(f->err.code), "TERN_E_SEQUENCE");
	assert_int_equal(f->err.stage, TERN_STAGE_RCPT);
	has(f->err.message, "tern_rcpt");
	has(f->err.message, "RCPT needs an accepted MAIL first");
	has(f->err.message, "after EHLO");
	has(f->err.message, "open, EHLO, [STARTTLS, EHLO], [login], MAIL, RCPT..., DATA, QUIT");
	wrote(f, "");
	assert_int_equal(tern_size_limit(f->c), 5000);
	assert_string_equal(tern_auth_mechanisms(f->c), "PLAIN LOGIN");
	assert_string_equal(tern_greeting(f->c), "mx.test ESMTP");
	finish(f);
}

static void a_refused_recipient_comes_back_whole_and_explained(void **state)
{
	static const char *const says[] = { GREETING, EHLO, "250 2.1.0 Ok\r\n",
					    "550 5.1.1 <b@example.org>: User unknown\r\n", NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);
	char buf[2048];

	(void)state;
	assert_int_equal(tern_ehlo(f->c, "client.test", &f->err), 0);
	assert_int_equal(tern_mail(f->c, "a@example.org", NULL, &f->err), 0);
	assert_int_equal(tern_rcpt(f->c, "b@example.org", &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_REPLY);
	assert_int_equal(f->err.stage, TERN_STAGE_RCPT);
	assert_int_equal(f->err.reply.code, 550);
	assert_string_equal(f->err.reply.enhanced, "5.1.1");
	assert_string_equal(f->err.reply.text, "<b@example.org>: User unknown");
	assert_true(f->err.reply.permanent);
	assert_false(f->err.reply.transient);
	has(f->err.message, "RCPT TO:<b@example.org>");
	has(f->err.message, "550 5.1.1");
	has(f->err.message, "What to do");
	tern_reply_explain(&f->err.reply, buf, sizeof(buf));
	has(buf, "550 5.1.1");
	has(buf, "permanent");
	has(buf, "Retry: no");
	assert_int_equal(tern_last_reply(f->c)->code, 550);
	assert_string_equal(tern_state(f->c), "MAIL accepted, no recipient accepted yet");
	finish(f);
}

static void the_message_is_stuffed_and_its_line_ends_made_crlf(void **state)
{
	static const char *const says[] = { GREETING,	   EHLO,	 "250 ok\r\n",
					    "250 ok\r\n",  "354 go\r\n", "250 2.0.0 queued\r\n",
					    "221 bye\r\n", NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);

	(void)state;
	assert_int_equal(tern_ehlo(f->c, "client.test", &f->err), 0);
	assert_int_equal(
		tern_mail(f->c, "a@example.org", &(struct tern_mail_params){ .size = 99 }, &f->err),
		0);
	assert_int_equal(tern_rcpt(f->c, "b@example.org", &f->err), 0);
	wrote(f, "EHLO client.test\r\nMAIL FROM:<a@example.org> SIZE=99\r\nRCPT "
		 "TO:<b@example.org>\r\n");
	assert_int_equal(tern_open_data(f->c, &f->err), 0);
	assert_int_equal(tern_write_data(f->c, "Subject: x\n\n.dot\r", 17, &f->err), 0);
	assert_int_equal(tern_write_data(f->c, "\nlast", 5, &f->err), 0);
	assert_int_equal(tern_close_data(f->c, &f->err), 0);
	wrote(f, "DATA\r\nSubject: x\r\n\r\n..dot\r\nlast\r\n.\r\n");
	assert_int_equal(tern_last_reply(f->c)->code, 250);
	assert_int_equal(tern_quit(f->c, &f->err), 0);
	assert_int_equal(tern_noop(f->c, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	has(f->err.message, "QUIT");
	finish(f);
}

static void send_message_is_all_or_nothing(void **state)
{
	static const char *const says[] = {
		GREETING,	 EHLO, "250 ok\r\n", "250 ok\r\n", "450 4.2.1 try later\r\n",
		"250 reset\r\n", NULL
	};
	struct fx *f = open_with(says, TERN_TLS_NONE);
	const char *rcpts[] = { "b@example.org", "c@example.org" };

	(void)state;
	assert_int_equal(tern_ehlo(f->c, "client.test", &f->err), 0);
	wrote(f, "EHLO client.test\r\n");
	assert_int_equal(
		tern_send_message(f->c, "a@example.org", rcpts, 2, "x\xc3\xa9\n", 4, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_REPLY);
	assert_true(f->err.reply.transient);
	has(f->err.message, "RCPT TO:<c@example.org>");
	wrote(f, "MAIL FROM:<a@example.org> SIZE=4 BODY=8BITMIME\r\nRCPT TO:<b@example.org>\r\n"
		 "RCPT TO:<c@example.org>\r\nRSET\r\n");
	assert_string_equal(tern_state(f->c), "after EHLO");
	finish(f);
}

static void the_server_closing_is_told_and_remembered(void **state)
{
	static const char *const says[] = { GREETING, EHLO, NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);

	(void)state;
	assert_int_equal(tern_ehlo(f->c, "client.test", &f->err), 0);
	assert_int_equal(tern_mail(f->c, "a@example.org", NULL, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_CLOSED);
	assert_int_equal(f->err.stage, TERN_STAGE_MAIL);
	has(f->err.message, "closed the connection");
	assert_true(f->closed);
	assert_int_equal(tern_noop(f->c, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_CLOSED);
	finish(f);
}

static void starttls_required_and_not_offered(void **state)
{
	static const char *const says[] = { GREETING, EHLO, NULL };
	struct fx *f = open_with(says, TERN_TLS_STARTTLS);

	(void)state;
	assert_int_equal(tern_hello(f->c, "client.test", &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_NO_STARTTLS);
	assert_int_equal(f->err.stage, TERN_STAGE_STARTTLS);
	has(f->err.message, "did not offer STARTTLS");
	has(f->err.message, "TERN_TLS_IMPLICIT");
	assert_int_equal(tern_mail(f->c, "a@example.org", NULL, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	has(f->err.message, "STARTTLS");
	finish(f);
}

static void starttls_then_login(void **state)
{
	static const char *const says[] = { GREETING,
					    "250-mx.test\r\n250 STARTTLS\r\n",
					    "220 2.0.0 go\r\n",
					    "250-mx.test\r\n250 AUTH LOGIN\r\n",
					    "334 VXNlcm5hbWU6\r\n",
					    "334 UGFzc3dvcmQ6\r\n",
					    "235 2.7.0 ok\r\n",
					    NULL };
	struct fx *f = open_with(says, TERN_TLS_STARTTLS);
	struct tern_tls_info info;

	(void)state;
	assert_int_equal(tern_tls_info(f->c, &info, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	assert_int_equal(tern_login(f->c, "u", "p", TERN_AUTH_AUTO, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	has(f->err.message, "login needs EHLO first");
	assert_int_equal(tern_hello(f->c, "client.test", &f->err), 0);
	assert_true(tern_tls_active(f->c));
	assert_int_equal(tern_tls_info(f->c, &info, &f->err), 0);
	assert_string_equal(info.version, "TLSv1.3");
	assert_int_equal(tern_login(f->c, "user", "pass", TERN_AUTH_AUTO, &f->err), 0);
	wrote(f, "EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\nAUTH LOGIN\r\ndXNlcg==\r\n"
		 "cGFzcw==\r\n");
	finish(f);
}

static void a_refused_greeting_fails_open(void **state)
{
	static const char *const says[] = { "554 5.7.1 no thanks\r\n", NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);

	(void)state;
	assert_null(f->c);
	assert_int_equal(f->err.code, TERN_E_REPLY);
	assert_int_equal(f->err.stage, TERN_STAGE_GREETING);
	assert_int_equal(f->err.reply.code, 554);
	assert_true(f->closed);
	assert_string_equal(f->last_words, "QUIT\r\n"); /* RFC 5321 3.1 */
	finish(f);
}

static void hello_falls_back_to_helo_for_an_old_server(void **state)
{
	static const char *const says[] = { GREETING, "502 5.5.2 Error: command not recognized\r\n",
					    "250 mx.test\r\n", NULL };
	struct fx *f = open_with(says, TERN_TLS_NONE);

	(void)state;
	assert_int_equal(tern_hello(f->c, "client.test", &f->err), 0);
	wrote(f, "EHLO client.test\r\nHELO client.test\r\n");
	assert_string_equal(tern_state(f->c), "after HELO");
	assert_false(tern_offers(f->c, "SIZE"));
	/* HELO offers no AUTH: login is refused, not sent */
	assert_int_equal(tern_login(f->c, "u", "p", TERN_AUTH_AUTO, &f->err), -1);
	assert_int_equal(f->err.code, TERN_E_SEQUENCE);
	wrote(f, "");
	finish(f);
}

static void bad_arguments(void **state)
{
	struct tern_error err;
	struct tern_open_options o = { 0 };

	(void)state;
	assert_null(tern_open(NULL, &err));
	assert_int_equal(err.code, TERN_E_INVALID);
	assert_null(tern_open(&o, &err));
	assert_int_equal(err.code, TERN_E_INVALID);
	has(err.message, "host");
	assert_int_equal(tern_rcpt(NULL, "a@b", &err), -1);
	assert_int_equal(err.code, TERN_E_INVALID);
	assert_string_equal(tern_error_name((enum tern_code)999), "TERN_E_UNKNOWN");
	assert_string_equal(tern_stage_name(TERN_STAGE_DOT), "end of data");
	tern_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rcpt_before_mail_is_named_and_not_sent),
		cmocka_unit_test(a_refused_recipient_comes_back_whole_and_explained),
		cmocka_unit_test(the_message_is_stuffed_and_its_line_ends_made_crlf),
		cmocka_unit_test(send_message_is_all_or_nothing),
		cmocka_unit_test(the_server_closing_is_told_and_remembered),
		cmocka_unit_test(starttls_required_and_not_offered),
		cmocka_unit_test(starttls_then_login),
		cmocka_unit_test(a_refused_greeting_fails_open),
		cmocka_unit_test(hello_falls_back_to_helo_for_an_old_server),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
