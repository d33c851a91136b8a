/* Logging: lines are formatted into a stack buffer and written with one write(2) so
 * lines from different threads never interleave; a buffering loop thread writes its
 * access lines together, once per event-loop turn. */
#include "log.h"

#include "escape.h"
#include "hex.h"
#include "numfmt.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_json;
static stoa_log_level log_level = STOA_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_configure(int json, stoa_log_level level)
{
    log_json = json;
    log_level = level;
}

int log_is_json(void)
{
    return log_json;
}

int log_enabled(stoa_log_level level)
{
    return level <= log_level;
}

/* "2026-11-25T10:55:00.123Z". */
static size_t put_time(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    size_t plen;
    const char *prefix = numfmt_utc_second(ts.tv_sec, &plen);
    if (len < plen + 6)
        return 0;
    memcpy(buf, prefix, plen);
    long ms = ts.tv_nsec / 1000000;
    char *o = buf + plen;
    o[0] = '.';
    o[1] = (char)('0' + ms / 100);
    o[2] = (char)('0' + ms / 10 % 10);
    o[3] = (char)('0' + ms % 10);
    o[4] = 'Z';
    return plen + 5;
}

/* s as the inside of a JSON string: '"', '\\' and controls escaped, and a byte of invalid
 * UTF-8 as the text \\xHH (escape.h), so a line is always valid JSON. */
static size_t put_json_str(char *buf, size_t len, size_t at, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t left = s != NULL ? strlen(s) : 0; left > 0 && at + 7 < len;) {
        unsigned char c = *p;
        size_t k = utf8_seq_len(p, left);
        if (c == '"' || c == '\\') {
            buf[at++] = '\\';
            buf[at++] = (char)c;
        } else if (c < 0x20) {
            memcpy(buf + at, "\\u00", 4);
            buf[at + 4] = hex_digits[c >> 4];
            buf[at + 5] = hex_digits[c & 15];
            at += 6;
        } else if (k == 0) {
            memcpy(buf + at, "\\\\x", 3);
            buf[at + 3] = hex_digits[c >> 4];
            buf[at + 4] = hex_digits[c & 15];
            at += 5;
        } else if (at + k + 7 < len) {
            memcpy(buf + at, p, k);
            at += k, p += k, left -= k;
            continue;
        } else {
            break;
        }
        ++p, --left;
    }
    return at;
}

/* A loop thread's access lines, written together by log_flush (log.h). */
static _Thread_local struct {
    char *p;
    size_t n;
} pending;
#define PENDING_CAP (32 * 1024)

static void write_all(const char *buf, size_t n)
{
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
}

void log_flush(void)
{
    if (pending.n > 0 && pending.p != NULL)
        write_all(pending.p, pending.n);
    pending.n = 0;
}

void log_buffer_thread(int on)
{
    log_flush();
    if (on && pending.p == NULL)
        pending.p = malloc(PENDING_CAP);
    if (!on) {
        free(pending.p);
        pending.p = NULL;
    }
}

/* Ends the line; buffered lines (access lines of a buffering thread) wait for
 * log_flush, the others are written now, after what is pending so the order holds. */
static void emit(char *buf, size_t n, size_t cap, int buffered)
{
    if (n >= cap)
        n = cap - 1;
    buf[n++] = '\n';
    if (buffered && pending.p != NULL) {
        if (pending.n + n > PENDING_CAP)
            log_flush();
        memcpy(pending.p + pending.n, buf, n);
        pending.n += n;
        return;
    }
    log_flush();
    write_all(buf, n);
}

void log_msg(stoa_log_level level, const char *who, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char msg[2048], line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t n = put_time(line, 64);
    if (!log_json) {
        int m = snprintf(line + n, sizeof(line) - n, " %s %s: %s", level_names[level], who, msg);
        emit(line, n + (m > 0 ? (size_t)m : 0), sizeof(line), 0);
        return;
    }
    char t[64];
    memcpy(t, line, n);
    t[n] = '\0';
    n = (size_t)snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\",\"who\":\"", t, level_names[level]);
    n = put_json_str(line, sizeof(line), n, who);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"msg\":\"");
    n = put_json_str(line, sizeof(line), n, msg);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}");
    emit(line, n, sizeof(line), 0);
}

static const char *dash(const char *s)
{
    return s != NULL && *s != '\0' ? s : "-";
}

/* A line built by appending, for the access log: one per request, where snprintf's
 * format parsing showed in profiles. Appends stop (and set full) at the end. */
