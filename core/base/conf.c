/*
 * Configuration loading. One directive table per struct (top level, upstream,
 * sumdb, repository, namespace, auth plugin) drives the YAML walk, the STOA_*
 * environment overrides, and the reference in docs/configuration.md.
 */
#include "conf.h"

#include "mem.h"
#include "semrange.h"
#include "tlog.h"
#include "urlshow.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

typedef enum dtype {
    T_STR, T_BOOL, T_UINT, T_DURATION, T_SIZE, T_SIZE32, T_STRLIST, T_OPTIONS, T_LIST, T_MODE, T_FALL, T_NSMODE, T_LOGFMT, T_LOGLVL,
    T_SUMCHECK, T_REDIR,
} dtype;

typedef struct table table;

typedef struct directive {
    const char *path;     /* dotted key */
    dtype type;
    size_t off;           /* field offset in the table's struct */
    const table *elem;    /* T_LIST: element table */
    const char *help;
    const char *def;      /* the default, as YAML would spell it; NULL: none (zero, or derived in finish) */
    const char *live;     /* how a SIGHUP applies a change; NULL: it needs a restart */
} directive;

struct table {
    const directive *d;
    size_t n;
    size_t size;                      /* element size for lists */
    void (*init)(void *elem);         /* element defaults */
};

typedef struct errs {
    char *buf;
    size_t len, used;
    int count;
} errs;

