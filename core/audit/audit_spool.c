#include "audit_spool.h"

#include "audit_event.h"
#include "dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct audit_spool {
    int fd;
    char path[4096];
};

audit_spool *audit_spool_open(const char *path, char *err, size_t errlen)
{
    audit_spool *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return snprintf(err, errlen, "out of memory"), NULL;
    snprintf(sp->path, sizeof(sp->path), "%s", path);
    sp->fd = dirs_make_parent(path) == 0 ? open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    if (sp->fd < 0) {
        snprintf(err, errlen, "audit spool %s: %s", path, strerror(errno));
        free(sp);
        return NULL;
    }
    return sp;
}

void audit_spool_close(audit_spool *sp)
{
    if (sp == NULL)
        return;
    close(sp->fd);
    free(sp);
}

uint64_t audit_spool_size(audit_spool *sp)
{
    struct stat st;
    return fstat(sp->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A write cut by a crash leaves a line without its newline: end it, so the next line
 * does not glue onto it (replay then skips the torn one alone). */
static int end_torn_line(int fd)
{
    struct stat st;
    char last;
    if (fstat(fd, &st) != 0)
        return -1;
    if (st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n')
        return 0;
    return write_all(fd, "\n", 1);
}

int audit_spool_append(audit_spool *sp, char *const *lines, size_t n, char *err, size_t errlen)
{
    size_t total;
    char *buf = audit_join(lines, n, "", '\n', "\n", &total);
    if (buf == NULL)
        return snprintf(err, errlen, "out of memory"), -1;
    flock(sp->fd, LOCK_EX);
    int rc = end_torn_line(sp->fd) == 0 && write_all(sp->fd, buf, total) == 0 && fdatasync(sp->fd) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "audit spool %s: %s", sp->path, strerror(errno));
    flock(sp->fd, LOCK_UN);
    free(buf);
    return rc;
}

static int is_json_object(const char *line)
{
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
    int ok = j != NULL && json_is_object(j);
    json_decref(j);
    return ok;
}

typedef struct batch {
    char **lines;
    size_t n;
} batch;

static void batch_clear(batch *b)
{
    for (size_t i = 0; i < b->n; ++i)
        free(b->lines[i]);
    b->n = 0;
}

/* Reads the spool from the start; 0 when every batch was delivered, 1 when one failed,
 * -1 on a read error. */
static int replay_locked(audit_spool *sp, size_t batch_max, audit_spool_deliver deliver, void *arg, size_t *delivered,
                         size_t *skipped)
{
    int dfd = dup(sp->fd);
    FILE *f = dfd >= 0 ? fdopen(dfd, "r") : NULL;
    if (f == NULL) {
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    rewind(f);
    batch b = {calloc(batch_max, sizeof(char *)), 0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = b.lines == NULL ? -1 : 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        if (len == 0 || line[len - 1] != '\n' || (line[len - 1] = '\0', !is_json_object(line))) {
            ++*skipped;
            continue;
        }
        if ((b.lines[b.n] = strdup(line)) == NULL) {
            rc = -1;
            break;
        }
        if (++b.n == batch_max) {
            rc = deliver(arg, b.lines, b.n) == 0 ? 0 : 1;
            *delivered += rc == 0 ? b.n : 0;
            batch_clear(&b);
        }
    }
    if (rc == 0 && ferror(f))
        rc = -1;
    if (rc == 0 && b.n > 0) {
        rc = deliver(arg, b.lines, b.n) == 0 ? 0 : 1;
        *delivered += rc == 0 ? b.n : 0;
    }
    if (b.lines != NULL)
        batch_clear(&b);
    free(b.lines);
    free(line);
    fclose(f);
    return rc;
}

int audit_spool_replay(audit_spool *sp, size_t batch_max, audit_spool_deliver deliver, void *arg, size_t *delivered,
                       size_t *skipped, char *err, size_t errlen)
{
    *delivered = *skipped = 0;
    if (batch_max == 0)
        batch_max = 1;
    flock(sp->fd, LOCK_EX);
    int rc = replay_locked(sp, batch_max, deliver, arg, delivered, skipped);
    if (rc == 0 && (ftruncate(sp->fd, 0) != 0 || fdatasync(sp->fd) != 0))
        rc = -1;
    if (rc < 0)
        snprintf(err, errlen, "audit spool %s: %s", sp->path, errno ? strerror(errno) : "read error");
    flock(sp->fd, LOCK_UN);
    return rc;
}
