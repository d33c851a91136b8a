/*
 * One event-loop thread's state: its h2o context and what lives beside it (the worker
 * pool's completion queue, the send timer, the control channel, listeners). Created and
 * run by core/http/server.c; the senders and the async helpers only find it.
 */
#ifndef STOA_LOOP_H
#define STOA_LOOP_H

#include "connwatch.h"
#include "pool.h"

#include <h2o.h>
#include <pthread.h>

typedef struct server_loop {
    h2o_context_t ctx;          /* h2o's; handlers find their loop from req->conn->ctx */
    pool_loop pool;
    h2o_timeout_t send_timeout; /* limits.send_timeout (core/http/sendwatch.h); 0 = off */
    h2o_multithread_receiver_t control;
    connwatch_loop conns;          /* unfinished requests (core/http/connwatch.h) */
    h2o_accept_ctx_t accept;       /* the listen addresses: TLS when configured */
    h2o_accept_ctx_t accept_plain; /* tls.plain_listen: never TLS */
    h2o_socket_t **listeners;
    size_t nlisteners;
    pthread_t tid;
    int stopping;
} server_loop;

/* The loop a connection belongs to: every h2o context stoa creates is a server_loop's. */
static inline server_loop *server_loop_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(server_loop, ctx, ctx);
}

#endif
