#include "pin.h"

#include "app.h"
#include "integrity.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { PIN_CREATED, PIN_MATCHED, PIN_REFUSED, PIN_CORRECTED };

stoa_pin_state pin_state_for(sumcheck_result sc)
{
    return sc == SUMCHECK_VERIFIED ? STOA_PIN_VERIFIED : sc == SUMCHECK_UNCONFIRMED ? STOA_PIN_UNVERIFIED : STOA_PIN_UNCHECKED;
}

static const char *file_of(stoa_kind kind)
{
    return kind == STOA_KIND_MOD ? "/go.mod" : "";
}

/* The pin exists and differs: refuse, or correct an unverified pin the database
 * contradicts. */
static stoa_status differs(const route *r, stoa_kind kind, const stoa_meta *meta, const stoa_pin *have,
                           const stoa_pin *want, stoa_error *err)
{
    char when[32], msg[2048];
    time_t at = (time_t)have->pinned_at;
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
    const stoa_key key = {r->module, r->version, kind};
    if (want->state == STOA_PIN_VERIFIED && have->state != STOA_PIN_VERIFIED) {
        snprintf(msg, sizeof(msg), "pin of %s@%s%s corrected: the checksum database has %s; the copy pinned %s was %s",
                 r->module, r->version, file_of(kind), meta->h1, when, have->h1);
        stoa_error e;
        if (storage_pin_put(&the_app->store, &key, want, 0, &e) != STOA_OK)
            log_msg(STOA_LOG_WARN, "pin", "cannot correct the pin of %s@%s: %s", r->module, r->version, e.msg);
        integrity_report(INTEGRITY_PIN_CORRECTED, r->module, r->version, kind, meta->origin, msg);
        metrics_pin(PIN_CORRECTED);
        return STOA_OK;
    }
    stoa_fail(err, STOA_BADGATEWAY,
              "content changed for %s@%s%s: stoa first served %s (pinned %s), upstream %s now sends %s; refused", r->module,
              r->version, file_of(kind), have->h1, when, meta->origin, meta->h1);
    integrity_report(INTEGRITY_PIN_REFUSED, r->module, r->version, kind, meta->origin, err->msg);
    metrics_pin(PIN_REFUSED);
    return STOA_BADGATEWAY;
}

stoa_status pin_fill(const route *r, stoa_kind kind, const stoa_meta *meta, sumcheck_result sc, stoa_error *err)
{
    storage *s = &the_app->store;
    if ((kind != STOA_KIND_MOD && kind != STOA_KIND_ZIP) || !r->canonical || meta->h1[0] == '\0' || !storage_pins(s))
        return STOA_OK;
    const stoa_key key = {r->module, r->version, kind};
    stoa_pin want = {{0}, pin_state_for(sc), 0}, have;
    snprintf(want.h1, sizeof(want.h1), "%s", meta->h1);
    stoa_error e = {0};
    for (int tries = 0; tries < 2; ++tries) { /* a replica may create it between get and put */
        stoa_status st = storage_pin_get(s, &key, &have, &e);
        if (st == STOA_NOTFOUND) {
            st = storage_pin_put(s, &key, &want, STOA_PIN_CREATE, &e);
            if (st == STOA_OK) {
                metrics_pin(PIN_CREATED);
                return STOA_OK;
            }
            if (st == STOA_CONFLICT)
                continue;
        }
        if (st != STOA_OK)
            break;
        if (strcmp(have.h1, want.h1) != 0)
            return differs(r, kind, meta, &have, &want, err);
        if (have.state != STOA_PIN_VERIFIED && want.state == STOA_PIN_VERIFIED)
            storage_pin_put(s, &key, &want, 0, &e);
        metrics_pin(PIN_MATCHED);
        return STOA_OK;
    }
    log_msg(STOA_LOG_WARN, "pin", "%s@%s%s not held to a pin: %s", r->module, r->version, file_of(kind), e.msg);
    return STOA_OK;
}
