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
 * The watch also runs the body gate (core/http/bodygate.h): its read callback sits in
 * front of h2o's HTTP/1 one and shows each request head to the gate before h2o parses
 * it, and is put back wherever h2o re-arms its own.
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
#define CONNWATCH_LINGER_MS 2000             /* a refused body's drain, at most */
#define CONNWATCH_LINGER_BYTES (64u << 20)

/* What a gate tells of the HTTP/1 head at the start of a connection's input. */
typedef enum connwatch_verdict {
    CONNWATCH_MORE,     /* the head is not complete yet */
    CONNWATCH_PASS,     /* h2o goes on */
    CONNWATCH_WITHHELD, /* the gate renamed the head's body headers: h2o reads no body */
    CONNWATCH_CLOSE,    /* refused, but h2o parsed the head already: close the connection */
} connwatch_verdict;

/* The body gate (core/http/bodygate.h): buf/len the input (writable), seen how much of it
 * h2o has parsed, last_len the input's length when the head was last incomplete (else
 * 0), peer the client's address, tls 1 on a TLS socket. */
typedef connwatch_verdict (*connwatch_gate)(char *buf, size_t len, size_t seen, size_t last_len, const char *peer,
                                            int tls);

typedef struct connwatch_loop {
    connwatch_gate gate;
    h2o_loop_t *loop;
    h2o_timeout_t every;
    h2o_timeout_t now;    /* 0 ms: the body gate's re-arming, on this turn */
    h2o_timeout_t linger; /* CONNWATCH_LINGER_MS */
    h2o_timeout_entry_t tick;
    h2o_linklist_t conns; /* watched connections */
    int64_t logged_ms;    /* the last line, for the rate limit */
    unsigned untold;      /* unfinished requests since that line */
    unsigned lingering;   /* connections connwatch_linger drains: shutdown waits for them */
} connwatch_loop;

/* Starts the loop's sampling; judge_head (or NULL) judges each HTTP/1 head. */
void connwatch_loop_init(connwatch_loop *w, h2o_loop_t *loop, connwatch_gate judge_head);

/* Before h2o_accept: sock is watched until it closes. Out of memory: it is not. */
void connwatch_accept(connwatch_loop *w, h2o_socket_t *sock);

/* h2o_http1_accept for a socket whose TLS handshake ended (core/http/tlsaccept.h): what
 * arrived with the handshake is judged by the body gate before h2o parses it. */
void connwatch_http1_accept(h2o_accept_ctx_t *ctx, h2o_socket_t *sock, struct timeval connected_at);

/* An h2o_http1_upgrade_cb, user_data the socket: the answer to a request whose body the
 * gate held back was written; the connection is ours now. Its input is read and dropped
 * until the client closes, CONNWATCH_LINGER_MS pass or CONNWATCH_LINGER_BYTES came, then
 * it is closed: closing at once with the body still arriving would reset it, and the
 * reset can overtake the answer (a lingering close, as nginx's lingering_close). */
void connwatch_linger(void *sock, h2o_socket_t *upgraded, size_t reqsize);

/* A request reached the router on req's connection at now_ms (CLOCK_MONOTONIC, as
 * clock_mono_ms: the caller has read the clock already). */
void connwatch_request(h2o_req_t *req, int64_t now_ms);

/* The request connwatch_request saw has ended (its pool is being freed). */
void connwatch_done(h2o_req_t *req);

#endif
