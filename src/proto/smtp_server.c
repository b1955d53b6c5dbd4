/*
 * smtp_server.c - the SMTP submission session (see smtp_server.h for the contract).
 *
 * Input is framed here and nowhere else: command lines end only at CRLF, message data ends
 * only at CRLF.CRLF, and any CR or LF that is not part of a CRLF pair ends the session. That
 * one rule is what makes SMTP smuggling impossible: there is no second reading of the bytes
 * under which a message could end earlier. Commands are a table; the state check and its
 * "503" reply live in one place; each handler is a straight line of "refuse unless" checks.
 * The AUTH exchange and the data readers are in smtp_server_auth.c and smtp_server_data.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_server_int.h"

/* Replies, one table. RFC 2034: no enhanced code on the greeting, EHLO/HELO and 3xx. */
static const struct smtp_reply_def replies[SMTP_R__COUNT] = {
	[SMTP_R_GREETING] = { 220, NULL, "%s ESMTP tern", false },
	[SMTP_R_SHUTDOWN] = { 421, "4.3.2", "Service shutting down, try again later", true },
	[SMTP_R_BYE] = { 221, "2.0.0", "Bye", true },
	[SMTP_R_OK] = { 250, "2.0.0", "Ok", false },
	[SMTP_R_MAIL_OK] = { 250, "2.1.0", "Ok", false },
	[SMTP_R_RCPT_OK] = { 250, "2.1.5", "Ok", false },
	[SMTP_R_DATA_GO] = { 354, NULL, "End data with <CR><LF>.<CR><LF>", false },
	[SMTP_R_QUEUED] = { 250, "2.0.0", "Ok: queued as %s", false },
	[SMTP_R_BDAT_OK] = { 250, "2.0.0", "Ok: %s octets received", false },
	[SMTP_R_VRFY] = { 252, "2.5.2",
			  "Cannot VRFY user, but will accept message and attempt delivery", false },
	[SMTP_R_HELP] = { 214, "2.0.0",
			  "Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY "
			  "HELP QUIT; see RFC 5321",
			  false },
	[SMTP_R_TLS_GO] = { 220, "2.0.0", "Ready to start TLS", false },
	[SMTP_R_AUTH_OK] = { 235, "2.7.0", "Authentication successful", false },
	[SMTP_R_AUTH_CHALLENGE] = { 334, NULL, "%s", false },
	[SMTP_R_UNKNOWN_COMMAND] = { 500, "5.5.2", "Error: command not recognized", false },
	[SMTP_R_LINE_TOO_LONG] = { 500, "5.5.2", "Error: line too long", false },
	[SMTP_R_LINE_TOO_LONG_CLOSE] = { 500, "5.5.2", "Error: line too long, closing connection",
					 true },
	[SMTP_R_BARE_CR_LF] = { 521, "5.5.2",
				"Error: bare CR or LF received; lines must end with CRLF, "
				"closing connection",
				true },
	[SMTP_R_NUL] = { 500, "5.5.2", "Error: NUL character in command", false },
	[SMTP_R_NOT_IMPLEMENTED] = { 502, "5.5.1", "Error: command not implemented", false },
	[SMTP_R_NEED_HELO] = { 503, "5.5.1", "Error: send EHLO or HELO first", false },
	[SMTP_R_NEED_MAIL] = { 503, "5.5.1", "Error: need MAIL command", false },
	[SMTP_R_NEED_RCPT] = { 503, "5.5.1", "Need RCPT command", false },
	[SMTP_R_NESTED_MAIL] = { 503, "5.5.1", "Error: nested MAIL command", false },
	[SMTP_R_BAD_SEQUENCE] = { 503, "5.5.1", "Error: bad sequence of commands", false },
	[SMTP_R_HELO_SYNTAX] = { 501, "5.5.4", "Syntax: EHLO hostname", false },
	[SMTP_R_MAIL_SYNTAX] = { 501, "5.5.4", "Syntax: MAIL FROM:<address>", false },
	[SMTP_R_RCPT_SYNTAX] = { 501, "5.5.4", "Syntax: RCPT TO:<address>", false },
	[SMTP_R_NO_ARGUMENTS] = { 501, "5.5.4", "Syntax: %s takes no arguments", false },
	[SMTP_R_PATH_TOO_LONG] = { 501, "5.5.4", "Error: address longer than 256 octets", false },
	[SMTP_R_BAD_SENDER] = { 553, "5.1.3", "<%s> Invalid email address", false },
	[SMTP_R_BAD_RECIPIENT] = { 553, "5.1.3", "<%s> Invalid email address", false },
	[SMTP_R_NEEDS_SMTPUTF8] = { 553, "5.6.7", "<%s> Address needs SMTPUTF8", false },
	[SMTP_R_BAD_PARAMETER] = { 555, "5.5.4", "Error: parameter %s not supported", false },
	[SMTP_R_SIZE_EXCEEDED] = { 552, "5.3.4", "Exceeds byte limit", false },
	[SMTP_R_TOO_MANY_RECIPIENTS] = { 452, "4.5.3", "Error: too many recipients", false },
	[SMTP_R_AUTH_REQUIRED] = { 535, "5.7.0", "Authentication required", false },
	[SMTP_R_AUTH_NEEDS_TLS] = { 538, "5.7.11",
				    "Encryption required for requested authentication mechanism",
				    false },
	[SMTP_R_AUTH_ALREADY] = { 503, "5.5.1", "Error: already authenticated", false },
	[SMTP_R_AUTH_NOT_AVAILABLE] = { 502, "5.5.1", "Error: authentication not enabled", false },
	[SMTP_R_AUTH_BAD_BASE64] = { 501, "5.5.2",
				     "Invalid command argument, not a valid Base64 string", false },
	[SMTP_R_AUTH_NO_NUL] = { 501, "5.5.2", "Invalid command argument, does not contain NUL",
				 false },
	[SMTP_R_AUTH_NO_SECOND_NUL] = { 501, "5.5.2",
					"Invalid command argument, does not contain the second NUL",
					false },
	[SMTP_R_AUTH_METHOD] = { 504, "5.5.4", "Method not supported", false },
	[SMTP_R_AUTH_MISMATCH] = { 504, "5.5.4", "AUTH mechanism mismatch", false },
	[SMTP_R_AUTH_CANCELLED] = { 501, "5.7.0", "Authentication cancelled", false },
	[SMTP_R_AUTH_FAILED] = { 535, "5.7.8", "Authentication credentials invalid", false },
	[SMTP_R_AUTH_TOO_MANY_FAILURES] = { 421, "4.7.0", "Too many auth failures, try again later",
					    true },
	[SMTP_R_TOO_MANY_ERRORS] = { 421, "4.7.0", "Too many errors, closing connection", true },
	[SMTP_R_TLS_ALREADY] = { 503, "5.5.1", "Error: TLS already active", false },
	[SMTP_R_TLS_NOT_AVAILABLE] = { 454, "4.7.0", "TLS not available", false },
	[SMTP_R_TLS_SYNTAX] = { 501, "5.5.4", "Syntax: STARTTLS", false },
	[SMTP_R_TLS_REQUIRED] = { 530, "5.7.0", "Must issue a STARTTLS command first", false },
	[SMTP_R_TIMEOUT] = { 421, "4.4.2", "Timeout waiting for data from client", true },
	[SMTP_R_DATA_LINE_TOO_LONG] = { 500, "5.5.2",
					"Error: message has a line longer than 1000 octets",
					false },
	[SMTP_R_BDAT_SYNTAX] = { 501, "5.5.4", "Syntax: BDAT size [LAST]; closing connection",
				 true },
	[SMTP_R_STORAGE_ERROR] = { 452, "4.3.1", "System storage error", false },
	[SMTP_R_LOCAL_ERROR] = { 451, "4.3.0", "Error in Processing", false },
	[SMTP_R_NO_SPACE] = { 452, "4.3.1", "Insufficient system storage, try again later", false },
	[SMTP_R_SENDER_NOT_AUTHORIZED] = { 535, "5.7.1",
					   "Authorization failed: address <%s> not authorized",
					   false },
	[SMTP_R_ACCOUNT_SUSPENDED] = { 554, "5.7.1", "Account suspended", false },
	[SMTP_R_RATE_MINUTE] = { 455, "4.7.0",
				 "Maximum messages sent per minute reached : limit is %s", false },
	[SMTP_R_RATE_HOUR] = { 450, "4.7.1", "Hourly sending quota exceeded", false },
	[SMTP_R_RATE_DAY] = { 455, "4.7.0", "Maximum messages sent per day reached : limit is %s",
			      false },
	[SMTP_R_RATE_DOMAIN_HOUR] = { 450, "4.7.1", "Hourly domain sending quota exceeded", false },
	[SMTP_R_SUPPRESSED_ACCEPTED] = { 250, "2.1.5",
					 "<%s> suppressed (%s): accepted, will not be delivered",
					 false },
	[SMTP_R_SUPPRESSED_254] = { 254, "4.7.1", "Suppression for user <%s> to <%s>", false },
	[SMTP_R_SUPPRESSED_REJECTED] = { 550, "5.1.1", "<%s> is on the suppression list (%s)",
					 false },
	[SMTP_R_FROM_MISMATCH] = { 553, "5.7.1",
				   "Sender address rejected: header From <%s> does not match "
				   "envelope sender <%s>; use the same address in both",
				   false },
	[SMTP_R_FROM_COUNT] = { 553, "5.7.1",
				"Sender address rejected: header From must hold exactly one "
				"mailbox, it holds %s",
				false },
	[SMTP_R_FROM_NOT_AUTHORIZED] = { 553, "5.7.1",
					 "Sender address rejected: header From <%s> not "
					 "authorized; approve it first (tern sender add)",
					 false },
	[SMTP_R_FROM_SYNTAX] = { 553, "5.1.3", "<%s> Invalid email address in header From: %s",
				 false },
	[SMTP_R_SENDER_FIELD_NOT_AUTHORIZED] = { 553, "5.7.1",
						 "Sender address rejected: header Sender <%s> "
						 "not authorized; approve it or remove the field",
						 false },
	[SMTP_R_MESSAGE_PARSE] = { 554, "5.6.0", "Message parse error: %s", false },
	[SMTP_R_TOO_MANY_HOPS] = { 554, "5.4.6", "Too many hops, mail loop detected", false },
	[SMTP_R_TOO_MANY_CONNECTIONS] = { 421, "4.7.0", "Too many connections, try again later",
					  true },
};