static void err_add(errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err_add(errs *e, const char *fmt, ...)
{
    if (++e->count > 10 || e->used + 2 >= e->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        e->used += (size_t)n < e->len - e->used ? (size_t)n : e->len - e->used - 1;
    if (e->used + 1 < e->len) {
        e->buf[e->used++] = '\n';
        e->buf[e->used] = '\0';
    }
}

/* ---- element defaults ---- */

static void upstream_init(void *p);

static void zero_init(void *p)
{
    (void)p;
}

/* ---- tables ---- */

#define R(f) offsetof(conf_rule, f)
static const directive rule_d[] = {
    {"match", T_STR, R(match), NULL, "GOPRIVATE-style globs of the leading module path elements (the repository root)", NULL, NULL},
    {"url", T_STR, R(url), NULL, "repository URL template ({root} {host} {path})", NULL, NULL},
    {"subdir", T_STR, R(subdir), NULL, "directory of the root's module in the repository (tags are prefixed by it)", NULL, NULL},
    {"ssh_key", T_STR, R(ssh_key), NULL, "private key file for this rule's ssh repositories", NULL, NULL},
    {"known_hosts", T_STR, R(known_hosts), NULL, "OpenSSH known_hosts for this rule's ssh repositories", NULL, NULL},
    {"netrc", T_STR, R(netrc), NULL, "netrc-style credentials file for this rule's https repositories", NULL, NULL},
    {"token", T_STR, R(token), NULL, "https password or token for this rule (never logged)", NULL, NULL},
    {"user", T_STR, R(user), NULL, "https user name with token (git)", NULL, NULL},
};
#undef R
static const table rule_t = {rule_d, sizeof(rule_d) / sizeof(rule_d[0]), sizeof(conf_rule), zero_init};

/* The string form of a rule: "MATCH URL-TEMPLATE". */
static int rule_from_string(conf_rule *r, const char *s)
{
    size_t pl = strcspn(s, " \t");
    const char *url = s + pl + strspn(s + pl, " \t");
    if (pl == 0 || *url == '\0')
        return -1;
    r->url = mem_strdup(url);
    r->match = mem_strdup(s);
    r->match[pl] = '\0';
    return 0;
}

#define U(f) offsetof(conf_upstream, f)
static const directive upstream_d[] = {
    {"name", T_STR, U(name), NULL, "name shown in logs, metrics and errors (default: the URL's host)", NULL, NULL},
    {"url", T_STR, U(url), NULL, "GOPROXY base URL, http(s)://[user:pass@]host[:port][/path], no query; logs and errors show it without user info", NULL, NULL},
    {"fallthrough", T_FALL, U(fallthrough), NULL, "on_not_found (like GOPROXY ',') or on_any_error (like '|')", "on_not_found", NULL},
    {"backup", T_BOOL, U(backup), NULL, "used only while every primary's circuit is open", NULL, NULL},
    {"redirects", T_REDIR, U(redirects), NULL,
     "same_origin | any | none: which redirects are followed; never to internal addresses unless the upstream is there",
     "same_origin", NULL},
    {"timeout.connect", T_DURATION, U(connect_ms), NULL, "TCP+TLS connect timeout", "5s", NULL},
    {"timeout.first_byte", T_DURATION, U(first_byte_ms), NULL, "time to the first body byte", "30s", NULL},
    {"timeout.total", T_DURATION, U(total_ms), NULL, "whole transfer", "10m", NULL},
    {"timeout.metadata", T_DURATION, U(metadata_ms), NULL,
     "whole transfer of anything but a .zip (.info, .mod, list, @latest; 0: as timeout.total)",
     "1m", NULL},
    {"timeout.stall", T_DURATION, U(stall_ms), NULL, "no bytes, or under timeout.min_rate, for this long aborts", "30s", NULL},
    {"timeout.min_rate", T_SIZE32, U(min_rate), NULL,
     "bytes per second each timeout.stall window must average, .zip included (raise it so a slow zip cannot hold a fill worker for timeout.total)",
     "1KiB", NULL},
    {"retries", T_UINT, U(retries), NULL, "extra attempts on transient failures", "1", NULL},
    {"max_fails", T_UINT, U(max_fails), NULL, "consecutive failures that open the circuit", "3", NULL},
    {"fail_timeout", T_DURATION, U(fail_timeout_ms), NULL, "how long an open circuit is skipped", "30s", NULL},
    {"probe_interval", T_DURATION, U(probe_interval_ms), NULL, "how often an open circuit is probed", "5s", NULL},
    {"direct", T_BOOL, U(direct), NULL, "the module's own git repository instead of a GOPROXY (no url)", NULL, NULL},
    {"rules", T_LIST, U(rules), &rule_t, "direct: 'MATCH URL-TEMPLATE' or {match, url, ...}, first match wins", NULL, NULL},
    {"insecure", T_STR, U(insecure), NULL, "direct: GOINSECURE-style patterns allowed plain http or unverified TLS", NULL, NULL},
    {"private_hosts", T_STR, U(private_hosts), NULL, "direct: hosts allowed to resolve to loopback/private addresses", NULL, NULL},
    {"mirror_dir", T_STR, U(mirror_dir), NULL, "direct: where bare git mirrors live (<data root>/git)", NULL, NULL},
    {"netrc", T_STR, U(netrc), NULL, "direct: netrc-style credentials file for https repositories", NULL, NULL},
    {"ssh_key", T_STR, U(ssh_key), NULL, "direct: private key file for ssh repositories", NULL, NULL},
    {"known_hosts", T_STR, U(known_hosts), NULL,
     "direct: OpenSSH known_hosts file; ssh host keys not in it are refused (strict)", NULL, NULL},
    {"max_fetch", T_SIZE, U(max_fetch), NULL, "direct: bytes one git fetch may receive", "1GiB", NULL},
};
#undef U
static const table upstream_t = {upstream_d, sizeof(upstream_d) / sizeof(upstream_d[0]), sizeof(conf_upstream),
                                 upstream_init};

static const directive sumdb_d[] = {
    {"name", T_STR, offsetof(conf_sumdb, name), NULL, "database name as clients use it (sum.golang.org)", NULL, NULL},
    {"url", T_STR, offsetof(conf_sumdb, url), NULL, "where it is served", NULL, NULL},
    {"key", T_STR, offsetof(conf_sumdb, key), NULL, "verifier key name+hash+keydata", NULL, NULL},
};
static const table sumdb_t = {sumdb_d, 3, sizeof(conf_sumdb), zero_init};

static void repo_init(void *p)
{
    conf_repo *r = p;
    r->require_read = r->require_publish = r->require_admin = -1;
}

static const directive repo_d[] = {
    {"name", T_STR, offsetof(conf_repo, name), NULL, "served under /api/go/<name>/", NULL, NULL},
    {"require.read", T_BOOL, offsetof(conf_repo, require_read), NULL, "reads here need an allow (auth.require.read)", NULL, NULL},
    {"require.publish", T_BOOL, offsetof(conf_repo, require_publish), NULL,
     "publishes here need an allow (auth.require.publish)", NULL, NULL},
    {"require.admin", T_BOOL, offsetof(conf_repo, require_admin), NULL, "admin here needs an allow (auth.require.admin)", NULL, NULL},
};
static const table repo_t = {repo_d, 4, sizeof(conf_repo), repo_init};

static const directive ns_d[] = {
    {"pattern", T_STR, offsetof(conf_namespace, pattern), NULL, "GOPRIVATE-style comma-separated globs", NULL, NULL},
    {"mode", T_NSMODE, offsetof(conf_namespace, mode), NULL, "proxy | private | deny", NULL, NULL},
    {"reason", T_STR, offsetof(conf_namespace, reason), NULL, "shown to clients for deny", NULL, NULL},
    {"versions", T_STR, offsetof(conf_namespace, versions), NULL,
     "deny only these versions, e.g. \">=v1.2.0 <v1.2.4 || v1.5.0\" (listed versions are hidden too)", NULL, NULL},
    {"upstreams", T_STRLIST, offsetof(conf_namespace, upstreams), NULL,
     "private rules: upstreams (by name, e.g. a direct git origin) that fill versions not published", NULL, NULL},
    {"repo", T_STR, offsetof(conf_namespace, repo), NULL, "only under /api/go/<repo>/", NULL, NULL},
    {"require.read", T_BOOL, offsetof(conf_namespace, require_read), NULL,
     "reads of these modules need an allow on every base (true for private rules, else false)", NULL, NULL},
};
static void ns_init(void *p)
{
    ((conf_namespace *)p)->require_read = -1;
}
static const table ns_t = {ns_d, 7, sizeof(conf_namespace), ns_init};

static const directive plugin_d[] = {
    {"plugin", T_STR, offsetof(conf_plugin, plugin), NULL, "plugin name (file <plugin_dir>/<name>.so)", NULL, NULL},
    {"options", T_OPTIONS, offsetof(conf_plugin, options), NULL, "plugin options", NULL, "the plugin's reload method"},
};
static const table plugin_t = {plugin_d, 2, sizeof(conf_plugin), zero_init};

#define C(f) offsetof(struct conf, f)
static const directive top_d[] = {
    {"listen", T_STRLIST, C(listen), NULL, "addresses host:port or [v6]:port", "127.0.0.1:3000", NULL},
    {"tls.cert", T_STR, C(tls_cert), NULL, "PEM certificate chain; TLS is on when cert and key are set", NULL, NULL},
    {"tls.key", T_STR, C(tls_key), NULL, "PEM private key", NULL, NULL},
    {"tls.plain_listen", T_STRLIST, C(tls_plain_listen), NULL,
     "plain-HTTP addresses beside the TLS ones, for /healthz, /readyz, /version and /metrics only", NULL, NULL},
    {"tls.redirect", T_BOOL, C(tls_redirect), NULL,
     "a plain listener answers other paths with 308 to https (false: 403)", "true", "the next request"},
    {"http2", T_BOOL, C(http2), NULL,
     "offer HTTP/2 (h2 over TLS, h2c in the clear); its request bodies are read before auth (h2o 2.2.5), "
     "HTTP/1.1's are refused from the head when the request is (docs/auth.md)", "false", NULL},
    {"threads", T_UINT, C(threads), NULL, "event-loop threads (0 = one per core)", NULL, NULL},
    {"workers", T_UINT, C(workers), NULL, "threads for blocking work in each lane: fills, checksum database, other work (max(4, 2 x threads))", NULL, NULL},
    {"plugin_dir", T_STR, C(plugin_dir), NULL, "where plugins are loaded from (<binary dir>/plugins)", NULL, NULL},
    {"tmp_dir", T_STR, C(tmp_dir), NULL, "staging area (<data root>/tmp)", NULL, NULL},
    {"mode", T_MODE, C(offline), NULL, "online | offline (never contact upstreams)", "online", "the next request"},
    {"fail_status", T_UINT, C(fail_status), NULL, "status when no upstream can serve: 404 or 502", "404", "the next request"},
    {"limits.max_body", T_SIZE, C(max_body), NULL, "largest publish body", "512MiB", NULL},
    {"limits.max_header", T_SIZE32, C(max_header), NULL, "largest request header block", "16KiB", NULL},
    {"limits.send_timeout", T_DURATION, C(send_timeout_ms), NULL,
     "a client that takes no response bytes for this long is disconnected (0 = never)", "60s", NULL},
    {"limits.request_timeout", T_DURATION, C(request_timeout_ms), NULL,
     "HTTP/1.1: time to receive a whole request, body included (512 MiB at 3 MB/s takes 3 min; 0 = a day)", "5m", NULL},
    {"limits.queue", T_UINT, C(max_queued), NULL,
     "jobs that may wait for a worker in each lane (fills, checksum database, other work); beyond it 503 with "
     "Retry-After (0 = no bound)", "1024", "the next request"},
    {"limits.fills_per_client", T_UINT, C(fills_per_client), NULL,
     "upstream fetches one client address may have started and not finished; beyond it 503 with Retry-After "
     "(0 = no bound)", "256", "the next request"},
    {"limits.h2_cancels", T_UINT, C(h2_cancels), NULL,
     "HTTP/2: requests a connection may cancel while their work is pending, per 10 s, before it is closed "
     "(rapid reset, CVE-2023-44487; 0 = no bound)", "200", "the next request"},
    {"shutdown_timeout", T_DURATION, C(shutdown_timeout_ms), NULL, "SIGTERM: time in-flight requests get to finish", "30s", NULL},
    {"storage.plugin", T_STR, C(storage.plugin), NULL, "disk | pgs3", "disk", NULL},
    {"storage.options", T_OPTIONS, C(storage.options), NULL, "storage plugin options", NULL, NULL},
    {"upstreams", T_LIST, C(upstreams), &upstream_t, "ordered upstream chain", NULL, "the next fill (health kept per upstream name)"},
    {"sumdbs", T_LIST, C(sumdbs), &sumdb_t, "checksum databases proxied under /sumdb/", NULL, "the next request"},
    {"cache.list_ttl", T_DURATION, C(list_ttl_ms), NULL, "freshness of list and @latest", "60s", "the next request"},
    {"cache.max_size", T_SIZE, C(cache_max_size), NULL, "limit on proxied bytes (versions, lists and @latest, checksum tiles), LRU-evicted; published versions are kept (0 = none)", "0", "the evictor's next round"},
    {"cache.evict_interval", T_DURATION, C(evict_interval_ms), NULL, "how often the cache limit is enforced", "60s", "the evictor, at once"},
    {"repositories", T_LIST, C(repos), &repo_t, "JFrog-style bases /api/go/<name>/", NULL, "the next request"},
    {"namespaces", T_LIST, C(namespaces), &ns_t, "first match wins; unmatched modules are proxied", NULL, "the next request"},
    {"nosumdb", T_STR, C(nosumdb), NULL, "GONOSUMDB-style patterns exempt from checksum checks", NULL, "the next request"},
    {"sumdb_check", T_SUMCHECK, C(sumdb_check), NULL,
     "lenient | strict | off: check fetched modules against the first sumdb with a key", "lenient", "the next request"},
    {"sumdb_recheck", T_DURATION, C(sumdb_recheck_ms), NULL,
     "lenient: how often versions cached unverified are re-checked (0 = never)", "5m", "the re-check's next round"},
    {"sumdb_unverified_max", T_UINT, C(sumdb_unverified_max), NULL,
     "lenient: fills cached unverified in any 60 s; past it they are refused (0 = no bound)", "20",
     "the next request"},
    {"quarantine_dir", T_STR, C(quarantine_dir), NULL, "copies of cached files a re-check found wrong (<data root>/quarantine)", NULL, "the re-check's next round"},
    {"auth.require.read", T_BOOL, C(require_read), NULL, "reads need an allow", "false", "the next request"},
    {"auth.require.publish", T_BOOL, C(require_publish), NULL, "publishes need an allow", "true", "the next request"},
    {"auth.require.admin", T_BOOL, C(require_admin), NULL, "admin operations need an allow", "true", "the next request"},
    {"auth.require.health", T_BOOL, C(require_health), NULL, "/healthz, /readyz, /version need an allow", "false", "the next request"},
    {"auth.require.metrics", T_BOOL, C(require_metrics), NULL, "/metrics needs an allow", "false", "the next request"},
    {"auth.throttle.failures", T_UINT, C(throttle_failures), NULL,
     "failed authentications per address and window before 429 (0 = off)", "10", "the next request"},
    {"auth.throttle.window", T_DURATION, C(throttle_window_ms), NULL, "counting window and block time", "60s", "the next request"},
    {"auth.plugins", T_LIST, C(auth), &plugin_t, "auth chain, in order", NULL, NULL},
    {"audit.sink", T_STR, C(audit_sink), NULL, "file | postgres | none", "file", NULL},
    {"audit.path", T_STR, C(audit_path), NULL, "JSON lines file for the file sink (<data root>/audit.jsonl)", NULL, NULL},
    {"audit.dsn", T_STR, C(audit_dsn), NULL, "PostgreSQL for the postgres sink (storage.options.dsn)", NULL, NULL},
    {"audit.spool", T_STR, C(audit_spool), NULL, "events waiting for the sink (<data root>/audit-spool.jsonl)", NULL, NULL},
    {"audit.batch", T_UINT, C(audit_batch), NULL, "events per write, 1..5000", "500", NULL},
    {"audit.interval", T_DURATION, C(audit_interval_ms), NULL, "longest wait before queued events are written", "500ms", NULL},
    {"audit.queue", T_UINT, C(audit_queue), NULL, "events held in memory before new ones are dropped", "65536", NULL},
    {"readyz.strict", T_BOOL, C(readyz_strict), NULL,
     "/readyz answers 503 whenever storage is down (default: 200 degraded once storage has been ready)", "false",
     "the next request"},
    {"log.format", T_LOGFMT, C(log_format), NULL, "text | json", "text", NULL},
    {"log.level", T_LOGLVL, C(log_level), NULL, "error | warn | info | debug", "info", NULL},
};
#undef C
static const table top_t = {top_d, sizeof(top_d) / sizeof(top_d[0]), sizeof(struct conf), zero_init};

/* ---- scalar setters ---- */

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_scaled(const char *s, const char *const *units, const uint64_t *mult, size_t nunits, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    for (size_t i = 0; i < nunits; ++i) {
        if (strcmp(end, units[i]) == 0) {
            if (mult[i] != 0 && v > UINT64_MAX / mult[i])
                return -1;
            *out = v * mult[i];
            return 0;
        }
    }
    return -1;
}

int conf_parse_duration(const char *s, uint64_t *ms)
{
    static const char *const u[] = {"", "ms", "s", "m", "h", "d"};
    static const uint64_t m[] = {1000, 1, 1000, 60000, 3600000, 86400000};
    return parse_scaled(s, u, m, 6, ms);
}

int conf_parse_size(const char *s, uint64_t *bytes)
{
    static const char *const u[] = {"", "B", "K", "KB", "KiB", "M", "MB", "MiB", "G", "GB", "GiB", "T", "TiB"};
    static const uint64_t m[] = {1, 1, 1024, 1000, 1024, 1 << 20, 1000000, 1 << 20, 1ull << 30, 1000000000ull,
                                 1ull << 30, 1ull << 40, 1ull << 40};
    return parse_scaled(s, u, m, 13, bytes);
}

static int parse_enum(const char *s, const char *const *names, int *out)
{
    for (int i = 0; names[i] != NULL; ++i)
        if (strcmp(s, names[i]) == 0)
            return *out = i, 0;
    return -1;
}

static const char *const mode_names[] = {"online", "offline", NULL};
static const char *const fall_names[] = {"on_not_found", "on_any_error", NULL};
static const char *const ns_names[] = {"proxy", "private", "deny", NULL};
static const char *const fmt_names[] = {"text", "json", NULL};
static const char *const lvl_names[] = {"error", "warn", "info", "debug", NULL};
static const char *const sumcheck_names[] = {"lenient", "strict", "off", NULL};
static const char *const redir_names[] = {"same_origin", "any", "none", NULL};
static const char *const bool_true[] = {"true", "yes", "on", "1", NULL};
static const char *const bool_false[] = {"false", "no", "off", "0", NULL};

static const char *const *enum_names(dtype t)
{
    switch (t) {
    case T_MODE: return mode_names;
    case T_FALL: return fall_names;
    case T_NSMODE: return ns_names;
    case T_LOGFMT: return fmt_names;
    case T_LOGLVL: return lvl_names;
    case T_SUMCHECK: return sumcheck_names;
    case T_REDIR: return redir_names;
    default: return NULL;
    }
}

static void describe_enum(const char *const *names, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; names[i] != NULL && n < len; ++i)
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " or " : "", names[i]);
}

