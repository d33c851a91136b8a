#include "auth.h"

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "namespace.h"
#include "status.h"
#include "throttle.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int auth_open(app *a, char *err, size_t errlen)
{
    const struct conf *c = a->conf;
    a->auth = calloc(c->nauth + 1, sizeof(*a->auth));
    a->auth_state = calloc(c->nauth + 1, sizeof(*a->auth_state));
    if (a->auth == NULL || a->auth_state == NULL)
        return snprintf(err, errlen, "out of memory"), -1;
    for (size_t i = 0; i < c->nauth; ++i) {
        stoa_error e = {0};
        plugin *p = plugin_load(a->plugin_dir, c->auth[i].plugin, STOA_PLUGIN_AUTH, &e);
        if (p == NULL)
            return snprintf(err, errlen, "auth.plugins[%zu]: %s", i, e.msg), -1;
        a->auth[i] = p;
        p->host.tmp_dir = a->tmp_dir;
        stoa_option items[c->auth[i].noptions + 1];
        stoa_options opts;
        plugin_options(&opts, items, c->auth[i].options, c->auth[i].noptions);
        if (p->m.auth.open(&p->host, &opts, &a->auth_state[i], &e) != STOA_OK)
            return snprintf(err, errlen, "auth plugin %s: %s", p->name, e.msg), -1;
        a->nauth_open = i + 1;
    }
    return 0;
}

void auth_close(app *a)
{
    for (size_t i = 0; a->auth != NULL && i < a->nauth_open; ++i)
        if (a->auth[i]->m.auth.close != NULL)
            a->auth[i]->m.auth.close(a->auth_state[i]);
    for (size_t i = 0; a->auth != NULL && a->auth[i] != NULL; ++i)
        plugin_unload(a->auth[i]);
    free(a->auth);
    free(a->auth_state);
    a->auth = NULL;
    a->auth_state = NULL;
}

/* Repeated header lines come back joined with ", ", so a plugin reading a list header
 * (X-Forwarded-For) sees every hop, not just the first line a client may have forged.
 * Names match case-insensitively (h2o keeps them lower-cased). */
