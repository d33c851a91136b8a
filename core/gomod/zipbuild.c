/* Module zip creation from a directory (x/mod/zip CreateFromDir); see zipbuild.h. */
#include "zipbuild.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <stoa/stoa.h>

#include "modfile.h"
#include "zipcheck.h"
#include "zipread.h"

#define CHUNK 65536
#define DOS_DATE_1980 0x0021 /* 1980-01-01: fixed, so builds are reproducible */

struct file {
    char *rel; /* slash path relative to the root */
    uint64_t size;
    uint32_t crc, csize, offset; /* filled while writing */
    int valid;
};

struct build {
    const char *root;
    struct file *files;
    size_t count, cap;
    size_t omitted;
    int keep_vcs; /* zip.Create over a file list: no VCS directories to leave out */
    int go124;    /* the root go.mod says go >= 1.24: x/mod's newer vendor rule */
    char *why;
    size_t whylen;
};

/* ---- listing (listFilesInDir) ---- */

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

static int add_file(struct build *b, char *rel, uint64_t size)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        struct file *v = realloc(b->files, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        b->files = v;
        b->cap = cap;
    }
    b->files[b->count++] = (struct file){.rel = rel, .size = size};
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in path (without "." and ".."); caller frees each and the array. */
static int read_names(const char *path, char ***out, size_t *n, char *why, size_t whylen)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return zip_fail(why, whylen, errno == ENOENT ? STOA_NOTFOUND : STOA_INTERNAL, "opening directory %s: %s", path,
                    strerror(errno));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int st = STOA_OK;
    struct dirent *de;
    while (st == STOA_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 32;
            char **nv = realloc(v, cap * sizeof(*v));
            if (nv == NULL) {
                st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
                break;
            }
            v = nv;
        }
        if ((v[cnt] = strdup(de->d_name)) == NULL)
            st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
        else
            cnt++;
    }
    closedir(d);
    if (cnt > 0)
        qsort(v, cnt, sizeof(*v), by_str);
    *out = v;
    *n = cnt;
    return st;
}

static int is_vcs(const char *name)
{
    return !strcmp(name, ".bzr") || !strcmp(name, ".git") || !strcmp(name, ".hg") || !strcmp(name, ".svn");
}

/* A directory other than the root holding a go.mod that is not a directory. */
static int is_submodule(const char *path)
{
    char *gomod = join(path, "go.mod");
    struct stat st;
    int r = gomod != NULL && lstat(gomod, &st) == 0 && !S_ISDIR(st.st_mode);
    free(gomod);
    return r;
}

static int walk(struct build *b, const char *rel);

/* One directory entry: rel (owned, passed on or freed). */
static int visit(struct build *b, const char *name, char *rel)
{
    char *path = join(b->root, rel);
    struct stat st;
    int r = STOA_OK;
    if (path == NULL)
        r = zip_fail(b->why, b->whylen, STOA_INTERNAL, "out of memory");
    else if (lstat(path, &st) != 0)
        r = zip_fail(b->why, b->whylen, STOA_INTERNAL, "lstat %s: %s", path, strerror(errno));
    else if (zipcheck_is_vendored(rel, b->go124))
        b->omitted++;
    else if (S_ISDIR(st.st_mode) && ((!b->keep_vcs && is_vcs(name)) || is_submodule(path)))
        b->omitted++;
    else if (S_ISDIR(st.st_mode))
        r = walk(b, rel);
    else if (!S_ISREG(st.st_mode))
        b->omitted++;
    else if (add_file(b, rel, (uint64_t)st.st_size) == 0)
        rel = NULL; /* now owned by b->files */
    else
        r = zip_fail(b->why, b->whylen, STOA_INTERNAL, "out of memory");
    free(path);
    free(rel);
    return r;
}

static int walk(struct build *b, const char *rel)
{
    char *path = rel[0] ? join(b->root, rel) : strdup(b->root);
    char **names = NULL;
    size_t n = 0;
    int st = path == NULL ? zip_fail(b->why, b->whylen, STOA_INTERNAL, "out of memory")
                          : read_names(path, &names, &n, b->why, b->whylen);
    for (size_t i = 0; i < n; i++) {
        if (st == STOA_OK) {
            char *child = rel[0] ? join(rel, names[i]) : strdup(names[i]);
            st = child == NULL ? zip_fail(b->why, b->whylen, STOA_INTERNAL, "out of memory") : visit(b, names[i], child);
        }
        free(names[i]);
    }
    free(names);
    free(path);
    return st;
}

