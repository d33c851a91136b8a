/*
 * Publishing private module versions: PUT <base>/<module>/@v/<version>.zip|.mod|.info,
 * Athens/Artifactory style (jf go-publish sends zip, mod, info in that order, with
 * ;key=value matrix parameters and X-Checksum headers).
 *
 * The zip is what makes a version: its PUT validates the zip, takes go.mod from it
 * (or from an earlier .mod PUT, which must match), generates the .info (its Time the
 * publish time, or the zip PUT's X-Stoa-Info-Time), and commits
 * the three files in one storage put, so list/@latest show the version complete or not
 * at all. A later .mod or .info PUT is accepted when it matches what is stored.
 * Versions are immutable: the same bytes again are a no-op, other bytes are 409.
 *
 * The body arrives whole in req->entity (h2o 2.2.5 has no streaming request bodies;
 * large bodies live in temp-file-backed buffers). It is copied to a staging file on
 * the loop thread; checksums, validation and the commit run on a worker.
 */
#include "app.h"
#include "dirhash.h"
#include "handlers.h"
#include "hex.h"
#include "log.h"
#include "metrics.h"
#include "modinfo.h"
#include "namespace.h"
#include "reqasync.h"
#include "staging.h"
#include "status.h"
#include "upload.h"
#include "validate.h"
#include "zipcheck.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct publish {
    reqasync a;
    reqctx *rc;
    stoa_kind kind;
    char module[MODPATH_MAX + 1];
    char version[SEMVER_MAX + 1];
    int body_fd, mod_fd, info_fd;
    uint64_t body_size;
    char want_sha256[65], want_sha1[41], want_md5[33];
    char info_time[VALIDATE_TIME_MAX]; /* X-Stoa-Info-Time in UTC, or "": the publish time */
    /* results */
    int http;
    stoa_error err;
    int created;
    stoa_meta body_meta, mod_meta;
} publish;

/* Digest of the staged body with md (EVP_sha1, EVP_md5) as lower-case hex. */
static int digest_hex(int fd, uint64_t size, const EVP_MD *md, char *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE], buf[64 * 1024];
    unsigned dl = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1;
    for (uint64_t off = 0; ok && off < size;) {
        ssize_t n = pread(fd, buf, size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf), (off_t)off);
        ok = n > 0 && EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
        off += n > 0 ? (uint64_t)n : 0;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, d, &dl) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok)
        hex_encode(d, dl, out);
    return ok ? 0 : -1;
}

