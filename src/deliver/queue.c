/*
 * queue.c - the delivery queue's index: every live message by id, and a binary heap of the
 * times they are next due. Loop thread only.
 *
 * A message is in the heap when something of it is due at some time and it is not held,
 * being read, in flight or finishing; its key is the earliest next_at of its waiting
 * recipients. O(log n) to schedule, O(1) to find the earliest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver_int.h"

int64_t now_ms(const struct deliver *d)
{
	struct timespec ts;

	(void)d;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool before(const struct qmsg *a, const struct qmsg *b)
{
	return a->next_at < b->next_at;
}

static void heap_set(struct deliver *d, size_t i, struct qmsg *m)
{
	d->heap[i] = m;
	m->heap_idx = (uint32_t)i;
}

static void sift_up(struct deliver *d, size_t i)
{
	struct qmsg *m = d->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(m, d->heap[parent]))
			break;
		heap_set(d, i, d->heap[parent]);
		i = parent;
	}
	heap_set(d, i, m);
}

static void sift_down(struct deliver *d, size_t i)
{
	struct qmsg *m = d->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i;
		const struct qmsg *bm = m;
		if (l < d->heap_len && before(d->heap[l], bm))
			best = l, bm = d->heap[l];
		if (r < d->heap_len && before(d->heap[r], bm))
			best = r;
		if (best == i)
			break;
		heap_set(d, i, d->heap[best]);
		i = best;
	}
	heap_set(d, i, m);
}

static void heap_remove(struct deliver *d, struct qmsg *m)
{
	size_t i = m->heap_idx;

	if (i == HEAP_NONE)
		return;
	m->heap_idx = HEAP_NONE;
	d->heap_len--;
	if (i == d->heap_len)
		return;
	heap_set(d, i, d->heap[d->heap_len]);
	sift_up(d, i);
	sift_down(d, d->heap[i]->heap_idx);
}

static bool heap_insert(struct deliver *d, struct qmsg *m)
{
	if (d->heap_len == d->heap_cap) {
		size_t cap = d->heap_cap ? d->heap_cap * 2 : 1024;
		struct qmsg **h = realloc(d->heap, cap * sizeof(*h));
		if (h == NULL)
			return false;
		d->heap = h;
		d->heap_cap = cap;
	}
	heap_set(d, d->heap_len++, m);
	sift_up(d, m->heap_idx);
	return true;
}

struct qmsg *q_peek(struct deliver *d)
{
	return d->heap_len ? d->heap[0] : NULL;
}

struct qmsg *q_add(struct deliver *d, const char *id, int64_t received, size_t nrcpt)
{
	struct qmsg *m;

	if (hmap_get(d->msgs, id) != NULL || nrcpt > UINT32_MAX)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->r = &m->first;
	if (nrcpt > 1 && (m->r = calloc(nrcpt, sizeof(*m->r))) == NULL)
		goto fail;
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->received = received;
	m->nrcpt = (uint32_t)nrcpt;
	m->heap_idx = HEAP_NONE;
	m->next_at = INT64_MAX;
	for (size_t i = 0; i < nrcpt; i++)
		m->r[i].next_at = 0;
	if (!hmap_put(d->msgs, id, m, NULL))
		goto fail;
	return m;
fail:
	if (m->r != &m->first)
		free(m->r);
	free(m);
	return NULL;
}

void q_remove(struct deliver *d, struct qmsg *m)
{
	heap_remove(d, m);
	hmap_remove(d->msgs, m->id);
	for (struct failure *f = m->fails; f != NULL;) {
		struct failure *n = f->next;
		free(f);
		f = n;
	}
	msgdata_unref(m->data);
	if (m->r != &m->first)
		free(m->r);
	free(m);
}

void q_schedule(struct deliver *d, struct qmsg *m)
{
	int64_t next = INT64_MAX;

	if (!m->held && !m->loading && !m->finishing && m->inflight == 0)
		for (uint32_t i = 0; i < m->nrcpt; i++)
			if ((m->r[i].state == RS_QUEUED || m->r[i].state == RS_DEFERRED) &&
			    m->r[i].next_at < next)
				next = m->r[i].next_at;
	if (next == INT64_MAX) {
		heap_remove(d, m);
		m->next_at = INT64_MAX;
		return;
	}
	if (m->heap_idx == HEAP_NONE) {
		m->next_at = next;
		if (!heap_insert(d, m))
			m->next_at =
				INT64_MAX; /* out of memory: picked up by the next retry sweep */
		return;
	}
	if (next != m->next_at) {
		bool up = next < m->next_at;
		m->next_at = next;
		if (up)
			sift_up(d, m->heap_idx);
		else
			sift_down(d, m->heap_idx);
	}
}
