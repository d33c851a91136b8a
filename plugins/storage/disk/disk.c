/*
 * The disk storage plugin: a tree that mirrors the GOPROXY URL space
 * (<root>/<escaped module>/@v/<version>.zip ...), so any static web server could serve
 * it too. Writes go to <root>/.tmp, are fsynced, and are renamed into place: the rename
 * is the commit point (contract S1). Immutable objects are created with
 * RENAME_NOREPLACE, so two writers can never both win (S3).
 */
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
    *state = d;
    return STOA_OK;
}

static void disk_close(void *state)
{
    disk_metacache_free(((disk *)state)->metas);
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

/* Same content as stored? 1 yes, 0 no, -1 absent. */
static int same_as_stored(const char *path, const stoa_put_file *f)
{
    stoa_meta m;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (disk_meta_read(path, &m) != 0)
        return (uint64_t)st.st_size == f->meta.size; /* no sidecar: best effort by size */
    return memcmp(m.sha256, f->meta.sha256, 32) == 0;
}

static int fault(const char *point)
{
    const char *at = getenv("STOA_DISK_CRASH_AT");
    return at != NULL && strcmp(at, point) == 0;
}

static stoa_status write_one(disk *d, const char *path, const stoa_put_file *f, stoa_error *err)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s/obj.XXXXXX", d->tmp);
    int fd = disk_tmp_create(tmp);
    if (fd < 0)
        return io_fail(err, "create temp file in", d->tmp);
    stoa_meta m = f->meta;
    m.stored_at = (int64_t)time(NULL);
    int ok = copy_fd(f->fd, fd, m.size) == 0 && (!d->fsync || fsync(fd) == 0) && fchmod(fd, 0644) == 0;
    stoa_status st = ok ? STOA_OK : io_fail(err, "write", tmp);
    if (st == STOA_OK && fault("before_rename"))
        _exit(99);
    if (st == STOA_OK && (disk_mkparent(path) != 0 || disk_meta_write(d, path, &m) != 0))
        st = io_fail(err, "write metadata for", path);
    if (st == STOA_OK) {
        unsigned flags = STOA_KIND_IS_IMMUTABLE(f->kind) ? RENAME_NOREPLACE : 0;
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, flags) != 0) {
            if (errno == EEXIST)
                st = same_as_stored(path, f) == 1 ? STOA_OK
                                                  : stoa_fail(err, STOA_CONFLICT, "%s already exists with different content", path);
            else
                st = io_fail(err, "rename into", path);
        }
    }
    unlink(tmp); /* no-op after a successful rename */
    close(fd);   /* holds the temp file's lock until here */
    return st;
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

static stoa_status disk_put(void *state, const char *module, const char *version, const stoa_put_file *files, size_t n,
                            stoa_error *err)
{
    disk *d = state;
    char paths[4][PATH_MAX], why[256];
    int skip[4] = {0};
    size_t order[4];
    if (n == 0 || n > 4)
        return stoa_fail(err, STOA_INVALID, "put of %zu files", n);
    for (size_t i = 0; i < n; ++i) {
        stoa_key key = {module, version, files[i].kind};
        if (disk_path(d, &key, paths[i], sizeof(paths[i]), why, sizeof(why)) != 0)
            return stoa_fail(err, STOA_INVALID, "%s", why);
        order[i] = i;
    }
    /* Check the whole set before committing any of it (S2, S3). */
    for (size_t i = 0; i < n; ++i) {
        if (!STOA_KIND_IS_IMMUTABLE(files[i].kind))
            continue;
        int same = same_as_stored(paths[i], &files[i]);
        if (same == 0)
            return stoa_fail(err, STOA_CONFLICT, "%s@%s: %s already exists with different content; versions are immutable",
                             module, version ? version : "", strrchr(paths[i], '/') + 1);
        skip[i] = same == 1;
    }
    for (size_t i = 1; i < n; ++i) /* zip, mod, ..., info last */
        for (size_t j = i; j > 0 && kind_rank(files[order[j]].kind) < kind_rank(files[order[j - 1]].kind); --j) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t k = 0; k < n; ++k) {
        size_t i = order[k];
        if (skip[i])
            continue;
        stoa_status st = write_one(d, paths[i], &files[i], err);
        if (st != STOA_OK)
            return st;
        sync_dir(d, paths[i]);
    }
    return STOA_OK;
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
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t l = strlen(e->d_name);
        char ver[256];
        if (l <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".info") != 0 || l - 5 >= sizeof(ver))
            continue;
        char esc[256];
        snprintf(esc, sizeof(esc), "%.*s", (int)(l - 5), e->d_name);
        struct stat st;
        if (disk_unescape(esc, ver, sizeof(ver)) != 0 || fstatat(dirfd(dp), e->d_name, &st, 0) != 0)
            continue;
        if (cb(arg, ver, st.st_mtime) != 0)
            break;
    }
    closedir(dp);
    return STOA_OK;
}

