/* Semantic versions with the go command's rules (golang.org/x/mod/semver) and
 * pseudo-versions (golang.org/x/mod/module). */
#include "semver.h"

#include <stdio.h>
#include <string.h>

typedef struct parsed {
    const char *major, *minor, *patch; /* digits, lengths below */
    size_t lmajor, lminor, lpatch;
    const char *pre;                   /* "-..." or NULL */
    size_t lpre;
    const char *build;                 /* "+..." or NULL */
    size_t lbuild;
    int short_form;                    /* minor or patch missing */
} parsed;

static int isnum(char c)
{
    return c >= '0' && c <= '9';
}

static int isident(char c)
{
    return isnum(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Decimal without leading zeros; returns its length or 0. */
static size_t number(const char *s)
{
    size_t n = 0;
    while (isnum(s[n]))
        ++n;
    if (n == 0 || (n > 1 && s[0] == '0'))
        return 0;
    return n;
}

/* Dot-separated identifiers after '-' or '+'; numeric ones without leading zeros
 * when pre. Returns the consumed length (including the leading char) or 0. */
static size_t idents(const char *s, int pre)
{
    size_t i = 1, start = 1;
    for (;; ++i) {
        if (s[i] == '.' || s[i] == '\0' || (pre && s[i] == '+')) {
            if (i == start)
                return 0;
            if (pre) {
                int allnum = 1;
                for (size_t j = start; j < i; ++j)
                    allnum &= isnum(s[j]);
                if (allnum && i - start > 1 && s[start] == '0')
                    return 0;
            }
            if (s[i] != '.')
                return i;
            start = i + 1;
        } else if (!isident(s[i])) {
            return 0;
        }
    }
}

static int parse(const char *v, parsed *p)
{
    memset(p, 0, sizeof(*p));
    if (v == NULL || v[0] != 'v' || strlen(v) > SEMVER_MAX)
        return -1;
    const char *s = v + 1;
    if ((p->lmajor = number(s)) == 0)
        return -1;
    p->major = s;
    s += p->lmajor;
    if (*s == '\0') {
        p->short_form = 1;
        return 0;
    }
    if (*s != '.' || (p->lminor = number(s + 1)) == 0)
        return -1;
    p->minor = s + 1;
    s += 1 + p->lminor;
    if (*s == '\0') {
        p->short_form = 1;
        return 0;
    }
    if (*s != '.' || (p->lpatch = number(s + 1)) == 0)
        return -1;
    p->patch = s + 1;
    s += 1 + p->lpatch;
    if (*s == '-') {
        if ((p->lpre = idents(s, 1)) == 0)
            return -1;
        p->pre = s;
        s += p->lpre;
    }
    if (*s == '+') {
        if ((p->lbuild = idents(s, 0)) == 0)
            return -1;
        p->build = s;
        s += p->lbuild;
    }
    return *s == '\0' ? 0 : -1;
}

int semver_is_valid(const char *v)
{
    parsed p;
    return parse(v, &p) == 0;
}

int semver_is_incompatible(const char *v)
{
    size_t n = v != NULL ? strlen(v) : 0;
    return n > 13 && strcmp(v + n - 13, "+incompatible") == 0;
}

int semver_canonical(const char *v, char *out, size_t outlen)
{
    parsed p;
    if (parse(v, &p) != 0)
        return -1;
    int keep_build = p.build != NULL && p.lbuild == 13 && memcmp(p.build, "+incompatible", 13) == 0;
    int n = snprintf(out, outlen, "v%.*s.%.*s.%.*s%.*s%s", (int)p.lmajor, p.major, p.minor ? (int)p.lminor : 1,
                     p.minor ? p.minor : "0", p.patch ? (int)p.lpatch : 1, p.patch ? p.patch : "0", (int)p.lpre,
                     p.pre ? p.pre : "", keep_build ? "+incompatible" : "");
    /* Completing "v1" to "v1.0.0" adds up to 4 bytes: a result over SEMVER_MAX would be a
     * version stoa itself calls invalid (found by fuzz_semver). */
    return n > 0 && (size_t)n < outlen && n <= SEMVER_MAX ? 0 : -1;
}

/* The canonical form reprints v's parts, completing a short form and dropping build
 * metadata other than +incompatible: so v is canonical exactly when it is complete and
 * has no other build part (no formatting: this runs for every request). */
int semver_is_canonical(const char *v)
{
    parsed p;
    if (parse(v, &p) != 0 || p.short_form)
        return 0;
    return p.build == NULL || (p.lbuild == 13 && memcmp(p.build, "+incompatible", 13) == 0);
}

static int cmp_num(const char *a, size_t la, const char *b, size_t lb)
{
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = memcmp(a, b, la);
    return c < 0 ? -1 : c > 0;
}

/* Compares pre-release strings ("-a.1" vs "-a.2"); empty (release) sorts last. */
static int cmp_pre(const char *a, size_t la, const char *b, size_t lb)
{
    if (la == 0 || lb == 0)
        return la == lb ? 0 : la == 0 ? 1 : -1;
    size_t i = 1, j = 1;
    while (i < la && j < lb) {
        size_t ei = i, ej = j;
        while (ei < la && a[ei] != '.')
            ++ei;
        while (ej < lb && b[ej] != '.')
            ++ej;
        int na = 1, nb = 1;
        for (size_t k = i; k < ei; ++k)
            na &= isnum(a[k]);
        for (size_t k = j; k < ej; ++k)
            nb &= isnum(b[k]);
        int c;
        if (na && nb)
            c = cmp_num(a + i, ei - i, b + j, ej - j);
        else if (na || nb)
            c = na ? -1 : 1;
        else {
            size_t m = ei - i < ej - j ? ei - i : ej - j;
            c = memcmp(a + i, b + j, m);
            c = c != 0 ? (c < 0 ? -1 : 1) : (ei - i == ej - j ? 0 : ei - i < ej - j ? -1 : 1);
        }
        if (c != 0)
            return c;
        i = ei + 1;
        j = ej + 1;
    }
    return i >= la && j >= lb ? 0 : i >= la ? -1 : 1;
}

int semver_compare(const char *a, const char *b)
{
    parsed x, y;
    int vx = parse(a, &x) == 0, vy = parse(b, &y) == 0;
    if (!vx || !vy)
        return vx == vy ? 0 : vx ? 1 : -1;
    int c = cmp_num(x.major, x.lmajor, y.major, y.lmajor);
    if (c == 0)
        c = cmp_num(x.minor ? x.minor : "0", x.minor ? x.lminor : 1, y.minor ? y.minor : "0", y.minor ? y.lminor : 1);
    if (c == 0)
        c = cmp_num(x.patch ? x.patch : "0", x.patch ? x.lpatch : 1, y.patch ? y.patch : "0", y.patch ? y.lpatch : 1);
    if (c == 0)
        c = cmp_pre(x.pre ? x.pre : "", x.lpre, y.pre ? y.pre : "", y.lpre);
    return c;
}

int semver_is_prerelease(const char *v)
{
    parsed p;
    return parse(v, &p) == 0 && p.pre != NULL;
}

int semver_major(const char *v, char *out, size_t outlen)
{
    parsed p;
    if (parse(v, &p) != 0)
        return -1;
    if (p.lmajor + 2 > outlen) /* 'v', the digits, the NUL */
        return -1;
    out[0] = 'v';
    memcpy(out + 1, p.major, p.lmajor);
    out[p.lmajor + 1] = '\0';
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isnum(s[i]))
            return 0;
    return 1;
}

/* module.IsPseudoVersion: the prerelease ends in <14-digit time>-<revision>, after
 * either nothing (vX.0.0-time-rev) or a "0." (vX.Y.Z-0.time-rev, vX.Y.Z-pre.0.time-rev). */
int semver_is_pseudo(const char *v)
{
    parsed p;
    if (parse(v, &p) != 0 || p.pre == NULL || p.short_form)
        return 0;
    const char *pre = p.pre, *end = p.pre + p.lpre, *dash = end;
    while (dash > pre && dash[-1] != '-')
        --dash;
    if (dash <= pre + 1 || dash == end) /* need "-<ts>-<rev>" with a non-empty rev */
        return 0;
    for (const char *r = dash; r < end; ++r)
        if (!isident(*r) || *r == '-')
            return 0;
    const char *ts = dash - 1 - 14; /* dash[-1] is the '-' before rev */
    if (ts <= pre || !all_digits(ts, 14))
        return 0;
    if (ts - 1 == pre)
        return p.lminor == 1 && p.minor[0] == '0' && p.lpatch == 1 && p.patch[0] == '0';
    return ts[-1] == '.' && ts - 2 > pre && ts[-2] == '0' && (ts - 3 == pre || ts[-3] == '.');
}
