#include "nameslot.h"

#include <stdio.h>
#include <string.h>

static size_t find(const nameslots *s, const char *name)
{
    for (size_t i = 0; i < s->n && atomic_load(&s->used[i]); ++i)
        if (strcmp(s->names[i], name) == 0)
            return i;
    return s->n;
}

size_t nameslot_of(nameslots *s, const char *name)
{
    size_t i = find(s, name);
    if (i < s->n)
        return i;
    pthread_mutex_lock(&s->mu);
    if ((i = find(s, name)) == s->n) {
        for (i = 0; i < s->n - 1 && atomic_load(&s->used[i]); ++i)
            ;
        if (!atomic_load(&s->used[i])) { /* else: the last slot, shared by every name beyond the table */
            snprintf(s->names[i], NAMESLOT_NAME, "%s", name);
            atomic_store(&s->used[i], 1);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return i;
}