/* Sets a scalar directive from text; returns an error description or NULL. */
static const char *set_scalar(const directive *d, void *base, const char *v, char *buf, size_t blen)
{
    char *field = (char *)base + d->off;
    uint64_t u;
    int e;
    switch (d->type) {
    case T_STR:
        free(*(char **)field);
        *(char **)field = mem_strdup(v);
        return NULL;
    case T_BOOL:
        if (parse_enum(v, bool_true, &e) == 0)
            return *(int *)field = 1, NULL;
        if (parse_enum(v, bool_false, &e) == 0)
            return *(int *)field = 0, NULL;
        return "expected true or false";
    case T_UINT:
        if (parse_uint(v, UINT32_MAX, &u) != 0)
            return "expected a non-negative integer";
        return *(uint32_t *)field = (uint32_t)u, NULL;
    case T_DURATION:
        if (conf_parse_duration(v, &u) != 0 || u > UINT32_MAX)
            return "expected a duration like 500ms, 30s, 2m, 1h";
        return *(uint32_t *)field = (uint32_t)u, NULL;
    case T_SIZE:
    case T_SIZE32:
        if (conf_parse_size(v, &u) != 0)
            return "expected a size like 16KiB, 512MiB, 1GiB";
        if (d->type == T_SIZE32 && u > UINT32_MAX)
            return "too large";
        if (d->type == T_SIZE32)
            return *(uint32_t *)field = (uint32_t)u, NULL;
        return *(uint64_t *)field = u, NULL;
    default:
        if (enum_names(d->type) != NULL) {
            if (parse_enum(v, enum_names(d->type), &e) == 0)
                return *(int *)field = e, NULL;
            char names[128];
            describe_enum(enum_names(d->type), names, sizeof(names));
            snprintf(buf, blen, "expected %s", names);
            return buf;
        }
        return "expected a mapping or list, not a single value";
    }
}

