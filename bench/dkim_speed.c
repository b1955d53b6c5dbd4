/*
 * dkim_speed.c - how many 10 KB messages one core signs per second, the way the server signs
 * them (dkim_sign: canonicalization, body hash, signing input, the key operation), for
 * RSA-2048, Ed25519 and both on one message. bench/dkim.py sets this next to `openssl speed`.
 *
 * Usage: dkim_speed DIR SECONDS [rsa|ed25519|dual]   (DIR: an empty scratch directory)
 * Prints "rsa N", "ed25519 N", "dual N": signed messages per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/dkim.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add_key(struct store *st, const char *dir, const char *domain, const char *selector,
		   enum store_dkim_alg alg)
{
	struct store_dkim_key k = { 0 };
	char err[600] = "";

	snprintf(k.domain, sizeof(k.domain), "%s", domain);
	snprintf(k.selector, sizeof(k.selector), "%s", selector);
	if (dkim_key_prepare_path(dir, domain, selector, k.key_path, sizeof(k.key_path), err,
				  sizeof(err)) != 0 ||
	    dkim_key_generate(alg, alg == STORE_DKIM_RSA ? 2048 : 0, k.key_path, err,
			      sizeof(err)) != 0) {
		fprintf(stderr, "dkim_speed: %s\n", err);
		return -1;
	}
	k.algorithm = alg;
	k.bits = alg == STORE_DKIM_RSA ? 2048 : 0;
	k.state = STORE_DKIM_ACTIVE;
	k.created = k.activated = (int64_t)time(NULL);
	return store_dkim_add(st, &k);
}

/* Signs msg for `domain` for `seconds`; messages per second. */
static double rate(const struct dkim_signer *s, const char *domain, const uint8_t *msg, size_t len,
		   double seconds)
{
	struct buf out = BUF_INIT;
	double start = now_s(), t;
	long n = 0;
	char desc[300];

	do {
		for (int i = 0; i < 16; i++, n++) {
			buf_reset(&out);
			if (dkim_sign(s, domain, msg, len, (int64_t)time(NULL), 0, &out, desc,
				      sizeof(desc)) <= 0) {
				fprintf(stderr, "dkim_speed: signing failed\n");
				exit(1);
			}
		}
		t = now_s() - start;
	} while (t < seconds);
	buf_free(&out);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	char path[1100], err[600];
	struct store *st = NULL;
	struct dkim_signer *s;
	struct buf msg = BUF_INIT;
	double seconds;

	const char *only = argc == 4 ? argv[3] : "";

	if ((argc != 3 && argc != 4) || (seconds = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: dkim_speed DIR SECONDS [rsa|ed25519|dual]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/tern.db", argv[1]);
	if (store_open_sqlite(path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "dkim_speed: %s\n", err);
		return 1;
	}
	if (add_key(st, argv[1], "rsa.bench.test", "s1", STORE_DKIM_RSA) != 0 ||
	    add_key(st, argv[1], "ed.bench.test", "s1", STORE_DKIM_ED25519) != 0 ||
	    add_key(st, argv[1], "dual.bench.test", "r1", STORE_DKIM_RSA) != 0 ||
	    add_key(st, argv[1], "dual.bench.test", "e1", STORE_DKIM_ED25519) != 0)
		return 1;
	if ((s = dkim_signer_load(st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dkim_speed: %s\n", err);
		return 1;
	}
	/* 10 KB: a header section like an application's, then text lines */
	buf_printf(&msg, "From: App <app@bench.test>\r\nTo: someone@example.net\r\n"
			 "Subject: Your invoice\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
			 "Message-ID: <bench@bench.test>\r\nMIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	while (msg.len < 10240)
		buf_printf(&msg, "Line %zu of the message body, with some words in it.\r\n",
			   msg.len);
	if (!only[0] || strcmp(only, "rsa") == 0)
		printf("rsa %.0f\n", rate(s, "rsa.bench.test", msg.data, msg.len, seconds));
	if (!only[0] || strcmp(only, "ed25519") == 0)
		printf("ed25519 %.0f\n", rate(s, "ed.bench.test", msg.data, msg.len, seconds));
	if (!only[0] || strcmp(only, "dual") == 0)
		printf("dual %.0f\n", rate(s, "dual.bench.test", msg.data, msg.len, seconds));
	dkim_signer_free(s);
	store_close(st);
	buf_free(&msg);
	return 0;
}
