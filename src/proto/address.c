/*
 * address.c - envelope mailbox parsing (see address.h).
 *
 * A straight line of checks, one part at a time. Nothing here unquotes or rewrites: the
 * address is kept exactly as the client wrote it, so what is logged, checked by policy and
 * used for delivery is the same string.
 */
#include <string.h>
#include <strings.h>

#include "address.h"

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* atext of RFC 5322 3.2.3 */
static bool is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool is_ldh(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

/* Dot-string: atoms separated by single dots. */
static bool dot_string_ok(const unsigned char *s, size_t len, bool utf8)
{
	bool after_dot = true;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (after_dot)
				return false;
			after_dot = true;
			continue;
		}
		if (!is_atext(s[i]) && !(utf8 && s[i] >= 0x80))
			return false;
		after_dot = false;
	}
	return !after_dot;
}

/* Quoted-string: printable ASCII other than '"' and '\\', or a backslash pair. */
static bool quoted_string_ok(const unsigned char *s, size_t len, bool utf8)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < len; i++) {
		if (s[i] == '\\') {
			if (i + 2 >= len || s[i + 1] < 32 || s[i + 1] > 126)
				return false;
			i++;
			continue;
		}
		if (s[i] == '"')
			return false;
		if ((s[i] < 32 || s[i] > 126) && !(utf8 && s[i] >= 0x80))
			return false;
	}
	return true;
}

/* IPv4 dotted quad, each part 0..255 without leading zeros. */
static bool ipv4_ok(const unsigned char *s, size_t len)
{
	int parts = 0;
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		unsigned v = 0;

		while (i < len && is_digit(s[i]) && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return false;
		parts++;
		if (i == len)
			break;
		if (s[i++] != '.' || i == len)
			return false;
	}
	return parts == 4;
}

/* "[IPv4]" or "[IPv6:...]" (the IPv6 part checked for its alphabet only; delivery to an
 * address literal resolves nothing, so a malformed one fails later with a clear error). */
static bool address_literal_ok(const unsigned char *s, size_t len)
{
	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return false;
	s++;
	len -= 2;
	if (len > 5 && strncasecmp((const char *)s, "IPv6:", 5) == 0) {
		for (size_t i = 5; i < len; i++)
			if (s[i] == '\0' || (!is_digit(s[i]) && !strchr("abcdefABCDEF:.", s[i])))
				return false;
		return len > 6;
	}
	return ipv4_ok(s, len);
}

/* Domain: LDH labels (1..63 octets, no hyphen at either end) separated by dots. */
static bool domain_ok(const unsigned char *s, size_t len, bool utf8)
{
	size_t label = 0;

	if (len == 0 || len > ADDRESS_DOMAIN_MAX)
		return false;
	if (s[0] == '[')
		return address_literal_ok(s, len);
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_ldh(s[i]) && !(utf8 && s[i] >= 0x80))
			return false;
		label++;
	}
	return true;
}

static bool has_8bit(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 0x80)
			return true;
	return false;
}

enum address_error address_parse(const char *str, size_t len, bool smtputf8, struct address *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t at;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return ADDRESS_E_SYNTAX;
	if (len > ADDRESS_MAX)
		return ADDRESS_E_TOO_LONG;
	/* The local part ends at the last '@': a quoted local part may itself hold '@'. */
	for (at = len; at > 0 && s[at - 1] != '@'; at--)
		;
	if (at == 0)
		return ADDRESS_E_SYNTAX;
	at--;
	if (at == 0 || at + 1 == len)
		return ADDRESS_E_SYNTAX;
	if (at > ADDRESS_LOCAL_MAX || len - at - 1 > ADDRESS_DOMAIN_MAX)
		return ADDRESS_E_TOO_LONG;
	if (has_8bit(s, len) && !smtputf8)
		return ADDRESS_E_NEEDS_UTF8;
	if (!dot_string_ok(s, at, smtputf8) && !quoted_string_ok(s, at, smtputf8))
		return ADDRESS_E_SYNTAX;
	if (!domain_ok(s + at + 1, len - at - 1, smtputf8))
		return ADDRESS_E_SYNTAX;
	memcpy(out->text, s, len);
	out->text[len] = '\0';
	out->local_len = at;
	out->utf8 = has_8bit(s, len);
	return ADDRESS_OK;
}

/* An RFC 5321 source route ("@a,@b:") is obsolete; it is skipped, as 4.1.1.3 asks. */
static size_t skip_source_route(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] != '@')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == ':')
			return i + 1;
	return 0;
}

enum address_error address_parse_path(const char *str, size_t len, bool allow_null, bool smtputf8,
				      struct address *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t skip;

	memset(out, 0, sizeof(*out));
	if (len > ADDRESS_PATH_MAX)
		return ADDRESS_E_TOO_LONG;
	if (len < 2 || s[0] != '<' || s[len - 1] != '>')
		return ADDRESS_E_NO_BRACKETS;
	s++;
	len -= 2;
	if (len == 0) {
		if (!allow_null)
			return ADDRESS_E_SYNTAX;
		out->is_null = true;
		return ADDRESS_OK;
	}
	skip = skip_source_route(s, len);
	return address_parse((const char *)s + skip, len - skip, smtputf8, out);
}
