#include "quota.h"

#include "ledger.h"
#include "ledger_feed.h"
#include "log.h"
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
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

/* A version as a round sees it: its ledger row (names, bytes per file, stored_at)
 * and what the round decides from it. */
typedef struct entry {
    ledger_row r;
    int64_t used; /* ms since the epoch */
    int published, evicted;
} entry;

static uint64_t entry_bytes(const entry *e)
{
    return ledger_row_bytes(&e->r);
}

/* The objects a walk reports, one element each (a version cached by .zip requests
 * alone is seen too, issue 19); merged per version after. */
typedef struct grouping {
    stored_versions list;
    uint64_t *bytes;
    unsigned char *slot, *published;
    size_t cap;
} grouping;

static int grow_arrays(grouping *g)
{
    size_t cap = g->list.cap;
    uint64_t *b = realloc(g->bytes, cap * sizeof(*b));
    if (b != NULL)
        g->bytes = b;
    unsigned char *s = b != NULL ? realloc(g->slot, cap) : NULL;
    if (s != NULL)
        g->slot = s;
    unsigned char *p = s != NULL ? realloc(g->published, cap) : NULL;
    if (p == NULL)
        return -1;
    g->published = p;
    g->cap = cap;
    return 0;
}

static int by_object(void *arg, const stoa_key *key, const stoa_meta *m)
{
    grouping *g = arg;
    const char *row;
    int at = ledger_place(key->kind, key->version, &row);
    if (at < 0)
        return 0;
    if (stored_versions_add(&g->list, key->module, row, m->stored_at) != 0)
        return 1;
    if (g->list.n > g->cap && grow_arrays(g) != 0)
        return g->list.oom = 1, 1;
    size_t i = g->list.n - 1;
    g->bytes[i] = m->size;
    g->slot[i] = (unsigned char)at;
    g->published[i] = strcmp(m->origin, "published") == 0;
    return 0;
}

/* Exact names: semver precedence would fold rows that are not versions together. */
static int same_row(const stored_version *x, const stored_version *y)
{
    int c = strcmp(x->module, y->module);
    return c != 0 ? c : strcmp(x->version, y->version);
}

static int by_row(const void *a, const void *b)
{
    return same_row(*(const stored_version *const *)a, *(const stored_version *const *)b);
}

/* Objects of one row into one entry: bytes per file, published if any is, used
 * when its earliest file was stored. Objects arrive in any order. The entries point
 * into g's strings. Count, or -1 (out of memory). */
static long merge(const grouping *g, entry **out)
{
    size_t n = g->list.n, w = 0;
    const stored_version **r = malloc((n + 1) * sizeof(*r));
    entry *es = malloc((n + 1) * sizeof(*es));
    if (r == NULL || es == NULL) {
        free(r);
        free(es);
        return -1;
    }
    for (size_t i = 0; i < n; ++i)
        r[i] = &g->list.v[i];
    qsort(r, n, sizeof(*r), by_row);
    for (size_t i = 0; i < n; ++i) {
        size_t k = (size_t)(r[i] - g->list.v);
        if (w == 0 || same_row(r[i], r[i - 1]) != 0)
            es[w++] = (entry){{r[i]->module, r[i]->version, {0}, r[i]->stored_at}, r[i]->stored_at * 1000, 0, 0};
        entry *e = &es[w - 1];
        e->r.bytes[g->slot[k]] += g->bytes[k];
        e->published |= g->published[k];
        if (r[i]->stored_at < e->r.stored_at)
            e->r.stored_at = r[i]->stored_at, e->used = r[i]->stored_at * 1000;
    }
    free(r);
    *out = es;
    return (long)w;
}

static int by_use(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

/* Recency beats the stored time; then least recently used first. */
static void order_by_use(entry *es, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        int64_t used = last_used(key_of(es[i].r.module, es[i].r.version));
        if (used > es[i].used)
            es[i].used = used;
    }
    qsort(es, n, sizeof(*es), by_use);
}

/* Removes what a row counts: a version, a module's list and latest, or one tile. */
static stoa_status remove_row(storage *s, const ledger_row *r, stoa_error *err)
{
    if (ledger_row_is_tile(r))
        return storage_remove_object(s, &(stoa_key){r->module, r->version, STOA_KIND_SUMDB_TILE}, err);
    if (!ledger_row_is_answers(r))
        return storage_remove(s, r->module, r->version, err);
    stoa_status a = storage_remove_object(s, &(stoa_key){r->module, NULL, STOA_KIND_LIST}, err);
    if (a != STOA_OK && a != STOA_NOTFOUND)
        return a;
    stoa_status b = storage_remove_object(s, &(stoa_key){r->module, NULL, STOA_KIND_LATEST}, err);
    if (b != STOA_OK && b != STOA_NOTFOUND)
        return b;
    return a == STOA_OK || b == STOA_OK ? STOA_OK : STOA_NOTFOUND;
}

