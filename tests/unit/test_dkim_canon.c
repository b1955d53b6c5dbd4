/*
 * test_dkim_canon.c - what a DKIM verifier will hash: the canonical body and its bh=, the
 * header fields chosen and their order in h=, the DKIM-Signature field tern writes, and the
 * signing input; checked against the RFCs' own examples (RFC 6376 3.4.5 and A.2, RFC 8463
 * A.3, whose signatures are reproduced octet for octet).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "lib/base64.h"
#include "proto/dkim_canon.h"

#define T_SIGN 1700000000 /* Tue, 14 Nov 2023 22:13:20 +0000 */

static const char msg_basic[] = "Received: from app.example.com by mail.example.com\r\n"
				"From: Alice <alice@example.com>\r\n"
				"To: bob@example.org\r\n"
				"Subject: Hello\r\n"
				"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
				"Message-ID: <1@example.com>\r\n"
				"\r\n"
				"Hi Bob.\r\n";

static const char *const no_names[] = { NULL };

static struct dkim_params params(void)
{
	struct dkim_params p = {
		.alg = DKIM_RSA_SHA256,
		.header_canon = DKIM_CANON_RELAXED,
		.body_canon = DKIM_CANON_RELAXED,
		.domain = "example.com",
		.selector = "sel",
		.timestamp = T_SIGN,
	};
	return p;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void assert_bytes(const struct buf *b, const char *want, size_t want_len)
{
	if (b->len != want_len || (want_len > 0 && memcmp(b->data, want, want_len) != 0)) {
		print_message("got  %zu octets: \"%.*s\"\nwant %zu octets: \"%.*s\"\n", b->len,
			      (int)b->len, b->len ? (const char *)b->data : "", want_len,
			      (int)want_len, want);
		fail();
	}
}

#define assert_body(msg, c, want) check_body((msg), sizeof(msg) - 1, (c), (want), sizeof(want) - 1)

/* The canonical body, and its hash agreeing with the hash computed without a copy. */
static void check_body(const char *msg, size_t len, enum dkim_canon c, const char *want,
		       size_t want_len)
{
	struct buf out = BUF_INIT;
	uint8_t h1[32], h2[32];

	assert_true(dkim_canon_body((const uint8_t *)msg, len, c, &out));
	assert_bytes(&out, want, want_len);
	assert_true(dkim_body_hash((const uint8_t *)msg, len, c, h1));
	crypto_hash_sha256(h2, out.data ? out.data : (const uint8_t *)"", out.len);
	assert_memory_equal(h1, h2, 32);
	buf_free(&out);
}

static void body_hash_b64(const char *msg, size_t len, enum dkim_canon c, char out[45])
{
	uint8_t h[32];

	assert_true(dkim_body_hash((const uint8_t *)msg, len, c, h));
	assert_int_equal(base64_encode(h, 32, out), 44);
}

#define assert_header(field, c, want)                                                              \
	check_header((field), sizeof(field) - 1, (c), (want), sizeof(want) - 1)

static void check_header(const char *field, size_t len, enum dkim_canon c, const char *want,
			 size_t want_len)
{
	struct buf out = BUF_INIT;

	assert_true(dkim_canon_header((const uint8_t *)field, len, c, &out));
	assert_bytes(&out, want, want_len);
	buf_free(&out);
}

static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0) {
		print_message("\"%s\"\ndoes not start with \"%s\"\n", s, prefix);
		fail();
	}
}

/* The field without its folding (CRLF TAB) and without spaces: the tags one after another. */
static char *tags_of(const struct buf *field)
{
	char *s = malloc(field->len + 1);
	size_t o = 0;

	assert_non_null(s);
	for (size_t i = 0; i < field->len; i++) {
		uint8_t c = field->data[i];

		if (c != '\r' && c != '\n' && c != '\t' && c != ' ')
			s[o++] = (char)c;
	}
	s[o] = '\0';
	return s;
}

/* Every line within 78 columns (a TAB counted as 8), CR only in CRLF, and every CRLF a fold
 * (followed by TAB) but the one at the end when the field is finished. */
static void assert_folded(const struct buf *field, bool finished)
{
	size_t col = 0, end = field->len;

	if (finished) {
		assert_true(end >= 2);
		assert_memory_equal(field->data + end - 2, "\r\n", 2);
		end -= 2;
	}
	for (size_t i = 0; i < end; i++) {
		uint8_t c = field->data[i];

		if (c == '\r') {
			assert_true(i + 2 < end);
			assert_int_equal(field->data[i + 1], '\n');
			assert_int_equal(field->data[i + 2], '\t');
			i++;
			col = 0;
			continue;
		}
		assert_int_not_equal(c, '\n');
		col = c == '\t' ? (col / 8 + 1) * 8 : col + 1;
		if (col > 78) {
			print_message("line over 78 columns in \"%.*s\"\n", (int)field->len,
				      (const char *)field->data);
			fail();
		}
	}
}

/* The bytes the prepared input ends with: the field canonicalized, without the final CRLF. */
static void assert_input_ends_with_field(const struct buf *input, const struct buf *field,
					 enum dkim_canon c)
{
	struct buf canon = BUF_INIT;

	assert_true(dkim_canon_header(field->data, field->len, c, &canon));
	canon.len -= 2;
	assert_true(input->len >= canon.len);
	assert_memory_equal(input->data + input->len - canon.len, canon.data, canon.len);
	buf_free(&canon);
}

static size_t header_part_len(const struct buf *input, const struct buf *field, enum dkim_canon c)
{
	struct buf canon = BUF_INIT;
	size_t n;

	assert_true(dkim_canon_header(field->data, field->len, c, &canon));
	n = input->len - (canon.len - 2);
	buf_free(&canon);
	return n;
}

static void prepare(const char *msg, size_t len, const struct dkim_params *p, struct buf *field,
		    struct buf *input)
{
	assert_true(dkim_prepare((const uint8_t *)msg, len, p, field, input));
	assert_folded(field, false);
	assert_input_ends_with_field(input, field, p->header_canon);
}

