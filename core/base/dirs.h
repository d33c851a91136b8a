/* Creating the directories stoa writes into (data root, tmp_dir, audit files), and
 * finding the ones it ships with, relative to the binary. */
#ifndef STOA_DIRS_H
#define STOA_DIRS_H

#include <stddef.h>

/* mkdir -p path (0755). 0, or -1 with errno. */
int dirs_make(const char *path);

/* mkdir -p of the directory that holds file. 0, or -1 with errno. */
int dirs_make_parent(const char *file);

/* The first of rels (NULL-terminated, relative to the directory of /proc/self/exe)
 * that is a directory, written to out. 0, or -1 when none is. So a build tree
 * (build/stoa, build/plugins), an installed prefix (bin/stoa, lib/stoa/plugins) and
 * the image (/usr/lib/stoa/stoa, /usr/lib/stoa/plugins) need no configuration. */
int dirs_beside_binary(const char *const *rels, char *out, size_t len);

#endif
