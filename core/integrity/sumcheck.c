#include "sumcheck.h"

#include "audit.h"
#include "clock.h"
#include "integrity.h"
#include "log.h"
#include "metrics.h"
#include "modpath.h"
#include "namespace.h"
#include "semver.h"
#include "slidewin.h"
#include "sumdb_fetch.h"
#include "sumdb_head.h"
#include "tlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DOWN_BACKOFF_S 30 /* after a failure, the database is not asked for this long */
#define VERIFIED_SLOTS 64

/* Records verified recently: the .mod and .zip fills of one version need one lookup. */
typedef struct verified {
    char key[MODPATH_MAX + 160];
    char record[2 * (MODPATH_MAX + 200)];
} verified;

static pthread_mutex_t verified_lock = PTHREAD_MUTEX_INITIALIZER;
static verified recent[VERIFIED_SLOTS];
static unsigned recent_next;
/* The database URL that failed and until when (time(NULL)) it rests: a reload that
 * points the database elsewhere ends the rest at once. Guarded by verified_lock. */
static char down_url[512];
static long long down_until;
/* Fills passed unverified in the last minute (lenient's bound). Guarded by
 * verified_lock. */
static slidewin unverified;

static int recall(const char *key, char *record, size_t len)
{
    int found = 0;
    pthread_mutex_lock(&verified_lock);
    for (unsigned i = 0; i < VERIFIED_SLOTS && !found; ++i)
        if (strcmp(recent[i].key, key) == 0) {
            snprintf(record, len, "%s", recent[i].record);
            found = 1;
        }
    pthread_mutex_unlock(&verified_lock);
    return found;
}

static void remember(const char *key, const char *record)
{
    pthread_mutex_lock(&verified_lock);
    verified *v = &recent[recent_next++ % VERIFIED_SLOTS];
    snprintf(v->key, sizeof(v->key), "%s", key);
    snprintf(v->record, sizeof(v->record), "%s", record);
    pthread_mutex_unlock(&verified_lock);
}

static int resting(const conf_sumdb *db)
{
    pthread_mutex_lock(&verified_lock);
    int r = down_until > (long long)time(NULL) && strncmp(down_url, db->url, sizeof(down_url) - 1) == 0;
    pthread_mutex_unlock(&verified_lock);
    return r;
}

static void rest(const conf_sumdb *db)
{
    pthread_mutex_lock(&verified_lock);
    snprintf(down_url, sizeof(down_url), "%s", db->url);
    down_until = (long long)time(NULL) + DOWN_BACKOFF_S;
    pthread_mutex_unlock(&verified_lock);
}

/* The caller passes the configuration it loaded once, so a SIGHUP during one decision
 * cannot mix two configurations. */
static const conf_sumdb *checking_db(const struct conf *c)
{
    for (size_t i = 0; i < c->nsumdbs; ++i)
        if (c->sumdbs[i].key != NULL && c->sumdbs[i].key[0] != '\0')
            return &c->sumdbs[i];
    return NULL;
}

/* A lookup answer: "<id>\n<record text>\n<signed tree note>". Verifies the note's
 * signature and the record's inclusion; copies the record text out (record NULL: not). */
