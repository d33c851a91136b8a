#include "http.h"

#include "connwatch.h"
#include "fdsend.h"
#include "hex.h"
#include "log.h"
#include "metrics.h"
#include "status.h"

#include <arpa/inet.h>
#include <h2o/http1.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int http_query_param(h2o_req_t *req, const char *name, char *out, size_t len)
{
    if (req->query_at == SIZE_MAX)
        return 0;
    const char *q = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nl = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *e = amp != NULL ? amp : end;
        if ((size_t)(e - q) > nl && memcmp(q, name, nl) == 0 && q[nl] == '=')
            return route_percent_decode(q + nl + 1, (size_t)(e - q - nl - 1), out, len) == 0 ? 1 : -1;
        q = e + 1;
    }
    return 0;
}

void http_set_header(reqctx *rc, const char *name, const char *value)
{
    h2o_req_t *req = rc->req;
    size_t nl = strlen(name), vl = strlen(value);
    h2o_add_header_by_str(&req->pool, &req->res.headers, h2o_strdup(&req->pool, name, nl).base, nl, 0, NULL,
                          h2o_strdup(&req->pool, value, vl).base, vl);
}

void http_note_upstream(reqctx *rc, const char *served, const char *failed)
{
    snprintf(rc->upstream, sizeof(rc->upstream), "%s", served);
    snprintf(rc->upstream_failed, sizeof(rc->upstream_failed), "%s", failed);
}

void http_set_upstream(reqctx *rc, const char *served, const char *failed)
{
    http_note_upstream(rc, served, failed);
    if (served[0] != '\0')
        http_set_header(rc, "x-upstream", served);
}

const char *http_header(h2o_req_t *req, const char *name, size_t *len)
{
    char lower[256]; /* h2o stores names lower-cased and compares them exactly */
    size_t n = strlen(name);
    if (n >= sizeof(lower))
        return NULL;
    for (size_t k = 0; k < n; ++k)
        lower[k] = (char)tolower((unsigned char)name[k]);
    ssize_t i = h2o_find_header_by_str(&req->headers, lower, n, -1);
    if (i < 0)
        return NULL;
    *len = req->headers.entries[i].value.len;
    return req->headers.entries[i].value.base;
}

void http_send_body(reqctx *rc, int status, const char *content_type, const char *cache_control, const void *body,
                    size_t len)
{
    h2o_req_t *req = rc->req;
    req->res.status = status;
    req->res.reason = status_reason(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    if (cache_control != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control, strlen(cache_control));
    int head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (head && !rc->linger) {
        static h2o_generator_t none = {NULL, NULL};
        h2o_start_response(req, &none);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t copy = h2o_strdup(&req->pool, body, len);
    if (rc->linger && req->version < 0x200) { /* h2o would close at once; a reset could lose the answer */
        /* h2o's upgrade writes "Connection: upgrade" (no Upgrade header: clients ignore
         * the token); this line tells them the connection ends. */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONNECTION, NULL, H2O_STRLIT("close"));
        h2o_http1_upgrade(req, &copy, head ? 0 : 1, connwatch_linger, req->conn->callbacks->get_socket(req->conn));
        return;
    }
    h2o_send_inline(req, copy.base, copy.len);
}

void http_send_text(reqctx *rc, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(msg) - 2)
        n = (int)sizeof(msg) - 2;
    if (status >= 400 && rc->error[0] == '\0')
        snprintf(rc->error, sizeof(rc->error), "%.*s", (int)sizeof(rc->error) - 1, msg);
    msg[n++] = '\n';
    http_send_body(rc, status, "text/plain; charset=utf-8", status >= 400 ? "no-store" : NULL, msg, (size_t)n);
}

void http_send_error(reqctx *rc, const stoa_error *err)
{
    http_send_text(rc, status_http(err->status), "%s", err->msg);
}

