/* What Artifactory clients ask before and after publishing Go modules, so `jf
 * go-publish` and `jf rt build-publish` run unchanged against stoa:
 *   GET api/system/version  jf picks its publish protocol from the version (>= 6.10:
 *                           zip, mod and info, each answered 201);
 *   GET api/system/ping     "OK", as Artifactory answers;
 *   PUT api/build           build-info JSON: checked (name and number), acknowledged
 *                           with 204 and recorded in the audit log (action
 *                           "build-info", target "build:<name>/<number>"); not stored.
 * Also reached under Artifactory's own prefix, /artifactory/api/... (core/base/route.h). */
#include "handlers.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* The Artifactory release whose Go API stoa speaks: 7.x answers 201 to each of a
 * version's three PUTs. */
#define ART_COMPAT_VERSION "7.0.0"
#define BUILD_INFO_MAX (4u << 20)

static void send_version(reqctx *rc)
{
    char body[256];
    int n = snprintf(body, sizeof(body),
                     "{\"version\":\"%s\",\"revision\":\"stoa-%s\",\"addons\":[\"go\"],\"license\":\"stoa %s\"}\n",
                     ART_COMPAT_VERSION, STOA_VERSION, STOA_VERSION);
    http_send_body(rc, 200, "application/json", "no-store", body, (size_t)n);
}

/* A non-empty string member, or NULL. */
static const char *member(json_t *j, const char *name)
{
    const char *v = json_string_value(json_object_get(j, name));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static void put_build(reqctx *rc)
{
    h2o_req_t *req = rc->req;
    if (req->entity.len > BUILD_INFO_MAX) {
        http_send_text(rc, 413, "build info over 4 MiB");
        return;
    }
    json_error_t e;
    json_t *j = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, &e);
    const char *name = member(j, "name"), *number = member(j, "number");
    if (!json_is_object(j))
        http_send_text(rc, 400, "build info must be a JSON object: %s (line %d)", j == NULL ? e.text : "not an object",
                       e.line);
    else if (name == NULL || number == NULL)
        http_send_text(rc, 400, "build info needs \"name\" and \"number\" strings");
    else {
        snprintf(rc->target, sizeof(rc->target), "build:%s/%s", name, number);
        http_send_body(rc, 204, "text/plain", "no-store", "", 0);
    }
    json_decref(j);
}

int handler_artifactory(reqctx *rc)
{
    switch (rc->r.type) {
    case ROUTE_ART_VERSION: send_version(rc); break;
    case ROUTE_ART_PING: http_send_body(rc, 200, "text/plain", "no-store", "OK", 2); break;
    default: put_build(rc); break;
    }
    return 0;
}