const struct smtp_reply_def *smtp_server_reply_def(enum smtp_reply_id id)
{
	if (id <= SMTP_R_NONE || id >= SMTP_R__COUNT)
		return NULL;
	return &replies[id];
}

/* ---- output ------------------------------------------------------------------------------ */

/* Appends "code enh text\r\n" with the one "%s" of the text replaced by arg. Control
 * characters in arg (it may echo client input) become '?'. */
/* Each "%s" of text takes the next argument, control characters replaced and cut short so
 * that the line stays within RFC 5321's 512 octets. */
static void put_reply(struct smtp_server *s, int code, const char *enh, const char *text,
		      const char *arg, const char *arg2)
{
	const char *args[2] = { arg, arg2 };
	size_t cap = arg2 != NULL ? 160 : 300;

	buf_printf(&s->out, "%03d ", code);
	if (enh != NULL)
		buf_printf(&s->out, "%s ", enh);
	for (int k = 0; *text != '\0'; k++) {
		const char *mark = k < 2 ? strstr(text, "%s") : NULL;
		const char *a = k < 2 && args[k] != NULL ? args[k] : "";
		size_t n = 0;

		if (mark == NULL) {
			buf_append_str(&s->out, text);
			break;
		}
		buf_append(&s->out, text, (size_t)(mark - text));
		for (; n < cap && a[n] != '\0'; n++)
			buf_append_byte(&s->out,
					((unsigned char)a[n] < 32 || a[n] == 127) ? '?' : a[n]);
		if (a[n] != '\0')
			buf_append_str(&s->out, "...");
		text = mark + 2;
	}
	buf_append(&s->out, "\r\n", 2);
}

