/*
 * test_spool.c - what is acknowledged is found again: after a restart, after a crash that tore
 * the last write, after a flipped bit, after a failed flush; many writers share one flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue/spool.h"

struct fixture {
	char tmp[64]; /* the mkdtemp directory, removed afterwards */
	char dir[96]; /* the spool, inside it (spool_open creates it) */
	struct spool *sp;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->tmp, "/tmp/tern-spool-XXXXXX");
	if (mkdtemp(f->tmp) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/spool", f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	spool_close(f->sp);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct spool *reopen(struct fixture *f, struct spool_recovery *rec)
{
	char err[512] = "";

	spool_close(f->sp);
	f->sp = NULL;
	if (spool_open(f->dir, &f->sp, rec, err, sizeof(err)) != 0)
		fail_msg("spool_open: %s", err);
	return f->sp;
}

static const char *const two_rcpts[] = { "bob@example.org", "carol@example.net" };

static struct spool_envelope envelope(void)
{
	struct spool_envelope env = {
		.mail_from = "alice@example.com",
		.rcpts = two_rcpts,
		.rcpt_count = 2,
		.user = "app1",
		.client = "127.0.0.1",
		.helo = "client.example",
		.received = 1767225600,
		.smtputf8 = false,
		.body_8bit = false,
	};
	return env;
}

/* Appends and flushes one message; returns its id in id. */
static void put(struct spool *sp, const void *msg, size_t len, char *id)
{
	struct spool_envelope env = envelope();
	uint64_t seq;

	assert_int_equal(spool_append(sp, &env, msg, len, id, &seq), 0);
	assert_int_equal(spool_sync(sp, seq), 0);
}

/* The path of the only (or first) segment file. */
static void segment_path(struct fixture *f, char *out, size_t outlen)
{
	char seg[128], best[256] = "";
	struct dirent *de;
	DIR *d;

	snprintf(seg, sizeof(seg), "%s/seg", f->dir);
	assert_non_null(d = opendir(seg));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".log") == 0 &&
		    (best[0] == '\0' || strcmp(de->d_name, best) < 0))
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	assert_true(best[0] != '\0');
	assert_true((size_t)snprintf(out, outlen, "%s/%s", seg, best) < outlen);
}

static size_t count_files(const char *dir, const char *suffix)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), s = strlen(suffix);
		if (de->d_name[0] != '.' && l >= s && strcmp(de->d_name + l - s, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

struct collected {
	size_t n;
	struct spool_entry e[8];
	char last[SPOOL_ID_MAX];
	bool ordered;
};

static int collect(const struct spool_entry *e, void *ctx)
{
	struct collected *c = ctx;

	if (c->n > 0 && strcmp(c->last, e->id) >= 0)
		c->ordered = false;
	memcpy(c->last, e->id, SPOOL_ID_MAX);
	if (c->n < 8)
		c->e[c->n] = *e;
	c->n++;
	return 0;
}

static struct collected list_all(struct spool *sp)
{
	struct collected c;

	memset(&c, 0, sizeof(c));
	c.ordered = true;
	assert_int_equal(spool_list(sp, collect, &c), 0);
	return c;
}

/* --- tests ---------------------------------------------------------------------------------- */

static void message_and_envelope_come_back_byte_exact_after_restart(void **state)
{
	struct fixture *f = *state;
	struct spool_recovery rec;
	struct spool_envelope env = envelope();
	struct spool_message m;
	struct collected c;
	char id[SPOOL_ID_MAX], seg[256];
	uint8_t msg[3000];
	uint64_t seq;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7); /* every byte value, NUL and CR LF included */
	env.smtputf8 = true;
	env.body_8bit = true;
	env.user = "";
	env.mail_from = "";
	reopen(f, &rec);
	assert_int_equal(rec.messages, 0);
	assert_int_equal(spool_append(f->sp, &env, msg, sizeof(msg), id, &seq), 0);
	assert_int_equal(spool_sync(f->sp, seq), 0);
	assert_int_equal(spool_sync(f->sp, seq), 0); /* covered already: returns at once */

	reopen(f, &rec);
	assert_int_equal(rec.messages, 1);
	assert_int_equal(rec.torn, 0);
	assert_int_equal(rec.quarantined, 0);
	assert_int_equal(spool_read(f->sp, id, &m), 0);
	assert_string_equal(m.id, id);
	assert_string_equal(m.mail_from, "");
	assert_int_equal(m.rcpt_count, 2);
	assert_string_equal(m.rcpts[0], "bob@example.org");
	assert_string_equal(m.rcpts[1], "carol@example.net");
	assert_string_equal(m.user, "");
	assert_string_equal(m.client, "127.0.0.1");
	assert_string_equal(m.helo, "client.example");
	assert_int_equal(m.received, 1767225600);
	assert_true(m.smtputf8);
	assert_true(m.body_8bit);
	assert_int_equal(m.data.len, sizeof(msg));
	assert_memory_equal(m.data.data, msg, sizeof(msg));
	spool_message_free(&m);

	c = list_all(f->sp);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.e[0].id, id);
	assert_int_equal(c.e[0].size, sizeof(msg));
	assert_int_equal(c.e[0].rcpt_count, 2);
	assert_int_equal(c.e[0].received, 1767225600);

	assert_int_equal(spool_done(f->sp, id), 0);
	assert_int_equal(spool_done(f->sp, id), -ENOENT);
	assert_int_equal(list_all(f->sp).n, 0);
	assert_int_equal(spool_read(f->sp, id, &m), -ENOENT);

	reopen(f, &rec);
	assert_int_equal(rec.messages, 0);
	assert_int_equal(spool_read(f->sp, id, &m), -ENOENT);
	snprintf(seg, sizeof(seg), "%s/seg", f->dir);
	assert_int_equal(count_files(seg, ".log"), 0); /* nothing live: the segment is gone */
}

