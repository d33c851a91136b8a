/*
 * Names to small fixed slots, for counters and state that must follow a name across
 * reloads (an upstream's health, a repository's request counts) without growing with
 * what clients send: the table is filled from the configuration, and every name beyond
 * its size shares the last slot. A slot's name is written once, before it is marked
 * used, so readers need no lock.
 */
#ifndef STOA_NAMESLOT_H
#define STOA_NAMESLOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define NAMESLOT_NAME 64

typedef struct nameslots {
    size_t n;
    char (*names)[NAMESLOT_NAME];
    atomic_int *used;
    pthread_mutex_t mu;
} nameslots;

/* A table of count slots in static storage, named var. */
#define NAMESLOTS_DEFINE(var, count)                                                                       \
    static char var##_names[count][NAMESLOT_NAME];                                                       \
    static atomic_int var##_used[count];                                                                  \
    static nameslots var = {count, var##_names, var##_used, PTHREAD_MUTEX_INITIALIZER}

/* name's slot (0..n-1), taking a free one for a new name. Thread-safe. */
size_t nameslot_of(nameslots *s, const char *name);

#endif