int http_peer_fd(h2o_req_t *req, int *tls)
{
    *tls = 0;
    if (req->version >= 0x200)
        return -1;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL)
        return -1;
    *tls = sock->ssl != NULL;
    return h2o_socket_get_fd(sock);
}

void http_send_busy(reqctx *rc, unsigned reason)
{
    metrics_busy(reason);
    http_set_header(rc, "retry-after", POOL_RETRY_AFTER);
    if (reason == METRICS_BUSY_CLIENT_FILLS)
        http_send_text(rc, 503, "busy: this client has limits.fills_per_client upstream fetches running; retry in %s s",
                       POOL_RETRY_AFTER);
    else
        http_send_text(rc, 503, "busy: the %s queue holds limits.queue jobs; retry in %s s",
                       pool_lane_name((pool_lane)reason), POOL_RETRY_AFTER);
}

static int etag_of(const stoa_meta *m, char *out, size_t len)
{
    static const unsigned char zero[32];
    if (memcmp(m->sha256, zero, 32) == 0)
        return 0;
    out[0] = '"'; /* hex_encode, not sprintf per byte: that showed in hit profiles */
    hex_encode(m->sha256, 16, out + 1);
    out[33] = '"';
    out[34] = '\0';
    (void)len;
    return 1;
}

/* If-Modified-Since counts only without If-None-Match (RFC 9110 13.1.3). */
static int unmodified_since(h2o_req_t *req, int64_t stored_at)
{
    size_t len;
    const char *ims = http_header(req, "if-modified-since", &len);
    char buf[64];
    struct tm tm = {0};
    if (ims == NULL || stored_at <= 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, ims, len);
    buf[len] = '\0';
    const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end != NULL && *end == '\0' && (int64_t)timegm(&tm) >= stored_at;
}

static int not_modified(h2o_req_t *req, const char *etag, int64_t stored_at)
{
    size_t len;
    const char *inm = http_header(req, "if-none-match", &len);
    if (inm == NULL)
        return unmodified_since(req, stored_at);
    if (etag[0] == '\0')
        return 0;
    size_t el = strlen(etag);
    for (size_t i = 0; i + el <= len; ++i)
        if (memcmp(inm + i, etag, el) == 0)
            return 1;
    return len == 1 && inm[0] == '*';
}

/* Validators, type and status of a stored object's response: 304 when the client's copy
 * is current. Returns whether a body follows (not for 304 or HEAD). */
static int start_object(reqctx *rc, const stoa_meta *meta, const char *content_type, const char *cache_control)
{
    h2o_req_t *req = rc->req;
    char etag[40] = "";
    if (etag_of(meta, etag, sizeof(etag)))
        http_set_header(rc, "etag", etag);
    if (meta->stored_at > 0) {
        char lm[H2O_TIMESTR_RFC1123_LEN + 1];
        time_t t = (time_t)meta->stored_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        h2o_time2str_rfc1123(lm, &tm);
        http_set_header(rc, "last-modified", lm);
    }
    if (cache_control != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control, strlen(cache_control));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    int head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (not_modified(req, etag, meta->stored_at)) {
        req->res.status = 304;
        req->res.reason = status_reason(304);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = meta->size;
    return !head;
}

void http_send_fd(reqctx *rc, int fd, const stoa_meta *meta, const char *content_type, const char *cache_control)
{
    int body = start_object(rc, meta, content_type, cache_control);
    fdsend_start(rc->req, fd, meta->size, body, rc->error, sizeof(rc->error));
}

void http_send_copy(reqctx *rc, const void *bytes, const stoa_meta *meta, const char *content_type,
                    const char *cache_control)
{
    static h2o_generator_t none = {NULL, NULL};
    int body = start_object(rc, meta, content_type, cache_control);
    h2o_iovec_t v = h2o_iovec_init(bytes, (size_t)meta->size);
    h2o_start_response(rc->req, &none);
    h2o_send(rc->req, &v, body && v.len > 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
}
