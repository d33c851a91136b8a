/*
 * Checksum-database proxy: /sumdb/<name>/supported, /latest, /lookup/<m>@<v>,
 * /tile/... forwarded to the configured database, so clients behind stoa verify
 * go.sum lines without reaching the internet. Full tiles never change and are cached
 * in storage; partial tiles (".p/") and lookups are fetched each time; /latest falls
 * back to the last good copy when the database is unreachable. Lookups of modules in
 * private namespaces are never forwarded.
 */
#include "app.h"
#include "handlers.h"
#include "log.h"
#include "namespace.h"
#include "staging.h"
#include "task.h"
#include "upstream.h"
#include "validate.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define SUMDB_MAX_BODY (4u << 20)

typedef struct sumdb_task {
    task t;
    const conf_sumdb *db;
    char sub[ROUTE_PATH_MAX];
    stoa_kind cache_kind;      /* SUMDB_TILE, SUMDB_LATEST, or 0: not cached */
    int fd;
    stoa_meta meta;
    const char *xcache;
    stoa_status st;
    stoa_error err;
} sumdb_task;

static const conf_sumdb *find_db(const char *name, size_t len)
{
    const struct conf *c = the_app->conf;
    for (size_t i = 0; i < c->nsumdbs; ++i)
        if (strlen(c->sumdbs[i].name) == len && memcmp(c->sumdbs[i].name, name, len) == 0)
            return &c->sumdbs[i];
    return NULL;
}

static int from_storage(sumdb_task *s)
{
    stoa_object obj;
    stoa_key key = {s->db->name, s->cache_kind == STOA_KIND_SUMDB_TILE ? s->sub : NULL, s->cache_kind};
    stoa_error e;
    if (s->cache_kind == 0 || storage_get(&the_app->store, &key, 0, &obj, &e) != STOA_OK)
        return 0;
    s->fd = obj.fd;
    s->meta = obj.meta;
    return 1;
}

static void store(sumdb_task *s)
{
    stoa_put_file f = {s->cache_kind, s->fd, s->meta};
    stoa_error e;
    if (storage_put(&the_app->store, s->db->name, s->cache_kind == STOA_KIND_SUMDB_TILE ? s->sub : NULL, &f, 1, &e) != STOA_OK)
        log_msg(STOA_LOG_WARN, "sumdb", "cannot cache %s/%s: %s", s->db->name, s->sub, e.msg);
}

static void fetch(sumdb_task *s)
{
    conf_upstream u = {.name = s->db->name, .connect_ms = 5000, .first_byte_ms = 30000, .total_ms = 60000, .stall_ms = 30000};
    char url[ROUTE_PATH_MAX + 512];
    snprintf(url, sizeof(url), "%s/%s", s->db->url, s->sub);
    if ((s->fd = staging_open(the_app->tmp_dir)) < 0) {
        s->st = stoa_fail(&s->err, STOA_INTERNAL, "cannot create staging file: %s", strerror(errno));
        return;
    }
    upstream_result res;
    upstream_attempt a;
    s->st = upstream_get(&u, url, s->fd, &res, &a);
    if (s->st == STOA_OK && res.bytes > SUMDB_MAX_BODY)
        s->st = stoa_fail(&s->err, STOA_BADGATEWAY, "answer over %u bytes", SUMDB_MAX_BODY);
    else if (s->st != STOA_OK)
        stoa_fail(&s->err, s->st, "checksum database %s: %s", s->db->name, a.why);
    s->meta.size = res.bytes;
    if (s->st == STOA_OK && validate_sha256_fd(s->fd, res.bytes, s->meta.sha256) == 0 && s->cache_kind != 0)
        store(s);
}

