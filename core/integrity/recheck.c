#include "recheck.h"

#include "app.h"
#include "clock.h"
#include "integrity.h"
#include "log.h"
#include "sumcheck.h"
#include "ticker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 1000
#define PASS_MAX 10000 /* pins looked at per pass; the rest wait for the next */

typedef struct pending {
    char *module, *version;
    stoa_kind kind;
    stoa_pin pin;
} pending;

typedef struct pending_list {
    pending *items;
    size_t n, cap;
} pending_list;

static ticker recheck_ticker;
static int64_t next_due;

static int collect(void *arg, const char *module, const char *version, stoa_kind kind, const stoa_pin *pin)
{
    pending_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        pending *grown = realloc(l->items, cap * sizeof(*grown));
        if (grown == NULL)
            return 1;
        l->items = grown;
        l->cap = cap;
    }
    pending *p = &l->items[l->n];
    if ((p->module = strdup(module)) == NULL || (p->version = strdup(version)) == NULL) {
        free(p->module);
        return 1;
    }
    p->kind = kind;
    p->pin = *pin;
    return ++l->n >= PASS_MAX;
}

static void quarantine(const pending *p, const char *want, const char *why, recheck_stats *st)
{
    char path[4096], msg[8192];
    int kept = integrity_keep_copy(&the_app->store, the_app->conf->quarantine_dir, p->module, p->version, p->kind, path,
                                   sizeof(path)) == 0;
    stoa_error e;
    stoa_status rm = storage_remove(&the_app->store, p->module, p->version, &e);
    stoa_pin pin = {{0}, STOA_PIN_VERIFIED, 0};
    snprintf(pin.h1, sizeof(pin.h1), "%s", want);
    stoa_key key = {p->module, p->version, p->kind};
    storage_pin_put(&the_app->store, &key, &pin, 0, &e);
    snprintf(msg, sizeof(msg), "%s@%s quarantined: %s; %s; %s", p->module, p->version, why,
             rm == STOA_OK || rm == STOA_NOTFOUND ? "removed from the cache" : "NOT removed from the cache",
             kept ? path : "no copy kept");
    integrity_report(INTEGRITY_QUARANTINED, p->module, p->version, p->kind, "", msg);
    st->quarantined++;
}

/* 0 to go on, 1 when the database cannot answer (the pass ends). */
static int check_one(const pending *p, recheck_stats *st)
{
    char want[64];
    stoa_error e = {0};
    stoa_key key = {p->module, p->version, p->kind};
    stoa_pin pin = p->pin;
    switch (sumcheck_hash(the_app->conf, p->module, p->version, p->kind, p->pin.h1, want, &e)) {
    case SUMCHECK_VERIFIED:
    case SUMCHECK_UNKNOWN:
        pin.state = want[0] ? STOA_PIN_VERIFIED : STOA_PIN_UNCHECKED;
        ++*(want[0] ? &st->verified : &st->unchecked);
        storage_pin_put(&the_app->store, &key, &pin, 0, &e);
        return 0;
    case SUMCHECK_REFUSED:
        if (want[0] != '\0') {
            quarantine(p, want, e.msg, st);
            return 0;
        }
        log_msg(STOA_LOG_WARN, "recheck", "%s@%s: %s", p->module, p->version, e.msg);
        return 1; /* the answer itself was bad: not this version's fault */
    default:
        return 1;
    }
}

void recheck_pass(recheck_stats *st)
{
    pending_list l = {0};
    stoa_error e;
    memset(st, 0, sizeof(*st));
    if (storage_pin_walk(&the_app->store, STOA_PIN_UNVERIFIED, collect, &l, &e) != STOA_OK)
        log_msg(STOA_LOG_WARN, "recheck", "cannot list unverified versions: %s", e.msg);
    size_t i = 0;
    for (; i < l.n; ++i) {
        const pending *p = &l.items[i];
        if (!sumcheck_applies(the_app->conf, "", p->module, p->version, p->kind)) {
            stoa_key key = {p->module, p->version, p->kind};
            stoa_pin pin = p->pin;
            pin.state = STOA_PIN_UNCHECKED; /* nosumdb now, or no database: nothing to wait for */
            storage_pin_put(&the_app->store, &key, &pin, 0, &e);
            continue;
        }
        st->checked++;
        if (check_one(p, st) != 0)
            break;
    }
    st->left = l.n - i;
    for (size_t k = 0; k < l.n; ++k) {
        free(l.items[k].module);
        free(l.items[k].version);
    }
    free(l.items);
}

static void tick(void *arg)
{
    (void)arg;
    const struct conf *c = the_app->conf;
    int64_t now = clock_mono_ms();
    if (c->sumdb_recheck_ms == 0 || c->sumdb_check != CONF_SUMCHECK_LENIENT || now < next_due)
        return;
    next_due = now + c->sumdb_recheck_ms;
    recheck_stats st;
    recheck_pass(&st);
    if (st.checked > 0)
        log_msg(STOA_LOG_INFO, "recheck",
                "re-checked %zu unverified version file(s): %zu verified, %zu unknown to the database, %zu quarantined, "
                "%zu left for later",
                st.checked, st.verified, st.unchecked, st.quarantined, st.left);
}

int recheck_start(void)
{
    next_due = clock_mono_ms() + the_app->conf->sumdb_recheck_ms;
    return ticker_start(&recheck_ticker, TICK_MS, tick, NULL);
}

void recheck_stop(void)
{
    ticker_stop(&recheck_ticker);
}
