/* Sidecar metadata: <dir>/.meta/<file>, one line
 *   "stoa1 <size> <stored_at> <sha256 hex> <origin> <h1>\n"  ('-' for empty).
 * Written before the object is renamed into place: the object's rename is the commit,
 * a sidecar without its object is ignored and overwritten by the next put. */
#include "disk_meta.h"

#include "disk_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int disk_meta_path(const char *object, char *out, size_t len)
{
    const char *slash = strrchr(object, '/');
    if (slash == NULL)
        return -1;
    int n = snprintf(out, len, "%.*s/.meta/%s", (int)(slash - object), object, slash + 1);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* By hand, not sscanf("%2x") per byte: this runs on every cache hit. */
static int unhex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        int hi = nibble(s[2 * i]), lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int disk_meta_read(const char *object, stoa_meta *m)
{
    char path[PATH_MAX + 16], line[512], sha[65], origin[64], h1[64];
    unsigned long long size;
    long long at;
    if (disk_meta_path(object, path, sizeof(path)) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, line, sizeof(line) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    line[n] = '\0';
    if (sscanf(line, "stoa1 %llu %lld %64s %63s %63s", &size, &at, sha, origin, h1) != 5 || strlen(sha) != 64 ||
        unhex(sha, m->sha256, 32) != 0)
        return -1;
    m->size = size;
    m->stored_at = at;
    snprintf(m->origin, sizeof(m->origin), "%s", strcmp(origin, "-") == 0 ? "" : origin);
    snprintf(m->h1, sizeof(m->h1), "%s", strcmp(h1, "-") == 0 ? "" : h1);
    return 0;
}

int disk_meta_write(const disk *d, const char *object, const stoa_meta *m)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 16], line[512], sha[65];
    if (disk_meta_path(object, path, sizeof(path)) != 0 || disk_mkparent(path) != 0)
        return -1;
    for (int i = 0; i < 32; ++i)
        sprintf(sha + 2 * i, "%02x", m->sha256[i]);
    int n = snprintf(line, sizeof(line), "stoa1 %llu %lld %s %s %s\n", (unsigned long long)m->size, (long long)m->stored_at,
                     sha, m->origin[0] && !strchr(m->origin, ' ') ? m->origin : "-", m->h1[0] ? m->h1 : "-");
    snprintf(tmp, sizeof(tmp), "%s/meta.XXXXXX", d->tmp);
    int fd = disk_tmp_create(tmp);
    if (fd < 0)
        return -1;
    int ok = write(fd, line, (size_t)n) == n && (!d->fsync || fsync(fd) == 0);
    int e = errno;
    if (!ok || rename(tmp, path) != 0) {
        e = ok ? errno : e;
        unlink(tmp);
        close(fd);
        errno = e;
        return -1;
    }
    close(fd); /* releases the lock only now: the cleaner never takes a live temp file */
    return 0;
}
