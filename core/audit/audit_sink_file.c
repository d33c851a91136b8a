/* The JSON lines file sink (see audit_sink.h). */
#include "audit_sink.h"

#include "audit_event.h"
#include "dirs.h"

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
    /* Lines that reached the file in a batch that then failed (a short write): the
     * caller hands the whole batch back (from the spool, maybe split differently),
     * and these must not be written twice. */
    char **written;
    size_t nwritten;
    int torn;             /* the file ends inside a line: start the next write with '\n' */
} file_sink;

static void forget_written(file_sink *f)
{
    for (size_t i = 0; i < f->nwritten; ++i)
        free(f->written[i]);
    free(f->written);
    f->written = NULL;
    f->nwritten = 0;
}

static ssize_t written_index(const file_sink *f, const char *line)
{
    for (size_t i = 0; i < f->nwritten; ++i)
        if (strcmp(f->written[i], line) == 0)
            return (ssize_t)i;
    return -1;
}

/* Once a batch is stored, the remembered lines it skipped are settled. */
static void settle(file_sink *f, char *const *lines, size_t n)
{
    for (size_t k = 0; k < n && f->nwritten > 0; ++k) {
        ssize_t i = written_index(f, lines[k]);
        if (i < 0)
            continue;
        free(f->written[i]);
        f->written[i] = f->written[--f->nwritten];
    }
}

/* After a short write of w bytes: remember the lines that made it whole. */
static void remember_written(file_sink *f, char *const *lines, size_t n, size_t w)
{
    size_t done = 0, k = 0;
    while (k < n && done + strlen(lines[k]) + 1 <= w)
        done += strlen(lines[k++]) + 1;
    char **more = realloc(f->written, (f->nwritten + k) * sizeof(char *));
    if (more == NULL)
        return;
    f->written = more;
    for (size_t i = 0; i < k; ++i)
        if ((f->written[f->nwritten] = strdup(lines[i])) != NULL)
            ++f->nwritten;
}

static int open_file(file_sink *f)
{
    f->fd = dirs_make_parent(f->path) == 0 ? open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
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
    char **todo = malloc((n > 0 ? n : 1) * sizeof(char *));
    size_t m = 0, total;
    for (size_t i = 0; todo != NULL && i < n; ++i)
        if (written_index(f, lines[i]) < 0)
            todo[m++] = lines[i];
    const char *lead = f->torn ? "\n" : "";
    char *buf = todo != NULL ? audit_join(todo, m, lead, '\n', m > 0 ? "\n" : "", &total) : NULL;
    if (buf == NULL) {
        free(todo);
        return snprintf(err, errlen, "out of memory"), AUDIT_SINK_RETRY;
    }
    /* One write per batch: with O_APPEND, lines from another writer never interleave
     * inside ours. A short write (disk full) leaves a torn line, ended by a newline now
     * or before the next batch (readers skip lines that do not parse). */
    ssize_t w;
    do
        w = total > 0 ? write(f->fd, buf, total) : 0;
    while (w < 0 && errno == EINTR);
    int saved = errno;
    free(buf);
    if (w == (ssize_t)total) {
        f->torn = 0;
        free(todo);
        settle(f, lines, n);
        return AUDIT_SINK_OK;
    }
    if (w > 0 && lead[0] != '\0')
        f->torn = 0;
    if (w > (ssize_t)strlen(lead)) {
        remember_written(f, todo, m, (size_t)w - strlen(lead));
        f->torn = write(f->fd, "\n", 1) != 1;
    }
    free(todo);
    snprintf(err, errlen, "%s: %s", f->path, w < 0 ? strerror(saved) : "short write (disk full?)");
    return AUDIT_SINK_RETRY;
}

static void file_close(audit_sink *s)
{
    file_sink *f = (file_sink *)s;
    if (f->fd >= 0)
        close(f->fd);
    forget_written(f);
    free(f);
}

audit_sink *audit_sink_file(const char *path, char *err, size_t errlen)
{
    file_sink *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return snprintf(err, errlen, "out of memory"), NULL;
    *f = (file_sink){{"file", file_write, file_close}, -1, "", NULL, 0, 0};
    snprintf(f->path, sizeof(f->path), "%s", path);
    if (open_file(f) < 0) {
        snprintf(err, errlen, "audit.path %s: %s", path, strerror(errno));
        free(f);
        return NULL;
    }
    return &f->super;
}
