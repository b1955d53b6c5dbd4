/*
 * spool_recover.c - the bytes of the spool: record format, checksum and ids; the scan that
 * rebuilds the index when a spool is opened; reading records back (see spool.h, spool_int.h).
 *
 * The scan promises: every complete record whose checksum matches is taken; a torn tail (an
 * append that a crash cut short) is truncated away; a corrupt region is copied to
 * DIR/quarantine/ before anything overwrites it, then replaced by a padding record so the next
 * open does not count it again. No byte of a corrupt region is ever destroyed uncopied: when
 * the copy fails, the open fails. Reads check the checksum again, so bytes that rotted on disk
 * after the open are reported (-EBADMSG), never handed out.
 */
#include "spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --- CRC-32C (Castagnoli) ------------------------------------------------------------------
 * Slice-by-8 tables in the spool object (no global state); the SSE 4.2 instruction when the
 * CPU has it, which checksums 10 KB in well under a microsecond. */

#define CRC32C_POLY 0x82F63B78u

void spool_crc_init(struct crc32c *c)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t v = i;
		for (int k = 0; k < 8; k++)
			v = (v & 1) ? (v >> 1) ^ CRC32C_POLY : v >> 1;
		c->t[0][i] = v;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			c->t[k][i] = (c->t[k - 1][i] >> 8) ^ c->t[0][c->t[k - 1][i] & 0xff];
#if defined(__x86_64__) && defined(__GNUC__)
	c->hw = __builtin_cpu_supports("sse4.2");
