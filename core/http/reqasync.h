/*
 * Blocking work on behalf of a request, continued on the request's loop thread.
 *
 * h2o may dispose a request while its job runs (the client went away). A reqasync is
 * malloc'd apart from the request; a small guard in the request's pool clears
 * a->req when the request dies. Both the guard and done() run on the loop thread, so
 * no lock is needed. on_done(a, req) is called only while the request is alive;
 * either way the reqasync is freed after (by reqasync's trampoline).
 */
#ifndef STOA_REQASYNC_H
#define STOA_REQASYNC_H

#include "pool.h"

#include <h2o.h>

typedef struct reqasync reqasync;
typedef void (*reqasync_cb)(reqasync *a, h2o_req_t *req);

struct reqasync {
    pool_job job;             /* first */
    h2o_req_t *req;           /* NULL once the request is gone */
    struct reqasync_guard *guard;
    reqasync_cb on_done;      /* loop thread, request alive */
    void (*on_free)(reqasync *a); /* loop thread, always, before free; may be NULL */
    void (*on_gone)(reqasync *a); /* loop thread, when the request dies first; may be NULL */
};

/* Allocates size bytes (>= sizeof(reqasync), zeroed) bound to req. run executes on a
 * worker (may be NULL if something else completes the job, e.g. a fill). */
reqasync *reqasync_new(h2o_req_t *req, size_t size, void (*run)(pool_job *), reqasync_cb on_done);

/* Releases a that was never submitted nor handed to a fill (on_free runs). */
void reqasync_drop(reqasync *a);

/* Queues a on lane (bounded by limits.queue). -1 when the lane is full: a has then
 * been released (on_free ran, on_done never will) and the caller answers 503
 * (http_send_busy). */
int reqasync_submit(reqasync *a, pool_lane lane);

/* The loop a request belongs to. */
pool_loop *reqasync_loop_of(h2o_req_t *req);

#endif