/* ---- reference material beside the repository (skipped without it) -------------------------- */

static char *read_shared(const char *name, size_t *len)
{
	const char *root = getenv("TERN_SOURCE_DIR");
	char path[4096];
	FILE *f;
	char *data;
	long n;

	if (root == NULL) {
		print_message("TERN_SOURCE_DIR is not set: skipped (run through meson test)\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/../shared/testdata/dkim/%s", root, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		print_message("%s is absent (the shared directory sits beside the repository): "
			      "skipped\n",
			      path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* The k-th DKIM-Signature field of an example message (0 first), without its final CRLF. */
static struct slice example_field(const char *eml, int k)
{
	const char *p = eml, *e;
	struct slice s;

	for (;; p = strstr(p, "\r\n") + 2) {
		assert_non_null(p);
		if (strncmp(p, "DKIM-Signature:", 15) == 0 && k-- == 0)
			break;
	}
	e = p;
	do {
		e = strstr(e, "\r\n");
		assert_non_null(e);
		e += 2;
	} while (*e == ' ' || *e == '\t');
	s.data = (const uint8_t *)p;
	s.len = (size_t)(e - 2 - p);
	return s;
}

/* Where the b= tag's value starts in a field (b= is the last tag in these examples). */
static size_t b_value_at(struct slice f)
{
	for (size_t i = 1; i + 2 <= f.len; i++)
		if (f.data[i] == 'b' && f.data[i + 1] == '=' &&
		    (f.data[i - 1] == ' ' || f.data[i - 1] == '\t' || f.data[i - 1] == ';'))
			return i + 2;
	fail_msg("no b= tag");
	return 0;
}

/* A tag's value with its folding whitespace removed. */
static void tag_value(struct slice f, size_t at, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = at; i < f.len && f.data[i] != ';'; i++)
		if (f.data[i] != ' ' && f.data[i] != '\t' && f.data[i] != '\r' && f.data[i] != '\n')
			if (o + 1 < size)
				out[o++] = (char)f.data[i];
	out[o] = '\0';
}

static void tag_in(struct slice f, const char *tag, char *out, size_t size)
{
	char needle[8];
	const char *hit;

	snprintf(needle, sizeof(needle), " %s=", tag);
	hit = memmem(f.data, f.len, needle, strlen(needle));
	assert_non_null(hit);
	tag_value(f, (size_t)(hit - (const char *)f.data) + strlen(needle), out, size);
}

/* ---- canonicalization names ---------------------------------------------------------------- */

static void canon_names_parse_as_c_writes_them(void **state)
{
	enum dkim_canon h = DKIM_CANON_SIMPLE, b = DKIM_CANON_SIMPLE;

	(void)state;
	assert_true(dkim_canon_parse("relaxed/relaxed", &h, &b));
	assert_int_equal(h, DKIM_CANON_RELAXED);
	assert_int_equal(b, DKIM_CANON_RELAXED);
	assert_true(dkim_canon_parse("simple/relaxed", &h, &b));
	assert_int_equal(h, DKIM_CANON_SIMPLE);
	assert_int_equal(b, DKIM_CANON_RELAXED);
	assert_true(dkim_canon_parse("relaxed", &h, &b)); /* RFC 6376 3.5: body simple */
	assert_int_equal(h, DKIM_CANON_RELAXED);
	assert_int_equal(b, DKIM_CANON_SIMPLE);
	assert_true(dkim_canon_parse("simple", &h, &b));
	assert_int_equal(h, DKIM_CANON_SIMPLE);
	assert_int_equal(b, DKIM_CANON_SIMPLE);

	assert_false(dkim_canon_parse("", &h, &b));
	assert_false(dkim_canon_parse("Relaxed", &h, &b));
	assert_false(dkim_canon_parse("relaxed/", &h, &b));
	assert_false(dkim_canon_parse("/simple", &h, &b));
	assert_false(dkim_canon_parse("relaxed/relaxed/simple", &h, &b));
	assert_false(dkim_canon_parse("relaxed /simple", &h, &b));
	assert_false(dkim_canon_parse(NULL, &h, &b));

	assert_string_equal(dkim_canon_name(DKIM_CANON_SIMPLE), "simple");
	assert_string_equal(dkim_canon_name(DKIM_CANON_RELAXED), "relaxed");
	assert_string_equal(dkim_alg_name(DKIM_RSA_SHA256), "rsa-sha256");
	assert_string_equal(dkim_alg_name(DKIM_ED25519_SHA256), "ed25519-sha256");
}

/* ---- bodies ------------------------------------------------------------------------------- */

static void empty_body_hashes_are_the_known_values(void **state)
{
	static const char *const messages[] = { "Subject: x\r\n\r\n", "Subject: x\r\n", "",
						"Subject: x\r\n\r\n\r\n\r\n",
						"Subject: x\r\n\r\n \t\r\n" };
	char b64[45];

	(void)state;
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		const char *m = messages[i];

		body_hash_b64(m, strlen(m), DKIM_CANON_RELAXED, b64);
		assert_string_equal(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
		if (i == 4)
			continue; /* a line of WSP is not empty for simple */
		body_hash_b64(m, strlen(m), DKIM_CANON_SIMPLE, b64);
		assert_string_equal(b64, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	}
	assert_body("Subject: x\r\n\r\n", DKIM_CANON_SIMPLE, "\r\n");
	assert_body("Subject: x\r\n\r\n", DKIM_CANON_RELAXED, "");
}

static void rfc6376_example_3_4_5(void **state)
{
	static const char msg[] = "A: X\r\n"
				  "B : Y\t\r\n"
				  "\tZ  \r\n"
				  "\r\n"
				  " C \r\n"
				  "D \t E\r\n"
				  "\r\n"
				  "\r\n";

	(void)state;
	assert_header("A: X", DKIM_CANON_RELAXED, "a:X\r\n");
	assert_header("B : Y\t\r\n\tZ  ", DKIM_CANON_RELAXED, "b:Y Z\r\n");
	assert_header("B : Y\t\r\n\tZ  ", DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  \r\n");
	assert_body(msg, DKIM_CANON_RELAXED, " C\r\nD E\r\n");
	assert_body(msg, DKIM_CANON_SIMPLE, " C \r\nD \t E\r\n");
}

static void relaxed_body_reduces_whitespace_runs(void **state)
{
	(void)state;
	assert_body("S: x\r\n\r\n  a \t b\t\tc\r\n\t\r\nd   e\r\n", DKIM_CANON_RELAXED,
		    " a b c\r\n\r\nd e\r\n");
	assert_body("S: x\r\n\r\n  a \t b\t\tc\r\n", DKIM_CANON_SIMPLE, "  a \t b\t\tc\r\n");
}

static void trailing_whitespace_is_removed_by_relaxed_only(void **state)
{
	(void)state;
	assert_body("S: x\r\n\r\nend  \t\r\nand more \r\n", DKIM_CANON_RELAXED,
		    "end\r\nand more\r\n");
	assert_body("S: x\r\n\r\nend  \t\r\nand more \r\n", DKIM_CANON_SIMPLE,
		    "end  \t\r\nand more \r\n");
}

static void trailing_empty_lines_are_removed(void **state)
{
	static const char msg[] = "S: x\r\n\r\nA\r\n\r\nB\r\n\r\n \r\n\r\n\r\n";

	(void)state;
	assert_body(msg, DKIM_CANON_RELAXED, "A\r\n\r\nB\r\n");
	/* for simple a line of one SP is not empty: it stays, the empty lines after it go */
	assert_body(msg, DKIM_CANON_SIMPLE, "A\r\n\r\nB\r\n\r\n \r\n");
	assert_body("S: x\r\n\r\n\r\n\r\nA\r\n", DKIM_CANON_SIMPLE, "\r\n\r\nA\r\n");
	assert_body("S: x\r\n\r\n\r\n\r\nA\r\n", DKIM_CANON_RELAXED, "\r\n\r\nA\r\n");
}

static void body_without_final_crlf_gets_one(void **state)
{
	(void)state;
	assert_body("S: x\r\n\r\nabc", DKIM_CANON_SIMPLE, "abc\r\n");
	assert_body("S: x\r\n\r\nabc", DKIM_CANON_RELAXED, "abc\r\n");
	assert_body("S: x\r\n\r\nabc  ", DKIM_CANON_RELAXED, "abc\r\n");
	assert_body("S: x\r\n\r\nabc\r\n\r\nxyz", DKIM_CANON_SIMPLE, "abc\r\n\r\nxyz\r\n");
	/* a last line of WSP only: empty for relaxed */
	assert_body("S: x\r\n\r\nabc\r\n  ", DKIM_CANON_RELAXED, "abc\r\n");
	assert_body("S: x\r\n\r\nabc\r\n  ", DKIM_CANON_SIMPLE, "abc\r\n  \r\n");
}

static void bare_lf_is_a_line_end(void **state)
{
	(void)state;
	assert_body("S: x\n\nA\nB \n\n", DKIM_CANON_RELAXED, "A\r\nB\r\n");
	assert_body("S: x\n\nA\nB \n\n", DKIM_CANON_SIMPLE, "A\r\nB \r\n");
	assert_body("S: x\r\n\r\nA\r\nB\nC\r\n", DKIM_CANON_SIMPLE, "A\r\nB\r\nC\r\n");
	/* a CR alone is an ordinary octet */
	assert_body("S: x\r\n\r\nA\rB\r\n", DKIM_CANON_SIMPLE, "A\rB\r\n");
	assert_body("S: x\r\n\r\nA \r B\r\n", DKIM_CANON_RELAXED, "A \r B\r\n");
	assert_header("To: a,\n b", DKIM_CANON_RELAXED, "to:a, b\r\n");
	assert_header("To: a,\n b", DKIM_CANON_SIMPLE, "To: a,\r\n b\r\n");
}

static void eight_bit_text_is_kept_as_it_is(void **state)
{
	(void)state;
	assert_body("S: x\r\n\r\nGr\xc3\xbc\xc3\x9f  Gott\xff\t\r\n\x80\r\n", DKIM_CANON_RELAXED,
		    "Gr\xc3\xbc\xc3\x9f Gott\xff\r\n\x80\r\n");
	assert_body("S: x\r\n\r\nGr\xc3\xbc\xc3\x9f  Gott\xff\t\r\n", DKIM_CANON_SIMPLE,
		    "Gr\xc3\xbc\xc3\x9f  Gott\xff\t\r\n");
	/* only ASCII letters of the name are lowered; the value keeps its case and octets */
	assert_header("SUBJECT: Gr\xc3\xbc\xc3\x9f\xc3\x9f  GOTT", DKIM_CANON_RELAXED,
		      "subject:Gr\xc3\xbc\xc3\x9f\xc3\x9f GOTT\r\n");
}

/* A plain byte-at-a-time relaxed body, written from the RFC's words, to check the fast one. */
static size_t naive_relaxed(const uint8_t *b, size_t n, uint8_t *out)
{
	size_t o = 0, keep = 0, i = 0;

	while (i < n) {
		size_t s = i, e, line_start = o;
		bool wsp = false;

		while (i < n && b[i] != '\n')
			i++;
		e = i;
		if (i < n && e > s && b[e - 1] == '\r')
			e--;
		for (size_t j = s; j < e; j++) {
			if (b[j] == ' ' || b[j] == '\t') {
				wsp = true;
				continue;
			}
			if (wsp)
				out[o++] = ' ';
			wsp = false;
			out[o++] = b[j];
		}
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - line_start > 2)
			keep = o;
		i++;
	}
	return keep;
}

static void very_long_lines_are_canonicalized_whole(void **state)
{
	const size_t n = 100 * 1024;
	static const char hdr[] = "Subject: long\r\n\r\n";
	char *msg = malloc(sizeof(hdr) - 1 + n + 2);
	uint8_t *want = malloc(n + 4);
	struct buf out = BUF_INIT;
	size_t want_len;
	uint32_t x = 12345;

	(void)state;
	assert_non_null(msg);
	assert_non_null(want);
	memcpy(msg, hdr, sizeof(hdr) - 1);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		msg[sizeof(hdr) - 1 + i] = "ab c\td  \t\xe9"[(x >> 16) % 10];
	}
	memcpy(msg + sizeof(hdr) - 1 + n, "\r\n", 2);

	want_len = naive_relaxed((const uint8_t *)msg + sizeof(hdr) - 1, n + 2, want);
	check_body(msg, sizeof(hdr) - 1 + n + 2, DKIM_CANON_RELAXED, (const char *)want, want_len);
	check_body(msg, sizeof(hdr) - 1 + n + 2, DKIM_CANON_SIMPLE, msg + sizeof(hdr) - 1, n + 2);
	/* the same line without its CRLF */
	check_body(msg, sizeof(hdr) - 1 + n, DKIM_CANON_SIMPLE, msg + sizeof(hdr) - 1, n + 2);

	/* and a long header field */
	memcpy(msg, "X-Long:", 7);
	assert_true(dkim_canon_header((const uint8_t *)msg, n, DKIM_CANON_RELAXED, &out));
	assert_true(out.len <= n + 2);
	assert_memory_equal(out.data, "x-long:", 7);
	buf_free(&out);
	free(msg);
	free(want);
}

/* A body that is canonical but for its trailing empty lines is found in place; one that needs
 * any change is not, and is canonicalized by copy. */
static void canonical_bodies_are_found_in_place(void **state)
{
	static const struct {
		const char *msg;
		enum dkim_canon c;
		bool slice;
		const char *want; /* the slice when found */
	} cases[] = {
		{ "A: b\r\n\r\nHello\r\nWorld\r\n\r\n\r\n", DKIM_CANON_RELAXED, true,
		  "Hello\r\nWorld\r\n" },
		{ "A: b\r\n\r\nHello\r\nWorld\r\n\r\n", DKIM_CANON_SIMPLE, true,
		  "Hello\r\nWorld\r\n" },
		{ "A: b\r\n\r\n", DKIM_CANON_RELAXED, true, "" },
		{ "A: b\r\n\r\n\r\n \r\n", DKIM_CANON_RELAXED, true, "" },
		{ "A: b\r\n\r\n\r\n\r\n", DKIM_CANON_SIMPLE, true, "\r\n" },
		{ "A: b\r\n\r\n", DKIM_CANON_SIMPLE, false, NULL },
		{ "A: b\r\n\r\nHello \r\n", DKIM_CANON_RELAXED, false, NULL },
		{ "A: b\r\n\r\nHello \r\n", DKIM_CANON_SIMPLE, true, "Hello \r\n" },
		{ "A: b\r\n\r\nHel\tlo\r\n", DKIM_CANON_RELAXED, false, NULL },
		{ "A: b\r\n\r\nHel  lo\r\n", DKIM_CANON_RELAXED, false, NULL },
		{ "A: b\r\n\r\nHello\nWorld\r\n", DKIM_CANON_SIMPLE, false, NULL },
		{ "A: b\r\n\r\nno line end", DKIM_CANON_RELAXED, false, NULL },
		{ "A: b\r\n\r\n a long line that starts with a space and has single spaces only, "
		  "so long that the block test runs over it more than once\r\n",
		  DKIM_CANON_RELAXED, true,
		  " a long line that starts with a space and has single spaces only, "
		  "so long that the block test runs over it more than once\r\n" },
		{ "A: b\r\n\r\n a long line that starts with a space and has single spaces only, "
		  "so long that the block test runs over it more\tthan once\r\n",
		  DKIM_CANON_RELAXED, false, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t off = 0, n = 0, len = strlen(cases[i].msg);
		bool got =
			dkim_body_slice((const uint8_t *)cases[i].msg, len, cases[i].c, &off, &n);

		assert_int_equal(got, cases[i].slice);
		if (got) {
			assert_int_equal(n, strlen(cases[i].want));
			assert_memory_equal(cases[i].msg + off, cases[i].want, n);
		}
	}
}

static void buffer_limit_leaves_the_buffer_as_it_was(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 8);
	assert_true(buf_append_str(&out, "ab"));
	assert_false(dkim_canon_body((const uint8_t *)"S: x\r\n\r\nlonger than eight\r\n", 27,
				     DKIM_CANON_RELAXED, &out));
	assert_bytes(&out, "ab", 2);
	assert_false(dkim_canon_header((const uint8_t *)"Subject: long enough", 20,
				       DKIM_CANON_SIMPLE, &out));
	assert_bytes(&out, "ab", 2);
	buf_free(&out);
}

/* ---- header fields ------------------------------------------------------------------------- */

static void relaxed_header_unfolds_and_reduces_whitespace(void **state)
{
	(void)state;
	assert_header("To: a@example.org,\r\n  b@example.org", DKIM_CANON_RELAXED,
		      "to:a@example.org, b@example.org\r\n");
	assert_header("Subject \t:  Hello \t World  \r\n\t again \t", DKIM_CANON_RELAXED,
		      "subject:Hello World again\r\n");
	assert_header("Subject:\r\n Folded at once", DKIM_CANON_RELAXED,
		      "subject:Folded at once\r\n");
	assert_header("X-Empty:", DKIM_CANON_RELAXED, "x-empty:\r\n");
	assert_header("X-Empty:  \t ", DKIM_CANON_RELAXED, "x-empty:\r\n");
	assert_header("MiXeD-CaSe-NaMe: VaLuE", DKIM_CANON_RELAXED, "mixed-case-name:VaLuE\r\n");
	/* only the first colon ends the name */
	assert_header("Subject: re: a : b", DKIM_CANON_RELAXED, "subject:re: a : b\r\n");
}

static void simple_header_is_kept_as_it_is(void **state)
{
	(void)state;
	assert_header("MiXeD-CaSe-NaMe :  VaLuE \r\n\t more ", DKIM_CANON_SIMPLE,
		      "MiXeD-CaSe-NaMe :  VaLuE \r\n\t more \r\n");
}

/* ---- choosing the fields ------------------------------------------------------------------- */

static void default_signature_signs_and_oversigns(void **state)
{
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	static const char want_headers[] = "from:Alice <alice@example.com>\r\n"
					   "to:bob@example.org\r\n"
					   "subject:Hello\r\n"
					   "date:Tue, 14 Nov 2023 22:13:20 +0000\r\n"
					   "message-id:<1@example.com>\r\n";
	char bh[45], want[256];
	char *tags;

	(void)state;
	prepare(msg_basic, sizeof(msg_basic) - 1, &p, &field, &input);
	body_hash_b64(msg_basic, sizeof(msg_basic) - 1, DKIM_CANON_RELAXED, bh);
	snprintf(want, sizeof(want),
		 "DKIM-Signature:v=1;a=rsa-sha256;c=relaxed/relaxed;d=example.com;s=sel;"
		 "t=1700000000;h=from:to:subject:date:message-id:from:to:subject:date;bh=%s;b=",
		 bh);
	tags = tags_of(&field);
	assert_string_equal(tags, want);
	free(tags);
	/* the oversigned names add nothing to the input: no instance is left for them */
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_RELAXED),
			 sizeof(want_headers) - 1);
	assert_memory_equal(input.data, want_headers, sizeof(want_headers) - 1);
	assert_memory_equal(input.data + sizeof(want_headers) - 1, "dkim-signature:v=1; a=", 22);
	assert_int_equal(input.data[input.len - 1], '=');
	assert_int_equal(input.data[input.len - 2], 'b');
	buf_free(&field);
	buf_free(&input);
}

static void repeated_headers_are_signed_bottom_up(void **state)
{
	static const char msg[] = "From: a@example.com\r\n"
				  "To: first@example.org\r\n"
				  "Subject: s\r\n"
				  "To: second@example.org\r\n"
				  "tO:   third@example.org\r\n"
				  "\r\n"
				  "body\r\n";
	static const char *const names[] = { "From", "To", NULL };
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	static const char want[] = "from:a@example.com\r\n"
				   "to:third@example.org\r\n"
				   "to:second@example.org\r\n"
				   "to:first@example.org\r\n";
	char *tags;

	(void)state;
	p.headers = names;
	p.oversign = names;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_non_null(strstr(tags, ";h=from:to:to:to:from:to;bh="));
	free(tags);
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_RELAXED), sizeof(want) - 1);
	assert_memory_equal(input.data, want, sizeof(want) - 1);
	buf_free(&field);
	buf_free(&input);
}

