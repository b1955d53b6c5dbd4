/*
 * fuzz_smtp_session.c - a whole SMTP submission session driven by a hostile client.
 *
 * The input is five header octets and the client's bytes. The header picks the configuration
 * (octet 0), which requests the adapter accepts (octet 1, request i: bit i % 8), which answers
 * carry a policy reply of their own, some of them closing (octet 2), how the bytes are split
 * into reads (octet 3: 0 for reads of 64 KiB, else small reads of pseudo-random sizes, so that
 * both pipelining and partial reads are exercised), and the adapter's options (octet 4: refuse
 * the connection, per-user limits set after AUTH and at MAIL, policy replies from the reply
 * table, long arguments for their "%s" marks). In the client's bytes, 0xFF c l (c > 0)
 * repeats the last l octets c * 64 times and 0xFF 0x00 is a literal 0xFF: small inputs can
 * send long lines, big messages and floods. The harness is the adapter of src/submit/conn.c:
 * it reads only while the session wants input, answers every request, "starts TLS" on
 * STARTTLS, may ask the session to shut down midway, and ends with a timeout.
 *
 * Checks beyond "no crash", each an abort():
 *  - every reply line is three digits, ' ' or '-', text without control characters, CRLF, at
 *    most 512 octets; the lines of a multi-line reply share its code; the first reply is the
 *    220 greeting, or the refusal the adapter asked for;
 *  - every final reply line carries an enhanced status code (class.subject.detail, 1-3 digits
 *    each) whose class is the reply's first digit, except the greeting, the EHLO/HELO reply
 *    and 3xx replies, which smtp_server.h exempts (RFC 2034), and the reply table's own
 *    exceptions (the cloud service's "254 4.7.1", kept for applications that match it);
 *  - a message handed over for storage has only CRLF line ends (no bare CR or LF, so no SMTP
 *    smuggling), fits the size limit in force and has a sender and 1..max recipients; one
 *    taken by DATA has lines of at most 1000 octets and ends where the client sent CRLF "."
 *    CRLF: its last line followed by ".\r\n" is in what the client sent, so no other end of
 *    data (".\n", "\r.\r\n", ...) was taken for one;
 *  - a closing reply is the last thing the session ever sends and leaves it closed; a session
 *    never closes without a reply, and once closed sends nothing more, whatever it is fed;
 *    an answer that says close closes;
 *  - nothing pipelined behind STARTTLS is answered once TLS is up;
 *  - the session never stalls: resumed with a feed of 0 octets once its output is written, and
 *    with no request pending, it is closed or wants input;
 *  - the heap the session holds stays within what its documented limits allow (input buffer,
 *    output, one message, the rejection log, AUTH data), measured with ASan's allocator
 *    statistics: no accessor in smtp_server.h reports the buffered input;
 *  - without STARTTLS or a shutdown, the replies and requests are the same when the bytes
 *    arrive in 64 KiB reads: framing does not depend on how the bytes were split.
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

#include "proto/smtp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Header octet 0: the configuration. */
enum {
	C_TRUSTED = 1 << 0,	/* the client is in trusted_networks */
	C_TLS = 1 << 1,		/* implicit TLS */
	C_STARTTLS = 1 << 2,	/* STARTTLS offered */
	C_AUTH = 1 << 3,	/* AUTH offered */
	C_PLAIN_AUTH = 1 << 4,	/* AUTH without TLS */
	C_REQUIRE_TLS = 1 << 5, /* MAIL needs TLS */
	C_SMALL = 1 << 6,	/* tight limits */
	C_SHUTDOWN = 1 << 7,	/* the server shuts down halfway through the input */
};

/* Header octet 4: what the adapter does besides answering. */
enum {
	O_REFUSE = 1 << 0,	/* refuse the connection instead of greeting */
	O_REFUSE_AUTH = 1 << 1, /* ... with the auth-failure throttle's 421 */
	O_LIMITS_LOW = 1 << 2,	/* per-user limits (after AUTH, at MAIL): tighter */
	O_LIMITS_HIGH = 1 << 3, /* ... looser (both: size only) */
	O_TABLE = 1 << 4,	/* policy replies by id from the reply table */
	O_LONG_ARGS = 1 << 5,	/* long arguments, with control characters, for "%s" */
};

