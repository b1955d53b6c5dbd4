/*
 * status.c - lookups over the knowledge base tables (see status.h).
 *
 * Basic and enhanced tables are sorted, so lookups are binary searches. Pattern matching is
 * a case-insensitive substring search with '*' gaps, where a space stands for any run of
 * blanks and line breaks (text.h); no regular expressions, no allocation,
 * linear in the text for each pattern.
 */
#include "status.h"

#include <string.h>

#include "../lib/text.h"

static const char *const category_names[CAT__COUNT] = {
	[CAT_UNKNOWN] = "unknown",
	[CAT_USER_UNKNOWN] = "user_unknown",
	[CAT_MAILBOX_FULL] = "mailbox_full",
	[CAT_MAILBOX_DISABLED] = "mailbox_disabled",
	[CAT_HOST_UNKNOWN] = "host_unknown",
	[CAT_DOMAIN_NO_MAIL] = "domain_no_mail",
	[CAT_RELAY_DENIED] = "relay_denied",
	[CAT_AUTH_REQUIRED] = "auth_required",
	[CAT_AUTH_FAILED] = "auth_failed",
	[CAT_SENDER_REJECTED] = "sender_rejected",
	[CAT_BLOCKED] = "blocked",
	[CAT_SPAM] = "spam",
	[CAT_VIRUS] = "virus",
	[CAT_POLICY] = "policy",
	[CAT_TOO_LARGE] = "too_large",
	[CAT_TOO_MANY_RECIPIENTS] = "too_many_recipients",
	[CAT_RATE_LIMITED] = "rate_limited",
	[CAT_GREYLISTED] = "greylisted",
	[CAT_NETWORK] = "network",
	[CAT_TIMEOUT] = "timeout",
	[CAT_LOOP] = "loop",
	[CAT_STORAGE] = "storage",
	[CAT_SYSTEM] = "system",
	[CAT_SYNTAX] = "syntax",
	[CAT_PROTOCOL] = "protocol",
	[CAT_TLS_REQUIRED] = "tls_required",
	[CAT_EXPIRED] = "expired",
	[CAT_SUCCESS] = "success",
};

static const struct {
	const char *name;
	const char *words;
} actor_names[ACTOR__COUNT] = {
	[ACTOR_NONE] = { "none", "nobody: nothing is wrong" },
	[ACTOR_SENDING_PROGRAM] = { "sending_program",
				    "the sending program (the application or mail client)" },
	[ACTOR_SENDING_SERVER] = { "sending_server", "the sending server or its provider" },
	[ACTOR_NETWORK] = { "network",
			    "the network between the two servers (firewall, DNS, route)" },
	[ACTOR_RECEIVING_SERVER] = { "receiving_server",
				     "the receiving server and its administrator" },
	[ACTOR_RECIPIENT_MAILBOX] = { "recipient_mailbox", "the recipient, about their mailbox" },
	[ACTOR_POLICY] = { "policy_or_reputation",
			   "policy or reputation: the sender's standing with the receiver" },
};

const char *status_category_name(enum st_category c)
{
	if ((unsigned)c >= CAT__COUNT)
		return "unknown";
	return category_names[c];
}

bool status_category_from_name(const char *name, enum st_category *out)
{
	for (int i = 0; i < CAT__COUNT; i++) {
		if (strcmp(category_names[i], name) == 0) {
			*out = (enum st_category)i;
			return true;
		}
	}
	return false;
}

const char *status_actor_name(enum st_actor a)
{
	if ((unsigned)a >= ACTOR__COUNT)
		return "none";
	return actor_names[a].name;
}

const char *status_actor_words(enum st_actor a)
{
	if ((unsigned)a >= ACTOR__COUNT)
		return actor_names[ACTOR_NONE].words;
	return actor_names[a].words;
}

