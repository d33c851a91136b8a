/*
 * One module inside one git repository, as the go command's modfetch/coderepo.go sees
 * it: which tags are its versions, what a query (tag, branch, hash, pseudo-version,
 * "latest") resolves to, its go.mod and its zip at a version.
 *
 * For module path P in the repository rooted at import path ROOT: codeDir is P's prefix
 * (without the /vN suffix) below ROOT; tags of the module are "<codeDir>/vX.Y.Z"; a
 * /vN module lives in codeDir or codeDir/vN (whichever go.mod claims /vN); v2+ tags of a
 * root module without go.mod are "+incompatible"; other commits get pseudo-versions
 * (module.PseudoVersion) based on the highest reachable allowed tag. Retracted versions
 * (the retract directives of the highest release's go.mod) are not used as pseudo-version
 * bases nor chosen by "latest", as the go command does.
 *
 * Blocking (git objects): worker threads only.
 */
#ifndef STOA_ORIGIN_MODULE_H
#define STOA_ORIGIN_MODULE_H

#include "origin_git.h"

#include <stddef.h>
#include <stdint.h>

typedef struct origin_module {
    origin_git *g;
    char path[512];         /* module path */
    char root[512];         /* import path of the repository root */
    char code_dir[512];     /* subdirectory of the module, "" at the root */
    char path_major[32];    /* "/v2", ".v2" or "" */
    char path_prefix[512];  /* path without path_major */
    char pseudo_major[32];  /* "v2" or "" (v0) */
} origin_module;

typedef struct origin_info {
    char version[160];
    int64_t time;           /* commit time, Unix seconds */
} origin_info;

/* subdir: the directory of root's module in the repository ("" or NULL: the top), as
 * a go-import tag's subdirectory: it prefixes codeDir, so tags too.
 * STOA_OK; STOA_NOTFOUND when path is not below root (why says so). */
int origin_module_init(origin_module *m, origin_git *g, const char *root, const char *subdir, const char *path,
                       char *why, size_t whylen);

/* The @v/list answer: versions one per line, sorted, into a malloc'd string. */
int origin_module_list(origin_module *m, char **out, char *why, size_t whylen);

/* Stat(query): a canonical version, a pseudo-version, a tag, branch, hash or "latest".
 * STOA_OK, or STOA_NOTFOUND with why in the go command's words. */
int origin_module_stat(origin_module *m, const char *query, origin_info *out, char *why, size_t whylen);

/* The go.mod at a canonical version (malloc'd), synthesized for a module without one. */
int origin_module_gomod(origin_module *m, const char *version, char **data, size_t *len, char *why, size_t whylen);

/* Writes the module zip of a canonical version to out_fd, building it under tmp_dir. */
int origin_module_zip(origin_module *m, const char *version, const char *tmp_dir, int out_fd, char *why, size_t whylen);

/* module.PseudoVersion(major, older, t, rev) into out. */
void origin_pseudo_version(const char *major, const char *older, int64_t t, const char *rev, char *out, size_t len);

/* modfile.ModulePath: the module path a go.mod declares, "" if none. */
void origin_gomod_path(const char *data, size_t len, char *out, size_t outlen);

#endif
