#include "disk_index.h"

#include "disk_path.h"
#include "disk_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256 /* entries copied out per lock hold while a page is read */

typedef struct entry {
    char *module, *version;
    int64_t ns;    /* the .info's mtime: commit order */
    uint64_t hash; /* of module@version: the tie-breaker */
} entry;

typedef struct vec {
    entry **v;
    size_t n, cap;
} vec;

struct disk_index {
    pthread_mutex_t mu;
    int built;
    vec by_name, by_time;
    int64_t last_ns; /* the latest commit stamp handed out or read */
};

disk_index *disk_index_new(void)
{
    disk_index *x = calloc(1, sizeof(*x));
    if (x != NULL)
        pthread_mutex_init(&x->mu, NULL);
    return x;
}

static void entry_free(entry *e)
{
    free(e->module);
    free(e->version);
    free(e);
}

static void clear(disk_index *x)
{
    for (size_t i = 0; i < x->by_name.n; ++i)
        entry_free(x->by_name.v[i]);
    x->by_name.n = x->by_time.n = 0;
}

void disk_index_free(disk_index *x)
{
    if (x == NULL)
        return;
    clear(x);
    free(x->by_name.v);
    free(x->by_time.v);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

static int cmp_name(const entry *e, const char *module, const char *version)
{
    int c = strcmp(e->module, module);
    return c != 0 ? c : strcmp(e->version, version);
}

static int cmp_time(const entry *e, int64_t ns, uint64_t hash)
{
    if (e->ns != ns)
        return e->ns < ns ? -1 : 1;
    return (e->hash > hash) - (e->hash < hash);
}

/* First position whose entry sorts after (module, version); *exact when one equals it. */
static size_t upper_name(const vec *v, const char *module, const char *version, int *exact)
{
    size_t lo = 0, hi = v->n;
    *exact = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(v->v[mid], module, version);
        if (c == 0)
            *exact = 1;
        if (c <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First position whose entry sorts after (ns, hash). */
static size_t upper_time(const vec *v, int64_t ns, uint64_t hash)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_time(v->v[mid], ns, hash) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int vec_insert(vec *v, size_t at, entry *e)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        entry **nv = realloc(v->v, cap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        v->v = nv;
        v->cap = cap;
    }
    memmove(v->v + at + 1, v->v + at, (v->n - at) * sizeof(*v->v));
    v->v[at] = e;
    ++v->n;
    return 0;
}

static void vec_erase(vec *v, size_t at)
{
    memmove(v->v + at, v->v + at + 1, (v->n - at - 1) * sizeof(*v->v));
    --v->n;
}

static entry *entry_new(const char *module, const char *version, int64_t ns)
{
    entry *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->module = strdup(module)) == NULL || (e->version = strdup(version)) == NULL) {
        if (e != NULL)
            entry_free(e);
        return NULL;
    }
    e->ns = ns;
    e->hash = stoa_version_hash(module, version);
    return e;
}

/* Under mu. 0, or -1 on out of memory (nothing changed). */
static int add(disk_index *x, const char *module, const char *version, int64_t ns)
{
    int exact;
    size_t at = upper_name(&x->by_name, module, version, &exact);
    if (exact)
        return 0;
    entry *e = entry_new(module, version, ns);
    if (e == NULL)
        return -1;
    if (vec_insert(&x->by_name, at, e) != 0) {
        entry_free(e);
        return -1;
    }
    if (vec_insert(&x->by_time, upper_time(&x->by_time, e->ns, e->hash), e) != 0) {
        vec_erase(&x->by_name, at);
        entry_free(e);
        return -1;
    }
    if (ns > x->last_ns)
        x->last_ns = ns;
    return 0;
}

/* Under mu. */
static void del(disk_index *x, const char *module, const char *version)
{
    int exact;
    size_t at = upper_name(&x->by_name, module, version, &exact);
    if (!exact)
        return;
    entry *e = x->by_name.v[at - 1];
    vec_erase(&x->by_name, at - 1);
    size_t t = upper_time(&x->by_time, e->ns, e->hash);
    if (t > 0 && x->by_time.v[t - 1] == e)
        vec_erase(&x->by_time, t - 1);
    entry_free(e);
}