static void done_survives_restart_and_list_is_oldest_first(void **state)
{
	struct fixture *f = *state;
	struct spool_recovery rec;
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX], c[SPOOL_ID_MAX];
	struct collected l;

	reopen(f, NULL);
	put(f->sp, "one", 3, a);
	put(f->sp, "two", 3, b);
	put(f->sp, "three", 5, c);
	assert_int_equal(spool_done(f->sp, b), 0);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 2);
	l = list_all(f->sp);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.e[0].id, a);
	assert_string_equal(l.e[1].id, c);
	assert_string_equal(l.e[0].mail_from, "alice@example.com");
	assert_int_equal(spool_done(f->sp, "NOSUCHID"), -ENOENT);
}

static void many_done_share_one_flush(void **state)
{
	struct fixture *f = *state;
	struct spool_recovery rec;
	struct spool_stats before, after;
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX], c[SPOOL_ID_MAX];
	const char *ids[4];
	int rcs[4];

	reopen(f, NULL);
	put(f->sp, "one", 3, a);
	put(f->sp, "two", 3, b);
	put(f->sp, "three", 5, c);
	ids[0] = a;
	ids[1] = "NOSUCHID";
	ids[2] = c;
	ids[3] = a; /* twice in one call: the second is not live any more */
	spool_get_stats(f->sp, &before);
	spool_done_many(f->sp, ids, 4, rcs);
	spool_get_stats(f->sp, &after);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], -ENOENT);
	assert_int_equal(rcs[2], 0);
	assert_int_equal(rcs[3], -ENOENT);
	assert_int_equal(after.done_syncs - before.done_syncs, 1);
	assert_int_equal(after.live, 1);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 1);
	assert_int_equal(list_all(f->sp).n, 1);
	assert_string_equal(list_all(f->sp).e[0].id, b);
}

struct writer {
	struct spool *sp;
	pthread_mutex_t *mu;
	int failures;
	char ids[200][SPOOL_ID_MAX];
};

