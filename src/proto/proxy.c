/*
 * proxy.c - PROXY protocol v1 and v2 headers (see proxy.h).
 */
#include <string.h>

#include "proxy.h"

static const uint8_t v2_sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* Dotted quad into 4 octets; strict (no leading zeros, 0..255). */
static int ipv4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return -1;
		out[part] = (uint8_t)v;
		if (part < 3 && (i >= n || s[i++] != '.'))
			return -1;
	}
	return i == n ? 0 : -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* IPv6 text into 16 octets: groups of hex, one "::", an optional IPv4 tail. */
static int ipv6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t head[8], tail[8];
	int nh = 0, nt = 0, *cnt = &nh;
	uint16_t *g = head;
	size_t i = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		g = tail;
		cnt = &nt;
		i = 2;
	}
	while (i < n) {
		size_t start = i;
		unsigned v = 0;
		if (nh + nt >= 8)
			return -1;
		while (i < n && hexval(s[i]) >= 0 && i - start < 4)
			v = v * 16 + (unsigned)hexval(s[i++]);
		if (i < n && s[i] == '.') {
			uint8_t v4[4];
			if (nh + nt > 6 || ipv4(s + start, n - start, v4) != 0)
				return -1;
			g[(*cnt)++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[(*cnt)++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = n;
			break;
		}
		if (i == start)
			return -1;
		g[(*cnt)++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < n && s[i] == ':') {
			if (g == tail)
				return -1;
			g = tail;
			cnt = &nt;
			i++;
		} else if (i == n) {
			return -1;
		}
	}
	if (g == head && nh != 8)
		return -1;
	memset(out, 0, 16);
	for (int k = 0; k < nh; k++)
		out[2 * k] = (uint8_t)(head[k] >> 8), out[2 * k + 1] = (uint8_t)head[k];
	for (int k = 0; k < nt; k++) {
		int at = 8 - nt + k;
		out[2 * at] = (uint8_t)(tail[k] >> 8), out[2 * at + 1] = (uint8_t)tail[k];
	}
	return 0;
}

static int port(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "PROXY TCP4 src dst sport dport\r\n" or "PROXY UNKNOWN ...\r\n". */
static enum proxy_result parse_v1(const uint8_t *p, size_t n, struct proxy_addr *out,
				  size_t *consumed)
{
	const char *s = (const char *)p;
	const char *f[6];
	size_t fl[6], nf = 0, end, i;
	uint8_t dst[16];
	uint16_t dport;

	for (i = 0; i < n && i < 6; i++)
		if (p[i] != (uint8_t) "PROXY "[i])
			return PROXY_BAD;
	for (end = 0; end + 1 < n && end < PROXY_V1_MAX; end++)
		if (p[end] == '\r' && p[end + 1] == '\n')
			break;
	if (end + 1 >= n || p[end] != '\r')
		return n >= PROXY_V1_MAX ? PROXY_BAD : PROXY_MORE;
	for (i = 6; i < end && nf < 6;) {
		size_t start = i;
		while (i < end && s[i] != ' ')
			i++;
		f[nf] = s + start;
		fl[nf++] = i - start;
		if (i < end)
			i++;
	}
	memset(out, 0, sizeof(*out));
	*consumed = end + 2;
	if (nf >= 1 && fl[0] == 7 && memcmp(f[0], "UNKNOWN", 7) == 0)
		return PROXY_DONE;
	if (nf != 5 || i < end || fl[0] != 4)
		return PROXY_BAD;
	if (memcmp(f[0], "TCP4", 4) == 0) {
		out->family = 4;
		if (ipv4(f[1], fl[1], out->addr) != 0 || ipv4(f[2], fl[2], dst) != 0)
			return PROXY_BAD;
	} else if (memcmp(f[0], "TCP6", 4) == 0) {
		out->family = 6;
		if (ipv6(f[1], fl[1], out->addr) != 0 || ipv6(f[2], fl[2], dst) != 0)
			return PROXY_BAD;
	} else {
		return PROXY_BAD;
	}
	if (port(f[3], fl[3], &out->port) != 0 || port(f[4], fl[4], &dport) != 0)
		return PROXY_BAD;
	return PROXY_DONE;
}

static enum proxy_result parse_v2(const uint8_t *p, size_t n, struct proxy_addr *out,
				  size_t *consumed)
{
	size_t len;

	if (memcmp(p, v2_sig, n < 12 ? n : 12) != 0)
		return PROXY_BAD;
	if (n < 16)
		return PROXY_MORE;
	if ((p[12] & 0xF0) != 0x20 || (p[12] & 0x0F) > 1)
		return PROXY_BAD;
	len = (size_t)p[14] << 8 | p[15];
	if (16 + len > PROXY_V2_MAX)
		return PROXY_BAD;
	if (n < 16 + len)
		return PROXY_MORE;
	memset(out, 0, sizeof(*out));
	*consumed = 16 + len;
	if ((p[12] & 0x0F) == 0) /* LOCAL: a health check from the balancer itself */
		return PROXY_DONE;
	switch (p[13]) {
	case 0x11: /* TCP over IPv4 */
		if (len < 12)
			return PROXY_BAD;
		out->family = 4;
		memcpy(out->addr, p + 16, 4);
		out->port = (uint16_t)(p[24] << 8 | p[25]);
		return PROXY_DONE;
	case 0x21: /* TCP over IPv6 */
		if (len < 36)
			return PROXY_BAD;
		out->family = 6;
		memcpy(out->addr, p + 16, 16);
		out->port = (uint16_t)(p[48] << 8 | p[49]);
		return PROXY_DONE;
	case 0x00: /* UNSPEC */
		return PROXY_DONE;
	default:
		return PROXY_BAD;
	}
}

enum proxy_result proxy_parse(int version, const uint8_t *p, size_t n, struct proxy_addr *out,
			      size_t *consumed)
{
	*consumed = 0;
	if (n == 0)
		return PROXY_MORE;
	return version == 2 ? parse_v2(p, n, out, consumed) : parse_v1(p, n, out, consumed);
}