/* ---- lists ---- */

typedef struct list {
    void *items;
    size_t n;
} list;

static void *list_append(list *l, const table *t)
{
    char *items = mem_realloc(l->items, (l->n + 1) * t->size);
    l->items = items;
    void *e = items + l->n * t->size;
    memset(e, 0, t->size);
    t->init(e);
    l->n++;
    return e;
}

static void free_struct(const table *t, void *base);

static void list_clear(list *l, const table *t)
{
    for (size_t i = 0; i < l->n; ++i)
        free_struct(t, (char *)l->items + i * t->size);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void strlist_clear(list *l)
{
    for (size_t i = 0; i < l->n; ++i)
        free(((char **)l->items)[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int strlist_add(list *l, const char *v)
{
    char **items = mem_realloc(l->items, (l->n + 1) * sizeof(char *));
    l->items = items;
    items[l->n++] = mem_strdup(v);
    return 0;
}

static void options_clear(list *l)
{
    conf_kv *kv = l->items;
    for (size_t i = 0; i < l->n; ++i) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
    l->items = NULL;
    l->n = 0;
}

static int option_add(list *l, const char *key, const char *value)
{
    conf_kv *kv = mem_realloc(l->items, (l->n + 1) * sizeof(conf_kv));
    l->items = kv;
    kv[l->n].key = mem_strdup(key);
    kv[l->n].value = mem_strdup(value);
    l->n++;
    return 0;
}

static void free_struct(const table *t, void *base)
{
    for (size_t i = 0; i < t->n; ++i) {
        const directive *d = &t->d[i];
        void *field = (char *)base + d->off;
        if (d->type == T_STR)
            free(*(char **)field), *(char **)field = NULL;
        else if (d->type == T_STRLIST)
            strlist_clear(field);
        else if (d->type == T_OPTIONS)
            options_clear(field);
        else if (d->type == T_LIST)
            list_clear(field, d->elem);
    }
}

/* ---- YAML walk ---- */

typedef struct walk {
    yaml_document_t *doc;
    const char *file;
    errs *e;
} walk;

static unsigned line_of(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; ++j)
        prev[j] = j;
    for (size_t i = 1; i <= la; ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; ++j) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

static const char *suggest(const table *t, const char *path)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < t->n; ++i) {
        size_t d = edit_distance(path, t->d[i].path);
        if (d < bd)
            bd = d, best = t->d[i].path;
    }
    return best;
}

static const directive *find(const table *t, const char *path)
{
    for (size_t i = 0; i < t->n; ++i)
        if (strcmp(t->d[i].path, path) == 0)
            return &t->d[i];
    return NULL;
}

static int is_prefix(const table *t, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < t->n; ++i)
        if (strncmp(t->d[i].path, path, n) == 0 && t->d[i].path[n] == '.')
            return 1;
    return 0;
}

static void walk_map(walk *w, yaml_node_t *node, const char *prefix, const table *t, void *base, const char *where);

static void flatten_options(walk *w, yaml_node_t *node, const char *prefix, list *l, const char *where)
{
    if (node->type == YAML_SCALAR_NODE) {
        option_add(l, prefix, scalar(node));
    } else if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; ++it)
            flatten_options(w, yaml_document_get_node(w->doc, *it), prefix, l, where);
    } else if (node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
            const char *k = scalar(yaml_document_get_node(w->doc, p->key));
            char path[256];
            if (k == NULL)
                continue;
            snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k);
            flatten_options(w, yaml_document_get_node(w->doc, p->value), path, l, where);
        }
    }
}

