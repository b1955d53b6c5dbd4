/*
 * smtp_server_data.c - reading message data: DATA with dot-stuffing, and BDAT chunks.
 *
 * DATA ends at CRLF "." CRLF and nowhere else. A CR not followed by LF, or an LF not preceded
 * by CR, ends the session with 521: there is no lenient reading under which a message could
 * end early, so SMTP smuggling has nothing to work with. Unstuffing removes exactly one
 * leading dot. BDAT takes exactly the announced octets, and the same CRLF rule holds across
 * chunk boundaries. A message over the size limit is read to its end and refused, never kept
 * in memory past the limit.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_server_int.h"

#define KEEP_AFTER_MESSAGE (64 * 1024) /* message buffers larger than this are freed */

void srv_data_reset(struct smtp_server *s)
{
	buf_reset(&s->msg);
	if (s->msg.cap > KEEP_AFTER_MESSAGE)
		buf_free(&s->msg);
	s->msg_size = 0;
	s->dstate = D_BOL;
	s->line_len = 0;
	s->long_line = false;
	s->msg_failed = false;
	s->bdat_prev_cr = false;
	s->bdat_last = false;
	s->bdat_left = 0;
	s->bdat_refusal = SMTP_R_NONE;
	s->chunked = false;
}

static void keep(struct smtp_server *s, const uint8_t *p, size_t n)
{
	s->msg_size += n;
	if (s->msg_size > s->max_size) {
		buf_free(&s->msg); /* refused at the end anyway: do not hold it */
		return;
	}
	if (!buf_append(&s->msg, p, n))
		s->msg_failed = true;
}

/* The whole message is in: refuse it, or ask the adapter to store it. */
static void end_of_message(struct smtp_server *s)
{
	enum smtp_reply_id refusal = SMTP_R_NONE;

	s->cmd = s->chunked ? "BDAT" : "DATA";
	s->cmd_len = 4;
	if (s->msg_size > s->max_size)
		refusal = SMTP_R_SIZE_EXCEEDED;
	else if (s->long_line)
		refusal = SMTP_R_DATA_LINE_TOO_LONG;
	else if (s->msg_failed)
		refusal = SMTP_R_LOCAL_ERROR;
	if (refusal != SMTP_R_NONE) {
		srv_reset_transaction(s);
		srv_refuse(s, refusal, NULL);
		return;
	}
	s->state = SMTP_ST_RCPT; /* until the answer; input waits */
	srv_request(s, SMTP_REQ_MESSAGE);
	s->req.message = buf_slice(&s->msg);
}

static size_t bare_cr_lf(struct smtp_server *s, size_t used)
{
	s->cmd = s->chunked ? "BDAT" : "DATA";
	s->cmd_len = 4;
	srv_refuse(s, SMTP_R_BARE_CR_LF, NULL);
	return used;
}

static void line_end(struct smtp_server *s)
{
	if (s->line_len + 2 > SMTP_TEXT_LINE_MAX)
		s->long_line = true;
	s->line_len = 0;
}

size_t srv_data_step(struct smtp_server *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		switch (s->dstate) {
		case D_BOL:
			if (p[i] == '.') {
				s->dstate = D_DOT;
				s->line_len = 1;
				i++;
			} else {
				s->dstate = D_TEXT;
			}
			break;
		case D_DOT:
			if (p[i] == '\r') {
				s->dstate = D_DOT_CR;
				i++;
			} else if (p[i] == '\n') {
				return bare_cr_lf(s, i + 1);
			} else {
				s->dstate = D_TEXT; /* the stuffed dot is dropped */
			}
			break;
		case D_DOT_CR:
			if (p[i] != '\n')
				return bare_cr_lf(s, i + 1);
			end_of_message(s);
			return i + 1;
		case D_TEXT: {
			/* memchr, not a loop over octets: every octet of every message passes here */
			const uint8_t *cr = memchr(p + i, '\r', n - i);
			size_t j = cr != NULL ? (size_t)(cr - p) : n;
			const uint8_t *lf = memchr(p + i, '\n', j - i);
			if (lf != NULL)
				j = (size_t)(lf - p);
			keep(s, p + i, j - i);
			s->line_len += j - i;
			i = j;
			if (i < n) {
				if (p[i] == '\n')
					return bare_cr_lf(s, i + 1);
				s->dstate = D_CR;
				i++;
			}
			break;
		}
		case D_CR:
			if (p[i] != '\n')
				return bare_cr_lf(s, i + 1);
			keep(s, (const uint8_t *)"\r\n", 2);
			line_end(s);
			s->dstate = D_BOL;
			i++;
			break;
		}
	}
	return i;
}

