/*
 * fs.c - durable directory creation (see fs.h).
 */
#include "lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

int fs_sync_parent(const char *path)
{
	char *copy = strdup(path), *slash;
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fd = open(slash != NULL ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int fs_mkdir_p(const char *dir, const char *what, char *err, size_t errlen)
{
	char *p = strdup(dir);
	int rc = -1;

	if (p == NULL) {
		err_printf(err, errlen, "out of memory");
		goto done;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, c ? 0755 : 0700) == 0) {
			if (fs_sync_parent(p) < 0)
				goto fail;
		} else if (errno != EEXIST) {
			goto fail;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
	goto done;
fail:
	err_printf(err, errlen, "cannot create %s %s: %s; check that tern may write there", what, p,
		   strerror(errno));
done:
	free(p);
	return rc;
}

int fs_mkdir_parent(const char *path, const char *what, char *err, size_t errlen)
{
	char *copy = strdup(path), *slash;
	int rc = 0;

	if (copy == NULL) {
		err_printf(err, errlen, "out of memory");
		return -1;
	}
	slash = strrchr(copy, '/');
	if (slash != NULL && slash != copy) {
		*slash = '\0';
		rc = fs_mkdir_p(copy, what, err, errlen);
	}
	free(copy);
	return rc;
}