static void set_node(walk *w, const directive *d, yaml_node_t *v, void *base, const char *where)
{
    void *field = (char *)base + d->off;
    char buf[256];
    if (d->type == T_LIST) {
        if (v->type != YAML_SEQUENCE_NODE) {
            err_add(w->e, "%s:%u: %s: expected a list", w->file, line_of(v), where);
            return;
        }
        list_clear(field, d->elem); /* a list in the file replaces the default */
        size_t i = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; ++it, ++i) {
            yaml_node_t *item = yaml_document_get_node(w->doc, *it);
            void *e = list_append(field, d->elem);
            char w2[400];
            snprintf(w2, sizeof(w2), "%s[%zu]", where, i);
            if (d->elem == &rule_t && item->type == YAML_SCALAR_NODE) {
                if (rule_from_string(e, scalar(item)) != 0)
                    err_add(w->e, "%s:%u: %s: expected 'MATCH URL-TEMPLATE'", w->file, line_of(item), w2);
            } else if (item->type != YAML_MAPPING_NODE)
                err_add(w->e, "%s:%u: %s: expected a mapping", w->file, line_of(item), w2);
            else if (e != NULL)
                walk_map(w, item, "", d->elem, e, w2);
        }
    } else if (d->type == T_OPTIONS) {
        options_clear(field);
        if (v->type != YAML_MAPPING_NODE)
            err_add(w->e, "%s:%u: %s: expected a mapping of options", w->file, line_of(v), where);
        else
            flatten_options(w, v, "", field, where);
    } else if (d->type == T_STRLIST) {
        strlist_clear(field);
        if (v->type == YAML_SCALAR_NODE) {
            strlist_add(field, scalar(v));
        } else if (v->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; ++it) {
                const char *s = scalar(yaml_document_get_node(w->doc, *it));
                if (s == NULL)
                    err_add(w->e, "%s:%u: %s: expected strings", w->file, line_of(v), where);
                else
                    strlist_add(field, s);
            }
        } else {
            err_add(w->e, "%s:%u: %s: expected a string or a list of strings", w->file, line_of(v), where);
        }
    } else if (v->type != YAML_SCALAR_NODE) {
        err_add(w->e, "%s:%u: %s: expected a single value", w->file, line_of(v), where);
    } else {
        const char *why = set_scalar(d, base, scalar(v), buf, sizeof(buf));
        if (why != NULL)
            err_add(w->e, "%s:%u: %s: %s, got '%s'", w->file, line_of(v), where, why, scalar(v));
    }
}

static void walk_map(walk *w, yaml_node_t *node, const char *prefix, const table *t, void *base, const char *where)
{
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key), *v = yaml_document_get_node(w->doc, p->value);
        const char *key = scalar(k);
        char path[256], w2[340];
        if (key == NULL) {
            err_add(w->e, "%s:%u: keys must be plain strings", w->file, line_of(k));
            continue;
        }
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        snprintf(w2, sizeof(w2), "%s%s%s", where, *where ? "." : "", key);
        const directive *d = find(t, path);
        if (d != NULL) {
            set_node(w, d, v, base, w2);
        } else if (is_prefix(t, path) && v->type == YAML_MAPPING_NODE) {
            walk_map(w, v, path, t, base, w2);
        } else {
            const char *s = suggest(t, path);
            err_add(w->e, "%s:%u: unknown key '%s'%s%s%s", w->file, line_of(k), w2, s ? " (did you mean '" : "",
                    s ? s : "", s ? "'?)" : "");
        }
    }
}

static int load_yaml(struct conf *c, const char *name, const char *text, size_t len, errs *e)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return err_add(e, "%s: out of memory", name), -1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        err_add(e, "%s:%zu:%zu: YAML syntax error: %s", name, parser.problem_mark.line + 1,
                parser.problem_mark.column + 1, parser.problem ? parser.problem : "unknown");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root != NULL && root->type == YAML_MAPPING_NODE) {
        walk w = {&doc, name, e};
        walk_map(&w, root, "", &top_t, c, "");
    } else if (root != NULL && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
        err_add(e, "%s:%u: the configuration must be a mapping of keys", name, line_of(root));
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return 0;
}

/* ---- environment ---- */

static void env_name(const char *path, char *out, size_t len)
{
    size_t i = 0;
    for (; path[i] && i + 1 < len; ++i)
        out[i] = path[i] == '.' ? '_' : (char)toupper((unsigned char)path[i]);
    out[i] = '\0';
}

static int env_ignored(const char *name)
{
    static const char *const exact[] = {"BIN", "SRC", "BUILD", "CONFIG", "TOKEN", "URL", "CLIENT_STALL", "SANITIZE", NULL};
    static const char *const prefixes[] = {"TEST_", "DISK_", "PGS3_", "FAULT_", NULL};
    for (int i = 0; exact[i]; ++i)
        if (strcmp(name, exact[i]) == 0)
            return 1;
    for (int i = 0; prefixes[i]; ++i)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* STOA_STORAGE_OPTIONS_S3__ACCESS_KEY → "s3.access_key" */
static void option_key(const char *rest, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; rest[i] && o + 1 < len; ++i) {
        if (rest[i] == '_' && rest[i + 1] == '_') {
            out[o++] = '.';
            ++i;
        } else {
            out[o++] = (char)tolower((unsigned char)rest[i]);
        }
    }
    out[o] = '\0';
}

static int env_apply(const table *t, void *base, const char *name, const char *value, const char *var, errs *e);

static int env_list(const directive *d, void *field, const char *rest, const char *value, const char *var, errs *e)
{
    char *end;
    if (!isdigit((unsigned char)rest[0]))
        return 0;
    unsigned long idx = strtoul(rest, &end, 10);
    if (*end != '_')
        return 0;
    list *l = field;
    if (idx > l->n) {
        err_add(e, "%s: index %lu skips elements (the list has %zu)", var, idx, l->n);
        return 1;
    }
    void *elem = idx == l->n ? list_append(l, d->elem) : (char *)l->items + idx * d->elem->size;
    if (elem != NULL && !env_apply(d->elem, elem, end + 1, value, var, e))
        err_add(e, "%s: unknown setting '%s' for %s", var, end + 1, d->path);
    return 1;
}

static int env_apply(const table *t, void *base, const char *name, const char *value, const char *var, errs *e)
{
    char ename[128], buf[256];
    for (size_t i = 0; i < t->n; ++i) {
        const directive *d = &t->d[i];
        void *field = (char *)base + d->off;
        env_name(d->path, ename, sizeof(ename));
        size_t el = strlen(ename);
        if ((d->type == T_OPTIONS || d->type == T_LIST) && strncmp(name, ename, el) == 0 && name[el] == '_') {
            if (d->type == T_LIST)
                return env_list(d, field, name + el + 1, value, var, e);
            char key[128];
            option_key(name + el + 1, key, sizeof(key));
            option_add(field, key, value);
            return 1;
        }
        if (strcmp(name, ename) != 0)
            continue;
        if (d->type == T_STRLIST) {
            strlist_clear(field);
            char *copy = mem_strdup(value), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
                if (*tok)
                    strlist_add(field, tok);
            free(copy);
            return 1;
        }
        const char *why = set_scalar(d, base, value, buf, sizeof(buf));
        if (why != NULL)
            err_add(e, "%s: %s, got '%s'", var, why, value);
        return 1;
    }
    return 0;
}

