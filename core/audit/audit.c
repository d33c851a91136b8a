#include "audit.h"

#include "audit_sink.h"
#include "audit_spool.h"
#include "clock.h"
#include "conf.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 1000 /* how often a failed sink is tried again */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    char **ring;           /* encoded lines, oldest at head */
    char **take;           /* the writer's batch */
    size_t cap, head, count;
    int open, threaded, closing;
    pthread_t tid;
    audit_sink *sink;
    audit_spool *spool;
    size_t batch;
    uint32_t interval_ms;
    atomic_int sink_down;  /* the last write answered RETRY */
    atomic_int losing;     /* the last spool append failed: events are being dropped */
    uint64_t retry_at_ms;
    char instance[80];
    atomic_ullong written, spooled, dropped, queued;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void drop(size_t n, const char *why)
{
    /* Drops are rare and serious: log each occurrence, with the running total. */
    unsigned long long total = atomic_fetch_add(&q.dropped, n) + n;
    log_msg(STOA_LOG_ERROR, "audit", "dropped %zu event(s): %s (%llu dropped since start)", n, why, total);
}

/* ---- delivery (audit thread, or the caller in CLI mode) ---- */

/* A line the sink refuses would block the spool forever: store the batch line by line
 * and drop (count, log) only the lines refused on their own. */
static int deliver_spooled(void *arg, char *const *lines, size_t n)
{
    char err[512];
    audit_sink_result r = q.sink->write(q.sink, lines, n, err, sizeof(err));
    for (size_t i = 0; r == AUDIT_SINK_REJECT && i < n; ++i) {
        audit_sink_result one = q.sink->write(q.sink, &lines[i], 1, err, sizeof(err));
        if (one == AUDIT_SINK_RETRY)
            return -1;
        if (one == AUDIT_SINK_REJECT)
            drop(1, err);
    }
    return r == AUDIT_SINK_RETRY ? -1 : 0;
}

/* Empties the spool into the sink when it is due; 1 when the spool is empty after. */
static int replay_spool(void)
{
    if (audit_spool_size(q.spool) == 0)
        return 1;
    if (q.sink_down && (uint64_t)clock_mono_ms() < q.retry_at_ms)
        return 0;
    size_t delivered = 0, skipped = 0;
    char err[512];
    int rc = audit_spool_replay(q.spool, q.batch, deliver_spooled, NULL, &delivered, &skipped, err, sizeof(err));
    atomic_fetch_add(&q.written, delivered);
    if (skipped > 0)
        drop(skipped, "unreadable lines in the spool (a write cut by a crash)");
    if (rc < 0)
        log_msg(STOA_LOG_ERROR, "audit", "%s", err);
    if (rc != 0) {
        q.sink_down = 1;
        q.retry_at_ms = (uint64_t)clock_mono_ms() + RETRY_MS;
        return 0;
    }
    if (q.sink_down || delivered > 0)
        log_msg(STOA_LOG_INFO, "audit", "%s sink is back: replayed %zu spooled event(s)", q.sink->name, delivered);
    q.sink_down = 0;
    return 1;
}

static void to_spool(char *const *lines, size_t n)
{
    char err[512];
    int failed = audit_spool_append(q.spool, lines, n, err, sizeof(err)) != 0;
    atomic_store(&q.losing, failed);
    if (failed)
        drop(n, err);
    else
        atomic_fetch_add(&q.spooled, n);
}

/* A refused batch: store what the sink takes, one by one; drop the rest. */
static void write_singly(char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        char err[512];
        audit_sink_result r = q.sink->write(q.sink, &lines[i], 1, err, sizeof(err));
        if (r == AUDIT_SINK_OK)
            atomic_fetch_add(&q.written, 1);
        else if (r == AUDIT_SINK_RETRY)
            to_spool(&lines[i], 1);
        else
            drop(1, err);
    }
}

static void deliver(char *const *lines, size_t n)
{
    if (n == 0)
        return;
    if (!replay_spool()) { /* keep the order: older spooled events go first */
        to_spool(lines, n);
        return;
    }
    char err[512];
    audit_sink_result r = q.sink->write(q.sink, lines, n, err, sizeof(err));
    if (r == AUDIT_SINK_OK) {
        atomic_fetch_add(&q.written, n);
        return;
    }
    if (r == AUDIT_SINK_REJECT) {
        write_singly(lines, n);
        return;
    }
    if (!q.sink_down)
        log_msg(STOA_LOG_WARN, "audit", "%s sink unavailable (%s): spooling events until it is back", q.sink->name, err);
    q.sink_down = 1;
    q.retry_at_ms = (uint64_t)clock_mono_ms() + RETRY_MS;
    to_spool(lines, n);
}

/* On the emitting thread: ids come from a per-thread random pool (a getrandom call
 * every 256 events), the rest costs no syscall. */
