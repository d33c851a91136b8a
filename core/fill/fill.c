#include "fill.h"

#include "clientfills.h"
#include "log.h"
#include "metrics.h"
#include "namespace.h"
#include "revalidate.h"
#include "staging.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FILL_BUCKETS 256

struct fill {
    pool_job job;           /* first: the fetch job (no loop: it completes waiters itself) */
    fill *next_in_bucket;
    char key[ROUTE_PATH_MAX];
    route r;
    atomic_int refs;
    fill_waiter *waiters;
    fill_outcome outcome;
    fill_fetch q;           /* the fetch, its answer and the fill's error */
    char failed[256];       /* upstreams that failed on the way, for the audit */
    int staged_fd;
    /* progress of the current attempt, for streaming waiters */
    atomic_ullong avail;
    atomic_uint gen;
    atomic_llong expect;
    atomic_int ended;
    atomic_int validated;   /* the staged file is final: waiters may be answered from it */
    uint64_t poked_at;      /* avail at the last poke (fetch thread only) */
    upstream_cond cond;     /* list/@latest: revalidate the stored copy */
    char client[CLIENTFILLS_ADDR_MAX]; /* who started it: counted in clientfills */
};

/* Streaming waiters are poked at most once per this many new bytes. */
#define FILL_POKE_BYTES (64 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fill *buckets[FILL_BUCKETS];
static atomic_ullong n_started, n_joined;
static fill_env env;

void fill_setup(const fill_env *e)
{
    env = *e;
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; ++s)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % FILL_BUCKETS;
}

