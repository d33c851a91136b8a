/*
 * Checksum-database proxy: /sumdb/<name>/supported, /latest, /lookup/<m>@<v>,
 * /tile/... forwarded to the configured database, so clients behind stoa verify
 * go.sum lines without reaching the internet. Full tiles never change and are cached
 * in storage; partial tiles (".p/") and lookups are fetched each time; /latest falls
 * back to the last good copy when the database is unreachable. With a key, latest and
 * every lookup are verified (signature; a lookup's record inclusion too) and their
 * tree must be consistent with stoa's tree head (sumdb_head.h), so a forked or lying
 * database is refused with 502 before any client sees it. Lookups of modules in
 * private namespaces are never forwarded. Only well-formed names are forwarded at all
 * (tile paths as x/mod's tlog.ParseTilePath accepts them, no query): anything else is
 * refused without a request to the database.
 */
#include "app.h"
#include "handlers.h"
#include "log.h"
#include "namespace.h"
#include "modpath.h"
#include "semver.h"
#include "quota.h"
#include "sumcheck.h"
#include "sumdb_fetch.h"
#include "sumdb_head.h"
#include "task.h"
#include "tlog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sumdb_task {
    task t;
    const conf_sumdb *db;
    char sub[ROUTE_PATH_MAX];
    sumdb_answer ans;
    stoa_status st;
    stoa_error err;
} sumdb_task;

/* The configured database whose name starts rest and is followed by '/' or the end:
 * names may hold slashes (the go command's test database is
 * "localhost.localdev/sumdb"), so the longest match wins. */
static const conf_sumdb *find_db(const char *rest)
{
    const struct conf *c = the_app->conf;
    const conf_sumdb *best = NULL;
    for (size_t i = 0; i < c->nsumdbs; ++i) {
        size_t l = strlen(c->sumdbs[i].name);
        if (strncmp(rest, c->sumdbs[i].name, l) == 0 && (rest[l] == '/' || rest[l] == '\0') &&
            (best == NULL || l > strlen(best->name)))
            best = &c->sumdbs[i];
    }
    return best;
}

static stoa_status check_latest(sumdb_task *s)
{
    char note[8192];
    if (s->ans.meta.size >= sizeof(note) || pread(s->ans.fd, note, s->ans.meta.size, 0) != (ssize_t)s->ans.meta.size)
        return stoa_fail(&s->err, STOA_BADGATEWAY, "checksum database %s: latest is not a signed tree note", s->db->name);
    stoa_status st = sumdb_head_check(s->db, NULL, note, s->ans.meta.size, &s->err);
    return st == STOA_OK ? st : (s->err.status = STOA_BADGATEWAY);
}

static stoa_status check_lookup(sumdb_task *s)
{
    size_t len = 0;
    char *body = sumdb_read(&s->ans, SUMCHECK_MAX_LOOKUP, &len); /* the fd still answers the client */
    stoa_status st = body == NULL ? stoa_fail(&s->err, STOA_BADGATEWAY,
                                              "checksum database %s: lookup answer unreadable or over %u bytes",
                                              s->db->name, SUMCHECK_MAX_LOOKUP)
                                  : sumcheck_lookup_answer(s->db, body, len, &s->err);
    free(body);
    return st == STOA_OK ? st : (s->err.status = STOA_BADGATEWAY);
}

static void sumdb_work(task *t)
{
    sumdb_task *s = (sumdb_task *)t;
    s->st = sumdb_fetch(s->db, s->sub, &s->ans, &s->err);
    if (s->st != STOA_OK || s->db->key == NULL || s->db->key[0] == '\0')
        return;
    if (strcmp(s->sub, "latest") == 0)
        s->st = check_latest(s);
    else if (strncmp(s->sub, "lookup/", 7) == 0)
        s->st = check_lookup(s);
}

