/* Git fetch counters per host; see origin_metrics.h. */
#include "origin_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct slot {
    char host[128];
    uint64_t fetches, failures, bytes;
    double seconds;
} slot;

static slot slots[ORIGIN_METRICS_HOSTS];
static size_t used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void origin_metrics_fetch(const char *host, int ok, uint64_t bytes, double seconds)
{
    pthread_mutex_lock(&lock);
    size_t i = 0;
    while (i < used && strcmp(slots[i].host, host) != 0)
        ++i;
    if (i == used) {
        if (used < ORIGIN_METRICS_HOSTS - 1)
            snprintf(slots[used++].host, sizeof(slots[0].host), "%s", host);
        else
            i = ORIGIN_METRICS_HOSTS - 1, snprintf(slots[i].host, sizeof(slots[0].host), "other"), used = ORIGIN_METRICS_HOSTS;
    }
    slots[i].fetches++;
    slots[i].failures += !ok;
    slots[i].bytes += bytes;
    slots[i].seconds += seconds;
    pthread_mutex_unlock(&lock);
}

void origin_metrics_each(origin_metrics_cb cb, void *arg)
{
    slot copy[ORIGIN_METRICS_HOSTS];
    pthread_mutex_lock(&lock);
    size_t n = used;
    memcpy(copy, slots, sizeof(copy));
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; ++i)
        cb(arg, copy[i].host, copy[i].fetches, copy[i].failures, copy[i].bytes, copy[i].seconds);
}
