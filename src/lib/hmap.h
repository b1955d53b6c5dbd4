/*
 * hmap.h - a map from strings to pointers, for per-user and per-client state.
 *
 * Keys may come from the network (client addresses), so the hash is keyed SipHash with a
 * random key per map: nobody can choose keys that all land in one bucket. The map grows by
 * doubling; lookups stay O(1) on average at any size. Not thread-safe: one owner thread.
 */
#ifndef TERN_LIB_HMAP_H
#define TERN_LIB_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap;

struct hmap *hmap_new(void); /* NULL when out of memory */
/* Frees the map; free_value (may be NULL) is called for each value. */
void hmap_free(struct hmap *m, void (*free_value)(void *v));

void *hmap_get(const struct hmap *m, const char *key);
/* Sets key to v (replacing and returning through *old any previous value, old may be NULL).
 * The key is copied. false when out of memory (the map is unchanged). */
bool hmap_put(struct hmap *m, const char *key, void *v, void **old);
/* Removes key; returns its value or NULL. */
void *hmap_remove(struct hmap *m, const char *key);
size_t hmap_count(const struct hmap *m);

/* Calls cb for every entry; when cb returns true the entry is removed (after cb, which may
 * free the value). */
void hmap_sweep(struct hmap *m, bool (*cb)(const char *key, void *v, void *ctx), void *ctx);

#endif
