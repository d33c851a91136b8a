#include "auth.h"

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "status.h"

#include <arpa/inet.h>
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

static const char *req_header(const stoa_auth_request *r, const char *name, size_t *len)
{
    return http_header(((reqctx *)r->_core)->req, name, len);
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

static int required(const struct conf *c, stoa_op op)
{
    return op == STOA_OP_READ ? c->require_read : op == STOA_OP_PUBLISH ? c->require_publish : c->require_admin;
}

static const char *op_name(stoa_op op)
{
    return op == STOA_OP_READ ? "read" : op == STOA_OP_PUBLISH ? "publish" : "admin";
}

stoa_status auth_check(reqctx *rc, stoa_op op, auth_decision *d)
{
    app *a = the_app;
    memset(d, 0, sizeof(*d));
    char path[1024], method[16];
    snprintf(path, sizeof(path), "%.*s", (int)rc->req->path.len, rc->req->path.base);
    snprintf(method, sizeof(method), "%.*s", (int)rc->req->method.len, rc->req->method.base);
    stoa_auth_request r = {sizeof(r), op, method, path, rc->r.repo, rc->r.module[0] ? rc->r.module : NULL,
                           rc->client, req_header, rc};
    int allowed = 0;
    for (size_t i = 0; i < a->nauth_open; ++i) {
        stoa_auth_result res;
        memset(&res, 0, sizeof(res));
        stoa_status st = a->auth[i]->m.auth.decide(a->auth_state[i], &r, &res);
        if (res.client_addr[0] != '\0')
            snprintf(rc->client, sizeof(rc->client), "%s", res.client_addr);
        if (st == STOA_DECLINED)
            continue;
        if (st == STOA_OK) {
            if (!allowed && res.identity[0] != '\0')
                snprintf(rc->identity, sizeof(rc->identity), "%s", res.identity);
            allowed = 1;
            continue;
        }
        d->status = st == STOA_DENIED || st == STOA_THROTTLED ? st : STOA_UNAUTHORIZED;
        d->retry_after = res.retry_after;
        snprintf(d->reason, sizeof(d->reason), "%s", res.reason[0] ? res.reason : status_name(st));
        if (res.identity[0] != '\0')
            snprintf(rc->identity, sizeof(rc->identity), "%s", res.identity);
        return d->status;
    }
    if (allowed || !required(a->conf, op))
        return d->status = STOA_OK;
    if (a->nauth_open == 0 && is_loopback(rc->client)) {
        snprintf(rc->identity, sizeof(rc->identity), "loopback");
        return d->status = STOA_OK;
    }
    d->status = a->nauth_open == 0 ? STOA_DENIED : STOA_UNAUTHORIZED;
    snprintf(d->reason, sizeof(d->reason),
             a->nauth_open == 0 ? "%s needs authentication, and no auth plugins are configured (only loopback may %s)"
                                : "%s needs credentials: send a token (Authorization: Bearer, or Basic with the token as password)",
             op_name(op), op_name(op));
    return d->status;
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
