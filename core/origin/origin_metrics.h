/*
 * Counters of git fetches per repository host, for /metrics: fetches, failed fetches,
 * pack bytes received, seconds spent. Hosts beyond ORIGIN_METRICS_HOSTS share the
 * last slot, named "other". Thread-safe; never blocks for long.
 */
#ifndef STOA_ORIGIN_METRICS_H
#define STOA_ORIGIN_METRICS_H

#include <stdint.h>

#define ORIGIN_METRICS_HOSTS 32

void origin_metrics_fetch(const char *host, int ok, uint64_t bytes, double seconds);

typedef void (*origin_metrics_cb)(void *arg, const char *host, uint64_t fetches, uint64_t failures, uint64_t bytes,
                                  double seconds);
void origin_metrics_each(origin_metrics_cb cb, void *arg);

#endif