/* Like the submission server: the append happens on one thread at a time (the event loop),
 * the wait for durability on a worker. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct spool_envelope env = envelope();
	char msg[2048];
	uint64_t seq;

	memset(msg, 'x', sizeof(msg));
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(w->mu);
		if (spool_append(w->sp, &env, (const uint8_t *)msg, sizeof(msg), w->ids[i], &seq))
			w->failures++;
		pthread_mutex_unlock(w->mu);
		if (spool_sync(w->sp, seq) != 0)
			w->failures++;
	}
	for (int i = 0; i < 200; i += 2)
		if (spool_done(w->sp, w->ids[i]) != 0)
			w->failures++;
	return NULL;
}

static void concurrent_writers_share_flushes(void **state)
{
	struct fixture *f = *state;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct writer *w = calloc(8, sizeof(*w));
	pthread_t th[8];
	struct spool_stats st;
	struct spool_recovery rec;

	assert_non_null(w);
	reopen(f, NULL);
	for (int i = 0; i < 8; i++) {
		w[i].sp = f->sp;
		w[i].mu = &mu;
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	spool_get_stats(f->sp, &st);
	print_message(
		"group commit: %llu records, %llu fdatasyncs; %llu done-marks, %llu fdatasyncs\n",
		(unsigned long long)st.records, (unsigned long long)st.syncs,
		(unsigned long long)st.done, (unsigned long long)st.done_syncs);
	assert_int_equal(st.records, 1600);
	assert_true(st.syncs < st.records);
	assert_int_equal(st.done, 800);
	assert_int_equal(st.live, 800);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 800);
	for (int i = 0; i < 8; i++) {
		struct spool_message m;
		assert_int_equal(spool_read(f->sp, w[i].ids[0], &m), -ENOENT);
		assert_int_equal(spool_read(f->sp, w[i].ids[199], &m), 0);
		assert_int_equal(m.data.len, 2048);
		spool_message_free(&m);
	}
	free(w);
}

static void torn_tail_is_cut_and_the_rest_survives(void **state)
{
	struct fixture *f = *state;
	struct spool_recovery rec;
	struct spool_message m;
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX], c[SPOOL_ID_MAX], seg[256];
	static uint8_t big[10240];
	off_t after_a, after_b;

	memset(big, 'b', sizeof(big));
	reopen(f, NULL);
	put(f->sp, "first message\r\n", 15, a);
	segment_path(f, seg, sizeof(seg));
	after_a = file_size(seg);
	put(f->sp, big, sizeof(big), b);
	after_b = file_size(seg);
	spool_close(f->sp);
	f->sp = NULL;
	/* a crash in the middle of writing the second record */
	assert_int_equal(truncate(seg, after_a + (after_b - after_a) / 2), 0);

	reopen(f, &rec);
	assert_int_equal(rec.torn, 1);
	assert_int_equal(rec.quarantined, 0);
	assert_int_equal(rec.messages, 1);
	assert_int_equal(file_size(seg), after_a);
	assert_int_equal(spool_read(f->sp, a, &m), 0);
	assert_memory_equal(m.data.data, "first message\r\n", 15);
	spool_message_free(&m);
	assert_int_equal(spool_read(f->sp, b, &m), -ENOENT);

	put(f->sp, "third", 5, c);
	reopen(f, &rec);
	assert_int_equal(rec.torn, 0);
	assert_int_equal(rec.messages, 2);
}

static void corrupt_record_is_quarantined_and_the_others_live(void **state)
{
	struct fixture *f = *state;
	/* a bit flipped in the message body, and one in the header's length field */
	const long where[2] = { -2, 9 };

	for (int k = 0; k < 2; k++) {
		struct spool_recovery rec;
		struct spool_message m;
		char ids[3][SPOOL_ID_MAX], seg[256], qdir[128];
		off_t first_end;
		uint8_t byte;
		int fd;

		reopen(f, NULL);
		put(f->sp, "message one, soon to be damaged", 31, ids[0]);
		segment_path(f, seg, sizeof(seg));
		first_end = file_size(seg);
		put(f->sp, "message two", 11, ids[1]);
		put(f->sp, "message three", 13, ids[2]);
		spool_close(f->sp);
		f->sp = NULL;

		assert_true((fd = open(seg, O_RDWR)) >= 0);
		off_t at = where[k] < 0 ? first_end + where[k] : where[k];
		assert_int_equal(pread(fd, &byte, 1, at), 1);
		byte ^= 0x10;
		assert_int_equal(pwrite(fd, &byte, 1, at), 1);
		close(fd);

		reopen(f, &rec);
		assert_int_equal(rec.quarantined, 1);
		assert_int_equal(rec.torn, 0);
		assert_int_equal(rec.messages, 2);
		assert_int_equal(spool_read(f->sp, ids[0], &m), -ENOENT);
		assert_int_equal(spool_read(f->sp, ids[1], &m), 0);
		assert_memory_equal(m.data.data, "message two", 11);
		spool_message_free(&m);
		assert_int_equal(spool_read(f->sp, ids[2], &m), 0);
		assert_memory_equal(m.data.data, "message three", 13);
		spool_message_free(&m);
		snprintf(qdir, sizeof(qdir), "%s/quarantine", f->dir);
		assert_int_equal(count_files(qdir, ".bad"), (size_t)k + 1);

		/* repaired: the next open does not count it again */
		reopen(f, &rec);
		assert_int_equal(rec.quarantined, 0);
		assert_int_equal(rec.messages, 2);
		assert_int_equal(spool_done(f->sp, ids[1]), 0);
		assert_int_equal(spool_done(f->sp, ids[2]), 0);
	}
}

