/*
 * spool_int.h - what the two halves of the spool share: spool.c (open, append, group commit,
 * done) and spool_recover.c (record format, checksum, ids, the recovery scan, read, list).
 * Not for use outside src/queue/spool*.c.
 *
 * Record format (both kinds of file), little-endian, one header then a body:
 *
 *   magic u32 "\xFETSP" | version u8 | type u8 | flags u16 | total length u32 | CRC-32C u32
 *
 * The CRC covers the whole record with the CRC field read as zero. 0xFE never occurs in
 * UTF-8, so after corruption the scan can look for the next magic to find where records
 * start again. Bodies:
 *
 *   REC_MSG (in NNN.log):  id (u8 len) | received i64 | mail_from, user, client, helo (u32 len
 *                          each) | rcpt count u32, each rcpt (u32 len) | message (u64 len)
 *   REC_DONE (in NNN.done): offset of the message record u64 | id (u8 len)
 *   REC_PAD (anywhere):    zeros; written over a corrupt region once it is quarantined, so
 *                          later opens skip it without counting it again.
 */
#ifndef TERN_QUEUE_SPOOL_INT_H
#define TERN_QUEUE_SPOOL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/hmap.h"
#include "lib/log.h"
#include "spool.h"

#define REC_MAGIC	 0x505354FEu /* bytes FE 'T' 'S' 'P' */
#define REC_VERSION	 1
#define REC_HDR		 16
#define REC_MSG		 1
#define REC_DONE	 2
#define REC_PAD		 3
#define REC_F_SMTPUTF8	 0x1
#define REC_F_8BIT	 0x2
#define REC_LEN_MAX	 (SPOOL_RECORD_MAX + ((size_t)1 << 20)) /* message plus envelope */
#define DONE_REC_MAX	 (REC_HDR + 8 + 1 + SPOOL_ID_MAX)
#define SEG_NAME_LEN	 12 /* digits before ".log" / ".done" */
#define SEG_SIZE_DEFAULT ((uint64_t)64 << 20)
#define ID_TICK_CHARS	 12 /* base32 microseconds: 60 bits, good until the year 38000 */
#define ID_INST_CHARS	 4  /* base32 instance number, one per spool_open */
#define ID_LEN		 (ID_TICK_CHARS + ID_INST_CHARS)
_Static_assert(ID_LEN == SPOOL_ID_LEN, "spool.h promises the id length");

struct crc32c {
	uint32_t t[8][256];
	bool hw; /* the CPU has the SSE 4.2 crc32 instruction */
};

/* One segment: NNN.log holds messages, NNN.done the done-marks of those messages. */
struct segment {
	uint64_t no;
	int fd;		  /* NNN.log, read-write */
	uint64_t end;	  /* bytes written */
	uint64_t durable; /* bytes known to be on stable storage */
	bool dir_synced;  /* its directory entry is on stable storage */
	bool sealed;	  /* no more appends: rolled over, recovered, or broken */
	int busy;	  /* a commit round uses the fds without holding the lock */
	size_t live;	  /* messages not done (a done in progress still counts) */
	int dfd;	  /* NNN.done, -1 until the first done-mark */
	uint64_t dend, ddurable;
	bool ddir_synced;
	/* What a commit round covers; only that round's leader uses these. busy keeps the
	 * segment alive while the leader works without the lock. */
	uint64_t snap, dsnap;
	bool snap_data, snap_dir, dsnap_dir;
	struct segment *snap_next, *dsnap_next;
};

/* Envelope senders kept once per address (lock held, or during open). get returns the shared
 * copy (NULL when out of memory or longer than an envelope can be), put releases one use. */
char *spool_sender_get(struct spool *sp, const char *s, size_t len);
void spool_sender_put(struct spool *sp, char *s);

/* The in-memory index, sorted by id (ids grow with time, so appending keeps it sorted). */
struct entry { /* 80 bytes: a backlog of a million messages keeps a million of these */
	struct segment *seg; /* NULL once done */
	uint64_t off;
	uint64_t seq; /* 0 for recovered records */
	int64_t received;
	uint64_t size;
	char *mail_from;
	uint32_t len;
	uint32_t rcpt_count;
	char id[ID_LEN + 1];
	bool done;
	bool pending; /* a spool_done is waiting for its mark to be durable */
};

/* Group commit of one kind of file. seq numbers up to `decided` are settled: durable, unless
 * they fall into a failed range. */
struct failed_range {
	uint64_t lo, hi;
	int err;
};

struct commit {
	uint64_t appended;
	uint64_t decided;
	bool running; /* a leader is syncing */
	struct failed_range *failed;
	size_t nfailed, capfailed;
};

struct spool {
	char *dir;
	int dirfd, segdirfd, qdirfd, lockfd;
	bool readonly;	      /* spool_open_readonly: looks, never writes */
	struct hmap *senders; /* interned envelope senders of the entries (spool_sender_get) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct crc32c crc;

	struct segment **segs; /* by number */
	size_t nsegs, capsegs;
	struct segment *cur; /* taking appends, or NULL: the next append starts a segment */
	uint64_t next_segno;
	uint64_t seg_size;

	struct entry *ents;
	size_t nents, capents, ndone;

	struct commit log, done;
	uint64_t last_tick;
	char instance[ID_INST_CHARS + 1];
	struct spool_stats st;
	int (*sync_fn)(int fd, void *ctx);
	void *sync_ctx;
};

/* A parsed message record; pointers into the record's bytes. */
struct rec_view {
	uint16_t flags;
	char id[SPOOL_ID_MAX];
	int64_t received;
	struct slice from, user, client, helo;
	uint32_t rcpt_count;
	const uint8_t *rcpts; /* rcpt_count times (u32 len, bytes) */
	const uint8_t *msg;
	uint64_t msg_len;
};

static inline void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* spool_recover.c: format, checksum, ids, recovery */
void spool_crc_init(struct crc32c *c);
/* Chainable like zlib's crc32: crc(crc(0, a), b) == crc(0, a || b). */
uint32_t spool_crc(const struct crc32c *c, uint32_t crc, const void *p, size_t n);
void spool_rec_header(uint8_t *h, uint8_t type, uint16_t flags, uint32_t total);
bool spool_rec_check(const struct crc32c *c, const uint8_t *r, size_t len);
int spool_rec_parse_msg(const uint8_t *r, size_t len, struct rec_view *v);
void spool_rec_next_rcpt(const uint8_t **p, struct slice *out);
size_t spool_rec_done(const struct crc32c *c, uint8_t *out, uint64_t off, const char *id);
/* pwrite until done; 0, or -1 with errno set. */
int spool_write_all(int fd, const uint8_t *p, size_t n, uint64_t off);
void spool_seg_name(char *out, size_t outlen, uint64_t no, const char *ext);
void spool_id_make(struct spool *sp, char *id);
int spool_instance(struct spool *sp, char *err, size_t errlen);
int spool_recover(struct spool *sp, struct spool_recovery *rec, char *err, size_t errlen);

/* spool.c: shared with the recovery */
int spool_datasync(struct spool *sp, int fd);
struct segment *spool_seg_add(struct spool *sp, uint64_t no, int fd);
void spool_seg_delete(struct spool *sp, struct segment *seg);
struct entry *spool_ent_add(struct spool *sp);
struct entry *spool_ent_find(struct spool *sp, const char *id);
size_t spool_ent_after(struct spool *sp, const char *id);

#endif
