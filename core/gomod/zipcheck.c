/* Module zip rules (x/mod/zip CheckZip + Unzip); see zipcheck.h. */
#include "zipcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <stoa/stoa.h>

#include "modpath.h"
#include "zipname.h"
#include "zipread.h"

void zipcheck_default_limits(struct zipcheck_limits *lim)
{
    lim->max_zip = ZIPCHECK_MAX_ZIP;
    lim->max_unzipped = ZIPCHECK_MAX_ZIP;
    lim->max_gomod = ZIPCHECK_MAX_GOMOD;
    lim->max_license = ZIPCHECK_MAX_LICENSE;
    lim->max_entries = 1000000;
}

/* ---- UTF-8 ---- */

/* Decodes one rune at s[*i] as Go's utf8 package does (no overlongs, surrogates or
 * values past U+10FFFF). Returns the rune and advances *i, or -1. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    if (c < 0x80)
        return (long)s[(*i)++];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || c > 0xf4 || *i + n > len)
        return -1;
    unsigned long r = c & (0x7fu >> n);
    for (size_t k = 1; k < n; k++) {
        if ((s[*i + k] & 0xc0) != 0x80)
            return -1;
        r = r << 6 | (s[*i + k] & 0x3fu);
    }
    static const unsigned long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (r < min[n] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
        return -1;
    *i += n;
    return (long)r;
}

/* Writes rune r as UTF-8 into out (4 bytes room); returns the byte count. */
static size_t utf8_put(unsigned long r, char *out)
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xc0 | r >> 6);
        out[1] = (char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xe0 | r >> 12);
        out[1] = (char)(0x80 | (r >> 6 & 0x3f));
        out[2] = (char)(0x80 | (r & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | r >> 18);
    out[1] = (char)(0x80 | (r >> 12 & 0x3f));
    out[2] = (char)(0x80 | (r >> 6 & 0x3f));
    out[3] = (char)(0x80 | (r & 0x3f));
    return 4;
}

/* ---- module.CheckFilePath ---- */

static int file_rune_ok(long r)
{
    if (r < 0x80)
        return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') ||
               (r != 0 && strchr("!#$%&()+,-.=@[]^_{}~ ", (int)r) != NULL);
    return zipname_is_letter((uint32_t)r);
}

static int check_elem(const char *elem, size_t len, char *why, size_t whylen)
{
    char q[160];
    zipread_quote(elem, len, q, sizeof(q));
    if (len == 0)
        return zip_fail(why, whylen, -1, "empty path element");
    size_t dots = 0;
    while (dots < len && elem[dots] == '.')
        dots++;
    if (dots == len)
        return zip_fail(why, whylen, -1, "invalid path element %s", q);
    if (elem[len - 1] == '.')
        return zip_fail(why, whylen, -1, "trailing dot in path element");
    for (size_t i = 0; i < len;) {
        size_t at = i;
        long r = utf8_next((const unsigned char *)elem, len, &i);
        if (r < 0 || !file_rune_ok(r)) {
            zipread_quote(elem + at, r < 0 ? 1 : i - at, q, sizeof(q));
            return zip_fail(why, whylen, -1, "invalid char %s", q);
        }
    }
    if (modpath_windows_reserved(elem, len))
        return zip_fail(why, whylen, -1, "%s disallowed as path element component on Windows", q);
    return 0;
}

int zipcheck_file_path(const char *p, size_t len, char *why, size_t whylen)
{
    for (size_t i = 0; i < len;)
        if (utf8_next((const unsigned char *)p, len, &i) < 0)
            return zip_fail(why, whylen, -1, "invalid UTF-8");
    if (len == 0)
        return zip_fail(why, whylen, -1, "empty string");
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == '/' && p[i + 1] == '/')
            return zip_fail(why, whylen, -1, "double slash");
    if (p[len - 1] == '/')
        return zip_fail(why, whylen, -1, "trailing slash");
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '/') {
            if (check_elem(p + start, i - start, why, whylen) != 0)
                return -1;
            start = i + 1;
        }
    }
    return 0;
}

