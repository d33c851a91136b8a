/*
 * Configuration: the YAML file, STOA_* environment overrides and built-in defaults,
 * merged into one immutable struct conf.
 *
 * Precedence: defaults < file < environment. Every scalar key has an environment name
 * made from its path in upper case with '_' between elements: storage.plugin is
 * STOA_STORAGE_PLUGIN, cache.list_ttl is STOA_CACHE_LIST_TTL. Lists of scalars take a
 * comma-separated value (STOA_LISTEN=127.0.0.1:3000,[::1]:3000). Elements of lists of
 * maps take their index: STOA_UPSTREAMS_0_URL, STOA_NAMESPACES_1_PATTERN; an index one
 * past the end appends an element. Plugin options: STOA_STORAGE_OPTIONS_ROOT=/x sets
 * storage.options.root.
 *
 * Errors name the file and line ("stoa.yaml:12: upstreams[0].fallthrough: expected
 * on_not_found or on_any_error, got 'x'") or the variable ("STOA_THREADS: expected a
 * positive integer, got 'abc'"). Unknown keys are errors, with a did-you-mean hint when
 * a known key is close.
 *
 * Ownership: conf_load returns a struct conf the caller frees with conf_free; every
 * string inside is owned by it. A loaded conf is never modified: a reload builds a new
 * one.
 */
#ifndef STOA_CONF_H
#define STOA_CONF_H

#include <stddef.h>
#include <stdint.h>

typedef struct conf_kv {
    char *key;
    char *value;
} conf_kv;

/* A plugin reference: `{plugin: NAME, options: {...}}`. */
typedef struct conf_plugin {
    char *plugin;
    conf_kv *options; /* flattened as described in include/stoa/stoa.h */
    size_t noptions;
} conf_plugin;

typedef enum conf_fallthrough {
    CONF_FALL_ON_NOT_FOUND = 0, /* like GOPROXY ',': next upstream only after 404/410 */
    CONF_FALL_ON_ANY_ERROR = 1, /* like GOPROXY '|': also after errors and timeouts */
} conf_fallthrough;

typedef enum conf_redirects {
    CONF_REDIR_SAME_ORIGIN = 0, /* follow redirects to the upstream's own scheme, host and port */
    CONF_REDIR_ANY = 1,         /* also to other origins (never to internal addresses: upstream_addr.h) */
    CONF_REDIR_NONE = 2,        /* a redirect is an upstream failure */
} conf_redirects;

/* A direct upstream's rule: module paths matching `match` live in the repository at
 * `url` (a template), optionally in a subdirectory, with credentials of their own that
 * replace the upstream's. Written as a string "MATCH URL" or as a mapping. */
typedef struct conf_rule {
    char *match;       /* GOPRIVATE-style globs of the leading path elements (the root) */
    char *url;         /* repository URL template: {root} {host} {path} */
    char *subdir;      /* directory of the root's module in the repository, NULL = top */
    char *ssh_key;     /* these replace the upstream's own for this rule's repositories */
    char *known_hosts;
    char *netrc;
    char *token;       /* https password (with user, default "git"); never logged */
    char *user;
} conf_rule;

typedef struct conf_upstream {
    char *name;             /* default: the URL's host */
    char *url;              /* http(s)://host[:port][/path], no trailing slash */
    conf_fallthrough fallthrough;
    int backup;             /* used only when every primary is unhealthy */
    int redirects;          /* conf_redirects, default same_origin */
    uint32_t connect_ms;    /* timeout.connect, default 5000 */
    uint32_t first_byte_ms; /* timeout.first_byte, default 30000 */
    uint32_t total_ms;      /* timeout.total, default 600000 */
    uint32_t metadata_ms;   /* timeout.metadata: total for all but .zip, default 60000 */
    uint32_t stall_ms;      /* timeout.stall: no bytes for this long, default 30000 */
    uint32_t min_rate;      /* timeout.min_rate: bytes/s a stall window must average, default 1024 */
    uint32_t retries;       /* extra attempts for idempotent fetches, default 1 */
    uint32_t max_fails;     /* consecutive failures that open the circuit, default 3 */
    uint32_t fail_timeout_ms; /* circuit cool-down, default 30000 */
    uint32_t probe_interval_ms; /* active probing of an open circuit, default 5000 */
    /* direct: the module's own git repository (core/origin/), not a GOPROXY */
    int direct;             /* direct: true; url is then unused */
    conf_rule *rules;       /* module paths -> repository URLs, first match wins */
    size_t nrules;
    char *insecure;         /* GOINSECURE-style patterns: plain http / unverified TLS allowed */
    char *private_hosts;    /* glob patterns of hosts that may resolve to internal addresses */
    char *mirror_dir;       /* bare mirrors; default <data root>/git */
    char *netrc;            /* netrc-style credentials file for https */
    char *ssh_key;          /* private key for ssh:// repositories */
    char *known_hosts;      /* OpenSSH known_hosts checked strictly for ssh host keys */
    uint64_t max_fetch;     /* bytes one git fetch may receive, default 1 GiB */
} conf_upstream;