static const char *req_header(const stoa_auth_request *r, const char *name, size_t *len)
{
    h2o_req_t *req = ((reqctx *)r->_core)->req;
    char lower[256];
    size_t nl = strlen(name), total = 0, count = 0;
    if (nl >= sizeof(lower))
        return NULL;
    for (size_t k = 0; k < nl; ++k)
        lower[k] = (char)tolower((unsigned char)name[k]);
    ssize_t i = -1, first = -1;
    while ((i = h2o_find_header_by_str(&req->headers, lower, nl, i)) >= 0) {
        total += req->headers.entries[i].value.len + 2;
        first = first < 0 ? i : first;
        ++count;
    }
    if (count <= 1)
        return count == 1 ? (*len = req->headers.entries[first].value.len, req->headers.entries[first].value.base) : NULL;
    char *buf = h2o_mem_alloc_pool(&req->pool, total), *p = buf;
    for (i = -1; (i = h2o_find_header_by_str(&req->headers, lower, nl, i)) >= 0;) {
        if (p != buf)
            *p++ = ',', *p++ = ' ';
        memcpy(p, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
        p += req->headers.entries[i].value.len;
    }
    *len = (size_t)(p - buf);
    return buf;
}

/* Credentials were sent (and so, on a 401, were wrong): only these count as failed
 * authentication for throttling; a client that sent none was merely asked for some. */
static int has_credentials(const stoa_auth_request *r)
{
    size_t len;
    return r->header(r, "authorization", &len) != NULL || r->header(r, "x-jfrog-art-api", &len) != NULL;
}

static int is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

static int is_status_route(route_type t)
{
    return t == ROUTE_HEALTHZ || t == ROUTE_READYZ || t == ROUTE_VERSION || t == ROUTE_ART_VERSION || t == ROUTE_ART_PING;
}

int auth_exempt(const reqctx *rc)
{
    const struct conf *c = the_app->conf;
    if (is_status_route(rc->r.type))
        return !c->require_health;
    return rc->r.type == ROUTE_METRICS && !c->require_metrics;
}

/* Health and metrics routes reach the chain only when their setting requires it. A
 * repository's own require.* overrides the global one; a read of a private module
 * (module: the one read, or NULL) needs an allow on every base, whatever the base says,
 * since all bases share one storage (core/namespace.h). */
static int required(const struct conf *c, const route *r, stoa_op op, const char *module)
{
    if (op == STOA_OP_READ && module != NULL && module[0] != '\0' && namespace_read_required(c, r->repo, module))
        return 1;
    if (is_status_route(r->type) || r->type == ROUTE_METRICS)
        return 1;
    int v = op == STOA_OP_READ ? c->require_read : op == STOA_OP_PUBLISH ? c->require_publish : c->require_admin;
    for (size_t i = 0; r->repo[0] != '\0' && i < c->nrepos; ++i) {
        if (strcmp(c->repos[i].name, r->repo) != 0)
            continue;
        const conf_repo *p = &c->repos[i];
        int o = op == STOA_OP_READ ? p->require_read : op == STOA_OP_PUBLISH ? p->require_publish : p->require_admin;
        v = o >= 0 ? o : v;
    }
    return v;
}

static const char *op_name(stoa_op op)
{
    return op == STOA_OP_READ ? "read" : op == STOA_OP_PUBLISH ? "publish" : "admin";
}

/* What a plugin is told of a request (the strings live as long as the struct). */
typedef struct auth_facts {
    char path[1024], method[16], peer[64];
    stoa_auth_request r;
} auth_facts;

static void facts_init(auth_facts *f, reqctx *rc, stoa_op op, const char *module, int req)
{
    reqctx_copy(f->path, sizeof(f->path), rc->req->path);
    reqctx_copy(f->method, sizeof(f->method), rc->req->method);
    reqctx_copy(f->peer, sizeof(f->peer), h2o_iovec_init(rc->client, strlen(rc->client)));
    f->r = (stoa_auth_request){sizeof(f->r), op, f->method, f->path, rc->r.repo, module, f->peer, req_header, rc, req};
}

/* Plugin i's answer for r, in *res (zeroed first). */
static stoa_status ask(const auth_chain *c, size_t i, const stoa_auth_request *r, stoa_auth_result *res)
{
    memset(res, 0, sizeof(*res));
    return c->plugins[i]->m.auth.decide(c->states[i], r, res);
}

/* A plugin's deny ends the chain. */
static stoa_status deny(auth_subject *s, stoa_status st, const stoa_auth_result *res, auth_decision *d)
{
    d->status = st == STOA_DENIED || st == STOA_THROTTLED ? st : STOA_UNAUTHORIZED;
    d->retry_after = res->retry_after;
    snprintf(d->reason, sizeof(d->reason), "%s", res->reason[0] ? res->reason : status_name(st));
    if (res->identity[0] != '\0')
        snprintf(s->identity, sizeof(s->identity), "%s", res->identity);
    return d->status;
}

/* A required request that no plugin allowed. */
static stoa_status no_allow(const auth_chain *c, auth_subject *s, auth_decision *d)
{
    const char *op = op_name(s->req->op);
    if (c->n == 0 && is_loopback(s->client)) {
        snprintf(s->identity, sizeof(s->identity), "loopback");
        return d->status = STOA_OK;
    }
    d->status = c->n == 0 ? STOA_DENIED : STOA_UNAUTHORIZED;
    snprintf(d->reason, sizeof(d->reason),
             c->n == 0 ? "%s needs authentication, and no auth plugins are configured (only loopback may %s)"
                       : "%s needs credentials: send a token (Authorization: Bearer, or Basic with the token as password)",
             op, op);
    return d->status;
}

/* Runs the plugins in order; returns OK (allowed, or nothing required) or a deny. */
static stoa_status run_chain(const auth_chain *c, auth_subject *s, auth_decision *d)
{
    int allowed = 0;
    for (size_t i = 0; i < c->n; ++i) {
        stoa_auth_result res;
        stoa_status st = ask(c, i, s->req, &res);
        if (res.client_addr[0] != '\0')
            snprintf(s->client, sizeof(s->client), "%s", res.client_addr);
        if (st == STOA_DECLINED) {
            /* An abstainer may still have recognised someone: keep it for the audit. */
            if (s->identity[0] == '\0' && res.identity[0] != '\0')
                snprintf(s->identity, sizeof(s->identity), "%s", res.identity);
            continue;
        }
        if (st != STOA_OK)
            return deny(s, st, &res, d);
        if (!allowed && res.identity[0] != '\0')
            snprintf(s->identity, sizeof(s->identity), "%s", res.identity);
        allowed = 1;
    }
    if (allowed || !s->req->required)
        return d->status = STOA_OK;
    return no_allow(c, s, d);
}

/* A fingerprint of the credentials sent, for the throttle key "<addr>#<fingerprint>".
 * FNV-1a: the key stays in memory and is never shown. */
static uint64_t credential_hash(const stoa_auth_request *r)
{
    static const char *const names[] = {"authorization", "x-jfrog-art-api"};
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); ++i) {
        size_t n = 0;
        const char *v = r->header(r, names[i], &n);
        for (size_t k = 0; v != NULL && k < n; ++k)
            h = (h ^ (unsigned char)v[k]) * 1099511628211u;
        h = (h ^ 0xff) * 1099511628211u;
    }
    return h;
}

