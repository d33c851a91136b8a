#include "revalidate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 1024 /* direct-mapped: a collision replaces the older validator */

typedef struct validator {
    char *relpath;
    char upstream[64];
    char etag[128];
    unsigned char sha256[32]; /* of the stored copy the etag belongs to */
} validator;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static validator table[SLOTS];

static validator *slot(const char *relpath)
{
    unsigned h = 2166136261u;
    for (const char *p = relpath; *p; ++p)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &table[h % SLOTS];
}

void revalidate_prepare(storage *s, const route *r, stoa_kind kind, const char *relpath, upstream_cond *cond)
{
    memset(cond, 0, sizeof(*cond));
    if (STOA_KIND_IS_IMMUTABLE(kind))
        return;
    stoa_key key = {r->module, NULL, kind};
    stoa_object o;
    stoa_error err;
    if (storage_get(s, &key, STOA_GET_META_ONLY, &o, &err) != STOA_OK)
        return;
    if (o.fd >= 0)
        close(o.fd);
    pthread_mutex_lock(&lock);
    validator *v = slot(relpath);
    if (v->relpath != NULL && strcmp(v->relpath, relpath) == 0 && memcmp(v->sha256, o.meta.sha256, 32) == 0) {
        memcpy(cond->upstream, v->upstream, sizeof(cond->upstream));
        memcpy(cond->etag, v->etag, sizeof(cond->etag));
    }
    pthread_mutex_unlock(&lock);
}

void revalidate_remember(const char *relpath, stoa_kind kind, const char *name, const char *etag, const unsigned char sha256[32])
{
    if (STOA_KIND_IS_IMMUTABLE(kind))
        return;
    pthread_mutex_lock(&lock);
    validator *v = slot(relpath);
    if (etag[0] != '\0' && strlen(etag) < sizeof(v->etag)) {
        if (v->relpath == NULL || strcmp(v->relpath, relpath) != 0) {
            free(v->relpath);
            v->relpath = strdup(relpath);
        }
        snprintf(v->upstream, sizeof(v->upstream), "%s", name);
        snprintf(v->etag, sizeof(v->etag), "%s", etag);
        memcpy(v->sha256, sha256, 32);
    } else if (v->relpath != NULL && strcmp(v->relpath, relpath) == 0) {
        free(v->relpath);
        v->relpath = NULL;
    }
    pthread_mutex_unlock(&lock);
}

stoa_status revalidate_touch(storage *s, const route *r, stoa_kind kind, stoa_error *err)
{
    stoa_key key = {r->module, NULL, kind};
    stoa_object o;
    stoa_status st = storage_get(s, &key, 0, &o, err);
    if (st != STOA_OK)
        return st;
    stoa_put_file f = {kind, o.fd, o.meta};
    st = storage_put(s, r->module, NULL, &f, 1, err);
    close(o.fd);
    return st;
}