void srv_reply(struct smtp_server *s, enum smtp_reply_id id, const char *arg)
{
	const struct smtp_reply_def *d = &replies[id];

	put_reply(s, d->code, d->enhanced, d->text, arg, NULL);
	if (d->closes)
		s->state = SMTP_ST_CLOSED;
}

/* Records the refused command for the log: quoted, truncated, control characters out. */
static void log_rejection(struct smtp_server *s, size_t reply_start)
{
	struct buf *r = &s->rejections;
	size_t n = s->cmd_len > 100 ? 100 : s->cmd_len;

	if (r->len > 16 * 1024)
		return; /* the adapter is not draining; keep memory bounded */
	buf_append_str(r, "command=\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s->cmd[i];
		buf_append_byte(r, (c < 32 || c == 127 || c == '"' || c == '\\') ? '?' : c);
	}
	if (n < s->cmd_len)
		buf_append_str(r, "...");
	buf_append_str(r, "\" reply=\"");
	for (size_t i = reply_start; i < s->out.len; i++) {
		unsigned char c = s->out.data[i];
		if (c == '\r' || c == '\n')
			break;
		buf_append_byte(r, c == '"' ? '\'' : c);
	}
	buf_append_str(r, "\"\n");
}

/* A refused command: the reply, the log line, and the error budget. */
int srv_refuse(struct smtp_server *s, enum smtp_reply_id id, const char *arg)
{
	size_t start = s->out.len;

	srv_reply(s, id, arg);
	log_rejection(s, start);
	if (s->state == SMTP_ST_CLOSED)
		return -1;
	if (++s->errors >= s->cfg->max_errors) {
		start = s->out.len;
		srv_reply(s, SMTP_R_TOO_MANY_ERRORS, NULL);
		log_rejection(s, start);
	}
	return -1;
}

/* A custom reply from a verdict (policy texts). */
void srv_verdict_reply(struct smtp_server *s, const struct smtp_verdict *v,
		       enum smtp_reply_id fallback, const char *arg)
{
	size_t start = s->out.len;

	const struct smtp_reply_def *d = &replies[v->reply != SMTP_R_NONE ? v->reply : fallback];

	if (v->arg != NULL)
		arg = v->arg;
	if (v->code >= 200 && v->code <= 599 && v->text != NULL) {
		put_reply(s, v->code, v->enhanced, v->text, arg, v->arg2);
	} else {
		put_reply(s, d->code, d->enhanced, d->text, arg, v->arg2);
		if (d->closes)
			s->state = SMTP_ST_CLOSED;
	}
	if (!v->accept)
		log_rejection(s, start);
	if (v->close)
		s->state = SMTP_ST_CLOSED;
}

/* ---- transaction ------------------------------------------------------------------------- */

void srv_reset_transaction(struct smtp_server *s)
{
	memset(&s->mail_from, 0, sizeof(s->mail_from));
	s->rcpt_count = 0;
	s->smtputf8 = false;
	s->body_8bit = false;
	s->bdat_started = false;
	srv_data_reset(s);
	if (s->state != SMTP_ST_INIT && s->state != SMTP_ST_CLOSED)
		s->state = SMTP_ST_READY;
}

