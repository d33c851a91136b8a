#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void strbuf_init(strbuf *b, size_t cap)
{
    b->buf = malloc(cap);
    b->len = 0;
    b->cap = b->buf != NULL ? cap : 0;
    b->oom = b->buf == NULL;
    if (b->buf != NULL)
        b->buf[0] = '\0';
}

void strbuf_put(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = b->oom ? 0 : vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (b->oom || n < 0)
            return;
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        char *nb = realloc(b->buf, b->cap * 2 + (size_t)n);
        if (nb == NULL) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = b->cap * 2 + (size_t)n;
    }
}

char *strbuf_take(strbuf *b, size_t *len)
{
    char *s = b->oom ? NULL : b->buf;
    if (b->oom)
        free(b->buf);
    *len = s != NULL ? b->len : 0;
    b->buf = NULL;
    b->len = b->cap = 0;
    return s;
}

void strbuf_free(strbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}
