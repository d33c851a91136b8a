/* A mutex+condvar FIFO feeding a fixed set of threads. Completion goes back to the
 * submitting loop through h2o's multithread queue, the only thread-safe way into a
 * loop. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pool_job *head, **tail;
    unsigned queued;
    int stopping;
    pthread_t *threads;
    unsigned nthreads;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &pool.head, 0, 0, NULL, 0};

static pool_job *take(void)
{
    pthread_mutex_lock(&pool.lock);
    while (pool.head == NULL && !pool.stopping)
        pthread_cond_wait(&pool.cond, &pool.lock);
    pool_job *job = pool.head;
    if (job != NULL) {
        pool.head = job->_next;
        if (pool.head == NULL)
            pool.tail = &pool.head;
        --pool.queued;
    }
    pthread_mutex_unlock(&pool.lock);
    return job;
}

static void *worker_main(void *arg)
{
    pool_job *job;
    while ((job = take()) != NULL) {
        pool_loop *loop = job->loop;
        job->run(job);
        if (loop != NULL)
            h2o_multithread_send_message(&loop->receiver, &job->_msg);
    }
    return NULL;
}

int pool_start(unsigned n)
{
    pool.threads = calloc(n, sizeof(pthread_t));
    if (pool.threads == NULL)
        return -1;
    pool.stopping = 0;
    for (; pool.nthreads < n; ++pool.nthreads)
        if (pthread_create(&pool.threads[pool.nthreads], NULL, worker_main, NULL) != 0)
            return -1;
    return 0;
}

void pool_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    pthread_cond_broadcast(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
    for (unsigned i = 0; i < pool.nthreads; ++i)
        pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.nthreads = 0;
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

void pool_submit(pool_job *job)
{
    job->_next = NULL;
    job->_msg.link = (h2o_linklist_t){NULL, NULL};
    pthread_mutex_lock(&pool.lock);
    *pool.tail = job;
    pool.tail = &job->_next;
    ++pool.queued;
    pthread_cond_signal(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
}

unsigned pool_queued(void)
{
    pthread_mutex_lock(&pool.lock);
    unsigned n = pool.queued;
    pthread_mutex_unlock(&pool.lock);
    return n;
}
