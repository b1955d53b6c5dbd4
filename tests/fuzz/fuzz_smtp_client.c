/*
 * fuzz_smtp_client.c - the outbound SMTP client session driven by a hostile server.
 *
 * The input is four header octets and the server's bytes. Octet 0 picks the configuration
 * (bits 0-1 the TLS level, bit 2 implicit TLS, bit 3 AUTH, bit 4 the TLS handshake fails,
 * bit 5 the message needs SMTPUTF8, bit 6 it is 8-bit, bit 7 two messages instead of one);
 * octet 1 how the bytes are split into reads (0: reads of 64 KiB; bit 7: one line per read,
 * as a server that answers each command would send them; else small reads of pseudo-random
 * sizes); octet 2 the message (bits 0-1: 1-4 recipients, bit 2 one more whose
 * address holds a line end, bit 3 a message of 70000 octets); octet 3 after how many reads
 * the connection is lost (0: when the bytes run out). In the server's bytes, 0xFF c l (c > 0)
 * repeats the last l octets c * 64 times and 0xFF 0x00 is a literal 0xFF, so that small
 * inputs can send long lines and endless continuations. The harness is the adapter: it writes
 * the output, answers SC_START_TLS with smtp_client_tls_done, SC_READY with a message (or
 * two) and then QUIT, and aborts when the connection is "lost".
 *
 * Checks beyond "no crash", each an abort():
 *  - every byte fed is taken; nothing is written after SC_CLOSED, whatever is fed;
 *  - what the session writes has CRLF line ends only (no bare CR or LF: no smuggling);
 *  - the message goes out dot-stuffed and exactly as stored once unstuffed (bare CR and LF
 *    made CRLF), ended by the only "." line of its output, or as a lone "." when nobody was
 *    accepted;
 *  - every send ends in exactly one SC_DONE with every recipient decided, a delivered one
 *    only by a 2xx after the message was written, a permanent failure by a 5xx or a local
 *    failure, and one line of text (no CR, LF, NUL; under 512 octets) in every reply;
 *  - the session never stalls: once the connection is lost it reports SC_DONE (if a
 *    transaction was open) and SC_CLOSED, never SC_WAIT;
 *  - the heap the session holds stays within its input bound, one stuffed message and a
 *    little more, measured with ASan's allocator statistics.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/allocator_interface.h>
#define HEAP_IN_USE() __sanitizer_get_current_allocated_bytes()
#endif
#endif
#ifndef HEAP_IN_USE
#define HEAP_IN_USE() ((size_t)0)
#endif

#include "proto/smtp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

enum {
	C_TLS_LEVEL = 3, /* bits 0-1 */
	C_TLS_ON_CONNECT = 1 << 2,
	C_AUTH = 1 << 3,
	C_TLS_FAILS = 1 << 4,
	C_SMTPUTF8 = 1 << 5,
	C_8BIT = 1 << 6,
	C_TWO_MESSAGES = 1 << 7,
};
enum {
	M_RCPTS = 3, /* bits 0-1: 1-4 recipients */
	M_BAD_RCPT = 1 << 2,
	M_BIG = 1 << 3,
};

#define LINE_READS  0x80 /* octet 1 */
#define HEADER	    4
#define STREAM_MAX  (1u << 20)
#define READ_MAX    65536
#define SMALL_READS 4096
#define REPEAT_UNIT 64
#define BIG_SIZE    70000
/* The input buffer (its limit, doubled while it grows), the output (one stuffed message at
 * most twice its size, doubled while it grows), the session itself. */
#define HEAP_BOUND ((size_t)2 * SMTP_REPLY_BYTES_MAX + 8 * BIG_SIZE + 65536)

static uint8_t stream[STREAM_MAX];
static uint8_t big_message[BIG_SIZE];

static const char small_message[] = "Subject: fuzz\r\n\r\n.leading dot\r\n..two\r\n.\r\n"
				    "bare\nLF and bare\rCR\r\nno final line end";

struct run {
	struct smtp_client *c;
	struct buf out;
	struct smtp_client_message msg;
	const char *rcpts[5];
	struct smtp_rcpt_result res[5];
	struct buf expect; /* the message as it must come out once unstuffed */
	bool in_txn;	   /* a send is waiting for its SC_DONE */
	bool data_sent;	   /* the message went out in this transaction */
	bool closed;
	size_t heap_base;
};

/* The message with every line end made CRLF and a final CRLF: what the server must get. */
static void normalise(const uint8_t *m, size_t n, struct buf *out)
{
	bool bol = true;

	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (m[i] == '\r' || m[i] == '\n') {
			if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
				i++;
			CHECK(buf_append(out, "\r\n", 2));
			bol = true;
			continue;
		}
		CHECK(buf_append_byte(out, m[i]));
		bol = false;
	}
	if (!bol)
		CHECK(buf_append(out, "\r\n", 2));
}

