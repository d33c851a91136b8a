/* Modules in git repositories (coderepo.go); see origin_module.h. */
/* Messages and paths are cut at their buffers on purpose (bounded error text). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "origin_module.h"

#include "modpath.h"
#include "semver.h"
#include "zipbuild.h"

#include <stoa/stoa.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_GOMOD (16u << 20)
#define MAX_LICENSE (16u << 20)
#define MAX_TREE (500u << 20)
#define VLEN 160

/* ---- version helpers (x/mod semver and module) ---- */

/* semver.Canonical: complete, build metadata dropped (even +incompatible). */
static void go_canonical(const char *v, char *out, size_t len)
{
    out[0] = '\0';
    if (semver_canonical(v, out, len) != 0)
        out[0] = '\0';
    char *plus = strchr(out, '+');
    if (plus != NULL)
        *plus = '\0';
}

static const char *build_of(const char *v)
{
    const char *p = strchr(v, '+');
    return p != NULL ? p : "";
}

static void major_of(const char *v, char *out, size_t len)
{
    if (semver_major(v, out, len) != 0)
        out[0] = '\0';
}

/* module.CheckPathMajor == nil */
static int match_major(const char *v, const char *path_major)
{
    char pm[32], m[32];
    snprintf(pm, sizeof(pm), "%s", path_major);
    size_t n = strlen(pm);
    if (pm[0] == '.' && n > 9 && strcmp(pm + n - 9, "-unstable") == 0)
        pm[n - 9] = '\0';
    if (strncmp(v, "v0.0.0-", 7) == 0 && strcmp(pm, ".v1") == 0)
        return 1;
    major_of(v, m, sizeof(m));
    if (pm[0] == '\0')
        return strcmp(m, "v0") == 0 || strcmp(m, "v1") == 0 || strcmp(build_of(v), "+incompatible") == 0;
    return strcmp(m, pm + 1) == 0;
}

static int has_suffix(const char *s, const char *sfx)
{
    size_t a = strlen(s), b = strlen(sfx);
    return a >= b && strcmp(s + a - b, sfx) == 0;
}

static void trim_incompatible(const char *v, char *out, size_t len)
{
    snprintf(out, len, "%s", v);
    if (has_suffix(out, "+incompatible"))
        out[strlen(out) - 13] = '\0';
}

/* decimal string + 1 */
static void inc_decimal(const char *s, char *out, size_t len)
{
    size_t n = strlen(s);
    char buf[64];
    if (n + 2 > sizeof(buf))
        n = sizeof(buf) - 2;
    memcpy(buf + 1, s, n);
    buf[0] = '0';
    buf[n + 1] = '\0';
    size_t i = n;
    while (buf[i] == '9')
        buf[i--] = '0';
    buf[i]++;
    snprintf(out, len, "%s", buf[0] == '0' ? buf + 1 : buf);
}

/* decimal string - 1, "" for "0" */
static void dec_decimal(const char *s, char *out, size_t len)
{
    size_t n = strlen(s);
    char buf[64];
    if (n == 0 || n >= sizeof(buf) || strcmp(s, "0") == 0) {
        out[0] = '\0';
        return;
    }
    memcpy(buf, s, n + 1);
    size_t i = n - 1;
    while (buf[i] == '0')
        buf[i--] = '9';
    buf[i]--;
    const char *r = buf;
    if (r[0] == '0' && r[1] != '\0')
        ++r;
    snprintf(out, len, "%s", r);
}

void origin_pseudo_version(const char *major, const char *older, int64_t t, const char *rev, char *out, size_t len)
{
    char seg[64], can[VLEN];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(seg, 20, "%Y%m%d%H%M%S", &tm);
    snprintf(seg + strlen(seg), sizeof(seg) - strlen(seg), "-%s", rev);
    if (major == NULL || major[0] == '\0')
        major = "v0";
    const char *build = older != NULL ? build_of(older) : "";
    go_canonical(older != NULL ? older : "", can, sizeof(can));
    if (can[0] == '\0') {
        snprintf(out, len, "%s.0.0-%s", major, seg);
        return;
    }
    if (semver_is_prerelease(can)) {
        snprintf(out, len, "%s.0.%s%s", can, seg, build);
        return;
    }
    char *dot = strrchr(can, '.');
    char patch[64];
    inc_decimal(dot + 1, patch, sizeof(patch));
    dot[1] = '\0';
    snprintf(out, len, "%s%s-0.%s%s", can, patch, seg, build);
}

/* parsePseudoVersion's pieces: base ("vX.Y.Z-pre.0", "vX.Y.(Z+1)-0" or "vX.0.0"),
 * timestamp and rev. */