static void header_names_match_in_any_case(void **state)
{
	static const char msg[] = "fRoM: a@example.com\r\n"
				  "SUBJECT : hi\r\n"
				  "X-Other: not signed\r\n"
				  "\r\n"
				  "body\r\n";
	static const char *const names[] = { "FROM", "subject", "x-absent", NULL };
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	static const char want_simple[] = "fRoM: a@example.com\r\n"
					  "SUBJECT : hi\r\n";
	char *tags;

	(void)state;
	p.headers = names;
	p.oversign = no_names;
	p.header_canon = DKIM_CANON_SIMPLE;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	/* names are written lowercase; an absent one that is not oversigned is not listed */
	assert_non_null(strstr(tags, ";h=from:subject;bh="));
	free(tags);
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_SIMPLE),
			 sizeof(want_simple) - 1);
	assert_memory_equal(input.data, want_simple, sizeof(want_simple) - 1);
	/* simple: the field verbatim, then the DKIM-Signature field verbatim */
	assert_memory_equal(input.data + sizeof(want_simple) - 1, field.data, field.len);
	assert_int_equal(input.len, sizeof(want_simple) - 1 + field.len);
	buf_free(&field);
	buf_free(&input);
}

static void oversigned_names_are_listed_once_more_even_absent(void **state)
{
	static const char msg[] = "From: a@example.com\r\n"
				  "To: b@example.org\r\n"
				  "To: c@example.org\r\n"
				  "\r\n"
				  "body\r\n";
	static const char *const names[] = { "From", "To", "Subject", "Reply-To", NULL };
	static const char *const over[] = { "To", "Subject", "From", "List-Id", NULL };
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	static const char want[] = "from:a@example.com\r\n"
				   "to:c@example.org\r\n"
				   "to:b@example.org\r\n";
	char *tags;

	(void)state;
	p.headers = names;
	p.oversign = over;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	/* To twice and once more; Subject absent but oversigned: once (signing its absence);
	 * Reply-To absent, not oversigned: not listed; List-Id oversigned only: listed once */
	assert_non_null(strstr(tags, ";h=from:to:to:to:subject:from:list-id;bh="));
	free(tags);
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_RELAXED), sizeof(want) - 1);
	assert_memory_equal(input.data, want, sizeof(want) - 1);
	buf_free(&field);
	buf_free(&input);
}