typedef struct walk_ctx {
    stoa_walk_cb cb;
    void *arg;
} walk_ctx;

/* Reports every version (an .info file) in the @v directory dir of module. */
static int walk_versions(void *arg, const char *module, DIR *vd)
{
    walk_ctx *w = arg;
    int stop = 0;
    for (struct dirent *v; !stop && (v = readdir(vd)) != NULL;) {
        size_t l = strlen(v->d_name);
        char esc[256], ver[256];
        struct stat st;
        if (l <= 5 || v->d_name[0] == '.' || strcmp(v->d_name + l - 5, ".info") != 0 || l - 5 >= sizeof(esc))
            continue;
        snprintf(esc, sizeof(esc), "%.*s", (int)(l - 5), v->d_name);
        if (disk_unescape(esc, ver, sizeof(ver)) == 0 && fstatat(dirfd(vd), v->d_name, &st, 0) == 0)
            stop = w->cb(w->arg, module, ver, st.st_mtime) != 0;
    }
    return stop;
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

/* Every .info, .mod and .zip of one @v directory, with its sidecar facts. */
static int objects_in(void *arg, const char *module, DIR *vd)
{
    objects_ctx *w = arg;
    static const struct { const char *ext; stoa_kind kind; } exts[] = {
        {".info", STOA_KIND_INFO}, {".mod", STOA_KIND_MOD}, {".zip", STOA_KIND_ZIP}};
    int stop = 0;
    for (struct dirent *v; !stop && (v = readdir(vd)) != NULL;) {
        size_t l = strlen(v->d_name);
        for (size_t k = 0; k < 3 && v->d_name[0] != '.'; ++k) {
            size_t el = strlen(exts[k].ext);
            char esc[256], ver[256], path[PATH_MAX];
            struct stat st;
            if (l <= el || l - el >= sizeof(esc) || strcmp(v->d_name + l - el, exts[k].ext) != 0)
                continue;
            snprintf(esc, sizeof(esc), "%.*s", (int)(l - el), v->d_name);
            stoa_key key = {module, ver, exts[k].kind};
            stoa_meta m;
            if (disk_unescape(esc, ver, sizeof(ver)) != 0 || fstatat(dirfd(vd), v->d_name, &st, 0) != 0 ||
                disk_path(w->d, &key, path, sizeof(path), esc, sizeof(esc)) != 0)
                break;
            meta_of(w->d, path, &st, &m);
            stop = w->cb(w->arg, &key, &m) != 0;
            break;
        }
    }
    return stop;
}

static stoa_status disk_objects(void *state, stoa_object_cb cb, void *arg, stoa_error *err)
{
    objects_ctx w = {state, cb, arg};
    (void)err;
    disk_tree_walk(((disk *)state)->root, objects_in, &w);
    return STOA_OK;
}

static stoa_status disk_remove(void *state, const char *module, const char *version, stoa_error *err)
{
    disk *d = state;
    static const stoa_kind kinds[] = {STOA_KIND_INFO, STOA_KIND_MOD, STOA_KIND_ZIP}; /* info first: unlisted first */
    int found = 0;
    for (size_t i = 0; i < 3; ++i) {
        char path[PATH_MAX], meta[PATH_MAX + 16], why[256];
        stoa_key key = {module, version, kinds[i]};
        if (disk_path(d, &key, path, sizeof(path), why, sizeof(why)) != 0)
            return stoa_fail(err, STOA_INVALID, "%s", why);
        if (unlink(path) == 0)
            found = 1;
        else if (errno != ENOENT)
            return io_fail(err, "remove", path);
        if (disk_meta_path(path, meta, sizeof(meta)) == 0)
            unlink(meta);
    }
    return found ? STOA_OK : stoa_fail(err, STOA_NOTFOUND, "%s@%s is not stored", module, version);
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
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_STORAGE, "disk", "1.2", &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
