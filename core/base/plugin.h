/*
 * Plugin loader: finds NAME.so in the plugin directory, dlopens it
 * (RTLD_NOW|RTLD_LOCAL), checks the descriptor and copies its method table into a
 * zeroed table of the core's size, so members a plugin predates read as NULL.
 *
 * Refusals, each with a message naming the file: cannot open, no stoa_plugin_entry,
 * entry returns NULL, abi_major differs, wrong kind, name differs from the file name,
 * methods NULL or struct_size too small, required methods NULL. The same plugin may be
 * loaded more than once (two ipallow instances with different options); dlopen shares
 * the code, open() gives each its own state.
 */
#ifndef STOA_PLUGIN_H
#define STOA_PLUGIN_H

#include <stoa/auth.h>
#include <stoa/storage.h>

typedef struct plugin {
    char *name;
    char *path;
    void *dl;
    const stoa_plugin *desc;
    stoa_host host;           /* the host table handed to this plugin */
    union {
        stoa_storage_methods storage;
        stoa_auth_methods auth;
    } m;                      /* the core's own copy, zero-extended */
} plugin;

/* Directory used when config says nothing: <dir of the binary>/plugins (a build tree,
 * the image) or <dir of the binary>/../lib/stoa/plugins (an installed prefix). Writes
 * into out; returns 0 or -1. */
int plugin_default_dir(char *out, size_t len);

/* Loads dir/name.so expecting kind. Returns a plugin the caller frees with
 * plugin_unload, or NULL with err->msg set. */
plugin *plugin_load(const char *dir, const char *name, stoa_plugin_kind kind, stoa_error *err);

void plugin_unload(plugin *p);

/* Fills stoa_options from conf-style key/value pairs (arrays owned by the caller). */
void plugin_options(stoa_options *out, stoa_option *items, const void *kv, size_t n);

#endif
