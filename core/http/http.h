/*
 * Response helpers shared by the handlers: statuses, bodies, files, headers.
 */
#ifndef STOA_HTTP_H
#define STOA_HTTP_H

#include "reqctx.h"

#include <h2o.h>
#include <stoa/storage.h>
#include <time.h>


/* Sends a short text/plain answer ("<msg>\n"); msg is also kept as the log's error
 * for statuses >= 400. */
void http_send_text(reqctx *rc, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sends err as text with the status its code maps to. */
void http_send_error(reqctx *rc, const stoa_error *err);

/* 503 with Retry-After for a metrics busy reason (a full pool_lane, or
 * METRICS_BUSY_CLIENT_FILLS). Counted in stoa_busy_total. */
void http_send_busy(reqctx *rc, unsigned reason);

/* Sends a body held in memory (copied into the request pool). */
void http_send_body(reqctx *rc, int status, const char *content_type, const char *cache_control, const void *body,
                    size_t len);

/* Streams fd (owned by the response from now on: closed when done) with ETag,
 * Last-Modified and conditional-request handling; HEAD gets headers only. */
void http_send_fd(reqctx *rc, int fd, const stoa_meta *meta, const char *content_type, const char *cache_control);

/* The same for an object's bytes held in the request's pool (storage get_copy). */
void http_send_copy(reqctx *rc, const void *bytes, const stoa_meta *meta, const char *content_type,
                    const char *cache_control);

void http_set_header(reqctx *rc, const char *name, const char *value);

/* Records the upstream that served (sent as X-Upstream, kept for the audit) and the
 * comma-separated upstreams that failed on the way; either may be "". */
void http_set_upstream(reqctx *rc, const char *served, const char *failed);

/* The same, for a response already started (stream-through): recorded, no header. */
void http_note_upstream(reqctx *rc, const char *served, const char *failed);

/* Value of a request header (case-insensitive) or NULL; *len receives its length. */
const char *http_header(h2o_req_t *req, const char *name, size_t *len);

/* The client socket of an HTTP/1.x request (for fill_waiter.peer_fd), else -1; *tls
 * says whether the connection is TLS (fill_waiter.peer_tls). */
int http_peer_fd(h2o_req_t *req, int *tls);

/* Value of a query parameter, percent-decoded into out: 1 present, 0 absent (out
 * untouched), -1 present but malformed (bad escape, NUL, longer than len; out ""), which
 * callers answer with 400 rather than take as absent. */
int http_query_param(h2o_req_t *req, const char *name, char *out, size_t len);

#endif
