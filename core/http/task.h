/*
 * A step of request handling that may block: work() runs inline on the loop thread
 * when the storage plugin is local and fast (STOA_STORAGE_CAP_FAST_GET), otherwise on
 * a worker; cont() then runs on the loop thread if the request is still alive; fini()
 * (may be NULL) always runs last, to release what work() acquired (fds, buffers) and
 * what the task owned from the start: also when work() never ran (a full lane), so it
 * must cope with the task as task_new and its caller left it.
 *
 * work() must only touch the task's own memory (never the request or its pool): copy
 * what it needs into the task before starting it.
 */
#ifndef STOA_TASK_H
#define STOA_TASK_H

#include "http.h"
#include "reqasync.h"

typedef struct task task;

struct task {
    reqasync a;                              /* first */
    reqctx *rc;                              /* valid in cont() only */
    void (*work)(task *t);
    void (*cont)(task *t, reqctx *rc);
    void (*fini)(task *t);
};

/* Allocates size (>= sizeof(task)) zeroed bytes. NULL on OOM. */
task *task_new(reqctx *rc, size_t size, void (*work)(task *), void (*cont)(task *, reqctx *), void (*fini)(task *));

/* Runs t: inline when storage is fast, else queued on POOL_WORK. */
void task_start(task *t);

/* Completes t on the loop thread without work(): the caller already did it (cont, then
 * fini, as if work() had run inline). */
void task_done(task *t);

/* Queues t on lane, never inline (network work). A full lane answers 503 and frees t. */
void task_submit(task *t, pool_lane lane);

#endif