static int parse_pseudo(const char *v, char *base, size_t blen, char *ts, size_t tlen, char *rev, size_t rlen)
{
    char s[VLEN];
    snprintf(s, sizeof(s), "%s", v);
    char *plus = strchr(s, '+');
    if (plus)
        *plus = '\0';
    char *j = strrchr(s, '-');
    if (j == NULL)
        return -1;
    snprintf(rev, rlen, "%s", j + 1);
    *j = '\0';
    char *i = strrchr(s, '-'), *d = strrchr(s, '.');
    if (i == NULL)
        return -1;
    char *cut = d != NULL && d > i ? d : i;
    snprintf(ts, tlen, "%s", cut + 1);
    *cut = '\0';
    snprintf(base, blen, "%s", s);
    return 0;
}

/* module.PseudoVersionBase (for a version without +incompatible). */
static int pseudo_base(const char *v, char *out, size_t len)
{
    char base[VLEN], ts[32], rev[64];
    out[0] = '\0';
    if (parse_pseudo(v, base, sizeof(base), ts, sizeof(ts), rev, sizeof(rev)) != 0)
        return -1;
    char *dash = strchr(base, '-');
    if (dash == NULL)
        return 0; /* vX.0.0-ts-rev: no base */
    if (strcmp(dash, "-0") == 0) {
        *dash = '\0';
        char *dot = strrchr(base, '.'), patch[64];
        dec_decimal(dot + 1, patch, sizeof(patch));
        if (patch[0] == '\0')
            return -1;
        dot[1] = '\0';
        snprintf(out, len, "%s%s", base, patch);
        return 0;
    }
    if (!has_suffix(base, ".0"))
        return -1;
    base[strlen(base) - 2] = '\0';
    snprintf(out, len, "%s", base);
    return 0;
}

void origin_gomod_path(const char *data, size_t len, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *c = p;
        const char *cm = NULL;
        for (const char *q = p; q + 1 < le; ++q)
            if (q[0] == '/' && q[1] == '/') {
                cm = q;
                break;
            }
        if (cm)
            le = cm;
        while (c < le && (*c == ' ' || *c == '\t' || *c == '\r'))
            ++c;
        const char *e = le;
        while (e > c && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            --e;
        p = nl ? nl + 1 : end;
        if ((size_t)(e - c) < 6 || memcmp(c, "module", 6) != 0)
            continue;
        const char *v = c + 6;
        if (v == e || (*v != ' ' && *v != '\t'))
            continue;
        while (v < e && (*v == ' ' || *v == '\t'))
            ++v;
        if (v == e)
            continue;
        if (*v == '"' || *v == '`') {
            if (e - v < 2 || e[-1] != *v || memchr(v + 1, '\\', (size_t)(e - v - 2)))
                return; /* escapes: not worth unquoting; such a path is invalid anyway */
            snprintf(out, outlen, "%.*s", (int)(e - v - 2), v + 1);
            return;
        }
        snprintf(out, outlen, "%.*s", (int)(e - v), v);
        return;
    }
}

/* ---- setup ---- */

static int has_path_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && (s[n] == '\0' || s[n] == '/');
}

int origin_module_init(origin_module *m, origin_git *g, const char *root, const char *subdir, const char *path,
                       char *why, size_t whylen)
{
    memset(m, 0, sizeof(*m));
    m->g = g;
    snprintf(m->path, sizeof(m->path), "%s", path);
    snprintf(m->root, sizeof(m->root), "%s", root);
    if (!has_path_prefix(path, root))
        return snprintf(why, whylen, "mismatched repo: found %s for %s", root, path), STOA_NOTFOUND;
    size_t plen;
    const char *major = modpath_split_major(path, &plen);
    snprintf(m->path_major, sizeof(m->path_major), "%s", major);
    snprintf(m->path_prefix, sizeof(m->path_prefix), "%.*s", (int)plen, path);
    if (strcmp(root, path) == 0)
        snprintf(m->path_prefix, sizeof(m->path_prefix), "%s", path);
    if (major[0] != '\0') {
        const char *d = major + 1;
        size_t n = strcspn(d, "-");
        snprintf(m->pseudo_major, sizeof(m->pseudo_major), "%.*s", (int)n, d);
    }
    if (strcmp(root, path) != 0) {
        if (!has_path_prefix(m->path_prefix, root))
            return snprintf(why, whylen, "repository rooted at %s cannot contain module %s", root, path), STOA_NOTFOUND;
        const char *d = m->path_prefix + strlen(root);
        while (*d == '/')
            ++d;
        snprintf(m->code_dir, sizeof(m->code_dir), "%s", d);
    }
    if (subdir != NULL && subdir[strspn(subdir, "/")] != '\0') {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s", subdir + strspn(subdir, "/"));
        for (size_t n = strlen(sub); n > 0 && sub[n - 1] == '/';)
            sub[--n] = '\0';
        char joined[1100];
        if (snprintf(joined, sizeof(joined), "%s%s%s", sub, m->code_dir[0] ? "/" : "", m->code_dir) >= (int)sizeof(m->code_dir))
            return snprintf(why, whylen, "subdirectory %s: path too long", sub), STOA_NOTFOUND;
        snprintf(m->code_dir, sizeof(m->code_dir), "%s", joined);
    }
    return STOA_OK;
}

