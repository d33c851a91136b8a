/*
 * Audit sinks: where encoded events (one JSON object per line, core/audit/audit_event.h) end
 * up. A sink is called by one thread at a time (the audit thread, or the CLI process
 * that emits synchronously) and may block.
 *
 * write() answers:
 *   AUDIT_SINK_OK      every line is stored (lines stored before, by id, are ignored);
 *   AUDIT_SINK_RETRY   nothing can be stored now (database down, disk error): the
 *                      caller keeps the lines in the spool and tries again later;
 *   AUDIT_SINK_REJECT  the sink works but refuses these lines (a data error): retrying
 *                      the same lines will not help.
 * err gets a one-line reason for RETRY and REJECT (no secrets: never the DSN).
 */
#ifndef STOA_AUDIT_SINK_H
#define STOA_AUDIT_SINK_H

#include <stddef.h>

typedef enum audit_sink_result {
    AUDIT_SINK_OK = 0,
    AUDIT_SINK_RETRY = 1,
    AUDIT_SINK_REJECT = 2,
} audit_sink_result;

typedef struct audit_sink audit_sink;
struct audit_sink {
    const char *name; /* "file" or "postgres", for logs */
    audit_sink_result (*write)(audit_sink *s, char *const *lines, size_t n, char *err, size_t errlen);
    void (*close)(audit_sink *s); /* frees s */
};

/* JSON lines appended to path (created 0640 if missing; reopened when logrotate moved
 * it). NULL with err when it cannot be opened. */
audit_sink *audit_sink_file(const char *path, char *err, size_t errlen);

/* Rows inserted into audit_events with ON CONFLICT (id) DO NOTHING, so replaying lines
 * already stored is harmless. Connects lazily: a database that is down at start is
 * not an error (writes answer RETRY until it is up). */
audit_sink *audit_sink_pg(const char *dsn, char *err, size_t errlen);

#endif
