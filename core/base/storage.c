#include "storage.h"

#include "metrics.h"
#include "semver.h"

#include <stdlib.h>
#include <string.h>

stoa_status storage_open(storage *s, const char *plugin_dir, const conf_plugin *cp, const char *tmp_dir, stoa_error *err)
{
    memset(s, 0, sizeof(*s));
    if ((s->p = plugin_load(plugin_dir, cp->plugin, STOA_PLUGIN_STORAGE, err)) == NULL)
        return err->status != STOA_OK ? err->status : STOA_INVALID;
    s->p->host.tmp_dir = tmp_dir;
    stoa_option items[cp->noptions + 1];
    stoa_options opts;
    plugin_options(&opts, items, cp->options, cp->noptions);
    stoa_status st = s->p->m.storage.open(&s->p->host, &opts, &s->state, err);
    if (st != STOA_OK) {
        plugin_unload(s->p);
        s->p = NULL;
    }
    return st;
}

void storage_close(storage *s)
{
    if (s->p == NULL)
        return;
    if (s->p->m.storage.close != NULL)
        s->p->m.storage.close(s->state);
    plugin_unload(s->p);
    s->p = NULL;
}

int storage_fast(const storage *s)
{
    return (s->p->m.storage.caps & STOA_STORAGE_CAP_FAST_GET) != 0;
}

stoa_status storage_get(storage *s, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err)
{
    return metrics_storage_counted(STORAGE_OP_GET, s->p->m.storage.get(s->state, key, flags, out, err));
}

stoa_status storage_get_local(storage *s, const stoa_key *key, unsigned flags, stoa_object *out)
{
    if (s->p->m.storage.get_local == NULL)
        return STOA_DECLINED;
    return s->p->m.storage.get_local(s->state, key, flags, out) == STOA_OK ? STOA_OK : STOA_DECLINED;
}

int storage_can_copy(const storage *s)
{
    return s->p->m.storage.get_copy != NULL;
}

stoa_status storage_get_copy(storage *s, const stoa_key *key, void *buf, size_t cap, stoa_meta *meta, stoa_error *err)
{
    return metrics_storage_counted(STORAGE_OP_GET_COPY, s->p->m.storage.get_copy(s->state, key, buf, cap, meta, err));
}

void storage_observe(storage *s, stoa_change_cb cb, void *arg)
{
    s->observe = cb;
    s->observe_arg = arg;
}

void storage_tell(storage *s, const stoa_change *c)
{
    if (s->observe != NULL)
        s->observe(s->observe_arg, c);
}

stoa_status storage_put(storage *s, const char *module, const char *version, const stoa_put_file *files, size_t n,
                        stoa_error *err)
{
    stoa_status st = metrics_storage_counted(STORAGE_OP_PUT, s->p->m.storage.put(s->state, module, version, files, n, err));
    for (size_t i = 0; st == STOA_OK && s->observe != NULL && i < n; ++i)
        storage_tell(s, &(stoa_change){.type = STOA_CHANGE_STORED, .module = module, .version = version ? version : "",
                                       .kind = files[i].kind, .size = files[i].meta.size,
                                       .published = strcmp(files[i].meta.origin, "published") == 0});
    return st;
}

stoa_status storage_list(storage *s, const char *module, stoa_version_cb cb, void *arg, stoa_error *err)
{
    return metrics_storage_counted(STORAGE_OP_LIST, s->p->m.storage.list(s->state, module, cb, arg, err));
}

stoa_status storage_walk(storage *s, stoa_walk_cb cb, void *arg, stoa_error *err)
{
    if (s->p->m.storage.walk == NULL)
        return stoa_fail(err, STOA_INVALID, "storage plugin %s cannot enumerate modules", s->p->name);
    return metrics_storage_counted(STORAGE_OP_WALK, s->p->m.storage.walk(s->state, cb, arg, err));
}

