/* Where the disk plugin's files live, and how new ones are created. */
#ifndef STOA_DISK_PATH_H
#define STOA_DISK_PATH_H

#include "disk_store.h"

/* Path of an object: <root>/<escaped module>/@v/<version>.<ext> etc. Rejects anything
 * that could leave root. 0 or -1 (why filled). */
int disk_path(const disk *d, const stoa_key *key, char *out, size_t len, char *why, size_t whylen);

/* Directory holding a module's @v files. */
int disk_version_dir(const disk *d, const char *module, char *out, size_t len, char *why, size_t whylen);

/* Module path case-escaping and its inverse (module.EscapePath rules). */
int disk_escape(const char *in, char *out, size_t len);
int disk_unescape(const char *in, char *out, size_t len);

/* mkdir -p of path's parent directory. */
int disk_mkparent(const char *path);

/* mkostemp(tmpl) holding an exclusive flock until the caller closes the descriptor:
 * the lock tells clean_tmp the file's writer is alive. -1 with errno on failure. */
int disk_tmp_create(char *tmpl);

#endif