#define HEADER	    5
#define HOSTNAME    "mx.fuzz.test"
#define STREAM_MAX  (1u << 20) /* the client's bytes after expansion */
#define READ_MAX    65536      /* the adapter's read buffer */
#define SMALL_READS 2048       /* after this many small reads, the rest comes in big ones */
#define REPEAT_UNIT 64
/* What the session may hold besides one message and the recipients: the input buffer (below
 * its 128 KiB high-water mark, plus one read, doubled as it grows), the output and the
 * rejection log (16 KiB high-water marks, doubled), AUTH data and the user name (12 KiB
 * each), the session itself. The stream can be longer than this bound allows. */
#define HEAP_SLACK	(384u << 10)
#define USER_SIZE_LOW	50
#define USER_SIZE_HIGH	150000
#define USER_RCPTS_HIGH 200
#define USER_SIZE_MID	500
#define LINES_MAX	16
#define LINE_MAX	128

static uint8_t stream[STREAM_MAX];
static char long_arg[400];

struct run {
	struct smtp_server *s;
	const struct smtp_server_config *cfg;
	const uint8_t *h;
	size_t fed;	 /* octets of the stream fed so far */
	size_t max_size; /* the limits in force */
	unsigned max_rcpts;
	unsigned nreq;
	bool refused;	     /* refused at connect */
	bool stopped;	     /* TLS "failed": the adapter closed the connection */
	bool saw_starttls;   /* the run is not comparable with one of other reads */
	bool greeted;	     /* the first reply line was seen */
	bool closed;	     /* the session was closed after the last step */
	int ml_code;	     /* the code of an unfinished multi-line reply, or 0 */
	bool ml_ehlo;	     /* that reply is the EHLO reply */
	size_t heap_base;    /* heap in use before the session was made */
	size_t heap_bound;   /* what it may hold */
	uint64_t transcript; /* FNV-1a over replies and requests */
};

/* From the reply table: the closing replies as whole lines (after one of them the session
 * says nothing more), and the "code enhanced " openings whose classes differ on purpose. */
static char closing[LINES_MAX][LINE_MAX], odd_class[LINES_MAX][16];
static size_t nclosing, nodd;

static void init_tables(void)
{
	if (long_arg[0] != '\0')
		return;
	for (size_t i = 0; i < sizeof(long_arg) - 1; i++)
		long_arg[i] = (char)(i % 50 == 7    ? 1
				     : i % 50 == 9  ? 127
				     : i % 50 == 11 ? 0xc3
						    : 'a' + i % 26);
	for (int id = SMTP_R_NONE + 1; id < SMTP_R__COUNT; id++) {
		const struct smtp_reply_def *d = smtp_server_reply_def((enum smtp_reply_id)id);

		CHECK(d != NULL && d->text != NULL);
		if (d->enhanced != NULL && d->enhanced[0] - '0' != d->code / 100) {
			CHECK(nodd < LINES_MAX);
			snprintf(odd_class[nodd++], sizeof(odd_class[0]), "%03d %s ", d->code,
				 d->enhanced);
		}
		if (!d->closes)
			continue;
		CHECK(nclosing < LINES_MAX && strstr(d->text, "%s") == NULL);
		snprintf(closing[nclosing++], LINE_MAX, "%03d %s%s%s\r\n", d->code,
			 d->enhanced ? d->enhanced : "", d->enhanced ? " " : "", d->text);
	}
}

static bool is_closing(const uint8_t *line, size_t len)
{
	for (size_t i = 0; i < nclosing; i++)
		if (strlen(closing[i]) == len && memcmp(closing[i], line, len) == 0)
			return true;
	return false;
}

static bool is_odd_class(const uint8_t *line, size_t len)
{
	for (size_t i = 0; i < nodd; i++)
		if (strlen(odd_class[i]) <= len &&
		    memcmp(odd_class[i], line, strlen(odd_class[i])) == 0)
			return true;
	return false;
}

static void mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		r->transcript = (r->transcript ^ b[i]) * 0x100000001b3ULL;
}

static bool line_is(const uint8_t *line, size_t len, const char *text)
{
	return strlen(text) == len && memcmp(line, text, len) == 0;
}

/* The class digit of the enhanced status code that opens p[0..n) (class "." subject "."
 * detail, 1-3 digits each, then a space or the CR), or 0 when there is none. */
static int enhanced_class(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n < 1 || p[0] < '2' || p[0] > '5')
		return 0;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;

		if (i >= n || p[i] != '.')
			return 0;
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 3) {
			i++;
			digits++;
		}
		if (digits == 0)
			return 0;
	}
	if (i >= n || (p[i] != ' ' && p[i] != '\r'))
		return 0;
	return p[0] - '0';
}