void srv_request(struct smtp_server *s, enum smtp_request_kind kind)
{
	memset(&s->req, 0, sizeof(s->req));
	s->req.kind = kind;
	s->req.mail_from = &s->mail_from;
	s->req.rcpts = s->rcpts;
	s->req.rcpt_count = s->rcpt_count;
	s->req.smtputf8 = s->smtputf8;
	s->req.body_8bit = s->body_8bit;
}

/* ---- commands ---------------------------------------------------------------------------- */

static bool args_empty(const char *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != ' ' && a[i] != '\t')
			return false;
	return true;
}

static int do_ehlo(struct smtp_server *s, const char *a, size_t n)
{
	bool ehlo = strncasecmp(s->cmd, "EHLO", 4) == 0;
	size_t len = 0;

	while (len < n && a[len] != ' ')
		len++;
	if (len == 0)
		return srv_refuse(s, SMTP_R_HELO_SYNTAX, NULL);
	if (len >= sizeof(s->helo))
		len = sizeof(s->helo) - 1;
	memcpy(s->helo, a, len);
	s->helo[len] = '\0';
	s->state = SMTP_ST_READY;
	srv_reset_transaction(s);
	if (!ehlo) {
		buf_printf(&s->out, "250 %s\r\n", s->cfg->hostname);
		return 0;
	}
	buf_printf(&s->out, "250-%s\r\n", s->cfg->hostname);
	buf_append_str(&s->out, "250-PIPELINING\r\n");
	buf_printf(&s->out, "250-SIZE %zu\r\n", s->cfg->max_message_size);
	if (s->cfg->starttls_offered && !s->tls)
		buf_append_str(&s->out, "250-STARTTLS\r\n");
	if (srv_auth_offered(s) && s->user == NULL)
		buf_append_str(&s->out, "250-AUTH PLAIN LOGIN\r\n");
	buf_append_str(&s->out, "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n"
				"250 CHUNKING\r\n");
	return 0;
}

static int do_starttls(struct smtp_server *s, const char *a, size_t n)
{
	if (!args_empty(a, n))
		return srv_refuse(s, SMTP_R_TLS_SYNTAX, NULL);
	if (s->tls)
		return srv_refuse(s, SMTP_R_TLS_ALREADY, NULL);
	if (!s->cfg->starttls_offered)
		return srv_refuse(s, SMTP_R_TLS_NOT_AVAILABLE, NULL);
	srv_reply(s, SMTP_R_TLS_GO, NULL);
	/* Anything pipelined behind STARTTLS came in the clear: it must never be read as if it
	 * had come over TLS (CVE-2011-0411 and its kin). Drop it, and log that we did. */
	if (s->in.len > s->in_pos) {
		size_t start = s->out.len;
		buf_printf(&s->out, "(dropped %zu octets sent after STARTTLS)",
			   s->in.len - s->in_pos);
		log_rejection(s, start);
		s->out.len = start;
		s->in_pos = s->in.len;
	}
	srv_request(s, SMTP_REQ_STARTTLS);
	return 0;
}

/* The path after "FROM:" / "TO:", up to its closing '>' (quoted local parts may hold '>'),
 * then the parameters. Returns false when there is no bracketed path. */
static bool split_path(const char *a, size_t n, const char **path, size_t *plen, const char **rest,
		       size_t *rlen)
{
	size_t i = 0;
	bool quoted = false;

	while (i < n && a[i] == ' ')
		i++; /* a space after the colon is wrong but common; accept it */
	if (i == n || a[i] != '<')
		return false;
	*path = a + i;
	for (; i < n; i++) {
		if (a[i] == '"' && (i == 0 || a[i - 1] != '\\'))
			quoted = !quoted;
		if (a[i] == '>' && !quoted)
			break;
	}
	if (i == n)
		return false;
	*plen = (size_t)(a + i + 1 - *path);
	*rest = a + i + 1;
	*rlen = n - i - 1;
	return *rlen == 0 || (*rest)[0] == ' ';
}

/* One "KEY[=VALUE]" parameter after a path; returns its length, 0 at the end. */
static size_t next_param(const char **p, size_t *n, const char **key, size_t *klen,
			 const char **val, size_t *vlen)
{
	const char *a = *p;
	size_t i = 0, start;

	while (i < *n && a[i] == ' ')
		i++;
	start = i;
	while (i < *n && a[i] != ' ')
		i++;
	if (i == start)
		return 0;
	*key = a + start;
	*klen = i - start;
	*val = NULL;
	*vlen = 0;
	for (size_t k = 0; k < *klen; k++) {
		if ((*key)[k] == '=') {
			*val = *key + k + 1;
			*vlen = *klen - k - 1;
			*klen = k;
			break;
		}
	}
	*p = a + i;
	*n -= i;
	return i - start;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && strncasecmp(k, name, klen) == 0;
}