/* ---- selection (checkFiles) ---- */

static int base_is_gomod(const char *rel)
{
    const char *base = strrchr(rel, '/');
    return strcasecmp(base ? base + 1 : rel, "go.mod") == 0;
}

/* Files below a directory (not the root) that holds a file folding to "go.mod". */
static int in_submodule(const struct build *b, const char *rel)
{
    for (size_t i = 0; i < b->count; i++) {
        const char *g = b->files[i].rel, *slash = strrchr(g, '/');
        if (slash == NULL || !base_is_gomod(g))
            continue;
        size_t dlen = (size_t)(slash - g) + 1;
        if (strncmp(rel, g, dlen) == 0)
            return 1;
    }
    return 0;
}

static int check_file(struct build *b, struct zipcheck_names *names, struct file *f, uint64_t *total)
{
    char r[200];
    const char *p = f->rel;
    size_t len = strlen(p);
    if (in_submodule(b, p) || strcmp(p, ".hg_archival.txt") == 0) {
        b->omitted++;
        return STOA_OK;
    }
    if (!zipcheck_path_is_clean(p, len) || zipcheck_file_path(p, len, r, sizeof(r)) != 0)
        return zip_fail(b->why, b->whylen, STOA_UNPROCESSABLE, "invalid file path: %s: %s", p, r);
    if (strcasecmp(p, "go.mod") == 0 && strcmp(p, "go.mod") != 0)
        return zip_fail(b->why, b->whylen, STOA_UNPROCESSABLE, "go.mod case: %s: go.mod files must have lowercase names", p);
    int st = zipcheck_names_add(names, p, len, 0, r, sizeof(r));
    if (st != STOA_OK)
        return zip_fail(b->why, b->whylen, st, "name collision: %s: %s", p, r);
    if (f->size > ZIPCHECK_MAX_ZIP - *total)
        return zip_fail(b->why, b->whylen, STOA_TOOLARGE, "total size: module source tree too large (max size is %u bytes)",
                    ZIPCHECK_MAX_ZIP);
    *total += f->size;
    if (strcmp(p, "go.mod") == 0 && f->size > ZIPCHECK_MAX_GOMOD)
        return zip_fail(b->why, b->whylen, STOA_TOOLARGE, "go.mod size: go.mod file too large (max size is %u bytes)",
                    ZIPCHECK_MAX_GOMOD);
    if (strcmp(p, "LICENSE") == 0 && f->size > ZIPCHECK_MAX_LICENSE)
        return zip_fail(b->why, b->whylen, STOA_TOOLARGE, "LICENSE size: LICENSE file too large (max size is %u bytes)",
                    ZIPCHECK_MAX_LICENSE);
    f->valid = 1;
    return STOA_OK;
}

static int select_files(struct build *b, uint64_t *total)
{
    struct zipcheck_names names;
    zipcheck_names_init(&names);
    int st = STOA_OK;
    for (size_t i = 0; i < b->count && st == STOA_OK; i++)
        st = check_file(b, &names, &b->files[i], total);
    zipcheck_names_free(&names);
    return st;
}

/* ---- writing ---- */

struct out {
    int fd;
    uint64_t off; /* bytes handed to out so far */
    size_t len;
    unsigned char buf[CHUNK];
};

static int out_flush(struct out *o, char *why, size_t whylen)
{
    for (size_t done = 0; done < o->len;) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return zip_fail(why, whylen, STOA_INTERNAL, "writing zip: %s", strerror(errno));
        done += (size_t)n;
    }
    o->len = 0;
    return STOA_OK;
}

static int out_put(struct out *o, const void *data, size_t len, char *why, size_t whylen)
{
    const unsigned char *p = data;
    while (len > 0) {
        if (o->len == CHUNK && out_flush(o, why, whylen) != STOA_OK)
            return STOA_INTERNAL;
        size_t n = CHUNK - o->len < len ? CHUNK - o->len : len;
        memcpy(o->buf + o->len, p, n);
        o->len += n, o->off += n, p += n, len -= n;
    }
    return STOA_OK;
}

static unsigned char *put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    return put16(put16(p, v & 0xffff), v >> 16);
}

static unsigned utf8_flag(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p >= 0x80)
            return 0x800; /* names are valid UTF-8 (zipcheck_file_path) */
    return 0;
}

