/*
 * One audit event and its JSON form.
 *
 * The JSON object is the single encoding of an event: it is a line of the file sink, a
 * line of the spool, and an element of the array the PostgreSQL sink inserts with
 * json_populate_recordset (so the keys are the column names of audit_events in
 * migrations/0002_audit.sql). Empty strings and an empty upstream_failed are left out
 * (NULL in the table); id, time, action, status, bytes and duration_ms are always there.
 * docs/audit.md describes every key.
 *
 * Strings are copied into fixed buffers (truncated when longer); bytes that are not
 * valid UTF-8 are written percent-encoded ("%FF"), so every line is valid JSON
 * whatever a client sent.
 *
 * Pure functions, any thread.
 */
#ifndef STOA_AUDIT_EVENT_H
#define STOA_AUDIT_EVENT_H

#include "modpath.h"
#include "semver.h"

#include <stddef.h>
#include <stdint.h>

typedef struct audit_event {
    char id[37];               /* UUID, unique per event: the table's primary key */
    int64_t time_us;           /* wall clock, microseconds since the epoch */
    char request_id[40];
    char action[24];           /* download list sumdb catalog admin publish delete token.create ... */
    char kind[16];             /* info mod zip list latest sumdb catalog admin token ... */
    char method[16];
    char path[1024];           /* raw request path as sent, with query */
    char repo[65];
    char module[MODPATH_MAX + 1];
    char version[SEMVER_MAX + 1];
    int status;                /* HTTP status; 0 for CLI events that succeeded */
    char client[64];
    char identity[128];
    char auth[16];             /* allow | deny | anonymous | "" (no auth check ran) */
    char cache[16];            /* hit miss stale published */
    char upstream[64];         /* the upstream that served a miss */
    char upstream_failed[256]; /* comma-separated upstreams that failed during this request */
    uint64_t bytes;            /* body bytes sent; received for a publish */
    double duration_ms;
    char error[256];
    char target[160];          /* what an admin action acted on ("token:ci-bot") */
    char instance[80];         /* host:pid of the process that wrote it */
} audit_event;

/* Copies s into dst (size n), always NUL-terminated, truncated on a UTF-8 boundary. */
void audit_copy(char *dst, size_t n, const char *s);
/* The same for the first len bytes of s (which need no NUL). */
void audit_copyn(char *dst, size_t n, const char *s, size_t len);

/* Starts *ev (zeroed) as an action of a CLI command (`stoa token`, `stoa verify`), by
 * the unix user running it: identity "cli:<user>". */
void audit_event_cli(audit_event *ev, const char *action, const char *kind);

/* Fills ev->id with a new random UUID (version 4). 0, or -1 if no randomness. */
int audit_event_new_id(audit_event *ev);

/* The event as one compact JSON object without a newline; malloc'd, the caller frees.
 * NULL only when out of memory. */
char *audit_event_json(const audit_event *ev);

/* lines joined: open, lines separated by sep, close (e.g. "[", ',', "]" or "", '\n',
 * "\n"). malloc'd, NUL-terminated, length in *len; NULL when out of memory. */
char *audit_join(char *const *lines, size_t n, const char *open, char sep, const char *close, size_t *len);

/* Writes s into out (size outlen, NUL-terminated) with every byte that is not part of
 * a valid UTF-8 sequence replaced by "%XX". Truncates on a character boundary. */
void audit_utf8_clean(const char *s, char *out, size_t outlen);

#endif
