/* One pass over the expression serves both check and evaluation: each token is a
 * comparator or "||", alternatives are OR'd, comparators within one AND'd. */
#include "semrange.h"

#include "semver.h"

#include <stdio.h>
#include <string.h>

typedef enum op { OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE } op;

/* Parses one comparator token [t, t+n) into its operator and version. */
static int comparator(const char *t, size_t n, op *o, char *v, size_t vlen)
{
    size_t k = 0;
    *o = OP_EQ;
    if (n >= 2 && t[0] == '<' && t[1] == '=')
        *o = OP_LE, k = 2;
    else if (n >= 2 && t[0] == '>' && t[1] == '=')
        *o = OP_GE, k = 2;
    else if (n >= 1 && t[0] == '<')
        *o = OP_LT, k = 1;
    else if (n >= 1 && t[0] == '>')
        *o = OP_GT, k = 1;
    else if (n >= 1 && t[0] == '=')
        k = 1;
    if (n - k == 0 || n - k >= vlen || n - k > SEMVER_MAX)
        return -1;
    memcpy(v, t + k, n - k);
    v[n - k] = '\0';
    return semver_is_valid(v) ? 0 : -1;
}

static int holds(op o, int cmp)
{
    switch (o) {
    case OP_EQ: return cmp == 0;
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_GT: return cmp > 0;
    default: return cmp >= 0;
    }
}

/* Walks expr: -1 (reason in why) if invalid, else whether version (or NULL: none)
 * lies in it. */
static int walk(const char *expr, const char *version, char *why, size_t whylen)
{
    if (strlen(expr) > SEMRANGE_MAX)
        return snprintf(why, whylen, "longer than %d bytes", SEMRANGE_MAX), -1;
    int any = 0, all = 1, terms = 0;
    for (const char *p = expr;;) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (n == 0 || (n == 2 && memcmp(p, "||", 2) == 0)) {
            if (terms == 0)
                return snprintf(why, whylen, "an alternative without a version (\"%s\")", expr), -1;
            any |= all;
            all = 1, terms = 0;
            if (n == 0)
                return any;
            p += n;
            continue;
        }
        op o;
        char v[SEMVER_MAX + 2];
        if (comparator(p, n, &o, v, sizeof(v)) != 0)
            return snprintf(why, whylen, "'%.*s' is not a comparison with a version like >=v1.2.0", (int)n, p), -1;
        all &= version != NULL && holds(o, semver_compare(version, v));
        ++terms;
        p += n;
    }
}

int semrange_check(const char *expr, char *why, size_t whylen)
{
    return walk(expr, NULL, why, whylen) < 0 ? -1 : 0;
}

int semrange_contains(const char *expr, const char *version)
{
    char why[256];
    return walk(expr, version, why, sizeof(why)) == 1;
}