static void sumdb_cont(task *t, reqctx *rc)
{
    sumdb_task *s = (sumdb_task *)t;
    if (s->st != STOA_OK) {
        http_send_text(rc, s->st == STOA_NOTFOUND ? 404 : 502, "%s", s->err.msg);
        return;
    }
    int full_tile = strncmp(s->sub, "tile/", 5) == 0 && strstr(s->sub, ".p/") == NULL;
    if (full_tile)
        quota_touch(s->db->name, s->sub); /* each stored tile is a row of the cache quota */
    rc->cache = s->ans.cache;
    http_set_header(rc, "x-cache", s->ans.cache);
    http_send_fd(rc, s->ans.fd, &s->ans.meta, "text/plain; charset=utf-8", full_tile ? CACHE_IMMUTABLE : "no-cache");
    s->ans.fd = -1;
}

static void sumdb_fini(task *t)
{
    sumdb_task *s = (sumdb_task *)t;
    if (s->ans.fd >= 0)
        close(s->ans.fd);
}

/* "lookup/<escaped module>@<escaped version>": only valid paths of proxied modules
 * are forwarded; anything else could leak a private name. NULL when allowed. */
static const char *lookup_refusal(reqctx *rc, const char *sub)
{
    char esc[MODPATH_MAX + 1], mod[MODPATH_MAX + 1], ver[SEMVER_MAX + 1];
    const char *at = strrchr(sub, '@');
    size_t n = at != NULL ? (size_t)(at - sub) : 0;
    if (n == 0 || n > MODPATH_MAX)
        return "not a lookup of module@version";
    memcpy(esc, sub, n);
    esc[n] = '\0';
    if (modpath_unescape(esc, mod, sizeof(mod), NULL, 0) != 0 || modpath_check(mod, NULL, 0) != 0 ||
        modpath_unescape(at + 1, ver, sizeof(ver), NULL, 0) != 0 || !semver_is_valid(ver))
        return "not a valid module path and version";
    if (!namespace_upstream_ok(the_app->conf, rc->r.repo, mod))
        return "private module: not looked up in a public checksum database (set GONOSUMDB for it)";
    return NULL;
}

/* Only the names a checksum database serves are forwarded (and tiles stored): any
 * other name would be one more upstream request and, for a tile, one more file
 * kept forever. NULL when sub is one; *code gets 400 or 404 otherwise. */
static const char *path_refusal(reqctx *rc, const char *sub, int *code)
{
    int level, width;
    int64_t n;
    *code = 404;
    if (rc->req->query_at != SIZE_MAX)
        return *code = 400, "checksum database paths take no query";
    if (strcmp(sub, "latest") == 0)
        return NULL;
    if (strncmp(sub, "lookup/", 7) == 0)
        return lookup_refusal(rc, sub + 7);
    if (strncmp(sub, "tile/", 5) == 0)
        return tlog_parse_tile_path(sub, &level, &n, &width) == 0 ? NULL : "not a tile path of this database";
    return "unknown checksum database path";
}

int handler_sumdb(reqctx *rc)
{
    const char *rest = rc->r.rest, *slash = strchr(rest, '/');
    const conf_sumdb *db = find_db(rest);
    if (db == NULL)
        return http_send_text(rc, 404, "checksum database %.*s is not proxied here", (int)(slash ? slash - rest : 64), rest), 0;
    const char *sub = rest[strlen(db->name)] == '/' ? rest + strlen(db->name) + 1 : "";
    if (strcmp(sub, "supported") == 0 && rc->req->query_at == SIZE_MAX)
        return http_send_body(rc, 200, "text/plain; charset=utf-8", "no-cache", "", 0), 0;
    int code;
    const char *refusal = path_refusal(rc, sub, &code);
    if (refusal != NULL)
        return http_send_text(rc, code, "%s", refusal), 0;
    if (the_app->conf->offline && strncmp(sub, "tile/", 5) != 0 && strcmp(sub, "latest") != 0)
        return http_send_text(rc, 404, "offline: checksum database lookups are not available"), 0;
    sumdb_task *s = (sumdb_task *)task_new(rc, sizeof(*s), sumdb_work, sumdb_cont, sumdb_fini);
    if (s == NULL)
        return http_send_text(rc, 503, "out of memory"), 0;
    s->db = db;
    snprintf(s->sub, sizeof(s->sub), "%s", sub);
    s->ans.fd = -1;
    /* Network: always on a worker, whatever the storage. */
    task_submit(&s->t, POOL_SUMDB);
    return 0;
}
