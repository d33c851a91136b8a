/*
 * The read-only web UI, server-rendered, no script:
 *   /?q=TEXT&from=MODULE  modules whose path contains TEXT (case-insensitive), 50 a
 *                         page after MODULE, with their latest version; the upstreams'
 *                         health (names and circuit state, not their addresses)
 *   /ui/module/<escaped>  a module's versions, newest first: stored time, origin
 *                         (published or the upstream it came from), size, zip and go.mod
 *                         h1, and the versions a rule blocks
 * Both show only modules the caller may read (auth.h auth_may_read), as /catalog does.
 * A module page passes the auth chain for its module as the module's files do (401 or
 * 403 from the chain), and is "not found" if the caller still may not read it. Storage is read on a
 * worker from the ordered catalog (ABI 1.4), so a page costs what it shows (a search
 * stops after SCAN_MAX entries and offers to go on); HTML is built on the loop thread,
 * where auth decides.
 */
#include "app.h"
#include "audit_query.h"
#include "auth.h"
#include "handlers.h"
#include "html.h"
#include "log.h"
#include "modpath.h"
#include "namespace.h"
#include "semver.h"
#include "task.h"
#include "upstream.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_MODULES 50
#define CANDIDATES (4 * PAGE_MODULES) /* read per page, for those the caller may not see */
#define SCAN_MAX 20000      /* catalog entries one search request reads at most */
#define VERSIONS_MAX 200    /* versions a module page describes */

typedef struct ui_module {
    char *module;
    char latest[SEMVER_MAX + 1];
    size_t versions;
    int64_t stored_at; /* of the latest */
} ui_module;

typedef struct ui_version {
    char version[SEMVER_MAX + 1];
    int64_t stored_at;
    int have_zip, have_mod;
    stoa_meta zip, mod;
    char published_by[128]; /* from the audit trail, or "" */
    int64_t published_at;
} ui_version;