static bool line_is(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

/* One piece of output: CRLF lines; a "." line ends message data that started after the last
 * "DATA" line before it (or at the start of the piece). */
static void check_output(struct run *r, const uint8_t *o, size_t n)
{
	size_t i = 0, data_start = 0;

	for (size_t k = 0; k < n; k++) {
		if (o[k] == '\n')
			CHECK(k > 0 && o[k - 1] == '\r');
		if (o[k] == '\r')
			CHECK(k + 1 < n && o[k + 1] == '\n');
	}
	CHECK(n == 0 || o[n - 1] == '\n');
	while (i < n) {
		const uint8_t *lf = memchr(o + i, '\n', n - i);
		size_t len = (size_t)(lf - (o + i)) + 1;

		if (line_is(o + i, len, "DATA\r\n")) {
			data_start = i + len;
		} else if (line_is(o + i, len, ".\r\n")) {
			struct buf got = BUF_INIT;

			/* unstuff o[data_start..i) */
			for (size_t k = data_start; k < i;) {
				const uint8_t *e = memchr(o + k, '\n', i - k);
				size_t l = (size_t)(e - (o + k)) + 1;
				size_t skip = o[k] == '.' ? 1 : 0;

				CHECK(skip == 0 || l > 3); /* a stuffed line is never "." alone */
				CHECK(buf_append(&got, o + k + skip, l - skip));
				k += l;
			}
			CHECK(got.len == 0 || (got.len == r->expect.len &&
					       memcmp(got.data, r->expect.data, got.len) == 0));
			if (got.len > 0)
				r->data_sent = true;
			buf_free(&got);
			data_start = i + len;
		}
		i += len;
	}
}

static void drain(struct run *r)
{
	bool had = smtp_client_has_output(r->c);

	buf_reset(&r->out);
	smtp_client_output(r->c, &r->out);
	CHECK(had == (r->out.len > 0));
	CHECK(!smtp_client_has_output(r->c));
	if (r->closed)
		CHECK(r->out.len == 0);
	check_output(r, r->out.data, r->out.len);
	CHECK(HEAP_IN_USE() - r->heap_base <= HEAP_BOUND);
}

static void check_reply(const struct smtp_client_reply *rep)
{
	size_t n = strnlen(rep->text, sizeof(rep->text));

	CHECK(strcmp(smtp_stage_name(rep->stage), "unknown") != 0);
	CHECK(n < sizeof(rep->text));
	CHECK(strpbrk(rep->text, "\r\n") == NULL);
	CHECK(rep->code == 0 || (rep->code >= 200 && rep->code <= 599));
	CHECK((unsigned)rep->stage < SC__STAGE_COUNT);
	CHECK(rep->enh.cls == 0 || rep->enh.cls == 2 || rep->enh.cls == 4 || rep->enh.cls == 5);
}

static void check_results(struct run *r)
{
	for (size_t i = 0; i < r->msg.rcpt_count; i++) {
		const struct smtp_rcpt_result *x = &r->res[i];

		check_reply(&x->reply);
		switch (x->outcome) {
		case SC_RCPT_PENDING:
			CHECK(false);
			break;
		case SC_RCPT_DELIVERED:
			CHECK(x->reply.code / 100 == 2 && r->data_sent);
			CHECK(x->reply.stage == SC_STAGE_DOT);
			break;
		case SC_RCPT_PERMFAIL:
			CHECK(x->reply.code == 0 || x->reply.code / 100 == 5);
			break;
		case SC_RCPT_NOT_TRIED:
			CHECK(x->reply.code / 100 == 4 || x->reply.code / 100 == 5);
			break;
		case SC_RCPT_TEMPFAIL:
			break;
		}
	}
}

static void start_message(struct run *r, const uint8_t *h)
{
	size_t n = 1 + (h[2] & M_RCPTS);
	static const char *const addrs[] = { "r0@example.net", "r1@example.net", "r2@example.org",
					     "r3@example.org" };

	for (size_t i = 0; i < n; i++)
		r->rcpts[i] = addrs[i];
	if (h[2] & M_BAD_RCPT)
		r->rcpts[n++] = "evil@example.net>\r\nRSET";
	r->msg = (struct smtp_client_message){
		.mail_from = h[2] & M_BAD_RCPT ? "" : "sender@example.com",
		.rcpts = r->rcpts,
		.rcpt_count = n,
		.data = h[2] & M_BIG ? big_message : (const uint8_t *)small_message,
		.len = h[2] & M_BIG ? sizeof(big_message) : sizeof(small_message) - 1,
		.smtputf8 = h[0] & C_SMTPUTF8,
		.body_8bit = h[0] & C_8BIT,
	};
	normalise(r->msg.data, r->msg.len, &r->expect);
	CHECK(smtp_client_send(r->c, &r->msg, r->res));
	r->in_txn = true;
	r->data_sent = false;
}

/* The server's bytes with the 0xFF repeats expanded; returns their length. */
static size_t expand(const uint8_t *in, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n && len < STREAM_MAX; i++) {
		size_t count, span;

		if (in[i] != 0xFF || i + 1 >= n) {
			stream[len++] = in[i];
			continue;
		}
		if (in[i + 1] == 0) {
			stream[len++] = 0xFF;
			i++;
			continue;
		}
		count = (size_t)in[i + 1] * REPEAT_UNIT;
		span = i + 2 < n && in[i + 2] > 0 ? in[i + 2] : 1;
		i += 2;
		if (span > len)
			span = len;
		for (size_t k = 0; k < count && span > 0 && len + span <= STREAM_MAX; k++) {
			memcpy(stream + len, stream + len - span, span);
			len += span;
		}
	}
	return len;
}

