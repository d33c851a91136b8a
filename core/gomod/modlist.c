/* Parsers for go.mod, go.sum and `go list -m all` output (see modlist.h). */
#include "modlist.h"

#include "modlex.h"
#include "modpath.h"
#include "semver.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS MODLEX_TOKENS
#define MAX_LINE 4096

typedef struct line {
    const char *name; /* file name for messages */
    size_t no;        /* 1-based line number */
    char buf[MAX_LINE];
    char *tok[MAX_TOKENS];
    size_t ntok;
} line;

static int failf(char *err, size_t errlen, const line *ln, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int failf(char *err, size_t errlen, const line *ln, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%zu: ", ln->name, ln->no);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

modlist_format modlist_format_of(const char *name)
{
    size_t n = strlen(name);
    if (n >= 4 && strcmp(name + n - 4, ".sum") == 0)
        return MODLIST_GOSUM;
    if (n >= 4 && strcmp(name + n - 4, ".mod") == 0)
        return MODLIST_GOMOD;
    return MODLIST_GOLIST;
}

/* ---- tokenizing (modlex.h): go.mod as x/mod reads it, the others by blanks ---- */

static int tokenize(line *ln, int gomod, char *err, size_t errlen)
{
    const char *why;
    modlex m;
    if (modlex_line(ln->buf, !gomod, &m, &why) != 0)
        return failf(err, errlen, ln, "%s", why);
    memcpy(ln->tok, m.tok, m.n * sizeof(m.tok[0]));
    ln->ntok = m.n;
    return 0;
}

/* Copies the next line of text into ln->buf; returns 0 at the end of text. */
static int next_line(line *ln, const char **p, const char *end, char *err, size_t errlen, int *bad)
{
    if (*p >= end)
        return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    ++ln->no;
    if (n > 0 && (*p)[n - 1] == '\r')
        --n;
    if (n >= MAX_LINE || memchr(*p, '\0', n) != NULL) {
        *bad = failf(err, errlen, ln, n >= MAX_LINE ? "line too long" : "NUL byte in line");
        return 0;
    }
    memcpy(ln->buf, *p, n);
    ln->buf[n] = '\0';
    *p = nl ? nl + 1 : end;
    return 1;
}

/* ---- entries ---- */

static int add(modlist *l, const char *module, const char *version, unsigned kinds)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        modlist_entry *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v, l->cap = cap;
    }
    modlist_entry *e = &l->v[l->n];
    e->module = strdup(module);
    e->version = strdup(version);
    e->kinds = kinds;
    if (e->module == NULL || e->version == NULL) {
        free(e->module), free(e->version);
        return -1;
    }
    ++l->n;
    return 0;
}

/* A module path and canonical version the go command could have written. */
static int check_modver(const line *ln, const char *path, const char *version, char *err, size_t errlen)
{
    char why[256];
    if (modpath_check(path, why, sizeof(why)) != 0)
        return failf(err, errlen, ln, "module path %s: %s", path, why);
    if (!semver_is_canonical(version))
        return failf(err, errlen, ln, "%s: version %s is not a canonical semantic version (like v1.2.3)", path, version);
    if (modpath_check_major(path, version, why, sizeof(why)) != 0)
        return failf(err, errlen, ln, "%s", why);
    return 0;
}

/* modfile.IsDirectoryPath: a replacement without a version must be a directory. */
static int is_dir_path(const char *p)
{
    return strncmp(p, "./", 2) == 0 || strncmp(p, "../", 3) == 0 || strcmp(p, ".") == 0 || strcmp(p, "..") == 0 ||
           p[0] == '/' || strncmp(p, ".\\", 2) == 0 || strncmp(p, "..\\", 3) == 0 ||
           (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':');
}

static void list_free_entries(modlist *l)
{
    for (size_t i = 0; i < l->n; ++i)
        free(l->v[i].module), free(l->v[i].version);
    free(l->v);
    *l = (modlist){0};
}

/* ---- go.sum ---- */

static int parse_gosum_line(modlist *l, const line *ln, char *err, size_t errlen)
{
    if (ln->ntok == 0)
        return 0;
    if (ln->ntok != 3)
        return failf(err, errlen, ln, "malformed go.sum line: want \"module version hash\", got %zu fields", ln->ntok);
    char version[SEMVER_MAX + 16];
    const char *v = ln->tok[1], *h = ln->tok[2];
    size_t vl = strlen(v);
    unsigned kinds = MODLIST_ALL;
    if (vl > 7 && strcmp(v + vl - 7, "/go.mod") == 0)
        vl -= 7, kinds = MODLIST_MOD;
    if (vl >= sizeof(version))
        return failf(err, errlen, ln, "version too long");
    memcpy(version, v, vl);
    version[vl] = '\0';
    if (check_modver(ln, ln->tok[0], version, err, errlen) != 0)
        return -1;
    const char *c = h + (h[0] == 'h');
    while (*c >= '0' && *c <= '9')
        ++c;
    if (h[0] != 'h' || c == h + 1 || *c != ':' || c[1] == '\0')
        return failf(err, errlen, ln, "malformed hash \"%s\" (want h1:...)", h);
    return add(l, ln->tok[0], version, kinds) == 0 ? 0 : failf(err, errlen, ln, "out of memory");
}

