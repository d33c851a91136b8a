/*
 * Worker pool for blocking work, in lanes that do not share threads or queues, so
 * slow upstreams cannot hold up a publish or a checksum-database lookup (issue 21
 * findings 6 and 7):
 *   POOL_FILL   upstream fetches (core/fill): as slow as an upstream is allowed to be;
 *   POOL_SUMDB  the checksum-database proxy (/sumdb/...): network, bounded by its timeout;
 *   POOL_WORK   storage, publishes, deletes, admin: local or the storage backend.
 *
 * A job is run() on a worker thread of its lane, then done() on the event-loop thread it
 * was submitted from, delivered through that loop's h2o multithread queue. Jobs
 * submitted without a loop (from a worker or the main thread) get no done() call; run()
 * then owns the job. The job memory is owned by the submitter and must stay valid until
 * done() (or, loop-less, until run() returns).
 */
#ifndef STOA_POOL_H
#define STOA_POOL_H

#include <h2o.h>
#include <h2o/multithread.h>

typedef struct pool_job pool_job;

typedef enum pool_lane {
    POOL_FILL = 0,
    POOL_SUMDB = 1,
    POOL_WORK = 2,
} pool_lane;
#define POOL_NLANES 3

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

/* Starts n worker threads in each lane. 0 or -1. */
int pool_start(unsigned n);

/* Stops accepting, waits for queued and running jobs, joins the workers. */
void pool_stop(void);

/* Registers the loop's receiver on queue. Call on the loop thread. */
void pool_loop_init(pool_loop *l, h2o_multithread_queue_t *queue);
void pool_loop_dispose(pool_loop *l, h2o_multithread_queue_t *queue);

/* Queues job on lane. -1, and nothing queued, when the lane already holds max_queued
 * jobs waiting for a worker (0: no bound) or the pool is stopping: the caller answers
 * 503 (POOL_RETRY_AFTER) instead of letting the backlog, and memory, grow. */
int pool_submit(pool_lane lane, pool_job *job, unsigned max_queued);

/* The Retry-After, in seconds, for a request refused because a lane is full. */
#define POOL_RETRY_AFTER "1"

/* Jobs queued but not yet started on lane (for metrics). */
unsigned pool_queued(pool_lane lane);

/* Jobs refused by pool_submit on lane since start (for metrics). */
unsigned long pool_refused(pool_lane lane);

const char *pool_lane_name(pool_lane lane);

#endif
