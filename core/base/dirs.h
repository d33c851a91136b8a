/* Creating the directories stoa writes into (data root, tmp_dir, audit files). */
#ifndef STOA_DIRS_H
#define STOA_DIRS_H

/* mkdir -p path (0755). 0, or -1 with errno. */
int dirs_make(const char *path);

/* mkdir -p of the directory that holds file. 0, or -1 with errno. */
int dirs_make_parent(const char *file);

#endif
