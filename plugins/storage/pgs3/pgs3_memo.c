/* Metadata of immutable files this process has looked up. Two uses:
 *  - a trusted entry answers a hit without asking PostgreSQL (get_local): trusted means
 *    looked up while the watcher (pgs3_watch.c) was listening for removals, with no
 *    removal, disconnect or reconnect since the lookup began (the generation check),
 *    so a version removed on any replica is forgotten here before it can be served;
 *  - any entry answers while PostgreSQL is down (documented: a version removed on
 *    another replica meanwhile may still be served).
 * Direct-mapped: a new entry simply replaces whatever hashed to its slot. */
#include "pgs3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgs3_memo_entry {
    char *name; /* "kind module@version", NULL when empty */
    int trusted;
    stoa_meta meta;
};

/* Every key the core makes fits (a module path is at most 512 bytes, a version 128). */
#define NAME_CAP 1024

/* "kind module@version" into buf (NAME_CAP bytes): no allocation, since every hit asks.
 * 0, or -1 for a key too long to be one the core makes (it is not remembered). */
static int name_of(const stoa_key *k, char *buf)
{
    int n = snprintf(buf, NAME_CAP, "%d %s@%s", (int)k->kind, k->module, k->version != NULL ? k->version : "");
    return n >= 0 && n < NAME_CAP ? 0 : -1;
}

static size_t slot_of(const pgs3_memo *m, const char *name)
{
    size_t h = 14695981039346656037ull;
    for (; *name; ++name)
        h = (h ^ (unsigned char)*name) * 1099511628211ull;
    return h % m->n;
}

int pgs3_memo_init(pgs3_memo *m, size_t n)
{
    m->n = n;
    m->gen = 0;
    m->live = 0;
    m->slots = n > 0 ? calloc(n, sizeof(*m->slots)) : NULL;
    pthread_mutex_init(&m->mu, NULL);
    return n > 0 && m->slots == NULL ? -1 : 0;
}

void pgs3_memo_free(pgs3_memo *m)
{
    for (size_t i = 0; i < m->n && m->slots != NULL; ++i)
        free(m->slots[i].name);
    free(m->slots);
    m->slots = NULL;
    pthread_mutex_destroy(&m->mu);
}

uint64_t pgs3_memo_gen(pgs3_memo *m)
{
    pthread_mutex_lock(&m->mu);
    uint64_t g = m->gen;
    pthread_mutex_unlock(&m->mu);
    return g;
}

void pgs3_memo_put(pgs3_memo *m, const stoa_key *key, const stoa_meta *meta, uint64_t gen)
{
    char buf[NAME_CAP], *name;
    if (m->n == 0 || !STOA_KIND_IS_IMMUTABLE(key->kind) || name_of(key, buf) != 0 || (name = strdup(buf)) == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    pgs3_memo_entry *e = &m->slots[slot_of(m, name)];
    free(e->name);
    e->name = name;
    e->trusted = m->live && gen == m->gen;
    e->meta = *meta;
    pthread_mutex_unlock(&m->mu);
}

int pgs3_memo_get(pgs3_memo *m, const stoa_key *key, int trusted_only, stoa_meta *meta)
{
    char name[NAME_CAP];
    if (m->n == 0 || !STOA_KIND_IS_IMMUTABLE(key->kind) || name_of(key, name) != 0)
        return 0;
    pthread_mutex_lock(&m->mu);
    pgs3_memo_entry *e = &m->slots[slot_of(m, name)];
    int found = e->name != NULL && strcmp(e->name, name) == 0 && (e->trusted || !trusted_only);
    if (found)
        *meta = e->meta;
    pthread_mutex_unlock(&m->mu);
    return found;
}

void pgs3_memo_forget(pgs3_memo *m, const char *module, const char *version)
{
    static const stoa_kind kinds[] = {STOA_KIND_INFO, STOA_KIND_MOD, STOA_KIND_ZIP, STOA_KIND_SUMDB_TILE};
    char name[NAME_CAP];
    pthread_mutex_lock(&m->mu); /* one hold: no lookup sees the new generation with the old entries */
    ++m->gen;                   /* a lookup that began before this removal must not be trusted */
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && m->n > 0; ++i) {
        stoa_key k = {module, version, kinds[i]};
        if (name_of(&k, name) != 0)
            continue;
        pgs3_memo_entry *e = &m->slots[slot_of(m, name)];
        if (e->name != NULL && strcmp(e->name, name) == 0) {
            free(e->name);
            e->name = NULL;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

void pgs3_memo_listening(pgs3_memo *m, int live)
{
    pthread_mutex_lock(&m->mu);
    ++m->gen;
    m->live = live;
    /* Removals may have been missed while nobody listened: nothing stays trusted. */
    for (size_t i = 0; i < m->n && !live; ++i)
        m->slots[i].trusted = 0;
    pthread_mutex_unlock(&m->mu);
}
