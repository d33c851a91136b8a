/*
 * Module path -> git repository, as the go command's vcs.RepoRootForImportPath does it
 * in module mode, with explicit rules first.
 *
 * Order: (1) config rules (conf_rule): match is a GOPRIVATE-style glob list matched
 * against the leading path elements (the elements a glob matched are the root); the url
 * template may use {root}, {host} and {path} (the root without its host); (2) the
 * go command's static table (github.com, bitbucket.org, hub.jazz.net, git.apache.org,
 * git.openstack.org) and `.git`-qualified paths (host/a/b.git/sub: root host/a/b.git,
 * https://host/a/b.git); (3) `?go-get=1` discovery: GET https://<path>?go-get=1, the
 * go-import meta tags before <body> or </head>, exactly one whose prefix is a path
 * prefix of the module ("mod" entries left out), and, when the prefix is shorter than
 * the path, the same tag found again at https://<prefix>?go-get=1. Only the git VCS is
 * served. Plain http is used only for hosts in insecure (GOINSECURE patterns), after
 * https failed.
 *
 * Blocking (discovery does HTTP): worker threads only.
 */
#ifndef STOA_ORIGIN_RESOLVE_H
#define STOA_ORIGIN_RESOLVE_H

#include "conf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct origin_root {
    char root[512];   /* import path of the repository root */
    char url[2048];   /* repository URL */
    char how[16];     /* "rule", "static", "meta" */
    const conf_rule *rule; /* the rule that matched (subdir, credentials), NULL if none */
    size_t rule_index;
} origin_root;

typedef struct origin_resolve_cfg {
    const conf_rule *rules;
    size_t nrules;
    const char *insecure;   /* GOINSECURE patterns, may be NULL */
    uint32_t connect_ms, total_ms;
    /* discovery's HTTP GET; NULL = libcurl. Returns the body (malloc'd) and HTTP status,
     * or NULL with why filled. For tests. */
    char *(*get)(const char *url, const struct origin_resolve_cfg *cfg, long *status, char *why, size_t whylen);
} origin_resolve_cfg;

/* STOA_OK with out filled; STOA_NOTFOUND (no repository for this path: why says why);
 * STOA_UNPROCESSABLE (a VCS other than git); STOA_UNAVAILABLE/STOA_TIMEOUT when
 * discovery could not reach the host. */
int origin_resolve(const origin_resolve_cfg *cfg, const char *module, origin_root *out, char *why, size_t whylen);

/* The go-import tags of an HTML page, as parseMetaGoImports reads them (without "mod"
 * entries), matched against module as matchGoImport does: STOA_OK with prefix, vcs and
 * repo copied; STOA_NOTFOUND (no match) or STOA_CONFLICT (several) with why filled. */
int origin_meta_match(const char *html, const char *module, char *prefix, size_t plen, char *vcs, size_t vlen,
                      char *repo, size_t rlen, char *why, size_t whylen);

/* Applies the static table: 1 with out filled, 0 when no entry applies, -1 with why on
 * a path the table refuses. */
int origin_static_root(const char *module, int insecure, origin_root *out, char *why, size_t whylen);

#endif
