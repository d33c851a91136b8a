#include "reqasync.h"

#include "app.h"
#include "h2cancel.h"
#include "loop.h"

#include <stdlib.h>

struct reqasync_guard {
    reqasync *a;
};

static void on_guard_dispose(void *p)
{
    struct reqasync_guard *g = p;
    if (g->a == NULL)
        return;
    h2cancel_note(g->a->req);
    g->a->req = NULL;
    if (g->a->on_gone != NULL)
        g->a->on_gone(g->a);
}

static void trampoline(pool_job *job)
{
    reqasync *a = (reqasync *)job;
    if (a->req != NULL) {
        a->guard->a = NULL;
        a->on_done(a, a->req);
    }
    if (a->on_free != NULL)
        a->on_free(a);
    free(a);
}

void reqasync_drop(reqasync *a)
{
    a->guard->a = NULL;
    if (a->on_free != NULL)
        a->on_free(a);
    free(a);
}

int reqasync_submit(reqasync *a, pool_lane lane)
{
    if (pool_submit(lane, &a->job, the_app->conf->max_queued) == 0)
        return 0;
    reqasync_drop(a);
    return -1;
}

pool_loop *reqasync_loop_of(h2o_req_t *req)
{
    return &server_loop_of(req->conn->ctx)->pool;
}

reqasync *reqasync_new(h2o_req_t *req, size_t size, void (*run)(pool_job *), reqasync_cb on_done)
{
    reqasync *a = calloc(1, size);
    if (a == NULL)
        return NULL;
    a->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*a->guard), on_guard_dispose);
    a->guard->a = a;
    a->req = req;
    a->on_done = on_done;
    a->job.loop = reqasync_loop_of(req);
    a->job.run = run;
    a->job.done = trampoline;
    return a;
}