static stoa_status verify_lookup(const conf_sumdb *db, const char *body, size_t len, char *record, size_t rlen,
                                 stoa_error *err)
{
    if (record == NULL)
        rlen = len + 1;
    tlog_tree tree;
    char why[300];
    char *end;
    long long id = strtoll(body, &end, 10);
    const char *text = end + 1, *blank = memmem(body, len, "\n\n", 2);
    if (end == body || *end != '\n' || blank == NULL || blank < text || (size_t)(blank + 1 - text) >= rlen)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: malformed lookup answer", db->name);
    size_t textlen = (size_t)(blank + 1 - text);
    const char *note = blank + 2;
    size_t notelen = len - (size_t)(note - body);
    if (sumdb_note_verify(db, note, notelen, &tree, why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: %s", db->name, why);
    unsigned char leaf[32];
    tlog_record_hash(text, textlen, leaf);
    sumdb_tiles *tiles = calloc(1, sizeof(*tiles));
    if (tiles == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    tiles->db = db;
    stoa_status st = STOA_OK;
    if (tlog_prove_record(&tree, id, leaf, sumdb_read_tile, tiles, why, sizeof(why)) != 0)
        st = stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: %s", db->name, why);
    /* The tree must also be one history with every tree verified before. */
    else if (sumdb_head_check_verified(db, tiles, &tree, note, notelen, err) != STOA_OK)
        st = err->status = STOA_BADGATEWAY;
    free(tiles);
    if (st != STOA_OK || record == NULL)
        return st;
    memcpy(record, text, textlen);
    record[textlen] = '\0';
    return STOA_OK;
}

stoa_status sumcheck_lookup_answer(const conf_sumdb *db, const char *body, size_t len, stoa_error *err)
{
    return verify_lookup(db, body, len, NULL, 0, err);
}

/* A lookup got an error answer (not 404/410): whether the database is up all the
 * same, which its tree head answering fresh (not a stored copy) shows. Then the
 * failure belongs to this one lookup and must not suspend the checks of others. */
static int database_up(const conf_sumdb *db)
{
    sumdb_answer a;
    stoa_error e = {0};
    if (sumdb_fetch(db, "latest", &a, &e) != STOA_OK)
        return 0;
    int up = strcmp(a.cache, "STALE") != 0;
    close(a.fd);
    return up;
}

/* Looks module@version up and verifies the answer: OK, BADGATEWAY (the answer does
 * not verify), NOTFOUND (the database does not know it), UNAVAILABLE (it could not
 * answer; when the database itself is down it is not asked again for DOWN_BACKOFF_S). */
static stoa_status lookup(const conf_sumdb *db, const char *module, const char *version, char *record, size_t rlen,
                          stoa_error *err)
{
    if (resting(db))
        return stoa_fail(err, STOA_UNAVAILABLE, "checksum database %s failed recently; retrying later", db->name);
    /* Both escaped, as the go command's sumdb client asks (module.EscapePath and
     * EscapeVersion: upper case in a pre-release is case-encoded too). */
    char esc[MODPATH_MAX * 2 + 1], vesc[SEMVER_MAX * 2 + 1], sub[MODPATH_MAX * 2 + SEMVER_MAX * 2 + 16];
    if (modpath_escape(module, esc, sizeof(esc), NULL, 0) != 0 || modpath_escape(version, vesc, sizeof(vesc), NULL, 0) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot escape %s@%s", module, version);
    snprintf(sub, sizeof(sub), "lookup/%s@%s", esc, vesc);
    sumdb_answer a;
    stoa_status st = sumdb_fetch(db, sub, &a, err);
    if (st == STOA_NOTFOUND)
        return st;
    if (st != STOA_OK) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        if (st == STOA_BADGATEWAY && database_up(db))
            return stoa_fail(err, STOA_UNAVAILABLE, "%s (for this lookup only: the database answers others)", why);
        rest(db);
        return err->status = STOA_UNAVAILABLE;
    }
    size_t len = 0;
    char *body = sumdb_slurp(&a, SUMCHECK_MAX_LOOKUP, &len);
    if (body == NULL)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: lookup answer unreadable or over %u bytes", db->name,
                         SUMCHECK_MAX_LOOKUP);
    st = verify_lookup(db, body, len, record, rlen, err);
    free(body);
    return st;
}

/* The record's h1 for the file ("<module> <version>[/go.mod] h1:..."), or NULL. */
static const char *record_hash(const char *record, const char *module, const char *version, stoa_kind kind, size_t *len)
{
    char prefix[MODPATH_MAX + 160];
    int n = snprintf(prefix, sizeof(prefix), "%s %s%s ", module, version, kind == STOA_KIND_MOD ? "/go.mod" : "");
    for (const char *line = record; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t ll = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (ll > (size_t)n && strncmp(line, prefix, (size_t)n) == 0) {
            *len = ll - (size_t)n;
            return line + n;
        }
        line += ll + (nl != NULL);
    }
    return NULL;
}

int sumcheck_applies(const struct conf *c, const char *repo, const char *module, const char *version, stoa_kind kind)
{
    return (kind == STOA_KIND_MOD || kind == STOA_KIND_ZIP) && semver_is_canonical(version) && !c->offline &&
           c->sumdb_check != CONF_SUMCHECK_OFF && namespace_upstream_ok(c, repo, module) &&
           (c->nosumdb == NULL || !modpath_match_patterns(c->nosumdb, module)) && checking_db(c) != NULL;
}

sumcheck_result sumcheck_hash(const struct conf *c, const char *module, const char *version, stoa_kind kind,
                              const char *h1, char want[64], stoa_error *err)
{
    const conf_sumdb *db = checking_db(c);
    char key[sizeof(recent[0].key)], record[sizeof(recent[0].record)];
    want[0] = '\0';
    if (db == NULL)
        return SUMCHECK_SKIPPED;
    snprintf(key, sizeof(key), "%s@%s", module, version);
    if (!recall(key, record, sizeof(record))) {
        stoa_status st = lookup(db, module, version, record, sizeof(record), err);
        if (st == STOA_NOTFOUND)
            return stoa_fail(err, STOA_NOTFOUND, "%s@%s is unknown to checksum database %s", module, version, db->name),
                   SUMCHECK_UNKNOWN;
        if (st == STOA_UNAVAILABLE)
            return SUMCHECK_UNCONFIRMED;
        if (st != STOA_OK)
            return SUMCHECK_REFUSED;
        remember(key, record);
    }
    size_t hlen = 0;
    const char *h = record_hash(record, module, version, kind, &hlen);
    const char *file = kind == STOA_KIND_MOD ? "/go.mod" : "";
    if (h == NULL || hlen >= 64)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: its record for %s@%s has no line for %s%s", db->name,
                         module, version, version, file), SUMCHECK_REFUSED;
    memcpy(want, h, hlen);
    want[hlen] = '\0';
    if (strcmp(want, h1) != 0)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum mismatch for %s@%s%s: checksum database %s has %s, upstream sent %s",
                         module, version, file, db->name, want, h1), SUMCHECK_REFUSED;
    return SUMCHECK_VERIFIED;
}