int zipcheck_path_is_clean(const char *p, size_t len)
{
    if (len == 0)
        return 0;
    if (len == 1 && (p[0] == '.' || p[0] == '/'))
        return 1;
    int rooted = p[0] == '/', only_dotdot = 1;
    size_t start = rooted;
    for (size_t i = start; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        size_t n = i - start;
        const char *e = p + start;
        if (n == 0 || (n == 1 && e[0] == '.'))
            return 0; /* "//", trailing '/', or "." */
        if (n == 2 && e[0] == '.' && e[1] == '.') {
            if (rooted || !only_dotdot)
                return 0;
        } else {
            only_dotdot = 0;
        }
        start = i + 1;
    }
    return 1;
}

int zipcheck_is_vendored(const char *p, int go124)
{
    if (go124 && strcmp(p, "vendor/modules.txt") == 0)
        return 1;
    const char *j;
    size_t i;
    if (strncmp(p, "vendor/", 7) == 0)
        i = 7;
    else if ((j = strstr(p, "/vendor/")) != NULL)
        i = go124 ? (size_t)(j - p) + 8 : 8; /* before 1.24: Go's offset bug, kept for checksums */
    else
        return 0;
    return strchr(p + i, '/') != NULL;
}

/* ---- collisionChecker ---- */

struct zipcheck_name {
    char *fold; /* NULL: empty slot; else fold then the original, one allocation */
    size_t fold_len, orig_len;
    uint64_t hash;
    int is_dir;
};

void zipcheck_names_init(struct zipcheck_names *ns)
{
    memset(ns, 0, sizeof(*ns));
}

void zipcheck_names_free(struct zipcheck_names *ns)
{
    for (size_t i = 0; i < ns->cap; i++)
        free(ns->slots[i].fold);
    free(ns->slots);
    memset(ns, 0, sizeof(*ns));
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int names_grow(struct zipcheck_names *ns)
{
    size_t cap = ns->cap ? ns->cap * 2 : 1024;
    struct zipcheck_name *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < ns->cap; i++) {
        if (ns->slots[i].fold == NULL)
            continue;
        size_t j = ns->slots[i].hash & (cap - 1);
        while (slots[j].fold != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = ns->slots[i];
    }
    free(ns->slots);
    ns->slots = slots;
    ns->cap = cap;
    return 0;
}

/* Go's strToFold (zipname.h). out has 4 * len bytes room: a fold can lengthen a
 * rune's encoding. Returns the folded length. */
static size_t fold(const char *p, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        long r = utf8_next((const unsigned char *)p, len, &i);
        if (r < 0) /* callers pass valid UTF-8; keep the byte as it is */
            r = (unsigned char)p[i++];
        else
            r = (long)zipname_fold((uint32_t)r);
        o += utf8_put((unsigned long)r, out + o);
    }
    return o;
}

/* One step of collisionChecker.check for (fold f, original p). */
static int names_check_one(struct zipcheck_names *ns, const char *f, size_t flen, const char *p, size_t plen,
                           int is_dir, char *why, size_t whylen)
{
    if ((ns->used + 1) * 10 > ns->cap * 7 && names_grow(ns) != 0)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    uint64_t h = fnv1a(f, flen);
    size_t j = h & (ns->cap - 1);
    char q1[160], q2[160];
    for (; ns->slots[j].fold != NULL; j = (j + 1) & (ns->cap - 1)) {
        struct zipcheck_name *s = &ns->slots[j];
        if (s->hash != h || s->fold_len != flen || memcmp(s->fold, f, flen) != 0)
            continue;
        const char *orig = s->fold + s->fold_len;
        zipread_quote(p, plen, q2, sizeof(q2));
        if (s->orig_len != plen || memcmp(orig, p, plen) != 0) {
            zipread_quote(orig, s->orig_len, q1, sizeof(q1));
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "case-insensitive file name collision: %s and %s", q1, q2);
        }
        if (s->is_dir != is_dir)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "entry %s is both a file and a directory", q2);
        if (!is_dir)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "multiple entries for file %s", q2);
        return STOA_OK;
    }
    char *copy = malloc(flen + plen + 1);
    if (copy == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    memcpy(copy, f, flen);
    memcpy(copy + flen, p, plen);
    copy[flen + plen] = '\0';
    ns->slots[j] = (struct zipcheck_name){.fold = copy, .fold_len = flen, .orig_len = plen, .hash = h, .is_dir = is_dir};
    ns->used++;
    return STOA_OK;
}

