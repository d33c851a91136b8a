/*
 * The background re-check of versions cached unverified: under sumdb_check lenient a
 * fill the checksum database could not confirm (it was down) is cached with an
 * unverified pin (core/integrity/pin.h). Every sumdb_recheck, the unverified pins are put to
 * the database again:
 *   verified  the pin is marked verified;
 *   unknown   the database has no record of the version: marked unchecked;
 *   mismatch  quarantine: the cached bytes are copied to quarantine_dir
 *             (<dir>/<module>/@v/<version>.<ext>), the version is removed from the
 *             cache, the pin takes the database's hash, and an integrity event is
 *             raised; the next request refetches it and is held to that hash;
 *   no answer the pass ends; the next one tries again.
 *
 * One background thread (core/base/ticker.h); its storage and network calls block only it.
 */
#ifndef STOA_RECHECK_H
#define STOA_RECHECK_H

#include <stddef.h>

typedef struct recheck_stats {
    size_t checked, verified, unchecked, quarantined, left; /* left: unanswered this pass */
} recheck_stats;

/* Main thread: starts / stops the thread (stop wakes it and joins). 0 or -1. */
int recheck_start(void);
void recheck_stop(void);

/* One pass over the unverified pins, on the calling thread (blocking). */
void recheck_pass(recheck_stats *st);

#endif
