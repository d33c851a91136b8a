/*
 * Single-flight cache fill: however many requests miss the same object at once, one
 * upstream fetch runs; every waiter is told on its own loop thread when it ends.
 *
 * A fill fetches the route's file through the upstream chain into an anonymous staging
 * file, validates it (core/gomod/validate.h), and commits it to storage when it is cacheable
 * (immutable files of canonical versions; list and @latest as mutable objects).
 * Outcomes:
 *   FILL_STORED  the object is in storage now: look it up again and serve it (a
 *                waiter that wanted it was answered early, from the staged file).
 *   FILL_STAGED  not cacheable (a .info query) or storage refused it: serve the staged
 *                copy from fill_staged().
 *   FILL_FAILED  nothing to serve; fill_error() says why (status NOTFOUND when every
 *                upstream said 404/410, else the failure).
 */
#ifndef STOA_FILL_H
#define STOA_FILL_H

#include "pool.h"
#include "route.h"
#include "storage.h"
#include "upstream.h"

#include <stdatomic.h>

typedef struct fill fill;

typedef enum fill_outcome {
    FILL_STORED = 1,
    FILL_STAGED = 2,
    FILL_FAILED = 3,
} fill_outcome;

/* A waiter names a pool_job whose done() runs on job->loop when the fill ends. The
 * waiter's owner keeps it alive until then.
 *
 * A streaming waiter (wants_progress) is also poked while bytes arrive, so it can send
 * them on (core/http/stream.c). Its job may be delivered many times: `queued` is set (under
 * the fill's lock) whenever a delivery is in flight and cleared by the owner when it
 * runs, and no delivery starts after fill_leave() returns.
 *
 * A waiter that wants_early may be delivered before the fill ends: as soon as a
 * canonical immutable file is validated (and pinned), while it is still being
 * committed, so the client's wait does not include storage's write. Its job then finds
 * `early` set and serves fill_staged(); fill_result() is not yet final and must not be
 * read. A response to a miss therefore does not mean the file is stored yet: the gauge
 * stoa_fills_in_flight says when every fill has ended. */
typedef struct fill_waiter {
    pool_job *job;
    struct fill_waiter *next;
    int wants_progress;
    int wants_early;
    int early;              /* set by the fill before an early delivery */
    atomic_int queued;
    atomic_int gone;        /* set by the owner when its request went away */
    int peer_fd;            /* HTTP/1.1 client socket, peeked for a hang-up; -1 if none */
    int peer_tls;           /* peer_fd is TLS: unread bytes after its FIN are a close_notify */
} fill_waiter;

typedef enum fill_join_result {
    FILL_JOINED = 0,
    FILL_BUSY_QUEUE = 1,    /* the fill lane's queue is at limits.queue */
    FILL_BUSY_CLIENT = 2,   /* client has limits.fills_per_client fills running */
} fill_join_result;

/* One fetch of a fill: what it is asked, and what its source answers. */
typedef struct fill_fetch {
    const struct conf *conf;    /* in force when the fill started running: one decision, one configuration */
    const route *r;
    stoa_kind kind;
    const char *key;            /* the upstream-relative path */
    int fd;                     /* the staging file to write (truncate per attempt) */
    uint64_t sources;           /* the upstreams that may be asked (namespace_fill_sources) */
    const upstream_cond *cond;  /* list/@latest: revalidate the stored copy */
    upstream_progress_cb progress; /* NULL unless streamers may wait; bytes == 0 voids an attempt */
    void *progress_arg;
    /* answered */
    stoa_meta meta;             /* of the validated file (origin: the upstream's name) */
    char upstream[64];          /* the upstream that served, or "" */
    upstream_result res;        /* every attempt, for the audit and the error message */
    stoa_error err;
} fill_fetch;

/* Gets q's file into q->fd and checks it: STOA_OK with q->meta (or res.not_modified),
 * else the failure in q->err; NOTFOUND when every source said 404/410. Worker thread;
 * may block. */
typedef stoa_status (*fill_source_fn)(fill_fetch *q);

/* What fills reach outside themselves: passed in, so tests give their own. */
typedef struct fill_env {
    storage *store;
    const char *tmp_dir;                /* staging files */
    const struct conf *(*conf)(void);   /* the configuration in force */
    fill_source_fn source;              /* fill_from_upstreams (fill_source.h) when serving */
} fill_env;

/* Main thread, before the first fill_join; env is copied. */
void fill_setup(const fill_env *env);

/* Joins the running fill for r or starts one on behalf of client (its address, the
 * key of limits.fills_per_client). On FILL_JOINED, *out gets a reference the caller
 * must fill_release (after done() ran); otherwise nothing was joined, w is untouched
 * and the caller answers 503.
 *
 * A fill that has not started when every waiter has gone (streamers by fill_leave,
 * others by setting `gone`, or a peer_fd the client has hung up) is dropped without
 * asking any upstream: a client that sends requests and disconnects queues no work
 * (issue 21 finding 6). h2o does not read an HTTP/1.1 connection while its request is
 * handled, so it never sees that client leave: hence peer_fd. The descriptor stays
 * open until the waiter's job is delivered (h2o neither reads, writes nor times out a
 * connection whose request has no response yet), so peeking it from the fill's
 * thread is safe. */
fill_join_result fill_join(const route *r, const char *client, fill_waiter *w, fill **out);

fill_outcome fill_result(const fill *f);
const stoa_error *fill_error(const fill *f);
const char *fill_upstream(const fill *f); /* name of the upstream that served, or "" */
/* Comma-separated names of upstreams that failed (not 404/410) during the fill, or "". */
const char *fill_failed_upstreams(const fill *f);

/* For FILL_STAGED, or an early delivery: a new descriptor on the staged file (the
 * caller closes it) and its meta. -1 on failure. */
int fill_staged(const fill *f, stoa_meta *meta);

void fill_release(fill *f);

/* Streaming waiters, loop thread. fill_leave unsubscribes w (a no-op once the fill has
 * ended); afterwards w->queued says whether one last delivery is still on its way. */
void fill_leave(fill *f, fill_waiter *w);

/* What a streamer may send now: bytes of the current upstream attempt written to the
 * staged file so far. *gen changes when an attempt is abandoned (its bytes are void);
 * *expect is the attempt's Content-Length, or -1. After the fill ended, fill_result()
 * and fill_staged() tell the final state instead. */
typedef struct fill_progress {
    uint64_t avail;
    unsigned gen;
    int64_t expect;
    int ended;
    int validated;          /* the file is complete and final: fill_meta() holds */
} fill_progress;
void fill_progress_of(const fill *f, fill_progress *p);

/* The validated file's facts, once the fill ended with STORED or STAGED. */
const stoa_meta *fill_meta(const fill *f);

/* The staged file while the fill runs (streamers pread it); -1 before it exists. */
int fill_staged_fd(const fill *f);

/* Fills started and joined since start (for tests and metrics). */
void fill_counts(uint64_t *started, uint64_t *joined);

#endif
