/* Open addressing with linear probing; a slot whose count drops to 0 is emptied by
 * backward shift (Knuth 6.4, Algorithm R), so no tombstones accumulate. */
#include "clientfills.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct slot {
    char addr[CLIENTFILLS_ADDR_MAX]; /* "" = empty */
    unsigned n;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot table[CLIENTFILLS_SLOTS];

static unsigned home(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; ++s)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % CLIENTFILLS_SLOTS;
}

/* The slot holding addr, or the empty slot where it would go; -1 when full. */
static int find(const char *addr)
{
    unsigned i = home(addr);
    for (unsigned k = 0; k < CLIENTFILLS_SLOTS; ++k, i = (i + 1) % CLIENTFILLS_SLOTS)
        if (table[i].addr[0] == '\0' || strcmp(table[i].addr, addr) == 0)
            return (int)i;
    return -1;
}

/* Empties slot i, moving later members of its probe run back so none is cut off. */
static void remove_at(unsigned i)
{
    unsigned j = i;
    for (;;) {
        table[i].addr[0] = '\0';
        table[i].n = 0;
        for (;;) {
            j = (j + 1) % CLIENTFILLS_SLOTS;
            if (table[j].addr[0] == '\0')
                return;
            unsigned h = home(table[j].addr);
            /* j stays unless its home lies cyclically outside (i, j] */
            if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
                continue;
            break;
        }
        table[i] = table[j];
        i = j;
    }
}

int clientfills_take(const char *addr, unsigned limit)
{
    char key[CLIENTFILLS_ADDR_MAX];
    snprintf(key, sizeof(key), "%s", addr[0] ? addr : "-");
    pthread_mutex_lock(&lock);
    int i = find(key);
    int ok = i >= 0 && (limit == 0 || table[i].n < limit);
    if (ok) {
        if (table[i].addr[0] == '\0')
            memcpy(table[i].addr, key, sizeof(key));
        ++table[i].n;
    }
    pthread_mutex_unlock(&lock);
    return ok ? 0 : -1;
}

void clientfills_put(const char *addr)
{
    char key[CLIENTFILLS_ADDR_MAX];
    snprintf(key, sizeof(key), "%s", addr[0] ? addr : "-");
    pthread_mutex_lock(&lock);
    int i = find(key);
    if (i >= 0 && table[i].addr[0] != '\0' && --table[i].n == 0)
        remove_at((unsigned)i);
    pthread_mutex_unlock(&lock);
}

unsigned clientfills_of(const char *addr)
{
    char key[CLIENTFILLS_ADDR_MAX];
    snprintf(key, sizeof(key), "%s", addr[0] ? addr : "-");
    pthread_mutex_lock(&lock);
    int i = find(key);
    unsigned n = i >= 0 && table[i].addr[0] != '\0' ? table[i].n : 0;
    pthread_mutex_unlock(&lock);
    return n;
}
