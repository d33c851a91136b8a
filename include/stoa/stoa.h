/*
 * stoa plugin ABI: what every plugin sees of the core.
 *
 * A plugin is a shared object exporting one function, stoa_plugin_entry(), that returns
 * a pointer to a constant stoa_plugin descriptor. The core refuses a plugin whose
 * abi_major differs from STOA_ABI_MAJOR, and copies min(struct_size, sizeof) of each
 * table into a zeroed table it owns, so members added in later minors read as NULL in
 * older plugins. Rules for growing the ABI: new members only at the end of a struct,
 * each marked with the minor that added it; never reorder, never reuse a number.
 *
 * Plugins include only headers from include/stoa/. No h2o, libcurl or libpq type
 * appears here; request facts reach plugins through plain C types.
 */
#ifndef STOA_STOA_H
#define STOA_STOA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STOA_ABI_MAJOR 1
/* Minor 1: stoa_auth_request.required (auth.h); storage lease, release and gc
 * (storage.h). Minor 2: storage pin_get, pin_put, pin_walk (storage.h). Minor 3:
 * storage get_copy. Minor 4: storage catalog_page, index_page, objects,
 * remove_object. Minor 5: storage get_local. Minor 6: storage watch (changes other
 * processes made to a shared store). Members a minor adds are marked with it where
 * they are declared. */
#define STOA_ABI_MINOR 6

#if defined(__GNUC__)
#define STOA_EXPORT __attribute__((visibility("default")))
#define STOA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define STOA_EXPORT
#define STOA_PRINTF(f, a)
#endif

/* Result of every ABI call. Numbers are fixed forever; the core maps them to HTTP
 * status codes in one table (core/base/status.c). */
typedef enum stoa_status {
    STOA_OK = 0,
    STOA_NOTFOUND = 1,      /* 404: not here, a client may try elsewhere */
    STOA_GONE = 2,          /* 410: not here and not coming back (deny rules) */
    STOA_DECLINED = 3,      /* no opinion: an auth plugin abstains */
    STOA_UNAUTHORIZED = 4,  /* 401: credentials missing or wrong */
    STOA_DENIED = 5,        /* 403: identity known, permission missing */
    STOA_INVALID = 6,       /* 400: malformed input */
    STOA_UNPROCESSABLE = 7, /* 422: well-formed input that breaks a rule */
    STOA_CONFLICT = 8,      /* 409: would change an immutable object */
    STOA_TOOLARGE = 9,      /* 413 */
    STOA_THROTTLED = 10,    /* 429 */
    STOA_UNAVAILABLE = 11,  /* 503: a backend (database, object store) is down */
    STOA_NOSPACE = 12,      /* 507: storage full */
    STOA_BADGATEWAY = 13,   /* 502: upstream answered badly */
    STOA_TIMEOUT = 14,      /* 504: upstream too slow */
    STOA_INTERNAL = 15,     /* 500: a bug or an unexpected system error */
} stoa_status;

/* Caller-provided error: a plugin fills msg (NUL-terminated, human text, no secrets)
 * when it returns anything but STOA_OK/STOA_DECLINED. */
typedef struct stoa_error {
    stoa_status status;
    char msg[512];
} stoa_error;

typedef enum stoa_log_level {
    STOA_LOG_ERROR = 0,
    STOA_LOG_WARN = 1,
    STOA_LOG_INFO = 2,
    STOA_LOG_DEBUG = 3,
} stoa_log_level;

/* Plugin options from the config, in file order. A YAML sequence yields the same key
 * once per element; a nested map yields dotted keys ("publish.allow"). */
typedef struct stoa_option {
    const char *key;
    const char *value;
} stoa_option;

typedef struct stoa_options {
    size_t count;
    const stoa_option *items;
} stoa_options;

/* What the core offers plugins. Valid from init until dispose; callable from any
 * thread. */
typedef struct stoa_host {
    uint32_t abi_major;
    uint32_t struct_size;
    /* Logs one line, prefixed with the plugin's name. Thread-safe. */
    void (*log)(const struct stoa_host *host, stoa_log_level level, const char *fmt, ...) STOA_PRINTF(3, 4);
    /* Last value of key in opts, or def when absent. */
    const char *(*option)(const stoa_options *opts, const char *key, const char *def);
    /* Directory for the plugin's scratch files (exists, writable, same filesystem as
     * the core's staging area). */
    const char *tmp_dir;
    /* GOPRIVATE-style match: patterns is a comma-separated list of globs, each matched
     * against as many leading '/'-elements of path as it has. 1 on match, else 0. */
    int (*match_patterns)(const char *patterns, const char *path);
    /* Opaque to plugins. */
    void *_core;
    const char *_name;
} stoa_host;

typedef enum stoa_plugin_kind {
    STOA_PLUGIN_STORAGE = 1,
    STOA_PLUGIN_AUTH = 2,
} stoa_plugin_kind;

/* The descriptor stoa_plugin_entry() returns. */
typedef struct stoa_plugin {
    uint32_t abi_major;    /* STOA_ABI_MAJOR the plugin was built with */
    uint32_t struct_size;  /* sizeof(stoa_plugin) the plugin was built with */
    stoa_plugin_kind kind;
    const char *name;      /* unique among loaded plugins: "disk", "token", ... */
    const char *version;   /* the plugin's own version, free text */
    const void *methods;   /* const stoa_storage_methods * or const stoa_auth_methods * */
} stoa_plugin;

#define STOA_PLUGIN_ENTRY "stoa_plugin_entry"
typedef const stoa_plugin *(*stoa_plugin_entry_fn)(void);

/* Fills err and returns status: `return stoa_fail(err, STOA_NOTFOUND, "no %s", x);`
 * Inline, because plugins never link against core symbols. */
static inline STOA_PRINTF(3, 4) stoa_status stoa_fail(stoa_error *err, stoa_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

#ifdef __cplusplus
}
#endif
#endif
