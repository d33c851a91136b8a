/*
 * Out of memory, one policy. Small allocations whose size the operator or the code
 * chooses (configuration, names, per-request bookkeeping, queues' nodes) use these:
 * on failure they log one line and abort, since nothing useful can run without them
 * and a NULL checked in one place and dereferenced in another is worse than a crash
 * with a reason. Allocations whose size a client or an upstream chooses (bodies,
 * zips, listings, tiles) keep using malloc and fail the request (STOA_INTERNAL / 503)
 * when it returns NULL: one large request must not take the server down.
 */
#ifndef STOA_MEM_H
#define STOA_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strdup(const char *s);

#endif
