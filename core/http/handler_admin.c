/* /admin/upstreams: the chain and each upstream's health, as JSON. */
#include "app.h"
#include "handlers.h"
#include "upstream.h"
#include "urlshow.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *upstreams_json(void)
{
    const struct conf *c = the_app->conf;
    json_t *arr = json_array();
    for (size_t i = 0; i < c->nupstreams; ++i) {
        const conf_upstream *u = &c->upstreams[i];
        upstream_health h;
        upstream_health_of(u, &h);
        char shown[1024];
        url_show(u->url, shown, sizeof(shown));
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:b,s:s,s:I,s:I,s:I}", "name", u->name, "url", shown, "fallthrough",
                           u->fallthrough == CONF_FALL_ON_ANY_ERROR ? "on_any_error" : "on_not_found", "backup", u->backup,
                           "state", h.open ? "open" : "closed", "consecutive_failures", (json_int_t)h.consecutive_failures,
                           "requests", (json_int_t)h.requests, "failures", (json_int_t)h.failures));
    }
    return json_pack("{s:s,s:o}", "mode", c->offline ? "offline" : "online", "upstreams", arr);
}

int handler_admin(reqctx *rc)
{
    if (strcmp(rc->r.rest, "upstreams") != 0)
        return http_send_text(rc, 404, "unknown admin path; try /admin/upstreams"), 0;
    json_t *j = upstreams_json();
    char *body = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    http_send_body(rc, 200, "application/json", "no-store", body, body != NULL ? strlen(body) : 0);
    free(body);
    return 0;
}