static int64_t ns_of(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The walk appends; one sort per order afterwards (sorted inserts were quadratic:
 * 13 s to index 500,000 versions). */
static int build_one(void *arg, const char *module, const char *version, const struct stat *st)
{
    disk_index *x = arg;
    entry *e = entry_new(module, version, ns_of(&st->st_mtim));
    if (e == NULL || vec_insert(&x->by_name, x->by_name.n, e) != 0) {
        if (e != NULL)
            entry_free(e);
        return 1;
    }
    if (e->ns > x->last_ns)
        x->last_ns = e->ns;
    return 0;
}

static int build_vdir(void *arg, const char *module, DIR *vd)
{
    return disk_tree_versions(vd, module, build_one, arg);
}

static int by_name_order(const void *a, const void *b)
{
    const entry *y = *(const entry *const *)b;
    return cmp_name(*(const entry *const *)a, y->module, y->version);
}

static int by_time_order(const void *a, const void *b)
{
    const entry *y = *(const entry *const *)b;
    return cmp_time(*(const entry *const *)a, y->ns, y->hash);
}

/* by_time as a sorted copy of by_name. 0 or -1 (out of memory). */
static int sort_both(disk_index *x)
{
    size_t n = x->by_name.n;
    if (x->by_time.cap < n) {
        entry **v = realloc(x->by_time.v, n * sizeof(*v));
        if (v == NULL)
            return -1;
        x->by_time.v = v;
        x->by_time.cap = n;
    }
    x->by_time.n = n;
    if (n == 0)
        return 0; /* an empty store: the vectors may be NULL, which qsort may not get */
    qsort(x->by_name.v, n, sizeof(entry *), by_name_order);
    memcpy(x->by_time.v, x->by_name.v, n * sizeof(entry *));
    qsort(x->by_time.v, n, sizeof(entry *), by_time_order);
    return 0;
}

/* Under mu: the one walk of this process (again only after running out of memory).
 * A directory tree names each version once, so the appended entries are unique. */
static stoa_status ensure_built(disk *d, stoa_error *err)
{
    disk_index *x = d->index;
    if (x->built)
        return STOA_OK;
    clear(x);
    if (disk_tree_walk(d->root, build_vdir, x) != 0 || sort_both(x) != 0) {
        clear(x);
        return stoa_fail(err, STOA_INTERNAL, "out of memory indexing %s", d->root);
    }
    x->built = 1;
    return STOA_OK;
}

void disk_index_commit(disk *d, const char *module, const char *version, const char *path)
{
    disk_index *x = d->index;
    if (x == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&x->mu);
    int64_t ns = ns_of(&now) > x->last_ns ? ns_of(&now) : x->last_ns + 1;
    struct timespec ts[2] = {{ns / 1000000000, ns % 1000000000}, {ns / 1000000000, ns % 1000000000}};
    if (utimensat(AT_FDCWD, path, ts, 0) == 0) {
        x->last_ns = ns;
        if (x->built) {
            del(x, module, version); /* a walk may have seen it before the stamp */
            if (add(x, module, version, ns) != 0)
                x->built = 0; /* out of memory: the next listing walks again */
        }
    }
    pthread_mutex_unlock(&x->mu);
}

void disk_index_remove(disk *d, const char *module, const char *version)
{
    disk_index *x = d->index;
    if (x == NULL)
        return;
    pthread_mutex_lock(&x->mu);
    if (x->built)
        del(x, module, version);
    pthread_mutex_unlock(&x->mu);
}

/* ---- pages: entries are copied out a batch at a time, checked without the lock ---- */

typedef struct copy {
    char *module, *version;
    int64_t ns;
    uint64_t hash;
} copy;

/* Still stored? Another process (stoa gc) may have removed it; then it leaves the index. */
static int still_there(disk *d, const copy *c)
{
    char path[PATH_MAX], why[256];
    stoa_key key = {c->module, c->version, STOA_KIND_INFO};
    if (disk_path(d, &key, path, sizeof(path), why, sizeof(why)) == 0 && access(path, F_OK) == 0)
        return 1;
    disk_index_remove(d, c->module, c->version);
    return 0;
}

/* Copies up to BATCH entries of v from position at into out. */
static size_t take(const vec *v, size_t at, copy *out)
{
    size_t n = 0;
    for (; at < v->n && n < BATCH; ++at, ++n) {
        const entry *e = v->v[at];
        out[n] = (copy){strdup(e->module), strdup(e->version), e->ns, e->hash};
    }
    return n;
}

static void drop(copy *c, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        free(c[i].module);
        free(c[i].version);
    }
}

typedef struct pager {
    disk *d;
    int by_time;
    size_t limit, sent;
    int64_t skip_sec;   /* a fallback cursor's second, or -1 */
    uint64_t skip_hash; /* and its hash: entries of that second up to it were read */
    stoa_entry_cb cb;
    void *arg;
} pager;

/* Reports one copied entry unless it is gone or the fallback cursor covers it. 1 stops. */
static int report(pager *p, const copy *c)
{
    if (c->module == NULL || c->version == NULL)
        return -1;
    if (p->skip_sec >= 0 && c->ns / 1000000000 == p->skip_sec && c->hash <= p->skip_hash)
        return 0;
    if (!still_there(p->d, c))
        return 0;
    char cur[STOA_CURSOR_MAX] = "";
    if (p->by_time)
        snprintf(cur, sizeof(cur), "n%" PRId64 ".%016" PRIx64, c->ns, c->hash);
    stoa_entry e = {c->module, c->version, c->ns / 1000000000, cur};
    ++p->sent;
    return p->cb(p->arg, &e) != 0 || p->sent == p->limit;
}

