/*
 * hmap.c - chained hash map with keyed SipHash (see hmap.h).
 */
#include "lib/hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct node {
	struct node *next;
	void *v;
	uint64_t h;
	char key[]; /* NUL-terminated */
};

struct hmap {
	struct node **b;
	size_t nb; /* a power of two */
	size_t count;
	unsigned char k[crypto_shorthash_KEYBYTES];
};

static uint64_t hash(const struct hmap *m, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), m->k);
	memcpy(&h, out, sizeof(h));
	return h;
}

struct hmap *hmap_new(void)
{
	struct hmap *m;

	if (sodium_init() < 0 || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->nb = 16;
	if ((m->b = calloc(m->nb, sizeof(*m->b))) == NULL) {
		free(m);
		return NULL;
	}
	crypto_shorthash_keygen(m->k);
	return m;
}

void hmap_free(struct hmap *m, void (*free_value)(void *v))
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		for (struct node *n = m->b[i], *next; n != NULL; n = next) {
			next = n->next;
			if (free_value != NULL)
				free_value(n->v);
			free(n);
		}
	}
	free(m->b);
	free(m);
}

static struct node **find(const struct hmap *m, const char *key, uint64_t h)
{
	struct node **p = &m->b[h & (m->nb - 1)];

	while (*p != NULL && ((*p)->h != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next;
	return p;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct node *n = *find(m, key, hash(m, key));

	return n != NULL ? n->v : NULL;
}

/* Doubles the bucket array; on failure the map just stays denser. */
static void grow(struct hmap *m)
{
	size_t nb = m->nb * 2;
	struct node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		for (struct node *n = m->b[i], *next; n != NULL; n = next) {
			next = n->next;
			n->next = b[n->h & (nb - 1)];
			b[n->h & (nb - 1)] = n;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

bool hmap_put(struct hmap *m, const char *key, void *v, void **old)
{
	uint64_t h = hash(m, key);
	struct node **p = find(m, key, h), *n;
	size_t len = strlen(key);

	if (old != NULL)
		*old = NULL;
	if (*p != NULL) {
		if (old != NULL)
			*old = (*p)->v;
		(*p)->v = v;
		return true;
	}
	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		return false;
	n->next = NULL;
	n->v = v;
	n->h = h;
	memcpy(n->key, key, len + 1);
	*p = n;
	if (++m->count > m->nb)
		grow(m);
	return true;
}

void *hmap_remove(struct hmap *m, const char *key)
{
	struct node **p = find(m, key, hash(m, key)), *n = *p;
	void *v;

	if (n == NULL)
		return NULL;
	*p = n->next;
	v = n->v;
	free(n);
	m->count--;
	return v;
}

size_t hmap_count(const struct hmap *m)
{
	return m->count;
}

void hmap_sweep(struct hmap *m, bool (*cb)(const char *key, void *v, void *ctx), void *ctx)
{
	for (size_t i = 0; i < m->nb; i++) {
		struct node **p = &m->b[i];
		while (*p != NULL) {
			struct node *n = *p;
			if (cb(n->key, n->v, ctx)) {
				*p = n->next;
				free(n);
				m->count--;
			} else {
				p = &n->next;
			}
		}
	}
}
