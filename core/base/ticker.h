/*
 * A background thread that calls tick(arg) every interval_ms until stopped: the
 * upstream prober and the cache evictor. ticker_stop wakes it at once (no waiting out
 * the interval) and joins it; a tick already running finishes first.
 * Start and stop on the main thread.
 */
#ifndef STOA_TICKER_H
#define STOA_TICKER_H

#include <pthread.h>
#include <stdint.h>

typedef struct ticker {
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stopping, rearm;
    uint32_t interval_ms;
    void (*tick)(void *arg);
    void *arg;
} ticker;

/* 0, or -1 when the thread cannot be created. */
int ticker_start(ticker *t, uint32_t interval_ms, void (*tick)(void *arg), void *arg);

/* Takes effect at once: the wait in progress restarts with the new interval (no tick
 * is run early). Any thread. */
void ticker_set_interval(ticker *t, uint32_t interval_ms);

/* Idempotent; a never-started ticker is fine. */
void ticker_stop(ticker *t);

#endif