static int put_local(struct out *o, const char *name, size_t nlen, char *why, size_t whylen)
{
    unsigned char h[30], *p = h;
    p = put32(p, 0x04034b50);
    p = put16(p, 20);
    p = put16(p, 0x08 | utf8_flag(name)); /* sizes and CRC follow in a descriptor */
    p = put16(p, 8);
    p = put16(p, 0);
    p = put16(p, DOS_DATE_1980);
    p = put32(put32(put32(p, 0), 0), 0);
    p = put16(p, (unsigned)nlen);
    put16(p, 0);
    if (out_put(o, h, sizeof(h), why, whylen) != STOA_OK)
        return STOA_INTERNAL;
    return out_put(o, name, nlen, why, whylen);
}

static int deflate_fd(struct out *o, z_stream *z, int fd, struct file *f, char *why, size_t whylen)
{
    unsigned char in[CHUNK], outbuf[CHUNK];
    uint64_t total = 0;
    uLong crc = crc32(0, Z_NULL, 0);
    for (int flush = Z_NO_FLUSH; flush != Z_FINISH;) {
        ssize_t n = read(fd, in, sizeof(in));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return zip_fail(why, whylen, STOA_INTERNAL, "reading %s: %s", f->rel, strerror(errno));
        total += (uint64_t)n;
        if (total > f->size)
            return zip_fail(why, whylen, STOA_INTERNAL, "file %s is larger than its size when listed (changed?)", f->rel);
        crc = crc32(crc, in, (uInt)n);
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        z->next_in = in;
        z->avail_in = (uInt)n;
        do {
            z->next_out = outbuf;
            z->avail_out = sizeof(outbuf);
            deflate(z, flush);
            if (out_put(o, outbuf, sizeof(outbuf) - z->avail_out, why, whylen) != STOA_OK)
                return STOA_INTERNAL;
        } while (z->avail_out == 0);
    }
    f->crc = (uint32_t)crc;
    f->size = total;
    return STOA_OK;
}

static int put_entry(struct out *o, const char *prefix, struct file *f, const char *root, char *why, size_t whylen)
{
    char *path = join(root, f->rel), *name = malloc(strlen(prefix) + strlen(f->rel) + 1);
    int fd = path != NULL ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    int st = STOA_OK;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (path == NULL || name == NULL)
        st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    else if (fd < 0)
        st = zip_fail(why, whylen, STOA_INTERNAL, "opening %s: %s", path, strerror(errno));
    else if (o->off > UINT32_MAX || deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                                                 Z_DEFAULT_STRATEGY) != Z_OK)
        st = zip_fail(why, whylen, STOA_INTERNAL, "cannot start entry %s", f->rel);
    if (st == STOA_OK) {
        f->offset = (uint32_t)o->off;
        strcat(strcpy(name, prefix), f->rel);
        st = put_local(o, name, strlen(name), why, whylen);
        uint64_t start = o->off;
        if (st == STOA_OK)
            st = deflate_fd(o, &z, fd, f, why, whylen);
        deflateEnd(&z);
        if (st == STOA_OK && o->off - start > UINT32_MAX)
            st = zip_fail(why, whylen, STOA_TOOLARGE, "%s compresses to more than 4 GiB", f->rel);
        f->csize = (uint32_t)(o->off - start);
    }
    if (st == STOA_OK) {
        unsigned char d[16];
        put32(put32(put32(put32(d, 0x08074b50), f->crc), f->csize), (uint32_t)f->size);
        st = out_put(o, d, sizeof(d), why, whylen);
    }
    if (fd >= 0)
        close(fd);
    free(path);
    free(name);
    return st;
}

static int put_central(struct out *o, const char *prefix, const struct file *f, char *why, size_t whylen)
{
    unsigned char h[46], *p = h;
    size_t nlen = strlen(prefix) + strlen(f->rel);
    p = put32(p, 0x02014b50);
    p = put16(p, 3 << 8 | 20); /* made on Unix, so the mode below is meaningful */
    p = put16(p, 20);
    p = put16(p, 0x08 | utf8_flag(f->rel));
    p = put16(p, 8);
    p = put16(p, 0);
    p = put16(p, DOS_DATE_1980);
    p = put32(put32(put32(p, f->crc), f->csize), (uint32_t)f->size);
    p = put16(put16(put16(put16(put16(p, (unsigned)nlen), 0), 0), 0), 0);
    p = put32(p, (uint32_t)0100644 << 16);
    put32(p, f->offset);
    if (out_put(o, h, sizeof(h), why, whylen) != STOA_OK || out_put(o, prefix, strlen(prefix), why, whylen) != STOA_OK)
        return STOA_INTERNAL;
    return out_put(o, f->rel, strlen(f->rel), why, whylen);
}