static void fill_defaults(audit_event *ev)
{
    static atomic_uint fallback;
    if (ev->id[0] == '\0' && audit_event_new_id(ev) != 0) /* no entropy: pid, time and a counter */
        snprintf(ev->id, sizeof(ev->id), "%08x-%04x-4000-8000-%012llx", (unsigned)getpid(),
                 atomic_fetch_add(&fallback, 1) & 0xffff, (unsigned long long)time(NULL));
    if (ev->instance[0] == '\0')
        audit_copy(ev->instance, sizeof(ev->instance), q.instance);
    if (ev->time_us == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ev->time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
}

/* The event with its defaults filled in, as its JSON line (malloc'd); NULL when out
 * of memory (counted and logged as a drop). */
static char *encode(const audit_event *ev)
{
    audit_event e = *ev;
    fill_defaults(&e);
    char *line = audit_event_json(&e);
    if (line == NULL)
        drop(1, "out of memory while encoding");
    return line;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        free(lines[i]);
}

/* ---- the queue ---- */

static void *writer_main(void *arg)
{
    char **take = arg;
    pthread_mutex_lock(&q.mu);
    for (;;) {
        if (q.count < q.batch && !q.closing) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)q.interval_ms * 1000000;
            until.tv_sec += (time_t)(ns / 1000000000);
            until.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&q.wake, &q.mu, &until);
        }
        size_t n = 0;
        while (n < q.batch && q.count > 0) {
            take[n++] = q.ring[q.head];
            q.head = (q.head + 1) % q.cap;
            --q.count;
        }
        atomic_store(&q.queued, q.count);
        int last = q.closing && q.count == 0;
        pthread_mutex_unlock(&q.mu);
        if (n > 0)
            deliver(take, n);
        else
            replay_spool(); /* idle: bring the spool home when the sink is back */
        free_lines(take, n);
        pthread_mutex_lock(&q.mu);
        if (last)
            break;
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

/* The event is encoded here, on the emitting (loop) thread, a few microseconds spread
 * over the requests: the writer thread then only writes. When it encoded batches of
 * 500 itself, each wake-up took a core for about a millisecond and showed as stalls in
 * the loops' tail latency. */
void audit_emit(const audit_event *ev)
{
    if (!q.open) /* audit.sink: none, or emitted after close */
        return;
    char *line = encode(ev);
    if (line == NULL)
        return;
    if (!q.threaded) {
        pthread_mutex_lock(&q.mu);
        deliver(&line, 1);
        pthread_mutex_unlock(&q.mu);
        free(line);
        return;
    }
    pthread_mutex_lock(&q.mu);
    int full = q.count == q.cap || q.closing;
    if (!full) {
        q.ring[(q.head + q.count) % q.cap] = line;
        if (++q.count == q.batch)
            pthread_cond_signal(&q.wake);
        atomic_store(&q.queued, q.count);
    }
    pthread_mutex_unlock(&q.mu);
    if (full) {
        free(line);
        drop(1, "the audit queue is full (the sink is too slow)");
    }
}

/* ---- lifecycle ---- */

static int open_sink(const struct conf *c, char *err, size_t errlen)
{
    if (strcmp(c->audit_sink, "postgres") == 0)
        q.sink = audit_sink_pg(c->audit_dsn, err, errlen);
    else
        q.sink = audit_sink_file(c->audit_path, err, errlen);
    if (q.sink == NULL)
        return -1;
    q.spool = audit_spool_open(c->audit_spool, err, errlen);
    return q.spool != NULL ? 0 : -1;
}

int audit_open(const struct conf *c, int threaded, char *err, size_t errlen)
{
    if (c->audit_sink == NULL || strcmp(c->audit_sink, "none") == 0)
        return 0;
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(q.instance, sizeof(q.instance), "%s:%ld", host, (long)getpid());
    q.batch = c->audit_batch > 0 ? c->audit_batch : 1;
    q.interval_ms = c->audit_interval_ms > 0 ? c->audit_interval_ms : 1;
    q.cap = c->audit_queue >= q.batch ? c->audit_queue : q.batch;
    q.head = q.count = 0;
    q.closing = 0;
    q.sink_down = 0; /* separately: clang rejects the value of an _Atomic assignment as an int */
    if (open_sink(c, err, errlen) != 0) {
        audit_close();
        return -1;
    }
    q.threaded = threaded;
    if (threaded && ((q.ring = calloc(q.cap, sizeof(*q.ring))) == NULL ||
                     (q.take = calloc(q.batch, sizeof(*q.take))) == NULL)) {
        audit_close();
        return snprintf(err, errlen, "audit: out of memory for a queue of %zu", q.cap), -1;
    }
    if (threaded && pthread_create(&q.tid, NULL, writer_main, q.take) != 0) {
        audit_close();
        return snprintf(err, errlen, "audit: cannot start the writer thread: %s", strerror(errno)), -1;
    }
    q.open = 1;
    if (audit_spool_size(q.spool) > 0)
        log_msg(STOA_LOG_INFO, "audit", "%s holds events from an earlier run; replaying them to the %s sink",
                c->audit_spool, q.sink->name);
    return 0;
}

void audit_close(void)
{
    if (q.open && q.threaded) {
        pthread_mutex_lock(&q.mu);
        q.closing = 1;
        pthread_cond_signal(&q.wake);
        pthread_mutex_unlock(&q.mu);
        pthread_join(q.tid, NULL);
    }
    if (q.open && audit_spool_size(q.spool) > 0) {
        q.sink_down = 0; /* one last try before exit; what stays is replayed at the next start */
        replay_spool();
    }
    q.open = 0;
    if (q.sink != NULL)
        q.sink->close(q.sink);
    audit_spool_close(q.spool);
    free(q.ring);
    free(q.take);
    q.sink = NULL;
    q.spool = NULL;
    q.ring = NULL;
    q.take = NULL;
}

void audit_stats_get(audit_stats *s)
{
    s->queued = atomic_load(&q.queued);
    pthread_mutex_lock(&q.mu);
    s->spool_bytes = q.spool != NULL ? audit_spool_size(q.spool) : 0;
    pthread_mutex_unlock(&q.mu);
    s->written = atomic_load(&q.written);
    s->spooled = atomic_load(&q.spooled);
    s->dropped = atomic_load(&q.dropped);
    s->sink_down = atomic_load(&q.sink_down);
    s->losing = atomic_load(&q.losing);
}
