/*
 * Athens-compatible listings of what storage holds, one page per request, read from
 * the storage's own ordered listings (ABI 1.4) so a page costs the same at any size:
 *   /catalog?token=T&pagesize=N  {"modules":[{"module":..,"version":..}],"next":"T"}
 *     sorted by (module, version) bytewise; token is the last "module@version" of the
 *     previous page; next is "" on the last page.
 *   /index?since=RFC3339&after=C&limit=N  NDJSON {"Path","Version","Timestamp"} in
 *     commit order. The header Stoa-Index-Next carries the cursor to pass as after=
 *     for the next page; it equals the after sent once the caller has read everything
 *     so far. Paging by cursor is exact (S7); since= alone is kept for Athens tools.
 * Both list only modules the caller may read: a token scoped to one namespace does
 * not learn the names of modules in others (a page can then come back short).
 */
#include "app.h"
#include "auth.h"
#include "handlers.h"
#include "semver.h"
#include "task.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX 1000
#define INDEX_MAX 2000

typedef struct catalog_task {
    task t;
    const char *seen;  /* the module visible() decided last, and its answer */
    int seen_ok;
    route_type type;
    char token[MODPATH_MAX + SEMVER_MAX + 2];
    char after[STOA_CURSOR_MAX];
    int64_t since;
    size_t limit;
    stored_versions list; /* the page as read, one more than limit when more follow */
    char next[STOA_CURSOR_MAX];
    int oom;
    stoa_status st;
    stoa_error err;
    char *body;
    size_t body_len;
} catalog_task;

/* Only modules the caller may read are listed (auth.h auth_may_read). Entries come
 * grouped or repeated by module, so the last answer is remembered. Loop thread. */
static int visible(catalog_task *c, reqctx *rc, const char *module)
{
    if (c->seen == NULL || strcmp(c->seen, module) != 0) {
        c->seen = module;
        c->seen_ok = auth_may_read(rc, module);
    }
    return c->seen_ok;
}

static json_t *catalog_page(catalog_task *c, reqctx *rc)
{
    json_t *mods = json_array();
    size_t n = c->list.n < c->limit ? c->list.n : c->limit;
    for (size_t j = 0; j < n; ++j) {
        const stored_version *e = &c->list.v[j];
        if (visible(c, rc, e->module))
            json_array_append_new(mods, json_pack("{s:s,s:s}", "module", e->module, "version", e->version));
    }
    char next[sizeof(c->token)] = "";
    if (c->list.n > c->limit) /* the last one examined, shown or not */
        snprintf(next, sizeof(next), "%s@%s", c->list.v[n - 1].module, c->list.v[n - 1].version);
    return json_pack("{s:o,s:s}", "modules", mods, "next", next);
}

static void index_lines(catalog_task *c, reqctx *rc)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    for (size_t i = 0; out != NULL && i < c->list.n; ++i) {
        const stored_version *e = &c->list.v[i];
        if (!visible(c, rc, e->module))
            continue;
        char ts[32];
        time_t t = (time_t)e->stored_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_t *j = json_pack("{s:s,s:s,s:s}", "Path", e->module, "Version", e->version, "Timestamp", ts);
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        size_t l = line != NULL ? strlen(line) : 0;
        if (len + l + 2 > cap) {
            char *no = realloc(out, cap = (len + l + 2) * 2);
            if (no == NULL) {
                free(line);
                free(out);
                out = NULL;
                break;
            }
            out = no;
        }
        memcpy(out + len, line, l);
        out[len + l] = '\n';
        len += l + 1;
        free(line);
    }
    c->body = out;
    c->body_len = len;
    c->oom |= out == NULL;
}

static int collect(void *arg, const stoa_entry *e)
{
    catalog_task *c = arg;
    if (stored_versions_add(&c->list, e->module, e->version, e->stored_at) != 0)
        return 1;
    if (c->type == ROUTE_INDEX)
        snprintf(c->next, sizeof(c->next), "%s", e->cursor);
    return 0;
}

static void catalog_work(task *t)
{
    catalog_task *c = (catalog_task *)t;
    if (c->type == ROUTE_CATALOG) {
        char *at = c->token[0] != '\0' ? strchr(c->token, '@') : NULL;
        if (at != NULL)
            *at = '\0';
        c->st = storage_catalog_page(&the_app->store, at != NULL ? c->token : NULL, at != NULL ? at + 1 : NULL, c->limit + 1,
                                     collect, c, &c->err);
    } else {
        snprintf(c->next, sizeof(c->next), "%s", c->after);
        c->st = storage_index_page(&the_app->store, c->after, c->since, c->limit, collect, c, &c->err);
    }
    c->oom = c->list.oom;
}

