/*
 * Request path → route. The single place that decodes and validates what a URL
 * names, so handlers only ever see decoded, checked module paths and versions.
 *
 * Steps: strip the query; percent-decode (rejecting %00, bad escapes, control
 * characters and backslashes); split the base ("/" or "/api/go/<repo>/", repo must be
 * configured); then match the GOPROXY grammar:
 *   <escaped module>/@v/list                  ROUTE_LIST
 *   <escaped module>/@v/<escaped version>.info|.mod|.zip[;k=v...]
 *   <escaped module>/@latest                  ROUTE_LATEST
 *   sumdb/<name>/<rest>                       ROUTE_SUMDB
 * and at the root base only: healthz readyz version metrics catalog index admin/...
 * api/system/version api/system/ping api/build (what Artifactory clients call first),
 * "" (the web UI) and ui/module/<escaped module>. No module path's first element lacks
 * a dot, so none of these names can shadow a module.
 * A leading "artifactory/" before "api/" is dropped: Artifactory's own addresses
 * (https://host/artifactory/api/go/<repo>) keep working as GOPROXY values.
 * Module paths are case-decoded (module.UnescapePath) and must pass module.CheckPath.
 * .mod and .zip need a canonical version; .info may name a query (branch, commit),
 * which is flagged as non-canonical. `;k=v` matrix parameters (JFrog publish) after
 * the extension are kept raw for the publish handler.
 *
 * Returns STOA_OK, STOA_INVALID (400: malformed) or STOA_NOTFOUND (404: well-formed but
 * names nothing stoa serves, e.g. an unknown repository or a version whose major does
 * not fit the path), with a one-line reason in why.
 */
#ifndef STOA_ROUTE_H
#define STOA_ROUTE_H

#include "modpath.h"
#include "semver.h"

#include <stoa/storage.h>

#define ROUTE_PATH_MAX 4096

typedef enum route_type {
    ROUTE_NONE = 0,
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_VERSION,
    ROUTE_METRICS,
    ROUTE_CATALOG,
    ROUTE_INDEX,
    ROUTE_ADMIN,
    ROUTE_INFO,
    ROUTE_MOD,
    ROUTE_ZIP,
    ROUTE_LIST,
    ROUTE_LATEST,
    ROUTE_SUMDB,
    ROUTE_ART_VERSION,               /* api/system/version (Artifactory's, for jf) */
    ROUTE_ART_PING,                  /* api/system/ping */
    ROUTE_BUILD,                     /* api/build: a build-info PUT (jf rt bp) */
    ROUTE_UI_HOME,                   /* "/": the web UI's module search */
    ROUTE_UI_MODULE,                 /* ui/module/<escaped module>: its versions */
} route_type;

typedef struct route {
    route_type type;
    char repo[65];                   /* "" for the root base */
    char module[MODPATH_MAX + 1];    /* decoded */
    char version[SEMVER_MAX + 1];    /* decoded; for ROUTE_INFO maybe a query */
    int canonical;                   /* version is canonical semver */
    char rest[ROUTE_PATH_MAX];       /* ROUTE_SUMDB: "<name>/<rest>"; ROUTE_ADMIN: after "admin/" */
    char matrix[1024];               /* ";k=v;..." as sent, or "" */
} route;

/* repos: configured repository names. */
stoa_status route_parse(const char *path, size_t len, char *const *repos, size_t nrepos, route *r, char *why, size_t whylen);

/* Percent-decodes a query-string value ('+' is a space). 0, or -1 on a bad escape,
 * NUL or overflow; out is always a string ("" after a failure). */
int route_percent_decode(const char *in, size_t len, char *out, size_t outlen);

/* The storage kind a module-file route maps to (INFO, MOD, ZIP, LIST, LATEST). */
stoa_kind route_kind(route_type t);

/* True for routes that name a module (INFO..LATEST). */
int route_is_module(route_type t);

/* Writes the GOPROXY-relative path for r ("<escaped module>/@v/<escaped v>.zip") into
 * out, for asking an upstream. 0 or -1 if it does not fit. */
int route_upstream_path(const route *r, char *out, size_t len);

#endif
