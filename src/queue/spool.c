/*
 * spool.c - the durable message store: open, append, group commit, done-marks (see spool.h).
 *
 * One mutex guards the whole spool; nobody holds it across a disk flush. Appends write into
 * the page cache under the lock. A flush is done by whichever caller of spool_sync finds none
 * running (the leader): it notes how far the files go, drops the lock, fdatasyncs, takes the
 * lock back and settles every sequence number up to what it noted. Callers arriving meanwhile
 * wait on the condition variable and the next leader covers them all with one flush: that is
 * the group commit. Done-marks use the same scheme with their own counters.
 *
 * When a flush fails, whatever was written after the last good flush is cut off (truncate and
 * flush again) and every waiter for it is told the error: the kernel may have dropped those
 * pages, so the only safe answer is that they were never accepted. Later appends go on from
 * the cut.
 */
#include "spool_int.h"

#include "lib/fs.h"
#include "lib/hmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

/* fdatasync, or the test's replacement for it. Returns 0 or -errno. */
int spool_datasync(struct spool *sp, int fd)
{
	int r = sp->sync_fn ? sp->sync_fn(fd, sp->sync_ctx) : fdatasync(fd);
	return r < 0 ? (errno ? -errno : -EIO) : 0;
}

/* --- segments and the index ------------------------------------------------------------- */

struct segment *spool_seg_add(struct spool *sp, uint64_t no, int fd)
{
	struct segment *seg;

	if (sp->nsegs == sp->capsegs) {
		size_t cap = sp->capsegs ? sp->capsegs * 2 : 16;
		struct segment **v = realloc(sp->segs, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		sp->segs = v;
		sp->capsegs = cap;
	}
	if ((seg = calloc(1, sizeof(*seg))) == NULL)
		return NULL;
	seg->no = no;
	seg->fd = fd;
	seg->dfd = -1;
	seg->dir_synced = true;
	seg->ddir_synced = true;
	seg->sealed = true;
	sp->segs[sp->nsegs++] = seg;
	return seg;
}

static void seg_free(struct segment *seg)
{
	if (seg->fd >= 0)
		close(seg->fd);
	if (seg->dfd >= 0)
		close(seg->dfd);
	free(seg);
}

/* Deletes a segment whose messages are all done. The log goes first and that is made durable
 * before the done file goes: the other order could, after a crash, bring back a log without
 * its done-marks, and every message in it would be delivered again. */
void spool_seg_delete(struct spool *sp, struct segment *seg)
{
	char name[32];
	size_t i;

	spool_seg_name(name, sizeof(name), seg->no, "log");
	if (unlinkat(sp->segdirfd, name, 0) < 0 && errno != ENOENT)
		return; /* stays; tried again at the next open */
	fsync(sp->segdirfd);
	spool_seg_name(name, sizeof(name), seg->no, "done");
	unlinkat(sp->segdirfd, name, 0);
	for (i = 0; i < sp->nsegs && sp->segs[i] != seg; i++)
		;
	if (i < sp->nsegs) {
		memmove(sp->segs + i, sp->segs + i + 1, (sp->nsegs - i - 1) * sizeof(*sp->segs));
		sp->nsegs--;
	}
	seg_free(seg);
}

static void seg_maybe_delete(struct spool *sp, struct segment *seg)
{
	if (seg != NULL && seg != sp->cur && seg->live == 0 && seg->busy == 0)
		spool_seg_delete(sp, seg);
}

struct entry *spool_ent_add(struct spool *sp)
{
	struct entry *e;