void fill_release(fill *f)
{
    if (atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    if (f->staged_fd >= 0)
        close(f->staged_fd);
    free(f);
}

static void commit(fill *f, stoa_kind kind)
{
    int cacheable = STOA_KIND_IS_IMMUTABLE(kind) ? f->r.canonical : 1;
    if (!cacheable) {
        f->outcome = FILL_STAGED;
        return;
    }
    stoa_put_file file = {kind, f->staged_fd, f->q.meta};
    stoa_error err = {0};
    const char *version = STOA_KIND_IS_IMMUTABLE(kind) ? f->r.version : NULL;
    stoa_status st = storage_put(env.store, f->r.module, version, &file, 1, &err);
    if (st == STOA_OK) {
        f->outcome = FILL_STORED; /* the quota's ledger heard it from storage_put */
    } else if (st == STOA_CONFLICT) {
        /* Storage already holds different bytes for this immutable file: what was
         * served before wins from now on. Only a .info can get here (a .mod or .zip
         * with other bytes fails its pin before validation ends), and its early
         * waiters may have had the new one: either upstream's answer is right. */
        log_msg(STOA_LOG_WARN, "fill", "upstream %s served different content for %s: %s", f->q.upstream, f->key, err.msg);
        f->outcome = FILL_STORED;
    } else {
        log_msg(STOA_LOG_ERROR, "fill", "cannot store %s: %s (serving it uncached)", f->key, err.msg);
        f->outcome = FILL_STAGED;
    }
}

/* Delivers w's job unless a delivery is already in flight. Caller holds the lock. */
static void poke_locked(fill_waiter *w)
{
    if (!atomic_exchange(&w->queued, 1))
        h2o_multithread_send_message(&w->job->loop->receiver, &w->job->_msg);
}

static void poke_streamers(fill *f)
{
    pthread_mutex_lock(&lock);
    for (fill_waiter *w = f->waiters; w != NULL; w = w->next)
        if (w->wants_progress)
            poke_locked(w);
    pthread_mutex_unlock(&lock);
}

/* upstream progress: bytes == 0 starts a new attempt (the staged file was truncated). */
static int on_progress(void *arg, uint64_t bytes, int64_t content_length)
{
    fill *f = arg;
    if (bytes == 0) {
        atomic_store(&f->avail, 0);
        atomic_store(&f->expect, -1);
        atomic_fetch_add(&f->gen, 1);
        f->poked_at = 0;
        poke_streamers(f);
        return 0;
    }
    atomic_store(&f->expect, content_length);
    atomic_store(&f->avail, bytes);
    if (bytes - f->poked_at >= FILL_POKE_BYTES || f->poked_at == 0) {
        f->poked_at = bytes;
        poke_streamers(f);
    }
    return 0;
}

/* A request that missed storage may join only after an earlier fill for the same
 * file ended and left the table: look again before going upstream, so a stored
 * immutable file is never fetched twice. */
static int already_stored(fill *f, stoa_kind kind)
{
    if (!STOA_KIND_IS_IMMUTABLE(kind) || !f->r.canonical)
        return 0;
    stoa_key k = {f->r.module, f->r.version, kind};
    stoa_object o;
    stoa_error err = {0};
    return storage_get(env.store, &k, STOA_GET_META_ONLY, &o, &err) == STOA_OK;
}

static int listed(const char *csv, const char *name)
{
    size_t l = strlen(name);
    if (l == 0)
        return 1;
    for (const char *p = csv; (p = strstr(p, name)) != NULL; p += l)
        if ((p == csv || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
            return 1;
    return 0;
}

static void note_failures(fill *f, const upstream_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->nattempts && i < UPSTREAM_MAX_ATTEMPTS; ++i) {
        const upstream_attempt *a = &res->attempts[i];
        if (a->status == STOA_OK || a->status == STOA_NOTFOUND || listed(f->failed, a->name))
            continue;
        int w = snprintf(f->failed + n, sizeof(f->failed) - n, "%s%s", n ? "," : "", a->name);
        if (w < 0 || (size_t)w >= sizeof(f->failed) - n)
            break;
        n += (size_t)w;
    }
}

/* An early delivery (fill.h). Caller holds the lock. */
static void deliver_now(fill_waiter *w)
{
    w->early = 1;
    h2o_multithread_send_message(&w->job->loop->receiver, &w->job->_msg);
}

/* The validated bytes are final (pins make a later conflict impossible for .mod and
 * .zip; for .info either upstream's answer is right): waiters that want it are
 * answered now, from the staged file, and streamers may send the last byte, while the
 * commit runs. Joiners from now on are answered at once (fill_join). */
static void deliver_early(fill *f)
{
    pthread_mutex_lock(&lock);
    atomic_store(&f->validated, 1);
    for (fill_waiter **pp = &f->waiters; *pp != NULL;) {
        fill_waiter *w = *pp;
        if (w->wants_progress)
            poke_locked(w);
        if (!w->wants_early) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        deliver_now(w);
    }
    pthread_mutex_unlock(&lock);
}

/* The fetch's question, from f. */
static void ask(fill *f, stoa_kind kind)
{
    fill_fetch *q = &f->q;
    q->r = &f->r;
    q->kind = kind;
    q->key = f->key;
    q->fd = f->staged_fd;
    q->cond = &f->cond;
    q->progress = f->r.type == ROUTE_ZIP ? on_progress : NULL;
    q->progress_arg = f;
    q->res.served_by = -1;
}

static void fetch(fill *f)
{
    fill_fetch *q = &f->q;
    stoa_kind kind = route_kind(f->r.type);
    if (already_stored(f, kind)) {
        f->outcome = FILL_STORED;
        return;
    }
    /* The last gate before the network: handlers check too, with better messages. */
    if ((q->sources = namespace_fill_sources(q->conf, f->r.repo, f->r.module)) == 0) {
        stoa_fail(&q->err, STOA_NOTFOUND, "private namespace: never asked of an upstream");
        return;
    }
    if ((f->staged_fd = staging_open(env.tmp_dir)) < 0) {
        stoa_fail(&q->err, errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "cannot create staging file in %s: %s",
                  env.tmp_dir, strerror(errno));
        return;
    }
    ask(f, kind);
    revalidate_prepare(env.store, &f->r, kind, f->key, &f->cond);
    stoa_status st = env.source(q);
    note_failures(f, &q->res);
    if (st != STOA_OK) {
        char why[400];
        upstream_describe(&q->res, why, sizeof(why));
        stoa_fail(&q->err, st, "%s: %s", st == STOA_NOTFOUND ? "not found" : "upstream failure", why);
        return;
    }
    if (q->res.not_modified) {
        f->outcome = revalidate_touch(env.store, &f->r, kind, &q->err) == STOA_OK ? FILL_STORED : FILL_FAILED;
        return;
    }
    q->meta.stored_at = (int64_t)time(NULL); /* the plugin stamps its copy no earlier */
    if (STOA_KIND_IS_IMMUTABLE(kind) && f->r.canonical)
        deliver_early(f);
    commit(f, kind);
    if (f->outcome == FILL_STORED)
        revalidate_remember(f->key, kind, f->q.upstream, q->res.etag, q->meta.sha256);
}

/* Ends f: out of the table, every waiter told. Caller holds the lock. */
static void finish_locked(fill *f)
{
    fill **pp = &buckets[hash(f->key)];
    while (*pp != f)
        pp = &(*pp)->next_in_bucket;
    *pp = f->next_in_bucket;
    atomic_store(&f->ended, 1);
    metrics_fill_done();
    fill_waiter *w = f->waiters;
    f->waiters = NULL;
    /* Deliveries start under the lock, so a streamer leaving concurrently knows one is
     * on its way and keeps its memory until it arrives. */
    while (w != NULL) {
        fill_waiter *next = w->next;
        if (w->wants_progress)
            poke_locked(w);
        else
            h2o_multithread_send_message(&w->job->loop->receiver, &w->job->_msg);
        w = next;
    }
}

static void finish(fill *f)
{
    pthread_mutex_lock(&lock);
    finish_locked(f);
    pthread_mutex_unlock(&lock);
}

/* An HTTP/1.1 client that closed (or reset) its connection. On a plain connection,
 * pipelined bytes before a FIN mean it still waits (a client may half-close after its
 * requests); on TLS they are its close_notify (a TLS client closes with one, then FIN),
 * so the FIN alone tells. */
static int hung_up(int fd, int tls)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return 1;
    struct pollfd p = {fd, POLLRDHUP, 0};
    return n > 0 && tls && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
}

/* Ends f at once when nobody waits for it any more. Caller holds the lock. */
static int abandoned_locked(fill *f)
{
    for (fill_waiter *w = f->waiters; w != NULL; w = w->next)
        if (!atomic_load(&w->gone) && (w->peer_fd < 0 || !hung_up(w->peer_fd, w->peer_tls)))
            return 0;
    stoa_fail(&f->q.err, STOA_UNAVAILABLE, "every client asking for %s went away before the fetch started", f->key);
    finish_locked(f);
    return 1;
}

/* Replicas sharing one storage (pgs3) fetch a cold immutable file once: the first
 * takes the storage's lease, the others wait for it and then find the file stored
 * (fetch() re-checks storage first). Without a lease (none, timed out, backend down)
 * the fill goes ahead: a duplicate fetch is better than no answer. */
static void *lease(fill *f)
{
    stoa_kind kind = route_kind(f->r.type);
    if (!STOA_KIND_IS_IMMUTABLE(kind) || !f->r.canonical)
        return NULL;
    const struct conf *c = f->q.conf;
    uint32_t wait_ms = 0; /* as long as the slowest fill another replica may run */
    for (size_t i = 0; i < c->nupstreams; ++i)
        if (c->upstreams[i].total_ms > wait_ms)
            wait_ms = c->upstreams[i].total_ms;
    stoa_key k = {f->r.module, f->r.version, kind};
    stoa_error err = {0};
    void *h;
    if (storage_lease(env.store, &k, wait_ms, &h, &err) != STOA_OK)
        log_msg(STOA_LOG_WARN, "fill", "fetching %s without a cross-process lease: %s", f->key, err.msg);
    return h;
}

static void on_run(pool_job *job)
{
    fill *f = (fill *)job;
    f->outcome = FILL_FAILED;
    pthread_mutex_lock(&lock);
    int gone = abandoned_locked(f);
    pthread_mutex_unlock(&lock);
    if (gone) {
        metrics_fill_abandoned();
    } else {
        f->q.conf = env.conf();
        void *h = lease(f);
        fetch(f);
        storage_release(env.store, h);
        finish(f);
    }
    clientfills_put(f->client);
    fill_release(f);
}

/* A new fill for r under key, queued on the fill lane. Caller holds the lock. NULL,
 * nothing counted or queued, when client or the lane is at its limit. */
static fill *start_locked(const route *r, const char *key, const char *client, fill_join_result *why)
{
    const struct conf *c = env.conf();
    if (clientfills_take(client, c->fills_per_client) != 0) {
        *why = FILL_BUSY_CLIENT;
        return NULL;
    }
    fill *f = calloc(1, sizeof(*f));
    if (f == NULL)
        abort();
    snprintf(f->key, sizeof(f->key), "%s", key);
    snprintf(f->client, sizeof(f->client), "%s", client);
    f->r = *r;
    f->staged_fd = -1;
    atomic_init(&f->expect, -1);
    atomic_init(&f->refs, 1); /* the fetch job's */
    f->job.run = on_run;
    /* Under the lock, so no one joins a fill that then fails to queue. The pool's lock
     * is never held while taking this one. */
    if (pool_submit(POOL_FILL, &f->job, c->max_queued) != 0) {
        clientfills_put(client);
        free(f);
        *why = FILL_BUSY_QUEUE;
        return NULL;
    }
    return f;
}

fill_join_result fill_join(const route *r, const char *client, fill_waiter *w, fill **out)
{
    char key[ROUTE_PATH_MAX];
    if (route_upstream_path(r, key, sizeof(key)) != 0)
        key[0] = '\0';
    unsigned b = hash(key);
    pthread_mutex_lock(&lock);
    fill *f = buckets[b];
    while (f != NULL && strcmp(f->key, key) != 0)
        f = f->next_in_bucket;
    int fresh = f == NULL;
    if (fresh) {
        fill_join_result why;
        if ((f = start_locked(r, key, client, &why)) == NULL) {
            pthread_mutex_unlock(&lock);
            return why;
        }
        f->next_in_bucket = buckets[b];
        buckets[b] = f;
    }
    atomic_fetch_add(&f->refs, 1);
    *out = f;
    if (w->wants_early && atomic_load(&f->validated)) {
        deliver_now(w);
    } else {
        w->next = f->waiters;
        f->waiters = w;
        if (w->wants_progress && atomic_load(&f->validated))
            poke_locked(w); /* no more progress will come: only the end */
    }
    pthread_mutex_unlock(&lock);
    atomic_fetch_add(fresh ? &n_started : &n_joined, 1);
    metrics_fill(fresh);
    return FILL_JOINED;
}

fill_outcome fill_result(const fill *f)
{
    return f->outcome;
}

const stoa_error *fill_error(const fill *f)
{
    return &f->q.err;
}

const char *fill_upstream(const fill *f)
{
    return f->q.upstream;
}

const char *fill_failed_upstreams(const fill *f)
{
    return f->failed;
}

int fill_staged(const fill *f, stoa_meta *meta)
{
    if (f->staged_fd < 0)
        return -1;
    *meta = f->q.meta;
    return fcntl(f->staged_fd, F_DUPFD_CLOEXEC, 0); /* senders read with pread: sharing the offset is fine */
}

void fill_leave(fill *f, fill_waiter *w)
{
    pthread_mutex_lock(&lock);
    for (fill_waiter **pp = &f->waiters; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

void fill_progress_of(const fill *f, fill_progress *p)
{
    p->ended = atomic_load(&((fill *)f)->ended);
    p->validated = atomic_load(&((fill *)f)->validated);
    p->gen = atomic_load(&((fill *)f)->gen);
    p->expect = atomic_load(&((fill *)f)->expect);
    p->avail = atomic_load(&((fill *)f)->avail);
}

const stoa_meta *fill_meta(const fill *f)
{
    return &f->q.meta;
}

int fill_staged_fd(const fill *f)
{
    return f->staged_fd;
}

void fill_counts(uint64_t *started, uint64_t *joined)
{
    *started = atomic_load(&n_started);
    *joined = atomic_load(&n_joined);
}