typedef struct ui_task {
    task t;
    route_type type;
    char q[256];                  /* lower-cased search text */
    char from[MODPATH_MAX + 1];   /* home: list modules after this one */
    char module[MODPATH_MAX + 1]; /* module page */
    ui_module *mods;
    size_t nmods;
    int more;                     /* home: modules follow the page */
    char resume[MODPATH_MAX + 1]; /* home: where the next page starts */
    char last_m[MODPATH_MAX + 1]; /* home: the last catalog entry read */
    char last_v[SEMVER_MAX + 2];
    size_t scanned;
    ui_version *vers;
    size_t nvers, capvers;
    int audit;            /* module page: audit_publishers' answer (0 read, 1 not queryable, -1 failed) */
    char audit_err[256];
    int oom;
    stoa_status st;
    stoa_error err;
} ui_task;

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; ++hay) {
        size_t i = 0;
        while (i < n && hay[i] != '\0' && tolower((unsigned char)hay[i]) == needle[i])
            ++i;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* ---- the home page ---- */

static int home_entry(void *arg, const stoa_entry *e)
{
    ui_task *u = arg;
    ++u->scanned;
    snprintf(u->resume, sizeof(u->resume), "%s", e->module);
    snprintf(u->last_m, sizeof(u->last_m), "%s", e->module);
    snprintf(u->last_v, sizeof(u->last_v), "%s", e->version);
    ui_module *last = u->nmods > 0 ? &u->mods[u->nmods - 1] : NULL;
    if (last != NULL && strcmp(last->module, e->module) == 0) {
        ++last->versions;
        if (semver_compare(e->version, last->latest) > 0) {
            snprintf(last->latest, sizeof(last->latest), "%s", e->version);
            last->stored_at = e->stored_at;
        }
        return 0;
    }
    if (!contains_ci(e->module, u->q))
        return u->scanned >= SCAN_MAX;
    if (u->nmods == CANDIDATES) {
        u->more = 1; /* one more module: the next page starts after the last candidate */
        snprintf(u->resume, sizeof(u->resume), "%s", u->mods[u->nmods - 1].module);
        return 1;
    }
    char *m = strdup(e->module);
    if (m == NULL)
        return u->oom = 1;
    u->mods[u->nmods++] = (ui_module){m, "", 1, e->stored_at};
    snprintf(u->mods[u->nmods - 1].latest, SEMVER_MAX + 1, "%s", e->version);
    return 0;
}

static void home_work(task *t)
{
    ui_task *u = (ui_task *)t;
    if ((u->mods = calloc(CANDIDATES, sizeof(*u->mods))) == NULL) {
        u->oom = 1;
        return;
    }
    /* "~" sorts after every version ([0-9A-Za-z.+-]): from after every version of from. */
    snprintf(u->last_m, sizeof(u->last_m), "%s", u->from);
    snprintf(u->last_v, sizeof(u->last_v), "~");
    for (;;) {
        size_t before = u->scanned;
        char am[MODPATH_MAX + 1], av[SEMVER_MAX + 2];
        memcpy(am, u->last_m, sizeof(am));
        memcpy(av, u->last_v, sizeof(av));
        u->st = storage_catalog_page(&the_app->store, am[0] != '\0' ? am : NULL, am[0] != '\0' ? av : NULL, 1000,
                                     home_entry, u, &u->err);
        if (u->st != STOA_OK || u->oom || u->more || u->scanned - before < 1000)
            return;
        if (u->scanned >= SCAN_MAX) {
            u->more = 1; /* resume names the last module read */
            return;
        }
    }
}

static void health_table(strbuf *b)
{
    const struct conf *c = the_app->conf;
    if (c->nupstreams == 0) {
        strbuf_put(b, "<p class=\"muted\">No upstreams: this registry serves what it holds (mode offline).</p>");
        return;
    }
    strbuf_put(b, "<h2>Upstreams</h2><table><tr><th>Upstream</th><th>State</th><th>Requests</th><th>Failures</th>"
                  "<th>Failures in a row</th></tr>");
    for (size_t i = 0; i < c->nupstreams; ++i) {
        upstream_health h;
        upstream_health_of(&c->upstreams[i], &h);
        strbuf_put(b, "<tr><td>");
        html_text(b, c->upstreams[i].name);
        strbuf_put(b, "</td><td><span class=\"badge %s\">%s</span></td><td>%llu</td><td>%llu</td><td>%u</td></tr>",
                   h.open ? "bad" : "ok", h.open ? "down (circuit open)" : "up", (unsigned long long)h.requests,
                   (unsigned long long)h.failures, h.consecutive_failures);
    }
    strbuf_put(b, "</table>");
}

static void when(int64_t at, char *out, size_t len)
{
    time_t t = (time_t)at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static void module_link(strbuf *b, const char *module)
{
    char esc[MODPATH_MAX * 2 + 1];
    if (modpath_escape(module, esc, sizeof(esc), NULL, 0) != 0)
        esc[0] = '\0';
    strbuf_put(b, "<a href=\"/ui/module/");
    html_text(b, esc);
    strbuf_put(b, "\">");
    html_text(b, module);
    strbuf_put(b, "</a>");
}

static void home_render(ui_task *u, reqctx *rc, strbuf *b, const char *q)
{
    html_begin(b, q[0] != '\0' ? q : "Modules", q);
    strbuf_put(b, "<h1>%s</h1>", q[0] != '\0' ? "Search results" : "Modules");
    size_t shown = 0;
    for (size_t i = 0; i < u->nmods; ++i) {
        const ui_module *m = &u->mods[i];
        if (!auth_may_read(rc, m->module))
            continue;
        if (shown == PAGE_MODULES) { /* a full page: the next starts after its last */
            u->more = 1;
            snprintf(u->resume, sizeof(u->resume), "%s", u->mods[i - 1].module);
            break;
        }
        if (shown++ == 0)
            strbuf_put(b, "<table><tr><th>Module</th><th>Latest</th><th>Versions</th><th>Stored</th></tr>");
        char at[40];
        when(m->stored_at, at, sizeof(at));
        strbuf_put(b, "<tr><td>");
        module_link(b, m->module);
        strbuf_put(b, "%s</td><td><code>", namespace_mode(the_app->conf, "", m->module) == CONF_NS_PRIVATE
                                                ? " <span class=\"badge\">private</span>" : "");
        html_text(b, m->latest);
        strbuf_put(b, "</code></td><td>%zu</td><td>%s</td></tr>", m->versions, at);
    }
    if (shown > 0)
        strbuf_put(b, "</table>");
    else
        strbuf_put(b, "<p class=\"muted\">No module%s here.</p>", q[0] != '\0' ? " matches" : "s are stored");
    if (u->more) {
        strbuf_put(b, "<p><a rel=\"next\" href=\"/?q=");
        html_query(b, q);
        strbuf_put(b, "&amp;from=");
        html_query(b, u->resume);
        strbuf_put(b, "\">More modules…</a></p>");
    }
    health_table(b);
    html_end(b);
}

/* ---- a module's page ---- */

static int collect_version(void *arg, const char *version, int64_t stored_at)
{
    ui_task *u = arg;
    if (u->nvers == u->capvers) {
        size_t cap = u->capvers ? u->capvers * 2 : 32;
        ui_version *v = realloc(u->vers, cap * sizeof(*v));
        if (v == NULL)
            return u->oom = 1;
        u->vers = v;
        u->capvers = cap;
    }
    ui_version *v = &u->vers[u->nvers++];
    memset(v, 0, sizeof(*v));
    snprintf(v->version, sizeof(v->version), "%s", version);
    v->stored_at = stored_at;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    return semver_compare(((const ui_version *)b)->version, ((const ui_version *)a)->version);
}

static int note_publisher(void *arg, const char *version, const char *identity, int64_t at)
{
    ui_task *u = arg;
    for (size_t i = 0; i < u->nvers && i < VERSIONS_MAX; ++i)
        if (strcmp(u->vers[i].version, version) == 0) {
            snprintf(u->vers[i].published_by, sizeof(u->vers[i].published_by), "%s", identity);
            u->vers[i].published_at = at;
            break;
        }
    return 0;
}

static void module_work(task *t)
{
    ui_task *u = (ui_task *)t;
    u->st = storage_list(&the_app->store, u->module, collect_version, u, &u->err);
    if (u->st != STOA_OK || u->oom)
        return;
    if (u->nvers > 1) /* qsort of NULL is undefined, even for 0 */
        qsort(u->vers, u->nvers, sizeof(*u->vers), newest_first);
    for (size_t i = 0; i < u->nvers && i < VERSIONS_MAX; ++i) {
        ui_version *v = &u->vers[i];
        stoa_object o;
        stoa_error e;
        stoa_key zip = {u->module, v->version, STOA_KIND_ZIP}, mod = {u->module, v->version, STOA_KIND_MOD};
        if ((v->have_zip = storage_get(&the_app->store, &zip, STOA_GET_META_ONLY, &o, &e) == STOA_OK))
            v->zip = o.meta;
        if ((v->have_mod = storage_get(&the_app->store, &mod, STOA_GET_META_ONLY, &o, &e) == STOA_OK))
            v->mod = o.meta;
    }
    u->audit = audit_publishers(the_app->conf, u->module, note_publisher, u, u->audit_err, sizeof(u->audit_err));
    if (u->audit < 0)
        log_msg(STOA_LOG_WARN, "ui", "who published %s: %s", u->module, u->audit_err);
}

static void version_row(strbuf *b, const char *module, const ui_version *v)
{
    char at[40];
    when(v->stored_at, at, sizeof(at));
    const conf_namespace *block = namespace_blocked(the_app->conf, "", module, v->version);
    strbuf_put(b, "<tr><td><code>");
    html_text(b, v->version);
    strbuf_put(b, "</code>");
    if (block != NULL) {
        strbuf_put(b, " <span class=\"badge bad\" title=\"");
        html_text(b, namespace_reason(block));
        strbuf_put(b, "\">blocked</span>");
    }
    strbuf_put(b, "</td><td>%s</td><td>", at);
    html_text(b, v->have_zip ? v->zip.origin : v->have_mod ? v->mod.origin : "");
    if (v->published_by[0] != '\0') {
        strbuf_put(b, " by ");
        html_text(b, v->published_by);
    }
    if (v->have_zip)
        strbuf_put(b, "</td><td>%llu</td>", (unsigned long long)v->zip.size);
    else
        strbuf_put(b, "</td><td class=\"muted\">not cached</td>");
    strbuf_put(b, "<td><code>");
    html_text(b, v->have_zip ? v->zip.h1 : "");
    strbuf_put(b, "</code></td><td><code>");
    html_text(b, v->have_mod ? v->mod.h1 : "");
    strbuf_put(b, "</code></td></tr>");
}

static void module_render(ui_task *u, strbuf *b)
{
    html_begin(b, u->module, NULL);
    strbuf_put(b, "<h1><code>");
    html_text(b, u->module);
    strbuf_put(b, "</code></h1><p><code>go get ");
    html_text(b, u->module);
    strbuf_put(b, "@latest</code></p><table><tr><th>Version</th><th>Stored</th><th>Origin</th><th>Zip bytes</th>"
                  "<th>Zip h1</th><th>go.mod h1</th></tr>");
    for (size_t i = 0; i < u->nvers && i < VERSIONS_MAX; ++i)
        version_row(b, u->module, &u->vers[i]);
    strbuf_put(b, "</table>");
    if (u->audit < 0) /* the reason is in the log: it may name internal hosts */
        strbuf_put(b, "<p class=\"muted\">Who published: the audit trail cannot be read now.</p>");
    if (u->nvers > VERSIONS_MAX)
        strbuf_put(b, "<p class=\"muted\">%zu older versions not shown; <code>/%s/@v/list</code> lists them all.</p>",
                   u->nvers - VERSIONS_MAX, "&lt;module&gt;");
    html_end(b);
}

/* ---- the task ---- */

static void ui_send(reqctx *rc, int status, strbuf *b)
{
    size_t len;
    char *body = strbuf_take(b, &len);
    if (body == NULL)
        return http_send_text(rc, 503, "out of memory rendering the page");
    http_set_header(rc, "content-security-policy", HTML_CSP);
    http_set_header(rc, "x-content-type-options", "nosniff");
    http_send_body(rc, status, "text/html; charset=utf-8", "no-store", body, len);
    free(body);
}

static void ui_cont(task *t, reqctx *rc)
{
    ui_task *u = (ui_task *)t;
    if (u->st != STOA_OK)
        return http_send_error(rc, &u->err);
    if (u->oom)
        return http_send_text(rc, 503, "out of memory reading storage");
    strbuf b;
    strbuf_init(&b, 16384);
    if (u->type == ROUTE_UI_HOME) {
        char q[sizeof(u->q)] = "";
        http_query_param(rc->req, "q", q, sizeof(q));
        home_render(u, rc, &b, q);
        return ui_send(rc, 200, &b);
    }
    if (u->nvers == 0) {
        strbuf_free(&b);
        return http_send_text(rc, 404, "%s: nothing stored here", u->module);
    }
    module_render(u, &b);
    ui_send(rc, 200, &b);
}

static void ui_fini(task *t)
{
    ui_task *u = (ui_task *)t;
    for (size_t i = 0; u->mods != NULL && i < u->nmods; ++i)
        free(u->mods[i].module);
    free(u->mods);
    free(u->vers);
}

int handler_ui(reqctx *rc)
{
    route_type type = rc->r.type;
    if (type == ROUTE_UI_MODULE && !auth_may_read(rc, rc->r.module))
        return http_send_text(rc, 404, "%s: nothing stored here", rc->r.module), 0;
    char q[sizeof(((ui_task *)0)->q)] = "", from[sizeof(((ui_task *)0)->from)] = "";
    if (type == ROUTE_UI_HOME &&
        (http_query_param(rc->req, "q", q, sizeof(q)) < 0 || http_query_param(rc->req, "from", from, sizeof(from)) < 0))
        return http_send_text(rc, 400, "q (at most %zu bytes) and from must be well-formed percent-encoded text", sizeof(q) - 1), 0;
    ui_task *u = (ui_task *)task_new(rc, sizeof(*u), type == ROUTE_UI_HOME ? home_work : module_work, ui_cont, ui_fini);
    if (u == NULL)
        return http_send_text(rc, 503, "out of memory"), 0;
    u->type = type;
    u->st = STOA_OK;
    if (type == ROUTE_UI_HOME) {
        memcpy(u->q, q, sizeof(q));
        for (char *p = u->q; *p; ++p)
            *p = (char)tolower((unsigned char)*p);
        memcpy(u->from, from, sizeof(from));
    } else {
        snprintf(u->module, sizeof(u->module), "%s", rc->r.module);
    }
    task_submit(&u->t, POOL_WORK); /* as /catalog: a first listing may walk the store */
    return 0;
}