/* One reply line p[0..len), CRLF included. */
static void check_line(struct run *r, const uint8_t *p, size_t len)
{
	int code;
	bool exempt;

	CHECK(len >= 6 && len <= 512); /* "ddd " or "ddd-", CRLF */
	CHECK(p[0] >= '2' && p[0] <= '5');
	CHECK(p[1] >= '0' && p[1] <= '5');
	CHECK(p[2] >= '0' && p[2] <= '9');
	CHECK(p[3] == ' ' || p[3] == '-');
	CHECK(p[len - 2] == '\r' && p[len - 1] == '\n');
	for (size_t k = 4; k < len - 2; k++)
		CHECK(p[k] >= 32 && p[k] != 127);
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (!r->greeted) {
		r->greeted = true;
		if (r->refused) {
			CHECK(is_closing(p, len));
		} else {
			CHECK(line_is(p, len, "220 " HOSTNAME " ESMTP tern\r\n"));
			return; /* the greeting has no enhanced code */
		}
	}
	if (p[3] == '-') {
		if (r->ml_code == 0) {
			r->ml_code = code;
			r->ml_ehlo = line_is(p, len, "250-" HOSTNAME "\r\n");
		}
		CHECK(code == r->ml_code);
		return;
	}
	if (r->ml_code != 0) {
		CHECK(code == r->ml_code);
		exempt = r->ml_ehlo;
		r->ml_code = 0;
	} else {
		exempt = line_is(p, len, "250 " HOSTNAME "\r\n"); /* HELO */
	}
	if (exempt || code / 100 == 3 || is_odd_class(p, len))
		return;
	CHECK(enhanced_class(p + 4, len - 4) == code / 100);
}

/* After one step (feed, answer, TLS, timeout, shutdown): the replies it produced. */
static void drain(struct run *r, bool closed_before)
{
	struct slice o = smtp_server_output(r->s);
	struct slice rej = smtp_server_rejections(r->s);
	bool closed = smtp_server_closed(r->s);
	size_t i = 0;

	if (closed_before)
		CHECK(o.len == 0);
	if (closed && !closed_before)
		CHECK(o.len > 0); /* a session never closes without saying why */
	while (i < o.len) {
		const uint8_t *lf = memchr(o.data + i, '\n', o.len - i);
		size_t len;

		CHECK(lf != NULL); /* whole lines only */
		len = (size_t)(lf - (o.data + i)) + 1;
		check_line(r, o.data + i, len);
		if (is_closing(o.data + i, len))
			CHECK(closed && i + len == o.len);
		i += len;
	}
	mix(r, o.data, o.len);
	CHECK(rej.len == 0 || rej.data[rej.len - 1] == '\n');
	for (size_t k = 0; k < rej.len; k++)
		CHECK(rej.data[k] == '\n' || (rej.data[k] >= 32 && rej.data[k] != 127));
	smtp_server_output_done(r->s);
	smtp_server_rejections_done(r->s);
	r->closed = closed;
	CHECK(HEAP_IN_USE() - r->heap_base <= r->heap_bound);
}

static void check_address(const struct address *a, bool smtputf8)
{
	size_t n = strnlen(a->text, sizeof(a->text));

	CHECK(n < sizeof(a->text));
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)a->text[i] >= 32 && (unsigned char)a->text[i] != 127);
	CHECK(!a->utf8 || smtputf8);
}

