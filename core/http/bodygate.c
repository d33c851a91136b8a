#include "bodygate.h"

#include "app.h"
#include "auth.h"
#include "bodyhead.h"
#include "clock.h"
#include "router.h"

#include <stdio.h>
#include <string.h>

/* What the auth plugins read of a head: repeated lines joined with ", ", as the router's
 * accessor does. A value longer than the scratch space makes the head unjudgeable. */
typedef struct head_view {
    const bodyhead *h;
    char joined[8192];
    int overflow;
} head_view;

static const char *head_header(const stoa_auth_request *r, const char *name, size_t *len)
{
    head_view *v = r->_core;
    const bodyhead_field *first = NULL;
    size_t count = 0, used = 0;
    for (size_t i = 0; i < v->h->nfields; ++i) {
        const bodyhead_field *f = &v->h->fields[i];
        if (!bodyhead_named(f, name))
            continue;
        first = first != NULL ? first : f;
        size_t need = f->value_len + (count ? 2 : 0);
        if (used + need > sizeof(v->joined)) {
            v->overflow = 1;
            return NULL;
        }
        if (count++)
            memcpy(v->joined + used, ", ", 2), used += 2;
        memcpy(v->joined + used, f->value, f->value_len);
        used += f->value_len;
    }
    if (count <= 1)
        return first != NULL ? (*len = first->value_len, first->value) : NULL;
    *len = used;
    return v->joined;
}

/* The router's checks, on the head: a path it refuses, a method the route does not
 * take, a body on anything but a PUT, a module file on a plain listener of a TLS
 * server. 1 when any refuses; r gets the route. */
static int router_refuses(const bodyhead *h, int tls, route *r, stoa_op *op)
{
    const struct conf *c = the_app->conf;
    char why[512];
    if (router_parse(c, h->path, h->path_len, r, why, sizeof(why)) != STOA_OK)
        return 1;
    router_facts f = {.method = h->method, .method_len = h->method_len, .type = r->type, .body_len = 1,
                      .plain_on_tls = c->tls_cert != NULL && !tls, .tls_redirect = c->tls_redirect,
                      .path = h->path, .path_len = h->path_len,
                      .import_cache = bodyhead_find(h, "x-stoa-import") != NULL};
    router_verdict v;
    if (router_decide(&f, &v) != 0)
        return 1;
    *op = v.op;
    return 0;
}

static int refuses(const bodyhead *h, const char *peer, int tls)
{
    route r;
    stoa_op op;
    if (router_refuses(h, tls, &r, &op))
        return 1;
    char method[16], path[1024];
    snprintf(method, sizeof(method), "%.*s", (int)h->method_len, h->method);
    snprintf(path, sizeof(path), "%.*s", (int)h->path_len, h->path);
    head_view view = {.h = h};
    stoa_auth_request req = {sizeof(req), op, method, path, "", NULL, peer, head_header, &view, 0};
    auth_decision d;
    stoa_status st = auth_predict(&r, &req, peer, (uint64_t)clock_mono_ms(), &d);
    return st != STOA_OK && !view.overflow;
}

connwatch_verdict bodygate_judge(char *buf, size_t len, size_t seen, size_t last_len, const char *peer, int tls)
{
    bodyhead h;
    int n = bodyhead_parse(buf, len, last_len, &h);
    if (n == -2)
        return CONNWATCH_MORE;
    if (n < 0 || !bodyhead_has_body(&h) || !refuses(&h, peer, tls))
        return CONNWATCH_PASS;
    if ((size_t)n <= seen)
        return CONNWATCH_CLOSE;
    bodyhead_withhold(&h);
    return CONNWATCH_WITHHELD;
}