typedef struct conf_sumdb {
    char *name;  /* "sum.golang.org" */
    char *url;   /* "https://sum.golang.org" */
    char *key;   /* verifier key "name+hash+base64", may be NULL */
} conf_sumdb;

typedef enum conf_ns_mode {
    CONF_NS_PROXY = 0,
    CONF_NS_PRIVATE = 1,
    CONF_NS_DENY = 2,
} conf_ns_mode;

typedef struct conf_namespace {
    char *pattern;   /* GOPRIVATE-style comma-separated globs */
    conf_ns_mode mode;
    char *reason;    /* shown to clients for deny, may be NULL */
    char *repo;      /* applies only under /api/go/<repo>/, NULL = everywhere */
    char *versions;  /* deny rules: only these versions (core/gomod/semrange.h), NULL = all */
    char **upstreams; /* private rules: the upstreams (names) that may fill them */
    size_t nupstreams;
    uint64_t upstream_mask; /* computed at load: bit i = upstreams[i] */
    int require_read; /* require.read: reads need an allow on every base; default 1 for
                       * private rules, 0 otherwise. Private patterns are lower-cased. */
} conf_namespace;

typedef enum conf_sumcheck {
    CONF_SUMCHECK_LENIENT = 0, /* refuse mismatches; pass what the database cannot answer */
    CONF_SUMCHECK_STRICT = 1,  /* refuse anything the database does not confirm */
    CONF_SUMCHECK_OFF = 2,
} conf_sumcheck;

typedef struct conf_repo {
    char *name;      /* served under /api/go/<name>/ */
    int require_read;    /* require.read: -1 (default) = as auth.require.read */
    int require_publish; /* require.publish: -1 = as auth.require.publish */
    int require_admin;   /* require.admin: -1 = as auth.require.admin */
} conf_repo;

typedef enum conf_log_format {
    CONF_LOG_TEXT = 0,
    CONF_LOG_JSON = 1,
} conf_log_format;

