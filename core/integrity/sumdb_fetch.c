#include "sumdb_fetch.h"

#include "app.h"
#include "log.h"
#include "staging.h"
#include "tlog.h"
#include "upstream.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static stoa_kind cache_kind(const char *sub)
{
    if (strcmp(sub, "latest") == 0)
        return STOA_KIND_SUMDB_LATEST;
    if (strncmp(sub, "tile/", 5) == 0 && strstr(sub, ".p/") == NULL)
        return STOA_KIND_SUMDB_TILE;
    return 0;
}

static int from_storage(const conf_sumdb *db, const char *sub, stoa_kind kind, sumdb_answer *out)
{
    stoa_object obj;
    stoa_key key = {db->name, kind == STOA_KIND_SUMDB_TILE ? sub : NULL, kind};
    stoa_error e;
    if (storage_get(&the_app->store, &key, 0, &obj, &e) != STOA_OK)
        return 0;
    out->fd = obj.fd;
    out->meta = obj.meta;
    return 1;
}

static void store(const conf_sumdb *db, const char *sub, stoa_kind kind, const sumdb_answer *a)
{
    stoa_put_file f = {kind, a->fd, a->meta};
    stoa_error e;
    if (storage_put(&the_app->store, db->name, kind == STOA_KIND_SUMDB_TILE ? sub : NULL, &f, 1, &e) != STOA_OK)
        log_msg(STOA_LOG_WARN, "sumdb", "cannot cache %s/%s: %s", db->name, sub, e.msg);
}

static stoa_status fetch(const conf_sumdb *db, const char *sub, sumdb_answer *out, stoa_error *err)
{
    conf_upstream u = {.name = db->name, .connect_ms = 5000, .first_byte_ms = 30000, .total_ms = 60000, .stall_ms = 30000};
    char url[4096 + 512];
    snprintf(url, sizeof(url), "%s/%s", db->url, sub);
    if ((out->fd = staging_open(the_app->tmp_dir)) < 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot create staging file: %s", strerror(errno));
    upstream_result res;
    upstream_attempt a;
    stoa_status st = upstream_get(&u, url, out->fd, &res, &a);
    if (st != STOA_OK)
        return stoa_fail(err, st, "checksum database %s: %s", db->name, a.why);
    if (res.bytes > SUMDB_MAX_BODY)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: answer over %u bytes", db->name, SUMDB_MAX_BODY);
    out->meta.size = res.bytes;
    if (validate_sha256_fd(out->fd, res.bytes, out->meta.sha256) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot hash staging file: %s", strerror(errno));
    return STOA_OK;
}

stoa_status sumdb_fetch(const conf_sumdb *db, const char *sub, sumdb_answer *out, stoa_error *err)
{
    stoa_kind kind = cache_kind(sub);
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (kind == STOA_KIND_SUMDB_TILE && from_storage(db, sub, kind, out)) {
        out->cache = "HIT";
        return STOA_OK;
    }
    out->cache = "MISS";
    stoa_status st = fetch(db, sub, out, err);
    /* A keyed database's latest is stored by sumdb_head, once verified. */
    if (st == STOA_OK && kind != 0 && !(kind == STOA_KIND_SUMDB_LATEST && db->key != NULL && db->key[0] != '\0'))
        store(db, sub, kind, out);
    if (st != STOA_OK && out->fd >= 0) {
        close(out->fd);
        out->fd = -1;
    }
    if (st != STOA_OK && st != STOA_NOTFOUND && kind == STOA_KIND_SUMDB_LATEST && from_storage(db, sub, kind, out)) {
        out->cache = "STALE";
        st = STOA_OK;
    }
    return st;
}

char *sumdb_read(const sumdb_answer *a, size_t max, size_t *len)
{
    char *buf = a->meta.size <= max ? malloc(a->meta.size + 1) : NULL;
    if (buf != NULL && pread(a->fd, buf, a->meta.size, 0) != (ssize_t)a->meta.size) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL) {
        buf[a->meta.size] = '\0';
        *len = a->meta.size;
    }
    return buf;
}

char *sumdb_slurp(sumdb_answer *a, size_t max, size_t *len)
{
    char *buf = sumdb_read(a, max, len);
    close(a->fd);
    a->fd = -1;
    return buf;
}

int sumdb_read_tile(void *arg, int level, int64_t n, int width, unsigned char *out, char *why, size_t whylen)
{
    sumdb_tiles *t = arg;
    const conf_sumdb *db = t->db;
    for (int i = 0; i < t->used; ++i)
        if (t->memo[i].level == level && t->memo[i].n == n && t->memo[i].width == width) {
            memcpy(out, t->memo[i].hashes, (size_t)width * 32);
            return 0;
        }
    char sub[128];
    tlog_tile_path(level, n, width, sub, sizeof(sub));
    sumdb_answer a;
    stoa_error e;
    if (sumdb_fetch(db, sub, &a, &e) != STOA_OK)
        return snprintf(why, whylen, "%s: %s", sub, e.msg), -1;
    size_t len = 0;
    char *data = sumdb_slurp(&a, (size_t)width * 32, &len);
    int ok = data != NULL && len == (size_t)width * 32;
    if (ok && width < 256 && t->used < SUMDB_MEMO_TILES) {
        t->memo[t->used].level = level;
        t->memo[t->used].n = n;
        t->memo[t->used].width = width;
        memcpy(t->memo[t->used++].hashes, data, len);
    }
    if (ok)
        memcpy(out, data, len);
    else
        snprintf(why, whylen, "%s: not %d hashes", sub, width);
    free(data);
    return ok ? 0 : -1;
}
