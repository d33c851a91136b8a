/*
 * Integrity events: content that differs from what the checksum database recorded or
 * from what stoa served before. Each is logged at error level, written to the audit
 * trail (action "integrity", target = the event's name) and counted in
 * stoa_integrity_events_total{event=...}, so one alert rule covers them all.
 *
 * Any thread.
 */
#ifndef STOA_INTEGRITY_H
#define STOA_INTEGRITY_H

#include "storage.h"

#include <stddef.h>
#include <stoa/storage.h>

typedef enum integrity_event {
    INTEGRITY_SUMDB_REFUSED = 0, /* a fill's bytes (or the database's answer) failed the database check */
    INTEGRITY_PIN_REFUSED = 1,   /* a fill brought other bytes than the pin: refused */
    INTEGRITY_PIN_CORRECTED = 2, /* an unverified pin differed from the database: replaced */
    INTEGRITY_QUARANTINED = 3,   /* a cached version failed its re-check: removed from the cache */
    INTEGRITY_EVENTS = 4,
} integrity_event;

const char *integrity_event_name(integrity_event ev);

/* source: the upstream involved, or "" (a background re-check). */
void integrity_report(integrity_event ev, const char *module, const char *version, stoa_kind kind, const char *source,
                      const char *msg);

/* Copies the stored bytes of kind (MOD or ZIP) of module@version to
 * <dir>/<module>/@v/<version>.<mod|zip> (path gets it), the evidence a quarantine
 * keeps before it removes a version. 0, or -1 when nothing could be copied. Blocking:
 * a worker or the CLI's thread. */
int integrity_keep_copy(storage *s, const char *dir, const char *module, const char *version, stoa_kind kind, char *path,
                        size_t len);

#endif
