/* Token entries (name rules, hash and time text) and token_set, the in-memory snapshot
 * of a store. */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void token_set_free(token_set *s)
{
    if (s == NULL)
        return;
    free(s->items);
    free(s->hashes);
    s->items = NULL;
    s->hashes = NULL;
    s->n = 0;
}

int token_set_add(token_set *s, const token_entry *e)
{
    token_entry *items = realloc(s->items, (s->n + 1) * sizeof(*items));
    if (items == NULL)
        return -1;
    s->items = items;
    unsigned char(*hashes)[32] = realloc(s->hashes, (s->n + 1) * sizeof(*hashes));
    if (hashes == NULL)
        return -1;
    s->hashes = hashes;
    memcpy(hashes[s->n], e->hash, 32);
    items[s->n++] = *e;
    return 0;
}

token_entry *token_set_find(token_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; ++i)
        if (strcmp(s->items[i].name, name) == 0)
            return &s->items[i];
    return NULL;
}

int token_name_valid(const char *n)
{
    size_t l = strlen(n);
    return l > 0 && l <= TOKEN_NAME_MAX &&
           strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == l;
}

int token_hash_from_hex(const char *h, unsigned char out[32])
{
    if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
        return -1;
    for (int i = 0; i < 32; ++i) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

void token_time_text(int64_t t, char *out, size_t len)
{
    if (t == 0) {
        snprintf(out, len, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