/* ---- go list -m all ---- */

static int parse_golist_line(modlist *l, const line *ln, char *err, size_t errlen)
{
    char *const *t = ln->tok;
    switch (ln->ntok) {
    case 0:
        return 0;
    case 1: /* a main module: nothing to fetch */
        return 0;
    case 2:
        if (check_modver(ln, t[0], t[1], err, errlen) != 0)
            return -1;
        return add(l, t[0], t[1], MODLIST_ALL) == 0 ? 0 : failf(err, errlen, ln, "out of memory");
    case 4:
    case 5:
        if (strcmp(t[2], "=>") != 0)
            break;
        if (check_modver(ln, t[0], t[1], err, errlen) != 0)
            return -1;
        if (ln->ntok == 4) {
            if (!is_dir_path(t[3]))
                return failf(err, errlen, ln, "replacement %s has no version and is not a directory", t[3]);
            return 0;
        }
        if (check_modver(ln, t[3], t[4], err, errlen) != 0)
            return -1;
        return add(l, t[3], t[4], MODLIST_ALL) == 0 ? 0 : failf(err, errlen, ln, "out of memory");
    }
    return failf(err, errlen, ln, "malformed `go list -m all` line: want \"module version [=> replacement [version]]\"");
}

/* ---- go.mod ---- */

typedef struct replace {
    char *old, *oldv; /* oldv NULL: every version */
    char *new, *newv; /* newv NULL: a directory */
} replace;

typedef struct gomod {
    modlist req;
    replace *rep;
    size_t nrep;
} gomod;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int gomod_replace(gomod *g, const line *ln, char *const *a, size_t n, char *err, size_t errlen)
{
    size_t arrow = n >= 2 && strcmp(a[1], "=>") == 0 ? 1 : n >= 3 && strcmp(a[2], "=>") == 0 ? 2 : 0;
    if (arrow == 0 || n - arrow - 1 < 1 || n - arrow - 1 > 2)
        return failf(err, errlen, ln, "usage: replace module [version] => replacement [version]");
    char why[256];
    if (modpath_check(a[0], why, sizeof(why)) != 0)
        return failf(err, errlen, ln, "module path %s: %s", a[0], why);
    if (arrow == 2 && !semver_is_canonical(a[1]))
        return failf(err, errlen, ln, "%s: version %s is not a canonical semantic version", a[0], a[1]);
    const char *nv = n - arrow - 1 == 2 ? a[n - 1] : NULL;
    if (nv == NULL && !is_dir_path(a[arrow + 1]))
        return failf(err, errlen, ln, "replacement %s has no version and is not a directory (rooted or ./ ../)",
                     a[arrow + 1]);
    if (nv != NULL && check_modver(ln, a[arrow + 1], nv, err, errlen) != 0)
        return -1;
    replace *r = realloc(g->rep, (g->nrep + 1) * sizeof(*r));
    if (r == NULL)
        return failf(err, errlen, ln, "out of memory");
    g->rep = r;
    r[g->nrep++] = (replace){strdup(a[0]), dup_or_null(arrow == 2 ? a[1] : NULL), strdup(a[arrow + 1]),
                             dup_or_null(nv)};
    return 0;
}

/* One directive (verb + args), from a line or a block. */
static int gomod_directive(gomod *g, const line *ln, const char *verb, char *const *a, size_t n, char *err,
                           size_t errlen)
{
    if (strcmp(verb, "require") == 0 || strcmp(verb, "exclude") == 0) {
        if (n != 2)
            return failf(err, errlen, ln, "usage: %s module/path v1.2.3", verb);
        if (check_modver(ln, a[0], a[1], err, errlen) != 0)
            return -1;
        if (verb[0] == 'r' && add(&g->req, a[0], a[1], MODLIST_ALL) != 0)
            return failf(err, errlen, ln, "out of memory");
        return 0;
    }
    if (strcmp(verb, "replace") == 0)
        return gomod_replace(g, ln, a, n, err, errlen);
    if (strcmp(verb, "module") == 0 || strcmp(verb, "go") == 0 || strcmp(verb, "toolchain") == 0)
        return n == 1 ? 0 : failf(err, errlen, ln, "usage: %s VALUE", verb);
    if (strcmp(verb, "retract") == 0 || strcmp(verb, "godebug") == 0)
        return n >= 1 ? 0 : failf(err, errlen, ln, "%s needs an argument", verb);
    return failf(err, errlen, ln, "unknown directive: %s", verb);
}

/* The module version a require turns into after the replace directives: 0 and
 * mod and ver set, or 1 when it is replaced by a directory. */