/* Reads file at rev (a tag, hash or pseudo-version's revision): 1 found, 0 absent, -1 error. */
static int read_at(origin_module *m, const char *rev, const char *file, size_t max, char **data, size_t *len, char *why,
                   size_t whylen)
{
    origin_rev r;
    *data = NULL;
    *len = 0;
    if (origin_git_stat(m->g, rev, &r, why, whylen) != STOA_OK)
        return -1;
    int st = origin_git_read(m->g, r.hash, file, max, data, len, why, whylen);
    origin_git_free_rev(&r);
    return st == STOA_OK ? 1 : st == STOA_NOTFOUND ? 0 : -1;
}

static int exists_at(origin_module *m, const char *rev, const char *file)
{
    char *d, why[256];
    size_t n;
    int r = read_at(m, rev, file, MAX_GOMOD, &d, &n, why, sizeof(why));
    free(d);
    return r == 1;
}

/* revToRev */
static void rev_to_rev(const origin_module *m, const char *rev, char *out, size_t len)
{
    if (!semver_is_valid(rev)) {
        snprintf(out, len, "%s", rev);
        return;
    }
    if (semver_is_pseudo(rev)) {
        const char *d = strrchr(rev, '-');
        snprintf(out, len, "%.*s", (int)strcspn(d + 1, "+"), d + 1);
        return;
    }
    char v[VLEN];
    trim_incompatible(rev, v, sizeof(v));
    if (m->code_dir[0] == '\0')
        snprintf(out, len, "%s", v);
    else
        snprintf(out, len, "%s/%s", m->code_dir, v);
}

static int is_major(const char *mpath, const char *path_major)
{
    if (mpath[0] == '\0')
        return 0;
    size_t pl;
    const char *mm = modpath_split_major(mpath, &pl);
    if (path_major[0] == '\0') {
        char pre[32];
        snprintf(pre, sizeof(pre), "%s", mm[0] ? mm + 1 : "");
        pre[strcspn(pre, "-")] = '\0';
        return pre[0] == '\0' || strcmp(pre, "v0") == 0 || strcmp(pre, "v1") == 0;
    }
    if (mm[0] == '\0')
        return 0;
    return strcmp(path_major + 1, mm + 1) == 0;
}

/* findDir: the directory of the module at version, and its go.mod (NULL for none). */
static int find_dir(origin_module *m, const char *version, char *rev, size_t rlen, char *dir, size_t dlen, char **gomod,
                    size_t *gomod_len, char *why, size_t whylen)
{
    *gomod = NULL;
    if (!semver_is_valid(version))
        return snprintf(why, whylen, "%s: invalid version: syntax error", version), STOA_NOTFOUND;
    rev_to_rev(m, version, rev, rlen);
    char file1[600], mpath1[512] = "", mpath2[512] = "";
    snprintf(file1, sizeof(file1), "%s%sgo.mod", m->code_dir, m->code_dir[0] ? "/" : "");
    char *g1 = NULL, *g2 = NULL;
    size_t l1 = 0, l2 = 0;
    origin_rev r;
    char w[256];
    if (origin_git_stat(m->g, rev, &r, w, sizeof(w)) != STOA_OK)
        return snprintf(why, whylen, "%s: invalid version: unknown revision %s", version, rev), STOA_NOTFOUND;
    snprintf(rev, rlen, "%s", r.hash);
    origin_git_free_rev(&r);
    int e1 = origin_git_read(m->g, rev, file1, MAX_GOMOD, &g1, &l1, w, sizeof(w));
    if (e1 == STOA_OK)
        origin_gomod_path(g1, l1, mpath1, sizeof(mpath1));
    int found1 = e1 == STOA_OK && (is_major(mpath1, m->path_major) ||
                                   (m->path_major[0] == '\0' && strncmp(mpath1, "gopkg.in/", 9) == 0));
    int st = STOA_NOTFOUND;
    char file2[600] = "";
    if (m->path_major[0] != '\0' && strcmp(m->root, m->path) != 0 && m->path_major[0] != '.') {
        char dir2[600];
        snprintf(dir2, sizeof(dir2), "%s%s%s", m->code_dir, m->code_dir[0] ? "/" : "", m->path_major + 1);
        snprintf(file2, sizeof(file2), "%s/go.mod", dir2);
        int e2 = origin_git_read(m->g, rev, file2, MAX_GOMOD, &g2, &l2, w, sizeof(w));
        if (e2 == STOA_OK)
            origin_gomod_path(g2, l2, mpath2, sizeof(mpath2));
        int found2 = e2 == STOA_OK && is_major(mpath2, m->path_major);
        if (found1 && found2) {
            snprintf(why, whylen, "%s/%s and ...%s/go.mod both have ...%s module paths at revision %s", m->path_prefix,
                     file1, m->path_major, m->path_major, version);
            goto out;
        }
        if (found2) {
            snprintf(dir, dlen, "%s", dir2);
            *gomod = g2, *gomod_len = l2, g2 = NULL;
            st = STOA_OK;
            goto out;
        }
        if (e2 == STOA_OK) {
            if (mpath2[0] == '\0')
                snprintf(why, whylen, "%s/%s is missing module path at revision %s", m->root, file2, version);
            else
                snprintf(why, whylen, "%s/%s has non-...%s module path \"%s\" at revision %s", m->root, file2,
                         m->path_major, mpath2, version);
            goto out;
        }
    }
    if (found1) {
        snprintf(dir, dlen, "%s", m->code_dir);
        *gomod = g1, *gomod_len = l1, g1 = NULL;
        st = STOA_OK;
    } else if (e1 == STOA_OK) {
        char major[32];
        major_of(version, major, sizeof(major));
        if (mpath1[0] == '\0')
            snprintf(why, whylen, "%s is missing module path at revision %s", file1, version);
        else if (m->path_major[0] != '\0')
            snprintf(why, whylen, "%s has non-...%s module path \"%s\" at revision %s", file1, m->path_major, mpath1,
                     version);
        else
            snprintf(why, whylen, "%s has post-%s module path \"%s\" at revision %s", file1, major, mpath1, version);
    } else if (m->code_dir[0] == '\0' && (m->path_major[0] == '\0' || m->path_major[0] == '.')) {
        dir[0] = '\0';
        st = STOA_OK;
    } else if (file2[0] != '\0') {
        snprintf(why, whylen, "missing %s/go.mod and ...%s/go.mod at revision %s", m->path_prefix, m->path_major, version);
    } else {
        snprintf(why, whylen, "missing %s/go.mod at revision %s", m->path_prefix, version);
    }
out:
    free(g1);
    free(g2);
    return st;
}

