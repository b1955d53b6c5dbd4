/*
 * fuzz_spf.c - hostile SPF records into the parser and check_host.
 *
 * The input is a record (up to the first newline) published at every name, and bytes that
 * decide the other answers (NXDOMAIN, no records, a temporary failure, addresses). Every
 * include and redirect therefore comes back to the same record: the loop detection and the
 * limits of RFC 7208 4.6.4 are what end the evaluation. Checks beyond "no crash": the lookup
 * callback is called a bounded number of times, the counters stay within their limits plus
 * one, and the texts are terminated.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/dmarc.h"
#include "proto/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct world {
	char record[SPF_TXT_MAX];
	const uint8_t *rest;
	size_t nrest, pos;
	unsigned calls;
};

static void lookup(void *ctx, enum spf_qtype type, const char *name, const struct spf_ip *ip,
		   struct spf_answer *out)
{
	struct world *w = ctx;
	uint8_t pick = w->nrest > 0 ? w->rest[w->pos++ % w->nrest] : 0;

	(void)ip;
	assert(strlen(name) < 256);
	w->calls++;
	switch (pick & 3) {
	case 1:
		out->status = SPF_DNS_NXDOMAIN;
		return;
	case 2:
		out->status = SPF_DNS_TEMPFAIL;
		return;
	default:
		break;
	}
	out->status = SPF_DNS_OK;
	if ((pick & 3) == 3)
		return; /* no records */
	out->n = 1 + (pick >> 6);
	for (size_t i = 0; i < out->n; i++) {
		if (type == SPF_Q_TXT)
			memcpy(out->str[i], w->record, sizeof(w->record));
		else if (type == SPF_Q_MX || type == SPF_Q_PTR)
			memcpy(out->str[i], "mx.example", 11);
		out->ip[i].family = type == SPF_Q_AAAA ? 6 : 4;
		memset(out->ip[i].b, pick, sizeof(out->ip[i].b));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spf_record rec;
	static struct world w;
	struct spf_outcome o;
	struct spf_ip ip;
	struct dmarc_record dr;
	struct dkim_key_record kr;
	char err[200], p[256];
	size_t n = 0;

	while (n < size && n < sizeof(w.record) - 1 && data[n] != '\n' && data[n] != '\0')
		n++;
	memcpy(w.record, data, n);
	w.record[n] = '\0';
	w.rest = n < size ? data + n + 1 : data + n;
	w.nrest = n < size ? size - n - 1 : 0;
	w.pos = 0;
	w.calls = 0;

	(void)spf_parse(w.record, &rec, err, sizeof(err));
	(void)spf_ip_parse(w.record, n, &ip);
	(void)dmarc_parse(w.record, &dr, err, sizeof(err));
	(void)dkim_key_record_parse(w.record, &kr, err, sizeof(err));
	(void)dkim_key_record_p(w.record, p, sizeof(p));

	memset(&ip, 0, sizeof(ip));
	ip.family = w.nrest > 0 && (w.rest[0] & 1) ? 6 : 4;
	ip.b[0] = 192;
	ip.b[3] = 1;
	spf_check_host(&ip, "example.com", "app@example.com", lookup, &w, &o);
	assert(o.lookups <= SPF_LOOKUP_LIMIT + 1);
	assert(o.voids <= SPF_VOID_LIMIT + 1);
	/* one TXT per level, and per term at most one query and 10 names each */
	assert(w.calls <= (SPF_LOOKUP_LIMIT + 2) * (1 + SPF_NAMES_LIMIT) + SPF_TERMS_MAX);
	assert(strlen(o.why) < sizeof(o.why) && strlen(o.matched) < sizeof(o.matched));
	return 0;
}
