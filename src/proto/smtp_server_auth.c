/*
 * smtp_server_auth.c - AUTH PLAIN and AUTH LOGIN for the SMTP session (RFC 4954, 4616).
 *
 * Decoding and the exchange live here; the password check is the adapter's (it runs off the
 * event loop, and makes an unknown user and a wrong password cost the same). The decoded
 * credentials are wiped as soon as the answer is in. Replies are the cloud service's (seed 001).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/base64.h"
#include "smtp_server_int.h"

bool srv_auth_offered(const struct smtp_server *s)
{
	return s->cfg->auth_offered && (s->tls || s->cfg->allow_plaintext_auth);
}

void srv_auth_wipe(struct smtp_server *s)
{
	if (s->auth_data.data != NULL)
		memset(s->auth_data.data, 0, s->auth_data.cap);
	buf_free(&s->auth_data);
	s->auth_user = NULL;
}

static void auth_end(struct smtp_server *s)
{
	srv_auth_wipe(s);
	s->auth = AUTH_IDLE;
	if (s->state == SMTP_ST_AUTH)
		s->state = SMTP_ST_READY;
}

static int auth_refuse(struct smtp_server *s, enum smtp_reply_id id)
{
	auth_end(s);
	return srv_refuse(s, id, NULL);
}

/* Appends the decoding of in[0..len) to auth_data, then a NUL. */
static bool decode_into(struct smtp_server *s, const char *in, size_t len)
{
	size_t n;

	if (len == 1 && in[0] == '=') /* RFC 4954 4: "=" is an empty response */
		len = 0;
	if (!buf_reserve(&s->auth_data, BASE64_DECODED_MAX(len) + 1))
		return false;
	if (!base64_decode(in, len, s->auth_data.data + s->auth_data.len, &n))
		return false;
	s->auth_data.len += n;
	return buf_append_byte(&s->auth_data, '\0');
}

static void ask(struct smtp_server *s, const char *mech, const char *user, const uint8_t *password,
		size_t password_len, const char *authzid)
{
	srv_request(s, SMTP_REQ_AUTH);
	s->req.mechanism = mech;
	s->req.user = user;
	s->req.password = password;
	s->req.password_len = password_len;
	s->req.authzid = authzid;
	s->auth_user = user;
}

/* PLAIN: authzid NUL authcid NUL passwd (RFC 4616). */
static int plain_response(struct smtp_server *s, const char *line, size_t len)
{
	const char *d, *nul1, *nul2;
	size_t n;

	if (!decode_into(s, line, len))
		return auth_refuse(s, SMTP_R_AUTH_BAD_BASE64);
	d = (const char *)s->auth_data.data;
	n = s->auth_data.len - 1; /* without the NUL decode_into added */
	if ((nul1 = memchr(d, '\0', n)) == NULL)
		return auth_refuse(s, SMTP_R_AUTH_NO_NUL);
	if ((nul2 = memchr(nul1 + 1, '\0', n - (size_t)(nul1 + 1 - d))) == NULL)
		return auth_refuse(s, SMTP_R_AUTH_NO_SECOND_NUL);
	ask(s, "PLAIN", nul1 + 1, (const uint8_t *)nul2 + 1, n - (size_t)(nul2 + 1 - d), d);
	return 0;
}

static void challenge(struct smtp_server *s, enum auth_step step, const char *text)
{
	s->auth = step;
	s->state = SMTP_ST_AUTH;
	srv_reply(s, SMTP_R_AUTH_CHALLENGE, text);
}

static int login_user(struct smtp_server *s, const char *line, size_t len)
{
	if (!decode_into(s, line, len))
		return auth_refuse(s, SMTP_R_AUTH_BAD_BASE64);
	challenge(s, AUTH_LOGIN_PASS, "UGFzc3dvcmQ6"); /* "Password:" */
	return 0;
}