/* "module@version", "module's @v/list and @latest", or "database tile/...". */
static void row_name(const ledger_row *r, char *out, size_t len)
{
    if (ledger_row_is_answers(r))
        snprintf(out, len, "%s's @v/list and @latest", r->module);
    else
        snprintf(out, len, "%s%s%s", r->module, ledger_row_is_tile(r) ? " " : "@", r->version);
}

static void report(FILE *out, int dry_run, const entry *e)
{
    char when[32] = "never";
    time_t t = (time_t)(e->used / 1000);
    struct tm tm;
    if (t > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char name[1024];
    row_name(&e->r, name, sizeof(name));
    fprintf(out, "%s %s (%llu bytes, last used %s)\n", dry_run ? "would evict" : "evicted", name,
            (unsigned long long)entry_bytes(e), when);
}

/* Removes proxied entries, least recently used first, while their bytes (left)
 * exceed max_bytes and until they fit 90% of it. A version already gone (a DELETE,
 * another process) is only forgotten. */
static stoa_status evict(storage *s, entry *es, size_t n, uint64_t left, uint64_t max_bytes, int dry_run, FILE *out,
                         quota_report *rep, stoa_error *err)
{
    uint64_t target = max_bytes / 10 * 9;
    for (size_t i = 0; i < n && left > max_bytes; ++i) {
        entry *e = &es[i];
        if (e->published)
            continue;
        stoa_status st = dry_run ? STOA_OK : remove_row(s, &e->r, err);
        if (st != STOA_OK && st != STOA_NOTFOUND)
            return st;
        if (!dry_run)
            ledger_forget(e->r.module, e->r.version);
        left -= entry_bytes(e);
        e->evicted = 1;
        if (st == STOA_NOTFOUND)
            continue;
        if (out != NULL)
            report(out, dry_run, e);
        rep->evicted_bytes += entry_bytes(e);
        ++rep->evicted;
        if (left <= target)
            break;
    }
    return STOA_OK;
}

/* What a walk left of proxied content becomes the ledger (walk generation gen). */
static void keep_ledger(uint64_t gen, const entry *es, size_t n)
{
    ledger_row *rows = malloc((n + 1) * sizeof(*rows));
    size_t k = 0;
    for (size_t i = 0; rows != NULL && i < n; ++i)
        if (!es[i].published && !es[i].evicted)
            rows[k++] = es[i].r;
    if (rows == NULL || ledger_replace(gen, rows, k) < 0)
        log_msg(STOA_LOG_WARN, "quota", "out of memory for the cache ledger: rounds walk storage");
    free(rows);
}

/* A walk of storage, then eviction; with gen != 0 the result replaces the ledger. */
static stoa_status enforce_walk(storage *s, uint64_t max_bytes, int dry_run, FILE *out, quota_report *rep,
                                stoa_error *err, uint64_t gen)
{
    memset(rep, 0, sizeof(*rep));
    grouping g = {0};
    entry *es = NULL;
    long n = 0;
    stoa_status st = storage_objects(s, by_object, &g, err);
    if (st == STOA_OK && (g.list.oom || (n = merge(&g, &es)) < 0))
        st = stoa_fail(err, STOA_INTERNAL, "out of memory accounting the cache");
    for (long i = 0; st == STOA_OK && i < n; ++i)
        *(es[i].published ? &rep->published_bytes : &rep->proxied_bytes) += entry_bytes(&es[i]);
    if (st == STOA_OK) {
        rep->entries = (size_t)n;
        order_by_use(es, (size_t)n);
        st = evict(s, es, (size_t)n, rep->proxied_bytes, max_bytes, dry_run, out, rep, err);
    }
    if (st == STOA_OK && gen != 0)
        keep_ledger(gen, es, (size_t)n);
    free(es);
    free(g.bytes);
    free(g.slot);
    free(g.published);
    stored_versions_free(&g.list);
    return st;
}

stoa_status quota_enforce(storage *s, uint64_t max_bytes, int dry_run, FILE *out, quota_report *rep, stoa_error *err)
{
    return enforce_walk(s, max_bytes, dry_run, out, rep, err, 0);
}

/* Eviction from the ledger, no walk. STOA_DECLINED when it cannot (not valid, out of
 * memory): the caller walks. */
static stoa_status enforce_ledger(storage *s, uint64_t max_bytes, quota_report *rep, stoa_error *err)
{
    memset(rep, 0, sizeof(*rep));
    ledger_row *rows;
    long n = ledger_snapshot(&rows);
    entry *es = n >= 0 ? malloc(((size_t)n + 1) * sizeof(*es)) : NULL;
    if (es == NULL) {
        free(rows);
        return STOA_DECLINED;
    }
    for (long i = 0; i < n; ++i) {
        es[i] = (entry){rows[i], rows[i].stored_at * 1000, 0, 0};
        rep->proxied_bytes += entry_bytes(&es[i]);
    }
    rep->entries = (size_t)n;
    order_by_use(es, (size_t)n);
    stoa_status st = evict(s, es, (size_t)n, rep->proxied_bytes, max_bytes, 0, NULL, rep, err);
    free(es);
    free(rows);
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
    _Atomic uint64_t skipped; /* rounds that needed no walk */
    unsigned since_walk;      /* eviction thread only */
} ev;

void quota_stats_get(quota_stats *out)
{
    out->limit_bytes = ev.max_bytes;
    out->rounds = ev.rounds;
    out->skipped = ev.skipped;
    out->proxied_bytes = ledger_valid() ? ledger_total() : ev.proxied; /* a valid ledger is current */
    out->published_bytes = ev.published;
    out->evicted_versions = ev.evicted_versions;
    out->evicted_bytes = ev.evicted_bytes;
    out->last_round = ev.last_round;
}

static void note_round(const quota_report *rep, int walked)
{
    if (walked) {
        ev.published = rep->published_bytes;
        ev.rounds += 1;
    }
    ev.proxied = ledger_valid() ? ledger_total() : rep->proxied_bytes - rep->evicted_bytes;
    ev.evicted_versions += rep->evicted;
    ev.evicted_bytes += rep->evicted_bytes;
    ev.last_round = (int64_t)time(NULL);
}

static uint32_t interval_or_default(uint32_t ms)
{
    return ms != 0 ? ms : 60000;
}

/* A round from the ledger: nothing to do while the cache fits, else victims from the
 * ledger. STOA_DECLINED when the round must walk (no valid ledger, or a resync due:
 * stoa gc and other processes change the store without telling). */
static stoa_status round_from_ledger(uint64_t max_bytes, quota_report *rep, stoa_error *err)
{
    memset(rep, 0, sizeof(*rep));
    if (!ledger_valid() || ev.since_walk >= QUOTA_RESYNC_ROUNDS)
        return STOA_DECLINED;
    stoa_status st = ledger_total() > max_bytes ? enforce_ledger(ev.s, max_bytes, rep, err) : STOA_OK;
    if (st != STOA_DECLINED) {
        ++ev.since_walk;
        ev.skipped += 1;
    }
    return st;
}

static void round_once(void *arg)
{
    (void)arg;
    quota_report rep;
    stoa_error err = {0};
    uint64_t max_bytes = ev.max_bytes;
    stoa_status st = STOA_DECLINED; /* no limit now: only the recency file is kept */
    int walked = 0;
    if (max_bytes == 0)
        ledger_reset(); /* fills' notes would only pile up */
    else if ((st = round_from_ledger(max_bytes, &rep, &err)) == STOA_DECLINED) {
        st = enforce_walk(ev.s, max_bytes, 0, NULL, &rep, &err, ledger_walk_begin());
        ev.since_walk = 0;
        walked = 1;
    }
    if (st == STOA_OK)
        note_round(&rep, walked);
    if (st != STOA_OK && st != STOA_DECLINED)
        log_msg(STOA_LOG_ERROR, "quota", "eviction round failed: %s", err.msg);
    else if (st == STOA_OK && rep.evicted > 0)
        log_msg(STOA_LOG_INFO, "quota",
                "evicted %zu cache entries (versions, lists, tiles), %llu bytes: proxied content was %llu of %llu bytes allowed (%s)", rep.evicted,
                (unsigned long long)rep.evicted_bytes, (unsigned long long)rep.proxied_bytes,
                (unsigned long long)max_bytes, walked ? "walked storage" : "from the ledger");
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
    stoa_error err = {0};
    stoa_status st = ledger_feed_start(s, &err);
    if (st != STOA_OK && st != STOA_DECLINED)
        log_msg(STOA_LOG_WARN, "quota", "other processes' changes reach the cache ledger only at resync walks: %s",
                err.msg);
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
