#include "prober.h"

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "ticker.h"
#include "upstream.h"

#define PROBER_TICK_MS 100

static ticker prober;
static const struct conf *(*current_conf)(void);

static void probe_due(void *arg)
{
    const struct conf *c = current_conf();
    int64_t now = clock_mono_ms();
    for (size_t i = 0; i < c->nupstreams; ++i) {
        const conf_upstream *u = &c->upstreams[i];
        if (!upstream_probe_due(u, now))
            continue;
        long code = upstream_probe(u);
        if (code > 0 && code < 500)
            log_msg(STOA_LOG_INFO, "upstream", "%s: probe answered HTTP %ld: circuit closed, back in the chain", u->name,
                    code);
        else
            log_msg(STOA_LOG_DEBUG, "upstream", "%s: probe failed (HTTP %ld): circuit stays open", u->name, code);
    }
}

int prober_start(const struct conf *(*current)(void))
{
    current_conf = current;
    return ticker_start(&prober, PROBER_TICK_MS, probe_due, NULL);
}

void prober_stop(void)
{
    ticker_stop(&prober);
}