static int login_password(struct smtp_server *s, const char *line, size_t len)
{
	size_t start = s->auth_data.len;

	if (!decode_into(s, line, len))
		return auth_refuse(s, SMTP_R_AUTH_BAD_BASE64);
	ask(s, "LOGIN", (const char *)s->auth_data.data, s->auth_data.data + start,
	    s->auth_data.len - start - 1, "");
	return 0;
}

int srv_do_auth(struct smtp_server *s, const char *a, size_t n)
{
	size_t mlen = 0;
	const char *init = NULL;
	size_t ilen = 0;

	if (!s->cfg->auth_offered)
		return srv_refuse(s, SMTP_R_AUTH_NOT_AVAILABLE, NULL);
	if (s->user != NULL)
		return srv_refuse(s, SMTP_R_AUTH_ALREADY, NULL);
	if (!srv_auth_offered(s))
		return srv_refuse(s, SMTP_R_AUTH_NEEDS_TLS, NULL);
	while (mlen < n && a[mlen] != ' ')
		mlen++;
	if (mlen == 0)
		return srv_refuse(s, SMTP_R_AUTH_MISMATCH, NULL);
	if (mlen < n) {
		init = a + mlen + 1;
		ilen = n - mlen - 1;
		if (ilen == 0 || memchr(init, ' ', ilen) != NULL)
			return srv_refuse(s, SMTP_R_AUTH_MISMATCH, NULL);
	}
	srv_auth_wipe(s);
	buf_init(&s->auth_data, SMTP_AUTH_LINE_MAX);
	if (mlen == 5 && strncasecmp(a, "PLAIN", 5) == 0) {
		s->auth_mech = "PLAIN";
		if (init != NULL)
			return plain_response(s, init, ilen);
		challenge(s, AUTH_PLAIN_WAIT, "");
		return 0;
	}
	if (mlen == 5 && strncasecmp(a, "LOGIN", 5) == 0) {
		s->auth_mech = "LOGIN";
		if (init != NULL)
			return login_user(s, init, ilen);
		challenge(s, AUTH_LOGIN_USER, "VXNlcm5hbWU6"); /* "Username:" */
		return 0;
	}
	return srv_refuse(s, SMTP_R_AUTH_METHOD, NULL);
}

void srv_auth_response(struct smtp_server *s, const char *line, size_t len)
{
	if (len == 1 && line[0] == '*') {
		auth_refuse(s, SMTP_R_AUTH_CANCELLED);
		return;
	}
	switch (s->auth) {
	case AUTH_PLAIN_WAIT:
		plain_response(s, line, len);
		break;
	case AUTH_LOGIN_USER:
		login_user(s, line, len);
		break;
	case AUTH_LOGIN_PASS:
		login_password(s, line, len);
		break;
	case AUTH_IDLE:
		auth_refuse(s, SMTP_R_BAD_SEQUENCE);
		break;
	}
}

void srv_auth_answer(struct smtp_server *s, const struct smtp_verdict *v)
{
	const char *name = v->user != NULL ? v->user : s->auth_user;

	if (v->accept) {
		free(s->user);
		s->user = strdup(name != NULL ? name : "");
		auth_end(s);
		if (s->user == NULL) {
			srv_reply(s, SMTP_R_LOCAL_ERROR, NULL);
			return;
		}
		srv_verdict_reply(s, v, SMTP_R_AUTH_OK, NULL);
		return;
	}
	auth_end(s);
	if (++s->auth_failures >= s->cfg->max_auth_failures) {
		srv_refuse(s, SMTP_R_AUTH_TOO_MANY_FAILURES, NULL);
		return;
	}
	if (v->reply != SMTP_R_NONE || v->text != NULL) {
		srv_verdict_reply(s, v, SMTP_R_AUTH_FAILED, NULL);
		s->errors++;
		return;
	}
	srv_refuse(s, SMTP_R_AUTH_FAILED, NULL);
}