static bool parse_size(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

/* Copies a parameter name for a reply: bounded, it may be client junk. */
static const char *param_name(struct smtp_server *s, const char *k, size_t klen)
{
	if (klen > 40)
		klen = 40;
	memcpy(s->scratch, k, klen);
	s->scratch[klen] = '\0';
	return s->scratch;
}

static enum smtp_reply_id address_refusal(enum address_error e, enum smtp_reply_id bad)
{
	switch (e) {
	case ADDRESS_E_TOO_LONG:
		return SMTP_R_PATH_TOO_LONG;
	case ADDRESS_E_NEEDS_UTF8:
		return SMTP_R_NEEDS_SMTPUTF8;
	default:
		return bad;
	}
}

/* The path as the client wrote it, without brackets, bounded, for "<%s> Invalid ...". */
static const char *path_for_reply(struct smtp_server *s, const char *path, size_t plen)
{
	if (plen >= 2)
		return param_name(s, path + 1, plen - 2 > 40 ? 40 : plen - 2);
	return "";
}

static int do_mail(struct smtp_server *s, const char *a, size_t n)
{
	const char *path, *rest, *key, *val;
	size_t plen, rlen, klen, vlen;
	uint64_t size = 0;
	bool utf8 = false, body8 = false;
	enum address_error e;

	if (s->cfg->require_tls && !s->tls)
		return srv_refuse(s, SMTP_R_TLS_REQUIRED, NULL);
	if (!s->trusted && s->user == NULL)
		return srv_refuse(s, SMTP_R_AUTH_REQUIRED, NULL);
	if (n < 5 || strncasecmp(a, "FROM:", 5) != 0)
		return srv_refuse(s, SMTP_R_MAIL_SYNTAX, NULL);
	if (!split_path(a + 5, n - 5, &path, &plen, &rest, &rlen))
		return srv_refuse(s, SMTP_R_MAIL_SYNTAX, NULL);
	if (plen > ADDRESS_PATH_MAX)
		return srv_refuse(s, SMTP_R_PATH_TOO_LONG, NULL);
	while (next_param(&rest, &rlen, &key, &klen, &val, &vlen) > 0) {
		if (key_is(key, klen, "SIZE")) {
			if (!parse_size(val, vlen, &size))
				return srv_refuse(s, SMTP_R_MAIL_SYNTAX, NULL);
		} else if (key_is(key, klen, "BODY")) {
			if (vlen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)
				body8 = true;
			else if (!(vlen == 4 && strncasecmp(val, "7BIT", 4) == 0))
				return srv_refuse(s, SMTP_R_BAD_PARAMETER, "BODY");
		} else if (key_is(key, klen, "SMTPUTF8") && val == NULL) {
			utf8 = true;
		} else if (key_is(key, klen, "AUTH")) {
			/* RFC 4954 5: the submitter's identity; we know it from AUTH itself. */
		} else {
			return srv_refuse(s, SMTP_R_BAD_PARAMETER, param_name(s, key, klen));
		}
	}
	if (size > s->max_size)
		return srv_refuse(s, SMTP_R_SIZE_EXCEEDED, NULL);
	e = address_parse_path(path, plen, true, utf8, &s->candidate);
	if (e != ADDRESS_OK)
		return srv_refuse(s, address_refusal(e, SMTP_R_BAD_SENDER),
				  path_for_reply(s, path, plen));
	s->smtputf8 = utf8;
	s->body_8bit = body8;
	srv_request(s, SMTP_REQ_MAIL);
	s->req.address = &s->candidate;
	return 0;
}

static int do_rcpt(struct smtp_server *s, const char *a, size_t n)
{
	const char *path, *rest, *key, *val;
	size_t plen, rlen, klen, vlen;
	enum address_error e;

	if (n < 3 || strncasecmp(a, "TO:", 3) != 0)
		return srv_refuse(s, SMTP_R_RCPT_SYNTAX, NULL);
	if (!split_path(a + 3, n - 3, &path, &plen, &rest, &rlen))
		return srv_refuse(s, SMTP_R_RCPT_SYNTAX, NULL);
	if (plen > ADDRESS_PATH_MAX)
		return srv_refuse(s, SMTP_R_PATH_TOO_LONG, NULL);
	if (next_param(&rest, &rlen, &key, &klen, &val, &vlen) > 0)
		return srv_refuse(s, SMTP_R_BAD_PARAMETER, param_name(s, key, klen));
	if (s->rcpt_count >= s->max_rcpts)
		return srv_refuse(s, SMTP_R_TOO_MANY_RECIPIENTS, NULL);
	e = address_parse_path(path, plen, false, s->smtputf8, &s->candidate);
	if (e != ADDRESS_OK)
		return srv_refuse(s, address_refusal(e, SMTP_R_BAD_RECIPIENT),
				  path_for_reply(s, path, plen));
	srv_request(s, SMTP_REQ_RCPT);
	s->req.address = &s->candidate;
	return 0;
}

static int do_data(struct smtp_server *s, const char *a, size_t n)
{
	if (!args_empty(a, n))
		return srv_refuse(s, SMTP_R_NO_ARGUMENTS, "DATA");
	if (s->bdat_started)
		return srv_refuse(s, SMTP_R_BAD_SEQUENCE, NULL);
	s->chunked = false;
	srv_request(s, SMTP_REQ_DATA);
	return 0;
}

static int do_rset(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	srv_reset_transaction(s);
	srv_reply(s, SMTP_R_OK, NULL);
	return 0;
}

static int do_noop(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	srv_reply(s, SMTP_R_OK, NULL);
	return 0;
}

static int do_vrfy(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	srv_reply(s, SMTP_R_VRFY, NULL);
	return 0;
}

static int do_help(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	srv_reply(s, SMTP_R_HELP, NULL);
	return 0;
}

static int do_quit(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	srv_reply(s, SMTP_R_BYE, NULL);
	return 0;
}

static int do_not_implemented(struct smtp_server *s, const char *a, size_t n)
{
	(void)a;
	(void)n;
	return srv_refuse(s, SMTP_R_NOT_IMPLEMENTED, NULL);
}

#define IN(st)	(1u << (st))
#define ANY	(IN(SMTP_ST_INIT) | IN(SMTP_ST_READY) | IN(SMTP_ST_MAIL) | IN(SMTP_ST_RCPT))
#define GREETED (IN(SMTP_ST_READY) | IN(SMTP_ST_MAIL) | IN(SMTP_ST_RCPT))

struct command {
	const char *verb;
	unsigned states;		 /* where it is allowed */
	enum smtp_reply_id out_of_order; /* the 503 otherwise (before EHLO: "send EHLO first") */
	int (*run)(struct smtp_server *s, const char *args, size_t len);
};

static const struct command commands[] = {
	{ "EHLO", ANY, SMTP_R_BAD_SEQUENCE, do_ehlo },
	{ "HELO", ANY, SMTP_R_BAD_SEQUENCE, do_ehlo },
	{ "STARTTLS", IN(SMTP_ST_READY), SMTP_R_BAD_SEQUENCE, do_starttls },
	{ "AUTH", IN(SMTP_ST_READY), SMTP_R_BAD_SEQUENCE, srv_do_auth },
	{ "MAIL", IN(SMTP_ST_READY), SMTP_R_NESTED_MAIL, do_mail },
	{ "RCPT", IN(SMTP_ST_MAIL) | IN(SMTP_ST_RCPT), SMTP_R_NEED_MAIL, do_rcpt },
	{ "DATA", IN(SMTP_ST_RCPT), SMTP_R_NEED_RCPT, do_data },
	{ "BDAT", ANY, SMTP_R_NEED_RCPT, srv_do_bdat }, /* checks its state itself */
	{ "RSET", ANY, SMTP_R_BAD_SEQUENCE, do_rset },
	{ "NOOP", ANY, SMTP_R_BAD_SEQUENCE, do_noop },
	{ "VRFY", ANY, SMTP_R_BAD_SEQUENCE, do_vrfy },
	{ "HELP", ANY, SMTP_R_BAD_SEQUENCE, do_help },
	{ "QUIT", ANY, SMTP_R_BAD_SEQUENCE, do_quit },
	{ "EXPN", ANY, SMTP_R_BAD_SEQUENCE, do_not_implemented },
	{ "ETRN", ANY, SMTP_R_BAD_SEQUENCE, do_not_implemented },
	{ "TURN", ANY, SMTP_R_BAD_SEQUENCE, do_not_implemented },
};

/* Which 503 a command gets outside its states. */
static enum smtp_reply_id out_of_order(const struct smtp_server *s, const struct command *c)
{
	if (s->state == SMTP_ST_INIT)
		return SMTP_R_NEED_HELO;
	if (c->run == do_data)
		return s->state == SMTP_ST_READY ? SMTP_R_NEED_MAIL : SMTP_R_NEED_RCPT;
	return c->out_of_order;
}

static void handle_command(struct smtp_server *s, const char *line, size_t len)
{
	const struct command *c = NULL;
	size_t vlen = 0;

	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strlen(commands[i].verb) == vlen &&
		    strncasecmp(line, commands[i].verb, vlen) == 0) {
			c = &commands[i];
			break;
		}
	}
	if (s->draining) {
		srv_reply(s, SMTP_R_SHUTDOWN, NULL);
		return;
	}
	if (c == NULL) {
		srv_refuse(s, SMTP_R_UNKNOWN_COMMAND, NULL);
		return;
	}
	if (!(c->states & IN(s->state))) {
		srv_refuse(s, out_of_order(s, c), NULL);
		return;
	}
	if (vlen < len)
		vlen++;
	c->run(s, line + vlen, len - vlen);
}