static int failing_sync(int fd, void *ctx)
{
	(void)fd;
	(*(int *)ctx)++;
	errno = EIO;
	return -1;
}

static void failed_flush_means_not_accepted_ever(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = envelope();
	struct spool_recovery rec;
	struct spool_message m;
	char ids[3][SPOOL_ID_MAX], good[SPOOL_ID_MAX], before[SPOOL_ID_MAX];
	uint64_t seq[3];
	int calls = 0;

	reopen(f, NULL);
	put(f->sp, "durable before", 14, before);
	spool_set_sync_fn(f->sp, failing_sync, &calls);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
			spool_append(f->sp, &env, (const uint8_t *)"lost", 4, ids[i], &seq[i]), 0);
	assert_int_equal(spool_sync_status(f->sp, seq[0]), -EINPROGRESS);
	assert_int_equal(spool_sync(f->sp, seq[2]), -EIO);
	assert_int_equal(spool_sync(f->sp, seq[0]), -EIO); /* all three were in that flush */
	assert_int_equal(spool_sync_status(f->sp, seq[1]), -EIO);
	assert_int_equal(spool_sync_status(f->sp, seq[0] - 1), 0); /* the one before */
	assert_true(calls >= 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(spool_read(f->sp, ids[i], &m), -ENOENT);
	assert_int_equal(list_all(f->sp).n, 1);

	spool_set_sync_fn(f->sp, NULL, NULL);
	put(f->sp, "after the failure", 17, good);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 2);
	assert_int_equal(rec.torn, 0);
	assert_int_equal(rec.quarantined, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(spool_read(f->sp, ids[i], &m), -ENOENT);
	assert_int_equal(spool_read(f->sp, good, &m), 0);
	assert_memory_equal(m.data.data, "after the failure", 17);
	spool_message_free(&m);
}

static void write_error_leaves_nothing_behind(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = envelope();
	struct spool_recovery rec;
	struct rlimit old, lim;
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX], id[SPOOL_ID_MAX], seg[256];
	static uint8_t big[10240];
	off_t size;
	uint64_t seq;
	int rc;

	reopen(f, NULL);
	put(f->sp, "fits", 4, a);
	segment_path(f, seg, sizeof(seg));
	size = file_size(seg);
	/* a file size limit makes the write stop half way, as a full disk would */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 5000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = spool_append(f->sp, &env, big, sizeof(big), id, &seq);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(file_size(seg), size);

	put(f->sp, big, sizeof(big), b);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 2);
	assert_int_equal(rec.torn, 0);
	assert_int_equal(rec.quarantined, 0);
}

static void second_open_is_refused_while_in_use(void **state)
{
	struct fixture *f = *state;
	struct spool *other = NULL;
	char err[512] = "";

	reopen(f, NULL);
	assert_int_equal(spool_open(f->dir, &other, NULL, err, sizeof(err)), -1);
	assert_null(other);
	assert_non_null(strstr(err, "is in use by another tern process"));
	assert_non_null(strstr(err, f->dir));
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(spool_open(f->dir, &other, NULL, err, sizeof(err)), 0);
	spool_close(other);
}

static void unwritable_directory_is_explained(void **state)
{
	struct spool *sp = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(spool_open("/proc/tern-no-such/spool", &sp, NULL, err, sizeof(err)), -1);
	assert_null(sp);
	assert_non_null(strstr(err, "cannot create spool directory /proc/tern-no-such"));
	assert_non_null(strstr(err, "check that tern may write there"));
}

static int count_only(const struct spool_entry *e, void *ctx)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

