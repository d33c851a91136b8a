/*
 * Active health checks: a thread that probes upstreams whose circuit is open, so a
 * recovered upstream is used again without waiting for its cool-down or for user
 * traffic (nginx's passive max_fails/fail_timeout plus an active check).
 */
#ifndef STOA_PROBER_H
#define STOA_PROBER_H

struct conf;

/* current() returns the configuration in force (it may change between calls). */
int prober_start(const struct conf *(*current)(void));
void prober_stop(void);

#endif