/* ---- command framing --------------------------------------------------------------------- */

/* Inside an over-long command line, whose first CR or LF is at p[i] (i == n: not yet
 * here): drops its bytes. The rules of a line that fits hold all the same: only CRLF ends
 * it, a bare CR or LF closes the session, and so does a line past the cut-off, wherever the
 * reads happened to split it. */
static size_t discard_step(struct smtp_server *s, const uint8_t *p, size_t n, size_t i)
{
	s->cmd = "(over-long line)";
	s->cmd_len = strlen(s->cmd);
	if (i > SMTP_DISCARD_MAX - s->discarding) {
		srv_refuse(s, SMTP_R_LINE_TOO_LONG_CLOSE, NULL);
		return n;
	}
	s->discarding += i;
	if (i == n)
		return n;
	if (p[i] == '\n' || (i + 1 < n && p[i + 1] != '\n')) {
		srv_refuse(s, SMTP_R_BARE_CR_LF, NULL);
		return n;
	}
	if (i + 1 == n)
		return i; /* CR at the end: wait for its LF */
	s->discarding = 0;
	srv_refuse(s, SMTP_R_LINE_TOO_LONG, NULL);
	return i + 2;
}

/* Handles one command line from p[0..n). Returns the bytes used, 0 when more are needed. */
static size_t command_step(struct smtp_server *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	if (s->discarding > 0)
		return discard_step(s, p, n, i);
	if (i >= SMTP_AUTH_LINE_MAX) {
		/* Too long for any command: drop it from here on, as if its first
		 * SMTP_AUTH_LINE_MAX octets had come alone, so that the outcome does not depend
		 * on how the bytes arrived. */
		s->discarding = SMTP_AUTH_LINE_MAX;
		return SMTP_AUTH_LINE_MAX;
	}
	if (i == n)
		return 0;
	s->cmd = (const char *)p;
	s->cmd_len = i;
	if (p[i] == '\n' || (i + 1 < n && p[i + 1] != '\n')) {
		srv_refuse(s, SMTP_R_BARE_CR_LF, NULL);
		return n;
	}
	if (i + 1 == n)
		return 0; /* CR at the end: wait for its LF */
	if (memchr(p, '\0', i) != NULL) {
		srv_refuse(s, SMTP_R_NUL, NULL);
		return i + 2;
	}
	if (s->state == SMTP_ST_AUTH) {
		s->cmd = "(AUTH response)";
		s->cmd_len = strlen(s->cmd);
		srv_auth_response(s, (const char *)p, i);
		return i + 2;
	}
	if (i + 2 > SMTP_COMMAND_LINE_MAX && !(i + 2 <= SMTP_AUTH_LINE_MAX && i >= 5 &&
					       strncasecmp((const char *)p, "AUTH ", 5) == 0)) {
		srv_refuse(s, SMTP_R_LINE_TOO_LONG, NULL);
		return i + 2;
	}
	if (i >= 5 && strncasecmp((const char *)p, "AUTH ", 5) == 0)
		s->cmd_len = 4; /* never log credentials */
	handle_command(s, (const char *)p, i);
	return i + 2;
}

