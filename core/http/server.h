/*
 * The HTTP server: listeners, N event-loop threads (one h2o context each), TLS, and
 * the signal-driven lifecycle. server_run() blocks the main thread until SIGTERM or
 * SIGINT, then stops accepting, lets in-flight requests finish (up to a deadline) and
 * returns.
 */
#ifndef STOA_SERVER_H
#define STOA_SERVER_H

#include "pool.h"

#include <h2o.h>
#include <pthread.h>

struct app;

typedef struct server_loop {
    h2o_context_t ctx;          /* first: handlers find their loop from req->conn->ctx */
    pool_loop pool;
    h2o_timeout_t send_timeout; /* limits.send_timeout (core/http/sendwatch.h); 0 = off */
    h2o_multithread_receiver_t control;
    h2o_accept_ctx_t accept;
    h2o_socket_t **listeners;
    size_t nlisteners;
    pthread_t tid;
    int stopping;
} server_loop;

static inline server_loop *server_loop_of(h2o_context_t *ctx)
{
    return (server_loop *)ctx;
}

/* Returns the process exit code. */
int server_run(struct app *a);

#endif
