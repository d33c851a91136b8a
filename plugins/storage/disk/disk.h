/* The disk storage plugin's internals: paths (disk_path.c), sidecar metadata
 * (disk_meta.c), and the methods (disk.c). */
#ifndef STOA_DISK_H
#define STOA_DISK_H

#include <limits.h>
#include <stoa/storage.h>

typedef struct disk_metacache disk_metacache;

typedef struct disk {
    const stoa_host *host;
    disk_metacache *metas;  /* may be NULL (out of memory at open): every hit reads the sidecar */
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

/* Sidecar metadata cached by object identity (disk_metacache.c). get returns 1 and
 * fills *out on a hit. Thread-safe; NULL cache = always a miss. */
#include <sys/stat.h>
disk_metacache *disk_metacache_new(void);
void disk_metacache_free(disk_metacache *c);
int disk_metacache_get(disk_metacache *c, const struct stat *st, stoa_meta *out);
void disk_metacache_put(disk_metacache *c, const struct stat *st, const stoa_meta *m);
/* Bodies of at most DISK_BODY_MAX bytes beside an entry. get_body returns 1 and fills
 * *out and buf (meta.size bytes, at most cap) when the entry for st holds its bytes;
 * put_body keeps st_size bytes of body with the entry already there for st. */
#define DISK_BODY_MAX 4096
int disk_metacache_get_body(disk_metacache *c, const struct stat *st, stoa_meta *out, void *buf, size_t cap);
void disk_metacache_put_body(disk_metacache *c, const struct stat *st, const void *body);

/* mkostemp(tmpl) holding an exclusive flock until the caller closes the descriptor:
 * the lock tells clean_tmp the file's writer is alive. -1 with errno on failure. */
int disk_tmp_create(char *tmpl);

/* Calls visit for every "@v" directory under base (depth-first, skipping names that
 * start with '.' and base's top-level "sumdb"), with the decoded module path it
 * belongs to and the open directory. Non-zero from visit stops the walk and is
 * returned. */
#include <dirent.h>
typedef int (*disk_vdir_fn)(void *arg, const char *module, DIR *vdir);
int disk_tree_walk(const char *base, disk_vdir_fn visit, void *arg);

/* Pins (disk_pin.c): <root>/.pins/<escaped module>/@v/<escaped version>.<mod|zip>, one
 * line "<h1> <state> <pinned_at>\n", created with link(2) (so STOA_PIN_CREATE is
 * atomic across processes) and replaced with rename(2). */
stoa_status disk_pin_get(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err);
stoa_status disk_pin_put(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err);
stoa_status disk_pin_walk(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err);

#endif
