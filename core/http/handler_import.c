/*
 * PUT <base>/<module>/@v/<version>.zip with X-Stoa-Import: cache: a proxied version
 * from another proxy's store (stoa import --public-mode cache), taken into the cache
 * after the checks a fill makes of an upstream's answer (core/fill/importcache.h). The
 * router asks the admin scope for it (a cache entry speaks for the whole world's copy of
 * a module, not for one team's namespace), and only proxy namespaces take it: a private
 * path is published, a denied one refused. Audited as action "import", target "cache".
 *
 * The body is staged on the loop thread like a publish; the checks (checksum database:
 * network) and the commit run on a worker.
 */
#include "app.h"
#include "handlers.h"
#include "hex.h"
#include "importcache.h"
#include "log.h"
#include "namespace.h"
#include "reqasync.h"
#include "upload.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct import_job {
    reqasync a;
    reqctx *rc;
    const struct conf *conf; /* the one the handler decided by: the checks use it too */
    route r;
    int zip_fd;
    char info_time[VALIDATE_TIME_MAX];
    importcache_result res;
    stoa_error err;
} import_job;

static void on_run(pool_job *job)
{
    import_job *j = (import_job *)job;
    importcache_version(j->conf, &j->r, j->zip_fd, j->info_time, &j->res, &j->err);
}

static void respond(import_job *j, reqctx *rc)
{
    char sha[65];
    hex_encode(j->res.zip.sha256, 32, sha);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "module", j->r.module, "version", j->r.version, "file",
                          "zip", "sha256", sha, "h1", j->res.zip.h1, "go_mod_h1", j->res.mod.h1, "created",
                          j->res.created, "sumdb", j->res.sumdb);
    char *body = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    rc->cache = "IMPORTED";
    http_send_body(rc, j->res.created ? 201 : 200, "application/json", "no-store", body, body != NULL ? strlen(body) : 0);
    free(body);
    if (j->res.created)
        log_msg(STOA_LOG_INFO, "import", "%s imported %s@%s into the cache (%s)",
                rc->identity[0] ? rc->identity : "anonymous", j->r.module, j->r.version, j->res.sumdb);
}

static void on_done(reqasync *a, h2o_req_t *req)
{
    import_job *j = (import_job *)a;
    (void)req;
    if (j->err.status == STOA_OK)
        respond(j, j->rc);
    else
        http_send_error(j->rc, &j->err);
}

static void on_free(reqasync *a)
{
    import_job *j = (import_job *)a;
    if (j->zip_fd >= 0)
        close(j->zip_fd);
}

/* What the route and namespace rules refuse; 0 when the version may be imported. */
static int refuse(reqctx *rc, const struct conf *c)
{
    const route *r = &rc->r;
    size_t l;
    const char *v = http_header(rc->req, "x-stoa-import", &l);
    if (v == NULL || l != 5 || memcmp(v, "cache", 5) != 0 || r->type != ROUTE_ZIP)
        return http_send_text(rc, 400, "X-Stoa-Import takes \"cache\", on a PUT of a version's .zip (its .mod and "
                              ".info are derived from it)"), -1;
    if (!r->canonical)
        return http_send_text(rc, 400, "import needs a canonical version like v1.2.3, got \"%s\"", r->version), -1;
    conf_ns_mode mode = namespace_mode(c, r->repo, r->module);
    if (mode == CONF_NS_PRIVATE)
        return http_send_text(rc, 403, "%s is in a private namespace: publish it (a PUT without X-Stoa-Import)",
                              r->module), -1;
    const conf_namespace *block = namespace_blocked(c, r->repo, r->module, r->version);
    if (mode != CONF_NS_PROXY || block != NULL || !namespace_upstream_ok(c, r->repo, r->module))
        return http_send_text(rc, 403, "%s@%s may not be cached here%s%s", r->module, r->version, block ? ": " : "",
                              block ? namespace_reason(block) : ""), -1;
    return 0;
}

int handler_import(reqctx *rc)
{
    snprintf(rc->target, sizeof(rc->target), "cache");
    const struct conf *c = app_conf(); /* once: a SIGHUP meanwhile cannot make it two */
    char info_time[VALIDATE_TIME_MAX];
    int fd;
    if (refuse(rc, c) != 0 || upload_info_time(rc, info_time) != 0 || (fd = upload_stage(rc)) < 0)
        return 0;
    import_job *j = (import_job *)reqasync_new(rc->req, sizeof(*j), on_run, on_done);
    if (j == NULL) {
        close(fd);
        return http_send_text(rc, 503, "out of memory"), 0;
    }
    j->a.on_free = on_free;
    j->rc = rc;
    j->conf = c;
    j->r = rc->r;
    j->zip_fd = fd;
    snprintf(j->info_time, sizeof(j->info_time), "%s", info_time);
    if (reqasync_submit(&j->a, POOL_WORK) != 0)
        http_send_busy(rc, POOL_WORK);
    return 0;
}
