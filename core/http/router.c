/* The one h2o handler: parses the route, maps the method to an operation, runs the
 * auth chain, dispatches to the handler for the route. */
#include "router.h"

#include "app.h"
#include "auth.h"
#include "handlers.h"
#include "status.h"

#include <ctype.h>
#include <string.h>

static int is_method(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static int method_not_allowed(reqctx *rc, const char *allow)
{
    http_set_header(rc, "allow", allow);
    http_send_text(rc, 405, "method %.*s not allowed here; allowed: %s", (int)rc->req->method.len,
                   rc->req->method.base, allow);
    return 0;
}

static int is_file(route_type t)
{
    return t == ROUTE_INFO || t == ROUTE_MOD || t == ROUTE_ZIP;
}

/* The operation a request needs, or 0 when the method is not allowed on the route. */
static stoa_op operation(reqctx *rc)
{
    h2o_req_t *req = rc->req;
    route_type t = rc->r.type;
    if (t == ROUTE_BUILD)
        return is_method(req, "PUT") ? STOA_OP_PUBLISH : (stoa_op)0;
    if (is_method(req, "GET") || is_method(req, "HEAD"))
        return t == ROUTE_ADMIN ? STOA_OP_ADMIN : STOA_OP_READ;
    if (is_method(req, "PUT") && is_file(t))
        return STOA_OP_PUBLISH;
    if (is_method(req, "DELETE") && is_file(t))
        return STOA_OP_ADMIN;
    return (stoa_op)0;
}

static const unsigned *https_port; /* router_register's: bound once listeners open */

/* A request on a tls.plain_listen address of a TLS server: its socket has no TLS. */
static int plain_on_tls_server(reqctx *rc)
{
    if (the_app->conf->tls_cert == NULL)
        return 0;
    h2o_socket_t *sock = rc->req->conn->callbacks->get_socket(rc->req->conn);
    return sock != NULL && sock->ssl == NULL;
}

static int plain_route(route_type t)
{
    return t == ROUTE_HEALTHZ || t == ROUTE_READYZ || t == ROUTE_VERSION || t == ROUTE_METRICS;
}

/* The host part of a Host/:authority value ("h", "h:p", "[v6]:p"), 0 when it holds a
 * byte no host name or address has (it goes into a Location header). */
static size_t authority_host(h2o_iovec_t a)
{
    size_t n = a.len;
    if (a.len > 0 && a.base[0] == '[') {
        const char *e = memchr(a.base, ']', a.len);
        n = e != NULL ? (size_t)(e - a.base) + 1 : 0;
    } else {
        const char *colon = memchr(a.base, ':', a.len);
        n = colon != NULL ? (size_t)(colon - a.base) : a.len;
    }
    for (size_t i = 0; i < n; ++i)
        if (!isalnum((unsigned char)a.base[i]) && strchr(".-[]:", a.base[i]) == NULL)
            return 0;
    return n < 256 ? n : 0;
}

/* What a plain listener does not serve goes to https on the first listen address's
 * port (tls.redirect), or is refused: module traffic and credentials never travel in
 * the clear on a server that has TLS. */
static int refuse_plain(reqctx *rc)
{
    h2o_req_t *req = rc->req;
    const struct conf *c = the_app->conf;
    /* A request without Host (HTTP/1.0) gets the name of h2o's host entry ("default")
     * as authority: only a name the client sent may go into the Location. */
    h2o_iovec_t fallback = req->hostconf != NULL ? req->hostconf->authority.hostport : h2o_iovec_init(NULL, 0);
    int sent = !h2o_memis(req->authority.base, req->authority.len, fallback.base, fallback.len);
    size_t n = sent ? authority_host(req->authority) : 0;
    if (!c->tls_redirect || n == 0)
        return http_send_text(rc, 403, "this address serves /healthz, /readyz, /version and /metrics only; modules are "
                                       "served over https"), 0;
    unsigned port = *https_port;
    char loc[ROUTE_PATH_MAX + 512], p[16] = "";
    if (port != 443)
        snprintf(p, sizeof(p), ":%u", port);
    snprintf(loc, sizeof(loc), "https://%.*s%s%.*s", (int)n, req->authority.base, p, (int)req->path.len,
             req->path.base);
    http_set_header(rc, "location", loc);
    return http_send_text(rc, 308, "use %s", loc), 0;
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
            return handler_delete(rc);
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
    if (header_bytes(req) > c->max_header) {
        http_send_text(rc, 431, "request line and headers exceed limits.max_header (%u bytes)", c->max_header);
        return 0;
    }
    char *repos[c->nrepos + 1];
    for (size_t i = 0; i < c->nrepos; ++i)
        repos[i] = c->repos[i].name;
    stoa_status s = route_parse(req->path.base, req->path.len, repos, c->nrepos, &rc->r, why, sizeof(why));
    if (s != STOA_OK) {
        http_send_text(rc, status_http(s), "%s", why);
        return 0;
    }
    if (plain_on_tls_server(rc) && !plain_route(rc->r.type))
        return refuse_plain(rc);
    stoa_op op = operation(rc);
    if (op == 0)
        return method_not_allowed(rc, is_file(rc->r.type)           ? "GET, HEAD, PUT, DELETE"
                                      : rc->r.type == ROUTE_BUILD ? "PUT"
                                                                  : "GET, HEAD");
    /* h2o 2.2.5 has read the body already (issue 21 finding 5): it is refused, not used. */
    if (op != STOA_OP_PUBLISH && req->entity.base != NULL && req->entity.len > 0)
        return http_send_text(rc, 413, "%.*s takes no request body (got %zu bytes)", (int)req->method.len,
                              req->method.base, req->entity.len), 0;
    auth_decision d;
    if (!auth_exempt(rc)) {
        stoa_status st = auth_check(rc, op, &d);
        /* For the audit: what the chain decided ("allow" once an identity is known). */
        rc->auth = st != STOA_OK ? "deny" : rc->identity[0] != '\0' ? "allow" : "anonymous";
        if (st != STOA_OK) {
            auth_send_denial(rc, &d);
            return 0;
        }
    }
    return dispatch(rc, op);
}

void router_register(h2o_pathconf_t *pathconf, const unsigned *port)
{
    https_port = port;
    h2o_handler_t *h = h2o_create_handler(pathconf, sizeof(*h));
    h->on_req = on_req;
}