/* ---- the loop ---------------------------------------------------------------------------- */

#define OUT_HIGH  (16 * 1024)  /* stop reading commands while this much output waits */
#define IN_HIGH	  (128 * 1024) /* stop reading the socket while this much input waits */
#define IDLE_KEEP (8 * 1024)   /* buffers larger than this are freed when empty */

static void run(struct smtp_server *s)
{
	while (s->state != SMTP_ST_CLOSED && s->req.kind == SMTP_REQ_NONE &&
	       s->out.len < OUT_HIGH) {
		/* no arithmetic on the NULL of a freed, empty buffer */
		const uint8_t *p = s->in.len > 0 ? s->in.data + s->in_pos : NULL;
		size_t n = s->in.len - s->in_pos, used;
		enum smtp_state before = s->state;

		if (n == 0 && s->state != SMTP_ST_BDAT)
			break;
		if (s->state == SMTP_ST_DATA)
			used = srv_data_step(s, p, n);
		else if (s->state == SMTP_ST_BDAT)
			used = srv_bdat_step(s, p, n);
		else
			used = command_step(s, p, n);
		s->in_pos += used;
		if (used == 0 && s->state == before)
			break;
	}
	if (s->state == SMTP_ST_CLOSED)
		s->in_pos = s->in.len;
	buf_consume(&s->in, s->in_pos);
	s->in_pos = 0;
	s->cmd = "";
	s->cmd_len = 0;
	if (s->in.len == 0 && s->in.cap > IDLE_KEEP)
		buf_free(&s->in);
}

struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg, bool tls, bool trusted)
{
	struct smtp_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->max_size = cfg->max_message_size;
	s->max_rcpts = cfg->max_recipients;
	s->tls = tls;
	s->trusted = trusted;
	s->state = SMTP_ST_INIT;
	s->cmd = "";
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	buf_init(&s->msg, 0);
	buf_init(&s->rejections, 0);
	srv_reply(s, SMTP_R_GREETING, cfg->hostname);
	return s;
}

void smtp_server_refuse(struct smtp_server *s, enum smtp_reply_id id)
{
	buf_reset(&s->out);
	srv_reply(s, id, NULL);
	s->state = SMTP_ST_CLOSED;
}

void smtp_server_set_limits(struct smtp_server *s, size_t max_message_size, unsigned max_recipients)
{
	s->max_size = max_message_size ? max_message_size : s->cfg->max_message_size;
	s->max_rcpts = max_recipients ? max_recipients : s->cfg->max_recipients;
}

void smtp_server_free(struct smtp_server *s)
{
	if (s == NULL)
		return;
	srv_auth_wipe(s);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->msg);
	buf_free(&s->rejections);
	free(s->rcpts);
	free(s->user);
	free(s);
}

void smtp_server_feed(struct smtp_server *s, const uint8_t *in, size_t len)
{
	if (s->state == SMTP_ST_CLOSED)
		return;
	if (len > 0 && !buf_append(&s->in, in, len)) {
		srv_reply(s, SMTP_R_LOCAL_ERROR, NULL);
		s->state = SMTP_ST_CLOSED;
		return;
	}
	run(s);
}