static stoa_status check_one(int fd, uint64_t size, const EVP_MD *md, const char *name, const char *want, stoa_error *err)
{
    char got[EVP_MAX_MD_SIZE * 2 + 1];
    if (want[0] == '\0')
        return STOA_OK;
    if (digest_hex(fd, size, md, got) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot compute %s of the upload", name);
    if (strcasecmp(got, want) != 0)
        return stoa_fail(err, STOA_INVALID, "%s mismatch: the header says %s, the body has %s", name, want, got);
    return STOA_OK;
}

static stoa_status check_sums(publish *p)
{
    char got[65];
    hex_encode(p->body_meta.sha256, 32, got);
    if (p->want_sha256[0] != '\0' && strcasecmp(got, p->want_sha256) != 0)
        return stoa_fail(&p->err, STOA_INVALID, "X-Checksum-Sha256 mismatch: the header says %s, the body has %s",
                         p->want_sha256, got);
    stoa_status st = check_one(p->body_fd, p->body_size, EVP_sha1(), "X-Checksum-Sha1", p->want_sha1, &p->err);
    return st != STOA_OK ? st : check_one(p->body_fd, p->body_size, EVP_md5(), "X-Checksum-Md5", p->want_md5, &p->err);
}

static stoa_status get_meta(publish *p, stoa_kind kind, stoa_meta *out)
{
    stoa_object obj;
    stoa_key key = {p->module, p->version, kind};
    stoa_error e;
    stoa_status st = storage_get(&the_app->store, &key, STOA_GET_META_ONLY, &obj, &e);
    if (st == STOA_OK)
        *out = obj.meta;
    else if (st != STOA_NOTFOUND)
        p->err = e;
    return st;
}

/* Stages a file holding text; fills meta (size, sha256, origin). */
static int stage_text(publish *p, const char *text, stoa_meta *meta)
{
    int fd = staging_open(the_app->tmp_dir);
    size_t len = strlen(text);
    if (fd < 0 || staging_write(fd, text, len) != 0 || validate_sha256_fd(fd, len, meta->sha256) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    meta->size = len;
    snprintf(meta->origin, sizeof(meta->origin), "published");
    return fd;
}

static stoa_status stage_info(publish *p, stoa_meta *meta)
{
    char text[256];
    if (modinfo_text(p->version, p->info_time, (int64_t)time(NULL), text, sizeof(text)) < 0 ||
        (p->info_fd = stage_text(p, text, meta)) < 0)
        return stoa_fail(&p->err, STOA_INTERNAL, "cannot stage .info: %s", strerror(errno));
    return STOA_OK;
}

/* go.mod from the zip, or the synthesized one the go command uses when there is none. */
static stoa_status stage_mod(publish *p)
{
    char why[400];
    if ((p->mod_fd = staging_open(the_app->tmp_dir)) < 0)
        return stoa_fail(&p->err, STOA_INTERNAL, "cannot stage go.mod: %s", strerror(errno));
    int st = zipcheck_gomod_fd(p->body_fd, p->body_size, p->module, p->version, p->mod_fd, why, sizeof(why));
    if (st != STOA_OK)
        return stoa_fail(&p->err, (stoa_status)st, "go.mod in the zip: %s", why);
    off_t size = lseek(p->mod_fd, 0, SEEK_END);
    if (validate_gomod_fd(p->mod_fd, (uint64_t)size, p->module, why, sizeof(why)) != 0) /* the go command refuses it */
        return stoa_fail(&p->err, STOA_UNPROCESSABLE, "rejected %s@%s.zip: its go.mod %s", p->module, p->version, why);
    p->mod_meta.size = (uint64_t)size;
    snprintf(p->mod_meta.origin, sizeof(p->mod_meta.origin), "published");
    if (validate_sha256_fd(p->mod_fd, p->mod_meta.size, p->mod_meta.sha256) != 0 || lseek(p->mod_fd, 0, SEEK_SET) != 0 ||
        dirhash_mod_fd(p->mod_fd, p->mod_meta.h1, why, sizeof(why)) != STOA_OK)
        return stoa_fail(&p->err, STOA_INTERNAL, "cannot hash go.mod: %s", why);
    return STOA_OK;
}

static stoa_status publish_zip(publish *p)
{
    char why[400];
    int st = zipcheck_fd(p->body_fd, p->body_size, p->module, p->version, NULL, NULL, why, sizeof(why));
    if (st != STOA_OK)
        return stoa_fail(&p->err, st == STOA_INVALID ? STOA_INVALID : (stoa_status)st, "rejected %s@%s.zip: %s", p->module,
                         p->version, why);
    if ((st = dirhash_zip_fd(p->body_fd, p->body_size, p->body_meta.h1, why, sizeof(why))) != STOA_OK)
        return stoa_fail(&p->err, (stoa_status)st, "rejected %s@%s.zip: %s", p->module, p->version, why);
    stoa_meta have;
    if ((st = get_meta(p, STOA_KIND_ZIP, &have)) == STOA_OK) {
        if (memcmp(have.sha256, p->body_meta.sha256, 32) != 0)
            return stoa_fail(&p->err, STOA_CONFLICT,
                             "%s@%s is already published with different content; versions are immutable: publish a new "
                             "version instead", p->module, p->version);
        stage_mod(p); /* for the response's go.mod hash */
        return STOA_OK;
    }
    if (st != STOA_NOTFOUND || (st = stage_mod(p)) != STOA_OK)
        return (stoa_status)st;
    if ((st = get_meta(p, STOA_KIND_MOD, &have)) == STOA_OK && memcmp(have.sha256, p->mod_meta.sha256, 32) != 0)
        return stoa_fail(&p->err, STOA_CONFLICT, "the go.mod inside the zip differs from the %s@%s.mod published before",
                         p->module, p->version);
    stoa_meta info_meta = {0};
    if ((st = stage_info(p, &info_meta)) != STOA_OK)
        return (stoa_status)st;
    stoa_put_file files[3] = {{STOA_KIND_ZIP, p->body_fd, p->body_meta},
                              {STOA_KIND_MOD, p->mod_fd, p->mod_meta},
                              {STOA_KIND_INFO, p->info_fd, info_meta}};
    st = storage_put(&the_app->store, p->module, p->version, files, 3, &p->err);
    p->created = st == STOA_OK;
    return (stoa_status)st;
}

static stoa_status publish_mod(publish *p)
{
    char why[256];
    if (p->body_size > ZIPCHECK_MAX_GOMOD)
        return stoa_fail(&p->err, STOA_TOOLARGE, "go.mod is over 16 MiB");
    if (validate_gomod_fd(p->body_fd, p->body_size, p->module, why, sizeof(why)) != 0)
        return stoa_fail(&p->err, STOA_UNPROCESSABLE, "rejected %s@%s.mod: it %s", p->module, p->version, why);
    if (lseek(p->body_fd, 0, SEEK_SET) != 0 || dirhash_mod_fd(p->body_fd, p->body_meta.h1, why, sizeof(why)) != STOA_OK)
        return stoa_fail(&p->err, STOA_INTERNAL, "cannot hash go.mod: %s", why);
    stoa_meta have;
    stoa_status st = get_meta(p, STOA_KIND_MOD, &have);
    if (st == STOA_OK)
        return memcmp(have.sha256, p->body_meta.sha256, 32) == 0
                   ? STOA_OK
                   : stoa_fail(&p->err, STOA_CONFLICT, "%s@%s.mod differs from the go.mod already published (from its zip)",
                               p->module, p->version);
    if (st != STOA_NOTFOUND)
        return st;
    stoa_put_file f = {STOA_KIND_MOD, p->body_fd, p->body_meta};
    st = storage_put(&the_app->store, p->module, p->version, &f, 1, &p->err);
    p->created = st == STOA_OK;
    return st;
}

static stoa_status publish_info(publish *p)
{
    char *text = malloc(p->body_size + 1);
    if (text == NULL || p->body_size > 64 * 1024 || pread(p->body_fd, text, p->body_size, 0) != (ssize_t)p->body_size) {
        free(text);
        return stoa_fail(&p->err, STOA_INVALID, ".info must be a small JSON object");
    }
    json_t *j = json_loadb(text, p->body_size, 0, NULL);
    free(text);
    const char *v = json_string_value(json_object_get(j, "Version"));
    stoa_status st = STOA_OK;
    if (v == NULL || strcmp(v, p->version) != 0)
        st = stoa_fail(&p->err, STOA_INVALID, ".info must be JSON with \"Version\": \"%s\"", p->version);
    json_decref(j);
    stoa_meta have;
    if (st == STOA_OK && (st = get_meta(p, STOA_KIND_ZIP, &have)) == STOA_NOTFOUND)
        st = stoa_fail(&p->err, STOA_UNPROCESSABLE, "publish %s@%s.zip before its .info: the version appears with its zip",
                       p->module, p->version);
    return st;
}

static void on_run(pool_job *job)
{
    publish *p = (publish *)job;
    stoa_status st = validate_sha256_fd(p->body_fd, p->body_size, p->body_meta.sha256) == 0
                         ? check_sums(p)
                         : stoa_fail(&p->err, STOA_INTERNAL, "cannot hash the upload: %s", strerror(errno));
    p->body_meta.size = p->body_size;
    snprintf(p->body_meta.origin, sizeof(p->body_meta.origin), "published");
    if (st == STOA_OK)
        st = p->kind == STOA_KIND_ZIP ? publish_zip(p) : p->kind == STOA_KIND_MOD ? publish_mod(p) : publish_info(p);
    p->err.status = st;
}

static void respond(publish *p, reqctx *rc)
{
    char sha[65];
    hex_encode(p->body_meta.sha256, 32, sha);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:b}", "module", p->module, "version", p->version, "file",
                          p->kind == STOA_KIND_ZIP ? "zip" : p->kind == STOA_KIND_MOD ? "mod" : "info", "sha256", sha,
                          "created", p->created);
    if (p->kind == STOA_KIND_ZIP && p->body_meta.h1[0])
        json_object_set_new(j, "h1", json_string(p->body_meta.h1));
    const char *modh1 = p->kind == STOA_KIND_ZIP ? p->mod_meta.h1 : p->kind == STOA_KIND_MOD ? p->body_meta.h1 : "";
    if (modh1[0])
        json_object_set_new(j, "go_mod_h1", json_string(modh1));
    json_object_set_new(j, "checksums", json_pack("{s:s}", "sha256", sha)); /* where jf reads it */
    char *body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    http_set_header(rc, "x-checksum-sha256", sha);
    rc->cache = "PUBLISHED";
    metrics_publish(p->created);
    /* Under a repository base, Artifactory's answer: 201 for every deploy that leaves the
     * file as sent, since jf go-publish requires it for each of zip, mod and info. */
    int status = p->created || rc->r.repo[0] != '\0' ? 201 : 200;
    http_send_body(rc, status, "application/json", "no-store", body, body != NULL ? strlen(body) : 0);
    free(body);
    if (p->created)
        log_msg(STOA_LOG_INFO, "publish", "%s published %s@%s.%s%s", rc->identity[0] ? rc->identity : "anonymous", p->module,
                p->version, p->kind == STOA_KIND_ZIP ? "zip" : p->kind == STOA_KIND_MOD ? "mod" : "info", rc->r.matrix);
}

