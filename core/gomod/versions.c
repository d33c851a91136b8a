#include "versions.h"

#include "semver.h"

#include <stdlib.h>
#include <string.h>

int versions_add(versions *vs, const char *v)
{
    if (!semver_is_valid(v))
        return 0;
    for (size_t i = 0; i < vs->n; ++i)
        if (strcmp(vs->v[i], v) == 0)
            return 0;
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 16;
        char **nv = realloc(vs->v, cap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        vs->v = nv;
        vs->cap = cap;
    }
    if ((vs->v[vs->n] = strdup(v)) == NULL)
        return -1;
    vs->n++;
    return 0;
}

int versions_add_lines(versions *vs, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        char line[SEMVER_MAX + 1];
        size_t n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
            --n;
        /* A list line may carry more fields after the version (the go command ignores them). */
        const char *sp = memchr(p, ' ', n);
        if (sp != NULL)
            n = (size_t)(sp - p);
        if (n > 0 && n <= SEMVER_MAX) {
            memcpy(line, p, n);
            line[n] = '\0';
            if (versions_add(vs, line) != 0)
                return -1;
        }
        p = e + 1;
    }
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return semver_compare(*(char *const *)a, *(char *const *)b);
}

void versions_remove_if(versions *vs, int (*drop)(void *arg, const char *v), void *arg)
{
    size_t k = 0;
    for (size_t i = 0; i < vs->n; ++i) {
        if (drop(arg, vs->v[i]))
            free(vs->v[i]);
        else
            vs->v[k++] = vs->v[i];
    }
    vs->n = k;
}

void versions_sort(versions *vs)
{
    if (vs->n > 1)
        qsort(vs->v, vs->n, sizeof(*vs->v), cmp);
}

static const char *highest(const versions *vs, int want_release, int want_pre)
{
    const char *best = NULL;
    for (size_t i = 0; i < vs->n; ++i) {
        const char *v = vs->v[i];
        int pseudo = semver_is_pseudo(v), pre = semver_is_prerelease(v);
        int ok = want_release ? !pre : want_pre ? pre && !pseudo : pseudo;
        if (ok && (best == NULL || semver_compare(v, best) > 0))
            best = v;
    }
    return best;
}

const char *versions_latest(const versions *vs)
{
    const char *v = highest(vs, 1, 0);
    if (v == NULL)
        v = highest(vs, 0, 1);
    if (v == NULL)
        v = highest(vs, 0, 0);
    return v;
}

char *versions_text(const versions *vs, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < vs->n; ++i)
        total += strlen(vs->v[i]) + 1;
    char *out = malloc(total + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < vs->n; ++i) {
        size_t l = strlen(vs->v[i]);
        memcpy(o, vs->v[i], l);
        o[l] = '\n';
        o += l + 1;
    }
    *o = '\0';
    *len = total;
    return out;
}

void versions_free(versions *vs)
{
    for (size_t i = 0; i < vs->n; ++i)
        free(vs->v[i]);
    free(vs->v);
    memset(vs, 0, sizeof(*vs));
}
