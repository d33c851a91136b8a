#include "importcache.h"

#include "app.h"
#include "modinfo.h"
#include "pin.h"
#include "staging.h"
#include "sumcheck.h"
#include "validate.h"
#include "zipcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct staged {
    int mod_fd, info_fd;
    stoa_meta info;
} staged;

/* The refusals of a fill (an upstream's bad answer, BADGATEWAY) are the importer's
 * bytes refused here: 422, the message kept. */
static stoa_status refused(stoa_status st, stoa_error *err)
{
    return st == STOA_BADGATEWAY ? (err->status = STOA_UNPROCESSABLE) : st;
}

/* The zip's go.mod (or the synthesized one), validated and hashed as a fetched .mod. */
static stoa_status stage_mod(const route *r, int zip_fd, const stoa_meta *zip, staged *s, stoa_meta *mod, stoa_error *err)
{
    char why[400];
    if ((s->mod_fd = staging_open(the_app->tmp_dir)) < 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot stage go.mod: %s", strerror(errno));
    int st = zipcheck_gomod_fd(zip_fd, zip->size, r->module, r->version, s->mod_fd, why, sizeof(why));
    if (st != STOA_OK)
        return stoa_fail(err, st == STOA_INTERNAL ? STOA_INTERNAL : STOA_UNPROCESSABLE, "go.mod in the zip: %s", why);
    snprintf(mod->origin, sizeof(mod->origin), IMPORTCACHE_ORIGIN);
    return refused(validate_staged(STOA_KIND_MOD, r->module, r->version, 1, s->mod_fd, mod, err), err);
}

static stoa_status stage_info(const route *r, const char *info_time, staged *s, stoa_error *err)
{
    char text[256];
    int n = modinfo_text(r->version, info_time, (int64_t)time(NULL), text, sizeof(text));
    if (n < 0 || (s->info_fd = staging_open(the_app->tmp_dir)) < 0 || staging_write(s->info_fd, text, (size_t)n) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot stage .info: %s", strerror(errno));
    snprintf(s->info.origin, sizeof(s->info.origin), IMPORTCACHE_ORIGIN);
    return validate_staged(STOA_KIND_INFO, r->module, r->version, 1, s->info_fd, &s->info, err);
}

/* Whether the zip is stored: 1 with the same bytes (out->created stays 0), 0 when not,
 * -1 with err (CONFLICT for other bytes). */
/* The facts of r's stored file of kind: 1, 0 when it is not stored, -1 with err. */
static int stored_meta(const route *r, stoa_kind kind, stoa_object *obj, stoa_error *err)
{
    stoa_key key = {r->module, r->version, kind};
    stoa_error e = {0};
    stoa_status st = storage_get(&the_app->store, &key, STOA_GET_META_ONLY, obj, &e);
    if (st == STOA_NOTFOUND)
        return 0;
    return st == STOA_OK ? 1 : (*err = e, -1);
}

static int stored(const route *r, const stoa_meta *zip, stoa_error *err)
{
    stoa_object obj;
    int have = stored_meta(r, STOA_KIND_ZIP, &obj, err);
    if (have <= 0)
        return have;
    if (memcmp(obj.meta.sha256, zip->sha256, 32) == 0)
        return 1;
    return stoa_fail(err, STOA_CONFLICT, "%s@%s is already stored with other bytes (origin %s); versions never change",
                     r->module, r->version, obj.meta.origin), -1;
}

/* Whether .mod and .info are stored beside a stored zip: bit 0 the .mod, bit 1 the
 * .info (a store written by hand, or a crash between files of an older stoa); -1 with
 * err when storage cannot say. */
static int stored_beside(const route *r, stoa_error *err)
{
    static const stoa_kind kinds[2] = {STOA_KIND_MOD, STOA_KIND_INFO};
    int have = 0;
    for (unsigned i = 0; i < 2; ++i) {
        stoa_object obj;
        int h = stored_meta(r, kinds[i], &obj, err);
        if (h < 0)
            return -1;
        have |= h << i;
    }
    return have;
}
#define BESIDE_ALL 3u

/* The checksum database for both files, then their pins: a version the database
 * contradicts leaves no pin behind. */
static stoa_status check_both(const struct conf *c, const route *r, const stoa_meta *zip, const stoa_meta *mod,
                              importcache_result *out, stoa_error *err)
{
    sumcheck_result zs = sumcheck_fill(c, r, STOA_KIND_ZIP, zip, err);
    if (zs == SUMCHECK_REFUSED)
        return refused(STOA_BADGATEWAY, err);
    sumcheck_result ms = sumcheck_fill(c, r, STOA_KIND_MOD, mod, err);
    if (ms == SUMCHECK_REFUSED)
        return refused(STOA_BADGATEWAY, err);
    stoa_pin_state a = pin_state_for(zs), b = pin_state_for(ms);
    out->sumdb = a == STOA_PIN_UNVERIFIED || b == STOA_PIN_UNVERIFIED ? "unverified"
                 : a == STOA_PIN_VERIFIED && b == STOA_PIN_VERIFIED   ? "verified"
                                                                      : "unchecked";
    stoa_status st = pin_fill(r, STOA_KIND_ZIP, zip, zs, err);
    if (st == STOA_OK)
        st = pin_fill(r, STOA_KIND_MOD, mod, ms, err);
    return refused(st, err);
}

/* Puts what is not stored yet: all three, or beside a stored zip (zip_there) the .mod
 * and .info missing (bits of stored_beside). */
static stoa_status commit(const route *r, int zip_fd, int zip_there, unsigned beside, importcache_result *out, staged *s,
                          stoa_error *err)
{
    int64_t now = (int64_t)time(NULL);
    out->zip.stored_at = out->mod.stored_at = s->info.stored_at = now;
    stoa_put_file files[3];
    size_t n = 0;
    if (!zip_there)
        files[n++] = (stoa_put_file){STOA_KIND_ZIP, zip_fd, out->zip};
    if (!(beside & 1u))
        files[n++] = (stoa_put_file){STOA_KIND_MOD, s->mod_fd, out->mod};
    if (!(beside & 2u))
        files[n++] = (stoa_put_file){STOA_KIND_INFO, s->info_fd, s->info}; /* last: it lists the version */
    stoa_status st = storage_put(&the_app->store, r->module, r->version, files, n, err);
    if (st != STOA_OK)
        return st;
    out->created = 1; /* cache like a fill's: the quota's ledger heard it from storage_put */
    return STOA_OK;
}

static stoa_status import_staged(const struct conf *c, const route *r, int zip_fd, const char *info_time,
                                 importcache_result *out, staged *s, stoa_error *err)
{
    snprintf(out->zip.origin, sizeof(out->zip.origin), IMPORTCACHE_ORIGIN);
    stoa_status st = refused(validate_staged(STOA_KIND_ZIP, r->module, r->version, 1, zip_fd, &out->zip, err), err);
    if (st != STOA_OK || (st = stage_mod(r, zip_fd, &out->zip, s, &out->mod, err)) != STOA_OK)
        return st;
    int have = stored(r, &out->zip, err);
    if (have < 0)
        return err->status;
    int beside = have ? stored_beside(r, err) : 0;
    if (beside < 0)
        return err->status;
    if (have && (unsigned)beside == BESIDE_ALL)
        return out->sumdb = "", STOA_OK;
    if ((st = check_both(c, r, &out->zip, &out->mod, out, err)) != STOA_OK || (st = stage_info(r, info_time, s, err)) != STOA_OK)
        return st;
    return commit(r, zip_fd, have, (unsigned)beside, out, s, err);
}

stoa_status importcache_version(const struct conf *c, const route *r, int zip_fd, const char *info_time,
                                importcache_result *out, stoa_error *err)
{
    memset(out, 0, sizeof(*out));
    out->sumdb = "";
    staged s = {-1, -1, {0}};
    stoa_status st = import_staged(c, r, zip_fd, info_time, out, &s, err);
    if (s.mod_fd >= 0)
        close(s.mod_fd);
    if (s.info_fd >= 0)
        close(s.info_fd);
    return err->status = st;
}
