/*
 * SIGHUP: re-reads the configuration and swaps it in without dropping connections or
 * in-flight transfers. What a running process can change: namespaces, upstreams,
 * checksum databases, repositories, cache TTLs, mode, fail_status, nosumdb,
 * auth.require and the auth plugins' options (through their reload method). What needs
 * a restart (listeners, TLS, threads, storage, plugin and tmp directories, the list of
 * auth plugins, audit sink, limits, logging): a change there refuses the whole reload.
 * A refused reload keeps the old configuration in force. Main thread only.
 */
#ifndef STOA_RELOAD_H
#define STOA_RELOAD_H

#include <stddef.h>

struct app;

/* 0 when the new configuration is in force; -1 with err saying why it was refused. */
int reload_config(struct app *a, char *err, size_t errlen);

#endif
