/* The JSON lines file sink (see audit_sink.h). */
#include "audit_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_sink {
    audit_sink super;
    int fd;
    char path[4096];
} file_sink;

static int open_file(file_sink *f)
{
    f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    return f->fd;
}

/* logrotate renames the file: write to a new one at the configured path. */
static void reopen_if_moved(file_sink *f)
{
    struct stat at_path, open_one;
    if (f->fd >= 0 && stat(f->path, &at_path) == 0 && fstat(f->fd, &open_one) == 0 && at_path.st_ino == open_one.st_ino &&
        at_path.st_dev == open_one.st_dev)
        return;
    if (f->fd >= 0)
        close(f->fd);
    open_file(f);
}

static audit_sink_result file_write(audit_sink *s, char *const *lines, size_t n, char *err, size_t errlen)
{
    file_sink *f = (file_sink *)s;
    reopen_if_moved(f);
    if (f->fd < 0)
        return snprintf(err, errlen, "%s: %s", f->path, strerror(errno)), AUDIT_SINK_RETRY;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i)
        total += strlen(lines[i]) + 1;
    char *buf = malloc(total), *p = buf;
    if (buf == NULL)
        return snprintf(err, errlen, "out of memory"), AUDIT_SINK_RETRY;
    for (size_t i = 0; i < n; ++i) {
        size_t l = strlen(lines[i]);
        memcpy(p, lines[i], l);
        p[l] = '\n';
        p += l + 1;
    }
    /* One write per batch: with O_APPEND, lines from another writer never interleave
     * inside ours. A short write (disk full) would leave a torn line that the retried
     * batch glues onto: end it with a newline (readers skip lines that do not parse). */
    ssize_t w;
    do
        w = write(f->fd, buf, total);
    while (w < 0 && errno == EINTR);
    int saved = errno;
    free(buf);
    if (w == (ssize_t)total)
        return AUDIT_SINK_OK;
    if (w > 0 && write(f->fd, "\n", 1) != 1)
        saved = errno;
    snprintf(err, errlen, "%s: %s", f->path, w < 0 ? strerror(saved) : "short write (disk full?)");
    return AUDIT_SINK_RETRY;
}

static void file_close(audit_sink *s)
{
    file_sink *f = (file_sink *)s;
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

audit_sink *audit_sink_file(const char *path, char *err, size_t errlen)
{
    file_sink *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return snprintf(err, errlen, "out of memory"), NULL;
    *f = (file_sink){{"file", file_write, file_close}, -1, ""};
    snprintf(f->path, sizeof(f->path), "%s", path);
    if (open_file(f) < 0) {
        snprintf(err, errlen, "audit.path %s: %s", path, strerror(errno));
        free(f);
        return NULL;
    }
    return &f->super;
}
