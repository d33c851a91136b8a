#include "verify.h"

#include "dirhash.h"
#include "hex.h"
#include "sumcheck.h"
#include "validate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[] = {
    [VERIFY_UNREADABLE] = "unreadable", [VERIFY_CORRUPT] = "corrupt",         [VERIFY_NO_META] = "no-metadata",
    [VERIFY_SIZE] = "size",             [VERIFY_SHA256] = "sha256",           [VERIFY_H1] = "h1",
    [VERIFY_PIN] = "pin",               [VERIFY_SUMDB] = "sumdb",             [VERIFY_UNVERIFIED] = "unverified",
    [VERIFY_PIN_UNKNOWN] = "pin-unknown",
};

const char *verify_what_name(verify_what w)
{
    return names[w];
}

int verify_is_mismatch(verify_what w)
{
    return w != VERIFY_UNVERIFIED && w != VERIFY_PIN_UNKNOWN;
}

static STOA_PRINTF(6, 7) void problem(verify_file *f, verify_what what, const char *against, const char *have,
                                      const char *want, const char *fmt, ...)
{
    if (f->nproblems == VERIFY_MAX_PROBLEMS)
        return;
    verify_problem *p = &f->problems[f->nproblems++];
    p->what = what;
    snprintf(p->against, sizeof(p->against), "%s", against);
    snprintf(p->have, sizeof(p->have), "%s", have);
    snprintf(p->want, sizeof(p->want), "%s", want);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
    va_end(ap);
    if (what != VERIFY_PIN && verify_is_mismatch(what))
        f->bytes_bad = 1;
}

/* sha256 and h1 of the bytes in fd; 0, or -1 after recording the problem. */
static int rehash(verify_file *f, int fd, stoa_kind kind)
{
    struct stat st;
    unsigned char sum[32];
    char why[256];
    if (fstat(fd, &st) != 0 || validate_sha256_fd(fd, (uint64_t)st.st_size, sum) != 0)
        return problem(f, VERIFY_UNREADABLE, "storage", "", "", "cannot read the stored bytes: %s", strerror(errno)), -1;
    f->size = (uint64_t)st.st_size;
    hex_encode(sum, 32, f->sha256);
    int rc = kind == STOA_KIND_ZIP ? dirhash_zip_fd(fd, f->size, f->h1, why, sizeof(why))
             : lseek(fd, 0, SEEK_SET) == 0 ? dirhash_mod_fd(fd, f->h1, why, sizeof(why))
                                           : (snprintf(why, sizeof(why), "%s", strerror(errno)), STOA_INTERNAL);
    if (rc != STOA_OK) {
        f->h1[0] = '\0';
        return problem(f, VERIFY_CORRUPT, "storage", "", "", "cannot compute its h1: %s", why), -1;
    }
    return 0;
}

static int zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* The bytes against what storage recorded beside them. */
static void against_meta(verify_file *f)
{
    const stoa_meta *m = &f->meta;
    char want[72];
    if (zero(m->sha256, 32)) {
        problem(f, VERIFY_NO_META, "metadata", f->sha256, "",
                "no recorded checksum (metadata missing, or recorded for another size)");
        return;
    }
    if (m->size != f->size) {
        char have[32];
        snprintf(have, sizeof(have), "%llu", (unsigned long long)f->size);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)m->size);
        problem(f, VERIFY_SIZE, "metadata", have, want, "stored bytes are %s bytes, metadata records %s", have, want);
    }
    hex_encode(m->sha256, 32, want);
    if (strcmp(want, f->sha256) != 0)
        problem(f, VERIFY_SHA256, "metadata", f->sha256, want, "stored bytes have sha256 %s, metadata records %s",
                f->sha256, want);
    if (m->h1[0] != '\0' && f->h1[0] != '\0' && strcmp(m->h1, f->h1) != 0)
        problem(f, VERIFY_H1, "metadata", f->h1, m->h1, "stored bytes have %s, metadata records %s", f->h1, m->h1);
}

