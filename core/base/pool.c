/* Each lane: a mutex+condvar FIFO feeding a fixed set of threads. Completion goes
 * back to the submitting loop through h2o's multithread queue, the only thread-safe
 * way into a loop. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct lane {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pool_job *head, **tail;
    unsigned queued;
    int stopping;
    pthread_t *threads;
    unsigned nthreads;
    atomic_ulong refused;
} lane;

#define LANE_INIT(i) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &lanes[i].head, 0, 0, NULL, 0, 0}
static lane lanes[POOL_NLANES] = {LANE_INIT(0), LANE_INIT(1), LANE_INIT(2)};

static const char *const lane_names[POOL_NLANES] = {"fill", "sumdb", "work"};

static pool_job *take(lane *l)
{
    pthread_mutex_lock(&l->lock);
    while (l->head == NULL && !l->stopping)
        pthread_cond_wait(&l->cond, &l->lock);
    pool_job *job = l->head;
    if (job != NULL) {
        l->head = job->_next;
        if (l->head == NULL)
            l->tail = &l->head;
        --l->queued;
    }
    pthread_mutex_unlock(&l->lock);
    return job;
}

static void *worker_main(void *arg)
{
    lane *l = arg;
    pool_job *job;
    while ((job = take(l)) != NULL) {
        pool_loop *loop = job->loop;
        job->run(job);
        if (loop != NULL)
            h2o_multithread_send_message(&loop->receiver, &job->_msg);
    }
    return NULL;
}

static int lane_start(lane *l, unsigned n)
{
    l->stopping = 0;
    l->threads = calloc(n, sizeof(pthread_t));
    if (l->threads == NULL)
        return -1;
    for (; l->nthreads < n; ++l->nthreads)
        if (pthread_create(&l->threads[l->nthreads], NULL, worker_main, l) != 0)
            return -1;
    return 0;
}

int pool_start(unsigned n)
{
    for (int i = 0; i < POOL_NLANES; ++i)
        if (lane_start(&lanes[i], n) != 0)
            return -1;
    return 0;
}

static void lane_stop(lane *l)
{
    pthread_mutex_lock(&l->lock);
    l->stopping = 1;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
    for (unsigned i = 0; i < l->nthreads; ++i)
        pthread_join(l->threads[i], NULL);
    free(l->threads);
    pthread_mutex_lock(&l->lock);
    l->threads = NULL;
    l->nthreads = 0;
    pthread_mutex_unlock(&l->lock);
}

void pool_stop(void)
{
    for (int i = 0; i < POOL_NLANES; ++i)
        lane_stop(&lanes[i]);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        pool_job *job = (pool_job *)msg;
        job->done(job);
    }
}

void pool_loop_init(pool_loop *l, h2o_multithread_queue_t *queue)
{
    h2o_multithread_register_receiver(queue, &l->receiver, on_messages);
}

void pool_loop_dispose(pool_loop *l, h2o_multithread_queue_t *queue)
{
    h2o_multithread_unregister_receiver(queue, &l->receiver);
}

int pool_submit(pool_lane which, pool_job *job, unsigned max_queued)
{
    lane *l = &lanes[which];
    job->_next = NULL;
    job->_msg.link = (h2o_linklist_t){NULL, NULL};
    pthread_mutex_lock(&l->lock);
    /* No threads: pool_start has not run (a maintenance command) or pool_stop has. */
    if (l->stopping || l->nthreads == 0 || (max_queued != 0 && l->queued >= max_queued)) {
        pthread_mutex_unlock(&l->lock);
        atomic_fetch_add(&l->refused, 1);
        return -1;
    }
    *l->tail = job;
    l->tail = &job->_next;
    ++l->queued;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    return 0;
}

unsigned pool_queued(pool_lane which)
{
    lane *l = &lanes[which];
    pthread_mutex_lock(&l->lock);
    unsigned n = l->queued;
    pthread_mutex_unlock(&l->lock);
    return n;
}

unsigned long pool_refused(pool_lane which)
{
    return atomic_load(&lanes[which].refused);
}

const char *pool_lane_name(pool_lane which)
{
    return lane_names[which];
}