int zipcheck_names_add(struct zipcheck_names *ns, const char *p, size_t len, int is_dir, char *why, size_t whylen)
{
    char *f = malloc(4 * len + 1);
    if (f == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    size_t flen = fold(p, len, f);
    int st = STOA_OK;
    /* The name, then each parent directory: '/' folds to itself, so parents of the
     * original and of the fold line up slash for slash. */
    while (st == STOA_OK) {
        st = names_check_one(ns, f, flen, p, len, is_dir, why, whylen);
        while (len > 0 && p[len - 1] != '/')
            len--;
        while (flen > 0 && f[flen - 1] != '/')
            flen--;
        if (len == 0 || flen == 0)
            break;
        len--, flen--, is_dir = 1;
    }
    free(f);
    return st;
}

/* ---- CheckZip + Unzip ---- */

struct check {
    const struct zipcheck_limits *lim;
    const char *prefix;
    size_t prefix_len;
    struct zipcheck_names names;
    struct zipcheck_report rep;
};

#define MODE_TYPE 0170000u
#define MODE_REG 0100000u
#define MODE_DIR 0040000u
#define MODE_LNK 0120000u

/* stoa's additions to CheckZip (zipcheck.h, rule 4). */
static int check_extra(const struct zipread_entry *e, int is_dir, const char *q, char *why, size_t whylen)
{
    unsigned type = (e->ext_attrs >> 16) & MODE_TYPE;
    if (e->made_by >> 8 == ZIPREAD_OS_UNIX && type != 0) {
        if (type == MODE_LNK)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "symlink: %s is a symbolic link", q);
        if (type != (is_dir ? MODE_DIR : MODE_REG))
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "irregular file: %s has mode %06o", q, type);
    }
    if (e->method != ZIPREAD_STORE && e->method != ZIPREAD_DEFLATE)
        return zip_fail(why, whylen, STOA_UNPROCESSABLE, "compression method: %s uses method %u (only store and deflate)",
                    q, e->method);
    return STOA_OK;
}

/* go.mod placement and the size rules, for a file named name (prefix stripped). */
static int check_sizes(struct check *c, const struct zipread_entry *e, const char *name, size_t len, const char *q,
                       char *why, size_t whylen)
{
    const char *base = memrchr(name, '/', len);
    base = base != NULL ? base + 1 : name;
    size_t blen = len - (size_t)(base - name);
    if (blen == 6 && strncasecmp(base, "go.mod", 6) == 0) {
        if (base != name)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "go.mod location: %s: go.mod file not in module root directory",
                        q);
        if (memcmp(name, "go.mod", 6) != 0)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "go.mod case: %s: go.mod files must have lowercase names", q);
    }
    if (e->usize > c->lim->max_unzipped - c->rep.unzipped)
        return zip_fail(why, whylen, STOA_TOOLARGE,
                    "total size: at %s, total uncompressed size of module contents too large (max size is %llu bytes)",
                    q, (unsigned long long)c->lim->max_unzipped);
    c->rep.unzipped += e->usize;
    c->rep.files++;
    if (len == 6 && memcmp(name, "go.mod", 6) == 0) {
        if (e->usize > c->lim->max_gomod)
            return zip_fail(why, whylen, STOA_TOOLARGE, "go.mod size: %s: go.mod file too large (max size is %llu bytes)",
                        q, (unsigned long long)c->lim->max_gomod);
        c->rep.has_gomod = 1;
        c->rep.gomod_size = e->usize;
        c->rep.gomod_offset = e->local_offset;
    }
    if (len == 7 && memcmp(name, "LICENSE", 7) == 0 && e->usize > c->lim->max_license)
        return zip_fail(why, whylen, STOA_TOOLARGE, "LICENSE size: %s: LICENSE file too large (max size is %llu bytes)", q,
                    (unsigned long long)c->lim->max_license);
    return STOA_OK;
}