static void check_message(struct run *r, const struct smtp_request *q, bool bdat)
{
	const uint8_t *m = q->message.data;
	size_t n = q->message.len, last = 0;
	size_t longest = 0; /* the longest line, CRLF included */

	CHECK(q->mail_from != NULL && q->rcpts != NULL);
	CHECK(q->rcpt_count >= 1 && q->rcpt_count <= r->max_rcpts);
	check_address(q->mail_from, q->smtputf8);
	for (size_t i = 0; i < q->rcpt_count; i++)
		check_address(&q->rcpts[i], q->smtputf8);
	CHECK(n <= r->max_size);
	CHECK(n == 0 || m != NULL);
	/* Only CRLF ends a line: no bare CR, no bare LF (SMTP smuggling). */
	for (size_t i = 0; i < n; i++) {
		if (m[i] == '\n')
			CHECK(i > 0 && m[i - 1] == '\r');
		if (m[i] == '\r')
			CHECK(i + 1 < n && m[i + 1] == '\n');
		if (m[i] == '\n' && i + 1 - last > longest)
			longest = i + 1 - last;
		if (m[i] == '\n' && i + 1 < n)
			last = i + 1;
	}
	if (!bdat) {
		/* DATA ends at CRLF "." CRLF only: the client sent the last line of the message
		 * (after one dot it may have had, which unstuffing dropped) and then ".\r\n". */
		uint8_t tail[SMTP_TEXT_LINE_MAX + 3];
		size_t len = n - last;

		CHECK(n == 0 || (n >= 2 && m[n - 2] == '\r' && m[n - 1] == '\n'));
		CHECK(longest <= SMTP_TEXT_LINE_MAX && len <= SMTP_TEXT_LINE_MAX);
		if (len > 0)
			memcpy(tail, m + last, len);
		memcpy(tail + len, ".\r\n", 3);
		CHECK(memmem(stream, r->fed, tail, len + 3) != NULL);
	}
	mix(r, m, n);
}

/* Refusals an adapter may give: its own texts (well-formed, enhanced code of the reply's
 * class), and policy replies of the table by id. */
struct policy {
	int code;
	const char *enhanced;
	const char *text;
	enum smtp_reply_id reply;
	bool close;
};

static const struct policy own_refusals[] = {
	{ 550, "5.7.1", "Policy: <%s> is not allowed", SMTP_R_NONE, false },
	{ 450, "4.7.1", "Greylisted, try again later", SMTP_R_NONE, false },
	{ 0, NULL, NULL, SMTP_R_LOCAL_ERROR, false },
	{ 554, "5.7.1", "Policy: go away <%s>, %s", SMTP_R_NONE, true },
	{ 0, NULL, NULL, SMTP_R_STORAGE_ERROR, false },
	{ 421, "4.7.0", "Policy: closing connection", SMTP_R_NONE, true },
};