static int stop_at_three(const struct spool_entry *e, void *ctx)
{
	(void)e;
	return ++*(size_t *)ctx == 3 ? 42 : 0;
}

/* `tern queue` looks at the spool while the server owns it: it sees the owner's messages,
 * writes nothing, and leaves damage and a half-written tail for the owner to deal with. */
static void readonly_open_looks_without_touching(void **state)
{
	struct fixture *f = *state;
	struct spool *ro = NULL;
	struct spool_message m;
	char ids[3][SPOOL_ID_MAX], seg[256], qdir[128], err[512] = "", id[SPOOL_ID_MAX];
	struct spool_envelope env = envelope();
	size_t n = 0;
	uint64_t seq;
	off_t size;
	int fd;

	assert_int_equal(spool_open_readonly(f->dir, &ro, err, sizeof(err)), -1);
	assert_null(ro);
	assert_non_null(strstr(err, f->dir));
	assert_int_equal(access(f->dir, F_OK), -1); /* not created by a reader */

	reopen(f, NULL);
	put(f->sp, "first", 5, ids[0]);
	put(f->sp, "second", 6, ids[1]);
	put(f->sp, "third", 5, ids[2]);
	assert_int_equal(spool_done(f->sp, ids[1]), 0);
	segment_path(f, seg, sizeof(seg));
	/* the start of a record that is still being written */
	assert_true((fd = open(seg, O_WRONLY | O_APPEND)) >= 0);
	assert_int_equal(write(fd, "\xFETSP\x01\x01\x00\x00\xff\x00", 10), 10);
	close(fd);
	size = file_size(seg);

	/* the owner holds the spool; the reader gets in anyway */
	assert_int_equal(spool_open_readonly(f->dir, &ro, err, sizeof(err)), 0);
	assert_int_equal(spool_list(ro, count_only, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(spool_read(ro, ids[2], &m), 0);
	assert_memory_equal(m.data.data, "third", 5);
	spool_message_free(&m);
	assert_int_equal(spool_read(ro, ids[1], &m), -ENOENT);
	assert_int_equal(spool_append(ro, &env, (const uint8_t *)"x", 1, id, &seq), -EROFS);
	assert_int_equal(spool_sync(ro, 1), -EROFS);
	assert_int_equal(spool_done(ro, ids[0]), -EROFS);
	spool_close(ro);
	assert_int_equal(file_size(seg), size); /* the tail was left alone */
	snprintf(qdir, sizeof(qdir), "%s/quarantine", f->dir);
	assert_int_equal(count_files(qdir, ".bad"), 0);

	/* the owner still works after the reader has gone */
	put(f->sp, "fourth", 6, id);
	assert_int_equal(spool_read(f->sp, id, &m), 0);
	spool_message_free(&m);
}

/* The Received field names the queue id, which only spool_append knows. */
static void id_slot_gets_the_id(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = envelope();
	uint8_t msg[] = "Received: by x id ????????????????;\r\n\r\nbody\r\n";
	char id[SPOOL_ID_MAX];
	struct spool_message m;
	uint64_t seq;

	reopen(f, NULL);
	env.id_slot = msg + sizeof(msg) - 1; /* past the end: refused */
	assert_int_equal(spool_append(f->sp, &env, msg, sizeof(msg) - 1, id, &seq), -EINVAL);
	env.id_slot = msg + 19;
	assert_int_equal(spool_append(f->sp, &env, msg, sizeof(msg) - 1, id, &seq), 0);
	assert_int_equal(spool_sync(f->sp, seq), 0);
	assert_int_equal(strlen(id), SPOOL_ID_LEN);
	assert_memory_equal(msg + 19, id, SPOOL_ID_LEN);
	reopen(f, NULL); /* the checksum covers the filled-in id */
	assert_int_equal(spool_read(f->sp, id, &m), 0);
	assert_memory_equal(m.data.data + 19, id, SPOOL_ID_LEN);
	spool_message_free(&m);
}

static void ids_are_unique_and_increasing(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = envelope();
	char prev[SPOOL_ID_MAX] = "", id[SPOOL_ID_MAX];
	struct collected c;
	uint64_t seq = 0;
	size_t n = 0;

	reopen(f, NULL);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(spool_append(f->sp, &env, (const uint8_t *)"m", 1, id, &seq), 0);
		assert_true(strlen(id) >= 16 && strlen(id) <= 20);
		assert_int_equal(strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), strlen(id));
		assert_true(strcmp(prev, id) < 0);
		memcpy(prev, id, sizeof(prev));
	}
	assert_int_equal(spool_sync(f->sp, seq), 0);
	c = list_all(f->sp);
	assert_int_equal(c.n, 10000);
	assert_true(c.ordered);
	assert_int_equal(spool_list(f->sp, stop_at_three, &n), 42);

	/* and after a restart, new ids still sort after the old ones */
	reopen(f, NULL);
	assert_int_equal(spool_append(f->sp, &env, (const uint8_t *)"m", 1, id, &seq), 0);
	assert_true(strcmp(prev, id) < 0);
	n = 0;
	assert_int_equal(spool_list(f->sp, count_only, &n), 0);
	assert_int_equal(n, 10001);
}

