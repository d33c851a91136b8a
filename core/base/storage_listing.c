/*
 * Catalog and index pages and the quota's object accounting: straight to a plugin
 * that has them (ABI 1.4), else built from walk() the way stoa did before, so a
 * plugin built for minor 3 keeps working (only slower, and its index paging is
 * exact only for versions a second or more apart).
 */
#include "storage.h"

#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int storage_pages(const storage *s)
{
    return s->p->m.storage.catalog_page != NULL && s->p->m.storage.index_page != NULL;
}

int storage_has_objects(const storage *s)
{
    return s->p->m.storage.objects != NULL && s->p->m.storage.remove_object != NULL;
}

static int by_key(const void *a, const void *b)
{
    const stored_version *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    return c != 0 ? c : strcmp(x->version, y->version);
}

/* Fallback index order: (stored_at, hash of module@version). */
static int by_time(const void *a, const void *b)
{
    const stored_version *x = a, *y = b;
    if (x->stored_at != y->stored_at)
        return x->stored_at < y->stored_at ? -1 : 1;
    uint64_t hx = stoa_version_hash(x->module, x->version), hy = stoa_version_hash(y->module, y->version);
    return (hx > hy) - (hx < hy);
}

static stoa_status walk_sorted(storage *s, int (*cmp)(const void *, const void *), stored_versions *l, stoa_error *err)
{
    stoa_status st = storage_walk(s, stored_versions_collect, l, err);
    if (st == STOA_OK && l->oom)
        st = stoa_fail(err, STOA_INTERNAL, "out of memory listing storage");
    if (st == STOA_OK && l->n > 1) /* qsort(NULL, 0) is undefined */
        qsort(l->v, l->n, sizeof(*l->v), cmp);
    return st;
}

stoa_status storage_catalog_page(storage *s, const char *after_module, const char *after_version, size_t limit,
                                 stoa_entry_cb cb, void *arg, stoa_error *err)
{
    if (s->p->m.storage.catalog_page != NULL)
        return metrics_storage_counted(STORAGE_OP_CATALOG_PAGE, s->p->m.storage.catalog_page(s->state, after_module, after_version, limit, cb, arg, err));
    stored_versions l = {0};
    stoa_status st = walk_sorted(s, by_key, &l, err);
    stored_version after = {(char *)after_module, (char *)(after_version ? after_version : ""), 0};
    for (size_t i = 0, sent = 0; st == STOA_OK && i < l.n && sent < limit; ++i) {
        if (after_module != NULL && by_key(&l.v[i], &after) <= 0)
            continue;
        stoa_entry e = {l.v[i].module, l.v[i].version, l.v[i].stored_at, ""};
        ++sent;
        if (cb(arg, &e) != 0)
            break;
    }
    stored_versions_free(&l);
    return st;
}

stoa_status storage_index_page(storage *s, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                               stoa_error *err)
{
    if (s->p->m.storage.index_page != NULL)
        return metrics_storage_counted(STORAGE_OP_INDEX_PAGE, s->p->m.storage.index_page(s->state, after, since, limit, cb, arg, err));
    int64_t at = 0;
    uint64_t hash = 0;
    int has_after = after != NULL && *after != '\0';
    if (has_after && sscanf(after, "%" SCNd64 ".%16" SCNx64, &at, &hash) != 2)
        return stoa_fail(err, STOA_INVALID, "index cursor \"%.64s\" is not one this storage made", after);
    stored_versions l = {0};
    stoa_status st = walk_sorted(s, by_time, &l, err);
    for (size_t i = 0, sent = 0; st == STOA_OK && i < l.n && sent < limit; ++i) {
        const stored_version *v = &l.v[i];
        uint64_t h = stoa_version_hash(v->module, v->version);
        if (v->stored_at < since || (has_after && (v->stored_at < at || (v->stored_at == at && h <= hash))))
            continue;
        char cur[STOA_CURSOR_MAX];
        snprintf(cur, sizeof(cur), "%" PRId64 ".%016" PRIx64, v->stored_at, h);
        stoa_entry e = {v->module, v->version, v->stored_at, cur};
        ++sent;
        if (cb(arg, &e) != 0)
            break;
    }
    stored_versions_free(&l);
    return st;
}

typedef struct objects_walk {
    storage *s;
    stoa_object_cb cb;
    void *arg;
} objects_walk;

static int each_version(void *arg, const char *module, const char *version, int64_t stored_at)
{
    objects_walk *w = arg;
    static const stoa_kind kinds[] = {STOA_KIND_INFO, STOA_KIND_MOD, STOA_KIND_ZIP};
    (void)stored_at;
    for (size_t k = 0; k < 3; ++k) {
        stoa_key key = {module, version, kinds[k]};
        stoa_object o;
        stoa_error err = {0};
        if (storage_get(w->s, &key, STOA_GET_META_ONLY, &o, &err) == STOA_OK && w->cb(w->arg, &key, &o.meta) != 0)
            return 1;
    }
    return 0;
}

stoa_status storage_objects(storage *s, stoa_object_cb cb, void *arg, stoa_error *err)
{
    if (s->p->m.storage.objects != NULL)
        return metrics_storage_counted(STORAGE_OP_OBJECTS, s->p->m.storage.objects(s->state, cb, arg, err));
    objects_walk w = {s, cb, arg};
    return storage_walk(s, each_version, &w, err);
}

stoa_status storage_remove_object(storage *s, const stoa_key *key, stoa_error *err)
{
    if (s->p->m.storage.remove_object != NULL) {
        stoa_status st = metrics_storage_counted(STORAGE_OP_REMOVE_OBJECT, s->p->m.storage.remove_object(s->state, key, err));
        if (st == STOA_OK)
            storage_tell(s, &(stoa_change){.type = STOA_CHANGE_REMOVED, .module = key->module,
                                           .version = key->version ? key->version : "", .kind = key->kind});
        return st;
    }
    if (key->kind != STOA_KIND_INFO && key->kind != STOA_KIND_MOD && key->kind != STOA_KIND_ZIP)
        return stoa_fail(err, STOA_INVALID, "storage plugin %s cannot remove single objects", s->p->name);
    return storage_remove(s, key->module, key->version, err);
}
