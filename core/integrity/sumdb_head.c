#include "sumdb_head.h"

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "staging.h"
#include "sumdb_fetch.h"
#include "validate.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADS 8
#define NOTE_MAX 8192
#define MAX_RETRIES 16

typedef struct head {
    char name[256];
    char key[512]; /* the key it was verified with: a reload with another key starts over */
    int loaded;    /* storage was read (the head may still be empty: n == 0) */
    tlog_tree tree;
} head;

static pthread_mutex_t heads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t persist_lock = PTHREAD_MUTEX_INITIALIZER;
static head heads[MAX_HEADS];

static int same_tree(const tlog_tree *a, const tlog_tree *b)
{
    return a->n == b->n && memcmp(a->hash, b->hash, 32) == 0;
}

/* db's slot (heads_lock held), reset when its key changed; NULL when all are taken. */
static head *slot(const conf_sumdb *db)
{
    head *free_slot = NULL;
    for (int i = 0; i < MAX_HEADS; ++i) {
        if (strcmp(heads[i].name, db->name) == 0) {
            if (strcmp(heads[i].key, db->key) != 0) {
                memset(&heads[i].tree, 0, sizeof(heads[i].tree));
                heads[i].loaded = 0;
                snprintf(heads[i].key, sizeof(heads[i].key), "%s", db->key);
            }
            return &heads[i];
        }
        if (heads[i].name[0] == '\0' && free_slot == NULL)
            free_slot = &heads[i];
    }
    if (free_slot != NULL) {
        snprintf(free_slot->name, sizeof(free_slot->name), "%s", db->name);
        snprintf(free_slot->key, sizeof(free_slot->key), "%s", db->key);
    }
    return free_slot;
}

/* The head into *h (n == 0: none); 0 when db has no slot. */
static int current(const conf_sumdb *db, tlog_tree *h, int *loaded)
{
    pthread_mutex_lock(&heads_lock);
    head *s = slot(db);
    if (s != NULL) {
        *h = s->tree;
        *loaded = s->loaded;
    }
    pthread_mutex_unlock(&heads_lock);
    return s != NULL;
}

/* Makes t the head if the head is still was; marks it loaded when loaded is set. */
static int advance(const conf_sumdb *db, const tlog_tree *was, const tlog_tree *t, int loaded)
{
    int done = 0;
    pthread_mutex_lock(&heads_lock);
    head *s = slot(db);
    if (s != NULL && same_tree(&s->tree, was)) {
        if (t->n > s->tree.n)
            s->tree = *t;
        s->loaded |= loaded;
        done = 1;
    }
    pthread_mutex_unlock(&heads_lock);
    return done;
}

int sumdb_note_verify(const conf_sumdb *db, const char *note, size_t len, tlog_tree *t, char *why, size_t whylen)
{
    tlog_key key;
    size_t textlen;
    return tlog_parse_key(db->key, &key, why, whylen) != 0 || tlog_verify_note(&key, note, len, &textlen, why, whylen) != 0 ||
                   tlog_parse_tree(note, textlen, t, why, whylen) != 0
               ? -1
               : 0;
}

static void b64(const unsigned char hash[32], char out[45])
{
    EVP_EncodeBlock((unsigned char *)out, hash, 32);
}

/* Whether trees a (verified before) and b (signed now) are one history: the smaller
 * must be a prefix of the larger, proven from the larger's tiles. CONFLICT for a fork
 * (logged and counted here), BADGATEWAY when a tile cannot be read. */
