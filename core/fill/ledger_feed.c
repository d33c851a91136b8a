#include "ledger_feed.h"

#include "ledger.h"

/* 0 when the plugin can neither list nor remove lists and tiles (ABI < 1.4): then
 * only versions are counted, since a round could not evict anything else. */
static int all_kinds;

static int counted(stoa_kind kind)
{
    return all_kinds || kind == STOA_KIND_INFO || kind == STOA_KIND_MOD || kind == STOA_KIND_ZIP;
}

/* On the committing thread (this process) or the plugin's (others). */
static void on_change(void *arg, const stoa_change *c)
{
    (void)arg;
    switch (c->type) {
    case STOA_CHANGE_STORED:
        if (c->published)
            ledger_forget(c->module, c->version); /* published content is never cache */
        else if (counted(c->kind))
            ledger_note(c->module, c->version, c->kind, c->size);
        break;
    case STOA_CHANGE_REMOVED:
        if (c->kind != 0)
            ledger_drop(c->module, c->version, c->kind);
        else
            ledger_forget(c->module, c->version);
        break;
    case STOA_CHANGE_LOST:
        ledger_invalidate();
        break;
    }
}

stoa_status ledger_feed_start(storage *s, stoa_error *err)
{
    all_kinds = storage_has_objects(s);
    storage_observe(s, on_change, NULL);
    return storage_watch(s, on_change, NULL, err);
}