static void from_is_listed_even_when_absent(void **state)
{
	static const char msg[] = "To: b@example.org\r\n\r\nbody\r\n";
	static const char *const names[] = { "From", "To", NULL };
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	char *tags;

	(void)state;
	p.headers = names;
	p.oversign = no_names;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_non_null(strstr(tags, ";h=from:to;bh="));
	free(tags);
	assert_memory_equal(input.data, "to:b@example.org\r\ndkim-signature:", 33);
	buf_free(&field);
	buf_free(&input);
}

static void folded_fields_are_signed_whole(void **state)
{
	static const char msg[] = "From: a@example.com\r\n"
				  "Subject: a subject\r\n"
				  "  folded\ttwice\r\n"
				  "\tand   thrice  \r\n"
				  "To: b@example.org\r\n"
				  "\r\n"
				  "body\r\n";
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	static const char want[] = "from:a@example.com\r\n"
				   "to:b@example.org\r\n"
				   "subject:a subject folded twice and thrice\r\n";

	(void)state;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_RELAXED), sizeof(want) - 1);
	assert_memory_equal(input.data, want, sizeof(want) - 1);
	buf_reset(&field);
	buf_reset(&input);
	p.header_canon = DKIM_CANON_SIMPLE;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	assert_non_null(
		strstr((const char *)input.data,
		       "Subject: a subject\r\n  folded\ttwice\r\n\tand   thrice  \r\nDKIM"));
	buf_free(&field);
	buf_free(&input);
}