/* Failures count per credential and address: a credential that failed `failures` times
 * is blocked wherever it comes from that address, and the address itself once that
 * many distinct credentials failed. So a client retrying a stale token behind a proxy
 * blocks that token, not everyone behind the proxy (issue 21 finding 11), while a
 * guesser, whose every guess is a new credential, blocks its address as before. */
static uint32_t throttle(const auth_chain *c, const auth_subject *s, stoa_status st, int count)
{
    if (c->throttle_failures == 0)
        return 0;
    char key[THROTTLE_KEY_MAX];
    snprintf(key, sizeof(key), "%.45s#%016llx", s->client, (unsigned long long)s->credential);
    if (count && st == STOA_UNAUTHORIZED && s->has_credentials &&
        throttle_failure(key, s->now_ms, c->throttle_failures, c->throttle_window_ms) == 1)
        throttle_failure(s->client, s->now_ms, c->throttle_failures, c->throttle_window_ms);
    uint32_t by_addr = throttle_blocked(s->client, s->now_ms), by_cred = throttle_blocked(key, s->now_ms);
    return by_addr > by_cred ? by_addr : by_cred;
}

/* count: 0 for a prediction (auth_predict), which must not count a failure twice. */
static stoa_status chain_verdict(const auth_chain *c, auth_subject *s, auth_decision *d, int count)
{
    memset(d, 0, sizeof(*d));
    stoa_status st = run_chain(c, s, d);
    /* Checked after the chain, on the address it established (a trusted proxy's
     * client), and whatever the chain said: a blocked guesser learns nothing. */
    uint32_t wait = throttle(c, s, st, count);
    if (wait > 0) {
        d->status = STOA_THROTTLED;
        d->retry_after = wait;
        snprintf(d->reason, sizeof(d->reason), "too many failed authentication attempts from %s; retry in %u s",
                 s->client, wait);
    }
    return d->status;
}

stoa_status auth_chain_run(const auth_chain *c, auth_subject *s, auth_decision *d)
{
    return chain_verdict(c, s, d, 1);
}

static auth_chain chain_of(const app *a, const struct conf *c)
{
    return (auth_chain){a->auth, a->auth_state, a->nauth_open, c->throttle_failures, c->throttle_window_ms};
}

