/* The disk storage plugin's internals: paths (disk_path.c), sidecar metadata
 * (disk_meta.c), and the methods (disk.c). */
#ifndef STOA_DISK_H
#define STOA_DISK_H

#include <limits.h>
#include <stoa/storage.h>

typedef struct disk {
    const stoa_host *host;
    char root[PATH_MAX];
    char tmp[PATH_MAX];
    int fsync;
} disk;

/* Path of an object: <root>/<escaped module>/@v/<version>.<ext> etc. Rejects anything
 * that could leave root. 0 or -1 (why filled). */
int disk_path(const disk *d, const stoa_key *key, char *out, size_t len, char *why, size_t whylen);

/* Directory holding a module's @v files. */
int disk_version_dir(const disk *d, const char *module, char *out, size_t len, char *why, size_t whylen);

/* Module path case-escaping and its inverse (module.EscapePath rules). */
int disk_escape(const char *in, char *out, size_t len);
int disk_unescape(const char *in, char *out, size_t len);

/* Sidecar of object path: <dir>/.meta/<file>. */
int disk_meta_path(const char *object, char *out, size_t len);
int disk_meta_read(const char *object, stoa_meta *m);
/* Writes the sidecar atomically (temp in tmpdir + rename). 0 or -1 (errno). */
int disk_meta_write(const disk *d, const char *object, const stoa_meta *m);

/* mkdir -p of path's parent directory. */
int disk_mkparent(const char *path);

/* mkostemp(tmpl) holding an exclusive flock until the caller closes the descriptor:
 * the lock tells clean_tmp the file's writer is alive. -1 with errno on failure. */
int disk_tmp_create(char *tmpl);

#endif