static int put_end(struct out *o, size_t n, uint64_t cd_off, char *why, size_t whylen)
{
    unsigned char h[22], *p = h;
    if (n > 0xfffe || o->off > UINT32_MAX)
        return zip_fail(why, whylen, STOA_TOOLARGE, "zip needs zip64 (%zu entries, %llu bytes): not supported", n,
                    (unsigned long long)o->off);
    p = put32(p, 0x06054b50);
    p = put16(put16(p, 0), 0);
    p = put16(put16(p, (unsigned)n), (unsigned)n);
    p = put32(put32(p, (uint32_t)(o->off - cd_off)), (uint32_t)cd_off);
    put16(p, 0);
    if (out_put(o, h, sizeof(h), why, whylen) != STOA_OK)
        return STOA_INTERNAL;
    return out_flush(o, why, whylen);
}

static int write_zip(struct build *b, const char *prefix, struct out *o, size_t *written)
{
    int st = STOA_OK;
    for (size_t i = 0; i < b->count && st == STOA_OK; i++)
        if (b->files[i].valid)
            st = put_entry(o, prefix, &b->files[i], b->root, b->why, b->whylen), (*written)++;
    uint64_t cd_off = o->off;
    for (size_t i = 0; i < b->count && st == STOA_OK; i++)
        if (b->files[i].valid)
            st = put_central(o, prefix, &b->files[i], b->why, b->whylen);
    if (st == STOA_OK)
        st = put_end(o, *written, cd_off, b->why, b->whylen);
    if (st == STOA_OK && o->off > ZIPCHECK_MAX_ZIP)
        st = zip_fail(b->why, b->whylen, STOA_TOOLARGE, "zip size: module zip file is too large (%llu bytes)",
                  (unsigned long long)o->off);
    return st;
}

/* Whether the root go.mod (a regular file) declares go 1.24 or later: x/mod reads it
 * before selecting files, since its vendor rule depends on it. */
static int root_go124(const char *dir)
{
    char *path = join(dir, "go.mod"), v[32];
    int fd = path != NULL ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    free(path);
    struct stat st;
    if (fd < 0)
        return 0;
    char *text = NULL;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= 16 << 20 && (text = malloc((size_t)st.st_size + 1)))
        n = read(fd, text, (size_t)st.st_size); /* a short read (file changing) only loses the version */
    close(fd);
    int r = n >= 0 && modfile_go_version(text, (size_t)n, v, sizeof(v)) == 0 && modfile_go_at_least(v, 1, 24);
    free(text);
    return r;
}

static int build_zip(const char *dir, const char *module, const char *version, int out_fd, int keep_vcs,
                     struct zipbuild_report *rep, char *why, size_t whylen)
{
    if (dir == NULL || module == NULL || version == NULL || !module[0] || !version[0] || strchr(version, '/'))
        return zip_fail(why, whylen, STOA_INVALID, "zip build needs a directory, a module path and a version");
    struct build b = {.root = dir, .keep_vcs = keep_vcs, .go124 = root_go124(dir), .why = why, .whylen = whylen};
    uint64_t total = 0;
    size_t written = 0;
    char *prefix = malloc(strlen(module) + strlen(version) + 3);
    struct out *o = malloc(sizeof(*o));
    int st = prefix == NULL || o == NULL ? zip_fail(why, whylen, STOA_INTERNAL, "out of memory") : walk(&b, "");
    if (st == STOA_OK)
        st = select_files(&b, &total);
    if (st == STOA_OK) {
        sprintf(prefix, "%s@%s/", module, version);
        *o = (struct out){.fd = out_fd};
        st = write_zip(&b, prefix, o, &written);
    }
    if (st == STOA_OK && rep != NULL)
        *rep = (struct zipbuild_report){.files = written, .omitted = b.omitted, .unzipped = total, .zipped = o->off};
    for (size_t i = 0; i < b.count; i++)
        free(b.files[i].rel);
    free(b.files);
    free(prefix);
    free(o);
    return st;
}

int zipbuild_from_dir(const char *dir, const char *module, const char *version, int out_fd,
                      struct zipbuild_report *rep, char *why, size_t whylen)
{
    return build_zip(dir, module, version, out_fd, 0, rep, why, whylen);
}

int zipbuild_from_files(const char *dir, const char *module, const char *version, int out_fd,
                        struct zipbuild_report *rep, char *why, size_t whylen)
{
    return build_zip(dir, module, version, out_fd, 1, rep, why, whylen);
}