static void on_done(reqasync *a, h2o_req_t *req)
{
    publish *p = (publish *)a;
    if (p->err.status == STOA_OK)
        respond(p, p->rc);
    else
        http_send_error(p->rc, &p->err);
}

static void on_free(reqasync *a)
{
    publish *p = (publish *)a;
    if (p->body_fd >= 0)
        close(p->body_fd);
    if (p->mod_fd >= 0)
        close(p->mod_fd);
    if (p->info_fd >= 0)
        close(p->info_fd);
}

static void copy_header(h2o_req_t *req, const char *name, char *out, size_t len)
{
    size_t l;
    const char *v = http_header(req, name, &l);
    out[0] = '\0';
    if (v != NULL && l < len) {
        memcpy(out, v, l);
        out[l] = '\0';
    }
}

int handler_publish(reqctx *rc)
{
    const route *r = &rc->r;
    h2o_req_t *req = rc->req;
    conf_ns_mode mode = namespace_mode(the_app->conf, r->repo, r->module);
    if (mode != CONF_NS_PRIVATE)
        return http_send_text(rc, 403, "%s is not in a private namespace: add a namespaces rule with mode: private to "
                              "publish it here", r->module), 0;
    char why[256];
    if (!r->canonical && semver_is_canonical(r->version) && modpath_check_major(r->module, r->version, why, sizeof(why)) != 0)
        return http_send_text(rc, 404, "%s", why), 0; /* a .info query route: not a version of this path */
    if (!r->canonical)
        return http_send_text(rc, 400, "publish needs a canonical version like v1.2.3, got \"%s\"", r->version), 0;
    const conf_namespace *block = namespace_blocked(the_app->conf, r->repo, r->module, r->version);
    if (block != NULL)
        return http_send_text(rc, 403, "%s@%s may not be published here: %s", r->module, r->version,
                              namespace_reason(block)), 0;
    char info_time[VALIDATE_TIME_MAX];
    int fd;
    if (upload_info_time(rc, info_time) != 0 || (fd = upload_stage(rc)) < 0)
        return 0;
    publish *p = (publish *)reqasync_new(req, sizeof(*p), on_run, on_done);
    if (p == NULL) {
        close(fd);
        return http_send_text(rc, 503, "out of memory"), 0;
    }
    p->a.on_free = on_free;
    p->rc = rc;
    p->kind = route_kind(r->type);
    p->body_fd = fd;
    p->mod_fd = p->info_fd = -1;
    p->body_size = req->entity.len;
    snprintf(p->module, sizeof(p->module), "%s", r->module);
    snprintf(p->version, sizeof(p->version), "%s", r->version);
    snprintf(p->info_time, sizeof(p->info_time), "%s", info_time);
    copy_header(req, "x-checksum-sha256", p->want_sha256, sizeof(p->want_sha256));
    if (p->want_sha256[0] == '\0')
        copy_header(req, "x-checksum", p->want_sha256, sizeof(p->want_sha256));
    copy_header(req, "x-checksum-sha1", p->want_sha1, sizeof(p->want_sha1));
    copy_header(req, "x-checksum-md5", p->want_md5, sizeof(p->want_md5));
    if (reqasync_submit(&p->a, POOL_WORK) != 0)
        http_send_busy(rc, POOL_WORK);
    return 0;
}
