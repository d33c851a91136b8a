#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Noreturn void out_of_memory(size_t n)
{
    /* No log_msg: it may allocate. One write(2) of a fixed buffer. */
    char line[96];
    int len = snprintf(line, sizeof(line), "stoa: fatal: out of memory (allocating %zu bytes)\n", n);
    if (len > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)len);
        (void)w; /* nothing else to do if stderr is gone */
    }
    abort();
}

void *mem_alloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

void *mem_calloc(size_t count, size_t size)
{
    void *p = calloc(count != 0 ? count : 1, size != 0 ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    void *q = realloc(p, n != 0 ? n : 1);
    if (q == NULL)
        out_of_memory(n);
    return q;
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(mem_alloc(n), s, n);
}
