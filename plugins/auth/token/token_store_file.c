/* The file token store: token_file.c's format at one path. Changes are noticed by
 * stat (inode, size, mtime), so a reload costs one stat when nothing changed. Writers
 * (the CLI) serialise on PATH.lock with flock. */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_store {
    token_store base;
    char *path;
    struct stat seen; /* as of the last load; st_ino 0 = missing */
} file_store;

static void stat_of(const char *path, struct stat *st)
{
    if (stat(path, st) != 0)
        memset(st, 0, sizeof(*st));
}

static int same(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static stoa_status fs_load(token_store *st, token_set *out, stoa_error *err)
{
    file_store *f = (file_store *)st;
    struct stat now;
    stat_of(f->path, &now); /* before reading: a write in between is seen next time */
    if (token_file_load(f->path, out, err) != 0)
        return err->status;
    f->seen = now;
    return STOA_OK;
}

static int fs_changed(token_store *st)
{
    file_store *f = (file_store *)st;
    struct stat now;
    stat_of(f->path, &now);
    return !same(&now, &f->seen);
}

/* Runs edit on the current contents under the writers' lock and saves the result. */
static stoa_status locked_edit(file_store *f, stoa_status (*edit)(token_set *, const void *, stoa_error *),
                               const void *arg, stoa_error *err)
{
    char lock[4096];
    snprintf(lock, sizeof(lock), "%s.lock", f->path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) { /* the first token of a fresh data directory */
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", f->path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir && (*slash = '\0', mkdir(dir, 0700)) == 0)
            fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return stoa_fail(err, STOA_UNAVAILABLE, "cannot open %s: %s", lock, strerror(errno));
    if (token_file_own(f->path, fd, err) != 0) /* the lock too stays the service's */
        return close(fd), err->status;
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    token_set s;
    stoa_status rc = token_file_load(f->path, &s, err) == 0 ? edit(&s, arg, err) : err->status;
    if (rc == STOA_OK && token_file_save(f->path, &s, err) != 0)
        rc = err->status;
    token_set_free(&s);
    close(fd);
    return rc;
}

static stoa_status add_edit(token_set *s, const void *arg, stoa_error *err)
{
    const token_entry *e = arg;
    if (token_set_find(s, e->name) != NULL)
        return stoa_fail(err, STOA_CONFLICT, "a token named '%s' exists already (names are never reused)", e->name);
    return token_set_add(s, e) == 0 ? STOA_OK : stoa_fail(err, STOA_INTERNAL, "out of memory");
}

typedef struct revoke_arg {
    const char *name;
    int64_t now;
} revoke_arg;

static stoa_status revoke_edit(token_set *s, const void *arg, stoa_error *err)
{
    const revoke_arg *r = arg;
    token_entry *e = token_set_find(s, r->name);
    if (e == NULL)
        return stoa_fail(err, STOA_NOTFOUND, "no token named '%s'", r->name);
    if (e->revoked == 0)
        e->revoked = r->now;
    return STOA_OK;
}

static stoa_status fs_add(token_store *st, const token_entry *e, stoa_error *err)
{
    return locked_edit((file_store *)st, add_edit, e, err);
}

static stoa_status fs_revoke(token_store *st, const char *name, int64_t now, stoa_error *err)
{
    revoke_arg r = {name, now};
    return locked_edit((file_store *)st, revoke_edit, &r, err);
}

static void fs_close(token_store *st)
{
    file_store *f = (file_store *)st;
    free(f->path);
    free(f);
}

static const token_store_ops file_ops = {fs_load, fs_changed, fs_add, fs_revoke, fs_close};

token_store *token_store_file_open(const char *path, stoa_error *err)
{
    file_store *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        stoa_fail(err, STOA_INTERNAL, "out of memory");
        return NULL;
    }
    f->base.ops = &file_ops;
    return &f->base;
}