/* ---- versions ---- */

typedef struct vlist {
    char **v;
    size_t n, cap;
} vlist;

static int vpush(vlist *l, const char *v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        char **p = realloc(l->v, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        l->v = p, l->cap = cap;
    }
    return (l->v[l->n] = strdup(v)) != NULL ? (int)l->n++ * 0 : -1;
}

static void vfree(vlist *l)
{
    for (size_t i = 0; i < l->n; ++i)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int by_semver(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = semver_compare(x, y);
    return c != 0 ? c : strcmp(x, y);
}

/* Versions(""): the module's tagged versions, +incompatible ones appended. */
static int versions(origin_module *m, vlist *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(m->path, "gopkg.in/", 9) == 0 && has_suffix(m->path, "-unstable"))
        return STOA_OK;
    char p[600];
    snprintf(p, sizeof(p), "%s%s", m->code_dir, m->code_dir[0] ? "/" : "");
    origin_tag *tags;
    size_t n;
    if (origin_git_tags(m->g, p, &tags, &n, why, whylen) != STOA_OK)
        return STOA_INTERNAL;
    vlist incompatible = {0};
    for (size_t i = 0; i < n; ++i) {
        const char *v = tags[i].name + strlen(p);
        char can[VLEN];
        go_canonical(v, can, sizeof(can));
        if (v[0] == '\0' || strcmp(v, can) != 0 || semver_is_pseudo(v))
            continue;
        char major[32];
        major_of(v, major, sizeof(major));
        if (!match_major(v, m->path_major)) {
            if (m->code_dir[0] == '\0' && m->path_major[0] == '\0' && strcmp(major, "v1") > 0)
                vpush(&incompatible, v);
            continue;
        }
        vpush(out, v);
    }
    origin_git_free_tags(tags, n);
    if (out->n > 1) /* qsort of NULL is undefined even for 0 elements */
        qsort(out->v, out->n, sizeof(char *), by_semver);
    if (incompatible.n > 1)
        qsort(incompatible.v, incompatible.n, sizeof(char *), by_semver);
    if (incompatible.n == 0 || m->path_major[0] != '\0' || (out->n > 0 && exists_at(m, out->v[out->n - 1], "go.mod"))) {
        vfree(&incompatible);
        return STOA_OK;
    }
    char last_major[32] = "";
    int last_has_gomod = 0;
    for (size_t i = 0; i < incompatible.n; ++i) {
        char major[32];
        major_of(incompatible.v[i], major, sizeof(major));
        if (strcmp(major, last_major) != 0) {
            size_t j = i;
            char mj[32];
            while (j + 1 < incompatible.n && (major_of(incompatible.v[j + 1], mj, sizeof(mj)), strcmp(mj, major) == 0))
                ++j;
            snprintf(last_major, sizeof(last_major), "%s", major);
            last_has_gomod = exists_at(m, incompatible.v[j], "go.mod");
        }
        if (last_has_gomod)
            continue;
        char v[VLEN];
        snprintf(v, sizeof(v), "%s+incompatible", incompatible.v[i]);
        vpush(out, v);
    }
    vfree(&incompatible);
    return STOA_OK;
}

int origin_module_list(origin_module *m, char **out, char *why, size_t whylen)
{
    vlist l;
    int st = versions(m, &l, why, whylen);
    if (st != STOA_OK)
        return st;
    size_t total = 1;
    for (size_t i = 0; i < l.n; ++i)
        total += strlen(l.v[i]) + 1;
    *out = malloc(total);
    if (*out == NULL)
        return vfree(&l), STOA_INTERNAL;
    size_t o = 0;
    for (size_t i = 0; i < l.n; ++i)
        o += (size_t)sprintf(*out + o, "%s\n", l.v[i]);
    (*out)[o] = '\0';
    vfree(&l);
    return STOA_OK;
}

