#include "quota.h"

#include "log.h"
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- recency: module@version hash -> last use, in sharded open-addressing tables ---- */

#define SHARDS 64

typedef struct slot {
    uint64_t key;   /* 0 = empty */
    int64_t used;
} slot;

typedef struct shard {
    pthread_mutex_t lock;
    slot *slots;
    size_t cap, n;
} shard;

static shard shards[SHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static void shards_init(void)
{
    for (size_t i = 0; i < SHARDS; ++i)
        pthread_mutex_init(&shards[i].lock, NULL);
}

static uint64_t key_of(const char *module, const char *version)
{
    uint64_t h = stoa_version_hash(module, version);
    return h ? h : 1; /* 0 marks an empty slot */
}

static slot *find(shard *sh, uint64_t key)
{
    for (size_t i = (size_t)(key >> 8) & (sh->cap - 1);; i = (i + 1) & (sh->cap - 1))
        if (sh->slots[i].key == key || sh->slots[i].key == 0)
            return &sh->slots[i];
}

static int grow(shard *sh)
{
    size_t cap = sh->cap ? sh->cap * 2 : 256;
    slot *old = sh->slots, *ns = calloc(cap, sizeof(*ns));
    if (ns == NULL)
        return -1;
    size_t oldcap = sh->cap;
    sh->slots = ns;
    sh->cap = cap;
    for (size_t i = 0; i < oldcap; ++i)
        if (old[i].key != 0)
            *find(sh, old[i].key) = old[i];
    free(old);
    return 0;
}

static void record(uint64_t key, int64_t used)
{
    pthread_once(&shards_once, shards_init);
    shard *sh = &shards[key % SHARDS];
    pthread_mutex_lock(&sh->lock);
    if (sh->n * 2 >= sh->cap && grow(sh) != 0) {
        pthread_mutex_unlock(&sh->lock);
        return;
    }
    slot *s = find(sh, key);
    if (s->key == 0) {
        s->key = key;
        ++sh->n;
    }
    if (used > s->used)
        s->used = used;
    pthread_mutex_unlock(&sh->lock);
}

static int64_t last_used(uint64_t key)
{
    pthread_once(&shards_once, shards_init);
    shard *sh = &shards[key % SHARDS];
    pthread_mutex_lock(&sh->lock);
    int64_t t = sh->cap ? find(sh, key)->used : 0;
    pthread_mutex_unlock(&sh->lock);
    return t;
}

/* Milliseconds since the epoch: quick successive uses must stay ordered. */
void quota_touch(const char *module, const char *version)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    record(key_of(module, version), (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* ---- recency file: "stoa-recency 1\n" then binary slots ---- */

static const char magic[16] = "stoa-recency 1\n";

int quota_save(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return errno = ENAMETOOLONG, -1;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    int ok = f != NULL && fwrite(magic, sizeof(magic), 1, f) == 1;
    pthread_once(&shards_once, shards_init);
    for (size_t i = 0; ok && i < SHARDS; ++i) {
        pthread_mutex_lock(&shards[i].lock);
        for (size_t j = 0; ok && j < shards[i].cap; ++j)
            if (shards[i].slots[j].key != 0)
                ok = fwrite(&shards[i].slots[j], sizeof(slot), 1, f) == 1;
        pthread_mutex_unlock(&shards[i].lock);
    }
    ok = ok && fflush(f) == 0;
    if (f != NULL ? fclose(f) != 0 : close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return errno = e, -1;
    }
    return 0;
}

int quota_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    char head[sizeof(magic)];
    int ok = fread(head, sizeof(head), 1, f) == 1 && memcmp(head, magic, sizeof(magic)) == 0;
    for (slot s; ok && fread(&s, sizeof(s), 1, f) == 1;)
        if (s.key != 0)
            record(s.key, s.used);
    fclose(f);
    return ok ? 0 : (errno = EINVAL, -1);
}

/* ---- enforcement ---- */

typedef struct entry {
    const stored_version *sv;
    int64_t used; /* ms since the epoch */
    uint64_t bytes;
    int published;
} entry;

/* Versions as the objects they hold: every .info, .mod and .zip counts, so a
 * version cached by .zip requests alone is seen too (issue 19). */
typedef struct grouping {
    stored_versions list; /* one element per object first, merged per version after */
    uint64_t *bytes;
    unsigned char *published;
    size_t cap;
} grouping;

static int by_object(void *arg, const stoa_key *key, const stoa_meta *m)
{
    grouping *g = arg;
    if (key->version == NULL || (key->kind != STOA_KIND_INFO && key->kind != STOA_KIND_MOD && key->kind != STOA_KIND_ZIP))
        return 0;
    if (stored_versions_add(&g->list, key->module, key->version, m->stored_at) != 0)
        return 1;
    if (g->list.n > g->cap) {
        size_t cap = g->list.cap;
        uint64_t *b = realloc(g->bytes, cap * sizeof(*b));
        unsigned char *p = b != NULL ? realloc(g->published, cap) : NULL;
        if (b != NULL)
            g->bytes = b;
        if (p == NULL)
            return g->list.oom = 1, 1;
        g->published = p;
        g->cap = cap;
    }
    g->bytes[g->list.n - 1] = m->size;
    g->published[g->list.n - 1] = strcmp(m->origin, "published") == 0;
    return 0;
}

typedef struct object_ref {
    stored_version v;
    uint64_t bytes;
    unsigned char published;
} object_ref;

static int by_ref(const void *a, const void *b)
{
    return stored_version_cmp(&((const object_ref *)a)->v, &((const object_ref *)b)->v);
}

/* Objects of one version into one element: bytes summed, published if any is, the
 * earliest stored_at. Objects arrive in any order. 0 or -1 (out of memory). */
static int merge(grouping *g)
{
    size_t n = g->list.n, w = 0;
    object_ref *r = n > 0 ? malloc(n * sizeof(*r)) : NULL;
    if (n > 0 && r == NULL)
        return -1;
    for (size_t i = 0; i < n; ++i)
        r[i] = (object_ref){g->list.v[i], g->bytes[i], g->published[i]};
    if (n > 1)
        qsort(r, n, sizeof(*r), by_ref);
    for (size_t i = 0; i < n; ++i) {
        if (w > 0 && stored_version_cmp(&r[i].v, &g->list.v[w - 1]) == 0) {
            g->bytes[w - 1] += r[i].bytes;
            g->published[w - 1] |= r[i].published;
            if (r[i].v.stored_at < g->list.v[w - 1].stored_at)
                g->list.v[w - 1].stored_at = r[i].v.stored_at;
            free(r[i].v.module);
            free(r[i].v.version);
            continue;
        }
        g->list.v[w] = r[i].v;
        g->bytes[w] = r[i].bytes;
        g->published[w++] = r[i].published;
    }
    g->list.n = w;
    free(r);
    return 0;
}

static void measure(const grouping *g, size_t i, entry *e)
{
    e->bytes = g->bytes[i];
    e->published = g->published[i];
    int64_t used = last_used(key_of(e->sv->module, e->sv->version));
    if (used > e->used)
        e->used = used;
}

static int by_use(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

static void report(FILE *out, int dry_run, const entry *e)
{
    char when[32] = "never";
    time_t t = (time_t)(e->used / 1000);
    struct tm tm;
    if (t > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "%s %s@%s (%llu bytes, last used %s)\n", dry_run ? "would evict" : "evicted", e->sv->module, e->sv->version,
            (unsigned long long)e->bytes, when);
}

stoa_status quota_enforce(storage *s, uint64_t max_bytes, int dry_run, FILE *out, quota_report *rep, stoa_error *err)
{
    memset(rep, 0, sizeof(*rep));
    grouping g = {0};
    stored_versions *l = &g.list;
    stoa_status st = storage_objects(s, by_object, &g, err);
    if (st == STOA_OK && (l->oom || merge(&g) != 0))
        st = stoa_fail(err, STOA_INTERNAL, "out of memory accounting the cache");
    entry *es = st == STOA_OK && l->n > 0 ? calloc(l->n, sizeof(*es)) : NULL;
    size_t n = es != NULL ? l->n : 0;
    for (size_t i = 0; i < n; ++i) {
        es[i] = (entry){&l->v[i], l->v[i].stored_at * 1000, 0, 0};
        measure(&g, i, &es[i]);
        *(es[i].published ? &rep->published_bytes : &rep->proxied_bytes) += es[i].bytes;
    }
    rep->versions = n;
    if (n > 1)
        qsort(es, n, sizeof(*es), by_use);
    uint64_t left = rep->proxied_bytes, target = max_bytes / 10 * 9;
    for (size_t i = 0; i < n && left > max_bytes && st == STOA_OK; ++i) {
        entry *e = &es[i];
        if (e->published)
            continue;
        if (!dry_run && (st = storage_remove(s, e->sv->module, e->sv->version, err)) != STOA_OK)
            break;
        if (out != NULL)
            report(out, dry_run, e);
        left -= e->bytes;
        rep->evicted_bytes += e->bytes;
        ++rep->evicted;
        if (left <= target)
            break;
    }
    free(es);
    free(g.bytes);
    free(g.published);
    stored_versions_free(l);
    return st;
}

/* ---- the eviction thread ---- */

static struct {
    ticker t;
    storage *s;
    _Atomic uint64_t max_bytes; /* changed by quota_configure while rounds run */
    const char *path;
    _Atomic uint64_t rounds, proxied, published, evicted_versions, evicted_bytes;
    _Atomic int64_t last_round;
    _Atomic uint64_t pending; /* bytes fills stored since the last walk began */
    _Atomic uint64_t skipped; /* rounds that needed no walk */
    unsigned since_walk;      /* eviction thread only */
} ev;

void quota_note_stored(uint64_t bytes)
{
    atomic_fetch_add(&ev.pending, bytes);
}

void quota_stats_get(quota_stats *out)
{
    out->limit_bytes = ev.max_bytes;
    out->rounds = ev.rounds;
    out->skipped = ev.skipped;
    out->proxied_bytes = ev.proxied;
    out->published_bytes = ev.published;
    out->evicted_versions = ev.evicted_versions;
    out->evicted_bytes = ev.evicted_bytes;
    out->last_round = ev.last_round;
}

static void note_round(const quota_report *rep)
{
    ev.proxied = rep->proxied_bytes - rep->evicted_bytes;
    ev.published = rep->published_bytes;
    ev.evicted_versions += rep->evicted;
    ev.evicted_bytes += rep->evicted_bytes;
    ev.last_round = (int64_t)time(NULL);
    ev.rounds += 1;
}

static uint32_t interval_or_default(uint32_t ms)
{
    return ms != 0 ? ms : 60000;
}

/* The cache is known to fit: the last walk's total plus what fills stored since. */
static int known_to_fit(uint64_t max_bytes)
{
    return ev.rounds > 0 && ev.since_walk < QUOTA_RESYNC_ROUNDS && ev.proxied + ev.pending <= max_bytes;
}

static void round_once(void *arg)
{
    quota_report rep;
    stoa_error err = {0};
    uint64_t max_bytes = ev.max_bytes;
    stoa_status st = STOA_DECLINED; /* no limit now: only the recency file is kept */
    if (max_bytes != 0 && known_to_fit(max_bytes)) {
        ++ev.since_walk;
        ev.skipped += 1;
    } else if (max_bytes != 0) {
        atomic_store(&ev.pending, 0); /* fills during the walk count again: an overestimate, never an under */
        st = quota_enforce(ev.s, max_bytes, 0, NULL, &rep, &err);
        ev.since_walk = 0;
    }
    if (st == STOA_OK)
        note_round(&rep);
    if (st != STOA_OK && st != STOA_DECLINED)
        log_msg(STOA_LOG_ERROR, "quota", "eviction round failed: %s", err.msg);
    else if (st == STOA_OK && rep.evicted > 0)
        log_msg(STOA_LOG_INFO, "quota", "evicted %zu version(s), %llu bytes: proxied content was %llu of %llu bytes allowed",
                rep.evicted, (unsigned long long)rep.evicted_bytes, (unsigned long long)rep.proxied_bytes,
                (unsigned long long)max_bytes);
    if (ev.path != NULL && quota_save(ev.path) != 0)
        log_msg(STOA_LOG_WARN, "quota", "cannot save %s: %s", ev.path, strerror(errno));
}

int quota_start(storage *s, uint64_t max_bytes, uint32_t interval_ms, const char *path)
{
    ev.s = s;
    ev.max_bytes = max_bytes;
    ev.path = path;
    if (path != NULL && quota_load(path) != 0)
        log_msg(STOA_LOG_WARN, "quota", "ignoring unreadable %s: %s", path, strerror(errno));
    return ticker_start(&ev.t, interval_or_default(interval_ms), round_once, NULL);
}

void quota_configure(uint64_t max_bytes, uint32_t interval_ms)
{
    ev.max_bytes = max_bytes;
    ticker_set_interval(&ev.t, interval_or_default(interval_ms));
}

void quota_stop(void)
{
    ticker_stop(&ev.t);
    if (ev.path != NULL && quota_save(ev.path) != 0)
        log_msg(STOA_LOG_WARN, "quota", "cannot save %s: %s", ev.path, strerror(errno));
}
