#include "reload.h"

#include "app.h"
#include "log.h"
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

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
    conf_restart_changes(o, n, changed, sizeof(changed));
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