	if (sp->nents == sp->capents) {
		size_t cap = sp->capents ? sp->capents * 2 : 256;
		struct entry *v = realloc(sp->ents, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		sp->ents = v;
		sp->capents = cap;
	}
	e = &sp->ents[sp->nents++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* The first entry whose id is greater than id ("" for the first of all). */
size_t spool_ent_after(struct spool *sp, const char *id)
{
	size_t lo = 0, hi = sp->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sp->ents[mid].id, id) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct entry *spool_ent_find(struct spool *sp, const char *id)
{
	size_t i = spool_ent_after(sp, id);

	if (i == 0 || strcmp(sp->ents[i - 1].id, id) != 0)
		return NULL;
	return &sp->ents[i - 1];
}

/* Done entries stay in the index (as tombstones) until they are the majority. */
static void ent_compact(struct spool *sp)
{
	size_t i, j;

	if (sp->ndone < 1024 || sp->ndone * 2 < sp->nents)
		return;
	for (i = j = 0; i < sp->nents; i++)
		if (!sp->ents[i].done)
			sp->ents[j++] = sp->ents[i];
	sp->nents = j;
	sp->ndone = 0;
}

/* --- open and close ------------------------------------------------------------------------ */

static int subdir(struct spool *sp, const char *name, int *fd, char *err, size_t errlen)
{
	bool made = mkdirat(sp->dirfd, name, 0700) == 0;

	if (!made && errno != EEXIST) {
		err_printf(
			err, errlen,
			"cannot create spool directory %s/%s: %s; check that tern may write there",
			sp->dir, name, strerror(errno));
		return -1;
	}
	if (made && fsync(sp->dirfd) < 0) {
		err_printf(err, errlen, "cannot sync spool directory %s: %s; check the disk",
			   sp->dir, strerror(errno));
		return -1;
	}
	*fd = openat(sp->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		err_printf(err, errlen,
			   "cannot open spool directory %s/%s: %s; check its permissions", sp->dir,
			   name, strerror(errno));
		return -1;
	}
	return 0;
}

/* flock on DIR/lock, which also holds the owner's pid for the message to the next one. */
static int take_lock(struct spool *sp, char *err, size_t errlen)
{
	char pid[24] = "";
	ssize_t n;

	sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0) {
		err_printf(err, errlen,
			   "cannot create %s/lock: %s; check that tern may write there", sp->dir,
			   strerror(errno));
		return -1;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err_printf(err, errlen,
				   "cannot lock %s/lock: %s; put the spool on a local filesystem "
				   "with flock",
				   sp->dir, strerror(errno));
			return -1;
		}
		n = pread(sp->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		err_printf(err, errlen,
			   "spool %s is in use by another tern process%s%s%s; stop it or give this "
			   "one another spool directory",
			   sp->dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(sp->lockfd, 0) == 0 && pwrite(sp->lockfd, pid, (size_t)n, 0) < 0)
		(void)0; /* the pid is only a courtesy */
	return 0;
}

static int open_spool(const char *dir, bool readonly, struct spool **out,
		      struct spool_recovery *rec, char *err, size_t errlen)
{
	struct spool_recovery local = { 0, 0, 0 };
	struct spool *sp = NULL;
	int rc = -1;

	*out = NULL;
	if (rec == NULL)
		rec = &local;
	memset(rec, 0, sizeof(*rec));
	if (dir == NULL || dir[0] == '\0') {
		err_printf(err, errlen, "no spool directory given; set one in the configuration");
		return -1;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		err_printf(err, errlen, "out of memory opening the spool %s", dir);
		goto done;
	}
	sp->dirfd = sp->segdirfd = sp->qdirfd = sp->lockfd = -1;
	sp->readonly = readonly;
	if ((sp->dir = strdup(dir)) == NULL || (sp->senders = hmap_new()) == NULL) {
		err_printf(err, errlen, "out of memory opening the spool %s", dir);
		goto done;
	}
	sp->seg_size = SEG_SIZE_DEFAULT;
	sp->next_segno = 1;
	spool_crc_init(&sp->crc);
	if (pthread_mutex_init(&sp->mu, NULL) != 0 || pthread_cond_init(&sp->cv, NULL) != 0) {
		err_printf(err, errlen,
			   "cannot create the spool's mutex; the system is out of resources");
		goto done;
	}
	if ((sp->log.failed = calloc(16, sizeof(struct failed_range))) == NULL ||
	    (sp->done.failed = calloc(16, sizeof(struct failed_range))) == NULL) {
		err_printf(err, errlen, "out of memory opening the spool %s", dir);
		goto done;
	}
	sp->log.capfailed = sp->done.capfailed = 16;
	if (!readonly && fs_mkdir_p(dir, "spool directory", err, errlen) < 0)
		goto done;
	if ((sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_printf(err, errlen,
			   "cannot open spool directory %s: %s; check the configured spool path "
			   "and that tern may %s there",
			   dir, strerror(errno), readonly ? "read" : "write");
		goto done;
	}
	if (readonly) {
		if ((sp->segdirfd = openat(sp->dirfd, "seg", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		    0) {
			err_printf(err, errlen,
				   "cannot open spool directory %s/seg: %s; has tern ever started "
				   "with this spool?",
				   dir, strerror(errno));
			goto done;
		}
	} else if (take_lock(sp, err, errlen) < 0 ||
		   subdir(sp, "seg", &sp->segdirfd, err, errlen) < 0 ||
		   subdir(sp, "quarantine", &sp->qdirfd, err, errlen) < 0 ||
		   spool_instance(sp, err, errlen) < 0) {
		goto done;
	}
	if (spool_recover(sp, rec, err, errlen) < 0)
		goto done;
	*out = sp;
	sp = NULL;
	rc = 0;
done:
	if (sp != NULL)
		spool_close(sp);
	return rc;
}

int spool_open(const char *dir, struct spool **out, struct spool_recovery *rec, char *err,
	       size_t errlen)
{
	return open_spool(dir, false, out, rec, err, errlen);
}

int spool_open_readonly(const char *dir, struct spool **out, char *err, size_t errlen)
{
	return open_spool(dir, true, out, NULL, err, errlen);
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	/* Records never flushed were never acknowledged: cut them off rather than deliver what
	 * the client will send again. */
	for (size_t i = 0; i < sp->nsegs && !sp->readonly; i++) {
		struct segment *seg = sp->segs[i];
		if (seg->end > seg->durable && ftruncate(seg->fd, (off_t)seg->durable) == 0)
			fdatasync(seg->fd);
	}
	hmap_free(sp->senders, free); /* every entry's mail_from with it */
	free(sp->ents);
	for (size_t i = 0; i < sp->nsegs; i++)
		seg_free(sp->segs[i]);
	free(sp->segs);
	free(sp->log.failed);
	free(sp->done.failed);
	if (sp->segdirfd >= 0)
		close(sp->segdirfd);
	if (sp->qdirfd >= 0)
		close(sp->qdirfd);
	if (sp->lockfd >= 0)
		close(sp->lockfd); /* releases the flock */
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->cv);
	free(sp->dir);
	free(sp);
}

/* --- group commit ------------------------------------------------------------------------- */

/* Remembers that seq lo..hi failed with err. Ranges come in increasing order; neighbours with
 * no success between them merge, so the list grows only when failures and successes
 * alternate. If memory runs out the last range is stretched instead: records that were durable
 * are then reported failed, which costs a duplicate, never a loss. */
static void commit_failed(struct commit *c, uint64_t lo, uint64_t hi, int err)
{
	struct failed_range *last = c->nfailed ? &c->failed[c->nfailed - 1] : NULL;

	if (last != NULL && last->hi + 1 == lo && last->err == err) {
		last->hi = hi;
		return;
	}
	if (c->nfailed == c->capfailed) {
		struct failed_range *v = realloc(c->failed, 2 * c->capfailed * sizeof(*v));
		if (v == NULL) {
			c->failed[c->nfailed - 1].hi = hi;
			return;
		}
		c->failed = v;
		c->capfailed *= 2;
	}
	c->failed[c->nfailed++] = (struct failed_range){ lo, hi, err };
}

static int commit_result(const struct commit *c, uint64_t seq)
{
	size_t lo = 0, hi = c->nfailed;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->failed[mid].hi < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nfailed && c->failed[lo].lo <= seq)
		return c->failed[lo].err;
	return 0;
}

/* With the lock held: returns once seq is settled, leading a round when none runs. */
static int commit_wait(struct spool *sp, struct commit *c, uint64_t seq,
		       void (*round)(struct spool *sp))
{
	for (;;) {
		if (seq <= c->decided)
			return commit_result(c, seq);
		if (!c->running) {
			c->running = true;
			round(sp);
			c->running = false;
			pthread_cond_broadcast(&sp->cv);
			continue;
		}
		pthread_cond_wait(&sp->cv, &sp->mu);
	}
}

/* The records after the last good flush are cut off; their seq numbers fail. */
static void log_fail(struct spool *sp, int err)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct segment *seg = sp->segs[i];
		if (seg->end <= seg->durable)
			continue;
		/* If even the cut cannot be made durable, no more appends go to this file; what
		 * stays past the cut is a torn tail for the next open to remove, unless the disk
		 * also kept it whole, which a failing disk makes unlikely but not impossible. */
		if (ftruncate(seg->fd, (off_t)seg->durable) < 0 ||
		    spool_datasync(sp, seg->fd) < 0) {
			seg->sealed = true;
			if (sp->cur == seg)
				sp->cur = NULL;
		}
		seg->end = seg->durable;
	}
	while (sp->nents > 0 && sp->ents[sp->nents - 1].seq > sp->log.decided) {
		struct entry *e = &sp->ents[--sp->nents];
		if (e->done)
			sp->ndone--;
		else
			e->seg->live--;
		spool_sender_put(sp, e->mail_from);
	}
	commit_failed(&sp->log, sp->log.decided + 1, sp->log.appended, err);
	sp->log.decided = sp->log.appended;
}

static void log_round(struct spool *sp)
{
	struct segment *head = NULL, *seg;
	uint64_t target = sp->log.appended, nsync = 0;
	bool dir = false;
	int err = 0, r;

	for (size_t i = sp->nsegs; i-- > 0;) {
		seg = sp->segs[i];
		if (seg->end == seg->durable && seg->dir_synced)
			continue;
		seg->snap = seg->end;
		seg->snap_data = seg->end > seg->durable;
		seg->snap_dir = !seg->dir_synced;
		dir |= seg->snap_dir;
		seg->busy++;
		seg->snap_next = head;
		head = seg;
	}
	pthread_mutex_unlock(&sp->mu);
	for (seg = head; seg != NULL; seg = seg->snap_next) {
		if (!seg->snap_data)
			continue; /* only its directory entry is new */
		nsync++;
		if ((r = spool_datasync(sp, seg->fd)) < 0 && err == 0)
			err = r;
	}
	if (dir && err == 0 && fsync(sp->segdirfd) < 0)
		err = errno ? -errno : -EIO;
	pthread_mutex_lock(&sp->mu);
	sp->st.syncs += nsync;
	for (seg = head; seg != NULL; seg = seg->snap_next) {
		seg->busy--;
		if (err != 0)
			continue;
		if (seg->snap > seg->durable)
			seg->durable = seg->snap;
		if (seg->snap_dir)
			seg->dir_synced = true;
	}
	if (err == 0)
		sp->log.decided = target;
	else
		log_fail(sp, err);
	for (seg = head; seg != NULL;) {
		struct segment *next = seg->snap_next;
		if (seg->sealed)
			seg_maybe_delete(sp, seg);
		seg = next;
	}
}

int spool_sync(struct spool *sp, uint64_t seq)
{
	int rc;

	if (sp->readonly)
		return -EROFS;
	pthread_mutex_lock(&sp->mu);
	if (seq > sp->log.appended) {
		rc = -EINVAL;
	} else {
		if (seq > sp->log.decided)
			sp->st.sync_waits++;
		rc = commit_wait(sp, &sp->log, seq, log_round);
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int spool_sync_status(struct spool *sp, uint64_t seq)
{
	int rc;

	pthread_mutex_lock(&sp->mu);
	rc = seq > sp->log.decided ? -EINPROGRESS : commit_result(&sp->log, seq);
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

/* --- append --------------------------------------------------------------------------------- */

static bool put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	uint8_t l[4];

	if (n > UINT32_MAX)
		return false;
	put_u32(l, (uint32_t)n);
	return buf_append(b, l, 4) && buf_append(b, s, n);
}

/* Everything of the record but the message bytes, with a placeholder for the id. */
static int build_envelope(struct buf *b, const struct spool_envelope *env, size_t len)
{
	uint8_t w[8];

	if (env == NULL || env->mail_from == NULL || env->user == NULL || env->client == NULL ||
	    env->helo == NULL || (env->rcpt_count > 0 && env->rcpts == NULL) ||
	    env->rcpt_count > UINT32_MAX)
		return -EINVAL;
	if (!buf_reserve(b, 256))
		return -ENOMEM;
	memset(b->data, 0, REC_HDR + 1 + ID_LEN);
	b->len = REC_HDR + 1 + ID_LEN;
	b->data[REC_HDR] = ID_LEN;
	put_u64(w, (uint64_t)env->received);
	if (!buf_append(b, w, 8) || !put_str(b, env->mail_from) || !put_str(b, env->user) ||
	    !put_str(b, env->client) || !put_str(b, env->helo))
		return -ENOMEM;
	put_u32(w, (uint32_t)env->rcpt_count);
	if (!buf_append(b, w, 4))
		return -ENOMEM;
	for (size_t i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i] == NULL)
			return -EINVAL;
		if (!put_str(b, env->rcpts[i]))
			return -ENOMEM;
	}
	put_u64(w, len);
	if (!buf_append(b, w, 8))
		return -ENOMEM;
	if (b->len > REC_LEN_MAX - SPOOL_RECORD_MAX)
		return -EINVAL; /* an envelope over 1 MiB is no envelope */
	return 0;
}

static int write_iov(int fd, struct iovec *iov, int cnt, uint64_t off)
{
	while (cnt > 0) {
		ssize_t w = pwritev(fd, iov, cnt, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		off += (uint64_t)w;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* With the lock held: the segment that takes the next `need` bytes. */
static int seg_for_append(struct spool *sp, uint64_t need)
{
	char name[32];
	struct segment *seg;
	int fd;

	if (sp->cur != NULL && sp->cur->end > 0 && sp->cur->end + need > sp->seg_size) {
		seg = sp->cur;
		seg->sealed = true;
		sp->cur = NULL;
		seg_maybe_delete(sp, seg);
	}
	if (sp->cur != NULL)
		return 0;
	spool_seg_name(name, sizeof(name), sp->next_segno, "log");
	fd = openat(sp->segdirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if ((seg = spool_seg_add(sp, sp->next_segno, fd)) == NULL) {
		close(fd);
		unlinkat(sp->segdirfd, name, 0);
		return -ENOMEM;
	}
	sp->next_segno++;
	seg->sealed = false;
	seg->dir_synced = false;
	sp->cur = seg;
	return 0;
}

int spool_append(struct spool *sp, const struct spool_envelope *env, const uint8_t *msg, size_t len,
		 char *id, uint64_t *seq)
{
	struct buf b = BUF_INIT;
	struct iovec iov[2];
	struct entry *e = NULL;
	char *from = NULL;
	uint64_t total;
	uint32_t crc;
	int rc;

	if (len > SPOOL_RECORD_MAX)
		return -EFBIG;
	if (sp->readonly)
		return -EROFS;
	if ((msg == NULL && len > 0) ||
	    (env->id_slot != NULL &&
	     (env->id_slot < msg || (size_t)(env->id_slot - msg) + ID_LEN > len)))
		return -EINVAL;
	if ((rc = build_envelope(&b, env, len)) < 0)
		goto done;
	total = b.len + len;
	pthread_mutex_lock(&sp->mu);
	if ((from = spool_sender_get(sp, env->mail_from, strlen(env->mail_from))) == NULL) {
		rc = -ENOMEM;
		goto unlock;
	}
	if ((rc = seg_for_append(sp, total)) < 0)
		goto unlock;
	if ((e = spool_ent_add(sp)) == NULL) {
		rc = -ENOMEM;
		goto unlock;
	}
	/* The id is made under the lock: the index stays sorted only if records are written in
	 * the order of their ids. */
	spool_id_make(sp, e->id);
	memcpy(b.data + REC_HDR + 1, e->id, ID_LEN);
	if (env->id_slot != NULL)
		memcpy(env->id_slot, e->id, ID_LEN);
	spool_rec_header(b.data, REC_MSG,
			 (uint16_t)((env->smtputf8 ? REC_F_SMTPUTF8 : 0) |
				    (env->body_8bit ? REC_F_8BIT : 0)),
			 (uint32_t)total);
	crc = spool_crc(&sp->crc, 0, b.data, b.len);
	put_u32(b.data + 12, spool_crc(&sp->crc, crc, msg, len));
	iov[0] = (struct iovec){ b.data, b.len };
	iov[1] = (struct iovec){ (void *)msg, len };
	if ((rc = write_iov(sp->cur->fd, iov, len > 0 ? 2 : 1, sp->cur->end)) < 0) {
		sp->nents--;
		/* Nothing of a failed record may stay: a later record would follow garbage. */
		if (ftruncate(sp->cur->fd, (off_t)sp->cur->end) < 0) {
			sp->cur->sealed = true;
			sp->cur = NULL;
		}
		goto unlock;
	}
	e->seg = sp->cur;
	e->off = sp->cur->end;
	e->len = (uint32_t)total;
	e->seq = ++sp->log.appended;
	e->received = env->received;
	e->size = len;
	e->rcpt_count = (uint32_t)env->rcpt_count;
	e->mail_from = from;
	from = NULL;
	sp->cur->end += total;
	sp->cur->live++;
	sp->st.records++;
	sp->st.bytes += total;
	memcpy(id, e->id, ID_LEN + 1);
	*seq = e->seq;
	rc = 0;
unlock:
	if (from != NULL)
		spool_sender_put(sp, from);
	pthread_mutex_unlock(&sp->mu);
done:
	buf_free(&b);
	return rc;
}

/* --- envelope senders ------------------------------------------------------------------------ */

/* A backlog usually comes from a few senders: each address is kept once, with a count of the
 * entries that use it. The string is the map's value; its key is a copy the map keeps. */
struct sender {
	size_t refs;
	char s[];
};

char *spool_sender_get(struct spool *sp, const char *s, size_t len)
{
	struct sender *v = malloc(sizeof(*v) + len + 1), *known;

	if (v == NULL)
		return NULL;
	v->refs = 1;
	memcpy(v->s, s, len);
	v->s[len] = '\0';
	if ((known = hmap_get(sp->senders, v->s)) != NULL) {
		free(v);
		known->refs++;
		return known->s;
	}
	if (!hmap_put(sp->senders, v->s, v, NULL)) {
		free(v);
		return NULL;
	}
	return v->s;
}

void spool_sender_put(struct spool *sp, char *s)
{
	struct sender *v;

	if (s == NULL || (v = hmap_get(sp->senders, s)) == NULL)
		return;
	if (--v->refs == 0)
		free(hmap_remove(sp->senders, s));
}

/* --- done ------------------------------------------------------------------------------------ */

static void done_fail(struct spool *sp, int err)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct segment *seg = sp->segs[i];
		if (seg->dfd < 0 || seg->dend <= seg->ddurable)
			continue;
		/* A mark that survives anyway only means a message is not delivered twice. */
		if (ftruncate(seg->dfd, (off_t)seg->ddurable) == 0)
			spool_datasync(sp, seg->dfd);
		seg->dend = seg->ddurable;
	}
	commit_failed(&sp->done, sp->done.decided + 1, sp->done.appended, err);
	sp->done.decided = sp->done.appended;
}

static void done_round(struct spool *sp)
{
	struct segment *head = NULL, *seg;
	uint64_t target = sp->done.appended, nsync = 0;
	bool dir = false;
	int err = 0, r;

	for (size_t i = sp->nsegs; i-- > 0;) {
		seg = sp->segs[i];
		if (seg->dfd < 0 || (seg->dend == seg->ddurable && seg->ddir_synced))
			continue;
		seg->dsnap = seg->dend;
		seg->dsnap_dir = !seg->ddir_synced;
		dir |= seg->dsnap_dir;
		seg->busy++;
		seg->dsnap_next = head;
		head = seg;
	}
	pthread_mutex_unlock(&sp->mu);
	for (seg = head; seg != NULL; seg = seg->dsnap_next) {
		nsync++;
		if ((r = spool_datasync(sp, seg->dfd)) < 0 && err == 0)
			err = r;
	}
	if (dir && err == 0 && fsync(sp->segdirfd) < 0)
		err = errno ? -errno : -EIO;
	pthread_mutex_lock(&sp->mu);
	sp->st.done_syncs += nsync;
	for (seg = head; seg != NULL; seg = seg->dsnap_next) {
		seg->busy--;
		if (err != 0)
			continue;
		if (seg->dsnap > seg->ddurable)
			seg->ddurable = seg->dsnap;
		if (seg->dsnap_dir)
			seg->ddir_synced = true;
	}
	if (err == 0)
		sp->done.decided = target;
	else
		done_fail(sp, err);
	for (seg = head; seg != NULL;) {
		struct segment *next = seg->dsnap_next;
		if (seg->sealed)
			seg_maybe_delete(sp, seg);
		seg = next;
	}
}

static int done_file(struct spool *sp, struct segment *seg)
{
	char name[32];
	struct stat st;

	if (seg->dfd >= 0)
		return 0;
	spool_seg_name(name, sizeof(name), seg->no, "done");
	seg->dfd = openat(sp->segdirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (seg->dfd < 0)
		return -errno;
	if (fstat(seg->dfd, &st) < 0) {
		int r = -errno;
		close(seg->dfd);
		seg->dfd = -1;
		return r;
	}
	seg->dend = seg->ddurable = (uint64_t)st.st_size;
	seg->ddir_synced = false;
	return 0;
}

/* Writes the done mark of one message (lock held). 0, or -errno with nothing written. */
static int done_mark(struct spool *sp, const char *id, uint64_t *dseq)
{
	uint8_t mark[DONE_REC_MAX];
	struct segment *seg;
	struct entry *e;
	size_t n;
	int rc;

	if (id == NULL || strlen(id) >= SPOOL_ID_MAX)
		return -ENOENT;
	e = spool_ent_find(sp, id);
	if (e == NULL || e->done || e->pending)
		return -ENOENT;
	seg = e->seg;
	if ((rc = done_file(sp, seg)) < 0)
		return rc;
	n = spool_rec_done(&sp->crc, mark, e->off, id);
	if (spool_write_all(seg->dfd, mark, n, seg->dend) < 0) {
		rc = errno ? -errno : -EIO;
		if (ftruncate(seg->dfd, (off_t)seg->dend) < 0)
			rc = -EIO;
		return rc;
	}
	seg->dend += n;
	e->pending = true;
	*dseq = ++sp->done.appended;
	return 0;
}

/* After the marks' flush (lock held): the message is gone, or stays live when rc failed. */
static void done_settle(struct spool *sp, const char *id, int rc)
{
	struct entry *e = spool_ent_find(sp, id); /* the index may have moved meanwhile */
	struct segment *seg;

	if (e == NULL || !e->pending)
		return;
	e->pending = false;
	if (rc < 0)
		return;
	seg = e->seg;
	e->done = true;
	e->seg = NULL;
	spool_sender_put(sp, e->mail_from);
	e->mail_from = NULL;
	seg->live--;
	sp->ndone++;
	sp->st.done++;
	if (seg->sealed)
		seg_maybe_delete(sp, seg);
}

int spool_done(struct spool *sp, const char *id)
{
	int rc;

	spool_done_many(sp, &id, 1, &rc);
	return rc;
}

void spool_done_many(struct spool *sp, const char *const *ids, size_t n, int *rcs)
{
	uint64_t first = 0, last = 0, dseq = 0;

	for (size_t i = 0; i < n; i++)
		rcs[i] = -EROFS;
	if (sp->readonly)
		return;
	pthread_mutex_lock(&sp->mu);
	for (size_t i = 0; i < n; i++) {
		if ((rcs[i] = done_mark(sp, ids[i], &dseq)) != 0)
			continue;
		first = first ? first : dseq;
		last = dseq;
	}
	/* One flush makes every mark durable; the marks were numbered first..last in order, so
	 * the i-th good one has seq first + (its rank), and each learns its own result. */
	if (last > 0)
		(void)commit_wait(sp, &sp->done, last, done_round);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (rcs[i] != 0)
			continue;
		rcs[i] = commit_result(&sp->done, first + k++);
		done_settle(sp, ids[i], rcs[i]);
	}
	ent_compact(sp);
	pthread_mutex_unlock(&sp->mu);
}

/* --- the rest ------------------------------------------------------------------------------- */

bool spool_space_ok(struct spool *sp, uint64_t reserve)
{
	struct statvfs vfs;

	if (fstatvfs(sp->dirfd, &vfs) < 0)
		return false;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize >= reserve;
}

void spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	pthread_mutex_lock(&sp->mu);
	*st = sp->st;
	st->live = sp->nents - sp->ndone;
	st->segments = sp->nsegs;
	pthread_mutex_unlock(&sp->mu);
}

void spool_set_segment_size(struct spool *sp, uint64_t bytes)
{
	pthread_mutex_lock(&sp->mu);
	sp->seg_size = bytes < 4096 ? 4096 : bytes;
	pthread_mutex_unlock(&sp->mu);
}

void spool_set_sync_fn(struct spool *sp, int (*fn)(int fd, void *ctx), void *ctx)
{
	pthread_mutex_lock(&sp->mu);
	sp->sync_fn = fn;
	sp->sync_ctx = ctx;
	pthread_mutex_unlock(&sp->mu);
}