/* The per-entry part of checkZip, in its order, then stoa's additions. */
static int check_entry(struct check *c, const struct zipread_entry *e, char *why, size_t whylen)
{
    char q[200], r[160];
    zipread_quote(e->name, e->name_len, q, sizeof(q));
    if (e->name_len < c->prefix_len || memcmp(e->name, c->prefix, c->prefix_len) != 0)
        return zip_fail(why, whylen, STOA_UNPROCESSABLE, "prefix: %s: path does not have prefix \"%s\"", q, c->prefix);
    const char *name = e->name + c->prefix_len;
    size_t len = e->name_len - c->prefix_len;
    if (len == 0)
        return STOA_OK;
    int is_dir = name[len - 1] == '/';
    len -= (size_t)is_dir;
    if (!zipcheck_path_is_clean(name, len))
        return zip_fail(why, whylen, STOA_UNPROCESSABLE, "unclean path: %s: file path is not clean", q);
    if (zipcheck_file_path(name, len, r, sizeof(r)) != 0)
        return zip_fail(why, whylen, STOA_UNPROCESSABLE, "invalid file path: %s: %s", q, r);
    int st = zipcheck_names_add(&c->names, name, len, is_dir, r, sizeof(r));
    if (st != STOA_OK)
        return zip_fail(why, whylen, st, "name collision: %s: %s", q, r);
    if (!is_dir && (st = check_sizes(c, e, name, len, q, why, whylen)) != STOA_OK)
        return st;
    return check_extra(e, is_dir, q, why, whylen);
}

static int check_args(const char *module, const char *version, char *why, size_t whylen)
{
    if (module == NULL || version == NULL || module[0] == '\0' || version[0] == '\0' || strchr(version, '@') ||
        strchr(version, '/'))
        return zip_fail(why, whylen, STOA_INVALID, "zip check needs a module path and a version");
    return STOA_OK;
}

static int check_all(struct check *c, const struct zipread_archive *za, char *why, size_t whylen)
{
    int st = STOA_OK;
    for (size_t i = 0; i < za->count && st == STOA_OK; i++)
        st = check_entry(c, &za->entries[i], why, whylen);
    /* Content last: names are cheap to check, data is not. */
    for (size_t i = 0; i < za->count && st == STOA_OK; i++)
        st = zipread_stream(za, &za->entries[i], NULL, NULL, why, whylen);
    return st;
}

int zipcheck_fd(int fd, uint64_t size, const char *module, const char *version,
                const struct zipcheck_limits *lim, struct zipcheck_report *rep, char *why, size_t whylen)
{
    struct zipcheck_limits defaults;
    if (lim == NULL) {
        zipcheck_default_limits(&defaults);
        lim = &defaults;
    }
    int st = check_args(module, version, why, whylen);
    if (st != STOA_OK)
        return st;
    if (size > lim->max_zip)
        return zip_fail(why, whylen, STOA_TOOLARGE, "zip size: module zip file is too large (%llu bytes; limit is %llu bytes)",
                    (unsigned long long)size, (unsigned long long)lim->max_zip);
    struct zipread_archive za;
    if ((st = zipread_open(&za, fd, size, lim->max_entries, why, whylen)) != STOA_OK)
        return st;
    struct check c = {.lim = lim};
    zipcheck_names_init(&c.names);
    char *prefix = malloc(strlen(module) + strlen(version) + 3);
    if (prefix == NULL) {
        st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    } else {
        c.prefix_len = (size_t)sprintf(prefix, "%s@%s/", module, version);
        c.prefix = prefix;
        st = check_all(&c, &za, why, whylen);
    }
    if (st == STOA_OK && rep != NULL)
        *rep = c.rep;
    free(prefix);
    zipcheck_names_free(&c.names);
    zipread_close(&za);
    return st;
}

