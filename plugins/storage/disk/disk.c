/*
 * The disk storage plugin: a tree that mirrors the GOPROXY URL space
 * (<root>/<escaped module>/@v/<version>.zip ...), so any static web server could serve
 * it too. Writes go to <root>/.tmp, are fsynced, and are renamed into place: the rename
 * is the commit point (contract S1). The check that a version is new and its commit run
 * under a per-version lock (a flock on its directory), so of two concurrent writers
 * exactly one wins and the loser's sidecar never lands (S3); immutable objects are
 * also created with RENAME_NOREPLACE.
 */
#include "disk_index.h"
#include "disk_meta.h"
#include "disk_metacache.h"
#include "disk_path.h"
#include "disk_pin.h"
#include "disk_store.h"
#include "disk_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static stoa_status io_fail(stoa_error *err, const char *what, const char *path)
{
    int e = errno;
    stoa_status st = e == ENOSPC || e == EDQUOT || e == EFBIG ? STOA_NOSPACE : STOA_INTERNAL;
    return stoa_fail(err, st, "%s %s: %s", what, path, strerror(e));
}

/* Removes temp files a crash left behind: those whose writer's lock is gone. Files of a
 * live writer (another stoa process on the same root, e.g. `stoa gc` beside the server)
 * are locked and left alone. */
static int clean_tmp(const disk *d)
{
    DIR *dir = opendir(d->tmp);
    int n = 0;
    if (dir == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        int fd = openat(dirfd(dir), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dirfd(dir), e->d_name, 0) == 0)
            ++n;
        close(fd);
    }
    closedir(dir);
    return n;
}

static stoa_status disk_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    disk *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    d->host = host;
    const char *root = host->option(opts, "root", "./stoa-data");
    const char *fs = host->option(opts, "fsync", "true");
    d->fsync = strcmp(fs, "false") != 0 && strcmp(fs, "0") != 0 && strcmp(fs, "no") != 0;
    snprintf(d->root, sizeof(d->root), "%s", root);
    snprintf(d->tmp, sizeof(d->tmp), "%s/.tmp/", root);
    struct stat st;
    if (disk_mkparent(d->tmp) != 0 || stat(d->root, &st) != 0 || !S_ISDIR(st.st_mode) || access(d->root, W_OK) != 0) {
        stoa_status s = stoa_fail(err, STOA_UNAVAILABLE, "storage root %s is not a writable directory: %s", d->root,
                                  strerror(errno));
        free(d);
        return s;
    }
    d->tmp[strlen(d->tmp) - 1] = '\0';
    int cleaned = clean_tmp(d);
    if (cleaned > 0)
        host->log(host, STOA_LOG_WARN, "removed %d unfinished temp file(s) from %s (left by a crash)", cleaned, d->tmp);
    d->metas = disk_metacache_new();
    d->index = disk_index_new();
    *state = d;
    return STOA_OK;
}

static void disk_close(void *state)
{
    disk_metacache_free(((disk *)state)->metas);
    disk_index_free(((disk *)state)->index);
    free(state);
}

/* The object's sidecar facts: cached for this very inode, read, or (no sidecar, or a
 * stale one) just its size, sha256 unknown (all zeros). */
static void meta_of(disk *d, const char *path, const struct stat *st, stoa_meta *m)
{
    memset(m, 0, sizeof(*m));
    if (disk_metacache_get(d->metas, st, m))
        return;
    if (disk_meta_read(path, m) == 0 && m->size == (uint64_t)st->st_size) {
        disk_metacache_put(d->metas, st, m);
        return;
    }
    memset(m, 0, sizeof(*m));
    m->size = (uint64_t)st->st_size;
    m->stored_at = st->st_mtime;
}