static void apply_env(struct conf *c, char *const *env, errs *e)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; ++i) {
        const char *kv = env[i], *eq = strchr(kv, '=');
        if (strncmp(kv, "STOA_", 5) != 0 || eq == NULL)
            continue;
        char name[256], var[256];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - kv - 5), kv + 5);
        snprintf(var, sizeof(var), "%.*s", (int)(eq - kv), kv);
        if (env_ignored(name) || env_apply(&top_t, c, name, eq + 1, var, e))
            continue;
        char lower[256];
        size_t j = 0;
        for (; name[j] && j + 1 < sizeof(lower); ++j)
            lower[j] = name[j] == '_' ? '.' : (char)tolower((unsigned char)name[j]);
        lower[j] = '\0';
        const char *s = suggest(&top_t, lower);
        char hint[160] = "";
        if (s != NULL) {
            char en[128];
            env_name(s, en, sizeof(en));
            snprintf(hint, sizeof(hint), " (did you mean STOA_%s?)", en);
        }
        err_add(e, "%s: not a configuration setting%s", var, hint);
    }
}

/* ---- defaults and checks ---- */

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = v != NULL ? mem_strdup(v) : NULL;
}

/* Every row's default, from the table: the one place a default is written. */
static void table_defaults(const table *t, void *base)
{
    char buf[128];
    for (size_t i = 0; i < t->n; ++i) {
        const directive *d = &t->d[i];
        if (d->def == NULL)
            continue;
        if (d->type == T_STRLIST)
            strlist_add((list *)((char *)base + d->off), d->def);
        else if (set_scalar(d, base, d->def, buf, sizeof(buf)) != NULL)
            abort(); /* a default the table's own parser refuses: a bug in the table */
    }
}

static void upstream_init(void *p)
{
    memset(p, 0, sizeof(conf_upstream));
    table_defaults(&upstream_t, p);
}

/* The defaults no row can say: the lists' first elements. */
static void defaults(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    table_defaults(&top_t, c); /* storage.plugin disk: its default root is added in finish(), for disk only */
    conf_upstream *u = list_append((list *)&c->upstreams, &upstream_t);
    set_str(&u->name, "golang");
    set_str(&u->url, "https://proxy.golang.org");
    conf_sumdb *s = list_append((list *)&c->sumdbs, &sumdb_t);
    set_str(&s->name, "sum.golang.org");
    set_str(&s->url, "https://sum.golang.org");
    set_str(&s->key, "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8");
    conf_namespace *ns = list_append((list *)&c->namespaces, &ns_t);
    set_str(&ns->pattern, "*");
}

/* ---- what a SIGHUP may change ---- */

static int same_str(const char *x, const char *y)
{
    return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static int same_field(const directive *d, const void *ob, const void *nb)
{
    const char *o = (const char *)ob + d->off, *n = (const char *)nb + d->off;
    switch (d->type) {
    case T_STR: return same_str(*(char *const *)o, *(char *const *)n);
    case T_SIZE: return *(const uint64_t *)o == *(const uint64_t *)n;
    case T_STRLIST: {
        const list *x = (const list *)o, *y = (const list *)n;
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; ++i)
            if (!same_str(((char **)x->items)[i], ((char **)y->items)[i]))
                return 0;
        return 1;
    }
    case T_OPTIONS: {
        const list *x = (const list *)o, *y = (const list *)n;
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; ++i) {
            const conf_kv *a = &((conf_kv *)x->items)[i], *b = &((conf_kv *)y->items)[i];
            if (!same_str(a->key, b->key) || !same_str(a->value, b->value))
                return 0;
        }
        return 1;
    }
    case T_LIST: return 0; /* compared element by element in restart_diff */
    default: return *(const uint32_t *)o == *(const uint32_t *)n; /* bools, counts, durations, enums, T_SIZE32 */
    }
}

/* 1 when a field of t that needs a restart differs; appends its key to out unless
 * out is NULL (list elements report their list's key). */
static int restart_diff(const table *t, const void *ob, const void *nb, char *out, size_t len)
{
    int any = 0;
    for (size_t i = 0; i < t->n; ++i) {
        const directive *d = &t->d[i];
        if (d->live != NULL)
            continue;
        int differs;
        if (d->type == T_LIST) {
            const list *x = (const list *)((const char *)ob + d->off), *y = (const list *)((const char *)nb + d->off);
            differs = x->n != y->n;
            for (size_t k = 0; !differs && k < x->n; ++k)
                differs = restart_diff(d->elem, (const char *)x->items + k * d->elem->size,
                                       (const char *)y->items + k * d->elem->size, NULL, 0);
        } else
            differs = !same_field(d, ob, nb);
        if (differs && out != NULL) {
            size_t used = strlen(out);
            snprintf(out + used, len - used, "%s%s", used ? ", " : "", d->path);
        }
        any |= differs;
    }
    return any;
}

void conf_restart_changes(const struct conf *o, const struct conf *n, char *out, size_t len)
{
    out[0] = '\0';
    restart_diff(&top_t, o, n, out, len);
}

/* A verifier key that cannot verify anything would refuse every fill at run time. */
static void check_sumdb_key(errs *e, size_t i, const conf_sumdb *db)
{
    tlog_key k;
    char why[160];
    if (tlog_parse_key(db->key, &k, why, sizeof(why)) != 0)
        err_add(e, "sumdbs[%zu].key: %s", i, why);
    else if (strcmp(k.name, db->name) != 0)
        err_add(e, "sumdbs[%zu].key: the key is for %s, not %s", i, k.name, db->name);
}

/* A name as GOSUMDB spells it: "sum.golang.org", "localhost.localdev/sumdb". It becomes
 * part of URLs and storage keys, so nothing else is let through. */
static int valid_sumdb_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//") != NULL || strstr(s, "/.") != NULL ||
        s[0] == '.')
        return 0;
    for (; *s; ++s)
        if (!isalnum((unsigned char)*s) && strchr(".-_/", *s) == NULL)
            return 0;
    return 1;
}

static int valid_listen(const char *s)
{
    const char *colon = strrchr(s, ':');
    uint64_t port;
    if (colon == NULL || colon == s || parse_uint(colon + 1, 65535, &port) != 0)
        return 0;
    return s[0] != '[' || colon[-1] == ']';
}

/* An upstream's default name: its host, never its user info (which may be a token). */
static char *default_name(const char *url)
{
    char hp[512];
    url_host_port(url, hp, sizeof(hp));
    size_t hl = hp[0] == '[' ? strcspn(hp, "]") + (strchr(hp, ']') != NULL) : strcspn(hp, ":");
    return strndup(hp, hl);
}