void srv_data_begin(struct smtp_server *s, const struct smtp_verdict *v)
{
	uint64_t left = s->bdat_left;
	bool last = s->bdat_last;

	srv_data_reset(s);
	if (s->bdat_started) {
		/* the first chunk's BDAT waited for this answer; its octets follow */
		s->chunked = true;
		s->bdat_left = left;
		s->bdat_last = last;
		if (!v->accept) {
			s->bdat_refusal = v->reply != SMTP_R_NONE ? v->reply : SMTP_R_NO_SPACE;
			s->bdat_return = SMTP_ST_READY;
		}
		s->state = SMTP_ST_BDAT;
		return;
	}
	if (!v->accept) {
		srv_verdict_reply(s, v, SMTP_R_NO_SPACE, NULL);
		s->errors++;
		return;
	}
	srv_reply(s, SMTP_R_DATA_GO, NULL);
	s->state = SMTP_ST_DATA;
}

/* "BDAT <size> [LAST]" (RFC 3030). The octets that follow are read even when the command is
 * refused: they are never to be taken as commands. */
int srv_do_bdat(struct smtp_server *s, const char *a, size_t n)
{
	uint64_t size = 0;
	size_t i = 0;
	bool last = false;
	enum smtp_reply_id refusal = SMTP_R_NONE;

	while (i < n && a[i] >= '0' && a[i] <= '9' && i < 19)
		size = size * 10 + (uint64_t)(a[i++] - '0');
	if (i == 0 || (i < n && a[i] != ' '))
		return srv_refuse(s, SMTP_R_BDAT_SYNTAX, NULL);
	if (i < n) {
		if (n - i - 1 == 4 && strncasecmp(a + i + 1, "LAST", 4) == 0)
			last = true;
		else
			return srv_refuse(s, SMTP_R_BDAT_SYNTAX, NULL);
	}
	if (s->state == SMTP_ST_INIT)
		refusal = SMTP_R_NEED_HELO;
	else if (s->state == SMTP_ST_READY)
		refusal = SMTP_R_NEED_MAIL;
	else if (s->state == SMTP_ST_MAIL)
		refusal = SMTP_R_NEED_RCPT;
	s->bdat_left = size;
	s->bdat_last = last;
	if (refusal != SMTP_R_NONE) {
		s->bdat_refusal = refusal;
		s->bdat_return = s->state;
		s->state = SMTP_ST_BDAT;
		return 0;
	}
	if (!s->bdat_started) {
		s->bdat_started = true;
		srv_request(s, SMTP_REQ_DATA);
		return 0;
	}
	s->state = SMTP_ST_BDAT;
	return 0;
}

/* Checks the CRLF rule over p[0..n), carrying a CR across chunk boundaries. */
static bool crlf_ok(struct smtp_server *s, const uint8_t *p, size_t n)
{
	bool cr = s->bdat_prev_cr;

	for (size_t i = 0; i < n; i++) {
		if (cr != (p[i] == '\n'))
			return false;
		cr = p[i] == '\r';
	}
	s->bdat_prev_cr = cr;
	return true;
}

/* Writes v in decimal ending just before `end`; returns the start. */
static const char *decimal(uint64_t v, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return end;
}

size_t srv_bdat_step(struct smtp_server *s, const uint8_t *p, size_t n)
{
	size_t take = n < s->bdat_left ? n : (size_t)s->bdat_left;
	char octets[24];

	if (s->bdat_refusal == SMTP_R_NONE) {
		if (!crlf_ok(s, p, take))
			return bare_cr_lf(s, take);
		keep(s, p, take);
	}
	s->bdat_left -= take;
	if (s->bdat_left > 0)
		return take;
	s->cmd = "BDAT";
	s->cmd_len = 4;
	if (s->bdat_refusal != SMTP_R_NONE) {
		enum smtp_reply_id r = s->bdat_refusal;
		enum smtp_state back = s->bdat_return;
		if (back == SMTP_ST_READY || back == SMTP_ST_RCPT)
			srv_reset_transaction(s);
		s->bdat_refusal = SMTP_R_NONE;
		s->state = back == SMTP_ST_RCPT ? SMTP_ST_READY : back;
		srv_refuse(s, r, NULL);
		return take;
	}
	if (s->msg_size > s->max_size) {
		srv_reset_transaction(s);
		srv_refuse(s, SMTP_R_SIZE_EXCEEDED, NULL);
		return take;
	}
	if (s->bdat_last) {
		if (s->bdat_prev_cr)
			return bare_cr_lf(s, take);
		end_of_message(s);
		return take;
	}
	s->state = SMTP_ST_RCPT;
	srv_reply(s, SMTP_R_BDAT_OK, decimal(s->msg_size, octets + sizeof(octets)));
	return take;
}