stoa_status storage_remove(storage *s, const char *module, const char *version, stoa_error *err)
{
    if (s->p->m.storage.remove == NULL)
        return stoa_fail(err, STOA_INVALID, "storage plugin %s cannot delete", s->p->name);
    stoa_status st = metrics_storage_counted(STORAGE_OP_REMOVE, s->p->m.storage.remove(s->state, module, version, err));
    if (st == STOA_OK)
        storage_tell(s, &(stoa_change){.type = STOA_CHANGE_REMOVED, .module = module, .version = version});
    return st;
}

stoa_status storage_health(storage *s, stoa_error *err)
{
    return s->p->m.storage.health != NULL ? metrics_storage_counted(STORAGE_OP_HEALTH, s->p->m.storage.health(s->state, err)) : STOA_OK;
}

stoa_status storage_lease(storage *s, const stoa_key *key, uint32_t wait_ms, void **handle, stoa_error *err)
{
    *handle = NULL;
    if (s->p->m.storage.lease == NULL || s->p->m.storage.release == NULL)
        return STOA_OK;
    void *h = NULL;
    stoa_status st = s->p->m.storage.lease(s->state, key, wait_ms, &h, err);
    if (st == STOA_OK)
        *handle = h;
    return st;
}

void storage_release(storage *s, void *handle)
{
    if (handle != NULL)
        s->p->m.storage.release(s->state, handle);
}

stoa_status storage_gc(storage *s, stoa_gc_stats *stats, stoa_error *err)
{
    memset(stats, 0, sizeof(*stats));
    return s->p->m.storage.gc != NULL ? s->p->m.storage.gc(s->state, stats, err) : STOA_OK;
}

int storage_pins(const storage *s)
{
    const stoa_storage_methods *m = &s->p->m.storage;
    return m->pin_get != NULL && m->pin_put != NULL && m->pin_walk != NULL;
}

stoa_status storage_pin_get(storage *s, const stoa_key *key, stoa_pin *out, stoa_error *err)
{
    if (!storage_pins(s))
        return stoa_fail(err, STOA_NOTFOUND, "storage plugin %s keeps no pins", s->p->name);
    return metrics_storage_counted(STORAGE_OP_PIN_GET, s->p->m.storage.pin_get(s->state, key, out, err));
}

stoa_status storage_pin_put(storage *s, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err)
{
    return storage_pins(s) ? metrics_storage_counted(STORAGE_OP_PIN_PUT, s->p->m.storage.pin_put(s->state, key, pin, flags, err)) : STOA_OK;
}

stoa_status storage_pin_walk(storage *s, int only, stoa_pin_cb cb, void *arg, stoa_error *err)
{
    return storage_pins(s) ? metrics_storage_counted(STORAGE_OP_PIN_WALK, s->p->m.storage.pin_walk(s->state, only, cb, arg, err)) : STOA_OK;
}

stoa_status storage_watch(storage *s, stoa_change_cb cb, void *arg, stoa_error *err)
{
    if (s->p->m.storage.watch == NULL)
        return STOA_DECLINED;
    return s->p->m.storage.watch(s->state, cb, arg, err);
}

int stored_versions_add(stored_versions *l, const char *module, const char *version, int64_t stored_at)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        stored_version *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return l->oom = 1, -1;
        l->v = v;
        l->cap = cap;
    }
    stored_version *e = &l->v[l->n];
    *e = (stored_version){strdup(module), strdup(version), stored_at};
    if (e->module == NULL || e->version == NULL) {
        free(e->module);
        free(e->version);
        return l->oom = 1, -1;
    }
    l->n++;
    return 0;
}

int stored_versions_collect(void *arg, const char *module, const char *version, int64_t stored_at)
{
    return stored_versions_add(arg, module, version, stored_at) != 0;
}

int stored_version_cmp(const void *a, const void *b)
{
    const stored_version *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    return c != 0 ? c : semver_compare(x->version, y->version);
}

void stored_versions_free(stored_versions *l)
{
    for (size_t i = 0; i < l->n; ++i) {
        free(l->v[i].module);
        free(l->v[i].version);
    }
    free(l->v);
    *l = (stored_versions){0};
}
