/*
 * explain.h - say what an SMTP reply, a code, or a whole bounce text means and what to do.
 *
 * Combines the reply scanner and the knowledge base: finds the replies in the input, picks
 * the one that tells why delivery failed, and draws the meaning of its class, subject and
 * detail, the category, who has to act, what to do and whether a retry can help. `tern
 * explain`, the client library and the delivery engine's bounce texts all explain this way.
 *
 * Pure: no I/O, no allocation; the caller provides the (large) result struct.
 */
#ifndef TERN_PROTO_EXPLAIN_H
#define TERN_PROTO_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "reply_scan.h"
#include "status.h"

#define EXPLAIN_FINDINGS_MAX 32
/* Phrases are looked for in the first part of a long text only: the diagnosis is at the top
 * of a bounce, the returned message (which may be megabytes) below it. */
#define EXPLAIN_PHRASE_SCAN_MAX (256 * 1024)

struct explanation {
	bool recognized;   /* false: nothing in the input was recognisable */
	bool subject_only; /* the input was "X.s.d": no class to judge by */

	/* the reply explained */
	int basic;		  /* 0 when none */
	struct enh_code enh;	  /* cls 0 when none (subject_only: cls 0, subject/detail set) */
	bool enh_borrowed;	  /* taken from a DSN Status field or a later quote */
	bool class_mismatch;	  /* "550 4.7.1": basic and enhanced classes disagree */
	const char *text;	  /* the reply's words ("" when none) */
	struct reply_context ctx; /* command, host, ip from the prose */

	enum st_verdict reply_verdict;	     /* what the code alone says */
	enum st_verdict verdict;	     /* the conclusion, a delay notice taken into account */
	const struct status_pattern *notice; /* a verdict phrase found in the whole text */

	/* the knowledge behind it (NULL where there is none) */
	const struct status_class_info *class_info;
	const struct status_info *basic_info;	    /* exact basic code */
	const struct status_class_info *group_info; /* second digit, when no exact basic entry */
	const struct status_info *subject_info;	    /* X.s.0 */
	const struct status_info *detail_info;	    /* X.s.d exact */
	const struct status_pattern *pattern;	    /* what the words say */

	/* conclusions */
	enum st_category category;
	enum st_actor actor;
	const char *title;
	const char *meaning;
	const char *causes;
	const char *action;
	enum st_retry retry; /* RETRY_BY_CLASS here means "cannot tell" */
	long retry_after;    /* seconds the reply asks to wait, 0 when none */

	/* everything found, in input order */
	size_t nfindings;
	size_t primary; /* index into findings, valid when nfindings > 0 */
	struct reply_finding findings[EXPLAIN_FINDINGS_MAX];
};

/* Explains in[0..len): a code ("550", "5.1.1", "X.1.1"), one reply, or a whole text. */
void explain_text(const char *in, size_t len, struct explanation *ex);

/* Explains one reply already parsed (code, enhanced code or cls 0, text). For the client
 * library and the delivery engine, which hold replies, not prose. */
void explain_reply(int basic, struct enh_code enh, const char *text, size_t len,
		   struct explanation *ex);

/* Words for the retry advice: "yes, later", "no, not unchanged", ... */
const char *explain_retry_words(enum st_retry r);
const char *explain_retry_name(enum st_retry r); /* "later", "no", "not_needed", "unknown" */

#endif
