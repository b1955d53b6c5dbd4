/*
 * psl.c - the Public Suffix List (see psl.h).
 */
#include "psl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LABELS_MAX 128 /* a domain name has at most 127 labels */

struct psl {
	char *text;   /* the rules, each NUL-terminated */
	char **rules; /* sorted */
	size_t n;
};

static int cmp_rule(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

struct psl *psl_parse(const char *text, size_t len)
{
	struct psl *p = calloc(1, sizeof(*p));
	size_t cap = 0, w = 0;

	if (p == NULL || (p->text = malloc(len + 1)) == NULL)
		goto fail;
	for (size_t i = 0; i < len;) {
		size_t end = i, start;

		while (end < len && text[end] != '\n')
			end++;
		start = w;
		/* a rule is the line's first word; "//" starts a comment */
		if (!(end - i >= 2 && text[i] == '/' && text[i + 1] == '/'))
			for (size_t k = i; k < end && !is_space(text[k]); k++)
				p->text[w++] = lower(text[k]);
		if (w > start) {
			p->text[w++] = '\0';
			if (p->n == cap) {
				size_t ncap = cap ? cap * 2 : 4096;
				char **v = realloc(p->rules, ncap * sizeof(*v));
				if (v == NULL)
					goto fail;
				p->rules = v;
				cap = ncap;
			}
			p->rules[p->n++] =
				(char *)(uintptr_t)start; /* an offset until text is done */
		}
		i = end + 1;
	}
	if (p->n == 0)
		goto fail;
	for (size_t i = 0; i < p->n; i++)
		p->rules[i] = p->text + (uintptr_t)p->rules[i];
	qsort(p->rules, p->n, sizeof(*p->rules), cmp_rule);
	return p;
fail:
	psl_free(p);
	return NULL;
}

void psl_free(struct psl *p)
{
	if (p == NULL)
		return;
	free(p->rules);
	free(p->text);
	free(p);
}

size_t psl_rules(const struct psl *p)
{
	return p != NULL ? p->n : 0;
}

/* Whether prefix + name[0..len) (lowercased) is a rule. */
static bool has_rule(const struct psl *p, const char *prefix, const char *name, size_t len)
{
	char key[300];
	size_t pl = strlen(prefix);
	const char *k = key;

	if (pl + len >= sizeof(key))
		return false;
	memcpy(key, prefix, pl);
	for (size_t i = 0; i < len; i++)
		key[pl + i] = lower(name[i]);
	key[pl + len] = '\0';
	return bsearch(&k, p->rules, p->n, sizeof(*p->rules), cmp_rule) != NULL;
}

const char *psl_org_domain(const struct psl *p, const char *d)
{
	const char *start[LABELS_MAX]; /* start[i]: the name of the last i + 1 labels */
	size_t len = strlen(d), n = 0, suffix = 1;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0)
		return d;
	for (size_t i = len; n < LABELS_MAX; i--) {
		if (i == 0 || d[i - 1] == '.') {
			start[n++] = d + i;
			if (i == 0)
				break;
		}
	}
	for (size_t k = 1; k <= n; k++) {
		const char *s = start[k - 1];
		size_t sl = (size_t)(d + len - s);

		if (has_rule(p, "!", s, sl)) { /* an exception: its parent is the suffix */
			suffix = k - 1;
			break;
		}
		if (has_rule(p, "", s, sl) ||
		    (k >= 2 && has_rule(p, "*.", start[k - 2], (size_t)(d + len - start[k - 2]))))
			suffix = k;
	}
	return suffix < n ? start[suffix] : d;
}
