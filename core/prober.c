#include "prober.h"

#include "conf.h"
#include "log.h"
#include "upstream.h"

#include <pthread.h>
#include <time.h>

#define PROBER_TICK_MS 100

static pthread_t tid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int running, stopping;
static const struct conf *(*current_conf)(void);

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void probe_due(void)
{
    const struct conf *c = current_conf();
    int64_t now = mono_ms();
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

static void *prober_main(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PROBER_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec += 1, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&wake, &lock, &until);
        if (stopping)
            break;
        pthread_mutex_unlock(&lock);
        probe_due();
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int prober_start(const struct conf *(*current)(void))
{
    current_conf = current;
    stopping = 0;
    if (pthread_create(&tid, NULL, prober_main, NULL) != 0)
        return -1;
    running = 1;
    return 0;
}

void prober_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(tid, NULL);
    running = 0;
}