typedef struct line {
    char *p;
    size_t n, cap;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (n > l->cap - l->n)
        n = l->cap - l->n;
    memcpy(l->p + l->n, s, n);
    l->n += n;
}

static void put_str(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static void put_u64(line *l, uint64_t v)
{
    char d[24], *end = d + sizeof(d), *p = numfmt_u64(end, v);
    put(l, p, (size_t)(end - p));
}

static void put_int(line *l, int v)
{
    if (v < 0)
        put(l, "-", 1);
    put_u64(l, v < 0 ? 0 - (uint64_t)(int64_t)v : (uint64_t)v);
}

/* ms with `decimals` digits after the point, rounded; clamped to [0, 1e12]. */
static void put_ms(line *l, double ms, int decimals)
{
    char d[32], *end = d + sizeof(d), *p = numfmt_fixed(end, ms, decimals);
    put(l, p, (size_t)(end - p));
}

static void put_json(line *l, const char *s)
{
    l->n = put_json_str(l->p, l->cap, l->n, s);
}

/* s with escape.h's escapes (room for its NUL: the newline's place, l->cap + 1). */
static void put_escaped(line *l, const char *s, int flags)
{
    l->n += esc_text(l->p + l->n, l->cap - l->n + 1, s, strlen(s), flags);
}

/* The same, "-" when empty. */
static void put_esc(line *l, const char *s, int flags)
{
    put_escaped(l, dash(s), flags);
}

static void access_text(line *l, const log_access *a)
{
    put_str(l, " access ");
    put_esc(l, a->client, ESC_SPACE);
    put(l, " ", 1);
    put_esc(l, a->method, ESC_SPACE);
    put(l, " ", 1);
    put_esc(l, a->path, ESC_SPACE);
    put(l, " ", 1);
    put_int(l, a->status);
    put(l, " ", 1);
    put_u64(l, a->bytes);
    put(l, " ", 1);
    put_ms(l, a->duration_ms, 1);
    put_str(l, "ms cache=");
    put_str(l, dash(a->cache));
    put_str(l, " id=");
    put_esc(l, a->identity, ESC_SPACE);
    put_str(l, " rid=");
    put_esc(l, a->request_id, ESC_SPACE);
    put_str(l, " ua=\"");
    if (a->user_agent != NULL)
        put_escaped(l, a->user_agent, ESC_QUOTE);
    put(l, "\"", 1);
    if (a->error != NULL && *a->error) {
        put_str(l, " error=");
        put_escaped(l, a->error, 0);
    }
}

/* ,"key":"value" with value escaped; ,"key": alone when value is NULL (a number follows). */
static void json_field(line *l, const char *key, const char *value)
{
    put_str(l, ",\"");
    put_str(l, key);
    put_str(l, value != NULL ? "\":\"" : "\":");
    if (value != NULL) {
        put_json(l, value);
        put(l, "\"", 1);
    }
}

static void access_json(line *l, const char *time, const log_access *a)
{
    put_str(l, "{\"time\":\"");
    put_str(l, time);
    put_str(l, "\",\"level\":\"info\",\"who\":\"access\"");
    json_field(l, "method", a->method != NULL ? a->method : "");
    json_field(l, "path", a->path != NULL ? a->path : "");
    json_field(l, "status", NULL);
    put_int(l, a->status);
    json_field(l, "bytes", NULL);
    put_u64(l, a->bytes);
    json_field(l, "ms", NULL);
    put_ms(l, a->duration_ms, 3);
    json_field(l, "cache", a->cache != NULL ? a->cache : "");
    json_field(l, "client", a->client != NULL ? a->client : "");
    json_field(l, "identity", a->identity != NULL ? a->identity : "");
    json_field(l, "request_id", a->request_id != NULL ? a->request_id : "");
    json_field(l, "user_agent", a->user_agent != NULL ? a->user_agent : "");
    json_field(l, "error", a->error != NULL ? a->error : "");
    put(l, "}", 1);
}

void log_request(const log_access *a)
{
    if (!log_enabled(STOA_LOG_INFO))
        return;
    char buf[4096], t[64];
    line l = {buf, 0, sizeof(buf) - 1}; /* room for emit's newline */
    l.n = put_time(buf, 64);
    if (log_json) {
        memcpy(t, buf, l.n);
        t[l.n] = '\0';
        l.n = 0;
        access_json(&l, t, a);
    } else {
        access_text(&l, a);
    }
    emit(buf, l.n, sizeof(buf), 1);
}
