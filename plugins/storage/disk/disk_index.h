/*
 * The disk plugin's ordered listings (storage ABI 1.4, contract S7): every stored
 * version (an .info) in catalog order (module, version bytewise) and in commit order,
 * in memory, so a /catalog or /index page costs the page, not the store.
 *
 * Commit order is the .info file's modification time in nanoseconds: disk_index_commit
 * stamps each new .info with max(now, last + 1 ns) under the index lock, so versions
 * committed later always sort later, and the order survives a restart (it is read back
 * from the files). The index is built by one walk on the first listing a process asks
 * for; puts and removes of this process keep it current afterwards. Another process
 * removing versions (stoa gc, stoa verify --evict) is seen when a page is read: each
 * entry's .info is checked before it is reported. Index cursors are "n<ns>.<hash>";
 * the "<seconds>.<hash>" cursors of the core's fallback are still accepted.
 */
#ifndef STOA_DISK_INDEX_H
#define STOA_DISK_INDEX_H

#include "disk_store.h"

typedef struct disk_index disk_index;

disk_index *disk_index_new(void); /* NULL on out of memory */
void disk_index_free(disk_index *x);

/* After the rename that made module@version's .info (path) visible, under the
 * version's lock. Best effort: the walk of a later process finds it anyway. */
void disk_index_commit(disk *d, const char *module, const char *version, const char *path);
/* After the .info of module@version is gone. */
void disk_index_remove(disk *d, const char *module, const char *version);

stoa_status disk_index_catalog(disk *d, const char *after_module, const char *after_version, size_t limit,
                               stoa_entry_cb cb, void *arg, stoa_error *err);
stoa_status disk_index_page(disk *d, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                            stoa_error *err);

#endif