static void fields_after_the_body_starts_are_not_headers(void **state)
{
	static const char msg[] = "From: a@example.com\r\n"
				  "\r\n"
				  "To: not-a-header@example.org\r\n";
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	char *tags;

	(void)state;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_non_null(strstr(tags, ";h=from:from:to:subject:date;bh="));
	free(tags);
	assert_memory_equal(input.data, "from:a@example.com\r\ndkim-signature:", 35);
	buf_free(&field);
	buf_free(&input);
}

/* ---- the field ----------------------------------------------------------------------------- */

static void field_has_its_tags_in_order_and_no_l(void **state)
{
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	char *tags;

	(void)state;
	p.alg = DKIM_ED25519_SHA256;
	p.header_canon = DKIM_CANON_SIMPLE;
	prepare(msg_basic, sizeof(msg_basic) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_prefix(tags, "DKIM-Signature:v=1;a=ed25519-sha256;c=simple/relaxed;d=example.com;"
			    "s=sel;t=1700000000;h=");
	assert_null(strstr(tags, ";l="));
	assert_null(strstr(tags, ";x="));
	assert_prefix((const char *)field.data, "DKIM-Signature: v=1; a=ed25519-sha256; ");
	free(tags);
	buf_free(&field);
	buf_free(&input);
}

static void expire_is_written_only_when_set(void **state)
{
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	char *tags;

	(void)state;
	p.expire = T_SIGN + 7 * 86400;
	prepare(msg_basic, sizeof(msg_basic) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_non_null(strstr(tags, ";t=1700000000;x=1700604800;h=from:"));
	assert_null(strstr(tags, ";l="));
	free(tags);
	buf_free(&field);
	buf_free(&input);
}

static void long_h_lists_are_folded_within_78_columns(void **state)
{
	static const char *const names[] = { "From",
					     "X-A-Rather-Long-Header-Name-Number-One",
					     "X-A-Rather-Long-Header-Name-Number-Two",
					     "X-A-Rather-Long-Header-Name-Number-Three",
					     "X-Short",
					     NULL };
	static const char msg[] = "From: a@example.com\r\n"
				  "X-A-Rather-Long-Header-Name-Number-One: 1\r\n"
				  "X-A-Rather-Long-Header-Name-Number-Two: 2\r\n"
				  "X-A-Rather-Long-Header-Name-Number-Two: 2 again\r\n"
				  "X-A-Rather-Long-Header-Name-Number-Three: 3\r\n"
				  "X-Short: s\r\n"
				  "\r\n"
				  "body\r\n";
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	uint8_t sig[512];
	char *tags;

	(void)state;
	p.headers = names;
	p.domain = "a-fairly-long-subdomain.of-a-fairly-long-domain.example.com";
	p.selector = "selector-2023-11";
	p.expire = T_SIGN + 1;
	prepare(msg, sizeof(msg) - 1, &p, &field, &input);
	tags = tags_of(&field);
	assert_non_null(strstr(tags, ";h=from:x-a-rather-long-header-name-number-one:"
				     "x-a-rather-long-header-name-number-two:"
				     "x-a-rather-long-header-name-number-two:"
				     "x-a-rather-long-header-name-number-three:x-short:from:to:"
				     "subject:date;bh="));
	free(tags);
	/* the relaxed input has the folds as single spaces */
	assert_null(memchr(input.data + header_part_len(&input, &field, DKIM_CANON_RELAXED), '\t',
			   input.len - header_part_len(&input, &field, DKIM_CANON_RELAXED)));
	memset(sig, 0xa5, sizeof(sig));
	assert_true(dkim_finish(&field, sig, sizeof(sig))); /* RSA 4096 */
	assert_folded(&field, true);
	buf_free(&field);
	buf_free(&input);
}

/* What a verifier does with the finished field: the b= value deleted, canonicalized, without
 * the final CRLF - that must be the end of the input that was signed. */
static void finished_field_verifies_to_the_same_input(void **state)
{
	static const enum dkim_canon canons[] = { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

	(void)state;
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	for (size_t i = 0; i < 2; i++) {
		struct dkim_params p = params();
		struct buf field = BUF_INIT, input = BUF_INIT, stripped = BUF_INIT,
			   canon = BUF_INIT;
		uint8_t hash[32], sig[crypto_sign_BYTES], sig2[128];
		size_t at, sig2_len;
		struct slice f;
		char b[200];

		p.alg = DKIM_ED25519_SHA256;
		p.header_canon = canons[i];
		prepare(msg_basic, sizeof(msg_basic) - 1, &p, &field, &input);
		crypto_hash_sha256(hash, input.data, input.len);
		crypto_sign_detached(sig, NULL, hash, sizeof(hash), sk);
		assert_true(dkim_finish(&field, sig, sizeof(sig)));
		assert_folded(&field, true);

		f.data = field.data;
		f.len = field.len - 2;
		at = b_value_at(f);
		tag_value(f, at, b, sizeof(b));
		assert_true(base64_decode(b, strlen(b), sig2, &sig2_len));
		assert_int_equal(sig2_len, sizeof(sig));
		assert_memory_equal(sig2, sig, sizeof(sig));

		assert_true(buf_append(&stripped, f.data, at));
		assert_true(dkim_canon_header(stripped.data, stripped.len, canons[i], &canon));
		canon.len -= 2;
		assert_memory_equal(input.data + input.len - canon.len, canon.data, canon.len);
		assert_int_equal(crypto_sign_verify_detached(sig, hash, sizeof(hash), pk), 0);
		buf_free(&field);
		buf_free(&input);
		buf_free(&stripped);
		buf_free(&canon);
	}
}

static void finish_refuses_what_is_no_signature(void **state)
{
	struct buf field = BUF_INIT;
	uint8_t sig[1025] = { 0 };

	(void)state;
	assert_true(buf_append_str(&field, "DKIM-Signature: v=1; b="));
	assert_false(dkim_finish(&field, NULL, 64));
	assert_false(dkim_finish(&field, sig, 0));
	assert_false(dkim_finish(&field, sig, sizeof(sig)));
	assert_false(dkim_finish(NULL, sig, 64));
	assert_int_equal(field.len, 23);
	buf_free(&field);
}

static void invalid_params_are_refused(void **state)
{
	static const char *const with_colon[] = { "From", "X-Bad:", NULL };
	static const char *const with_space[] = { "From", "X Bad", NULL };
	static const char *const with_empty[] = { "From", "", NULL };
	static const char *const without_from[] = { "To", "Subject", NULL };
	static const char *const long_name[] = {
		"From", "X-0123456789012345678901234567890123456789012345678901234567890123", NULL
	};
	static const char *many[66];
	struct buf field = BUF_INIT, input = BUF_INIT, limited;
	const uint8_t *m = (const uint8_t *)msg_basic;
	size_t n = sizeof(msg_basic) - 1;
	struct dkim_params p;

	(void)state;
	assert_false(dkim_prepare(m, n, NULL, &field, &input));
	p = params();
	assert_false(dkim_prepare(m, n, &p, NULL, &input));
	assert_false(dkim_prepare(m, n, &p, &field, NULL));
	assert_false(dkim_prepare(NULL, n, &p, &field, &input));

#define REFUSED(change)                                                                            \
	do {                                                                                       \
		p = params();                                                                      \
		change;                                                                            \
		assert_false(dkim_prepare(m, n, &p, &field, &input));                              \
		assert_int_equal(field.len, 0);                                                    \
		assert_int_equal(input.len, 0);                                                    \
	} while (0)

	REFUSED(p.alg = (enum dkim_alg)7);
	REFUSED(p.header_canon = (enum dkim_canon)2);
	REFUSED(p.body_canon = (enum dkim_canon) - 1);
	REFUSED(p.domain = NULL);
	REFUSED(p.domain = "");
	REFUSED(p.domain = "example.com; x=1");
	REFUSED(p.domain = "exa mple.com");
	REFUSED(p.domain = "example..com");
	REFUSED(p.domain = ".example.com");
	REFUSED(p.domain = "example.com.");
	REFUSED(p.domain = "example.com\r\n");
	REFUSED(p.domain = "a123456789012345678901234567890123456789012345678901234567890123.com");
	REFUSED(p.selector = NULL);
	REFUSED(p.selector = "");
	REFUSED(p.selector = "sel=1");
	REFUSED(p.selector = "s\xc3\xa9l");
	REFUSED(p.timestamp = -1);
	REFUSED(p.expire = T_SIGN);
	REFUSED(p.expire = T_SIGN - 1);
	REFUSED(p.headers = with_colon);
	REFUSED(p.headers = with_space);
	REFUSED(p.headers = with_empty);
	REFUSED(p.headers = long_name);
	REFUSED(p.oversign = with_colon);
	REFUSED((p.headers = without_from, p.oversign = no_names));
	for (size_t i = 0; i < 65; i++)
		many[i] = "From";
	many[65] = NULL;
	REFUSED(p.headers = many);
#undef REFUSED

	/* From only in the oversign list is enough: it is signed from there */
	p = params();
	p.headers = without_from;
	assert_true(dkim_prepare(m, n, &p, &field, &input));
	buf_reset(&field);
	buf_reset(&input);

	/* a buffer that cannot hold the result: both are left as they were */
	p = params();
	buf_init(&limited, 40);
	assert_false(dkim_prepare(m, n, &p, &limited, &input));
	assert_int_equal(limited.len, 0);
	assert_int_equal(input.len, 0);
	assert_false(dkim_prepare(m, n, &p, &field, &limited));
	assert_int_equal(limited.len, 0);
	assert_int_equal(field.len, 0);
	buf_free(&limited);
	buf_free(&field);
	buf_free(&input);
}

/* ---- the RFCs' examples ------------------------------------------------------------------- */

static void rfc6376_a2_simple_body_and_headers(void **state)
{
	static const char *const names[] = { "Received", "From",       "To", "Subject",
					     "Date",	 "Message-ID", NULL };
	struct dkim_params p = params();
	struct buf field = BUF_INIT, input = BUF_INIT;
	size_t len;
	char *eml = read_shared("rfc6376-A2-errata-corrected.eml", &len);
	const char *hdr, *end;
	char bh[45], want_bh[64];

	(void)state;
	if (eml == NULL)
		skip();
	body_hash_b64(eml, len, DKIM_CANON_SIMPLE, bh);
	tag_in(example_field(eml, 0), "bh", want_bh, sizeof(want_bh));
	assert_string_equal(bh, want_bh);

	/* simple/simple with the example's h=: the fields verbatim, in order */
	p.header_canon = DKIM_CANON_SIMPLE;
	p.body_canon = DKIM_CANON_SIMPLE;
	p.headers = names;
	p.oversign = no_names;
	prepare(eml, len, &p, &field, &input);
	hdr = strstr(eml, "Received:");
	end = strstr(eml, "\r\n\r\n") + 2;
	assert_int_equal(header_part_len(&input, &field, DKIM_CANON_SIMPLE), (size_t)(end - hdr));
	assert_memory_equal(input.data, hdr, (size_t)(end - hdr));
	buf_free(&field);
	buf_free(&input);
	free(eml);
}

static bool rsa_sign(const char *pem, size_t pem_len, const struct buf *in, uint8_t *sig,
		     size_t *sig_len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = key != NULL && ctx != NULL &&
		  EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		  EVP_DigestSign(ctx, sig, sig_len, in->data, in->len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok;
}

/* RFC 8463 A.3: the message signed with ed25519-sha256 (selector brisbane) and rsa-sha256
 * (selector test). tern's field differs from the example's (which has i= and q= and writes
 * h= with spaces), so the signing input is built as a signer with the example's field would:
 * the header part from dkim_prepare (same h= list: the five names, From Subject Date
 * oversigned), then the example's own field with b= emptied, through dkim_canon_header. Both
 * signatures are deterministic (Ed25519, RSA PKCS#1 v1.5) and must come out as printed. */
static void rfc8463_example_signatures_are_reproduced(void **state)
{
	static const char *const names[] = { "From", "To", "Subject", "Date", "Message-ID", NULL };
	static const char *const over[] = { "From", "Subject", "Date", NULL };
	static const char want_headers[] =
		"from:Joe SixPack <joe@football.example.com>\r\n"
		"to:Suzie Q <suzie@shopping.example.net>\r\n"
		"subject:Is dinner ready?\r\n"
		"date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
		"message-id:<20030712040037.46341.5F8J@football.example.com>\r\n";
	static const char *const selectors[] = { "brisbane", "test" };
	uint8_t seed[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pk64[45], bh[45], *tags;
	size_t len, pem_len, seed_len;
	char *eml = read_shared("rfc8463-A3.eml", &len), *pem;

	(void)state;
	if (eml == NULL)
		skip();
	pem = read_shared("rfc8463-rsa-private.pem", &pem_len);
	if (pem == NULL) {
		free(eml);
		skip();
	}
	assert_true(sodium_init() >= 0);

	/* the body: relaxed hash as printed in both signatures */
	body_hash_b64(eml, len, DKIM_CANON_RELAXED, bh);
	assert_string_equal(bh, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");

	/* the key: RFC 8463 A.1's secret (RFC 8032 7.1 test 1), checked against A.2's p= */
	assert_true(
		base64_decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", 44, seed, &seed_len));
	assert_int_equal(seed_len, 32);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	base64_encode(pk, sizeof(pk), pk64);
	assert_string_equal(pk64, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");

	for (int k = 0; k < 2; k++) {
		struct dkim_params p = params();
		struct buf field = BUF_INIT, input = BUF_INIT, signing = BUF_INIT;
		struct slice ex = example_field(eml, k);
		uint8_t hash[32], sig[256];
		size_t at, hn, sig_len = sizeof(sig);
		char want_b[512], got_b[512], want_h[256];

		assert_memory_equal(ex.data, "DKIM-Signature:", 15);
		p.alg = k == 0 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256;
		p.domain = "football.example.com";
		p.selector = selectors[k];
		p.timestamp = 1528637909;
		p.headers = names;
		p.oversign = over;
		prepare(eml, len, &p, &field, &input);

		/* the same h= list as the example, the same bh= */
		tags = tags_of(&field);
		tag_in(ex, "h", want_h, sizeof(want_h));
		assert_string_equal(want_h, "from:to:subject:date:message-id:from:subject:date");
		assert_non_null(strstr(tags, ";h=from:to:subject:date:message-id:from:subject:date;"
					     "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;b="));
		free(tags);

		/* the header part of the input, then the example's field with b= empty */
		hn = header_part_len(&input, &field, DKIM_CANON_RELAXED);
		assert_int_equal(hn, sizeof(want_headers) - 1);
		assert_memory_equal(input.data, want_headers, hn);
		at = b_value_at(ex);
		tag_value(ex, at, want_b, sizeof(want_b));
		assert_true(buf_append(&signing, input.data, hn));
		assert_true(dkim_canon_header(ex.data, at, DKIM_CANON_RELAXED, &signing));
		signing.len -= 2;

		if (k == 0) {
			/* RFC 8463 3: Ed25519 signs the SHA-256 hash of the input */
			crypto_hash_sha256(hash, signing.data, signing.len);
			crypto_sign_detached(sig, NULL, hash, sizeof(hash), sk);
			sig_len = crypto_sign_BYTES;
		} else {
			assert_true(rsa_sign(pem, pem_len, &signing, sig, &sig_len));
		}
		base64_encode(sig, sig_len, got_b);
		assert_string_equal(got_b, want_b);

		/* and the field tern writes, signed the same way, is finished and well folded */
		assert_true(dkim_finish(&field, sig, sig_len));
		assert_folded(&field, true);
		buf_free(&field);
		buf_free(&input);
		buf_free(&signing);
	}
	free(pem);
	free(eml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(canon_names_parse_as_c_writes_them),
		cmocka_unit_test(empty_body_hashes_are_the_known_values),
		cmocka_unit_test(rfc6376_example_3_4_5),
		cmocka_unit_test(relaxed_body_reduces_whitespace_runs),
		cmocka_unit_test(trailing_whitespace_is_removed_by_relaxed_only),
		cmocka_unit_test(trailing_empty_lines_are_removed),
		cmocka_unit_test(body_without_final_crlf_gets_one),
		cmocka_unit_test(bare_lf_is_a_line_end),
		cmocka_unit_test(eight_bit_text_is_kept_as_it_is),
		cmocka_unit_test(very_long_lines_are_canonicalized_whole),
		cmocka_unit_test(canonical_bodies_are_found_in_place),
		cmocka_unit_test(buffer_limit_leaves_the_buffer_as_it_was),
		cmocka_unit_test(relaxed_header_unfolds_and_reduces_whitespace),
		cmocka_unit_test(simple_header_is_kept_as_it_is),
		cmocka_unit_test(default_signature_signs_and_oversigns),
		cmocka_unit_test(repeated_headers_are_signed_bottom_up),
		cmocka_unit_test(header_names_match_in_any_case),
		cmocka_unit_test(oversigned_names_are_listed_once_more_even_absent),
		cmocka_unit_test(from_is_listed_even_when_absent),
		cmocka_unit_test(folded_fields_are_signed_whole),
		cmocka_unit_test(fields_after_the_body_starts_are_not_headers),
		cmocka_unit_test(field_has_its_tags_in_order_and_no_l),
		cmocka_unit_test(expire_is_written_only_when_set),
		cmocka_unit_test(long_h_lists_are_folded_within_78_columns),
		cmocka_unit_test(finished_field_verifies_to_the_same_input),
		cmocka_unit_test(finish_refuses_what_is_no_signature),
		cmocka_unit_test(invalid_params_are_refused),
		cmocka_unit_test(rfc6376_a2_simple_body_and_headers),
		cmocka_unit_test(rfc8463_example_signatures_are_reproduced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
