/* The one h2o handler: parses the route, maps the method to an operation, runs the
 * auth chain, dispatches to the handler for the route. */
#include "router.h"

#include "app.h"
#include "auth.h"
#include "bodyhead.h"
#include "handlers.h"
#include "status.h"

#include <ctype.h>
#include <string.h>

static int is_method(const router_facts *in, const char *m)
{
    size_t n = strlen(m);
    return in->method_len == n && memcmp(in->method, m, n) == 0;
}

static int is_file(route_type t)
{
    return t == ROUTE_INFO || t == ROUTE_MOD || t == ROUTE_ZIP;
}

/* The operation a request needs, or 0 when the method is not allowed on the route. */
static stoa_op operation(const router_facts *in)
{
    route_type t = in->type;
    if (t == ROUTE_BUILD)
        return is_method(in, "PUT") ? STOA_OP_PUBLISH : (stoa_op)0;
    if (is_method(in, "GET") || is_method(in, "HEAD"))
        return t == ROUTE_ADMIN ? STOA_OP_ADMIN : STOA_OP_READ;
    if (is_method(in, "PUT") && is_file(t))
        return in->import_cache ? STOA_OP_ADMIN : STOA_OP_PUBLISH;
    if (is_method(in, "DELETE") && is_file(t))
        return STOA_OP_ADMIN;
    return (stoa_op)0;
}

static int plain_route(route_type t)
{
    return t == ROUTE_HEALTHZ || t == ROUTE_READYZ || t == ROUTE_VERSION || t == ROUTE_METRICS;
}

/* The host part of a Host/:authority value ("h", "h:p", "[v6]:p"), 0 when it holds a
 * byte no host name or address has (it goes into a Location header). */
static size_t authority_host(const char *a, size_t len)
{
    size_t n = len;
    if (len > 0 && a[0] == '[') {
        const char *e = memchr(a, ']', len);
        n = e != NULL ? (size_t)(e - a) + 1 : 0;
    } else {
        const char *colon = len > 0 ? memchr(a, ':', len) : NULL;
        n = colon != NULL ? (size_t)(colon - a) : len;
    }
    for (size_t i = 0; i < n; ++i)
        if (!isalnum((unsigned char)a[i]) && strchr(".-[]:", a[i]) == NULL)
            return 0;
    return n < 256 ? n : 0;
}

/* What a plain listener does not serve goes to https on the first listen address's
 * port (tls.redirect), or is refused: module traffic and credentials never travel in
 * the clear on a server that has TLS. */
static int refuse_plain(const router_facts *in, router_verdict *out)
{
    size_t n = authority_host(in->authority, in->authority_len);
    if (!in->tls_redirect || n == 0)
        return out->status = 403;
    char p[16] = "";
    if (in->https_port != 443)
        snprintf(p, sizeof(p), ":%u", in->https_port);
    snprintf(out->location, sizeof(out->location), "https://%.*s%s%.*s", (int)n, in->authority, p,
             (int)in->path_len, in->path);
    return out->status = 308;
}

int router_decide(const router_facts *in, router_verdict *out)
{
    out->status = 0;
    out->op = (stoa_op)0;
    out->allow = NULL;
    out->location[0] = '\0';
    if (in->plain_on_tls && !plain_route(in->type))
        return refuse_plain(in, out);
    out->op = operation(in);
    if (out->op == 0) {
        out->allow = is_file(in->type) ? "GET, HEAD, PUT, DELETE" : in->type == ROUTE_BUILD ? "PUT" : "GET, HEAD";
        return out->status = 405;
    }
    /* h2o 2.2.5 has read the body already (issue 21 finding 5): it is refused, not used. */
    if (!is_method(in, "PUT") && in->body_len > 0)
        return out->status = 413;
    return 0;
}

stoa_status router_parse(const struct conf *c, const char *path, size_t len, route *r, char *why, size_t whylen)
{
    char *repos[c->nrepos + 1];
    for (size_t i = 0; i < c->nrepos; ++i)
        repos[i] = c->repos[i].name;
    return route_parse(path, len, repos, c->nrepos, r, why, whylen);
}

static const unsigned *https_port; /* router_register's: bound once listeners open */

/* A request on a tls.plain_listen address of a TLS server: its socket has no TLS. */
static int plain_on_tls_server(const struct conf *c, h2o_req_t *req)
{
    if (c->tls_cert == NULL)
        return 0;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    return sock != NULL && sock->ssl == NULL;
}

/* The gate held the body back (only HTTP/1 heads are gated: on HTTP/2 the names are
 * any header a client sent, and http_send_body's HTTP/1 ending must never run there). */
static int is_held(h2o_req_t *req)
{
    return req->version < 0x200 && (http_header(req, BODYHEAD_HELD_LENGTH, &(size_t){0}) != NULL ||
                                    http_header(req, BODYHEAD_HELD_CHUNKED, &(size_t){0}) != NULL);
}

/* The body's length, or for a body the gate held back (core/http/bodygate.h) the one
 * announced (1 when chunked or unreadable): the verdict is the one the gate foresaw. */
static size_t body_len(h2o_req_t *req, int held)
{
    if (!held)
        return req->entity.base != NULL ? req->entity.len : 0;
    size_t n;
    const char *v = http_header(req, BODYHEAD_HELD_LENGTH, &n);
    size_t len = v != NULL ? h2o_strtosize(v, n) : 0;
    return len == SIZE_MAX || len == 0 ? 1 : len;
}

