#include "ticker.h"

#include <time.h>

static void *ticker_main(void *arg)
{
    ticker *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += t->interval_ms / 1000;
        until.tv_nsec += (long)(t->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec += 1, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&t->wake, &t->lock, &until);
        if (t->stopping)
            break;
        if (t->rearm) { /* woken by ticker_set_interval: wait again, anew */
            t->rearm = 0;
            continue;
        }
        pthread_mutex_unlock(&t->lock);
        t->tick(t->arg);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int ticker_start(ticker *t, uint32_t interval_ms, void (*tick)(void *arg), void *arg)
{
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->interval_ms = interval_ms;
    t->tick = tick;
    t->arg = arg;
    t->stopping = 0;
    t->rearm = 0;
    if (pthread_create(&t->tid, NULL, ticker_main, t) != 0)
        return -1;
    t->running = 1;
    return 0;
}

void ticker_set_interval(ticker *t, uint32_t interval_ms)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    if (t->interval_ms != interval_ms) {
        t->interval_ms = interval_ms;
        t->rearm = 1;
        pthread_cond_signal(&t->wake);
    }
    pthread_mutex_unlock(&t->lock);
}

void ticker_stop(ticker *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->tid, NULL);
    t->running = 0;
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
}