static int read_all(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* A hit whose bytes the cache holds is one stat(2); otherwise the file is read once
 * and its bytes kept with its cached sidecar for the next time. */
static stoa_status disk_get_copy(void *state, const stoa_key *key, void *buf, size_t cap, stoa_meta *meta,
                                 stoa_error *err)
{
    disk *d = state;
    char path[PATH_MAX], why[256];
    if (disk_path(d, key, path, sizeof(path), why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "%s", why);
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? stoa_fail(err, STOA_NOTFOUND, "not stored") : io_fail(err, "stat", path);
    if (disk_metacache_get_body(d->metas, &st, meta, buf, cap))
        return STOA_OK;
    if ((uint64_t)st.st_size > cap) {
        meta_of(d, path, &st, meta);
        return STOA_OK; /* too big to copy: the caller uses get() */
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? stoa_fail(err, STOA_NOTFOUND, "not stored") : io_fail(err, "open", path);
    int ok = fstat(fd, &st) == 0 && ((uint64_t)st.st_size > cap || read_all(fd, buf, (size_t)st.st_size) == 0);
    close(fd);
    if (!ok)
        return io_fail(err, "read", path);
    meta_of(d, path, &st, meta); /* of the inode read (it may have been replaced since stat) */
    if (meta->size <= cap)
        disk_metacache_put_body(d->metas, &st, buf);
    return STOA_OK;
}

static stoa_status disk_get(void *state, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err)
{
    disk *d = state;
    char path[PATH_MAX], why[256];
    if (disk_path(d, key, path, sizeof(path), why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "%s", why);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? stoa_fail(err, STOA_NOTFOUND, "not stored") : io_fail(err, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return io_fail(err, "stat", path);
    }
    stoa_meta m;
    meta_of(d, path, &st, &m);
    if (flags & STOA_GET_META_ONLY) {
        close(fd);
        fd = -1;
    }
    out->fd = fd;
    out->meta = m;
    return STOA_OK;
}

static int copy_fd(int in, int out, uint64_t size)
{
    off_t off = 0;
    while ((uint64_t)off < size) {
        ssize_t n = copy_file_range(in, &off, out, NULL, size - (uint64_t)off, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            n = sendfile(out, in, &off, size - (uint64_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? (errno = EIO, -1) : -1;
    }
    return 0;
}

/* Byte equality of two files of size bytes (read with pread: no offsets move). */
static int same_bytes(int a, int b, uint64_t size)
{
    char x[16384], y[16384];
    for (uint64_t off = 0; off < size;) {
        size_t want = size - off < sizeof(x) ? (size_t)(size - off) : sizeof(x);
        ssize_t n = pread(a, x, want, (off_t)off), m = pread(b, y, want, (off_t)off);
        if (n <= 0 || n != m || memcmp(x, y, (size_t)n) != 0)
            return 0;
        off += (uint64_t)n;
    }
    return 1;
}

/* Same content as stored? 1 yes, 0 no, -1 absent. The sidecar's sha256 decides; an
 * object without one (a crash between its rename and its sidecar's) is compared byte
 * by byte, never trusted by its size. */
static int same_as_stored(const char *path, const stoa_put_file *f)
{
    stoa_meta m;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (disk_meta_read(path, &m) == 0 && m.size == (uint64_t)st.st_size)
        return memcmp(m.sha256, f->meta.sha256, 32) == 0;
    if ((uint64_t)st.st_size != f->meta.size)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int same = fd >= 0 && same_bytes(fd, f->fd, f->meta.size);
    if (fd >= 0)
        close(fd);
    return same;
}

static int fault(const char *point)
{
    const char *at = getenv("STOA_DISK_CRASH_AT");
    return at != NULL && strcmp(at, point) == 0;
}

/* Copies f into a locked temp file (named in tmp) and syncs it: the slow part of a put,
 * done before the version's lock is taken. The temp file's descriptor, or -1. */
static int stage_one(disk *d, const stoa_put_file *f, char *tmp, size_t len, stoa_error *err)
{
    snprintf(tmp, len, "%s/obj.XXXXXX", d->tmp);
    int fd = disk_tmp_create(tmp);
    if (fd < 0) {
        io_fail(err, "create temp file in", d->tmp);
        return -1;
    }
    if (copy_fd(f->fd, fd, f->meta.size) != 0 || (d->fsync && fsync(fd) != 0) || fchmod(fd, 0640) != 0) {
        io_fail(err, "write", tmp);
        unlink(tmp);
        close(fd);
        return -1;
    }
    return fd;
}

/* Commits a staged object, under its version's lock: sidecar first, then the object's
 * rename (the commit point; a sidecar without its object is ignored). The lock makes
 * check, sidecar and rename one step for every stoa writer, so a losing writer never
 * overwrites the winner's sidecar; RENAME_NOREPLACE still guards against any other. */
static stoa_status commit_one(disk *d, const char *tmp, const char *path, const stoa_put_file *f, stoa_error *err)
{
    stoa_meta m = f->meta;
    m.stored_at = (int64_t)time(NULL);
    if (fault("before_rename"))
        _exit(99);
    if (disk_meta_write(d, path, &m) != 0)
        return io_fail(err, "write metadata for", path);
    unsigned flags = STOA_KIND_IS_IMMUTABLE(f->kind) ? RENAME_NOREPLACE : 0;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, flags) == 0)
        return STOA_OK;
    if (errno != EEXIST)
        return io_fail(err, "rename into", path);
    return stoa_fail(err, STOA_CONFLICT, "%s was created by another writer meanwhile", path);
}

static int kind_rank(stoa_kind k)
{
    return k == STOA_KIND_ZIP ? 0 : k == STOA_KIND_MOD ? 1 : k == STOA_KIND_INFO ? 3 : 2;
}

static void sync_dir(const disk *d, const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!d->fsync || slash == NULL)
        return;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The version's lock: an exclusive flock on the directory holding path (created if
 * need be), shared by every process on this root. The locked descriptor, or -1. */
static int lock_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || disk_mkparent(path) != 0)
        return -1;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

typedef struct put_set {
    char paths[4][PATH_MAX];
    char tmps[4][PATH_MAX + 16];
    int tmpfd[4];
    size_t order[4]; /* zip, mod, ..., info last */
    size_t n;
} put_set;

static void put_set_release(put_set *ps)
{
    for (size_t i = 0; i < ps->n; ++i)
        if (ps->tmpfd[i] >= 0) {
            unlink(ps->tmps[i]); /* no-op after a successful rename */
            close(ps->tmpfd[i]); /* holds the temp file's lock until here */
        }
}

/* Under the lock: checks the whole set before committing any of it (S2, S3), then
 * commits it in order. */
static stoa_status put_locked(disk *d, const char *module, const char *version, const stoa_put_file *files, put_set *ps,
                              stoa_error *err)
{
    int skip[4] = {0};
    for (size_t i = 0; i < ps->n; ++i) {
        if (!STOA_KIND_IS_IMMUTABLE(files[i].kind))
            continue;
        int same = same_as_stored(ps->paths[i], &files[i]);
        if (same == 0)
            return stoa_fail(err, STOA_CONFLICT, "%s@%s: %s already exists with different content; versions are immutable",
                             module, version ? version : "", strrchr(ps->paths[i], '/') + 1);
        skip[i] = same == 1;
    }
    for (size_t k = 0; k < ps->n; ++k) {
        size_t i = ps->order[k];
        if (skip[i])
            continue;
        stoa_status st = commit_one(d, ps->tmps[i], ps->paths[i], &files[i], err);
        if (st != STOA_OK)
            return st;
        if (files[i].kind == STOA_KIND_INFO) /* the version is listed from here: stamp its commit order */
            disk_index_commit(d, module, version, ps->paths[i]);
        sync_dir(d, ps->paths[i]);
    }
    return STOA_OK;
}

static stoa_status disk_put(void *state, const char *module, const char *version, const stoa_put_file *files, size_t n,
                            stoa_error *err)
{
    disk *d = state;
    char why[256];
    put_set ps = {.n = 0};
    if (n == 0 || n > 4)
        return stoa_fail(err, STOA_INVALID, "put of %zu files", n);
    for (size_t i = 0; i < n; ++i) {
        stoa_key key = {module, version, files[i].kind};
        if (disk_path(d, &key, ps.paths[i], sizeof(ps.paths[i]), why, sizeof(why)) != 0)
            return stoa_fail(err, STOA_INVALID, "%s", why);
        ps.order[i] = i;
    }
    for (size_t i = 1; i < n; ++i)
        for (size_t j = i; j > 0 && kind_rank(files[ps.order[j]].kind) < kind_rank(files[ps.order[j - 1]].kind); --j) {
            size_t t = ps.order[j];
            ps.order[j] = ps.order[j - 1];
            ps.order[j - 1] = t;
        }
    stoa_status st = STOA_OK;
    for (; ps.n < n && st == STOA_OK; ++ps.n)
        if ((ps.tmpfd[ps.n] = stage_one(d, &files[ps.n], ps.tmps[ps.n], sizeof(ps.tmps[ps.n]), err)) < 0)
            st = err->status;
    int lock = st == STOA_OK ? lock_dir_of(ps.paths[0]) : -1; /* one put is one version: one directory */
    if (st == STOA_OK && lock < 0)
        st = io_fail(err, "lock the directory of", ps.paths[0]);
    if (st == STOA_OK)
        st = put_locked(d, module, version, files, &ps, err);
    if (lock >= 0)
        close(lock);
    put_set_release(&ps);
    return st;
}

typedef struct list_ctx {
    stoa_version_cb cb;
    void *arg;
} list_ctx;

static int list_one(void *arg, const char *module, const char *version, const struct stat *st)
{
    list_ctx *c = arg;
    (void)module;
    return c->cb(c->arg, version, st->st_mtime) != 0;
}

static stoa_status disk_list(void *state, const char *module, stoa_version_cb cb, void *arg, stoa_error *err)
{
    disk *d = state;
    char dir[PATH_MAX], why[256];
    if (disk_version_dir(d, module, dir, sizeof(dir), why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "%s", why);
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return errno == ENOENT || errno == ENOTDIR ? STOA_OK : io_fail(err, "list", dir);
    list_ctx c = {cb, arg};
    disk_tree_versions(dp, module, list_one, &c);
    closedir(dp);
    return STOA_OK;
}

typedef struct walk_ctx {
    stoa_walk_cb cb;
    void *arg;
} walk_ctx;

static int walk_one(void *arg, const char *module, const char *version, const struct stat *st)
{
    walk_ctx *w = arg;
    return w->cb(w->arg, module, version, st->st_mtime) != 0;
}

/* Reports every version (an .info file) in the @v directory dir of module. */
static int walk_versions(void *arg, const char *module, DIR *vd)
{
    return disk_tree_versions(vd, module, walk_one, arg);
}

static stoa_status disk_walk(void *state, stoa_walk_cb cb, void *arg, stoa_error *err)
{
    disk *d = state;
    walk_ctx w = {cb, arg};
    (void)err;
    disk_tree_walk(d->root, walk_versions, &w);
    return STOA_OK;
}

typedef struct objects_ctx {
    disk *d;
    stoa_object_cb cb;
    void *arg;
} objects_ctx;

/* Reports the object key, the file name in directory dfd, with its sidecar facts. Only
 * a regular file counts: a symlink is not followed out of root. */
static int object_at(void *arg, const stoa_key *key, int dfd, const char *name)
{
    objects_ctx *w = arg;
    char path[PATH_MAX], why[256];
    struct stat st;
    stoa_meta m;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        disk_path(w->d, key, path, sizeof(path), why, sizeof(why)) != 0)
        return 0;
    meta_of(w->d, path, &st, &m);
    return w->cb(w->arg, key, &m) != 0;
}

/* The kind of an @v entry: a version's .info, .mod or .zip (its escaped version into
 * esc), or the module's list; 0 for anything else. */
static stoa_kind vfile_kind(const char *name, char *esc, size_t len)
{
    static const struct { const char *ext; stoa_kind kind; } exts[] = {
        {".info", STOA_KIND_INFO}, {".mod", STOA_KIND_MOD}, {".zip", STOA_KIND_ZIP}};
    size_t l = strlen(name);
    if (strcmp(name, "list") == 0)
        return STOA_KIND_LIST;
    for (size_t k = 0; k < 3 && name[0] != '.'; ++k) {
        size_t el = strlen(exts[k].ext);
        if (l > el && l - el < len && strcmp(name + l - el, exts[k].ext) == 0) {
            snprintf(esc, len, "%.*s", (int)(l - el), name);
            return exts[k].kind;
        }
    }
    return 0;
}

/* Every .info, .mod and .zip of one @v directory, and the module's list. */
static int objects_in(void *arg, const char *module, DIR *vd)
{
    int stop = 0;
    for (struct dirent *v; !stop && (v = readdir(vd)) != NULL;) {
        char esc[256], ver[256];
        stoa_kind k = vfile_kind(v->d_name, esc, sizeof(esc));
        stoa_key key = {module, k == STOA_KIND_LIST ? NULL : ver, k};
        if (k != 0 && (k == STOA_KIND_LIST || disk_unescape(esc, ver, sizeof(ver)) == 0))
            stop = object_at(arg, &key, dirfd(vd), v->d_name);
    }
    return stop;
}

/* One pass over the module tree (versions, lists, @latest), one over base/sumdb. */
static stoa_status disk_objects(void *state, stoa_object_cb cb, void *arg, stoa_error *err)
{
    disk *d = state;
    objects_ctx w = {d, cb, arg};
    (void)err;
    if (disk_tree_walk_latest(d->root, objects_in, object_at, &w) == 0)
        disk_tree_sumdb(d->root, object_at, &w);
    return STOA_OK;
}

/* The directory holding path, locked as a put locks it (lock_dir_of) but never
 * created: -1 with errno when it cannot be opened. */
static int lock_existing_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        flock(fd, LOCK_EX);
    return fd;
}

static stoa_status disk_remove(void *state, const char *module, const char *version, stoa_error *err)
{
    disk *d = state;
    static const stoa_kind kinds[] = {STOA_KIND_INFO, STOA_KIND_MOD, STOA_KIND_ZIP}; /* info first: unlisted first */
    char paths[3][PATH_MAX], why[256];
    for (size_t i = 0; i < 3; ++i) {
        stoa_key key = {module, version, kinds[i]};
        if (disk_path(d, &key, paths[i], sizeof(paths[i]), why, sizeof(why)) != 0)
            return stoa_fail(err, STOA_INVALID, "%s", why);
    }
    int lock = lock_existing_dir_of(paths[0]);
    if (lock < 0)
        return errno == ENOENT ? stoa_fail(err, STOA_NOTFOUND, "%s@%s is not stored", module, version)
                               : io_fail(err, "open the directory of", paths[0]);
    int found = 0;
    stoa_status st = STOA_OK;
    for (size_t i = 0; i < 3 && st == STOA_OK; ++i) {
        char meta[PATH_MAX + 16];
        if (unlink(paths[i]) == 0)
            found = 1;
        else if (errno != ENOENT)
            st = io_fail(err, "remove", paths[i]);
        if (disk_meta_path(paths[i], meta, sizeof(meta)) == 0)
            unlink(meta);
    }
    if (access(paths[0], F_OK) != 0)
        disk_index_remove(d, module, version);
    close(lock);
    if (st != STOA_OK)
        return st;
    return found ? STOA_OK : stoa_fail(err, STOA_NOTFOUND, "%s@%s is not stored", module, version);
}

/* The one file of key and then its sidecar (the object is the commit; a sidecar
 * without one is ignored), under the lock a put of it takes. */
static stoa_status disk_remove_object(void *state, const stoa_key *key, stoa_error *err)
{
    disk *d = state;
    char path[PATH_MAX], why[256], meta[PATH_MAX + 16];
    if (disk_path(d, key, path, sizeof(path), why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "%s", why);
    const char *name = path + strlen(d->root) + 1;
    int lock = lock_existing_dir_of(path);
    if (lock < 0)
        return errno == ENOENT || errno == ENOTDIR ? stoa_fail(err, STOA_NOTFOUND, "%s is not stored", name)
                                                   : io_fail(err, "open the directory of", path);
    stoa_status st = STOA_OK;
    if (unlink(path) != 0)
        st = errno == ENOENT ? stoa_fail(err, STOA_NOTFOUND, "%s is not stored", name) : io_fail(err, "remove", path);
    if (st == STOA_OK && disk_meta_path(path, meta, sizeof(meta)) == 0)
        unlink(meta);
    if (st == STOA_OK && key->kind == STOA_KIND_INFO) /* unlisted */
        disk_index_remove(d, key->module, key->version);
    close(lock);
    return st;
}

static stoa_status disk_catalog_page(void *state, const char *after_module, const char *after_version, size_t limit,
                                     stoa_entry_cb cb, void *arg, stoa_error *err)
{
    return disk_index_catalog(state, after_module, after_version, limit, cb, arg, err);
}

static stoa_status disk_index_page_m(void *state, const char *after, int64_t since, size_t limit, stoa_entry_cb cb,
                                     void *arg, stoa_error *err)
{
    return disk_index_page(state, after, since, limit, cb, arg, err);
}

static stoa_status disk_health(void *state, stoa_error *err)
{
    disk *d = state;
    if (access(d->root, W_OK) != 0 || access(d->tmp, W_OK) != 0)
        return stoa_fail(err, STOA_UNAVAILABLE, "storage root %s is not writable: %s", d->root, strerror(errno));
    return STOA_OK;
}

static const stoa_storage_methods methods = {
    .struct_size = sizeof(stoa_storage_methods),
    .caps = STOA_STORAGE_CAP_FAST_GET,
    .open = disk_open,
    .close = disk_close,
    .get = disk_get,
    .put = disk_put,
    .list = disk_list,
    .remove = disk_remove,
    .walk = disk_walk,
    .health = disk_health,
    .pin_get = disk_pin_get,
    .pin_put = disk_pin_put,
    .pin_walk = disk_pin_walk,
    .get_copy = disk_get_copy,
    .objects = disk_objects,
    .remove_object = disk_remove_object,
    .catalog_page = disk_catalog_page,
    .index_page = disk_index_page_m,
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_STORAGE, "disk", "1.2", &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
