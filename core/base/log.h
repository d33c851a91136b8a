/*
 * Process-wide logging to stderr: one line per event, text or JSON lines.
 * Thread-safe (one write(2) per line). Configure once before threads start.
 */
#ifndef STOA_LOG_H
#define STOA_LOG_H

#include <stoa/stoa.h>

void log_configure(int json, stoa_log_level level);
int log_enabled(stoa_log_level level);
int log_is_json(void); /* log.format: json was configured */

/* who: the subsystem ("server", "upstream", a plugin's name). */
void log_msg(stoa_log_level level, const char *who, const char *fmt, ...) STOA_PRINTF(3, 4);

/* The access log line: one per request. Fields may be NULL/empty. */
typedef struct log_access {
    const char *method;
    const char *path;
    int status;
    uint64_t bytes;
    double duration_ms;
    const char *cache;    /* HIT, MISS, STALE, or "" */
    const char *client;
    const char *identity;
    const char *error;
    const char *request_id; /* as sent in X-Request-Id */
    const char *user_agent;
} log_access;

void log_request(const log_access *a);

/* Access lines cost a write(2) each; an event-loop thread instead collects them with
 * log_buffer_thread(1) and writes them with log_flush() after each turn of its loop,
 * before it waits again (whole lines, one write; other lines flush what is pending
 * first, so a thread's lines keep their order). log_buffer_thread(0) flushes and stops.
 * Both act on the calling thread only. */
void log_buffer_thread(int on);
void log_flush(void);

#endif
