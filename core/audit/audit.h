/*
 * The audit trail: one event per module request, publish, delete, token change and
 * auth decision, written to the configured sink (audit.sink: postgres | file | none).
 *
 * Serving (audit_open(c, 1)): audit_emit encodes the event (core/audit/audit_event.h) into
 * a bounded queue and returns; it never does I/O, so loop threads call it freely. A
 * background thread takes batches (audit.batch events, or what is there after
 * audit.interval) and hands them to the sink. When the sink cannot take them
 * (PostgreSQL down), they go to the spool file (audit.spool) and are replayed, oldest
 * first, once the sink is back: no event is lost, and none is stored twice (each has a
 * unique id; the table ignores ids it holds). An event is dropped only when the queue
 * is full or the spool cannot be written; drops are counted and logged.
 *
 * CLI (audit_open(c, 0)): audit_emit writes synchronously (spooling on failure), for
 * `stoa token create/revoke` which must record the change before exiting.
 *
 * audit_open/audit_close on the main thread; audit_emit and audit_stats from any
 * thread between them (after audit_close, emits are counted as drops).
 */
#ifndef STOA_AUDIT_H
#define STOA_AUDIT_H

#include "audit_event.h"

#include <stddef.h>
#include <stdint.h>

struct conf;

/* Opens the sink and the spool and, when threaded, starts the writer thread.
 * 0, or -1 with err (bad path, postgres sink without a DSN). */
int audit_open(const struct conf *c, int threaded, char *err, size_t errlen);

/* Records ev (copied; the caller keeps ownership). Fills id, instance and time when
 * they are empty/zero. */
void audit_emit(const audit_event *ev);

/* Writes everything queued, stops the thread, closes the sink. Idempotent. */
void audit_close(void);

typedef struct audit_stats {
    uint64_t queued;       /* events waiting in memory */
    uint64_t spool_bytes;  /* bytes waiting in the spool file */
    uint64_t written;      /* events the sink accepted (directly or by replay) */
    uint64_t spooled;      /* events that went to the spool */
    uint64_t dropped;      /* events lost: queue full, spool unwritable, sink refused */
    int sink_down;         /* the sink is failing; events go to the spool */
    int losing;            /* the spool cannot be written either: events are being lost */
} audit_stats;

void audit_stats_get(audit_stats *s);

#endif