static void against_pin(verify_file *f, storage *s, const stoa_key *key)
{
    stoa_pin pin;
    stoa_error e = {0};
    stoa_status st = storage_pin_get(s, key, &pin, &e);
    if (st == STOA_NOTFOUND)
        return;
    if (st != STOA_OK)
        problem(f, VERIFY_PIN_UNKNOWN, "pin", f->h1, "", "cannot read the pin: %s", e.msg);
    else if (f->h1[0] != '\0' && strcmp(pin.h1, f->h1) != 0)
        problem(f, VERIFY_PIN, "pin", f->h1, pin.h1, "stored bytes have %s, stoa first served %s", f->h1, pin.h1);
}

/* A pin the database now confirms is marked verified, as the server's re-check does
 * (core/integrity/recheck.c): a run of `stoa verify` after an outage settles them too. */
static void confirm_pin(storage *s, const stoa_key *key, const char *h1)
{
    stoa_pin pin;
    stoa_error e;
    if (storage_pin_get(s, key, &pin, &e) == STOA_OK && pin.state != STOA_PIN_VERIFIED && strcmp(pin.h1, h1) == 0) {
        pin.state = STOA_PIN_VERIFIED;
        storage_pin_put(s, key, &pin, 0, &e);
    }
}

/* The database sumcheck asks: the first with a key. */
static const char *db_name(const struct conf *c)
{
    for (size_t i = 0; i < c->nsumdbs; ++i)
        if (c->sumdbs[i].key != NULL && c->sumdbs[i].key[0] != '\0')
            return c->sumdbs[i].name;
    return "checksum database";
}

static void against_sumdb(verify_file *f, const struct conf *c, const stoa_key *key)
{
    char want[64];
    stoa_error e = {0};
    sumcheck_result r = sumcheck_hash(c, key->module, key->version, key->kind, f->h1, want, &e);
    const char *db = db_name(c);
    if (r == SUMCHECK_VERIFIED)
        f->confirmed = 1;
    else if (r == SUMCHECK_REFUSED && want[0] != '\0')
        problem(f, VERIFY_SUMDB, db, f->h1, want, "stored bytes have %s, checksum database %s has %s", f->h1, db, want);
    else if (r == SUMCHECK_SKIPPED)
        f->exempt = 1;
    else
        problem(f, VERIFY_UNVERIFIED, db, f->h1, "", "%s", e.msg[0] != '\0' ? e.msg : "the database did not answer");
}

stoa_status verify_file_check(storage *s, const struct conf *c, const char *module, const char *version, stoa_kind kind,
                              int use_sumdb, verify_file *out)
{
    stoa_key key = {module, version, kind};
    stoa_object obj;
    stoa_error e = {0};
    memset(out, 0, sizeof(*out));
    stoa_status st = storage_get(s, &key, STOA_GET_NO_CACHE, &obj, &e);
    if (st == STOA_NOTFOUND)
        return st;
    if (st != STOA_OK) {
        /* pgs3 refuses a body whose sha256 is not the recorded one (INTERNAL): bad
         * bytes too. A backend that is down or full says nothing about them. */
        problem(out, VERIFY_UNREADABLE, "storage", "", "", "%s", e.msg);
        out->bytes_bad = st == STOA_INTERNAL;
        return STOA_OK;
    }
    out->meta = obj.meta;
    int hashed = rehash(out, obj.fd, kind) == 0 || out->sha256[0] != '\0';
    close(obj.fd);
    if (!hashed)
        return STOA_OK;
    against_meta(out);
    if (out->h1[0] == '\0')
        return STOA_OK;
    against_pin(out, s, &key);
    if (use_sumdb && strcmp(obj.meta.origin, "published") != 0 && sumcheck_applies(c, "", module, version, kind))
        against_sumdb(out, c, &key);
    else
        out->exempt = 1;
    if (out->confirmed)
        confirm_pin(s, &key, out->h1);
    return STOA_OK;
}
