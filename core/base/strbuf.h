/*
 * A growing text buffer for responses built in pieces (/metrics, the web UI). Appends
 * never fail visibly: out of memory sets oom once and later appends do nothing, so a
 * builder checks once at the end (the sizes come from the store, so this must not
 * abort: core/base/mem.h).
 */
#ifndef STOA_STRBUF_H
#define STOA_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
    char *buf; /* NUL-terminated while not oom; owned: strbuf_free */
    size_t len, cap;
    int oom;
} strbuf;

/* Starts with room for cap bytes (oom set if even that fails). */
void strbuf_init(strbuf *b, size_t cap);
void strbuf_put(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes over (NULL when oom: then they are freed) and empties b. */
char *strbuf_take(strbuf *b, size_t *len);
void strbuf_free(strbuf *b);

#endif
