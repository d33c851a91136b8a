/* Zip structure parsing and entry streaming over pread(); see zipread.h. */
#include "zipread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <stoa/stoa.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define LEN_LOCAL 30
#define LEN_CENTRAL 46
#define LEN_END 22
#define LEN_END64 56
#define LEN_LOC64 20
#define MAX_COMMENT 0xffff
#define CHUNK 65536

int zip_fail(char *why, size_t whylen, int status, const char *fmt, ...)
{
    if (why != NULL && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return status;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Reads exactly len bytes at off. 0 on success, -1 on short read (errno 0) or error. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int read_fail(char *why, size_t whylen, const char *what, uint64_t off)
{
    if (errno == 0)
        return zip_fail(why, whylen, STOA_INVALID, "truncated zip: %s at offset %llu is past the end", what,
                    (unsigned long long)off);
    return zip_fail(why, whylen, STOA_INTERNAL, "reading %s at offset %llu: %s", what, (unsigned long long)off,
                strerror(errno));
}

void zipread_quote(const char *name, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 8) {
        if (outlen > 0)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        char tmp[5];
        if (c == '"' || c == '\\')
            snprintf(tmp, sizeof(tmp), "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            snprintf(tmp, sizeof(tmp), "\\x%02x", c);
        else
            snprintf(tmp, sizeof(tmp), "%c", c);
        size_t tl = strlen(tmp);
        if (o + tl + 5 > outlen) { /* room for ..." and NUL */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, tmp, tl);
        o += tl;
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* The end record and where the central directory must end. */
struct end_info {
    uint64_t records, cd_size, cd_offset;
    uint64_t cd_end; /* offset of the zip64 end record, or of the end record */
};

static int find_end(int fd, uint64_t size, uint64_t *end_off, unsigned char rec[LEN_END], char *why, size_t whylen)
{
    if (size < LEN_END)
        return zip_fail(why, whylen, STOA_INVALID, "not a zip: %llu bytes is too short for an end record",
                    (unsigned long long)size);
    size_t tail = size < LEN_END + MAX_COMMENT ? (size_t)size : LEN_END + MAX_COMMENT;
    unsigned char *buf = malloc(tail);
    if (buf == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    if (read_at(fd, buf, tail, size - tail) != 0) {
        free(buf);
        return read_fail(why, whylen, "end of archive", size - tail);
    }
    /* The record's comment must reach exactly the end of the file. */
    for (size_t i = tail - LEN_END + 1; i-- > 0;) {
        if (le32(buf + i) == SIG_END && i + LEN_END + le16(buf + i + 20) == tail) {
            memcpy(rec, buf + i, LEN_END);
            *end_off = size - tail + i;
            free(buf);
            return STOA_OK;
        }
    }
    free(buf);
    return zip_fail(why, whylen, STOA_INVALID, "not a zip or truncated: no end of central directory record");
}

static int read_end64(int fd, uint64_t end_off, struct end_info *ei, char *why, size_t whylen)
{
    unsigned char loc[LEN_LOC64], rec[LEN_END64];
    if (end_off < LEN_LOC64 || read_at(fd, loc, LEN_LOC64, end_off - LEN_LOC64) != 0 || le32(loc) != SIG_LOC64)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: zip64 values without a zip64 locator");
    uint64_t off = le64(loc + 8);
    if (le32(loc + 4) != 0 || le32(loc + 16) > 1)
        return zip_fail(why, whylen, STOA_INVALID, "multi-disk zip archives are not supported");
    if (off > end_off - LEN_LOC64 || end_off - LEN_LOC64 - off < LEN_END64)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: zip64 end record offset out of range");
    if (read_at(fd, rec, LEN_END64, off) != 0 || le32(rec) != SIG_END64)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: bad zip64 end record");
    if (le32(rec + 16) != 0 || le32(rec + 20) != 0 || le64(rec + 24) != le64(rec + 32))
        return zip_fail(why, whylen, STOA_INVALID, "multi-disk zip archives are not supported");
    ei->records = le64(rec + 32);
    ei->cd_size = le64(rec + 40);
    ei->cd_offset = le64(rec + 48);
    ei->cd_end = off;
    return STOA_OK;
}

static int read_end(int fd, uint64_t size, struct end_info *ei, char *why, size_t whylen)
{
    unsigned char rec[LEN_END] = {0};
    uint64_t end_off = 0;
    int st = find_end(fd, size, &end_off, rec, why, whylen);
    if (st != STOA_OK)
        return st;
    if (le16(rec + 4) != 0 || le16(rec + 6) != 0 || le16(rec + 8) != le16(rec + 10))
        return zip_fail(why, whylen, STOA_INVALID, "multi-disk zip archives are not supported");
    ei->records = le16(rec + 10);
    ei->cd_size = le32(rec + 12);
    ei->cd_offset = le32(rec + 16);
    ei->cd_end = end_off;
    if (ei->records == 0xffff || ei->cd_size == 0xffffffffu || ei->cd_offset == 0xffffffffu) {
        st = read_end64(fd, end_off, ei, why, whylen);
        if (st != STOA_OK)
            return st;
    }
    if (ei->cd_offset > ei->cd_end || ei->cd_end - ei->cd_offset != ei->cd_size)
        return zip_fail(why, whylen, STOA_INVALID,
                    "corrupt zip: central directory (offset %llu, %llu bytes) does not end at the end record",
                    (unsigned long long)ei->cd_offset, (unsigned long long)ei->cd_size);
    return STOA_OK;
}

/* Applies the zip64 extra field (id 1) to the values the central entry marked 0xffffffff. */
static int apply_zip64(struct zipread_entry *e, const unsigned char *extra, size_t len, char *why, size_t whylen)
{
    int need_u = e->usize == 0xffffffffu, need_c = e->csize == 0xffffffffu, need_o = e->local_offset == 0xffffffffu;
    for (size_t i = 0; i + 4 <= len;) {
        uint16_t id = le16(extra + i), n = le16(extra + i + 2);
        const unsigned char *p = extra + i + 4;
        if (i + 4 + n > len)
            break;
        if (id == 1) {
            size_t want = 8u * (size_t)(need_u + need_c + need_o);
            if (n < want)
                return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: short zip64 extra field");
            if (need_u)
                e->usize = le64(p), p += 8;
            if (need_c)
                e->csize = le64(p), p += 8;
            if (need_o)
                e->local_offset = le64(p);
            return STOA_OK;
        }
        i += 4 + (size_t)n;
    }
    if (need_u || need_c || need_o)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: zip64 sizes without a zip64 extra field");
    return STOA_OK;
}

/* Parses the central entry at h, which has avail readable bytes (the whole entry when
 * it fits the directory). *used gets the entry's length. */
static int parse_central(const unsigned char *h, size_t avail, uint64_t at, size_t *used, struct zipread_entry *e,
                         char *why, size_t whylen)
{
    if (avail < LEN_CENTRAL || le32(h) != SIG_CENTRAL)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: bad central directory entry at offset %llu",
                    (unsigned long long)at);
    size_t n = le16(h + 28), m = le16(h + 30), k = le16(h + 32);
    if (avail - LEN_CENTRAL < n + m + k)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: central directory entry overruns the directory");
    if (le16(h + 34) != 0)
        return zip_fail(why, whylen, STOA_INVALID, "multi-disk zip archives are not supported");
    e->made_by = le16(h + 4);
    e->flags = le16(h + 8);
    e->method = le16(h + 10);
    e->crc32 = le32(h + 16);
    e->csize = le32(h + 20);
    e->usize = le32(h + 24);
    e->ext_attrs = le32(h + 38);
    e->local_offset = le32(h + 42);
    e->name = malloc(n + 1);
    if (e->name == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    memcpy(e->name, h + LEN_CENTRAL, n);
    e->name[n] = '\0';
    e->name_len = n;
    *used = LEN_CENTRAL + n + m + k;
    return apply_zip64(e, h + LEN_CENTRAL + n, m, why, whylen);
}

static int check_local(int fd, const struct zipread_archive *za, struct zipread_entry *e, char *why, size_t whylen)
{
    unsigned char h[LEN_LOCAL];
    char q[160];
    zipread_quote(e->name, e->name_len, q, sizeof(q));
    if (e->flags & 0x41)
        return zip_fail(why, whylen, STOA_INVALID, "encrypted entry %s: not supported", q);
    if (e->local_offset > za->cd_offset || za->cd_offset - e->local_offset < LEN_LOCAL ||
        read_at(fd, h, LEN_LOCAL, e->local_offset) != 0 || le32(h) != SIG_LOCAL)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: no local header for %s", q);
    size_t n = le16(h + 26), m = le16(h + 28);
    e->data_offset = e->local_offset + LEN_LOCAL + n + m;
    if (e->data_offset > za->cd_offset || za->cd_offset - e->data_offset < e->csize)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: data of %s runs past the central directory", q);
    if (n != e->name_len)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: local header name differs for %s", q);
    char *local = malloc(n + 1);
    if (local == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    int bad = read_at(fd, local, n, e->local_offset + LEN_LOCAL) != 0 || memcmp(local, e->name, n) != 0;
    free(local);
    if (bad)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: local header name differs for %s", q);
    return STOA_OK;
}

static int by_offset(const void *a, const void *b)
{
    const struct zipread_entry *x = *(const struct zipread_entry *const *)a;
    const struct zipread_entry *y = *(const struct zipread_entry *const *)b;
    return x->local_offset < y->local_offset ? -1 : x->local_offset > y->local_offset;
}

/* Entries must not share bytes: each entry's data ends before the next local header. */
static int check_overlap(struct zipread_archive *za, char *why, size_t whylen)
{
    if (za->count < 2)
        return STOA_OK;
    struct zipread_entry **v = malloc(za->count * sizeof(*v));
    if (v == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    for (size_t i = 0; i < za->count; i++)
        v[i] = &za->entries[i];
    qsort(v, za->count, sizeof(*v), by_offset);
    int st = STOA_OK;
    for (size_t i = 0; i + 1 < za->count && st == STOA_OK; i++) {
        if (v[i]->data_offset + v[i]->csize > v[i + 1]->local_offset) {
            char q[160];
            zipread_quote(v[i + 1]->name, v[i + 1]->name_len, q, sizeof(q));
            st = zip_fail(why, whylen, STOA_INVALID, "corrupt zip: entry %s overlaps the previous entry's data", q);
        }
    }
    free(v);
    return st;
}

/* The central directory is read through a window big enough for the largest entry
 * (46 + 3 * 65535 bytes), so its size never decides how much memory is used. */
#define WINDOW (256 * 1024)

static int read_central(struct zipread_archive *za, uint64_t records, char *why, size_t whylen)
{
    unsigned char *buf = malloc(WINDOW);
    if (buf == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    uint64_t end = za->cd_offset + za->cd_size, pos = za->cd_offset, win = pos;
    size_t have = 0;
    int st = STOA_OK;
    for (uint64_t i = 0; i < records && st == STOA_OK; i++) {
        if (pos + LEN_CENTRAL + 3 * 0xffff > win + have && win + have < end) {
            win = pos;
            have = end - pos < WINDOW ? (size_t)(end - pos) : WINDOW;
            if (read_at(za->fd, buf, have, win) != 0) {
                free(buf);
                return read_fail(why, whylen, "central directory", win);
            }
        }
        size_t used = 0;
        st = parse_central(buf + (pos - win), have - (size_t)(pos - win), pos, &used, &za->entries[za->count], why,
                           whylen);
        if (za->entries[za->count].name != NULL)
            za->count++;
        pos += used;
    }
    free(buf);
    if (st == STOA_OK && pos != end)
        st = zip_fail(why, whylen, STOA_INVALID, "corrupt zip: %llu stray bytes in the central directory",
                  (unsigned long long)(end - pos));
    return st;
}

int zipread_open(struct zipread_archive *za, int fd, uint64_t size, size_t max_entries, char *why, size_t whylen)
{
    struct end_info ei = {0};
    memset(za, 0, sizeof(*za));
    za->fd = fd;
    za->size = size;
    int st = read_end(fd, size, &ei, why, whylen);
    if (st != STOA_OK)
        return st;
    if (max_entries != 0 && ei.records > max_entries)
        return zip_fail(why, whylen, STOA_TOOLARGE, "zip has %llu entries (limit is %zu)",
                    (unsigned long long)ei.records, max_entries);
    /* Every entry needs LEN_CENTRAL bytes: a cheap bound before allocating. */
    if (ei.records > ei.cd_size / LEN_CENTRAL)
        return zip_fail(why, whylen, STOA_INVALID, "corrupt zip: %llu entries cannot fit a %llu-byte directory",
                    (unsigned long long)ei.records, (unsigned long long)ei.cd_size);
    za->cd_offset = ei.cd_offset;
    za->cd_size = ei.cd_size;
    za->entries = calloc(ei.records ? (size_t)ei.records : 1, sizeof(*za->entries));
    if (za->entries == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    st = read_central(za, ei.records, why, whylen);
    for (size_t i = 0; i < za->count && st == STOA_OK; i++)
        st = check_local(fd, za, &za->entries[i], why, whylen);
    if (st == STOA_OK)
        st = check_overlap(za, why, whylen);
    if (st != STOA_OK)
        zipread_close(za);
    return st;
}

void zipread_close(struct zipread_archive *za)
{
    for (size_t i = 0; i < za->count; i++)
        free(za->entries[i].name);
    free(za->entries);
    za->entries = NULL;
    za->count = 0;
}

long zipread_find(const struct zipread_archive *za, const char *name, size_t len)
{
    for (size_t i = 0; i < za->count; i++)
        if (za->entries[i].name_len == len && memcmp(za->entries[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

/* State shared by the store and deflate paths. */
struct stream {
    const struct zipread_archive *za;
    const struct zipread_entry *e;
    zipread_sink sink;
    void *ctx;
    uint64_t out;
    uLong crc;
    char q[160];
};

static int emit(struct stream *s, const unsigned char *buf, size_t len, char *why, size_t whylen)
{
    s->out += len;
    if (s->out > s->e->usize)
        return zip_fail(why, whylen, STOA_INVALID, "size mismatch: %s is larger than its declared %llu bytes", s->q,
                    (unsigned long long)s->e->usize);
    s->crc = crc32(s->crc, buf, (uInt)len);
    return s->sink != NULL ? s->sink(s->ctx, buf, len, why, whylen) : STOA_OK;
}

static int stream_store(struct stream *s, unsigned char *in, char *why, size_t whylen)
{
    for (uint64_t done = 0; done < s->e->csize;) {
        size_t n = s->e->csize - done < CHUNK ? (size_t)(s->e->csize - done) : CHUNK;
        if (read_at(s->za->fd, in, n, s->e->data_offset + done) != 0)
            return read_fail(why, whylen, "entry data", s->e->data_offset + done);
        int st = emit(s, in, n, why, whylen);
        if (st != STOA_OK)
            return st;
        done += n;
    }
    return STOA_OK;
}

static int inflate_loop(struct stream *s, z_stream *z, unsigned char *in, unsigned char *outbuf, char *why,
                        size_t whylen)
{
    uint64_t done = 0;
    for (;;) {
        if (z->avail_in == 0 && done < s->e->csize) {
            size_t n = s->e->csize - done < CHUNK ? (size_t)(s->e->csize - done) : CHUNK;
            if (read_at(s->za->fd, in, n, s->e->data_offset + done) != 0)
                return read_fail(why, whylen, "entry data", s->e->data_offset + done);
            done += n;
            z->next_in = in;
            z->avail_in = (uInt)n;
        }
        z->next_out = outbuf;
        z->avail_out = CHUNK;
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return zip_fail(why, whylen, STOA_INVALID, "corrupt deflate data in %s: %s", s->q,
                        z->msg ? z->msg : "inflate error");
        size_t got = CHUNK - z->avail_out;
        int st = emit(s, outbuf, got, why, whylen);
        if (st != STOA_OK)
            return st;
        if (zr == Z_STREAM_END)
            return STOA_OK;
        if (got == 0 && z->avail_in == 0 && done == s->e->csize)
            return zip_fail(why, whylen, STOA_INVALID, "truncated deflate data in %s", s->q);
    }
}

static int stream_deflate(struct stream *s, unsigned char *in, char *why, size_t whylen)
{
    unsigned char *outbuf = malloc(CHUNK);
    if (outbuf == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        free(outbuf);
        return zip_fail(why, whylen, STOA_INTERNAL, "inflateInit2 failed");
    }
    int st = inflate_loop(s, &z, in, outbuf, why, whylen);
    inflateEnd(&z);
    free(outbuf);
    return st;
}

int zipread_stream(const struct zipread_archive *za, const struct zipread_entry *e, zipread_sink sink, void *ctx,
                   char *why, size_t whylen)
{
    struct stream s = {.za = za, .e = e, .sink = sink, .ctx = ctx, .crc = crc32(0, Z_NULL, 0)};
    zipread_quote(e->name, e->name_len, s.q, sizeof(s.q));
    if (e->method != ZIPREAD_STORE && e->method != ZIPREAD_DEFLATE)
        return zip_fail(why, whylen, STOA_UNPROCESSABLE, "compression method: %s uses method %u (only store and deflate)",
                    s.q, e->method);
    unsigned char *in = malloc(CHUNK);
    if (in == NULL)
        return zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    int st = e->method == ZIPREAD_STORE ? stream_store(&s, in, why, whylen) : stream_deflate(&s, in, why, whylen);
    free(in);
    if (st != STOA_OK)
        return st;
    if (s.out != e->usize)
        return zip_fail(why, whylen, STOA_INVALID, "size mismatch: %s has %llu bytes, declared %llu", s.q,
                    (unsigned long long)s.out, (unsigned long long)e->usize);
    if ((uint32_t)s.crc != e->crc32)
        return zip_fail(why, whylen, STOA_INVALID, "crc mismatch: %s has CRC-32 %08x, declared %08x", s.q,
                    (unsigned)s.crc, (unsigned)e->crc32);
    return STOA_OK;
}
