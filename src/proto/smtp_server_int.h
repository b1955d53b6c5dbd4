/*
 * smtp_server_int.h - what the parts of the SMTP session (smtp_server.c, smtp_server_auth.c,
 * smtp_server_data.c) share. Not for use outside src/proto/smtp_server*.c.
 */
#ifndef TERN_PROTO_SMTP_SERVER_INT_H
#define TERN_PROTO_SMTP_SERVER_INT_H

#include "smtp_server.h"

enum data_state {
	D_BOL,	  /* at the beginning of a line */
	D_DOT,	  /* a '.' opened the line */
	D_DOT_CR, /* ".\r": one more LF ends the message */
	D_TEXT,	  /* inside a line */
	D_CR,	  /* CR inside a line: only LF may follow */
};

enum auth_step {
	AUTH_IDLE,
	AUTH_PLAIN_WAIT, /* "334 " sent, waiting for the PLAIN response */
	AUTH_LOGIN_USER, /* "334 VXNlcm5hbWU6" sent */
	AUTH_LOGIN_PASS, /* "334 UGFzc3dvcmQ6" sent */
};

struct smtp_server {
	const struct smtp_server_config *cfg;
	size_t max_size; /* cfg's, or the user's own (smtp_server_set_limits) */
	unsigned max_rcpts;
	enum smtp_state state;
	bool tls;
	bool trusted;
	bool draining;
	bool smtputf8;
	bool body_8bit;
	bool bdat_started; /* a BDAT chunk came in this transaction */
	bool chunked;	   /* the message is being read by BDAT */
	unsigned errors;
	unsigned auth_failures;
	char helo[256];
	char *user;	  /* authenticated name, or NULL */
	char scratch[48]; /* a bounded copy of client text for one reply */

	struct buf in;	/* received, not yet handled */
	size_t in_pos;	/* handled so far within `in` during one run */
	struct buf out; /* replies not yet sent */
	struct buf rejections;
	const char *cmd; /* the command being handled, for the log */
	size_t cmd_len;
	size_t discarding; /* > 0 while dropping an over-long command line */

	/* the transaction */
	struct address mail_from;
	struct address candidate; /* the MAIL or RCPT address being decided */
	struct address *rcpts;
	size_t rcpt_count;
	size_t rcpt_cap;

	/* message data */
	struct buf msg;
	uint64_t msg_size; /* octets counted, also those not kept when too big */
	enum data_state dstate;
	size_t line_len;
	bool long_line;
	bool msg_failed; /* out of memory while keeping the message */
	bool bdat_prev_cr;
	bool bdat_last;
	uint64_t bdat_left;
	enum smtp_reply_id bdat_refusal; /* reply owed after a refused chunk is drained */
	enum smtp_state bdat_return;	 /* where a drained, refused chunk leaves the session */

	/* AUTH */
	enum auth_step auth;
	const char *auth_mech;
	struct buf auth_data;  /* decoded credentials; wiped after use */
	const char *auth_user; /* within auth_data */

	struct smtp_request req;
};

void srv_reply(struct smtp_server *s, enum smtp_reply_id id, const char *arg);
int srv_refuse(struct smtp_server *s, enum smtp_reply_id id, const char *arg);
void srv_verdict_reply(struct smtp_server *s, const struct smtp_verdict *v,
		       enum smtp_reply_id fallback, const char *arg);
void srv_request(struct smtp_server *s, enum smtp_request_kind kind);
void srv_reset_transaction(struct smtp_server *s);

/* smtp_server_auth.c */
bool srv_auth_offered(const struct smtp_server *s);
int srv_do_auth(struct smtp_server *s, const char *args, size_t len);
void srv_auth_response(struct smtp_server *s, const char *line, size_t len);
void srv_auth_answer(struct smtp_server *s, const struct smtp_verdict *v);
void srv_auth_wipe(struct smtp_server *s);

/* smtp_server_data.c */
int srv_do_bdat(struct smtp_server *s, const char *args, size_t len);
void srv_data_begin(struct smtp_server *s, const struct smtp_verdict *v);
size_t srv_data_step(struct smtp_server *s, const uint8_t *p, size_t n);
size_t srv_bdat_step(struct smtp_server *s, const uint8_t *p, size_t n);
void srv_data_reset(struct smtp_server *s);

#endif
