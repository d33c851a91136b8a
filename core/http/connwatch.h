/*
 * Requests that end before stoa sees them (issue 21 finding 14): h2o 2.2.5 reads a
 * whole HTTP/1.1 request, body included, before any handler runs, and when
 * limits.request_timeout passes, the client hangs up, or h2o refuses what it read, it
 * closes the connection without a word. Each accepted socket is watched: the bytes in
 * its input buffer (read, not yet consumed by a finished request: h2o keeps a request
 * there, body included, until its response ends) are sampled every CONNWATCH_SAMPLE_MS;
 * a connection that closes with more there than the request the router has in flight
 * held an unfinished request, which is logged (at most one line a second per loop,
 * with a count of the others) and counted in stoa_http_unfinished_requests_total.
 * (sock->bytes_read would not do: h2o resets it between requests.)
 *
 * HTTP/2 connections are left out once a request shows them (their control frames
 * come after requests), and a connection that never sent a whole request is reported
 * only past CONNWATCH_IDLE_BYTES (an HTTP/2 preface, a stray probe). The socket is
 * freed before h2o's close callback runs, hence the samples. Loop thread only.
 */
#ifndef STOA_CONNWATCH_H
#define STOA_CONNWATCH_H

#include <h2o.h>
#include <stdint.h>

#define CONNWATCH_SAMPLE_MS 500
#define CONNWATCH_IDLE_BYTES 1024

typedef struct connwatch_loop {
    h2o_loop_t *loop;
    h2o_timeout_t every;
    h2o_timeout_entry_t tick;
    h2o_linklist_t conns; /* watched connections */
    int64_t logged_ms;    /* the last line, for the rate limit */
    unsigned untold;      /* unfinished requests since that line */
} connwatch_loop;

/* Starts the loop's sampling. */
void connwatch_loop_init(connwatch_loop *w, h2o_loop_t *loop);

/* Before h2o_accept: sock is watched until it closes. Out of memory: it is not. */
void connwatch_accept(connwatch_loop *w, h2o_socket_t *sock);

/* A request reached the router on req's connection at now_ms (CLOCK_MONOTONIC, as
 * clock_mono_ms: the caller has read the clock already). */
void connwatch_request(h2o_req_t *req, int64_t now_ms);

/* The request connwatch_request saw has ended (its pool is being freed). */
void connwatch_done(h2o_req_t *req);

#endif