/* ---- retractions ---- */

typedef struct retractions {
    char lo[16][VLEN], hi[16][VLEN];
    size_t n;
} retractions;

static void add_retract(retractions *r, const char *s)
{
    char a[VLEN] = "", b[VLEN] = "";
    while (*s == ' ' || *s == '\t')
        ++s;
    if (r->n >= 16)
        return;
    if (*s == '[') {
        if (sscanf(s + 1, " %159[^, \t] , %159[^] \t]", a, b) != 2)
            return;
    } else if (sscanf(s, "%159s", a) == 1) {
        snprintf(b, sizeof(b), "%s", a);
    } else {
        return;
    }
    snprintf(r->lo[r->n], VLEN, "%s", a);
    snprintf(r->hi[r->n], VLEN, "%s", b);
    r->n++;
}

/* The retract directives of a go.mod (single lines and blocks). */
static void parse_retractions(const char *data, retractions *r)
{
    r->n = 0;
    int block = 0;
    for (const char *p = data; *p;) {
        size_t ll = strcspn(p, "\n");
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(ll < 511 ? ll : 511), p);
        p += ll + (p[ll] == '\n');
        char *cm = strstr(line, "//");
        if (cm)
            *cm = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            ++s;
        if (block) {
            if (*s == ')')
                block = 0;
            else if (*s)
                add_retract(r, s);
            continue;
        }
        if (strncmp(s, "retract", 7) != 0 || (s[7] != ' ' && s[7] != '\t' && s[7] != '('))
            continue;
        s += 7;
        while (*s == ' ' || *s == '\t')
            ++s;
        if (*s == '(')
            block = 1;
        else
            add_retract(r, s);
    }
}

static int retracted(const retractions *r, const char *v)
{
    for (size_t i = 0; i < r->n; ++i)
        if (semver_compare(r->lo[i], v) <= 0 && semver_compare(v, r->hi[i]) <= 0)
            return 1;
    return 0;
}

/* retractedVersions: from the go.mod of the highest release (else highest version). */
static void load_retractions(origin_module *m, retractions *r)
{
    r->n = 0;
    vlist l;
    char why[512];
    if (versions(m, &l, why, sizeof(why)) != STOA_OK)
        return;
    size_t n = l.n;
    for (size_t i = 0; i < l.n; ++i)
        if (has_suffix(l.v[i], "+incompatible")) {
            n = i;
            break;
        }
    const char *highest = NULL;
    for (size_t i = n; i-- > 0;)
        if (!semver_is_prerelease(l.v[i])) {
            highest = l.v[i];
            break;
        }
    if (highest == NULL && n > 0)
        highest = l.v[n - 1];
    char *gm = NULL;
    size_t gl;
    if (highest != NULL && origin_module_gomod(m, highest, &gm, &gl, why, sizeof(why)) == STOA_OK)
        parse_retractions(gm, r);
    free(gm);
    vfree(&l);
}

/* ---- Stat (convert) ---- */

typedef struct conv {
    origin_module *m;
    const origin_rev *info;
    const char *stat_vers;
    int root_ok;            /* -1 unknown, else canUseIncompatible's root answer */
    retractions ret;
} conv;

static int can_use_incompatible(conv *c, const char *v)
{
    origin_module *m = c->m;
    if (m->code_dir[0] != '\0' || m->path_major[0] != '\0')
        return 0;
    if (c->root_ok < 0)
        c->root_ok = !exists_at(m, c->info->hash, "go.mod");
    if (!c->root_ok)
        return 0;
    if (v[0] != '\0' && !has_suffix(c->stat_vers, "+incompatible")) {
        char major[32], file[48];
        major_of(v, major, sizeof(major));
        snprintf(file, sizeof(file), "%s/go.mod", major);
        if (exists_at(m, c->info->hash, file))
            return 0;
    }
    return 1;
}

