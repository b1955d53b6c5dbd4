/*
 * proxy.h - the PROXY protocol header (HAProxy, versions 1 and 2) that a load balancer sends
 * before SMTP starts, carrying the client's real address.
 *
 * Pure: no I/O. Bounded: version 1 headers are at most 107 octets, version 2 at most 16 + 216
 * here (longer TLV sections are refused), so a peer cannot make the caller buffer more.
 */
#ifndef TERN_PROTO_PROXY_H
#define TERN_PROTO_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX 107
#define PROXY_V2_MAX (16 + 216)

enum proxy_result {
	PROXY_MORE = 0, /* incomplete: feed more */
	PROXY_DONE,	/* parsed; *consumed octets belong to the header */
	PROXY_BAD,	/* not a valid header of the expected version: close the connection */
};

struct proxy_addr {
	int family; /* 4 or 6; 0 when the header says UNKNOWN / LOCAL (keep the socket's) */
	uint8_t addr[16];
	uint16_t port;
};

enum proxy_result proxy_parse(int version, const uint8_t *p, size_t n, struct proxy_addr *out,
			      size_t *consumed);

#endif
