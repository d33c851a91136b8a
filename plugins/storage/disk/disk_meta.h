/* Sidecar metadata beside each object (disk_meta.c). */
#ifndef STOA_DISK_META_H
#define STOA_DISK_META_H

#include "disk_store.h"

/* Sidecar of object path: <dir>/.meta/<file>. */
int disk_meta_path(const char *object, char *out, size_t len);
int disk_meta_read(const char *object, stoa_meta *m);
/* Writes the sidecar atomically (temp in tmpdir + rename). 0 or -1 (errno). */
int disk_meta_write(const disk *d, const char *object, const stoa_meta *m);

#endif