static const enum smtp_reply_id table_refusals[] = {
	SMTP_R_SENDER_NOT_AUTHORIZED,
	SMTP_R_ACCOUNT_SUSPENDED,
	SMTP_R_RATE_MINUTE,
	SMTP_R_RATE_HOUR,
	SMTP_R_RATE_DAY,
	SMTP_R_RATE_DOMAIN_HOUR,
	SMTP_R_SUPPRESSED_REJECTED,
	SMTP_R_FROM_MISMATCH,
	SMTP_R_FROM_COUNT,
	SMTP_R_FROM_NOT_AUTHORIZED,
	SMTP_R_FROM_SYNTAX,
	SMTP_R_SENDER_FIELD_NOT_AUTHORIZED,
	SMTP_R_MESSAGE_PARSE,
	SMTP_R_TOO_MANY_HOPS,
	SMTP_R_TOO_MANY_CONNECTIONS,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The reply of a verdict: the adapter's own text or a policy reply of the table. */
static void policy_reply(struct run *r, unsigned i, struct smtp_verdict *v)
{
	bool table = r->h[4] & O_TABLE;

	if (r->h[4] & O_LONG_ARGS) {
		v->arg = long_arg;
		v->arg2 = i % 3 == 0 ? long_arg : NULL;
	} else if (i % 2 == 0) {
		v->arg = "someone@example.org";
		v->arg2 = "complaint";
	}
	if (v->accept) {
		if (table) {
			v->reply = i % 2 ? SMTP_R_SUPPRESSED_ACCEPTED : SMTP_R_SUPPRESSED_254;
		} else {
			v->code = 250;
			v->enhanced = "2.0.0";
			v->text = "Ok: <%s> accepted by policy";
		}
		return;
	}
	if (table) {
		v->reply = table_refusals[i % COUNT(table_refusals)];
		v->close = i % 5 == 4;
		return;
	}
	v->code = own_refusals[i % COUNT(own_refusals)].code;
	v->enhanced = own_refusals[i % COUNT(own_refusals)].enhanced;
	v->text = own_refusals[i % COUNT(own_refusals)].text;
	v->reply = own_refusals[i % COUNT(own_refusals)].reply;
	v->close = own_refusals[i % COUNT(own_refusals)].close;
}

/* Per-user limits, as the policy sets them after AUTH and at MAIL (before the answer, so
 * that they hold for everything the client pipelined behind). */
static void user_limits(struct run *r)
{
	size_t size = 0;
	unsigned rcpts = 0;

	switch (r->h[4] & (O_LIMITS_LOW | O_LIMITS_HIGH)) {
	case O_LIMITS_LOW:
		size = USER_SIZE_LOW;
		rcpts = 1;
		break;
	case O_LIMITS_HIGH:
		size = USER_SIZE_HIGH;
		rcpts = USER_RCPTS_HIGH;
		break;
	case O_LIMITS_LOW | O_LIMITS_HIGH:
		size = USER_SIZE_MID;
		break;
	default:
		return;
	}
	smtp_server_set_limits(r->s, size, rcpts);
	r->max_size = size ? size : r->cfg->max_message_size;
	r->max_rcpts = rcpts ? rcpts : r->cfg->max_recipients;
}

/* Answers the pending request the way the header says. */
static void answer(struct run *r, const struct smtp_request *q)
{
	enum smtp_request_kind kind = q->kind; /* q is reused for the next request */
	unsigned i = r->nreq++;
	bool custom = (r->h[2] >> (i % 8)) & 1;
	bool bdat = smtp_server_in_message(r->s); /* DATA asked by the first BDAT */
	struct smtp_verdict v = { .accept = (r->h[1] >> (i % 8)) & 1 };
	bool closed_before = r->closed;

	mix(r, &kind, sizeof(kind));
	switch (kind) {
	case SMTP_REQ_NONE:
		CHECK(false);
		break;
	case SMTP_REQ_STARTTLS:
		r->saw_starttls = true;
		if (!v.accept) {
			r->stopped = true; /* TLS failed to start: the adapter closes */
			return;
		}
		smtp_server_tls_started(r->s);
		/* what was pipelined behind STARTTLS came in the clear: never answered */
		CHECK(smtp_server_output(r->s).len == 0);
		CHECK(smtp_server_pending(r->s) == NULL && !smtp_server_closed(r->s));
		CHECK(smtp_server_tls(r->s));
		drain(r, closed_before);
		return;
	case SMTP_REQ_AUTH:
		CHECK(q->user != NULL && q->password != NULL && q->mechanism != NULL);
		mix(r, q->user, strlen(q->user));
		mix(r, q->password, q->password_len);
		if (v.accept && custom)
			v.user = "fuzz-user";
		if (v.accept)
			user_limits(r); /* before the answer: pipelined commands follow at once */
		break;
	case SMTP_REQ_MAIL:
	case SMTP_REQ_RCPT:
		if (kind == SMTP_REQ_MAIL)
			user_limits(r); /* the sender's policy, looked up at MAIL by the adapter */
		CHECK(q->address != NULL);
		check_address(q->address, q->smtputf8);
		mix(r, q->address->text, strlen(q->address->text));
		if (custom)
			policy_reply(r, i, &v);
		break;
	case SMTP_REQ_DATA:
		CHECK(q->rcpt_count >= 1 && q->rcpt_count <= r->max_rcpts);
		if (!v.accept)
			v.reply = SMTP_R_NO_SPACE;
		break;
	case SMTP_REQ_MESSAGE:
		check_message(r, q, bdat);
		v.queue_id = "FUZZ00000001";
		if (!v.accept)
			v.reply = SMTP_R_STORAGE_ERROR;
		break;
	}
	if (!v.accept && custom && kind != SMTP_REQ_MAIL && kind != SMTP_REQ_RCPT)
		policy_reply(r, i, &v);
	smtp_server_answer(r->s, &v);
	/* a refusal that says close closes (the first BDAT's DATA keeps only the reply id) */
	if (v.close && !(kind == SMTP_REQ_DATA && bdat))
		CHECK(smtp_server_closed(r->s));
	drain(r, closed_before);
}

/* Answers requests, drains the output and resumes the session (a feed of 0 octets, as
 * smtp_server.h asks once the output was written) until it has nothing more to say: then it
 * must be closed or want input, else the adapter would wait forever. */
static void settle(struct run *r)
{
	for (;;) {
		const struct smtp_request *q;

		if (r->stopped || r->closed)
			return;
		if ((q = smtp_server_pending(r->s)) != NULL) {
			answer(r, q);
			continue;
		}
		smtp_server_feed(r->s, NULL, 0);
		if (smtp_server_output(r->s).len == 0 && smtp_server_pending(r->s) == NULL) {
			CHECK(smtp_server_closed(r->s) || smtp_server_wants_input(r->s));
			return;
		}
		drain(r, false);
	}
}

static void feed(struct run *r, const uint8_t *p, size_t n)
{
	bool closed_before = r->closed;

	smtp_server_feed(r->s, p, n);
	drain(r, closed_before);
	settle(r);
}

/* The client's bytes with the 0xFF repeats expanded; returns their length. */
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

/* One session over stream[0..len), read as `reads` says (0: 64 KiB reads). */
static uint64_t session(const struct smtp_server_config *cfg, const uint8_t *h, size_t len,
			uint8_t reads, bool shutdown, bool *comparable)
{
	static const size_t small[8] = { 1, 2, 3, 5, 8, 32, 256, 4096 };
	struct run r = {
		.cfg = cfg,
		.h = h,
		.max_size = cfg->max_message_size,
		.max_rcpts = cfg->max_recipients,
		.refused = h[4] & O_REFUSE,
		.transcript = 0xcbf29ce484222325ULL,
	};
	size_t biggest =
		cfg->max_message_size > USER_SIZE_HIGH ? cfg->max_message_size : USER_SIZE_HIGH;
	uint32_t lcg = 0x9e3779b9u ^ reads;
	size_t pos = 0, nreads = 0;
	bool shut = false;

	r.heap_base = HEAP_IN_USE();
	r.heap_bound = HEAP_SLACK + 2 * biggest +
		       2 * (size_t)(cfg->max_recipients + USER_RCPTS_HIGH) * sizeof(struct address);
	r.s = smtp_server_new(cfg, h[0] & C_TLS, h[0] & C_TRUSTED);
	if (r.s == NULL)
		return 0;
	if (r.refused)
		smtp_server_refuse(r.s, h[4] & O_REFUSE_AUTH ? SMTP_R_AUTH_TOO_MANY_FAILURES
							     : SMTP_R_TOO_MANY_CONNECTIONS);
	drain(&r, false);
	CHECK(r.greeted && r.closed == r.refused);
	while (pos < len && !r.stopped && !r.closed) {
		size_t n = READ_MAX;

		CHECK(smtp_server_wants_input(r.s)); /* settle left it ready to read */
		if (reads != 0 && nreads++ < SMALL_READS) {
			lcg = lcg * 1103515245u + 12345u;
			n = 1 + (lcg >> 8) % small[reads & 7];
		}
		if (n > len - pos)
			n = len - pos;
		r.fed = pos + n;
		feed(&r, stream + pos, n);
		pos += n;
		if (shutdown && !shut && pos >= len / 2 && !r.stopped && !r.closed) {
			shut = true;
			smtp_server_shutdown(r.s);
			drain(&r, false);
			settle(&r);
		}
	}
	if (!r.stopped) {
		/* the client falls silent; then anything it sends is ignored */
		bool closed_before = r.closed;

		smtp_server_timeout(r.s);
		CHECK(smtp_server_closed(r.s));
		drain(&r, closed_before);
		smtp_server_feed(r.s, (const uint8_t *)"QUIT\r\n", 6);
		smtp_server_timeout(r.s);
		smtp_server_shutdown(r.s);
		CHECK(smtp_server_pending(r.s) == NULL);
		drain(&r, true);
	}
	*comparable = !r.saw_starttls;
	smtp_server_free(r.s);
	return r.transcript;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_config cfg = { .hostname = HOSTNAME };
	uint64_t first, second;
	bool comparable = false, again = false;
	size_t len;

	if (size < HEADER)
		return 0;
	init_tables();
	cfg.max_message_size = data[0] & C_SMALL ? 100 : 100000;
	cfg.max_recipients = data[0] & C_SMALL ? 2 : 100;
	cfg.max_errors = data[0] & C_SMALL ? 3 : 20;
	cfg.max_auth_failures = data[0] & C_SMALL ? 1 : 3;
	cfg.starttls_offered = data[0] & C_STARTTLS;
	cfg.auth_offered = data[0] & C_AUTH;
	cfg.allow_plaintext_auth = data[0] & C_PLAIN_AUTH;
	cfg.require_tls = data[0] & C_REQUIRE_TLS;
	len = expand(data + HEADER, size - HEADER);

	first = session(&cfg, data, len, data[3], data[0] & C_SHUTDOWN, &comparable);
	if (comparable && !(data[0] & C_SHUTDOWN) && data[3] != 0) {
		second = session(&cfg, data, len, 0, false, &again);
		CHECK(again && first == second);
	}
	return 0;
}
