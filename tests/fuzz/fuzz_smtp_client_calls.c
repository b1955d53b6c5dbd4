/*
 * fuzz_smtp_client_calls.c - libtern's per-command dialogue driven by a hostile caller and a
 * hostile server at once.
 *
 * The input is a script of records, each an op octet, a length octet and that many octets:
 *   op 0x00-0x0f  a call (op % 14 + 1 is the enum smtp_call); the record's first octet picks
 *                 the argument variant (names and addresses with spaces, line ends and angle
 *                 brackets among them; both AUTH mechanisms); CALL_WRITE_DATA takes the rest
 *                 of the record as message bytes
 *   op 0x10-0x1f  server bytes: the record's octets are fed
 *   op 0x20       the TLS handshake ends (ok when the first octet is odd)
 *   op 0x30       the connection is lost
 * Octet 0 of the input picks the configuration (bit 0 STARTTLS required, bit 1 implicit TLS).
 *
 * Checks beyond "no crash", each an abort():
 *  - a refused call writes nothing and explains itself: "... refused, nothing was sent: ...";
 *    a call refused for its order names the order that works;
 *  - everything written has CRLF line ends only, and each command is exactly one
 *    line without NUL: no argument can split it in two (no "DATA" smuggled inside an address);
 *  - nothing is written once the session is closed or after QUIT;
 *  - CALLS_DONE after server bytes means a reply was parsed (or the connection state says
 *    why not), and the state words are never empty.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_client_calls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char *const names[] = { "client.test", "bad name", "", "x\r\nRSET" };
static const char *const addresses[] = { "a@example.org", "",	  "x@y\r\nDATA", "<b@example.org>",
					 "b@example.org", "c d@x" };

/* The output since the last check: CRLF line ends only, no NUL; with one_line, exactly one
 * line (a command cannot be split in two by its argument). */
static void check_output(struct smtp_calls *c, struct buf *out, bool may_write, bool one_line)
{
	size_t lines = 0;

	buf_reset(out);
	smtp_calls_output(c, out);
	CHECK(may_write || out->len == 0);
	for (size_t i = 0; i < out->len; i++) {
		uint8_t ch = out->data[i];

		CHECK(!one_line || ch != '\0'); /* message data may hold any octet */
		if (ch == '\n')
			CHECK(i > 0 && out->data[i - 1] == '\r');
		if (ch == '\r')
			CHECK(i + 1 < out->len && out->data[i + 1] == '\n');
		lines += ch == '\n';
	}
	CHECK(!one_line || (lines == 1 && out->data[out->len - 1] == '\n'));
}

static void do_call(struct smtp_calls *c, struct buf *out, uint8_t op, const uint8_t *rec,
		    size_t len)
{
	enum smtp_call call = (enum smtp_call)(op % 14 + 1);
	uint8_t pick = len > 0 ? rec[0] : 0;
	struct smtp_calls_args a = {
		.name = names[pick % 4],
		.address = addresses[pick % 6],
		.size = pick & 0x80 ? 12345 : 0,
		.body_8bit = pick & 0x40,
		.smtputf8 = pick & 0x20,
		.user = "user",
		.pass = pick & 0x10 ? "" : "pass",
		.mech = (enum smtp_auth_mech)(pick % 3),
		.data = rec,
		.len = len,
	};
	enum smtp_calls_state before = smtp_calls_state(c);
	enum smtp_calls_refusal kind;
	char why[768];
	bool ok;

	if (call == CALL_GREETING) /* the greeting is not a call a caller makes */
		call = CALL_NOOP;
	ok = smtp_calls_begin(c, call, "tern_fuzz", &a, &kind, why, sizeof(why));
	if (!ok) {
		CHECK(kind != REFUSE_NONE);
		CHECK(strstr(why, "tern_fuzz refused, nothing was sent: ") == why);
		CHECK(kind != REFUSE_SEQUENCE || strstr(why, SMTP_CALLS_ORDER) != NULL ||
		      strstr(why, "one call at a time") != NULL);
		CHECK(!smtp_calls_has_output(c));
		return;
	}
	CHECK(before != CS_CLOSED && before != CS_QUIT);
	check_output(c, out, true, call != CALL_WRITE_DATA && call != CALL_END_DATA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_calls_config cfg;
	struct smtp_calls *c;
	struct buf out = BUF_INIT;
	size_t i = 1;

	if (size < 1)
		return 0;
	cfg.starttls_required = data[0] & 1;
	cfg.tls_on_connect = data[0] & 2;
	if ((c = smtp_calls_new(&cfg)) == NULL)
		return 0;
	while (i + 2 <= size) {
		uint8_t op = data[i];
		size_t len = data[i + 1];
		const uint8_t *rec = data + i + 2;
		enum smtp_calls_state st = smtp_calls_state(c);

		if (len > size - i - 2)
			len = size - i - 2;
		i += 2 + len;
		if (op < 0x10) {
			do_call(c, &out, op, rec, len);
		} else if (op < 0x20) {
			bool waiting = smtp_calls_status(c) == CALLS_WAIT;

			smtp_calls_feed(c, rec, len);
			if (waiting && smtp_calls_status(c) == CALLS_DONE)
				CHECK(smtp_calls_reply(c) != NULL);
			check_output(c, &out, st != CS_CLOSED && st != CS_QUIT, false);
		} else if (op == 0x20) {
			smtp_calls_tls_done(c, len > 0 && (rec[0] & 1));
		} else if (op == 0x30) {
			smtp_calls_lost(c);
			CHECK(smtp_calls_state(c) == CS_CLOSED || smtp_calls_state(c) == CS_QUIT);
			check_output(c, &out, false, false);
		}
		CHECK(smtp_calls_state_words(c)[0] != '\0');
		if (smtp_calls_state(c) == CS_CLOSED || smtp_calls_state(c) == CS_QUIT)
			check_output(c, &out, false, false);
	}
	smtp_calls_free(c);
	buf_free(&out);
	return 0;
}