/* From the position first() gives under the lock, batch by batch, to limit reports. */
static stoa_status run(pager *p, size_t (*first)(const disk_index *x, const void *pos), const void *pos,
                       stoa_error *err)
{
    disk_index *x = p->d->index;
    copy batch[BATCH], last = {0};
    int started = 0, stop = p->limit == 0, oom = 0;
    while (!stop && !oom) {
        pthread_mutex_lock(&x->mu);
        stoa_status st = ensure_built(p->d, err);
        size_t at = 0, n = 0;
        if (st == STOA_OK) {
            int exact;
            at = !started     ? first(x, pos)
                 : p->by_time ? upper_time(&x->by_time, last.ns, last.hash)
                              : upper_name(&x->by_name, last.module, last.version, &exact);
            n = take(p->by_time ? &x->by_time : &x->by_name, at, batch);
        }
        pthread_mutex_unlock(&x->mu);
        if (st != STOA_OK) {
            drop(&last, 1);
            return st;
        }
        for (size_t i = 0; i < n && !stop && !oom; ++i) {
            int r = report(p, &batch[i]);
            oom = r < 0;
            stop = r > 0;
        }
        drop(&last, 1);
        last = (copy){0};
        if (n > 0) { /* where the next batch starts: after the last one copied */
            last = batch[n - 1];
            batch[n - 1] = (copy){0};
            oom = oom || last.module == NULL || last.version == NULL;
        }
        drop(batch, n);
        started = 1;
        stop = stop || n < BATCH;
    }
    drop(&last, 1);
    return oom ? stoa_fail(err, STOA_INTERNAL, "out of memory reading the index") : STOA_OK;
}

typedef struct name_pos {
    const char *module, *version;
} name_pos;

static size_t first_name(const disk_index *x, const void *pos)
{
    const name_pos *np = pos;
    int exact;
    return np->module == NULL ? 0 : upper_name(&x->by_name, np->module, np->version != NULL ? np->version : "", &exact);
}

stoa_status disk_index_catalog(disk *d, const char *after_module, const char *after_version, size_t limit,
                               stoa_entry_cb cb, void *arg, stoa_error *err)
{
    if (d->index == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory: no index");
    pager p = {d, 0, limit, 0, -1, 0, cb, arg};
    name_pos np = {after_module, after_version};
    return run(&p, first_name, &np, err);
}

typedef struct time_pos {
    int64_t ns;       /* after (ns, hash) */
    uint64_t hash;
    int64_t since_ns; /* and not before this */
} time_pos;

static size_t first_time(const disk_index *x, const void *pos)
{
    const time_pos *tp = pos;
    size_t a = upper_time(&x->by_time, tp->ns, tp->hash);
    size_t s = tp->since_ns > INT64_MIN ? upper_time(&x->by_time, tp->since_ns - 1, UINT64_MAX) : 0;
    return a > s ? a : s;
}

/* "<decimal>.<1 to 16 hex>" exactly, the decimal within int64 (sscanf cannot say when
 * a number overflows). 0 or -1. */
static int dec_dot_hex(const char *s, int64_t *v, uint64_t *h)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    long long d = strtoll(s, &end, 10);
    const char *hx = end + 1;
    size_t n = *end == '.' ? strspn(hx, "0123456789abcdefABCDEF") : 0;
    if (errno != 0 || n == 0 || n > 16 || hx[n] != '\0')
        return -1;
    *v = d;
    *h = strtoull(hx, NULL, 16);
    return 0;
}

/* "n<ns>.<hash>" (ours) or "<seconds>.<hash>" (the core's fallback, before this index). */
static int parse_cursor(const char *after, time_pos *tp, pager *p)
{
    int64_t v = 0;
    uint64_t h = 0;
    if (after == NULL || after[0] == '\0')
        return 0;
    if (after[0] == 'n' && dec_dot_hex(after + 1, &v, &h) == 0) {
        tp->ns = v, tp->hash = h;
        return 0;
    }
    if (dec_dot_hex(after, &v, &h) == 0 && v < INT64_MAX / 1000000000) {
        tp->ns = v * 1000000000 - 1, tp->hash = UINT64_MAX;
        p->skip_sec = v, p->skip_hash = h;
        return 0;
    }
    return -1;
}

stoa_status disk_index_page(disk *d, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                            stoa_error *err)
{
    if (d->index == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory: no index");
    pager p = {d, 1, limit, 0, -1, 0, cb, arg};
    time_pos tp = {INT64_MIN, 0, since > 0 && since < INT64_MAX / 1000000000 ? since * 1000000000 : INT64_MIN};
    if (parse_cursor(after, &tp, &p) != 0)
        return stoa_fail(err, STOA_INVALID, "index cursor \"%.64s\" is not one this storage made", after);
    return run(&p, first_time, &tp, err);
}
