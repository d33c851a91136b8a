/*
 * A local copy of S3 bodies in <tmp_dir>/pgs3-cache, bounded by cache_size, so that a
 * hit costs a PostgreSQL lookup and an open(2) rather than an S3 GET (Artifactory's
 * cache-fs in front of an object store does the same).
 *
 * Bodies are content-addressed: a name (the body's sha256) can only ever hold one
 * content, so nothing is ever invalidated. A GET's spool file is linked in only after
 * its size and sha256 matched the row, and a hit checks the size again. A machine that
 * went down may have lost page-cache bytes of files that are linked in, so the
 * directory is emptied at open when the boot id differs from the one it was filled
 * under. Past cache_size, the least recently used bodies (mtime, refreshed on a hit at
 * most once a minute) are removed down to 90% of it.
 */
#include "pgs3.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOT_FILE ".boot"
#define TOUCH_EVERY_S 60

static int read_boot_id(char out[64])
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    int ok = f != NULL && fgets(out, 64, f) != NULL;
    if (f != NULL)
        fclose(f);
    return ok ? 0 : -1;
}

static int is_body_name(const char *name)
{
    size_t n = strspn(name, "0123456789abcdef");
    return n == 64 && name[64] == '\0';
}

typedef struct entry {
    time_t mtime;
    uint64_t size;
    char name[65];
} entry;

/* Calls fn for every body in the directory, and removes what is not a body. */
static int scan(pgs3_cache *c, void (*fn)(void *arg, const entry *e), void *arg)
{
    DIR *d = opendir(c->dir);
    if (d == NULL)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || strcmp(de->d_name, BOOT_FILE) == 0)
            continue;
        if (!is_body_name(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode)) {
            unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        entry e = {st.st_mtime, (uint64_t)st.st_size, {0}};
        memcpy(e.name, de->d_name, 65);
        fn(arg, &e);
    }
    closedir(d);
    return 0;
}

static void add_size(void *arg, const entry *e)
{
    *(uint64_t *)arg += e->size;
}

static void remove_body(void *arg, const entry *e)
{
    char path[PGS3_CACHE_PATH];
    snprintf(path, sizeof(path), "%s/%s", ((pgs3_cache *)arg)->dir, e->name);
    unlink(path);
}

/* Empties the directory unless it was filled since this machine booted. */
static int check_boot(pgs3_cache *c)
{
    char now[64] = {0}, then[64] = {0}, path[PGS3_CACHE_PATH], tmp[PGS3_CACHE_PATH];
    if (read_boot_id(now) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/" BOOT_FILE, c->dir);
    FILE *f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(then, sizeof(then), f) == NULL)
            then[0] = '\0';
        fclose(f);
    }
    if (strcmp(now, then) == 0)
        return 0;
    if (scan(c, remove_body, c) != 0)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s/" BOOT_FILE ".new", c->dir);
    if ((f = fopen(tmp, "we")) == NULL)
        return -1;
    int ok = fputs(now, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

stoa_status pgs3_cache_open(pgs3_cache *c, const char *tmp_dir, uint64_t limit, stoa_error *err)
{
    memset(c, 0, sizeof(*c));
    atomic_flag_clear(&c->trimming);
    if (limit == 0)
        return STOA_OK;
    if (snprintf(c->dir, sizeof(c->dir), "%s/pgs3-cache", tmp_dir) >= (int)sizeof(c->dir) - 66)
        return stoa_fail(err, STOA_INVALID, "pgs3: tmp_dir is too long for the body cache");
    if (mkdir(c->dir, 0700) != 0 && errno != EEXIST)
        return stoa_fail(err, STOA_INTERNAL, "pgs3: cannot create the body cache %s: %s", c->dir, strerror(errno));
    uint64_t used = 0;
    if (check_boot(c) != 0 || scan(c, add_size, &used) != 0)
        return stoa_fail(err, STOA_INTERNAL, "pgs3: cannot prepare the body cache %s: %s", c->dir, strerror(errno));
    atomic_store(&c->used, used);
    c->limit = limit;
    return STOA_OK;
}

static void body_path(const pgs3_cache *c, const unsigned char sha256[32], char out[PGS3_CACHE_PATH])
{
    char hex[65];
    pgs3_hex(sha256, hex);
    snprintf(out, PGS3_CACHE_PATH, "%s/%s", c->dir, hex);
}

int pgs3_cache_get(pgs3_cache *c, const unsigned char sha256[32], uint64_t size)
{
    if (c->limit == 0)
        return -1;
    char path[PGS3_CACHE_PATH];
    body_path(c, sha256, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != size) { /* not what was linked in: drop it */
        close(fd);
        unlink(path);
        return -1;
    }
    if (time(NULL) - st.st_mtime > TOUCH_EVERY_S)
        futimens(fd, NULL);
    return fd;
}

static int by_mtime(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

typedef struct listing {
    entry *v;
    size_t n, cap;
    uint64_t total;
} listing;

static void collect(void *arg, const entry *e)
{
    listing *l = arg;
    l->total += e->size;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        entry *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return;
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = *e;
}

/* Removes the least recently used bodies down to 90% of the limit. One thread at a time. */
static void trim(pgs3_cache *c)
{
    if (atomic_flag_test_and_set(&c->trimming))
        return;
    listing l = {0};
    if (scan(c, collect, &l) == 0) {
        if (l.n > 1)
            qsort(l.v, l.n, sizeof(*l.v), by_mtime);
        for (size_t i = 0; i < l.n && l.total > c->limit / 10 * 9; ++i) {
            remove_body(c, &l.v[i]);
            l.total -= l.v[i].size;
        }
        atomic_store(&c->used, l.total);
    }
    free(l.v);
    atomic_flag_clear(&c->trimming);
}

void pgs3_cache_put(pgs3_cache *c, const unsigned char sha256[32], int fd, uint64_t size)
{
    if (c->limit == 0 || size > c->limit / 10)
        return;
    char path[PGS3_CACHE_PATH], proc[64];
    body_path(c, sha256, path);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    /* The spool is an O_TMPFILE: linking gives it its name, in one step. */
    if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0)
        return; /* already there (EEXIST), or a spool that cannot be linked: no copy */
    if (atomic_fetch_add(&c->used, size) + size > c->limit)
        trim(c);
}
