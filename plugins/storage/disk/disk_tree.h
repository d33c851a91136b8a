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

#endif