/* ---- extraction ---- */

struct buf_sink {
    unsigned char *buf;
    size_t cap, len;
};

static int to_buf(void *ctx, const void *data, size_t len, char *why, size_t whylen)
{
    struct buf_sink *b = ctx;
    if (len > b->cap - b->len)
        return zip_fail(why, whylen, STOA_TOOLARGE, "extracted file does not fit %zu bytes", b->cap);
    memcpy(b->buf + b->len, data, len);
    b->len += len;
    return STOA_OK;
}

static int to_fd(void *ctx, const void *data, size_t len, char *why, size_t whylen)
{
    int fd = *(int *)ctx;
    for (const char *p = data; len > 0;) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return zip_fail(why, whylen, STOA_INTERNAL, "writing extracted file: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return STOA_OK;
}

static int extract(int fd, uint64_t size, const char *module, const char *version, const char *name, uint64_t max,
                   zipread_sink sink, void *ctx, char *why, size_t whylen)
{
    int st = check_args(module, version, why, whylen);
    if (st != STOA_OK)
        return st;
    struct zipcheck_limits lim;
    zipcheck_default_limits(&lim);
    struct zipread_archive za;
    if ((st = zipread_open(&za, fd, size, lim.max_entries, why, whylen)) != STOA_OK)
        return st;
    size_t len = strlen(module) + strlen(version) + strlen(name) + 2;
    char *full = malloc(len + 1);
    long i = -1;
    if (full == NULL) {
        st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    } else {
        sprintf(full, "%s@%s/%s", module, version, name);
        i = zipread_find(&za, full, len);
        if (i < 0)
            st = zip_fail(why, whylen, STOA_NOTFOUND, "%s not found in the zip", full);
        else if (max != 0 && za.entries[i].usize > max)
            st = zip_fail(why, whylen, STOA_TOOLARGE, "%s has %llu bytes (limit is %llu)", full,
                      (unsigned long long)za.entries[i].usize, (unsigned long long)max);
        else
            st = zipread_stream(&za, &za.entries[i], sink, ctx, why, whylen);
    }
    free(full);
    zipread_close(&za);
    return st;
}

int zipcheck_extract_fd(int fd, uint64_t size, const char *module, const char *version, const char *name,
                        uint64_t max, int out_fd, char *why, size_t whylen)
{
    return extract(fd, size, module, version, name, max, to_fd, &out_fd, why, whylen);
}

int zipcheck_extract_buf(int fd, uint64_t size, const char *module, const char *version, const char *name,
                         void *buf, size_t cap, size_t *len, char *why, size_t whylen)
{
    struct buf_sink b = {.buf = buf, .cap = cap};
    int st = extract(fd, size, module, version, name, cap, to_buf, &b, why, whylen);
    if (len != NULL)
        *len = b.len;
    return st;
}

int zipcheck_gomod_fd(int fd, uint64_t size, const char *module, const char *version, int out_fd, char *why,
                      size_t whylen)
{
    int st = zipcheck_extract_fd(fd, size, module, version, "go.mod", ZIPCHECK_MAX_GOMOD, out_fd, why, whylen);
    if (st != STOA_NOTFOUND)
        return st;
    char text[MODPATH_MAX + 16];
    int n = snprintf(text, sizeof(text), "module %s\n", module);
    if (n < 0 || (size_t)n >= sizeof(text) || write(out_fd, text, (size_t)n) != n)
        return snprintf(why, whylen, "cannot write go.mod: %s", strerror(errno)), STOA_INTERNAL;
    return STOA_OK;
}
