/*
 * explain.c - from a reply or a bounce text to an explanation (see explain.h).
 *
 * The most specific knowledge wins: a text pattern of a well-known reply, then an exact
 * enhanced code, then the basic code, then the subject and class of the enhanced code. Codes
 * marked vague (550, 5.7.1, ...) give way to whatever else is known.
 */
#include "explain.h"

#include <string.h>

static bool is_failure(int cls)
{
	return cls == 4 || cls == 5;
}

static int finding_class(const struct reply_finding *f)
{
	return f->basic > 0 ? f->basic / 100 : f->enh.cls;
}

/* The reply that says why delivery failed: the first failure with a basic code, else the
 * first failure as an enhanced code alone, else whatever came first. */
static size_t pick_primary(const struct explanation *ex)
{
	for (size_t i = 0; i < ex->nfindings; i++)
		if (ex->findings[i].basic > 0 && is_failure(ex->findings[i].basic / 100))
			return i;
	for (size_t i = 0; i < ex->nfindings; i++)
		if (is_failure(ex->findings[i].enh.cls))
			return i;
	return 0;
}

/* A reply quoted without its enhanced code often has it elsewhere in the report: in the
 * DSN's Status field or in a fuller quote of the same reply. */
static bool borrow_enhanced(const struct explanation *ex, int basic, struct enh_code *out)
{
	for (size_t i = 0; i < ex->nfindings; i++) {
		const struct reply_finding *f = &ex->findings[i];

		if (f->kind == FIND_DSN_STATUS && f->enh.cls == basic / 100) {
			*out = f->enh;
			return true;
		}
	}
	for (size_t i = 0; i < ex->nfindings; i++) {
		const struct reply_finding *f = &ex->findings[i];

		if (f->basic == basic && f->enh.cls != 0) {
			*out = f->enh;
			return true;
		}
	}
	return false;
}

static enum st_retry retry_of_verdict(enum st_verdict v)
{
	switch (v) {
	case VERDICT_SUCCESS:
	case VERDICT_INTERMEDIATE:
		return RETRY_NOT_NEEDED;
	case VERDICT_TRANSIENT:
		return RETRY_LATER;
	case VERDICT_PERMANENT:
		return RETRY_NO;
	case VERDICT_UNKNOWN:
		break;
	}
	return RETRY_BY_CLASS;
}

/* Without a code, the kind of failure still says whether waiting can help. */
static enum st_retry retry_of_category(enum st_category c)
{
	switch (c) {
	case CAT_NETWORK:
	case CAT_TIMEOUT:
	case CAT_GREYLISTED:
	case CAT_RATE_LIMITED:
	case CAT_STORAGE:
	case CAT_SYSTEM:
		return RETRY_LATER;
	case CAT_USER_UNKNOWN:
	case CAT_HOST_UNKNOWN:
	case CAT_DOMAIN_NO_MAIL:
	case CAT_MAILBOX_DISABLED:
	case CAT_RELAY_DENIED:
	case CAT_SYNTAX:
	case CAT_TOO_LARGE:
	case CAT_EXPIRED:
		return RETRY_NO;
	case CAT_SUCCESS:
		return RETRY_NOT_NEEDED;
	default:
		return RETRY_BY_CLASS;
	}
}

/* Fills the knowledge and the conclusions once basic, enh, text and verdicts are set. */
static void conclude(struct explanation *ex, const char *whole, size_t whole_len)
{
	int cls = ex->basic > 0 ? ex->basic / 100 : ex->enh.cls;
	const struct status_info *source = NULL;
	size_t text_len = strlen(ex->text);

	if (cls > 0)
		ex->class_info = status_class(cls);
	if (ex->basic > 0) {
		ex->basic_info = status_basic(ex->basic);
		if (ex->basic_info == NULL)
			ex->group_info = status_basic_group(ex->basic / 10 % 10);
	}
	if (ex->enh.cls != 0 || ex->subject_only) {
		ex->detail_info = status_enhanced(ex->enh.subject, ex->enh.detail);
		ex->subject_info = status_enhanced(ex->enh.subject, 0);
		if (ex->subject_info == NULL)
			ex->subject_info = status_enhanced(0, 0);
	}

	ex->pattern = status_pattern_match(ex->text, text_len, ex->basic, ex->enh);
	if (ex->pattern == NULL && whole != NULL)
		ex->pattern = status_pattern_match(whole, whole_len, ex->basic, ex->enh);

	/* no code at all: words like "temporary" in the matched phrase are all there is */
	if (cls == 0 && ex->verdict == VERDICT_UNKNOWN && ex->pattern != NULL)
		ex->verdict = ex->pattern->verdict;

	/* the most specific source of facts */
	if (ex->detail_info != NULL && !ex->detail_info->vague)
		source = ex->detail_info;
	else if (ex->basic_info != NULL && !ex->basic_info->vague)
		source = ex->basic_info;
	else if (ex->detail_info != NULL)
		source = ex->detail_info;
	else if (ex->basic_info != NULL)
		source = ex->basic_info;
	else if (ex->subject_info != NULL)
		source = ex->subject_info;

	if (ex->pattern != NULL) {
		ex->category = ex->pattern->category;
		ex->actor = ex->pattern->actor;
		ex->meaning = ex->pattern->meaning;
		ex->causes = ex->pattern->causes;
		ex->action = ex->pattern->action;
	} else if (source != NULL) {
		ex->category = source->category;
		ex->actor = source->actor;
		ex->meaning = source->meaning;
		ex->causes = source->causes;
		ex->action = source->action;
	}
	if (source != NULL)
		ex->title = source->title;
	else if (ex->group_info != NULL)
		ex->title = ex->group_info->title;
	else if (ex->class_info != NULL)
		ex->title = ex->class_info->title;
	if (ex->meaning == NULL && ex->group_info != NULL)
		ex->meaning = ex->group_info->meaning;
	if (ex->meaning == NULL && ex->class_info != NULL)
		ex->meaning = ex->class_info->meaning;

	/* a reply that accepted is a success whatever the enhanced code's subject says */
	if (ex->verdict == VERDICT_SUCCESS && ex->category != CAT_POLICY)
		ex->category = CAT_SUCCESS;

	ex->retry = retry_of_verdict(ex->verdict);
	if (ex->retry == RETRY_BY_CLASS && !ex->subject_only)
		ex->retry = retry_of_category(ex->category);
	ex->retry_after = reply_retry_after(ex->text, text_len);
	ex->recognized = cls > 0 || ex->subject_only || ex->pattern != NULL || ex->notice != NULL;
}