bool smtp_server_wants_input(const struct smtp_server *s)
{
	/* Reading on while a request waits for its answer is safe (nothing is processed until
	 * then, and IN_HIGH bounds what is kept) and saves two epoll changes per request. */
	return s->state != SMTP_ST_CLOSED && s->in.len < IN_HIGH && s->out.len < OUT_HIGH;
}

struct slice smtp_server_output(const struct smtp_server *s)
{
	return buf_slice(&s->out);
}

void smtp_server_output_done(struct smtp_server *s)
{
	buf_reset(&s->out);
	if (s->out.cap > IDLE_KEEP)
		buf_free(&s->out);
}

const struct smtp_request *smtp_server_pending(const struct smtp_server *s)
{
	return s->req.kind == SMTP_REQ_NONE ? NULL : &s->req;
}

static bool add_recipient(struct smtp_server *s)
{
	if (s->rcpt_count == s->rcpt_cap) {
		size_t cap = s->rcpt_cap ? s->rcpt_cap * 2 : 4;
		struct address *r = realloc(s->rcpts, cap * sizeof(*r));
		if (r == NULL)
			return false;
		s->rcpts = r;
		s->rcpt_cap = cap;
	}
	s->rcpts[s->rcpt_count++] = s->candidate;
	return true;
}

void smtp_server_answer(struct smtp_server *s, const struct smtp_verdict *v)
{
	enum smtp_request_kind kind = s->req.kind;

	memset(&s->req, 0, sizeof(s->req));
	s->cmd = kind == SMTP_REQ_MAIL	 ? "MAIL"
		 : kind == SMTP_REQ_RCPT ? "RCPT"
		 : kind == SMTP_REQ_AUTH ? "AUTH"
					 : "DATA";
	s->cmd_len = strlen(s->cmd);
	switch (kind) {
	case SMTP_REQ_NONE:
	case SMTP_REQ_STARTTLS:
		return;
	case SMTP_REQ_AUTH:
		srv_auth_answer(s, v);
		break;
	case SMTP_REQ_MAIL:
		if (v->accept) {
			s->mail_from = s->candidate;
			s->state = SMTP_ST_MAIL;
		}
		srv_verdict_reply(s, v, v->accept ? SMTP_R_MAIL_OK : SMTP_R_BAD_SENDER,
				  s->candidate.text);
		break;
	case SMTP_REQ_RCPT:
		if (v->accept && !add_recipient(s)) {
			srv_reply(s, SMTP_R_LOCAL_ERROR, NULL);
			break;
		}
		if (v->accept)
			s->state = SMTP_ST_RCPT;
		srv_verdict_reply(s, v, v->accept ? SMTP_R_RCPT_OK : SMTP_R_BAD_RECIPIENT,
				  s->candidate.text);
		break;
	case SMTP_REQ_DATA:
		srv_data_begin(s, v);
		break;
	case SMTP_REQ_MESSAGE:
		srv_verdict_reply(s, v, v->accept ? SMTP_R_QUEUED : SMTP_R_STORAGE_ERROR,
				  v->queue_id);
		srv_reset_transaction(s);
		if (s->draining && s->state != SMTP_ST_CLOSED)
			srv_reply(s, SMTP_R_SHUTDOWN, NULL);
		break;
	}
	if (s->state != SMTP_ST_CLOSED)
		run(s);
}

void smtp_server_tls_started(struct smtp_server *s)
{
	memset(&s->req, 0, sizeof(s->req));
	s->tls = true;
	s->helo[0] = '\0';
	s->state = SMTP_ST_INIT;
	srv_reset_transaction(s);
	run(s);
}

void smtp_server_timeout(struct smtp_server *s)
{
	if (s->state == SMTP_ST_CLOSED)
		return;
	srv_reply(s, SMTP_R_TIMEOUT, NULL);
}

void smtp_server_shutdown(struct smtp_server *s)
{
	if (s->state == SMTP_ST_CLOSED)
		return;
	if (smtp_server_in_message(s) || s->req.kind == SMTP_REQ_MESSAGE) {
		s->draining = true;
		return;
	}
	memset(&s->req, 0, sizeof(s->req));
	srv_reply(s, SMTP_R_SHUTDOWN, NULL);
}

enum smtp_state smtp_server_state(const struct smtp_server *s)
{
	return s->state;
}

bool smtp_server_closed(const struct smtp_server *s)
{
	return s->state == SMTP_ST_CLOSED;
}

bool smtp_server_in_message(const struct smtp_server *s)
{
	return s->state == SMTP_ST_DATA || s->state == SMTP_ST_BDAT || s->bdat_started;
}

const char *smtp_server_helo(const struct smtp_server *s)
{
	return s->helo;
}

const char *smtp_server_user(const struct smtp_server *s)
{
	return s->user;
}

bool smtp_server_tls(const struct smtp_server *s)
{
	return s->tls;
}

struct slice smtp_server_rejections(const struct smtp_server *s)
{
	return buf_slice(&s->rejections);
}

void smtp_server_rejections_done(struct smtp_server *s)
{
	buf_reset(&s->rejections);
}
