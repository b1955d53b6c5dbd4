/*
 * address.h - mailbox addresses of the SMTP envelope (RFC 5321 4.1.2, RFC 6531).
 *
 * Parses a reverse-path or forward-path ("<local@domain>", with an optional and ignored
 * source route) and checks every part: dot-string or quoted-string local part, domain of
 * LDH labels or an address literal, and the length limits of RFC 5321 4.5.3.1. UTF-8 is
 * accepted only when the transaction uses SMTPUTF8. Pure: no I/O, no allocation.
 */
#ifndef TERN_PROTO_ADDRESS_H
#define TERN_PROTO_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_LOCAL_MAX  64  /* octets of a local part */
#define ADDRESS_DOMAIN_MAX 255 /* octets of a domain */
#define ADDRESS_PATH_MAX   256 /* octets of a path, brackets included */
#define ADDRESS_MAX	   (ADDRESS_LOCAL_MAX + 1 + ADDRESS_DOMAIN_MAX)

enum address_error {
	ADDRESS_OK = 0,
	ADDRESS_E_NO_BRACKETS, /* not "<...>" */
	ADDRESS_E_TOO_LONG,    /* a part over its limit */
	ADDRESS_E_SYNTAX,      /* not a mailbox */
	ADDRESS_E_NEEDS_UTF8,  /* non-ASCII without SMTPUTF8 */
};

struct address {
	char text[ADDRESS_MAX + 1]; /* "local@domain", or "" for the null path "<>" */
	size_t local_len;	    /* the local part is text[0..local_len) */
	bool is_null;
	bool utf8; /* holds non-ASCII octets */
};

/* Parses the path s[0..len) (brackets included). `allow_null` admits "<>" (reverse-path);
 * `smtputf8` admits UTF-8 in the local part and domain. */
enum address_error address_parse_path(const char *s, size_t len, bool allow_null, bool smtputf8,
				      struct address *out);

/* Checks a bare "local@domain" (no brackets), e.g. from configuration or a header. */
enum address_error address_parse(const char *s, size_t len, bool smtputf8, struct address *out);

/* The domain part of a parsed, non-null address. */
static inline const char *address_domain(const struct address *a)
{
	return a->text + a->local_len + 1;
}

#endif
