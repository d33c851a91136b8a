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
} storage;

stoa_status storage_open(storage *s, const char *plugin_dir, const conf_plugin *cp, const char *tmp_dir, stoa_error *err);
void storage_close(storage *s);

/* 1 when get/list may run on a loop thread. */
int storage_fast(const storage *s);

stoa_status storage_get(storage *s, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err);
stoa_status storage_put(storage *s, const char *module, const char *version, const stoa_put_file *files, size_t n,
                        stoa_error *err);
stoa_status storage_list(storage *s, const char *module, stoa_version_cb cb, void *arg, stoa_error *err);
stoa_status storage_walk(storage *s, stoa_walk_cb cb, void *arg, stoa_error *err);
stoa_status storage_remove(storage *s, const char *module, const char *version, stoa_error *err);
stoa_status storage_health(storage *s, stoa_error *err);

#endif
