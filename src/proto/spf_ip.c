/*
 * spf_ip.c - addresses for SPF (see spf.h): the text forms of RFC 4291 and dotted quads parsed
 * and printed without the socket headers src/proto may not use, and prefix matching.
 *
 * Pure. A dotted quad with a leading zero ("010.0.0.1") is refused: some parsers read it as
 * octal, and a record that means different things to different receivers is wrong.
 */
#include "spf.h"

#include <string.h>

#include "spf_int.h"

/* ---- addresses ----------------------------------------------------------------------------- */

static bool parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		while (i < len && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		/* no leading zeros: "010" is octal to some parsers and decimal to others */
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == len;
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_v6(const char *s, size_t len, uint8_t out[16])
{
	uint8_t w[16];
	size_t i = 0, n = 0; /* n: bytes written */
	long gap = -1;	     /* where "::" stands, in bytes */

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (len > 0 && s[0] == ':') {
		return false;
	}
	while (i < len) {
		size_t start = i;
		unsigned v = 0;
		int digits = 0, h;

		while (i < len && (h = hexval(s[i])) >= 0 && digits < 5) {
			v = v << 4 | (unsigned)h;
			digits++;
			i++;
		}
		if (i < len && s[i] == '.') { /* a dotted quad ends the address */
			if (n + 4 > 16 || !parse_v4(s + start, len - start, w + n))
				return false;
			n += 4;
			i = len;
			break;
		}
		if (digits == 0 || digits > 4 || n + 2 > 16)
			return false;
		w[n++] = (uint8_t)(v >> 8);
		w[n++] = (uint8_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return false;
			gap = (long)n;
			i++;
		} else if (i == len) {
			return false; /* a single trailing ':' */
		}
	}
	if (gap < 0 && n != 16)
		return false;
	if (gap >= 0 && n > 14)
		return false;
	memset(out, 0, 16);
	if (gap < 0) {
		memcpy(out, w, 16);
		return true;
	}
	memcpy(out, w, (size_t)gap);
	memcpy(out + 16 - (n - (size_t)gap), w + gap, n - (size_t)gap);
	return true;
}

bool spf_ip_parse(const char *s, size_t len, struct spf_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (memchr(s, ':', len) != NULL) {
		out->family = 6;
		return parse_v6(s, len, out->b);
	}
	out->family = 4;
	return parse_v4(s, len, out->b);
}

static void hex16(struct sb *b, unsigned v)
{
	static const char hx[] = "0123456789abcdef";
	char d[4];
	size_t n = 0;

	for (int shift = 12; shift >= 0; shift -= 4)
		if ((v >> shift) != 0 || shift == 0)
			d[n++] = hx[(v >> shift) & 15];
	sb_addn(b, d, n);
}

void spf_ip_format(const struct spf_ip *ip, char *out, size_t size)
{
	struct sb b;
	int best = -1, bestlen = 0;

	sb_init(&b, out, size);
	if (ip->family == 4) {
		for (int i = 0; i < 4; i++) {
			if (i > 0)
				sb_add(&b, ".");
			sb_num(&b, ip->b[i]);
		}
		return;
	}
	for (int i = 0; i < 8;) { /* the longest run of zero groups, at least two */
		int j = i;
		while (j < 8 && ip->b[2 * j] == 0 && ip->b[2 * j + 1] == 0)
			j++;
		if (j - i > bestlen && j - i >= 2) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			sb_add(&b, "::");
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			sb_add(&b, ":");
		hex16(&b, (unsigned)ip->b[2 * i] << 8 | ip->b[2 * i + 1]);
	}
}

bool spf_ip_in(const struct spf_ip *ip, const struct spf_ip *net, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;

	if (ip->family != net->family || prefix < 0 || prefix > (ip->family == 4 ? 32 : 128))
		return false;
	if (memcmp(ip->b, net->b, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((ip->b[bytes] ^ net->b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}