/* The page is built here, on the loop thread, because the auth chain decides there. */
static void build_body(catalog_task *c, reqctx *rc)
{
    if (c->type == ROUTE_CATALOG) {
        json_t *j = catalog_page(c, rc);
        c->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        c->body_len = c->body != NULL ? strlen(c->body) : 0;
        c->oom = c->body == NULL;
    } else {
        index_lines(c, rc);
        http_set_header(rc, "stoa-index-next", c->next);
    }
}

static void catalog_cont(task *t, reqctx *rc)
{
    catalog_task *c = (catalog_task *)t;
    if (c->st == STOA_OK && !c->oom)
        build_body(c, rc);
    if (c->st != STOA_OK)
        http_send_error(rc, &c->err);
    else if (c->oom)
        http_send_text(rc, 503, "out of memory listing storage");
    else
        http_send_body(rc, 200, c->type == ROUTE_CATALOG ? "application/json" : "application/x-ndjson", "no-store", c->body,
                       c->body_len);
}

static void catalog_fini(task *t)
{
    catalog_task *c = (catalog_task *)t;
    stored_versions_free(&c->list);
    free(c->body);
}

static int parse_limit(h2o_req_t *req, const char *name, size_t def, size_t max, size_t *out)
{
    char buf[32];
    *out = def;
    int got = http_query_param(req, name, buf, sizeof(buf));
    if (got <= 0)
        return got;
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end != '\0' || v <= 0)
        return -1;
    *out = (size_t)v < max ? (size_t)v : max;
    return 0;
}

static int parse_since(h2o_req_t *req, int64_t *out)
{
    char buf[64];
    struct tm tm = {0};
    *out = 0;
    int got = http_query_param(req, "since", buf, sizeof(buf));
    if (got <= 0)
        return got;
    const char *end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL || (*end != 'Z' && *end != '\0' && *end != '.'))
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* A cursor as storage.h stoa_entry makes them: short, [A-Za-z0-9._-]. Absent is "". */
static int parse_cursor(h2o_req_t *req, char *out, size_t len)
{
    char buf[1024];
    int got = http_query_param(req, "after", buf, sizeof(buf));
    if (got <= 0)
        return got == 0;
    size_t n = strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
    if (buf[n] != '\0' || n >= len)
        return 0;
    memcpy(out, buf, n + 1);
    return 1;
}

int handler_catalog(reqctx *rc)
{
    h2o_req_t *req = rc->req;
    char token[MODPATH_MAX + SEMVER_MAX + 2] = "", after[STOA_CURSOR_MAX] = "";
    size_t limit;
    int64_t since = 0;
    if (rc->r.type == ROUTE_CATALOG) {
        if (http_query_param(req, "token", token, sizeof(token)) < 0)
            return http_send_text(rc, 400, "token must be a module@version from a page's next token"), 0;
        if (parse_limit(req, "pagesize", PAGE_MAX, PAGE_MAX, &limit) != 0)
            return http_send_text(rc, 400, "pagesize must be a positive integer"), 0;
    } else if (parse_limit(req, "limit", INDEX_MAX, INDEX_MAX, &limit) != 0 || parse_since(req, &since) != 0 ||
               !parse_cursor(req, after, sizeof(after))) {
        return http_send_text(rc, 400, "limit must be a positive integer, since an RFC 3339 time and after a cursor from "
                                       "Stoa-Index-Next"),
               0;
    }
    catalog_task *c = (catalog_task *)task_new(rc, sizeof(*c), catalog_work, catalog_cont, catalog_fini);
    if (c == NULL)
        return http_send_text(rc, 503, "out of memory"), 0;
    c->type = rc->r.type;
    memcpy(c->token, token, sizeof(token));
    memcpy(c->after, after, sizeof(after));
    c->limit = limit;
    c->since = since;
    /* Always on a worker, even for a FAST_GET plugin: a plugin's first listing may
     * build its index (the disk plugin walks its store once), which must not stall a
     * loop thread's hits. */
    task_submit(&c->t, POOL_WORK);
    return 0;
}