/* Takes one of lenient's unverified fills of the last 60 s; 0 when they are used up. */
static int take_unverified(uint32_t max)
{
    pthread_mutex_lock(&verified_lock);
    int ok = slidewin_take(&unverified, clock_mono_ms() / 1000, max);
    pthread_mutex_unlock(&verified_lock);
    return ok;
}

/* Every fill passed unverified is in the audit trail (action "sumcheck", target
 * "unverified"), beside its log line and the stoa_sumchecks_total count. */
static void audit_unverified(const route *r, stoa_kind kind, const stoa_meta *meta, const char *why)
{
    audit_event a;
    memset(&a, 0, sizeof(a));
    snprintf(a.action, sizeof(a.action), "sumcheck");
    snprintf(a.kind, sizeof(a.kind), "%s", kind == STOA_KIND_MOD ? "mod" : "zip");
    snprintf(a.target, sizeof(a.target), "unverified");
    audit_copy(a.module, sizeof(a.module), r->module);
    audit_copy(a.version, sizeof(a.version), r->version);
    audit_copy(a.upstream, sizeof(a.upstream), meta->origin);
    audit_copy(a.error, sizeof(a.error), why);
    audit_emit(&a);
}

/* The database could not confirm the version: strict refuses it; lenient passes it
 * unverified with a warning (quieter while the database is known to be down), at most
 * sumdb_unverified_max a minute, and refuses the rest. */
static sumcheck_result unconfirmed(const struct conf *c, const route *r, stoa_kind kind, const stoa_meta *meta,
                                   sumcheck_result res, int was_resting, stoa_error *err)
{
    char why[sizeof(err->msg)];
    snprintf(why, sizeof(why), "%s", err->msg);
    if (c->sumdb_check == CONF_SUMCHECK_STRICT)
        return stoa_fail(err, STOA_BADGATEWAY, "%s@%s not confirmed by the checksum database (sumdb_check: strict): %s",
                         r->module, r->version, why), SUMCHECK_REFUSED;
    if (!take_unverified(c->sumdb_unverified_max))
        return stoa_fail(err, STOA_BADGATEWAY,
                         "%s@%s not confirmed by the checksum database, and %u fills were already passed unverified in the "
                         "last minute (sumdb_unverified_max): %s", r->module, r->version, c->sumdb_unverified_max, why),
               SUMCHECK_REFUSED;
    log_msg(was_resting ? STOA_LOG_INFO : STOA_LOG_WARN, "sumcheck", "%s@%s cached unverified: %s", r->module, r->version,
            why);
    audit_unverified(r, kind, meta, why);
    return res;
}

sumcheck_result sumcheck_fill(const struct conf *c, const route *r, stoa_kind kind, const stoa_meta *meta, stoa_error *err)
{
    if (!sumcheck_applies(c, r->repo, r->module, r->canonical ? r->version : "", kind))
        return SUMCHECK_SKIPPED;
    char want[64];
    stoa_error e = {0};
    const conf_sumdb *db = checking_db(c);
    int was_resting = db != NULL && resting(db);
    sumcheck_result res = sumcheck_hash(c, r->module, r->version, kind, meta->h1, want, &e);
    if (res == SUMCHECK_REFUSED)
        integrity_report(INTEGRITY_SUMDB_REFUSED, r->module, r->version, kind, meta->origin, e.msg);
    else if (res == SUMCHECK_UNCONFIRMED || res == SUMCHECK_UNKNOWN)
        res = unconfirmed(c, r, kind, meta, res, was_resting, &e);
    metrics_sumcheck(res == SUMCHECK_UNKNOWN ? SUMCHECK_UNCONFIRMED : res);
    if (res == SUMCHECK_REFUSED)
        *err = e;
    return res;
}