const char *status_verdict_name(enum st_verdict v)
{
	switch (v) {
	case VERDICT_SUCCESS:
		return "success";
	case VERDICT_INTERMEDIATE:
		return "intermediate";
	case VERDICT_TRANSIENT:
		return "transient";
	case VERDICT_PERMANENT:
		return "permanent";
	case VERDICT_UNKNOWN:
		break;
	}
	return "unknown";
}

enum st_verdict status_verdict_of_class(int digit)
{
	switch (digit) {
	case 2:
		return VERDICT_SUCCESS;
	case 3:
		return VERDICT_INTERMEDIATE;
	case 4:
		return VERDICT_TRANSIENT;
	case 5:
		return VERDICT_PERMANENT;
	default:
		return VERDICT_UNKNOWN;
	}
}

/* "550" -> 550; the table stores codes as text so that it reads like the RFCs. */
static int basic_code_value(const char *code)
{
	return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

const struct status_info *status_basic(int code)
{
	size_t lo = 0, hi = status_basic_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int v = basic_code_value(status_basic_table[mid].code);

		if (v == code)
			return &status_basic_table[mid];
		if (v < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* "X.1.10" -> subject 1, detail 10. The table's codes are trusted (a unit test parses all). */
static void enhanced_key(const char *code, unsigned *subject, unsigned *detail)
{
	const char *p = code + 2;
	unsigned s = 0, d = 0;

	while (*p >= '0' && *p <= '9')
		s = s * 10 + (unsigned)(*p++ - '0');
	if (*p == '.')
		p++;
	while (*p >= '0' && *p <= '9')
		d = d * 10 + (unsigned)(*p++ - '0');
	*subject = s;
	*detail = d;
}

const struct status_info *status_enhanced(uint16_t subject, uint16_t detail)
{
	size_t lo = 0, hi = status_enhanced_count;
	unsigned key = (unsigned)subject * 1000u + detail;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		unsigned s, d, v;

		enhanced_key(status_enhanced_table[mid].code, &s, &d);
		v = s * 1000u + d;
		if (v == key)
			return &status_enhanced_table[mid];
		if (v < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct status_info *status_enhanced_fallback(struct enh_code e, bool *exact)
{
	const struct status_info *info = status_enhanced(e.subject, e.detail);

	*exact = info != NULL;
	if (info == NULL)
		info = status_enhanced(e.subject, 0);
	if (info == NULL)
		info = status_enhanced(0, 0);
	return info;
}

const struct status_class_info *status_class(int digit)
{
	for (size_t i = 0; i < status_class_count; i++)
		if (status_class_table[i].digit == digit)
			return &status_class_table[i];
	return NULL;
}

const struct status_class_info *status_basic_group(int second_digit)
{
	for (size_t i = 0; i < status_basic_group_count; i++)
		if (status_basic_group_table[i].digit == second_digit)
			return &status_basic_group_table[i];
	return NULL;
}

const char *enh_code_format(struct enh_code e, char *buf, size_t size)
{
	/* At most "5.999.999": format by hand so that proto needs no stdio. */
	char tmp[16];
	size_t n = 0;
	unsigned parts[3] = { e.cls, e.subject, e.detail };

	for (int i = 0; i < 3; i++) {
		char digits[4];
		int nd = 0;
		unsigned v = parts[i] % 1000u;

		do {
			digits[nd++] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0);
		while (nd > 0)
			tmp[n++] = digits[--nd];
		if (i < 2)
			tmp[n++] = '.';
	}
	if (size == 0)
		return buf;
	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}

/* Reads 1-3 digits without a leading zero (a lone "0" is fine), as RFC 3463 demands. */
static bool parse_part(const char *s, size_t len, size_t *pos, uint16_t *out)
{
	size_t start = *pos;
	unsigned v = 0;

	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9' && *pos - start < 3)
		v = v * 10 + (unsigned)(s[(*pos)++] - '0');
	if (*pos == start)
		return false;
	if (*pos < len && s[*pos] >= '0' && s[*pos] <= '9')
		return false; /* four digits or more */
	if (s[start] == '0' && *pos - start > 1)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool enh_code_parse(const char *s, size_t len, struct enh_code *out)
{
	size_t pos = 1;
	uint16_t subject, detail;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return false;
	pos = 2;
	if (!parse_part(s, len, &pos, &subject) || pos >= len || s[pos] != '.')
		return false;
	pos++;
	if (!parse_part(s, len, &pos, &detail) || pos != len)
		return false;
	out->cls = (uint8_t)(s[0] - '0');
	out->subject = subject;
	out->detail = detail;
	return true;
}

/* One alternative, "a*b*c": each piece in order, each after the end of the one before. */
static bool match_alternative(const char *text, size_t len, const char *alt, size_t alen)
{
	size_t at = 0, i = 0;

	while (i <= alen) {
		size_t j = i;

		while (j < alen && alt[j] != '*')
			j++;
		if (j > i) {
			size_t span;
			size_t hit = text_find(text, len, at, alt + i, j - i, &span);

			if (hit == SIZE_MAX)
				return false;
			at = hit + span;
		}
		i = j + 1;
	}
	return true;
}

static bool match_any(const char *text, size_t len, const char *match)
{
	const char *p = match;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t alen = bar ? (size_t)(bar - p) : strlen(p);

		if (alen > 0 && match_alternative(text, len, p, alen))
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

/* Does one prefix ("550", "55", "5.4.1", "X.7") agree with the reply's codes? Enhanced
 * prefixes compare whole components, so "5.4.1" does not take in "5.4.10". */
static bool code_prefix_matches(const char *pre, size_t plen, int basic, struct enh_code e)
{
	if (memchr(pre, '.', plen) == NULL) {
		char digits[3];

		if (basic <= 0 || plen > 3)
			return false;
		digits[0] = (char)('0' + basic / 100 % 10);
		digits[1] = (char)('0' + basic / 10 % 10);
		digits[2] = (char)('0' + basic % 10);
		return memcmp(digits, pre, plen) == 0;
	}
	if (e.cls == 0)
		return false;
	{
		unsigned want[3];
		unsigned have[3] = { e.cls, e.subject, e.detail };
		int nparts = 0;
		size_t i = 0;

		while (i < plen && nparts < 3) {
			unsigned v = 0;
			bool any = false;

			if (nparts == 0 && (pre[i] == 'X' || pre[i] == 'x')) {
				v = have[0];
				any = true;
				i++;
			}
			while (i < plen && pre[i] >= '0' && pre[i] <= '9') {
				v = v * 10 + (unsigned)(pre[i++] - '0');
				any = true;
			}
			if (!any)
				return false;
			want[nparts++] = v;
			if (i < plen && pre[i] == '.')
				i++;
		}
		for (int k = 0; k < nparts; k++)
			if (want[k] != have[k])
				return false;
		return nparts > 0;
	}
}

static bool codes_agree(const char *codes, int basic, struct enh_code e)
{
	const char *p = codes;

	if (codes == NULL)
		return true;
	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t plen = bar ? (size_t)(bar - p) : strlen(p);

		if (plen > 0 && code_prefix_matches(p, plen, basic, e))
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

const struct status_pattern *status_pattern_match(const char *text, size_t len, int basic,
						  struct enh_code enhanced)
{
	for (size_t i = 0; i < status_pattern_count; i++) {
		const struct status_pattern *pt = &status_pattern_table[i];

		if (pt->category == CAT_UNKNOWN)
			continue;
		if (!codes_agree(pt->codes, basic, enhanced))
			continue;
		if (match_any(text, len, pt->match))
			return pt;
	}
	return NULL;
}

const struct status_pattern *status_verdict_phrase(const char *text, size_t len)
{
	for (size_t i = 0; i < status_pattern_count; i++) {
		const struct status_pattern *pt = &status_pattern_table[i];

		if (pt->category != CAT_UNKNOWN || pt->verdict == VERDICT_UNKNOWN)
			continue;
		if (match_any(text, len, pt->match))
			return pt;
	}
	return NULL;
}