#else
	c->hw = false;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64;

	while (n > 0 && ((uintptr_t)p & 7) != 0) {
		c = __builtin_ia32_crc32qi(c, *p++);
		n--;
	}
	c64 = c;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n-- > 0)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t spool_crc(const struct crc32c *c, uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t v = ~crc;

#if defined(__x86_64__) && defined(__GNUC__)
	if (c->hw)
		return ~crc_hw(v, p, n);
#endif
	while (n >= 8) {
		uint32_t lo = v ^ get_u32(p);
		uint32_t hi = get_u32(p + 4);
		v = c->t[7][lo & 0xff] ^ c->t[6][(lo >> 8) & 0xff] ^ c->t[5][(lo >> 16) & 0xff] ^
		    c->t[4][lo >> 24] ^ c->t[3][hi & 0xff] ^ c->t[2][(hi >> 8) & 0xff] ^
		    c->t[1][(hi >> 16) & 0xff] ^ c->t[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		v = (v >> 8) ^ c->t[0][(v ^ *p++) & 0xff];
	return ~v;
}

/* --- records -------------------------------------------------------------------------------- */

void spool_rec_header(uint8_t *h, uint8_t type, uint16_t flags, uint32_t total)
{
	put_u32(h, REC_MAGIC);
	h[4] = REC_VERSION;
	h[5] = type;
	h[6] = (uint8_t)flags;
	h[7] = (uint8_t)(flags >> 8);
	put_u32(h + 8, total);
	put_u32(h + 12, 0);
}

bool spool_rec_check(const struct crc32c *c, const uint8_t *r, size_t len)
{
	static const uint8_t zero[4];
	uint32_t crc;

	if (len < REC_HDR || get_u32(r + 8) != len)
		return false;
	crc = spool_crc(c, 0, r, 12);
	crc = spool_crc(c, crc, zero, 4);
	crc = spool_crc(c, crc, r + REC_HDR, len - REC_HDR);
	return crc == get_u32(r + 12);
}

static bool id_char_ok(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
}

/* Reads the id (u8 length, then [0-9A-Z]) at *p, moving *p past it. */
static bool take_id(const uint8_t **p, const uint8_t *end, char *id)
{
	size_t n;

	if (*p >= end)
		return false;
	n = **p;
	if (n == 0 || n >= SPOOL_ID_MAX || (size_t)(end - *p) < 1 + n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char_ok((*p)[1 + i]))
			return false;
	memcpy(id, *p + 1, n);
	id[n] = '\0';
	*p += 1 + n;
	return true;
}

static bool take_str(const uint8_t **p, const uint8_t *end, struct slice *s)
{
	uint32_t n;

	if ((size_t)(end - *p) < 4)
		return false;
	n = get_u32(*p);
	if ((size_t)(end - *p) - 4 < n)
		return false;
	s->data = *p + 4;
	s->len = n;
	*p += 4 + (size_t)n;
	return true;
}

/* r is a whole record that passed spool_rec_check. Every length is checked against the
 * record's end: a record is either entirely understood or refused. */
int spool_rec_parse_msg(const uint8_t *r, size_t len, struct rec_view *v)
{
	const uint8_t *p = r + REC_HDR, *end = r + len;
	struct slice s;

	memset(v, 0, sizeof(*v));
	if (r[5] != REC_MSG)
		return -1;
	v->flags = (uint16_t)(r[6] | r[7] << 8);
	if (!take_id(&p, end, v->id))
		return -1;
	if ((size_t)(end - p) < 8)
		return -1;
	v->received = (int64_t)get_u64(p);
	p += 8;
	if (!take_str(&p, end, &v->from) || !take_str(&p, end, &v->user) ||
	    !take_str(&p, end, &v->client) || !take_str(&p, end, &v->helo))
		return -1;
	if ((size_t)(end - p) < 4)
		return -1;
	v->rcpt_count = get_u32(p);
	p += 4;
	v->rcpts = p;
	for (uint32_t i = 0; i < v->rcpt_count; i++)
		if (!take_str(&p, end, &s))
			return -1;
	if ((size_t)(end - p) < 8)
		return -1;
	v->msg_len = get_u64(p);
	p += 8;
	if (v->msg_len != (uint64_t)(end - p))
		return -1;
	v->msg = p;
	return 0;
}

void spool_rec_next_rcpt(const uint8_t **p, struct slice *out)
{
	out->len = get_u32(*p);
	out->data = *p + 4;
	*p += 4 + out->len;
}

size_t spool_rec_done(const struct crc32c *c, uint8_t *out, uint64_t off, const char *id)
{
	size_t idlen = strlen(id);
	size_t total = REC_HDR + 8 + 1 + idlen;

	spool_rec_header(out, REC_DONE, 0, (uint32_t)total);
	put_u64(out + REC_HDR, off);
	out[REC_HDR + 8] = (uint8_t)idlen;
	memcpy(out + REC_HDR + 9, id, idlen);
	put_u32(out + 12, spool_crc(c, 0, out, total));
	return total;
}

void spool_seg_name(char *out, size_t outlen, uint64_t no, const char *ext)
{
	snprintf(out, outlen, "%012" PRIu64 ".%s", no, ext);
}

/* --- ids -------------------------------------------------------------------------------------
 * ID = 12 base32 digits of microseconds since the epoch, never repeating or going back within
 * a spool (a tick is at least the last one plus one, and the last one is recovered at open),
 * then 4 base32 digits of the instance number, which grows at every open: ids of two runs
 * differ even if the clock was set back while the spool was empty. The digits 0-9A-V sort in
 * ASCII in the order of their values, so ids sort by time as strings. */

static const char b32[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

static void b32_put(char *out, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = b32[v & 31];
		v >>= 5;
	}
}

static bool b32_get(const char *s, int digits, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < digits; i++) {
		const char *d = s[i] ? strchr(b32, s[i]) : NULL;
		if (d == NULL)
			return false;
		*v = *v << 5 | (uint64_t)(d - b32);
	}
	return true;
}

void spool_id_make(struct spool *sp, char *id)
{
	struct timespec ts;
	uint64_t tick;

	clock_gettime(CLOCK_REALTIME, &ts);
	tick = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	if (tick <= sp->last_tick)
		tick = sp->last_tick + 1;
	sp->last_tick = tick;
	b32_put(id, tick, ID_TICK_CHARS);
	memcpy(id + ID_TICK_CHARS, sp->instance, ID_INST_CHARS);
	id[ID_LEN] = '\0';
}

/* Reads DIR/instance, counts one up and writes it back (write, fsync, rename, fsync dir). */
int spool_instance(struct spool *sp, char *err, size_t errlen)
{
	char text[32] = "";
	unsigned long long n = 0;
	int fd = -1, rc = -1;
	ssize_t got;

	fd = openat(sp->dirfd, "instance", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, text, sizeof(text) - 1);
		if (got > 0)
			text[got] = '\0';
		n = strtoull(text, NULL, 10);
		close(fd);
	}
	n = (n + 1) & ((1u << (5 * ID_INST_CHARS)) - 1);
	b32_put(sp->instance, n, ID_INST_CHARS);
	sp->instance[ID_INST_CHARS] = '\0';
	snprintf(text, sizeof(text), "%llu\n", n);
	fd = openat(sp->dirfd, "instance.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 ||
	    renameat(sp->dirfd, "instance.tmp", sp->dirfd, "instance") < 0 ||
	    fsync(sp->dirfd) < 0) {
		err_printf(err, errlen,
			   "cannot write %s/instance: %s; check that tern may write there", sp->dir,
			   strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* --- the scan ------------------------------------------------------------------------------- */

enum check { C_VALID, C_TORN, C_BAD, C_NEWER };

struct scan {
	struct spool *sp;
	struct segment *seg;
	int fd;
	bool done_file;	  /* NNN.done rather than NNN.log */
	const char *name; /* file name, for the quarantine copy */
	const uint8_t *base;
	size_t size;
	struct spool_recovery *rec;
	bool repaired; /* padding was written: the file needs a flush */
	char *err;
	size_t errlen;
};

/* What lies at off: a whole valid record (its length in *len), the start of a record that
 * the end of the file cut short, or something else. */
static enum check check_at(const struct crc32c *c, const uint8_t *base, size_t size, size_t off,
			   size_t *len)
{
	static const uint8_t zero[REC_HDR];
	const uint8_t *h = base + off;
	size_t rem = size - off, l;

	if (rem < REC_HDR)
		return C_TORN;
	if (get_u32(h) != REC_MAGIC)
		return memcmp(h, zero, REC_HDR) == 0 ? C_TORN : C_BAD;
	l = get_u32(h + 8);
	if (l < REC_HDR || l > REC_LEN_MAX)
		return C_BAD;
	if (l > rem)
		return C_TORN;
	if (!spool_rec_check(c, h, l))
		return C_BAD;
	*len = l;
	if (h[4] > REC_VERSION)
		return C_NEWER;
	return h[4] == REC_VERSION ? C_VALID : C_BAD;
}

/* The offset of the next valid record after from, or SIZE_MAX. */
static size_t find_next(const struct crc32c *c, const uint8_t *base, size_t size, size_t from)
{
	static const uint8_t magic[4] = { 0xFE, 'T', 'S', 'P' };
	size_t len;

	while (from + REC_HDR <= size) {
		const uint8_t *p = memmem(base + from, size - from, magic, sizeof(magic));
		if (p == NULL)
			return SIZE_MAX;
		enum check k = check_at(c, base, size, (size_t)(p - base), &len);
		if (k == C_VALID || k == C_NEWER)
			return (size_t)(p - base);
		from = (size_t)(p - base) + 1;
	}
	return SIZE_MAX;
}

int spool_write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Copies [off, off + n) to DIR/quarantine/NAME.OFF.INSTANCE.bad, durably. The instance
 * number keeps copies apart when a segment number comes back after its segment was deleted;
 * an existing name is never overwritten. */
static int quarantine(struct scan *s, size_t off, size_t n)
{
	char qname[128];
	int fd = -1, rc = -1;

	for (int k = 0; fd < 0 && k < 100; k++) {
		snprintf(qname, sizeof(qname), "%s.%zu.%s%s%.0d.bad", s->name, off, s->sp->instance,
			 k ? "." : "", k);
		fd = openat(s->sp->qdirfd, qname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0 || spool_write_all(fd, s->base + off, n, 0) < 0 || fsync(fd) < 0 ||
	    fsync(s->sp->qdirfd) < 0) {
		err_printf(s->err, s->errlen,
			   "cannot copy a corrupt record of %s/seg/%s to %s/quarantine/%s: %s; "
			   "free space or fix permissions there, then start tern again",
			   s->sp->dir, s->name, s->sp->dir, qname, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Writes a padding record over [off, off + n) (n >= REC_HDR): header, then zeros. */
static int pad(struct scan *s, size_t off, size_t n)
{
	static const uint8_t zero[4096];
	uint8_t h[REC_HDR];
	uint32_t crc;
	size_t left;

	spool_rec_header(h, REC_PAD, 0, (uint32_t)n);
	crc = spool_crc(&s->sp->crc, 0, h, REC_HDR);
	for (left = n - REC_HDR; left > 0;) {
		size_t k = left < sizeof(zero) ? left : sizeof(zero);
		crc = spool_crc(&s->sp->crc, crc, zero, k);
		left -= k;
	}
	put_u32(h + 12, crc);
	if (spool_write_all(s->fd, h, REC_HDR, off) < 0)
		return -1;
	for (left = n - REC_HDR, off += REC_HDR; left > 0;) {
		size_t k = left < sizeof(zero) ? left : sizeof(zero);
		if (spool_write_all(s->fd, zero, k, off) < 0)
			return -1;
		left -= k;
		off += k;
	}
	return 0;
}

static int corrupt(struct scan *s, size_t off, size_t n, bool at_tail)
{
	/* A reader leaves the repair to the spool's owner and only skips the region. */
	if (s->sp->readonly) {
		s->rec->quarantined++;
		return 0;
	}
	if (quarantine(s, off, n) < 0)
		return -1;
	s->rec->quarantined++;
	/* At the tail the region is cut off instead; a region too short for a padding header
	 * (only odd damage makes one) stays and is copied again by the next open. */
	if (at_tail || n < REC_HDR)
		return 0;
	if (pad(s, off, n) < 0) {
		err_printf(s->err, s->errlen, "cannot repair %s/seg/%s: %s; check the disk",
			   s->sp->dir, s->name, strerror(errno));
		return -1;
	}
	s->repaired = true;
	return 0;
}

static int take_msg(struct scan *s, const uint8_t *r, size_t off, size_t len)
{
	struct rec_view v;
	struct entry *e;

	if (spool_rec_parse_msg(r, len, &v) < 0)
		return 1;
	if ((e = spool_ent_add(s->sp)) == NULL)
		goto nomem;
	memcpy(e->id, v.id, sizeof(e->id));
	e->seg = s->seg;
	e->off = off;
	e->len = (uint32_t)len;
	e->received = v.received;
	e->size = v.msg_len;
	e->rcpt_count = v.rcpt_count;
	if ((e->mail_from = spool_sender_get(s->sp, (const char *)v.from.data, v.from.len)) == NULL)
		goto nomem;
	s->seg->live++;
	return 0;
nomem:
	err_printf(s->err, s->errlen, "out of memory while reading the spool %s", s->sp->dir);
	return -1;
}

static int take_done(struct scan *s, const uint8_t *r, size_t len)
{
	const uint8_t *p = r + REC_HDR + 8;
	char id[SPOOL_ID_MAX];
	struct entry *e;

	if (r[5] != REC_DONE || !take_id(&p, r + len, id) || p != r + len)
		return 1;
	e = spool_ent_find(s->sp, id);
	/* A mark whose record is not there (its record failed to sync, or the id is in another
	 * segment) changes nothing. */
	if (e != NULL && !e->done && e->seg == s->seg && e->off == get_u64(r + REC_HDR)) {
		e->done = true;
		e->seg = NULL;
		s->seg->live--;
		s->sp->ndone++;
	}
	return 0;
}

/* Walks one file record by record. Returns the length the file should keep (its size, or
 * where a torn or corrupt tail starts), or -1 with s->err set. */
static int64_t walk(struct scan *s)
{
	const struct crc32c *c = &s->sp->crc;
	size_t off = 0, len = 0, next;
	int r;

	while (off < s->size) {
		enum check k = check_at(c, s->base, s->size, off, &len);
		if (k == C_NEWER) {
			err_printf(s->err, s->errlen,
				   "%s/seg/%s was written by a newer tern (record version %u); run "
				   "that version or a newer one",
				   s->sp->dir, s->name, s->base[off + 4]);
			return -1;
		}
		if (k == C_VALID) {
			const uint8_t *rec = s->base + off;
			if (rec[5] == REC_PAD)
				r = 0;
			else if (s->done_file)
				r = take_done(s, rec, len);
			else
				r = take_msg(s, rec, off, len);
			if (r < 0 || (r > 0 && corrupt(s, off, len, false) < 0))
				return -1;
			off += len;
			continue;
		}
		next = find_next(c, s->base, s->size, off + 1);
		if (next != SIZE_MAX) {
			if (corrupt(s, off, next - off, false) < 0)
				return -1;
			off = next;
			continue;
		}
		/* Nothing valid follows: the tail. A write that a crash cut short leaves the start
		 * of a record (or zeros where the header was not written yet); anything else is a
		 * damaged last record and is kept in quarantine. */
		if (k == C_TORN)
			s->rec->torn++;
		else if (corrupt(s, off, s->size - off, true) < 0)
			return -1;
		return (int64_t)off;
	}
	return (int64_t)off;
}

static int scan_file(struct spool *sp, struct segment *seg, int fd, bool done_file,
		     struct spool_recovery *rec, char *err, size_t errlen)
{
	char name[32];
	struct scan s = { sp, seg, fd, done_file, name, NULL, 0, rec, false, err, errlen };
	struct stat st;
	void *map = MAP_FAILED;
	int64_t keep = 0;
	int rc = -1;

	spool_seg_name(name, sizeof(name), seg->no, done_file ? "done" : "log");
	if (fstat(fd, &st) < 0) {
		err_printf(err, errlen,
			   "cannot read %s/seg/%s: %s; check its permissions and the disk", sp->dir,
			   name, strerror(errno));
		goto done;
	}
	s.size = (size_t)st.st_size;
	if (s.size > 0) {
		map = mmap(NULL, s.size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			err_printf(err, errlen,
				   "cannot read %s/seg/%s: %s; check its permissions and the disk",
				   sp->dir, name, strerror(errno));
			goto done;
		}
		s.base = map;
		if ((keep = walk(&s)) < 0)
			goto done;
	}
	if (sp->readonly) {
		/* nothing to write: a tail past keep is an append in progress or the owner's to
		 * cut off */
	} else if ((uint64_t)keep < s.size) {
		if (ftruncate(fd, keep) < 0 || fdatasync(fd) < 0) {
			err_printf(err, errlen,
				   "cannot cut the torn end off %s/seg/%s: %s; check the disk",
				   sp->dir, name, strerror(errno));
			goto done;
		}
	} else if (s.repaired && fdatasync(fd) < 0) {
		err_printf(err, errlen, "cannot repair %s/seg/%s: %s; check the disk", sp->dir,
			   name, strerror(errno));
		goto done;
	}
	if (done_file)
		seg->dend = seg->ddurable = (uint64_t)keep;
	else
		seg->end = seg->durable = (uint64_t)keep;
	rc = 0;
done:
	if (map != MAP_FAILED)
		munmap(map, s.size);
	return rc;
}

/* --- the directory ----------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

/* Segment numbers of the files named NNNNNNNNNNNN.EXT in DIR/seg, sorted. */
static int list_files(struct spool *sp, const char *ext, uint64_t **out, size_t *n, char *err,
		      size_t errlen)
{
	DIR *d = NULL;
	struct dirent *de;
	uint64_t *v = NULL, *nv;
	size_t cap = 0, extlen = strlen(ext);
	int fd, rc = -1;

	*n = 0;
	if ((fd = fcntl(sp->segdirfd, F_DUPFD_CLOEXEC, 0)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		err_printf(err, errlen, "cannot list %s/seg: %s; check its permissions", sp->dir,
			   strerror(errno));
		goto done;
	}
	rewinddir(d); /* a duplicate shares the position: the last listing left it at the end */
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		bool ok = strlen(nm) == SEG_NAME_LEN + 1 + extlen && nm[SEG_NAME_LEN] == '.' &&
			  strcmp(nm + SEG_NAME_LEN + 1, ext) == 0;
		for (size_t i = 0; ok && i < SEG_NAME_LEN; i++)
			ok = nm[i] >= '0' && nm[i] <= '9';
		if (!ok)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				err_printf(err, errlen, "out of memory listing %s/seg", sp->dir);
				goto done;
			}
			v = nv;
		}
		v[(*n)++] = strtoull(nm, NULL, 10);
	}
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_u64);
	*out = v;
	v = NULL;
	rc = 0;
done:
	if (d != NULL)
		closedir(d);
	free(v);
	return rc;
}

static struct segment *seg_by_no(struct spool *sp, uint64_t no)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i]->no == no)
			return sp->segs[i];
	return NULL;
}

/* Sorts the index by id (it is sorted already unless files were moved around by hand) and
 * keeps the first of any two records with one id. */
static void index_order(struct spool *sp)
{
	size_t i, j;

	for (i = 1; i < sp->nents; i++)
		if (strcmp(sp->ents[i - 1].id, sp->ents[i].id) >= 0)
			break;
	if (i >= sp->nents)
		return;
	qsort(sp->ents, sp->nents, sizeof(*sp->ents), cmp_entry);
	for (i = j = 0; i < sp->nents; i++) {
		if (j > 0 && strcmp(sp->ents[j - 1].id, sp->ents[i].id) == 0) {
			sp->ents[i].seg->live--;
			spool_sender_put(sp, sp->ents[i].mail_from);
			continue;
		}
		sp->ents[j++] = sp->ents[i];
	}
	sp->nents = j;
}

/* For a reader: a segment whose done file vanished after its log was read. The owner deletes
 * the log first, so if the log is gone too, every message in it was done. */
static void seg_gone(struct spool *sp, struct segment *seg)
{
	char name[32];

	spool_seg_name(name, sizeof(name), seg->no, "log");
	if (faccessat(sp->segdirfd, name, F_OK, 0) == 0)
		return;
	for (size_t i = 0; i < sp->nents; i++) {
		if (sp->ents[i].seg == seg && !sp->ents[i].done) {
			sp->ents[i].done = true;
			sp->ents[i].seg = NULL;
			seg->live--;
		}
	}
}

int spool_recover(struct spool *sp, struct spool_recovery *rec, char *err, size_t errlen)
{
	uint64_t *logs = NULL, *dones = NULL, tick;
	size_t nlogs = 0, ndones = 0, i, j;
	char name[32];
	int fd = -1, rc = -1, flags = (sp->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct segment *seg;

	if (list_files(sp, "log", &logs, &nlogs, err, errlen) < 0 ||
	    list_files(sp, "done", &dones, &ndones, err, errlen) < 0)
		goto done;
	for (i = 0; i < nlogs; i++) {
		spool_seg_name(name, sizeof(name), logs[i], "log");
		if ((fd = openat(sp->segdirfd, name, flags)) < 0 && sp->readonly && errno == ENOENT)
			continue; /* the owner finished the segment meanwhile */
		if (fd < 0) {
			err_printf(err, errlen, "cannot open %s/seg/%s: %s; check its permissions",
				   sp->dir, name, strerror(errno));
			goto done;
		}
		if ((seg = spool_seg_add(sp, logs[i], fd)) == NULL) {
			err_printf(err, errlen, "out of memory opening the spool %s", sp->dir);
			goto done;
		}
		fd = -1;
		if (scan_file(sp, seg, seg->fd, false, rec, err, errlen) < 0)
			goto done;
		sp->next_segno = logs[i] + 1;
	}
	index_order(sp);
	for (i = 0; i < ndones; i++) {
		spool_seg_name(name, sizeof(name), dones[i], "done");
		if ((seg = seg_by_no(sp, dones[i])) == NULL) {
			/* its segment was deleted and a crash came before this file went too */
			if (!sp->readonly)
				unlinkat(sp->segdirfd, name, 0);
			continue;
		}
		if ((fd = openat(sp->segdirfd, name, flags)) < 0 && sp->readonly &&
		    errno == ENOENT) {
			seg_gone(sp, seg); /* the owner deleted it, log first, since we looked */
			continue;
		}
		if (fd < 0) {
			err_printf(err, errlen, "cannot open %s/seg/%s: %s; check its permissions",
				   sp->dir, name, strerror(errno));
			goto done;
		}
		seg->dfd = fd;
		fd = -1;
		if (scan_file(sp, seg, seg->dfd, true, rec, err, errlen) < 0)
			goto done;
	}
	/* New ids must sort after every recovered one, even if the clock went back. */
	if (sp->nents > 0 && b32_get(sp->ents[sp->nents - 1].id, ID_TICK_CHARS, &tick))
		sp->last_tick = tick;
	/* Done records are not needed in memory: their marks are on disk. */
	for (i = j = 0; i < sp->nents; i++) {
		if (sp->ents[i].done) {
			spool_sender_put(sp, sp->ents[i].mail_from);
			continue;
		}
		sp->ents[j++] = sp->ents[i];
	}
	sp->nents = j;
	sp->ndone = 0;
	for (i = sp->nsegs; i-- > 0 && !sp->readonly;)
		if (sp->segs[i]->live == 0)
			spool_seg_delete(sp, sp->segs[i]);
	rec->messages = sp->nents;
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	free(logs);
	free(dones);
	return rc;
}

/* --- reading --------------------------------------------------------------------------------- */

#define LIST_CHUNK 64

static void entry_out(const struct entry *e, struct spool_entry *o)
{
	memcpy(o->id, e->id, sizeof(e->id)); /* the index keeps ids at their exact size */
	o->received = e->received;
	o->size = (size_t)e->size;
	o->rcpt_count = e->rcpt_count;
	snprintf(o->mail_from, sizeof(o->mail_from), "%s", e->mail_from);
}

int spool_entry_get(struct spool *sp, const char *id, struct spool_entry *out)
{
	const struct entry *e;
	int rc = -ENOENT;

	pthread_mutex_lock(&sp->mu);
	if ((e = spool_ent_find(sp, id)) != NULL && !e->done) {
		entry_out(e, out);
		rc = 0;
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int spool_list(struct spool *sp, int (*cb)(const struct spool_entry *e, void *ctx), void *ctx)
{
	struct spool_entry *chunk = malloc(LIST_CHUNK * sizeof(*chunk));
	char cursor[SPOOL_ID_MAX] = "";
	size_t n, i;
	int rc = 0;

	if (chunk == NULL)
		return -ENOMEM;
	/* A chunk at a time, so the callback runs without the lock and memory stays small;
	 * the cursor is an id, which stays valid however the index changes meanwhile. */
	do {
		pthread_mutex_lock(&sp->mu);
		for (i = spool_ent_after(sp, cursor), n = 0; i < sp->nents && n < LIST_CHUNK; i++) {
			const struct entry *e = &sp->ents[i];
			struct spool_entry *o = &chunk[n];
			if (e->done)
				continue;
			entry_out(e, o);
			n++;
		}
		pthread_mutex_unlock(&sp->mu);
		for (i = 0; i < n && rc == 0; i++)
			rc = cb(&chunk[i], ctx);
		if (n > 0)
			memcpy(cursor, chunk[n - 1].id, sizeof(cursor));
	} while (n == LIST_CHUNK && rc == 0);
	free(chunk);
	return rc;
}

void spool_message_free(struct spool_message *m)
{
	if (m == NULL)
		return;
	free(m->mail_from);
	for (size_t i = 0; m->rcpts != NULL && i < m->rcpt_count; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m->user);
	free(m->client);
	free(m->helo);
	buf_free(&m->data);
	memset(m, 0, sizeof(*m));
}

static char *dup_slice(struct slice s)
{
	return strndup((const char *)s.data, s.len);
}

static int fill_message(struct spool_message *out, const struct rec_view *v)
{
	const uint8_t *p = v->rcpts;
	struct slice s;

	memcpy(out->id, v->id, sizeof(out->id));
	out->received = v->received;
	out->smtputf8 = (v->flags & REC_F_SMTPUTF8) != 0;
	out->body_8bit = (v->flags & REC_F_8BIT) != 0;
	out->mail_from = dup_slice(v->from);
	out->user = dup_slice(v->user);
	out->client = dup_slice(v->client);
	out->helo = dup_slice(v->helo);
	out->rcpts = calloc((size_t)v->rcpt_count + 1, sizeof(char *));
	if (!out->mail_from || !out->user || !out->client || !out->helo || !out->rcpts)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->rcpt_count; i++) {
		spool_rec_next_rcpt(&p, &s);
		if ((out->rcpts[i] = dup_slice(s)) == NULL)
			return -ENOMEM;
		out->rcpt_count = i + 1;
	}
	return 0;
}

int spool_read(struct spool *sp, const char *id, struct spool_message *out)
{
	struct rec_view v;
	struct entry *e;
	uint64_t off;
	size_t len, got;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	buf_init(&out->data, 0);
	if (id == NULL)
		return -ENOENT;
	pthread_mutex_lock(&sp->mu);
	e = spool_ent_find(sp, id);
	if (e == NULL || e->done) {
		pthread_mutex_unlock(&sp->mu);
		return -ENOENT;
	}
	/* A duplicate of the descriptor lets the read run without the lock even if the segment
	 * is deleted meanwhile. */
	fd = fcntl(e->seg->fd, F_DUPFD_CLOEXEC, 0);
	rc = fd < 0 ? -errno : 0;
	off = e->off;
	len = e->len;
	pthread_mutex_unlock(&sp->mu);
	if (rc < 0)
		goto done;
	if (!buf_reserve(&out->data, len)) {
		rc = -ENOMEM;
		goto done;
	}
	for (got = 0; got < len;) {
		ssize_t r = pread(fd, out->data.data + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			goto done;
		}
		got += (size_t)r;
	}
	out->data.len = len;
	if (!spool_rec_check(&sp->crc, out->data.data, len) ||
	    spool_rec_parse_msg(out->data.data, len, &v) < 0 || strcmp(v.id, id) != 0) {
		rc = -EBADMSG;
		goto done;
	}
	if ((rc = fill_message(out, &v)) < 0)
		goto done;
	/* Only the message stays in the buffer. */
	buf_consume(&out->data, (size_t)(v.msg - out->data.data));
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		spool_message_free(out);
	return rc;
}
