#include "throttle.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define THROTTLE_SLOTS 4096
#define THROTTLE_PROBE 8

typedef struct slot {
    char addr[THROTTLE_KEY_MAX];
    uint32_t count;
    uint64_t window_start;
    uint64_t blocked_until;
    uint64_t last_seen;
} slot;

static slot slots[THROTTLE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Latest blocked_until of any address: lets throttle_blocked skip the lock. */
static _Atomic uint64_t any_blocked_until;

void throttle_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(slots, 0, sizeof(slots));
    atomic_store(&any_blocked_until, 0);
    pthread_mutex_unlock(&lock);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; ++s)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot for addr, or a slot to reuse (empty, else least recently seen). Lock held. */
static slot *find(const char *addr, int create)
{
    uint32_t h = hash(addr);
    slot *victim = NULL;
    for (uint32_t i = 0; i < THROTTLE_PROBE; ++i) {
        slot *s = &slots[(h + i) % THROTTLE_SLOTS];
        if (strcmp(s->addr, addr) == 0)
            return s;
        if (victim == NULL)
            victim = s;
        else if (victim->addr[0] != '\0' && (s->addr[0] == '\0' || s->last_seen < victim->last_seen))
            victim = s;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
    return victim;
}

uint32_t throttle_failure(const char *addr, uint64_t now_ms, uint32_t failures, uint32_t window_ms)
{
    if (failures == 0 || addr == NULL || addr[0] == '\0')
        return 0;
    uint64_t window = window_ms ? window_ms : 1;
    pthread_mutex_lock(&lock);
    slot *s = find(addr, 1);
    s->last_seen = now_ms;
    if (now_ms - s->window_start >= window) {
        s->window_start = now_ms;
        s->count = 0;
    }
    uint32_t n = ++s->count;
    if (n >= failures && s->blocked_until <= now_ms) {
        s->blocked_until = now_ms + window;
        s->count = 0;
        s->window_start = now_ms;
        s->last_seen = s->blocked_until; /* evicted last while blocked */
        if (s->blocked_until > atomic_load(&any_blocked_until))
            atomic_store(&any_blocked_until, s->blocked_until);
    }
    pthread_mutex_unlock(&lock);
    return n;
}

uint32_t throttle_blocked(const char *addr, uint64_t now_ms)
{
    if (atomic_load(&any_blocked_until) <= now_ms)
        return 0;
    uint32_t secs = 0;
    pthread_mutex_lock(&lock);
    const slot *s = find(addr, 0);
    if (s != NULL && s->blocked_until > now_ms)
        secs = (uint32_t)((s->blocked_until - now_ms + 999) / 1000);
    pthread_mutex_unlock(&lock);
    return secs;
}
