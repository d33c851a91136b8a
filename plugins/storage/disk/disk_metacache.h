/* Sidecars (and small bodies) cached in memory by object identity. */
#ifndef STOA_DISK_METACACHE_H
#define STOA_DISK_METACACHE_H

#include "disk_store.h"
#include <sys/stat.h>

/* Sidecar metadata cached by object identity (disk_metacache.c). get returns 1 and
 * fills *out on a hit. Thread-safe; NULL cache = always a miss. */
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

#endif
