/*
 * fs.h - directories that must survive a crash: creating them durably.
 *
 * Promises: a directory these functions report created has its entry on stable storage (the
 * parent was fsynced), so a spool or a store made in it does not vanish with a power cut.
 */
#ifndef TERN_LIB_FS_H
#define TERN_LIB_FS_H

#include <stddef.h>

/* Like fsync of the directory holding path: a new directory entry lasts only after that.
 * Returns 0 or -1 with errno set. */
int fs_sync_parent(const char *path);

/* mkdir -p: the last directory gets mode 0700, the ones above it 0755. Every directory made is
 * made durable. `what` names the directory in the message ("spool directory"). Returns 0, or
 * -1 with a message in err. */
int fs_mkdir_p(const char *dir, const char *what, char *err, size_t errlen);

/* fs_mkdir_p of the directory that holds the file path (nothing when path has no '/'). */
int fs_mkdir_parent(const char *path, const char *what, char *err, size_t errlen);

#endif
