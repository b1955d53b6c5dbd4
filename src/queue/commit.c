/*
 * commit.c - the flusher thread and its hand-back to the event loop (see commit.h).
 */
#include "queue/commit.h"

#include <errno.h>

static void *flusher(void *arg)
{
	struct committer *cm = arg;
	uint64_t target;

	pthread_mutex_lock(&cm->mu);
	for (;;) {
		while (!cm->stop && cm->want <= cm->synced)
			pthread_cond_wait(&cm->cv, &cm->mu);
		if (cm->stop)
			break;
		target = cm->want;
		pthread_mutex_unlock(&cm->mu);
		/* The result per message is read back by the loop (spool_sync_status): a failed
		 * round fails exactly the records it covered. */
		(void)spool_sync(cm->spool, target);
		pthread_mutex_lock(&cm->mu);
		cm->synced = target;
		uv_async_send(&cm->async);
	}
	pthread_mutex_unlock(&cm->mu);
	return NULL;
}

/* On the loop: answer, in order, every waiter whose record is settled. */
static void on_settled(uv_async_t *a)
{
	struct committer *cm = a->data;
	struct commit_waiter *w;
	int rc;

	while ((w = cm->head) != NULL &&
	       (rc = spool_sync_status(cm->spool, w->seq)) != -EINPROGRESS) {
		cm->head = w->next;
		if (cm->head == NULL)
			cm->tail = NULL;
		w->done(w, rc);
	}
}

int committer_start(struct committer *cm, uv_loop_t *loop, struct spool *sp)
{
	int rc;

	cm->spool = sp;
	cm->want = cm->synced = 0;
	cm->stop = false;
	cm->head = cm->tail = NULL;
	if ((rc = uv_async_init(loop, &cm->async, on_settled)) != 0)
		return rc;
	cm->async.data = cm;
	pthread_mutex_init(&cm->mu, NULL);
	pthread_cond_init(&cm->cv, NULL);
	if ((rc = pthread_create(&cm->thread, NULL, flusher, cm)) != 0) {
		uv_close((uv_handle_t *)&cm->async, NULL);
		return -rc;
	}
	cm->running = true;
	return 0;
}

void committer_wait(struct committer *cm, struct commit_waiter *w)
{
	w->next = NULL;
	if (cm->tail != NULL)
		cm->tail->next = w;
	else
		cm->head = w;
	cm->tail = w;
	pthread_mutex_lock(&cm->mu);
	if (w->seq > cm->want) {
		cm->want = w->seq;
		pthread_cond_signal(&cm->cv);
	}
	pthread_mutex_unlock(&cm->mu);
}

void committer_stop(struct committer *cm)
{
	if (!cm->running)
		return;
	pthread_mutex_lock(&cm->mu);
	cm->stop = true;
	pthread_cond_signal(&cm->cv);
	pthread_mutex_unlock(&cm->mu);
	pthread_join(cm->thread, NULL);
	cm->running = false;
	pthread_mutex_destroy(&cm->mu);
	pthread_cond_destroy(&cm->cv);
	uv_close((uv_handle_t *)&cm->async, NULL);
}
