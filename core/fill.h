/*
 * Single-flight cache fill: however many requests miss the same object at once, one
 * upstream fetch runs; every waiter is told on its own loop thread when it ends.
 *
 * A fill fetches the route's file through the upstream chain into an anonymous staging
 * file, validates it (core/validate.h), and commits it to storage when it is cacheable
 * (immutable files of canonical versions; list and @latest as mutable objects).
 * Outcomes:
 *   FILL_STORED  the object is in storage now: look it up again and serve it.
 *   FILL_STAGED  not cacheable (a .info query) or storage refused it: serve the staged
 *                copy from fill_staged().
 *   FILL_FAILED  nothing to serve; fill_error() says why (status NOTFOUND when every
 *                upstream said 404/410, else the failure).
 */
#ifndef STOA_FILL_H
#define STOA_FILL_H

#include "pool.h"
#include "route.h"
#include "upstream.h"

typedef struct fill fill;

typedef enum fill_outcome {
    FILL_STORED = 1,
    FILL_STAGED = 2,
    FILL_FAILED = 3,
} fill_outcome;

/* A waiter names a pool_job whose done() runs on job->loop when the fill ends. The
 * waiter's owner keeps it alive until then. */
typedef struct fill_waiter {
    pool_job *job;
    struct fill_waiter *next;
} fill_waiter;

/* Joins the running fill for r or starts one; *out gets a reference the caller must
 * fill_release (after done() ran). */
void fill_join(const route *r, fill_waiter *w, fill **out);

fill_outcome fill_result(const fill *f);
const stoa_error *fill_error(const fill *f);
const char *fill_upstream(const fill *f); /* name of the upstream that served, or "" */

/* For FILL_STAGED: a new descriptor on the staged file (the caller closes it) and its
 * meta. -1 on failure. */
int fill_staged(const fill *f, stoa_meta *meta);

void fill_release(fill *f);

/* Fills started and joined since start (for tests and metrics). */
void fill_counts(uint64_t *started, uint64_t *joined);

#endif
