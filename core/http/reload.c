#include "reload.h"

#include "app.h"
#include "log.h"
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int same_str(const char *x, const char *y)
{
    return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static int same_kvs(const conf_kv *x, size_t nx, const conf_kv *y, size_t ny)
{
    if (nx != ny)
        return 0;
    for (size_t i = 0; i < nx; ++i)
        if (!same_str(x[i].key, y[i].key) || !same_str(x[i].value, y[i].value))
            return 0;
    return 1;
}

static int same_strs(char **x, size_t nx, char **y, size_t ny)
{
    if (nx != ny)
        return 0;
    for (size_t i = 0; i < nx; ++i)
        if (!same_str(x[i], y[i]))
            return 0;
    return 1;
}

static int same_auth_plugins(const struct conf *o, const struct conf *n)
{
    if (o->nauth != n->nauth)
        return 0;
    for (size_t i = 0; i < o->nauth; ++i)
        if (!same_str(o->auth[i].plugin, n->auth[i].plugin))
            return 0;
    return 1;
}

/* Appends to out the keys whose change needs a restart. */
static void static_changes(const struct conf *o, const struct conf *n, char *out, size_t len)
{
    struct {
        int same;
        const char *key;
    } checks[] = {
        {same_strs(o->listen, o->nlisten, n->listen, n->nlisten), "listen"},
        {same_str(o->tls_cert, n->tls_cert) && same_str(o->tls_key, n->tls_key), "tls"},
        {o->threads == n->threads, "threads"},
        {o->workers == n->workers, "workers"},
        {same_str(o->plugin_dir, n->plugin_dir), "plugin_dir"},
        {same_str(o->tmp_dir, n->tmp_dir), "tmp_dir"},
        {o->max_body == n->max_body && o->max_header == n->max_header && o->send_timeout_ms == n->send_timeout_ms,
         "limits"},
        {same_str(o->storage.plugin, n->storage.plugin) &&
             same_kvs(o->storage.options, o->storage.noptions, n->storage.options, n->storage.noptions),
         "storage"},
        {same_auth_plugins(o, n), "auth.plugins (which plugins, in which order)"},
        {same_str(o->audit_sink, n->audit_sink) && same_str(o->audit_path, n->audit_path) &&
             same_str(o->audit_dsn, n->audit_dsn) && same_str(o->audit_spool, n->audit_spool) &&
             o->audit_batch == n->audit_batch && o->audit_interval_ms == n->audit_interval_ms &&
             o->audit_queue == n->audit_queue,
         "audit"},
        {o->log_format == n->log_format && o->log_level == n->log_level, "log"},
        {o->shutdown_timeout_ms == n->shutdown_timeout_ms, "shutdown_timeout"},
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); ++i) {
        if (checks[i].same)
            continue;
        int m = snprintf(out + used, len - used, "%s%s", used ? ", " : "", checks[i].key);
        if (m < 0 || (size_t)m >= len - used)
            break;
        used += (size_t)m;
    }
}

static int reload_auth(app *a, const struct conf *n, char *err, size_t errlen)
{
    for (size_t i = 0; i < a->nauth_open; ++i) {
        const stoa_auth_methods *m = &a->auth[i]->m.auth;
        if (m->reload == NULL)
            continue;
        stoa_option items[n->auth[i].noptions + 1];
        stoa_options opts;
        plugin_options(&opts, items, n->auth[i].options, n->auth[i].noptions);
        stoa_error e = {0};
        if (m->reload(a->auth_state[i], &opts, &e) != STOA_OK)
            return snprintf(err, errlen, "auth plugin %s refused its new options: %s", a->auth[i]->name, e.msg), -1;
    }
    return 0;
}

int reload_config(app *a, char *err, size_t errlen)
{
    struct conf **retired = realloc(a->retired, (a->nretired + 1) * sizeof(*retired));
    if (retired == NULL)
        return snprintf(err, errlen, "out of memory"), -1;
    a->retired = retired;
    struct conf *n = conf_load(a->config_path, environ, err, errlen);
    if (n == NULL)
        return -1;
    struct conf *o = a->conf;
    char changed[512];
    static_changes(o, n, changed, sizeof(changed));
    if (changed[0] != '\0') {
        conf_free(n);
        return snprintf(err, errlen, "these settings need a restart: %s", changed), -1;
    }
    if (reload_auth(a, n, err, errlen) != 0) {
        conf_free(n);
        return -1;
    }
    for (size_t i = 0; i < n->nupstreams; ++i)
        upstream_slot(n->upstreams[i].name);
    a->conf = n;
    a->retired[a->nretired++] = o;
    return 0;
}
