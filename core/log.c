/* Logging: lines are formatted into a stack buffer and written with one write(2) so
 * lines from different threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
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

int log_enabled(stoa_log_level level)
{
    return level <= log_level;
}

static size_t put_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return n + (m > 0 ? (size_t)m : 0);
}

/* Appends s as a JSON string body (no quotes) with escapes; truncates safely. */
static size_t put_json_str(char *buf, size_t len, size_t at, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; s != NULL && *s != '\0' && at + 7 < len; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[at++] = '\\';
            buf[at++] = (char)c;
        } else if (c < 0x20) {
            memcpy(buf + at, "\\u00", 4);
            buf[at + 4] = hex[c >> 4];
            buf[at + 5] = hex[c & 15];
            at += 6;
        } else {
            buf[at++] = (char)c;
        }
    }
    return at;
}

static void emit(char *buf, size_t n, size_t cap)
{
    if (n >= cap)
        n = cap - 1;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
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
        emit(line, n + (m > 0 ? (size_t)m : 0), sizeof(line));
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
    emit(line, n, sizeof(line));
}

static const char *dash(const char *s)
{
    return s != NULL && *s != '\0' ? s : "-";
}

void log_request(const log_access *a)
{
    if (!log_enabled(STOA_LOG_INFO))
        return;
    char line[4096];
    size_t n = put_time(line, 64);
    if (!log_json) {
        int m = snprintf(line + n, sizeof(line) - n, " access %s %s %s %d %llu %.1fms cache=%s id=%s%s%s", dash(a->client),
                         dash(a->method), dash(a->path), a->status, (unsigned long long)a->bytes, a->duration_ms,
                         dash(a->cache), dash(a->identity), a->error != NULL && *a->error ? " error=" : "",
                         a->error != NULL ? a->error : "");
        emit(line, n + (m > 0 ? (size_t)m : 0), sizeof(line));
        return;
    }
    char t[64];
    memcpy(t, line, n);
    t[n] = '\0';
    n = (size_t)snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"info\",\"who\":\"access\",\"method\":\"", t);
    n = put_json_str(line, sizeof(line), n, a->method);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"path\":\"");
    n = put_json_str(line, sizeof(line), n, a->path);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"status\":%d,\"bytes\":%llu,\"ms\":%.3f,\"cache\":\"%s\",\"client\":\"",
                          a->status, (unsigned long long)a->bytes, a->duration_ms, a->cache != NULL ? a->cache : "");
    n = put_json_str(line, sizeof(line), n, a->client);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"identity\":\"");
    n = put_json_str(line, sizeof(line), n, a->identity);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"error\":\"");
    n = put_json_str(line, sizeof(line), n, a->error);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}");
    emit(line, n, sizeof(line));
}