static int check_canonical(conv *c, const char *vin, origin_info *out, char *why, size_t whylen)
{
    origin_module *m = c->m;
    char rev[64], dir[600], *gomod = NULL, v[VLEN], base[VLEN], statbase[VLEN];
    size_t gl;
    char w[512];
    if (find_dir(m, vin, rev, sizeof(rev), dir, sizeof(dir), &gomod, &gl, w, sizeof(w)) != STOA_OK)
        return snprintf(why, whylen, "%s@%s: invalid version: %s", m->path, vin, w), STOA_NOTFOUND;
    free(gomod);
    snprintf(v, sizeof(v), "%s", vin);
    trim_incompatible(c->stat_vers, statbase, sizeof(statbase));
    if (strcmp(v, statbase) == 0)
        snprintf(v, sizeof(v), "%s", c->stat_vers);
    trim_incompatible(v, base, sizeof(base));
    char major[32];
    major_of(v, major, sizeof(major));
    if (!match_major(base, m->path_major)) {
        if (can_use_incompatible(c, base)) {
            snprintf(v, sizeof(v), "%s+incompatible", base);
        } else if (m->path_major[0] != '\0') {
            return snprintf(why, whylen, "%s@%s: invalid version: module path includes a major version suffix, so major version must match",
                            m->path, v), STOA_NOTFOUND;
        } else {
            return snprintf(why, whylen, "%s@%s: invalid version: module contains a go.mod file, so module path must match major version (\"%s/%s\")",
                            m->path, v, m->path_prefix, major), STOA_NOTFOUND;
        }
    } else if (has_suffix(v, "+incompatible")) {
        return snprintf(why, whylen, "%s@%s: invalid version: +incompatible suffix not allowed: major version %s is compatible",
                        m->path, v, major), STOA_NOTFOUND;
    }
    if (c->stat_vers[0] != '\0' && semver_is_canonical(c->stat_vers) && strcmp(statbase, base) != 0)
        return snprintf(why, whylen, "%s@%s: invalid version: resolves to version %s (%s is not a tag)", m->path,
                        c->stat_vers, v, statbase), STOA_NOTFOUND;
    snprintf(out->version, sizeof(out->version), "%s", v);
    out->time = c->info->time;
    return STOA_OK;
}

/* validatePseudoVersion */
static int validate_pseudo(conv *c, const char *version, char *why, size_t whylen)
{
    origin_module *m = c->m;
    const origin_rev *info = c->info;
    char base[VLEN], ts[32], rev[64], v[VLEN], w[256];
    trim_incompatible(version, v, sizeof(v));
    if (parse_pseudo(version, base, sizeof(base), ts, sizeof(ts), rev, sizeof(rev)) != 0)
        return snprintf(why, whylen, "malformed pseudo-version"), -1;
    if (strcmp(rev, info->shortname) != 0) {
        if (strncmp(rev, info->shortname, strlen(info->shortname)) == 0)
            return snprintf(why, whylen, "revision is longer than canonical (expected %s)", info->shortname), -1;
        if (strncmp(info->shortname, rev, strlen(rev)) == 0)
            return snprintf(why, whylen, "revision is shorter than canonical (expected %s)", info->shortname), -1;
        return snprintf(why, whylen, "does not match short name of revision (expected %s)", info->shortname), -1;
    }
    char expect[32];
    time_t tt = (time_t)info->time;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(expect, sizeof(expect), "%Y%m%d%H%M%S", &tm);
    if (strcmp(ts, expect) != 0)
        return snprintf(why, whylen, "does not match version-control timestamp (expected %s)", expect), -1;
    char pb[VLEN];
    if (pseudo_base(v, pb, sizeof(pb)) != 0)
        return snprintf(why, whylen, "malformed pseudo-version base"), -1;
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s%s", m->code_dir, m->code_dir[0] ? "/" : "");
    if (pb[0] == '\0') {
        char major[32];
        major_of(version, major, sizeof(major));
        if (m->pseudo_major[0] == '\0' && strcmp(major, "v1") == 0)
            return snprintf(why, whylen, "major version without preceding tag must be v0, not v1"), -1;
        return 0;
    }
    for (size_t i = 0; i < info->ntags; ++i) {
        const char *t = info->tags[i];
        const char *only = strncmp(t, prefix, strlen(prefix)) == 0 ? t + strlen(prefix) : t;
        if (strcmp(only, pb) == 0)
            return snprintf(why, whylen, "tag (%s) found on revision %s is already canonical, so should not be replaced with a pseudo-version derived from that tag",
                            t, rev), -1;
    }
    char tp[700];
    snprintf(tp, sizeof(tp), "%s%s", prefix, pb);
    origin_tag *tags;
    size_t n;
    if (origin_git_tags(m->g, tp, &tags, &n, w, sizeof(w)) != STOA_OK)
        return snprintf(why, whylen, "%s", w), -1;
    const char *last = NULL;
    int found = 0;
    for (size_t i = 0; i < n && !found; ++i) {
        const char *only = tags[i].name + strlen(prefix);
        if (semver_compare(only, pb) == 0 && semver_is_valid(only)) {
            last = tags[i].name;
            found = tags[i].commit[0] && origin_git_descends(m->g, info->hash, tags[i].commit);
        }
    }
    int r = 0;
    if (last == NULL)
        r = -1, snprintf(why, whylen, "preceding tag (%s) not found", pb);
    else if (!found)
        r = -1, snprintf(why, whylen, "revision %s is not a descendent of preceding tag (%s)", rev, last);
    origin_git_free_tags(tags, n);
    return r;
}

