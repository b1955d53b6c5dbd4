/*
 * psl.h - the Public Suffix List (publicsuffix.org): which part of a domain name is a public
 * suffix (com, co.uk, github.io), and so which is the organizational domain DMARC aligns on
 * (RFC 7489 3.2: the suffix and one label more).
 *
 * Pure: the list's text comes in (Debian's publicsuffix package installs it as
 * /usr/share/publicsuffix/public_suffix_list.dat); rules are kept sorted and looked up by
 * binary search. The algorithm is the list's own: the matching rules decide, an exception
 * rule (!) wins, else the rule with the most labels; "*" when none matches.
 */
#ifndef TERN_PROTO_PSL_H
#define TERN_PROTO_PSL_H

#include <stddef.h>

struct psl;

/* Reads the list's text (comments, blank lines and everything after a rule's first white
 * space ignored; rules lowercased). NULL when out of memory or when the text holds no rule. */
struct psl *psl_parse(const char *text, size_t len);
void psl_free(struct psl *p);
size_t psl_rules(const struct psl *p);

/* The organizational domain of d: a pointer into d (the public suffix and one label more), or
 * d itself when d is a public suffix or shorter. A trailing dot of d is ignored. */
const char *psl_org_domain(const struct psl *p, const char *d);

#endif
