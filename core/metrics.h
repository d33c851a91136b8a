/*
 * Prometheus metrics: lock-free counters bumped from any thread, rendered in the text
 * exposition format by /metrics. Names and labels are documented in docs/operations.md.
 */
#ifndef STOA_METRICS_H
#define STOA_METRICS_H

#include "route.h"

#include <stoa/stoa.h>

void metrics_request(route_type t, int status, uint64_t bytes, const char *cache, double ms);
void metrics_upstream(size_t upstream, stoa_status st, double ms);
void metrics_publish(int created);
void metrics_auth_denial(stoa_status st);
void metrics_fill(int started);
void metrics_fill_done(void); /* a started fill ended */
void metrics_upstream_rejected(size_t upstream);   /* an answer failed validation */
void metrics_storage_error(const char *op, stoa_status st);
void metrics_stream(int completed);               /* a stream-through response ended */
void metrics_reload(int ok);
/* A fill's checksum-database check: 0 verified, 1 refused, 2 passed unverified. */
void metrics_sumcheck(int result);
/* An integrity event (core/integrity.h). */
void metrics_integrity(int event);
/* Pins a fill met: 0 created, 1 matched, 2 refused (other bytes), 3 corrected. */
void metrics_pin(int result);
/* A checksum database showed a tree inconsistent with one it signed before. */
void metrics_sumdb_fork(void);
void metrics_send_timeout(void); /* a stalled reader was disconnected */

/* Renders every metric into a malloc'd buffer (caller frees). NULL on OOM. */
char *metrics_render(size_t *len);

#endif
