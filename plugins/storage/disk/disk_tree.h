/* Walks of the stored tree. */
#ifndef STOA_DISK_TREE_H
#define STOA_DISK_TREE_H

#include <dirent.h>
#include <stoa/storage.h>

/* Calls visit for every "@v" directory under base (depth-first, skipping names that
 * start with '.' and base's top-level "sumdb"), with the decoded module path it
 * belongs to and the open directory. Non-zero from visit stops the walk and is
 * returned. */
typedef int (*disk_vdir_fn)(void *arg, const char *module, DIR *vdir);
int disk_tree_walk(const char *base, disk_vdir_fn visit, void *arg);

/* A file a walk found, as the key it stores (valid during the call), by its name in
 * the open directory dirfd. Whether it is a regular file is the callee's to check.
 * Non-zero stops the walk and is returned. */
typedef int (*disk_file_fn)(void *arg, const stoa_key *key, int dirfd, const char *name);

/* disk_tree_walk that also calls latest for every module's "@latest" (kind LATEST,
 * version NULL), in the same pass. */
int disk_tree_walk_latest(const char *base, disk_vdir_fn visit, disk_file_fn latest, void *arg);

/* Calls fn for every checksum database file under base/sumdb: "<db>/latest" (kind
 * SUMDB_LATEST, version NULL) and each file below "<db>/tile/" (kind SUMDB_TILE,
 * version its path from "tile/" on, as put). One pass; symlinks are not followed, so
 * nothing outside base is reached. */
int disk_tree_sumdb(const char *base, disk_file_fn fn, void *arg);

/* Calls fn for every version with an .info in the @v directory vdir of module, with
 * the decoded version and the .info's stat. Non-zero from fn stops and is returned. */
struct stat;
typedef int (*disk_version_fn)(void *arg, const char *module, const char *version, const struct stat *st);
int disk_tree_versions(DIR *vdir, const char *module, disk_version_fn fn, void *arg);

#endif