static void full_segments_roll_over_and_go_when_done(void **state)
{
	struct fixture *f = *state;
	char ids[40][SPOOL_ID_MAX], segdir[128];
	static uint8_t big[10240];
	struct spool_stats st;
	struct spool_recovery rec;

	memset(big, 'r', sizeof(big));
	reopen(f, NULL);
	spool_set_segment_size(f->sp, 64 * 1024);
	for (int i = 0; i < 40; i++)
		put(f->sp, big, sizeof(big), ids[i]);
	spool_get_stats(f->sp, &st);
	assert_true(st.segments >= 6);
	for (int i = 0; i < 40; i++)
		assert_int_equal(spool_done(f->sp, ids[i]), 0);
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.segments, 1); /* the one taking appends stays */
	assert_int_equal(st.live, 0);
	reopen(f, &rec);
	assert_int_equal(rec.messages, 0);
	snprintf(segdir, sizeof(segdir), "%s/seg", f->dir);
	assert_int_equal(count_files(segdir, ".log"), 0);
	assert_int_equal(count_files(segdir, ".done"), 0);
}

static void free_space_is_checked(void **state)
{
	struct fixture *f = *state;

	reopen(f, NULL);
	assert_true(spool_space_ok(f->sp, 0));
	assert_false(spool_space_ok(f->sp, UINT64_MAX));
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void throughput_of_10k_messages_32_per_flush(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = envelope();
	static uint8_t msg[10240];
	char id[SPOOL_ID_MAX];
	struct spool_stats st;
	uint64_t seq = 0;
	const int total = 3200;
	double t0, dt;

	memset(msg, 'm', sizeof(msg));
	reopen(f, NULL);
	t0 = now_seconds();
	for (int i = 0; i < total; i++) {
		assert_int_equal(spool_append(f->sp, &env, msg, sizeof(msg), id, &seq), 0);
		if (i % 32 == 31)
			assert_int_equal(spool_sync(f->sp, seq), 0);
	}
	dt = now_seconds() - t0;
	spool_get_stats(f->sp, &st);
	print_message("spool: %d messages of 10 KB, 32 per fdatasync: %.0f messages/s (%.1f MB/s, "
		      "%llu fdatasyncs)\n",
		      total, total / dt, total * 10240.0 / dt / 1e6, (unsigned long long)st.syncs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			message_and_envelope_come_back_byte_exact_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(many_done_share_one_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(done_survives_restart_and_list_is_oldest_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers_share_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail_is_cut_and_the_rest_survives, setup,
						teardown),
		cmocka_unit_test_setup_teardown(corrupt_record_is_quarantined_and_the_others_live,
						setup, teardown),
		cmocka_unit_test_setup_teardown(failed_flush_means_not_accepted_ever, setup,
						teardown),
		cmocka_unit_test_setup_teardown(write_error_leaves_nothing_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(second_open_is_refused_while_in_use, setup,
						teardown),
		cmocka_unit_test(unwritable_directory_is_explained),
		cmocka_unit_test_setup_teardown(readonly_open_looks_without_touching, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ids_are_unique_and_increasing, setup, teardown),
		cmocka_unit_test_setup_teardown(id_slot_gets_the_id, setup, teardown),
		cmocka_unit_test_setup_teardown(full_segments_roll_over_and_go_when_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(free_space_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(throughput_of_10k_messages_32_per_flush, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