typedef struct conf {
    char *source;            /* the file it came from, or NULL for defaults only */

    char **listen;           /* "host:port" or "[v6]:port"; default {"127.0.0.1:3000"} */
    size_t nlisten;
    char *tls_cert;          /* tls.cert, PEM path; TLS is on when both are set */
    char *tls_key;           /* tls.key */
    char **tls_plain_listen; /* tls.plain_listen: plain-HTTP addresses beside the TLS ones */
    size_t ntls_plain_listen;
    int tls_redirect;        /* tls.redirect: a plain listener redirects what it does not serve */
    int http2;               /* http2: offer HTTP/2 (ALPN h2, cleartext h2c); off (default): HTTP/1.1 only */
    uint32_t threads;        /* event-loop threads; 0 in the file means one per core */
    uint32_t workers;        /* blocking-work threads; default 2 * threads, min 4 */
    char *plugin_dir;        /* default: NULL = <dir of the binary>/plugins */
    char *tmp_dir;           /* staging area; default <storage root or ./stoa-data>/tmp */
    int offline;             /* mode: online|offline */
    uint32_t fail_status;    /* status when every upstream failed: 404 (default) or 502 */
    uint64_t max_body;       /* limits.max_body, bytes, default 512 MiB */
    uint32_t max_header;     /* limits.max_header, bytes, default 16 KiB */
    uint32_t send_timeout_ms; /* limits.send_timeout: a stalled reader is cut off, default 60 s */
    uint32_t request_timeout_ms; /* limits.request_timeout: h2o's http1 req_timeout, default 5 min */
    uint32_t max_queued;     /* limits.queue: jobs waiting per pool lane, default 1024 */
    uint32_t fills_per_client; /* limits.fills_per_client: fills one address has running, default 256 */
    uint32_t h2_cancels;     /* limits.h2_cancels: cancelled pending requests per HTTP/2 connection per 10 s */
    uint32_t shutdown_timeout_ms; /* SIGTERM: how long in-flight requests may take, default 30 s */

    conf_plugin storage;     /* default {disk, {root: ./stoa-data}} */

    conf_upstream *upstreams; /* default one: {golang, https://proxy.golang.org} */
    size_t nupstreams;
    conf_sumdb *sumdbs;      /* default one: sum.golang.org */
    size_t nsumdbs;

    uint32_t list_ttl_ms;    /* cache.list_ttl, default 60 s */
    uint32_t evict_interval_ms; /* cache.evict_interval, default 60 s */
    uint64_t cache_max_size; /* cache.max_size: bytes of proxied versions kept, 0 = no limit */

    conf_repo *repos;        /* repositories; default none */
    size_t nrepos;
    conf_namespace *namespaces; /* default one: {"*", proxy} */
    size_t nnamespaces;
    char *nosumdb;           /* GONOSUMDB-style patterns that skip checksum checks */
    int sumdb_check;         /* conf_sumcheck: fills checked against the checksum database */
    uint32_t sumdb_recheck_ms; /* lenient: re-check of unverified pins, default 5 min, 0 = never */
    uint32_t sumdb_unverified_max; /* lenient: unverified fills per minute before refusing, default 20, 0 = no bound */
    char *quarantine_dir;    /* where a failed re-check copies the bytes; default <data root>/quarantine */

    int require_read;        /* auth.require.read, default 0 */
    int require_publish;     /* auth.require.publish, default 1 */
    int require_admin;       /* auth.require.admin, default 1 */
    int require_health;      /* auth.require.health: /healthz, /readyz, /version; default 0 */
    int require_metrics;     /* auth.require.metrics: /metrics; default 0 */
    int readyz_strict;       /* readyz.strict: 503 whenever storage is down; default 0 (degraded) */
    uint32_t throttle_failures; /* auth.throttle.failures per address and window, default 10 */
    uint32_t throttle_window_ms; /* auth.throttle.window, default 60 s; also the block time */
    conf_plugin *auth;       /* auth.plugins, in order */
    size_t nauth;

    char *audit_sink;        /* audit.sink: "file" (default), "postgres" or "none" */
    char *audit_path;        /* audit.path, default <data>/audit.jsonl */
    char *audit_dsn;         /* audit.dsn, default storage.options.dsn */
    char *audit_spool;       /* audit.spool, default <data>/audit-spool.jsonl */
    uint32_t audit_batch;    /* audit.batch: events per write, default 500 */
    uint32_t audit_interval_ms; /* audit.interval: longest wait before a write, default 500ms */
    uint32_t audit_queue;    /* audit.queue: events held in memory, default 65536 */

    conf_log_format log_format; /* log.format: text|json */
    int log_level;           /* log.level: error|warn|info|debug -> stoa_log_level */
} conf;

/* Loads path (NULL: defaults only), then applies environ-style env (NULL-terminated
 * "KEY=value" strings; pass environ). On error returns NULL and writes a message to
 * err (one or more lines, each "where: what"). */
struct conf *conf_load(const char *path, char *const *env, char *err, size_t errlen);

/* Parses YAML text as if it were a file named name; for tests and reloads. */
struct conf *conf_parse(const char *name, const char *text, size_t len, char *const *env, char *err, size_t errlen);

void conf_free(struct conf *c);

/* Value of a plugin option, last occurrence wins; def when absent. */
const char *conf_option(const conf_plugin *p, const char *key, const char *def);

/* Parses "90s", "2m", "1h", "500ms", "3d" or a bare number of seconds into
 * milliseconds. Returns 0 on success, -1 on bad syntax or overflow. */
int conf_parse_duration(const char *s, uint64_t *ms);

/* Parses "512MiB", "16KiB", "1G", "100" (bytes). 0 or -1 as above. */
int conf_parse_size(const char *s, uint64_t *bytes);

/* Prints the reference table of every key, its environment variable and meaning, in
 * Markdown (docs/configuration.md is generated from it). */
#include <stdio.h>
void conf_dump_reference(FILE *out);

/* The keys whose values differ between o and n although a SIGHUP cannot apply them (the
 * directive rows without a `live` column), comma-separated in out; "" when a reload may
 * swap n in. */
void conf_restart_changes(const struct conf *o, const struct conf *n, char *out, size_t len);

#endif