static stoa_status relate(const conf_sumdb *db, sumdb_tiles *tiles, const tlog_tree *a, const tlog_tree *b,
                          stoa_error *err)
{
    const tlog_tree *small = a->n <= b->n ? a : b, *large = a->n <= b->n ? b : a;
    unsigned char proof[TLOG_PROOF_MAX][32];
    int len = 0;
    char why[300];
    if (small->n != large->n &&
        tlog_prove_tree(large, small->n, proof, &len, sumdb_read_tile, tiles, why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: cannot check tree %lld against tree %lld: %s", db->name,
                         (long long)b->n, (long long)a->n, why);
    if (small->n == large->n ? same_tree(a, b) : tlog_check_tree(proof, len, large, small, why, sizeof(why)) == 0)
        return STOA_OK;
    char ha[45], hb[45];
    b64(a->hash, ha);
    b64(b->hash, hb);
    stoa_fail(err, STOA_CONFLICT,
              "checksum database %s forked: its tree of %lld records (hash %s, verified before) and its tree of %lld "
              "records (hash %s, signed now) are not one log",
              db->name, (long long)a->n, ha, (long long)b->n, hb);
    log_msg(STOA_LOG_ERROR, "sumdb", "%s", err->msg);
    metrics_sumdb_fork();
    return STOA_CONFLICT;
}

/* The stored head: 1 with *t when storage holds a note that verifies, 0 when it holds
 * none (or one that does not verify: logged), -1 when storage cannot answer. */
static int stored_head(const conf_sumdb *db, tlog_tree *t)
{
    stoa_key key = {db->name, NULL, STOA_KIND_SUMDB_LATEST};
    stoa_object obj;
    stoa_error e;
    stoa_status st = storage_get(&the_app->store, &key, 0, &obj, &e);
    if (st != STOA_OK)
        return st == STOA_NOTFOUND ? 0 : -1;
    sumdb_answer a = {.fd = obj.fd, .meta = obj.meta};
    size_t len = 0;
    char *note = sumdb_slurp(&a, NOTE_MAX, &len), why[300];
    int rc = note != NULL && sumdb_note_verify(db, note, len, t, why, sizeof(why)) == 0;
    if (!rc)
        log_msg(STOA_LOG_WARN, "sumdb", "%s: ignoring the stored tree head: %s", db->name, note != NULL ? why : "unreadable");
    free(note);
    return rc;
}

static void write_head(const conf_sumdb *db, const char *note, size_t len)
{
    stoa_put_file f = {STOA_KIND_SUMDB_LATEST, staging_open(the_app->tmp_dir), {.size = len}};
    stoa_error e;
    if (f.fd < 0 || staging_write(f.fd, note, len) != 0 || validate_sha256_fd(f.fd, len, f.meta.sha256) != 0)
        log_msg(STOA_LOG_WARN, "sumdb", "%s: cannot stage the tree head: %s", db->name, strerror(errno));
    else if (storage_put(&the_app->store, db->name, NULL, &f, 1, &e) != STOA_OK)
        log_msg(STOA_LOG_WARN, "sumdb", "%s: cannot store the tree head: %s", db->name, e.msg);
    if (f.fd >= 0)
        close(f.fd);
}

/* Stores t's note (the head, advanced from was) unless storage holds a larger tree,
 * which must then extend t and becomes the head. */
static stoa_status persist(const conf_sumdb *db, sumdb_tiles *tiles, const tlog_tree *was, const tlog_tree *t,
                           const char *note, size_t len, stoa_error *err)
{
    stoa_status st = STOA_OK;
    tlog_tree h, stored;
    int loaded;
    pthread_mutex_lock(&persist_lock);
    if (!current(db, &h, &loaded) || !same_tree(&h, t)) /* a newer head is written by its thread */
        goto out;
    int have = stored_head(db, &stored);
    if (have == 1 && !same_tree(&stored, was) && (st = relate(db, tiles, t, &stored, err)) != STOA_OK) {
        if (st != STOA_CONFLICT) { /* the check passed; only the stored copy waits */
            log_msg(STOA_LOG_WARN, "sumdb", "%s: tree head not stored: %s", db->name, err->msg);
            st = STOA_OK;
        }
        goto out;
    }
    if (have == 1 && stored.n > t->n)
        advance(db, t, &stored, 0); /* another replica's newer head, one history with ours */
    else if (have >= 0 && !(have == 1 && stored.n == t->n))
        write_head(db, note, len);
out:
    pthread_mutex_unlock(&persist_lock);
    return st;
}

/* Reads the stored head once (until storage answers, checks run without it). A head
 * this process holds already must be one history with it. */
static stoa_status load(const conf_sumdb *db, sumdb_tiles *tiles, stoa_error *err)
{
    tlog_tree h, stored = {0};
    int loaded;
    for (int i = 0; i < MAX_RETRIES && current(db, &h, &loaded) && !loaded; ++i) {
        int have = stored_head(db, &stored);
        if (have < 0)
            return STOA_OK;
        stoa_status st = have == 1 && h.n != 0 ? relate(db, tiles, &h, &stored, err) : STOA_OK;
        if (st != STOA_OK)
            return st;
        if (advance(db, &h, have == 1 ? &stored : &h, 1))
            return STOA_OK;
    }
    return STOA_OK;
}

static stoa_status check(const conf_sumdb *db, sumdb_tiles *tiles, const tlog_tree *tp, const char *note, size_t len,
                         stoa_error *err)
{
    tlog_tree t = *tp, h;
    int loaded;
    stoa_status st = load(db, tiles, err);
    if (st != STOA_OK)
        return st;
    for (int i = 0; i < MAX_RETRIES; ++i) {
        if (!current(db, &h, &loaded))
            return STOA_OK; /* more databases than slots: checked per note only */
        st = h.n == 0 ? STOA_OK : relate(db, tiles, &h, &t, err);
        if (st != STOA_OK || t.n <= h.n)
            return st; /* a head that grew meanwhile extends h, so t is in it too */
        if (advance(db, &h, &t, 0))
            return persist(db, tiles, &h, &t, note, len, err);
    }
    return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: tree head kept changing during the check", db->name);
}

stoa_status sumdb_head_check_verified(const conf_sumdb *db, sumdb_tiles *tiles, const tlog_tree *t, const char *note,
                                      size_t len, stoa_error *err)
{
    if (tiles != NULL)
        return check(db, tiles, t, note, len, err);
    sumdb_tiles *own = calloc(1, sizeof(*own));
    if (own == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    own->db = db;
    stoa_status st = check(db, own, t, note, len, err);
    free(own);
    return st;
}

stoa_status sumdb_head_check(const conf_sumdb *db, sumdb_tiles *tiles, const char *note, size_t len, stoa_error *err)
{
    tlog_tree t;
    char why[300];
    if (sumdb_note_verify(db, note, len, &t, why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_BADGATEWAY, "checksum database %s: %s", db->name, why);
    return sumdb_head_check_verified(db, tiles, &t, note, len, err);
}