static void check_upstreams(struct conf *c, errs *e)
{
    for (size_t i = 0; i < c->nupstreams; ++i) {
        conf_upstream *u = &c->upstreams[i];
        if (u->direct && u->url == NULL)
            u->url = mem_strdup("direct");
        if (u->direct && u->name == NULL)
            u->name = mem_strdup("direct");
        const char *host = u->direct ? "direct" : u->url == NULL                      ? NULL
                           : strncmp(u->url, "http://", 7) == 0  ? u->url + 7
                           : strncmp(u->url, "https://", 8) == 0 ? u->url + 8
                                                                 : NULL;
        if (host == NULL || *host == '\0' || *host == '/' || *host == ':') {
            err_add(e, "upstreams[%zu].url: expected http(s)://host[:port][/path], got '%s'", i, u->url ? u->url : "");
            continue;
        }
        if (!u->direct && strpbrk(u->url, "?#") != NULL) {
            char shown[1024];
            url_show(u->url, shown, sizeof(shown));
            err_add(e, "upstreams[%zu].url: '%s' has a query or fragment; the go command's paths are appended to "
                       "the URL's path, so give credentials as user info or netrc, not as a query", i, shown);
            continue;
        }
        size_t n = strlen(u->url);
        while (n > (size_t)(host - u->url) + 1 && u->url[n - 1] == '/')
            u->url[--n] = '\0';
        if (u->name == NULL)
            u->name = default_name(u->url);
        for (size_t j = 0; j < i; ++j)
            if (strcmp(c->upstreams[j].name, u->name) == 0)
                err_add(e, "upstreams[%zu].name: '%s' is used twice; names must be unique", i, u->name);
        if (u->max_fails == 0)
            u->max_fails = 1;
        for (size_t k = 0; k < u->nrules; ++k)
            if (u->rules[k].match == NULL || u->rules[k].url == NULL)
                err_add(e, "upstreams[%zu].rules[%zu]: needs match and url", i, k);
    }
    int all_private = c->nnamespaces > 0;
    for (size_t i = 0; i < c->nnamespaces; ++i)
        all_private &= c->namespaces[i].mode != CONF_NS_PROXY;
    if (c->nupstreams == 0 && !c->offline && !all_private)
        err_add(e, "upstreams: empty, but some namespaces are proxied; add an upstream or set mode: offline");
}

/* Private rules: reads need an allow unless the rule opts out, and the pattern is
 * lower-cased so that it covers every case variant (core/namespace.h). */
static void namespace_finish(conf_namespace *ns)
{
    if (ns->require_read < 0)
        ns->require_read = ns->mode == CONF_NS_PRIVATE;
    for (char *p = ns->pattern; ns->mode == CONF_NS_PRIVATE && *p != '\0'; ++p)
        *p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
}

/* A version in a pattern never matches a module path; versions: is the way. */
static int check_ns_versions(errs *e, size_t i, const conf_namespace *ns)
{
    char why[256];
    if (strchr(ns->pattern, '@') != NULL) {
        err_add(e, "namespaces[%zu].pattern: '%s' holds a version, which no module path does; to block versions, "
                   "give the module as pattern and the versions as versions: (e.g. versions: \"v1.2.0\")", i, ns->pattern);
        return -1;
    }
    if (ns->versions == NULL)
        return 0;
    if (ns->nupstreams > 0) {
        err_add(e, "namespaces[%zu]: a rule with versions names no upstreams", i);
        return -1;
    }
    if (ns->mode != CONF_NS_DENY) {
        err_add(e, "namespaces[%zu].versions: only a deny rule names versions", i);
        return -1;
    }
    if (semrange_check(ns->versions, why, sizeof(why)) != 0) {
        err_add(e, "namespaces[%zu].versions: %s", i, why);
        return -1;
    }
    return 0;
}

/* A private rule's own sources, by name, as a mask of upstream indices. */
static int check_ns_upstreams(errs *e, size_t i, conf_namespace *ns, const struct conf *c)
{
    ns->upstream_mask = 0;
    if (ns->nupstreams > 0 && ns->mode != CONF_NS_PRIVATE) {
        err_add(e, "namespaces[%zu].upstreams: only a private rule names its upstreams (proxy rules use the whole chain)", i);
        return -1;
    }
    for (size_t k = 0; k < ns->nupstreams; ++k) {
        size_t j = 0;
        while (j < c->nupstreams && (c->upstreams[j].name == NULL || strcmp(c->upstreams[j].name, ns->upstreams[k]) != 0))
            ++j;
        if (j == c->nupstreams || j >= 64) {
            err_add(e, "namespaces[%zu].upstreams: '%s' is not the name of one of the first 64 upstreams", i, ns->upstreams[k]);
            return -1;
        }
        ns->upstream_mask |= (uint64_t)1 << j;
    }
    return 0;
}

static void check_lists(struct conf *c, errs *e)
{
    for (size_t i = 0; i < c->nlisten; ++i)
        if (!valid_listen(c->listen[i]))
            err_add(e, "listen: '%s' is not host:port or [v6]:port", c->listen[i]);
    if (c->nlisten == 0)
        err_add(e, "listen: at least one address is needed");
    for (size_t i = 0; i < c->ntls_plain_listen; ++i)
        if (!valid_listen(c->tls_plain_listen[i]))
            err_add(e, "tls.plain_listen: '%s' is not host:port or [v6]:port", c->tls_plain_listen[i]);
    if (c->ntls_plain_listen > 0 && c->tls_cert == NULL)
        err_add(e, "tls.plain_listen: plain listeners are for a TLS server; without tls.cert and tls.key every "
                   "address in listen is plain already");
    for (size_t i = 0; i < c->nsumdbs; ++i)
        if (c->sumdbs[i].name == NULL || c->sumdbs[i].url == NULL)
            err_add(e, "sumdbs[%zu]: name and url are required", i);
        else if (!valid_sumdb_name(c->sumdbs[i].name))
            err_add(e, "sumdbs[%zu].name: '%s' is not a checksum database name (host[/path]: letters, digits, '.', '-', "
                       "'_', '/' between non-empty elements)", i, c->sumdbs[i].name);
        else if (c->sumdbs[i].key != NULL && c->sumdbs[i].key[0] != '\0')
            check_sumdb_key(e, i, &c->sumdbs[i]);
    for (size_t i = 0; i < c->nnamespaces; ++i)
        if (c->namespaces[i].pattern == NULL || c->namespaces[i].pattern[0] == '\0')
            err_add(e, "namespaces[%zu].pattern: required (e.g. corp.example.com or *)", i);
        else if (strspn(c->namespaces[i].pattern, ",/") == strlen(c->namespaces[i].pattern))
            err_add(e, "namespaces[%zu].pattern: '%s' names no module path (empty elements are skipped, as GOPRIVATE's)",
                    i, c->namespaces[i].pattern);
        else if (check_ns_versions(e, i, &c->namespaces[i]) == 0 && check_ns_upstreams(e, i, &c->namespaces[i], c) == 0)
            namespace_finish(&c->namespaces[i]);
    for (size_t i = 0; i < c->nrepos; ++i) {
        const char *n = c->repos[i].name;
        if (n == NULL || n[0] == '\0' || strlen(n) > 64 || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(n))
            err_add(e, "repositories[%zu].name: required, letters, digits, '.', '_' and '-' only", i);
    }
    for (size_t i = 0; i < c->nauth; ++i)
        if (c->auth[i].plugin == NULL)
            err_add(e, "auth.plugins[%zu].plugin: required (token, ipallow, ...)", i);
}