/* tagToVersion: v canonical (build dropped), or "" */
static void tag_to_version(const char *tag, const char *prefix, char *v, size_t len, int *is_canonical)
{
    v[0] = '\0';
    *is_canonical = 0;
    size_t pl = strlen(prefix);
    if (strncmp(tag, prefix, pl) != 0 || semver_is_pseudo(tag))
        return;
    const char *trimmed = tag + pl;
    go_canonical(trimmed, v, len);
    if (v[0] == '\0' || strncmp(trimmed, v, strlen(v)) != 0) {
        v[0] = '\0';
        return;
    }
    *is_canonical = strcmp(v, trimmed) == 0;
}

static int tag_allowed(conv *c, const char *tag, const char *prefix)
{
    char v[VLEN];
    int canon;
    tag_to_version(tag, prefix, v, sizeof(v), &canon);
    if (v[0] == '\0')
        return 0;
    if (!match_major(v, c->m->path_major) && !can_use_incompatible(c, v))
        return 0;
    return !retracted(&c->ret, v);
}

/* RecentTag: the highest allowed tag with prefix on a commit reachable from info. */
static void recent_tag(conv *c, const char *prefix, char *out, size_t len)
{
    origin_tag *tags;
    size_t n;
    char w[256], best[VLEN] = "";
    out[0] = '\0';
    if (origin_git_tags(c->m->g, prefix, &tags, &n, w, sizeof(w)) != STOA_OK)
        return;
    for (size_t i = 0; i < n; ++i) {
        if (!tags[i].commit[0] || !tag_allowed(c, tags[i].name, prefix))
            continue;
        const char *sem = tags[i].name + strlen(prefix);
        if (semver_compare(sem, best) > 0 && origin_git_descends(c->m->g, c->info->hash, tags[i].commit))
            snprintf(best, sizeof(best), "%s", sem);
    }
    origin_git_free_tags(tags, n);
    if (best[0])
        snprintf(out, len, "%s%s", prefix, best);
}

static int convert(origin_module *m, const origin_rev *info, const char *info_version, const char *stat_vers,
                   origin_info *out, char *why, size_t whylen)
{
    conv c = {.m = m, .info = info, .stat_vers = stat_vers, .root_ok = -1};
    if (semver_is_pseudo(stat_vers)) {
        char w[512];
        if (validate_pseudo(&c, stat_vers, w, sizeof(w)) != 0)
            return snprintf(why, whylen, "%s@%s: invalid pseudo-version: %s", m->path, stat_vers, w), STOA_NOTFOUND;
        return check_canonical(&c, stat_vers, out, why, whylen);
    }
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s%s", m->code_dir, m->code_dir[0] ? "/" : "");
    load_retractions(m, &c.ret);
    char v[VLEN];
    int canon;
    tag_to_version(info_version, prefix, v, sizeof(v), &canon);
    if (canon && check_canonical(&c, v, out, why, whylen) == STOA_OK)
        return STOA_OK;
    char highest[VLEN] = "", pseudo_base_v[VLEN] = "";
    for (size_t i = 0; i < info->ntags; ++i) {
        tag_to_version(info->tags[i], prefix, v, sizeof(v), &canon);
        if (stat_vers[0] != '\0' && v[0] != '\0' && semver_compare(v, stat_vers) == 0) {
            if (canon)
                return check_canonical(&c, v, out, why, whylen);
            snprintf(pseudo_base_v, sizeof(pseudo_base_v), "%s", v);
        }
        if (canon && semver_compare(highest, v) < 0 && !retracted(&c.ret, v) &&
            (match_major(v, m->path_major) || can_use_incompatible(&c, v)))
            snprintf(highest, sizeof(highest), "%s", v);
    }
    if (highest[0])
        return check_canonical(&c, highest, out, why, whylen);
    if (pseudo_base_v[0] == '\0') {
        char tag[VLEN + 600];
        recent_tag(&c, prefix, tag, sizeof(tag));
        if (tag[0])
            tag_to_version(tag, prefix, pseudo_base_v, sizeof(pseudo_base_v), &canon);
    }
    char pv[VLEN];
    origin_pseudo_version(m->pseudo_major, pseudo_base_v, info->time, info->shortname, pv, sizeof(pv));
    return check_canonical(&c, pv, out, why, whylen);
}

static int stat_rev(origin_module *m, const char *code_rev, const char *stat_vers, origin_info *out, char *why,
                    size_t whylen)
{
    origin_rev info;
    char w[512];
    int st = origin_git_stat(m->g, code_rev, &info, w, sizeof(w));
    if (st != STOA_OK)
        return snprintf(why, whylen, "%s@%s: invalid version: %s", m->path, stat_vers[0] ? stat_vers : code_rev, w),
               st == STOA_CONFLICT ? STOA_NOTFOUND : st;
    /* statLocal's Version: the asked name when it is one of the commit's tags */
    const char *iv = info.hash;
    for (size_t i = 0; i < info.ntags; ++i)
        if (strcmp(info.tags[i], code_rev) == 0)
            iv = code_rev;
    st = convert(m, &info, iv, stat_vers, out, why, whylen);
    origin_git_free_rev(&info);
    return st;
}

/* The go command's "latest" query: the highest non-retracted release in the list, else
 * the highest prerelease, else the repository's HEAD. */
