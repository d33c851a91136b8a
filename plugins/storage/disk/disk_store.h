/* The disk storage plugin's state, shared by its files: disk.c (the methods),
 * disk_path.c (paths and temp files), disk_meta.c (sidecars), disk_metacache.c,
 * disk_tree.c (walks) and disk_pin.c (pins). */
#ifndef STOA_DISK_STORE_H
#define STOA_DISK_STORE_H

#include <limits.h>
#include <stoa/storage.h>

typedef struct disk_metacache disk_metacache;
typedef struct disk_index disk_index;

typedef struct disk {
    const stoa_host *host;
    disk_metacache *metas;  /* may be NULL (out of memory at open): every hit reads the sidecar */
    disk_index *index;      /* the ordered listings (disk_index.h); NULL only on out of memory */
    char root[PATH_MAX];
    char tmp[PATH_MAX];
    int fsync;
} disk;

#endif