static void finish(struct conf *c, errs *e)
{
    if (c->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = n > 0 ? (uint32_t)n : 1;
    }
    if (c->workers == 0)
        c->workers = c->threads * 2 > 4 ? c->threads * 2 : 4;
    if (c->storage.plugin == NULL)
        err_add(e, "storage.plugin: required (disk or pgs3)");
    int disk = c->storage.plugin && strcmp(c->storage.plugin, "disk") == 0;
    if (disk && conf_option(&c->storage, "root", NULL) == NULL)
        option_add((list *)&c->storage.options, "root", "./stoa-data");
    const char *root = disk ? conf_option(&c->storage, "root", "./stoa-data") : "./stoa-data";
    char buf[4096];
    if (c->tmp_dir == NULL && snprintf(buf, sizeof(buf), "%s/tmp", root) < (int)sizeof(buf))
        c->tmp_dir = mem_strdup(buf);
    if (c->quarantine_dir == NULL && snprintf(buf, sizeof(buf), "%s/quarantine", root) < (int)sizeof(buf))
        c->quarantine_dir = mem_strdup(buf);
    if (c->audit_path == NULL && snprintf(buf, sizeof(buf), "%s/audit.jsonl", root) < (int)sizeof(buf))
        c->audit_path = mem_strdup(buf);
    if (c->audit_spool == NULL && snprintf(buf, sizeof(buf), "%s/audit-spool.jsonl", root) < (int)sizeof(buf))
        c->audit_spool = mem_strdup(buf);
    if (c->audit_dsn == NULL && conf_option(&c->storage, "dsn", NULL) != NULL)
        c->audit_dsn = mem_strdup(conf_option(&c->storage, "dsn", NULL));
    if (c->audit_sink != NULL && strcmp(c->audit_sink, "postgres") == 0 && c->audit_dsn == NULL)
        err_add(e, "audit.sink: postgres needs a database: set audit.dsn (or storage.options.dsn)");
    if (c->audit_batch == 0 || c->audit_batch > 5000)
        err_add(e, "audit.batch: expected 1 to 5000, got %u", c->audit_batch);
    if (c->audit_queue < c->audit_batch)
        err_add(e, "audit.queue: must hold at least one batch (%u), got %u", c->audit_batch, c->audit_queue);
    if (c->fail_status != 404 && c->fail_status != 502)
        err_add(e, "fail_status: expected 404 or 502, got %u", c->fail_status);
    if ((c->tls_cert == NULL) != (c->tls_key == NULL))
        err_add(e, "tls: set both cert and key, or neither");
    if (c->audit_sink != NULL && strcmp(c->audit_sink, "file") != 0 && strcmp(c->audit_sink, "postgres") != 0 &&
        strcmp(c->audit_sink, "none") != 0)
        err_add(e, "audit.sink: expected file, postgres or none, got '%s'", c->audit_sink);
    check_upstreams(c, e);
    check_lists(c, e);
}

/* ---- public ---- */

struct conf *conf_parse(const char *name, const char *text, size_t len, char *const *env, char *err, size_t errlen)
{
    struct conf *c = mem_calloc(1, sizeof(*c));
    errs e = {err, errlen, 0, 0};
    if (errlen > 0)
        err[0] = '\0';
    defaults(c);
    if (text != NULL) {
        c->source = mem_strdup(name);
        load_yaml(c, name, text, len, &e);
    }
    apply_env(c, env, &e);
    if (e.count == 0)
        finish(c, &e);
    if (e.count > 10 && e.used < errlen)
        snprintf(err + e.used, errlen - e.used, "(and %d more errors)", e.count - 10);
    if (e.count > 0) {
        conf_free(c);
        return NULL;
    }
    return c;
}

struct conf *conf_load(const char *path, char *const *env, char *err, size_t errlen)
{
    if (path == NULL)
        return conf_parse(NULL, NULL, 0, env, err, errlen);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return snprintf(err, errlen, "%s: %s", path, strerror(errno)), NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            char *nt = cap < (1u << 24) ? realloc(text, cap = cap * 2 + 8192) : NULL;
            if (nt == NULL) {
                free(text);
                fclose(f);
                return snprintf(err, errlen, "%s: too large or out of memory", path), NULL;
            }
            text = nt;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    struct conf *c = bad ? NULL : conf_parse(path, text, len, env, err, errlen);
    if (bad)
        snprintf(err, errlen, "%s: read error", path);
    free(text);
    return c;
}

void conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    free_struct(&top_t, c);
    free(c->source);
    free(c);
}

const char *conf_option(const conf_plugin *p, const char *key, const char *def)
{
    const char *v = def;
    for (size_t i = 0; i < p->noptions; ++i)
        if (strcmp(p->options[i].key, key) == 0)
            v = p->options[i].value;
    return v;
}

/* An element's row is live when its own row says so or its whole list is. */
static const char *live_text(const directive *d, const char *parent)
{
    if (d->live != NULL)
        return d->live;
    const directive *whole = parent != NULL ? find(&top_t, parent) : NULL;
    if (whole != NULL && whole->live != NULL)
        return whole->live;
    return "needs a restart";
}

void conf_dump_reference(FILE *out)
{
    static const struct {
        const char *prefix, *env;
        const table *t;
        const char *parent; /* the list's key in top_d */
    } tables[] = {{"", "", &top_t, NULL},
                  {"upstreams[N].", "UPSTREAMS_N_", &upstream_t, "upstreams"},
                  {"upstreams[N].rules[N].", "UPSTREAMS_N_RULES_N_", &rule_t, "upstreams"},
                  {"sumdbs[N].", "SUMDBS_N_", &sumdb_t, "sumdbs"},
                  {"repositories[N].", "REPOSITORIES_N_", &repo_t, "repositories"},
                  {"namespaces[N].", "NAMESPACES_N_", &ns_t, "namespaces"},
                  {"auth.plugins[N].", "AUTH_PLUGINS_N_", &plugin_t, "auth.plugins"}};
    fprintf(out, "| key | environment | default | on SIGHUP | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); ++k) {
        for (size_t i = 0; i < tables[k].t->n; ++i) {
            const directive *d = &tables[k].t->d[i];
            char en[128];
            env_name(d->path, en, sizeof(en));
            fprintf(out, "| `%s%s` | `STOA_%s%s%s` | ", tables[k].prefix, d->path, tables[k].env, en,
                    d->type == T_OPTIONS ? "_<KEY>" : d->type == T_LIST ? "_<N>_..." : "");
            fprintf(out, "%s%s%s | %s | ", d->def != NULL ? "`" : "", d->def != NULL ? d->def : "",
                    d->def != NULL ? "`" : "", live_text(d, tables[k].parent));
            for (const char *h = d->help; *h; ++h) /* a bare | would end the Markdown cell */
                fputs(*h == '|' ? "\\|" : (char[]){*h, '\0'}, out);
            fputs(" |\n", out);
        }
    }
}
