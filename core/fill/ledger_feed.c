#include "ledger_feed.h"

#include "ledger.h"

/* On the plugin's thread. */
static void on_change(void *arg, const stoa_change *c)
{
    (void)arg;
    switch (c->type) {
    case STOA_CHANGE_STORED:
        if (c->published)
            ledger_forget(c->module, c->version); /* published content is never cache */
        else
            ledger_note(c->module, c->version, c->kind, c->size);
        break;
    case STOA_CHANGE_REMOVED:
        ledger_forget(c->module, c->version);
        break;
    case STOA_CHANGE_LOST:
        ledger_invalidate();
        break;
    }
}

stoa_status ledger_feed_start(storage *s, stoa_error *err)
{
    return storage_watch(s, on_change, NULL, err);
}