static void init_big(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(big_message); i++)
		big_message[i] = i % 77 == 76 ? '\n' : i % 77 == 0 ? '.' : (uint8_t)('a' + i % 26);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t small[8] = { 1, 2, 3, 5, 8, 32, 256, 4096 };
	struct smtp_client_config cfg = { .helo_name = "client.fuzz.test" };
	struct run r = { .out = BUF_INIT, .expect = BUF_INIT };
	const uint8_t *h = data;
	size_t len, pos = 0, reads = 0;
	unsigned sends = 0, wanted;
	bool quit = false, aborted = false;
	uint32_t lcg;

	if (size < HEADER)
		return 0;
	init_big();
	len = expand(data + HEADER, size - HEADER);
	cfg.tls = (enum smtp_tls_level)(h[0] & C_TLS_LEVEL);
	cfg.tls_on_connect = h[0] & C_TLS_ON_CONNECT;
	if (h[0] & C_AUTH) {
		cfg.auth_user = "fuzz@example.com";
		cfg.auth_pass = "pässword";
	}
	wanted = h[0] & C_TWO_MESSAGES ? 2 : 1;
	lcg = 0x9e3779b9u ^ h[1];
	r.heap_base = HEAP_IN_USE();
	r.c = smtp_client_new(&cfg);
	if (r.c == NULL)
		return 0;
	while (!r.closed) {
		enum smtp_client_event ev;

		drain(&r);
		ev = smtp_client_event(r.c);
		switch (ev) {
		case SC_START_TLS:
			CHECK(!aborted);
			smtp_client_tls_done(r.c, !(h[0] & C_TLS_FAILS), "fuzz: handshake failed");
			if (h[0] & C_TLS_FAILS) {
				CHECK(smtp_client_event(r.c) == SC_CLOSED);
				CHECK(smtp_client_retry_plain(r.c) == (cfg.tls == SMTP_TLS_MAY));
			} else {
				CHECK(smtp_client_tls_active(r.c));
				CHECK(!smtp_client_caps(r.c)->esmtp); /* forgotten */
			}
			break;
		case SC_READY:
			CHECK(!r.in_txn && !aborted);
			if (sends < wanted) {
				sends++;
				start_message(&r, h);
			} else {
				CHECK(!quit);
				quit = true;
				smtp_client_quit(r.c);
				CHECK(smtp_client_event(r.c) == SC_WAIT);
			}
			break;
		case SC_DONE:
			CHECK(r.in_txn);
			r.in_txn = false;
			check_results(&r);
			break;
		case SC_CLOSED: {
			bool unusable;
			const struct smtp_client_reply *f = smtp_client_failure(r.c, &unusable);

			CHECK(!r.in_txn);
			if (f != NULL)
				check_reply(f);
			else
				CHECK(quit && !unusable);
			CHECK(strpbrk(smtp_client_banner(r.c), "\r\n") == NULL);
			drain(&r); /* a last QUIT may be written */
			r.closed = true;
			break;
		}
		case SC_WAIT: {
			size_t n = READ_MAX;

			CHECK(!aborted); /* after the connection is lost, the session never waits */
			if (pos >= len || (h[3] != 0 && reads == h[3])) {
				aborted = true;
				smtp_client_abort(r.c, "fuzz: connection lost");
				CHECK(!smtp_client_has_output(r.c));
				break;
			}
			if (h[1] & LINE_READS) {
				const uint8_t *lf = memchr(stream + pos, '\n', len - pos);

				n = lf != NULL ? (size_t)(lf - (stream + pos)) + 1 : len - pos;
			} else if (h[1] != 0 && reads < SMALL_READS) {
				lcg = lcg * 1103515245u + 12345u;
				n = 1 + (lcg >> 8) % small[h[1] & 7];
			}
			if (n > len - pos)
				n = len - pos;
			reads++;
			CHECK(smtp_client_feed(r.c, stream + pos, n) == n);
			pos += n;
			break;
		}
		}
	}
	/* Closed: whatever comes is ignored. */
	CHECK(smtp_client_feed(r.c, (const uint8_t *)"250 ok\r\n", 8) == 8);
	smtp_client_abort(r.c, "again");
	CHECK(smtp_client_event(r.c) == SC_CLOSED);
	CHECK(!smtp_client_has_output(r.c));
	smtp_client_free(r.c);
	buf_free(&r.out);
	buf_free(&r.expect);
	return 0;
}