static void facts_of(const struct conf *c, reqctx *rc, router_facts *f)
{
    h2o_req_t *req = rc->req;
    /* A request without Host (HTTP/1.0) gets the name of h2o's host entry ("default")
     * as authority: only a name the client sent may go into the Location. */
    h2o_iovec_t fallback = req->hostconf != NULL ? req->hostconf->authority.hostport : h2o_iovec_init(NULL, 0);
    int sent = !h2o_memis(req->authority.base, req->authority.len, fallback.base, fallback.len);
    *f = (router_facts){.method = req->method.base, .method_len = req->method.len, .type = rc->r.type,
                        .body_len = body_len(req, rc->linger),
                        .plain_on_tls = plain_on_tls_server(c, req), .tls_redirect = c->tls_redirect,
                        .authority = req->authority.base, .authority_len = sent ? req->authority.len : 0,
                        .path = req->path.base, .path_len = req->path.len, .https_port = *https_port,
                        .import_cache = http_header(req, "x-stoa-import", &(size_t){0}) != NULL};
}

/* The answer for a verdict other than 0. */
static int send_verdict(reqctx *rc, const router_verdict *v)
{
    h2o_req_t *req = rc->req;
    if (v->status == 405) {
        http_set_header(rc, "allow", v->allow);
        http_send_text(rc, 405, "method %.*s not allowed here; allowed: %s", (int)req->method.len, req->method.base,
                       v->allow);
    } else if (v->status == 413) {
        if (req->entity.base == NULL) /* held back by the gate */
            http_send_text(rc, 413, "%.*s takes no request body (one was announced; it was not read)",
                           (int)req->method.len, req->method.base);
        else
            http_send_text(rc, 413, "%.*s takes no request body (got %zu bytes)", (int)req->method.len,
                           req->method.base, req->entity.len);
    } else if (v->status == 308) {
        http_set_header(rc, "location", v->location);
        http_send_text(rc, 308, "use %s", v->location);
    } else {
        http_send_text(rc, 403, "this address serves /healthz, /readyz, /version and /metrics only; modules are "
                                "served over https");
    }
    return 0;
}

/* limits.max_header: h2o's own bound (about 400 KiB for HTTP/1) is far above ours. */
static size_t header_bytes(const h2o_req_t *req)
{
    size_t n = req->method.len + req->path.len + req->authority.len;
    for (size_t i = 0; i < req->headers.size; ++i)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return n;
}

static int dispatch(reqctx *rc, stoa_op op)
{
    switch (rc->r.type) {
    case ROUTE_INFO:
    case ROUTE_MOD:
    case ROUTE_ZIP:
        if (op == STOA_OP_PUBLISH)
            return handler_publish(rc);
        if (op == STOA_OP_ADMIN)
            return h2o_memis(rc->req->method.base, rc->req->method.len, H2O_STRLIT("PUT")) ? handler_import(rc)
                                                                                          : handler_delete(rc);
        return handler_module(rc);
    case ROUTE_LIST:
    case ROUTE_LATEST: return handler_list(rc);
    case ROUTE_HEALTHZ:
    case ROUTE_READYZ:
    case ROUTE_VERSION: return handler_status(rc);
    case ROUTE_CATALOG:
    case ROUTE_INDEX: return handler_catalog(rc);
    case ROUTE_SUMDB: return handler_sumdb(rc);
    case ROUTE_ADMIN: return handler_admin(rc);
    case ROUTE_METRICS: return handler_metrics(rc);
    case ROUTE_ART_VERSION:
    case ROUTE_ART_PING:
    case ROUTE_BUILD: return handler_artifactory(rc);
    case ROUTE_UI_HOME:
    case ROUTE_UI_MODULE: return handler_ui(rc);
    default: http_send_text(rc, 404, "no such path"); return 0;
    }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    reqctx *rc = reqctx_new(req);
    char why[512];
    const struct conf *c = the_app->conf;
    /* The gate held this request's body back: its bytes follow on the connection and
     * must never be read as a request, so the answer ends it (http_send_body). */
    rc->linger = is_held(req);
    if (header_bytes(req) > c->max_header) {
        http_send_text(rc, 431, "request line and headers exceed limits.max_header (%u bytes)", c->max_header);
        return 0;
    }
    stoa_status s = router_parse(c, req->path.base, req->path.len, &rc->r, why, sizeof(why));
    if (s != STOA_OK) {
        http_send_text(rc, status_http(s), "%s", why);
        return 0;
    }
    router_facts f;
    router_verdict v;
    facts_of(c, rc, &f);
    if (router_decide(&f, &v) != 0)
        return send_verdict(rc, &v);
    auth_decision d;
    if (!auth_exempt(rc)) {
        stoa_status st = auth_check(rc, v.op, &d);
        /* For the audit: what the chain decided ("allow" once an identity is known). */
        rc->auth = st != STOA_OK ? "deny" : rc->identity[0] != '\0' ? "allow" : "anonymous";
        if (st != STOA_OK) {
            auth_send_denial(rc, &d);
            return 0;
        }
    }
    if (rc->linger) { /* the gate foresaw a refusal that did not come (a token created meanwhile) */
        http_send_text(rc, 403, "the request body was refused before it was read; send the request again");
        return 0;
    }
    return dispatch(rc, v.op);
}

void router_register(h2o_pathconf_t *pathconf, const unsigned *port)
{
    https_port = port;
    h2o_handler_t *h = h2o_create_handler(pathconf, sizeof(*h));
    h->on_req = on_req;
}
