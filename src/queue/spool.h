/*
 * spool.h - the durable message store: "250 Ok: queued as ID" is said only after spool_sync.
 *
 * Messages are appended to segment files (DIR/seg/NNNNNNNNNNNN.log) as checksummed records;
 * many appends are made durable by one fdatasync (group commit). A message that is finished
 * gets a checksummed done-mark in its segment's done file (DIR/seg/NNNNNNNNNNNN.done); a segment
 * whose messages are all done is deleted. At open the segments are scanned: a torn tail left by
 * a crash is cut off, a corrupt record is copied to DIR/quarantine/ and skipped, and the index
 * (id -> segment, offset, length) is rebuilt in memory.
 *
 * Promises: a record that spool_sync reported durable is found again after a crash unless it
 * was marked done; a record whose sync failed is never found again; recovery never yields half
 * a message. One process owns a spool at a time (flock on DIR/lock).
 */
#ifndef TERN_QUEUE_SPOOL_H
#define TERN_QUEUE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define SPOOL_ID_MAX 32 /* bytes including NUL */
#define SPOOL_ID_LEN 16 /* characters of an id, [0-9A-Z] */

struct spool;

struct spool_envelope {
	const char *mail_from;	  /* "" for the null reverse-path */
	const char *const *rcpts; /* rcpt_count addresses */
	size_t rcpt_count;
	const char *user;   /* authenticated user, or "" */
	const char *client; /* client address, e.g. "127.0.0.1" */
	const char *helo;   /* EHLO name */
	int64_t received;   /* unix seconds */
	bool smtputf8;
	bool body_8bit;
	/* NULL, or SPOOL_ID_LEN bytes inside the message that spool_append overwrites with the
	 * message's id before writing, so that the Received field can name it. */
	uint8_t *id_slot;
};

struct spool_recovery {	    /* what spool_open found */
	size_t messages;    /* live (not done) messages recovered */
	size_t torn;	    /* incomplete records at a segment's end (from a crash), cut off */
	size_t quarantined; /* corrupt records moved to DIR/quarantine/ */
};

/* Opens (creating DIR and its subdirectories when missing) and recovers: every complete,
 * checksummed record is live unless marked done; a torn tail is truncated; a corrupt record
 * in the middle is copied to DIR/quarantine/ and skipped (never crashes, never half a message).
 * rec may be NULL. Returns 0, or -1 with a message in err. */
int spool_open(const char *dir, struct spool **out, struct spool_recovery *rec, char *err,
	       size_t errlen);

/* Opens a spool that another process (the running server) may own, only to look at it: no
 * lock, nothing created or written, damage skipped rather than repaired, a record still being
 * appended at a segment's end left out. spool_list and spool_read work on what was there at
 * the moment of opening; spool_append, spool_sync and spool_done return -EROFS. */
int spool_open_readonly(const char *dir, struct spool **out, char *err, size_t errlen);
void spool_close(struct spool *sp);

/* Appends one message (not yet durable). Writes the id into id (SPOOL_ID_MAX) and the
 * sequence number to wait for into *seq. Called from one thread (the event loop) but safe
 * against concurrent spool_sync. On a write error (ENOSPC, EIO) nothing of the record stays in
 * the segment and -errno is returned; -EINVAL for an envelope that cannot be stored, -EFBIG
 * for a message over SPOOL_RECORD_MAX. */
#define SPOOL_RECORD_MAX ((size_t)1 << 30)
int spool_append(struct spool *sp, const struct spool_envelope *env, const uint8_t *msg, size_t len,
		 char *id, uint64_t *seq);

/* Blocks until every record up to seq is on stable storage. Thread-safe. Group commit: one
 * fdatasync covers every record appended before it started. Returns 0, or -errno when the
 * data could not be made durable: those records are then gone for good (not live now, never
 * recovered), and the caller must answer with a temporary failure. */
int spool_sync(struct spool *sp, uint64_t seq);

/* Without blocking: 0 when seq is durable, -errno when it failed for good, -EINPROGRESS when
 * no flush has covered it yet. Thread-safe. */
int spool_sync_status(struct spool *sp, uint64_t seq);

/* True when the filesystem holding the spool has at least `reserve` bytes free (statvfs). */
bool spool_space_ok(struct spool *sp, uint64_t reserve);

/* Marks a message as finished (delivered/bounced); it disappears from listings and recovery;
 * a segment whose messages are all done is deleted. Durable before return. Thread-safe.
 * Returns 0, -ENOENT (no such live message), or -errno. */
int spool_done(struct spool *sp, const char *id);
/* spool_done for n messages with one flush: rcs[i] gets each one's result. Thread-safe. */
void spool_done_many(struct spool *sp, const char *const *ids, size_t n, int *rcs);

/* Live messages, oldest first. The callback runs without the spool's lock held (it may call
 * spool functions); a non-zero return stops the walk and is returned. */
struct spool_entry {
	char id[SPOOL_ID_MAX];
	int64_t received;
	size_t size;
	size_t rcpt_count;
	char mail_from[330]; /* cut short if longer */
};
int spool_list(struct spool *sp, int (*cb)(const struct spool_entry *e, void *ctx), void *ctx);
/* One live message's entry (from the index, no disk read): 0 or -ENOENT. Thread-safe. */
int spool_entry_get(struct spool *sp, const char *id, struct spool_entry *out);

/* Reads one live message: envelope fields into a caller-freed struct and the message bytes
 * into a struct buf. The record's checksum is verified again. Free with spool_message_free. */
struct spool_message {
	char id[SPOOL_ID_MAX];
	char *mail_from;
	char **rcpts;
	size_t rcpt_count;
	char *user;
	char *client;
	char *helo;
	int64_t received;
	bool smtputf8;
	bool body_8bit;
	struct buf data;
};
/* 0, -ENOENT (no such live message), -EBADMSG (the record no longer checks out), -errno */
int spool_read(struct spool *sp, const char *id, struct spool_message *out);
void spool_message_free(struct spool_message *m);

/* Counters, for metrics and for tests that check group commit. */
struct spool_stats {
	uint64_t records;    /* messages appended since open */
	uint64_t bytes;	     /* bytes appended since open */
	uint64_t syncs;	     /* fdatasync calls on segment files since open */
	uint64_t sync_waits; /* spool_sync calls that had to wait for the disk */
	uint64_t done;	     /* messages marked done since open */
	uint64_t done_syncs; /* fdatasync calls on done files since open */
	size_t live;	     /* live messages now */
	size_t segments;     /* segment files now */
};
void spool_get_stats(struct spool *sp, struct spool_stats *st);

/* Segments roll over when they would grow past this (default 64 MiB; at least 4 KiB).
 * Meant for tests and tuning. */
void spool_set_segment_size(struct spool *sp, uint64_t bytes);

/* Replaces fdatasync for the spool's files, so tests can make the disk fail. NULL restores
 * fdatasync. The function returns 0 or -1 with errno set, like fdatasync. */
void spool_set_sync_fn(struct spool *sp, int (*fn)(int fd, void *ctx), void *ctx);

#endif
