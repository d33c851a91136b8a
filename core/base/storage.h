/*
 * The core's only door to the storage plugin: checks NULL members, fills defaults,
 * keeps error messages prefixed with the plugin name.
 */
#ifndef STOA_STORAGE_CORE_H
#define STOA_STORAGE_CORE_H

#include "conf.h"
#include "plugin.h"

typedef struct storage {
    plugin *p;
    void *state;
    stoa_change_cb observe; /* storage_observe */
    void *observe_arg;
} storage;

stoa_status storage_open(storage *s, const char *plugin_dir, const conf_plugin *cp, const char *tmp_dir, stoa_error *err);
void storage_close(storage *s);

/* 1 when get/list may run on a loop thread. */
int storage_fast(const storage *s);

stoa_status storage_get(storage *s, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err);
/* get_copy (ABI 1.3): only where storage_can_copy(). */
int storage_can_copy(const storage *s);
/* get_local (ABI 1.5): OK as get() would answer, or DECLINED (also when the plugin has
 * no get_local): then use storage_get on a worker. Loop threads. */
stoa_status storage_get_local(storage *s, const stoa_key *key, unsigned flags, stoa_object *out);
stoa_status storage_get_copy(storage *s, const stoa_key *key, void *buf, size_t cap, stoa_meta *meta, stoa_error *err);
stoa_status storage_put(storage *s, const char *module, const char *version, const stoa_put_file *files, size_t n,
                        stoa_error *err);
stoa_status storage_list(storage *s, const char *module, stoa_version_cb cb, void *arg, stoa_error *err);
stoa_status storage_walk(storage *s, stoa_walk_cb cb, void *arg, stoa_error *err);
stoa_status storage_remove(storage *s, const char *module, const char *version, stoa_error *err);
stoa_status storage_health(storage *s, stoa_error *err);

/* Cross-process fill lease (ABI 1.1). Worker threads. *handle is NULL when the plugin
 * has no leases (OK then too) or on failure; pass it to storage_release either way. */
stoa_status storage_lease(storage *s, const stoa_key *key, uint32_t wait_ms, void **handle, stoa_error *err);
void storage_release(storage *s, void *handle);

/* `stoa gc` (ABI 1.1). OK with zero stats when the plugin has nothing to collect. */
stoa_status storage_gc(storage *s, stoa_gc_stats *stats, stoa_error *err);

/* Pins (ABI 1.2, include/stoa/storage.h S6). storage_pins is 0 when the plugin keeps
 * none; then pin_get says NOTFOUND, pin_put OK and pin_walk OK without calling cb. */
int storage_pins(const storage *s);
stoa_status storage_pin_get(storage *s, const stoa_key *key, stoa_pin *out, stoa_error *err);
stoa_status storage_pin_put(storage *s, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err);
stoa_status storage_pin_walk(storage *s, int only, stoa_pin_cb cb, void *arg, stoa_error *err);

/* Listings (ABI 1.4, include/stoa/storage.h S7; storage_listing.c). A plugin without
 * catalog_page/index_page is served by sorting a full walk per call: the same shapes,
 * time linear in the store, and index cursors "<stored_at>.<hash>" that a version
 * committed within the same second as the last one read can sort before. */
stoa_status storage_catalog_page(storage *s, const char *after_module, const char *after_version, size_t limit,
                                 stoa_entry_cb cb, void *arg, stoa_error *err);
stoa_status storage_index_page(storage *s, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                               stoa_error *err);
/* 1 when the plugin pages itself (ABI 1.4). */
int storage_pages(const storage *s);

/* Every stored object (ABI 1.4 objects()); for an older plugin, the INFO, MOD and ZIP
 * of each version walk() reports. */
stoa_status storage_objects(storage *s, stoa_object_cb cb, void *arg, stoa_error *err);
/* One object (ABI 1.4 remove_object()); for an older plugin, the whole version for
 * INFO, MOD and ZIP, and INVALID for other kinds. */
stoa_status storage_remove_object(storage *s, const stoa_key *key, stoa_error *err);
/* 1 when the plugin has objects() and remove_object() (ABI 1.4). */
int storage_has_objects(const storage *s);

/* cb hears what this process commits through s, as watch() reports other processes'
 * (STORED per file of a put, with version "" for a list or latest; REMOVED for a
 * remove or remove_object), on the committing thread, right after the commit: the
 * cache ledger sees every byte whichever layer stored it. Main thread, before any
 * other thread uses s; NULL stops. */
void storage_observe(storage *s, stoa_change_cb cb, void *arg);
/* The observer hears c (storage_listing.c's removals too). */
void storage_tell(storage *s, const stoa_change *c);

/* Changes other processes commit to a shared store (ABI 1.6 watch(), whose contract
 * include/stoa/storage.h states). Main thread, once. DECLINED when the plugin has no
 * watch (one process per store: nothing to hear). */
stoa_status storage_watch(storage *s, stoa_change_cb cb, void *arg, stoa_error *err);

/* (module, version) pairs as walk() and list() report them, collected into a growing
 * array of owned copies. */
typedef struct stored_version {
    char *module, *version;
    int64_t stored_at; /* as reported, or 0 */
} stored_version;

typedef struct stored_versions {
    stored_version *v;
    size_t n, cap;
    int oom; /* an add ran out of memory: the list is short */
} stored_versions;

/* 0, or -1 (and oom set) when out of memory. */
int stored_versions_add(stored_versions *l, const char *module, const char *version, int64_t stored_at);
/* A stoa_walk_cb whose arg is a stored_versions: adds each pair, stops when out of memory. */
int stored_versions_collect(void *arg, const char *module, const char *version, int64_t stored_at);
/* qsort order of stored_version: by module path, then semver precedence. */
int stored_version_cmp(const void *a, const void *b);
void stored_versions_free(stored_versions *l);

#endif
