/*
 * Start-up: the one place that opens storage, auth, audit and the upstream HTTP client,
 * for `stoa serve` and for every subcommand that needs them, with one set of defaults.
 */
#ifndef STOA_BOOT_H
#define STOA_BOOT_H

#include "app.h"

#include <stddef.h>

typedef enum boot_part {
    BOOT_STORAGE = 1,     /* storage plugin (after the schema check), tmp_dir created */
    BOOT_AUTH = 2,        /* auth plugins */
    BOOT_AUDIT = 4,       /* audit sink, synchronous (a CLI's events are written before exit) */
    BOOT_AUDIT_ASYNC = 8, /* audit sink with its writer thread (serve) */
    BOOT_UPSTREAMS = 16,  /* the upstream HTTP client */
} boot_part;

/* Opens the parts of a for c (a takes ownership of c; the_app = a). On failure returns
 * -1 with err set; boot_close is still required. An audit sink that cannot be opened
 * is not a failure: a->audit_error says why, and the command decides (a change that
 * would go unaudited is refused; a read-only run goes on). */
int boot_open(app *a, struct conf *c, unsigned parts, char *err, size_t errlen);

/* Closes what boot_open opened, frees the configurations, clears the_app. */
void boot_close(app *a);

#endif
