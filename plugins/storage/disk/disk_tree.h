/* Walks of the stored tree. */
#ifndef STOA_DISK_TREE_H
#define STOA_DISK_TREE_H

#include <dirent.h>

/* Calls visit for every "@v" directory under base (depth-first, skipping names that
 * start with '.' and base's top-level "sumdb"), with the decoded module path it
 * belongs to and the open directory. Non-zero from visit stops the walk and is
 * returned. */
typedef int (*disk_vdir_fn)(void *arg, const char *module, DIR *vdir);
int disk_tree_walk(const char *base, disk_vdir_fn visit, void *arg);

/* Calls fn for every version with an .info in the @v directory vdir of module, with
 * the decoded version and the .info's stat. Non-zero from fn stops and is returned. */
struct stat;
typedef int (*disk_version_fn)(void *arg, const char *module, const char *version, const struct stat *st);
int disk_tree_versions(DIR *vdir, const char *module, disk_version_fn fn, void *arg);

#endif
