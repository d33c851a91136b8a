/*
 * Worker pool for blocking work (upstream fetches, network storage, publishes).
 *
 * A job is run() on a worker thread, then done() on the event-loop thread it was
 * submitted from, delivered through that loop's h2o multithread queue. Jobs submitted
 * without a loop (from a worker or the main thread) get no done() call; run() then
 * owns the job. The job memory is owned by the submitter and must stay valid until
 * done() (or, loop-less, until run() returns).
 */
#ifndef STOA_POOL_H
#define STOA_POOL_H

#include <h2o.h>
#include <h2o/multithread.h>

typedef struct pool_job pool_job;

/* One per event loop: the receiver that delivers done() calls. */
typedef struct pool_loop {
    h2o_multithread_receiver_t receiver;
} pool_loop;

struct pool_job {
    h2o_multithread_message_t _msg; /* first: the queue hands back this pointer */
    pool_job *_next;
    pool_loop *loop;                /* where done() runs, or NULL */
    void (*run)(pool_job *job);     /* worker thread; may block */
    void (*done)(pool_job *job);    /* loop thread */
};

/* Starts n worker threads. 0 or -1. */
int pool_start(unsigned n);

/* Stops accepting, waits for queued and running jobs, joins the workers. */
void pool_stop(void);

/* Registers the loop's receiver on queue. Call on the loop thread. */
void pool_loop_init(pool_loop *l, h2o_multithread_queue_t *queue);
void pool_loop_dispose(pool_loop *l, h2o_multithread_queue_t *queue);

void pool_submit(pool_job *job);

/* Jobs queued but not yet started (for metrics). */
unsigned pool_queued(void);

#endif
