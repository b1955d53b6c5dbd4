/*
 * fuzz_reply_scan.c - any text into `tern explain`'s analysis: the reply scanner, the
 * knowledge base lookups and the pattern matcher.
 *
 * Checks beyond "no crash": findings lie inside the input and in order, their texts are
 * terminated, and the explanation's verdict agrees with the class of the reply it chose.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct explanation ex;
	const char *in = (const char *)data;
	size_t prev_end = 0;

	explain_text(in, size, &ex);
	assert(ex.nfindings <= EXPLAIN_FINDINGS_MAX);
	for (size_t i = 0; i < ex.nfindings; i++) {
		const struct reply_finding *f = &ex.findings[i];

		assert(f->start >= prev_end || i == 0);
		assert(f->start < f->end && f->end <= size);
		assert(f->text_len == strlen(f->text));
		assert(f->basic != 0 || f->enh.cls != 0);
		prev_end = f->end;
	}
	if (ex.nfindings > 0 && ex.notice == NULL) {
		int cls = ex.basic > 0 ? ex.basic / 100 : ex.enh.cls;

		assert(ex.verdict == status_verdict_of_class(cls));
	}
	if (ex.recognized)
		assert(ex.subject_only || ex.basic || ex.enh.cls || ex.pattern || ex.notice);
	return 0;
}
