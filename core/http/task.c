#include "task.h"

#include "app.h"

#include <stdlib.h>

static void on_run(pool_job *job)
{
    task *t = (task *)job;
    t->work(t);
}

static void on_done(reqasync *a, h2o_req_t *req)
{
    task *t = (task *)a;
    t->cont(t, t->rc);
}

static void on_free(reqasync *a)
{
    task *t = (task *)a;
    if (t->fini != NULL)
        t->fini(t);
}

task *task_new(reqctx *rc, size_t size, void (*work)(task *), void (*cont)(task *, reqctx *), void (*fini)(task *))
{
    task *t = (task *)reqasync_new(rc->req, size, on_run, on_done);
    if (t == NULL)
        return NULL;
    t->a.on_free = on_free;
    t->rc = rc;
    t->work = work;
    t->cont = cont;
    t->fini = fini;
    return t;
}

void task_submit(task *t, pool_lane lane)
{
    reqctx *rc = t->rc;
    if (reqasync_submit(&t->a, lane) != 0)
        http_send_busy(rc, lane);
}

void task_done(task *t)
{
    t->a.job.done(&t->a.job);
}

void task_start(task *t)
{
    if (storage_fast(&the_app->store)) {
        /* Inline: run the same trampoline the pool would, without the thread hop. */
        on_run(&t->a.job);
        task_done(t);
        return;
    }
    task_submit(t, POOL_WORK);
}
