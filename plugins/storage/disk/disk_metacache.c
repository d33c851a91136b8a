/* Sidecar metadata cached in memory, keyed by the object's identity (device, inode,
 * size, mtime and ctime to the nanosecond): a cache hit costs no open, read and close
 * of the sidecar, which was half the system calls of serving a small file. An object is
 * only ever replaced by renaming a new inode over it, so an entry can never describe
 * other bytes. (Someone rewriting a file in place to the same size within one tick of
 * the filesystem's clock would go unseen; stoa never writes in place.) Direct-mapped and bounded: a colliding entry is overwritten.
 *
 * An entry may also hold the object's bytes when it is small (DISK_BODY_MAX), up to
 * BODY_BUDGET bytes in all, so get_copy() answers a hit on a .info or a small .mod with
 * one stat(2) and a memcpy. */
#include "disk_metacache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 16384 /* ~4 MiB, touched only as used */
#define LOCKS 64
#define BODY_BUDGET (4u << 20)

typedef struct slot {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
    int used;
    stoa_meta meta;
    char *body;      /* the object's bytes (meta.size of them), or NULL */
} slot;

struct disk_metacache {
    pthread_mutex_t locks[LOCKS];
    atomic_size_t body_bytes;
    slot slots[SLOTS];
};

disk_metacache *disk_metacache_new(void)
{
    disk_metacache *c = calloc(1, sizeof(*c));
    for (size_t i = 0; c != NULL && i < LOCKS; ++i)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void disk_metacache_free(disk_metacache *c)
{
    for (size_t i = 0; c != NULL && i < LOCKS; ++i)
        pthread_mutex_destroy(&c->locks[i]);
    for (size_t i = 0; c != NULL && i < SLOTS; ++i)
        free(c->slots[i].body);
    free(c);
}

static size_t index_of(const struct stat *st)
{
    uint64_t h = ((uint64_t)st->st_ino * 0x9E3779B97F4A7C15ull) ^ (uint64_t)st->st_dev;
    return (size_t)(h >> 32) % SLOTS;
}

static int same_file(const slot *s, const struct stat *st)
{
    return s->used && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
           s->mtim.tv_sec == st->st_mtim.tv_sec && s->mtim.tv_nsec == st->st_mtim.tv_nsec &&
           s->ctim.tv_sec == st->st_ctim.tv_sec && s->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

int disk_metacache_get(disk_metacache *c, const struct stat *st, stoa_meta *out)
{
    if (c == NULL)
        return 0;
    size_t i = index_of(st);
    pthread_mutex_lock(&c->locks[i % LOCKS]);
    int hit = same_file(&c->slots[i], st);
    if (hit)
        *out = c->slots[i].meta;
    pthread_mutex_unlock(&c->locks[i % LOCKS]);
    return hit;
}

void disk_metacache_put(disk_metacache *c, const struct stat *st, const stoa_meta *m)
{
    if (c == NULL)
        return;
    size_t i = index_of(st);
    pthread_mutex_lock(&c->locks[i % LOCKS]);
    slot *s = &c->slots[i];
    if (s->body != NULL) {
        atomic_fetch_sub(&c->body_bytes, (size_t)s->meta.size);
        free(s->body);
    }
    *s = (slot){st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim, 1, *m, NULL};
    pthread_mutex_unlock(&c->locks[i % LOCKS]);
}

int disk_metacache_get_body(disk_metacache *c, const struct stat *st, stoa_meta *out, void *buf, size_t cap)
{
    if (c == NULL)
        return 0;
    size_t i = index_of(st);
    pthread_mutex_lock(&c->locks[i % LOCKS]);
    const slot *s = &c->slots[i];
    int hit = same_file(s, st) && s->body != NULL && s->meta.size <= cap;
    if (hit) {
        *out = s->meta;
        memcpy(buf, s->body, (size_t)s->meta.size);
    }
    pthread_mutex_unlock(&c->locks[i % LOCKS]);
    return hit;
}

void disk_metacache_put_body(disk_metacache *c, const struct stat *st, const void *body)
{
    if (c == NULL || st->st_size > DISK_BODY_MAX)
        return;
    size_t n = (size_t)st->st_size, i = index_of(st);
    pthread_mutex_lock(&c->locks[i % LOCKS]);
    slot *s = &c->slots[i];
    if (same_file(s, st) && s->meta.size == n && s->body == NULL) {
        if (atomic_fetch_add(&c->body_bytes, n) + n <= BODY_BUDGET && (s->body = malloc(n ? n : 1)) != NULL)
            memcpy(s->body, body, n);
        else
            atomic_fetch_sub(&c->body_bytes, n); /* over budget: the entry keeps no bytes */
    }
    pthread_mutex_unlock(&c->locks[i % LOCKS]);
}