static void sumdb_work(task *t)
{
    sumdb_task *s = (sumdb_task *)t;
    s->fd = -1;
    if (s->cache_kind == STOA_KIND_SUMDB_TILE && from_storage(s)) {
        s->xcache = "HIT";
        return;
    }
    s->xcache = "MISS";
    fetch(s);
    if (s->st != STOA_OK && s->cache_kind == STOA_KIND_SUMDB_LATEST) {
        if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        if (from_storage(s)) {
            s->xcache = "STALE";
            s->st = STOA_OK;
        }
    }
}

static void sumdb_cont(task *t, reqctx *rc)
{
    sumdb_task *s = (sumdb_task *)t;
    if (s->st != STOA_OK) {
        http_send_text(rc, s->st == STOA_NOTFOUND ? 404 : 502, "%s", s->err.msg);
        return;
    }
    rc->cache = s->xcache;
    http_set_header(rc, "x-cache", s->xcache);
    http_send_fd(rc, s->fd, &s->meta, "text/plain; charset=utf-8",
                 s->cache_kind == STOA_KIND_SUMDB_TILE ? CACHE_IMMUTABLE : "no-cache");
    s->fd = -1;
}

static void sumdb_fini(task *t)
{
    sumdb_task *s = (sumdb_task *)t;
    if (s->fd >= 0)
        close(s->fd);
}

/* "lookup/<escaped module>@<version>": refuse private modules. */
static int private_lookup(reqctx *rc, const char *sub)
{
    char esc[MODPATH_MAX + 1], mod[MODPATH_MAX + 1];
    const char *at = strrchr(sub, '@');
    size_t n = at != NULL ? (size_t)(at - sub) : 0;
    if (n == 0 || n > MODPATH_MAX)
        return 0;
    memcpy(esc, sub, n);
    esc[n] = '\0';
    if (modpath_unescape(esc, mod, sizeof(mod), NULL, 0) != 0)
        return 0;
    return namespace_mode(the_app->conf, rc->r.repo, mod) != CONF_NS_PROXY;
}

int handler_sumdb(reqctx *rc)
{
    const char *rest = rc->r.rest, *slash = strchr(rest, '/');
    const conf_sumdb *db = find_db(rest, slash != NULL ? (size_t)(slash - rest) : strlen(rest));
    if (db == NULL)
        return http_send_text(rc, 404, "checksum database %.*s is not proxied here", (int)(slash ? slash - rest : 64), rest), 0;
    const char *sub = slash != NULL ? slash + 1 : "";
    if (strcmp(sub, "supported") == 0)
        return http_send_body(rc, 200, "text/plain; charset=utf-8", "no-cache", "", 0), 0;
    if (strncmp(sub, "lookup/", 7) == 0 && private_lookup(rc, sub + 7))
        return http_send_text(rc, 404, "private module: not looked up in a public checksum database (set GONOSUMDB for it)"), 0;
    if (strncmp(sub, "lookup/", 7) != 0 && strncmp(sub, "tile/", 5) != 0 && strcmp(sub, "latest") != 0)
        return http_send_text(rc, 404, "unknown checksum database path"), 0;
    if (the_app->conf->offline && strncmp(sub, "tile/", 5) != 0 && strcmp(sub, "latest") != 0)
        return http_send_text(rc, 404, "offline: checksum database lookups are not available"), 0;
    sumdb_task *s = (sumdb_task *)task_new(rc, sizeof(*s), sumdb_work, sumdb_cont, sumdb_fini);
    if (s == NULL)
        return http_send_text(rc, 503, "out of memory"), 0;
    s->db = db;
    snprintf(s->sub, sizeof(s->sub), "%s", sub);
    if (strcmp(sub, "latest") == 0)
        s->cache_kind = STOA_KIND_SUMDB_LATEST;
    else if (strncmp(sub, "tile/", 5) == 0 && strstr(sub, ".p/") == NULL)
        s->cache_kind = STOA_KIND_SUMDB_TILE;
    /* Network: always on a worker, whatever the storage. */
    pool_submit(&s->t.a.job);
    return 0;
}