/* The chain's subject for r: its credentials, for the throttle key, and the client. */
static auth_subject subject_of(const stoa_auth_request *r, uint64_t now_ms, const char *client)
{
    auth_subject s = {.req = r, .has_credentials = has_credentials(r), .credential = credential_hash(r),
                      .now_ms = now_ms};
    snprintf(s.client, sizeof(s.client), "%s", client);
    return s;
}

stoa_status auth_check(reqctx *rc, stoa_op op, auth_decision *d)
{
    const struct conf *c = the_app->conf;
    auth_chain ch = chain_of(the_app, c);
    auth_facts f;
    facts_init(&f, rc, op, rc->r.module[0] ? rc->r.module : NULL, required(c, &rc->r, op, rc->r.module));
    auth_subject s = subject_of(&f.r, (uint64_t)reqctx_start_ms(rc), rc->client);
    snprintf(s.identity, sizeof(s.identity), "%s", rc->identity);
    auth_chain_run(&ch, &s, d);
    snprintf(rc->client, sizeof(rc->client), "%s", s.client);
    snprintf(rc->identity, sizeof(rc->identity), "%s", s.identity);
    if (d->status != STOA_OK)
        snprintf(rc->error, sizeof(rc->error), "%s", d->reason);
    return d->status;
}

stoa_status auth_predict(const route *r, stoa_auth_request *req, const char *client, uint64_t now_ms,
                         auth_decision *d)
{
    const struct conf *c = the_app->conf;
    auth_chain ch = chain_of(the_app, c);
    req->repo = r->repo;
    req->module = r->module[0] ? r->module : NULL;
    req->required = required(c, r, req->op, r->module);
    auth_subject s = subject_of(req, now_ms, client);
    return chain_verdict(&ch, &s, d, 0);
}

int auth_may_read(reqctx *rc, const char *module)
{
    app *a = the_app;
    if (a->nauth_open == 0)
        return 1; /* no plugin could tell modules apart: the request's own check stands */
    const struct conf *c = a->conf;
    auth_chain ch = chain_of(a, c);
    int req = required(c, &rc->r, STOA_OP_READ, module), allowed = 0;
    auth_facts f;
    facts_init(&f, rc, STOA_OP_READ, module, req);
    for (size_t i = 0; i < ch.n; ++i) {
        stoa_auth_result res;
        stoa_status st = ask(&ch, i, &f.r, &res);
        if (st != STOA_OK && st != STOA_DECLINED)
            return 0;
        allowed |= st == STOA_OK;
    }
    return allowed || !req;
}

void auth_send_denial(reqctx *rc, const auth_decision *d)
{
    metrics_auth_denial(d->status);
    if (d->status == STOA_UNAUTHORIZED)
        http_set_header(rc, "www-authenticate", "Basic realm=\"stoa\"");
    if (d->status == STOA_THROTTLED) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%u", d->retry_after ? d->retry_after : 1);
        http_set_header(rc, "retry-after", ra);
    }
    http_send_text(rc, status_http(d->status), "%s", d->reason);
}

int auth_run_command(app *a, const char *name, int argc, char **argv, char *err, size_t errlen)
{
    const struct conf *c = a->conf;
    for (size_t i = 0; i < c->nauth; ++i) {
        if (strcmp(c->auth[i].plugin, name) != 0)
            continue;
        plugin *p = a->auth[i];
        if (p->m.auth.command == NULL)
            return snprintf(err, errlen, "auth plugin %s has no commands", name), -1;
        stoa_error e = {0};
        if (p->m.auth.command(a->auth_state[i], argc, argv, stdout, &e) != STOA_OK)
            return snprintf(err, errlen, "%s", e.msg), -1;
        return 0;
    }
    return snprintf(err, errlen, "no '%s' plugin in auth.plugins of the configuration", name), -1;
}