static int latest(origin_module *m, origin_info *out, char *why, size_t whylen)
{
    vlist l;
    int st = versions(m, &l, why, whylen);
    if (st != STOA_OK)
        return st;
    retractions ret;
    load_retractions(m, &ret);
    const char *rel = NULL, *pre = NULL;
    for (size_t i = l.n; i-- > 0;) {
        if (retracted(&ret, l.v[i]))
            continue;
        if (!semver_is_prerelease(l.v[i]) && rel == NULL)
            rel = l.v[i];
        if (semver_is_prerelease(l.v[i]) && pre == NULL)
            pre = l.v[i];
    }
    const char *pick = rel ? rel : pre;
    if (pick != NULL) {
        char cr[700];
        rev_to_rev(m, pick, cr, sizeof(cr));
        st = stat_rev(m, cr, pick, out, why, whylen);
        vfree(&l);
        return st;
    }
    vfree(&l);
    char head[41];
    if (origin_git_head(m->g, head) != STOA_OK)
        return snprintf(why, whylen, "%s: no matching versions for query \"latest\"", m->path), STOA_NOTFOUND;
    return stat_rev(m, head, "", out, why, whylen);
}

int origin_module_stat(origin_module *m, const char *query, origin_info *out, char *why, size_t whylen)
{
    if (strcmp(query, "latest") == 0)
        return latest(m, out, why, whylen);
    char code_rev[700];
    rev_to_rev(m, query, code_rev, sizeof(code_rev));
    return stat_rev(m, code_rev, query, out, why, whylen);
}

/* Pseudo-versions are checked against the repository before their files are served. */
static int check_version(origin_module *m, const char *version, char *why, size_t whylen)
{
    if (!semver_is_canonical(version))
        return snprintf(why, whylen, "version %s is not canonical", version), STOA_NOTFOUND;
    origin_info info;
    if (semver_is_pseudo(version))
        return origin_module_stat(m, version, &info, why, whylen);
    return STOA_OK;
}

int origin_module_gomod(origin_module *m, const char *version, char **data, size_t *len, char *why, size_t whylen)
{
    int st = check_version(m, version, why, whylen);
    if (st != STOA_OK)
        return st;
    char rev[64], dir[600], w[512];
    if (find_dir(m, version, rev, sizeof(rev), dir, sizeof(dir), data, len, w, sizeof(w)) != STOA_OK)
        return snprintf(why, whylen, "%s@%s: %s", m->path, version, w), STOA_NOTFOUND;
    if (*data != NULL)
        return STOA_OK;
    *data = malloc(strlen(m->path) + 9);
    if (*data == NULL)
        return STOA_INTERNAL;
    *len = (size_t)sprintf(*data, "module %s\n", m->path);
    return STOA_OK;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int write_license(origin_module *m, const char *rev, const char *dir)
{
    char *data = NULL, w[256], path[4200];
    size_t len = 0;
    if (origin_git_read(m->g, rev, "LICENSE", MAX_LICENSE, &data, &len, w, sizeof(w)) != STOA_OK)
        return 0; /* no root LICENSE: nothing to copy */
    snprintf(path, sizeof(path), "%s/LICENSE", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    int ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    free(data);
    return ok ? 0 : -1;
}

int origin_module_zip(origin_module *m, const char *version, const char *tmp_dir, int out_fd, char *why, size_t whylen)
{
    int st = check_version(m, version, why, whylen);
    if (st != STOA_OK)
        return st;
    char rev[64], dir[600], w[512], *gomod = NULL;
    size_t gl;
    if (find_dir(m, version, rev, sizeof(rev), dir, sizeof(dir), &gomod, &gl, w, sizeof(w)) != STOA_OK)
        return snprintf(why, whylen, "%s@%s: %s", m->path, version, w), STOA_NOTFOUND;
    free(gomod);
    char tree[4200];
    snprintf(tree, sizeof(tree), "%s/origin-zip-XXXXXX", tmp_dir);
    if (mkdtemp(tree) == NULL)
        return snprintf(why, whylen, "mkdtemp %s: %s", tree, strerror(errno)), STOA_INTERNAL;
    int have_license = 0;
    st = origin_git_extract(m->g, rev, dir, tree, MAX_TREE, &have_license, why, whylen);
    if (st == STOA_NOTFOUND && dir[0] != '\0')
        st = STOA_OK; /* git archive of a missing subdir gives an empty zip; the build then says so */
    if (st == STOA_OK && !have_license && dir[0] != '\0' && write_license(m, rev, tree) != 0)
        st = STOA_INTERNAL, snprintf(why, whylen, "writing LICENSE: %s", strerror(errno));
    if (st == STOA_OK) {
        st = zipbuild_from_files(tree, m->path, version, out_fd, NULL, w, sizeof(w));
        if (st != STOA_OK)
            snprintf(why, whylen, "%s@%s: create zip: %s", m->path, version, w);
        if (st == STOA_UNPROCESSABLE || st == STOA_TOOLARGE)
            st = STOA_NOTFOUND;
    }
    nftw(tree, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return st;
}
