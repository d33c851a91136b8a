/* Staging files: anonymous temp files in the core's tmp_dir, the same filesystem the
 * disk plugin commits to. Gone when the last descriptor closes, so a crash leaves
 * nothing behind. */
#ifndef STOA_STAGING_H
#define STOA_STAGING_H

#include <stddef.h>

/* An O_TMPFILE (or created-and-unlinked) file, read-write. -1 with errno on failure. */
int staging_open(const char *dir);

/* Writes all of buf at the current offset. 0 or -1 with errno. */
int staging_write(int fd, const void *buf, size_t len);

#endif