static void reset(struct explanation *ex)
{
	memset(ex, 0, offsetof(struct explanation, findings));
	ex->text = "";
}

void explain_reply(int basic, struct enh_code enh, const char *text, size_t len,
		   struct explanation *ex)
{
	struct reply_finding *f;

	reset(ex);
	f = &ex->findings[0];
	memset(f, 0, sizeof(*f));
	f->basic = basic;
	f->enh = enh;
	if (len >= sizeof(f->text))
		len = sizeof(f->text) - 1;
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->text_len = len;
	ex->nfindings = 1;
	ex->primary = 0;
	ex->basic = basic;
	ex->enh = enh;
	ex->text = f->text;
	ex->class_mismatch = basic > 0 && enh.cls != 0 && enh.cls != basic / 100;
	ex->reply_verdict = status_verdict_of_class(basic > 0 ? basic / 100 : enh.cls);
	ex->verdict = ex->reply_verdict;
	conclude(ex, NULL, 0);
}

/* "X.1.1": a subject and detail without a class. */
static bool parse_subject_only(const char *in, size_t len, struct enh_code *out)
{
	char tmp[16];

	if (len < 5 || len >= sizeof(tmp) || (in[0] != 'X' && in[0] != 'x'))
		return false;
	memcpy(tmp, in, len);
	tmp[0] = '5'; /* any valid class, to reuse the strict parser */
	if (!enh_code_parse(tmp, len, out))
		return false;
	out->cls = 0;
	return true;
}

void explain_text(const char *in, size_t len, struct explanation *ex)
{
	size_t b = 0, e = len, scan_len;
	struct enh_code subject;

	reset(ex);
	while (b < e && (in[b] == ' ' || in[b] == '\t' || in[b] == '\r' || in[b] == '\n'))
		b++;
	while (e > b &&
	       (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r' || in[e - 1] == '\n'))
		e--;
	if (parse_subject_only(in + b, e - b, &subject)) {
		ex->subject_only = true;
		ex->enh = subject;
		conclude(ex, NULL, 0);
		return;
	}

	ex->nfindings = reply_scan(in, len, ex->findings, EXPLAIN_FINDINGS_MAX);
	scan_len = len < EXPLAIN_PHRASE_SCAN_MAX ? len : EXPLAIN_PHRASE_SCAN_MAX;
	ex->notice = status_verdict_phrase(in, scan_len);

	if (ex->nfindings > 0) {
		const struct reply_finding *f;

		ex->primary = pick_primary(ex);
		f = &ex->findings[ex->primary];
		ex->basic = f->basic;
		ex->enh = f->enh;
		ex->text = f->text;
		ex->ctx = f->ctx;
		if (ex->basic > 0 && ex->enh.cls == 0)
			ex->enh_borrowed = borrow_enhanced(ex, ex->basic, &ex->enh);
		ex->class_mismatch =
			ex->basic > 0 && ex->enh.cls != 0 && ex->enh.cls != ex->basic / 100;
		ex->reply_verdict = status_verdict_of_class(finding_class(f));
	} else {
		reply_scan_context(in, 0, scan_len, &ex->ctx);
	}

	ex->verdict = ex->reply_verdict;
	/* A delay notice quoting a permanent-looking reply: the sending server is still trying,
	 * so for the sender the message is not lost yet. */
	if (ex->notice != NULL && ex->notice->verdict == VERDICT_TRANSIENT &&
	    ex->verdict != VERDICT_SUCCESS)
		ex->verdict = VERDICT_TRANSIENT;
	if (ex->verdict == VERDICT_UNKNOWN && ex->notice != NULL)
		ex->verdict = ex->notice->verdict;

	conclude(ex, in, scan_len);
}

const char *explain_retry_words(enum st_retry r)
{
	switch (r) {
	case RETRY_NOT_NEEDED:
		return "not needed: nothing failed";
	case RETRY_LATER:
		return "yes: the same message may go through later, without changes";
	case RETRY_NO:
		return "no: sending it again unchanged fails again; something must change first";
	case RETRY_BY_CLASS:
		break;
	}
	return "cannot tell: nothing in the input says whether the failure is temporary";
}

const char *explain_retry_name(enum st_retry r)
{
	switch (r) {
	case RETRY_NOT_NEEDED:
		return "not_needed";
	case RETRY_LATER:
		return "later";
	case RETRY_NO:
		return "no";
	case RETRY_BY_CLASS:
		break;
	}
	return "unknown";
}
