/* Pins in PostgreSQL (table storage_pins, migrations/0004_pins.sql): shared by every
 * replica on the database, untouched by remove() and gc (contract S6). */
#include "pgs3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WALK_BATCH 500
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const state_names[] = {"unverified", "verified", "unchecked"};

static int state_of(const char *name)
{
    for (int i = 0; i < 3; ++i)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

typedef struct pin_op {
    const stoa_key *key;
    const stoa_pin *in;
    unsigned flags;
    stoa_pin out;
    int found;
} pin_op;

static stoa_status select_pin(PGconn *c, void *arg, stoa_error *err)
{
    pin_op *op = arg;
    const char *params[3] = {op->key->module, op->key->version, pgs3_kind_name(op->key->kind)};
    PGresult *r = pgs3_db_exec(c,
                               "SELECT h1, state, extract(epoch FROM pinned_at)::bigint FROM storage_pins "
                               "WHERE module = $1 AND version = $2 AND kind = $3",
                               3, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "pin lookup", err);
    op->found = PQntuples(r) == 1 && state_of(PQgetvalue(r, 0, 1)) >= 0;
    if (op->found) {
        snprintf(op->out.h1, sizeof(op->out.h1), "%s", PQgetvalue(r, 0, 0));
        op->out.state = state_of(PQgetvalue(r, 0, 1));
        op->out.pinned_at = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    }
    PQclear(r);
    return STOA_OK;
}

static stoa_status upsert_pin(PGconn *c, void *arg, stoa_error *err)
{
    pin_op *op = arg;
    const char *params[5] = {op->key->module, op->key->version, pgs3_kind_name(op->key->kind), op->in->h1,
                             state_names[op->in->state]};
    PGresult *r = pgs3_db_exec(c,
                               (op->flags & STOA_PIN_CREATE)
                                   ? "INSERT INTO storage_pins (module, version, kind, h1, state) "
                                     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
                                   : "INSERT INTO storage_pins (module, version, kind, h1, state) "
                                     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (module, version, kind) "
                                     "DO UPDATE SET h1 = EXCLUDED.h1, state = EXCLUDED.state",
                               5, params);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pgs3_db_fail(c, r, "pin", err);
    op->found = strcmp(PQcmdTuples(r), "0") == 0; /* nothing inserted: it existed */
    PQclear(r);
    return STOA_OK;
}

static stoa_status check_key(const stoa_key *key, stoa_error *err)
{
    if ((key->kind != STOA_KIND_MOD && key->kind != STOA_KIND_ZIP) || key->version == NULL)
        return stoa_fail(err, STOA_INVALID, "only mod and zip files of a version are pinned");
    return STOA_OK;
}

stoa_status pgs3_pin_get(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err)
{
    pin_op op = {key, NULL, 0, {{0}, 0, 0}, 0};
    stoa_status st = check_key(key, err);
    if (st == STOA_OK)
        st = pgs3_db_run(&((pgs3 *)state)->db, select_pin, &op, err);
    if (st == STOA_OK && !op.found)
        st = stoa_fail(err, STOA_NOTFOUND, "not pinned");
    if (st == STOA_OK)
        *out = op.out;
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}

stoa_status pgs3_pin_put(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err)
{
    pin_op op = {key, pin, flags, {{0}, 0, 0}, 0};
    stoa_status st = check_key(key, err);
    if (st == STOA_OK && (pin->state < 0 || pin->state > 2))
        st = stoa_fail(err, STOA_INVALID, "pin state %d", (int)pin->state);
    if (st == STOA_OK)
        st = pgs3_db_run(&((pgs3 *)state)->db, upsert_pin, &op, err);
    if (st == STOA_OK && (flags & STOA_PIN_CREATE) && op.found)
        st = stoa_fail(err, STOA_CONFLICT, "already pinned");
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}

/* One page of a keyset-paginated walk: rows after (module, version, kind) = last. The
 * rows are copied out so the callbacks run without holding a connection. */
typedef struct pin_page {
    int only;
    char last[3][512];
    PGresult *rows;
} pin_page;

static stoa_status read_page(PGconn *c, void *arg, stoa_error *err)
{
    pin_page *pg = arg;
    const char *params[4] = {pg->last[0], pg->last[1], pg->last[2], pg->only >= 0 ? state_names[pg->only] : NULL};
    PGresult *r = pgs3_db_exec(c,
                               "SELECT module, version, kind, h1, state, extract(epoch FROM pinned_at)::bigint "
                               "FROM storage_pins WHERE (module, version, kind) > ($1, $2, $3) "
                               "AND ($4::text IS NULL OR state = $4) ORDER BY module, version, kind LIMIT " STR(WALK_BATCH),
                               4, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "pin walk", err);
    pg->rows = r;
    return STOA_OK;
}

static int page_callbacks(pin_page *pg, stoa_pin_cb cb, void *arg)
{
    int n = PQntuples(pg->rows), stop = 0;
    for (int i = 0; i < n && !stop; ++i) {
        stoa_pin p = {{0}, state_of(PQgetvalue(pg->rows, i, 4)), strtoll(PQgetvalue(pg->rows, i, 5), NULL, 10)};
        snprintf(p.h1, sizeof(p.h1), "%s", PQgetvalue(pg->rows, i, 3));
        stoa_kind kind = strcmp(PQgetvalue(pg->rows, i, 2), "mod") == 0 ? STOA_KIND_MOD : STOA_KIND_ZIP;
        if (p.state >= 0)
            stop = cb(arg, PQgetvalue(pg->rows, i, 0), PQgetvalue(pg->rows, i, 1), kind, &p) != 0;
    }
    for (int k = 0; k < 3 && n > 0; ++k)
        snprintf(pg->last[k], sizeof(pg->last[k]), "%s", PQgetvalue(pg->rows, n - 1, k));
    return stop || n < WALK_BATCH;
}

stoa_status pgs3_pin_walk(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err)
{
    pin_page pg = {only, {"", "", ""}, NULL};
    stoa_status st = STOA_OK;
    for (int done = 0; !done && st == STOA_OK;) {
        st = pgs3_db_run(&((pgs3 *)state)->db, read_page, &pg, err);
        if (st == STOA_OK) {
            done = page_callbacks(&pg, cb, arg);
            PQclear(pg.rows);
        }
    }
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}
