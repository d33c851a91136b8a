#include "plugin.h"

#include "conf.h"
#include "dirs.h"
#include "log.h"
#include "modpath.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void host_log(const stoa_host *host, stoa_log_level level, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_msg(level, host->_name != NULL ? host->_name : "plugin", "%s", buf);
}

static const char *host_option(const stoa_options *opts, const char *key, const char *def)
{
    const char *v = def;
    for (size_t i = 0; opts != NULL && i < opts->count; ++i)
        if (strcmp(opts->items[i].key, key) == 0)
            v = opts->items[i].value;
    return v;
}

int plugin_default_dir(char *out, size_t len)
{
    static const char *const rels[] = {"plugins", "../lib/stoa/plugins", NULL};
    return dirs_beside_binary(rels, out, len);
}

static int check_methods(plugin *p, stoa_plugin_kind kind, stoa_error *err)
{
    size_t have = kind == STOA_PLUGIN_STORAGE ? sizeof(stoa_storage_methods) : sizeof(stoa_auth_methods);
    const uint32_t *size = p->desc->methods;
    if (size == NULL || *size < sizeof(uint32_t) * 2)
        return stoa_fail(err, STOA_INVALID, "%s: plugin has no method table", p->path);
    memset(&p->m, 0, sizeof(p->m));
    memcpy(&p->m, p->desc->methods, *size < have ? *size : have);
    if (kind == STOA_PLUGIN_STORAGE) {
        const stoa_storage_methods *s = &p->m.storage;
        if (s->open == NULL || s->get == NULL || s->put == NULL || s->list == NULL)
            return stoa_fail(err, STOA_INVALID, "%s: storage plugin lacks open, get, put or list", p->path);
    } else if (p->m.auth.open == NULL || p->m.auth.decide == NULL) {
        return stoa_fail(err, STOA_INVALID, "%s: auth plugin lacks open or decide", p->path);
    }
    return STOA_OK;
}

static int check_desc(plugin *p, stoa_plugin_kind kind, stoa_error *err)
{
    stoa_plugin_entry_fn entry;
    *(void **)&entry = dlsym(p->dl, STOA_PLUGIN_ENTRY);
    if (entry == NULL)
        return stoa_fail(err, STOA_INVALID, "%s: not a stoa plugin (no symbol %s)", p->path, STOA_PLUGIN_ENTRY);
    p->desc = entry();
    if (p->desc == NULL)
        return stoa_fail(err, STOA_INVALID, "%s: %s() returned NULL", p->path, STOA_PLUGIN_ENTRY);
    if (p->desc->abi_major != STOA_ABI_MAJOR)
        return stoa_fail(err, STOA_INVALID, "%s: built for plugin ABI %u, this stoa speaks ABI %u; rebuild the plugin",
                         p->path, p->desc->abi_major, STOA_ABI_MAJOR);
    if (p->desc->struct_size < offsetof(stoa_plugin, methods) + sizeof(void *))
        return stoa_fail(err, STOA_INVALID, "%s: descriptor too small (%u bytes)", p->path, p->desc->struct_size);
    if (p->desc->kind != kind)
        return stoa_fail(err, STOA_INVALID, "%s: is a %s plugin, expected %s", p->path,
                         p->desc->kind == STOA_PLUGIN_AUTH ? "auth" : "storage", kind == STOA_PLUGIN_AUTH ? "auth" : "storage");
    if (p->desc->name == NULL || strcmp(p->desc->name, p->name) != 0)
        return stoa_fail(err, STOA_INVALID, "%s: calls itself '%s', expected '%s'", p->path,
                         p->desc->name != NULL ? p->desc->name : "(null)", p->name);
    return check_methods(p, kind, err);
}

static int valid_name(const char *name)
{
    if (*name == '\0' || strlen(name) > 64)
        return 0;
    for (const char *c = name; *c; ++c)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return 0;
    return 1;
}

plugin *plugin_load(const char *dir, const char *name, stoa_plugin_kind kind, stoa_error *err)
{
    if (!valid_name(name)) {
        stoa_fail(err, STOA_INVALID, "plugin name '%s': use lower-case letters, digits, '-' and '_'", name);
        return NULL;
    }
    plugin *p = calloc(1, sizeof(*p));
    if (p == NULL || asprintf(&p->path, "%s/%s.so", dir, name) < 0 || (p->name = strdup(name)) == NULL) {
        stoa_fail(err, STOA_INTERNAL, "out of memory loading plugin %s", name);
        plugin_unload(p);
        return NULL;
    }
    p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
    if (p->dl == NULL) {
        stoa_fail(err, STOA_INVALID, "cannot load plugin %s: %s (plugin_dir is %s)", p->path, dlerror(), dir);
        plugin_unload(p);
        return NULL;
    }
    if (check_desc(p, kind, err) != STOA_OK) {
        plugin_unload(p);
        return NULL;
    }
    p->host.abi_major = STOA_ABI_MAJOR;
    p->host.struct_size = sizeof(stoa_host);
    p->host.log = host_log;
    p->host.option = host_option;
    p->host.match_patterns = modpath_match_patterns;
    p->host._name = p->name;
    return p;
}

void plugin_unload(plugin *p)
{
    if (p == NULL)
        return;
#ifndef STOA_KEEP_PLUGINS_MAPPED /* debugging: leak reports keep the plugin's symbols */
    if (p->dl != NULL)
        dlclose(p->dl);
#endif
    free(p->path);
    free(p->name);
    free(p);
}

void plugin_options(stoa_options *out, stoa_option *items, const void *kvp, size_t n)
{
    const conf_kv *kv = kvp;
    for (size_t i = 0; i < n; ++i) {
        items[i].key = kv[i].key;
        items[i].value = kv[i].value;
    }
    out->count = n;
    out->items = items;
}