static int apply_replace(const gomod *g, const char **mod, const char **ver)
{
    const replace *any = NULL;
    for (size_t i = 0; i < g->nrep; ++i) {
        const replace *r = &g->rep[i];
        if (strcmp(r->old, *mod) != 0)
            continue;
        if (r->oldv != NULL && strcmp(r->oldv, *ver) == 0) {
            any = r;
            break;
        }
        if (r->oldv == NULL)
            any = r;
    }
    if (any == NULL)
        return 0;
    if (any->newv == NULL)
        return 1;
    *mod = any->new, *ver = any->newv;
    return 0;
}

static int gomod_finish(modlist *l, gomod *g)
{
    for (size_t i = 0; i < g->req.n; ++i) {
        const char *m = g->req.v[i].module, *v = g->req.v[i].version;
        if (apply_replace(g, &m, &v) == 0 && add(l, m, v, MODLIST_ALL) != 0)
            return -1;
    }
    return 0;
}

static void gomod_free(gomod *g)
{
    list_free_entries(&g->req);
    for (size_t i = 0; i < g->nrep; ++i)
        free(g->rep[i].old), free(g->rep[i].oldv), free(g->rep[i].new), free(g->rep[i].newv);
    free(g->rep);
}

static int parse_gomod_line(gomod *g, line *ln, char *block, size_t blocklen, char *err, size_t errlen)
{
    char *const *t = ln->tok;
    size_t n = ln->ntok;
    if (n == 0)
        return 0;
    if (block[0] != '\0') {
        if (n == 1 && modlex_paren(t[0], ')'))
            return block[0] = '\0', 0;
        if (modlex_paren(t[0], '(') || modlex_paren(t[n - 1], '('))
            return failf(err, errlen, ln, "nested block");
        return gomod_directive(g, ln, block, t, n, err, errlen);
    }
    if (n == 2 && modlex_paren(t[1], '(')) {
        snprintf(block, blocklen, "%s", t[0]);
        return 0;
    }
    if (n == 3 && modlex_paren(t[1], '(') && modlex_paren(t[2], ')'))
        return 0; /* an empty block */
    for (size_t i = 0; i < n; ++i)
        if (modlex_paren(t[i], '(') || modlex_paren(t[i], ')'))
            return failf(err, errlen, ln, "unexpected '%s'", t[i]);
    return gomod_directive(g, ln, t[0], t + 1, n - 1, err, errlen);
}

/* ---- driver ---- */

int modlist_parse(modlist *l, modlist_format f, const char *name, const char *text, size_t len, char *err,
                  size_t errlen)
{
    line *ln = calloc(1, sizeof(*ln));
    if (ln == NULL)
        return snprintf(err, errlen, "%s: out of memory", name), -1;
    ln->name = name;
    modlist tmp = {0};
    gomod g = {0};
    char block[32] = "";
    const char *p = text, *end = text + len;
    int rc = 0;
    while (rc == 0 && next_line(ln, &p, end, err, errlen, &rc)) {
        if (tokenize(ln, f == MODLIST_GOMOD, err, errlen) != 0)
            rc = -1;
        else if (f == MODLIST_GOSUM)
            rc = parse_gosum_line(&tmp, ln, err, errlen);
        else if (f == MODLIST_GOLIST)
            rc = parse_golist_line(&tmp, ln, err, errlen);
        else
            rc = parse_gomod_line(&g, ln, block, sizeof(block), err, errlen);
    }
    if (rc == 0 && block[0] != '\0')
        rc = failf(err, errlen, ln, "%s block not closed with ')'", block);
    if (rc == 0 && f == MODLIST_GOMOD && gomod_finish(&tmp, &g) != 0)
        rc = failf(err, errlen, ln, "out of memory");
    gomod_free(&g);
    for (size_t i = 0; rc == 0 && i < tmp.n; ++i)
        if (add(l, tmp.v[i].module, tmp.v[i].version, tmp.v[i].kinds) != 0) {
            for (; i > 0; --i) /* undo, so l is unchanged on error */
                --l->n, free(l->v[l->n].module), free(l->v[l->n].version);
            rc = failf(err, errlen, ln, "out of memory");
        }
    list_free_entries(&tmp);
    free(ln);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    const modlist_entry *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    return c != 0 ? c : strcmp(x->version, y->version);
}

void modlist_finish(modlist *l)
{
    if (l->n == 0)
        return;
    qsort(l->v, l->n, sizeof(l->v[0]), cmp_entry);
    size_t o = 0;
    for (size_t i = 1; i < l->n; ++i) {
        if (cmp_entry(&l->v[o], &l->v[i]) == 0) {
            l->v[o].kinds |= l->v[i].kinds;
            free(l->v[i].module), free(l->v[i].version);
        } else {
            l->v[++o] = l->v[i];
        }
    }
    l->n = o + 1;
}

void modlist_free(modlist *l)
{
    list_free_entries(l);
}
