#include "audit_event.h"

#include "hex.h"
#include "numfmt.h"
#include "utf8.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

void audit_utf8_clean(const char *s, char *out, size_t outlen)
{
    static const char upper[] = "0123456789ABCDEF"; /* percent-encoding is upper case */
    size_t o = 0;
    if (outlen == 0)
        return;
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    for (size_t left = strlen((const char *)p); left > 0;) {
        size_t n = utf8_seq_len(p, left);
        if (n == 0) {
            if (o + 3 >= outlen)
                break;
            out[o++] = '%';
            out[o++] = upper[*p >> 4];
            out[o++] = upper[*p & 15];
            ++p, --left;
            continue;
        }
        if (o + n >= outlen)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n, left -= n;
    }
    out[o] = '\0';
}

void audit_copyn(char *dst, size_t n, const char *s, size_t len)
{
    if (n == 0)
        return;
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) /* do not cut a character */
            --len;
    }
    if (len > 0)
        memcpy(dst, s, len);
    dst[len] = '\0';
}

void audit_copy(char *dst, size_t n, const char *s)
{
    audit_copyn(dst, n, s, s != NULL ? strlen(s) : 0);
}

/* Random bytes are drawn 4 KiB at a time (256 ids per getrandom call): every request
 * gets an event id, and a syscall per event was ~5% of the server's CPU at 30k
 * requests/s. Per thread, so any thread may call this without a lock. */
static int random16(unsigned char out[16])
{
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t left;
    if (left < 16) {
        if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
            return -1;
        left = sizeof(pool);
    }
    left -= 16;
    memcpy(out, pool + left, 16);
    return 0;
}

void audit_event_cli(audit_event *ev, const char *action, const char *kind)
{
    memset(ev, 0, sizeof(*ev));
    audit_copy(ev->action, sizeof(ev->action), action);
    audit_copy(ev->kind, sizeof(ev->kind), kind);
    struct passwd *pw = getpwuid(geteuid());
    snprintf(ev->identity, sizeof(ev->identity), "cli:%s", pw != NULL ? pw->pw_name : "unknown");
}

int audit_event_new_id(audit_event *ev)
{
    unsigned char b[16];
    if (random16(b) != 0)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    char *o = ev->id;
    for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex_digits[b[i] >> 4];
        *o++ = hex_digits[b[i] & 15];
    }
    *o = '\0';
    return 0;
}

char *audit_join(char *const *lines, size_t n, const char *open, char sep, const char *close, size_t *len)
{
    size_t ol = strlen(open), cl = strlen(close), total = ol + cl + 1;
    for (size_t i = 0; i < n; ++i)
        total += strlen(lines[i]) + 1;
    char *buf = malloc(total), *p = buf;
    if (buf == NULL)
        return NULL;
    memcpy(p, open, ol);
    p += ol;
    for (size_t i = 0; i < n; ++i) {
        size_t l = strlen(lines[i]);
        if (i > 0)
            *p++ = sep;
        memcpy(p, lines[i], l);
        p += l;
    }
    memcpy(p, close, cl);
    p += cl;
    *p = '\0';
    *len = (size_t)(p - buf);
    return buf;
}

/* The JSON line is written by hand, not through jansson: it runs once per request and
 * a jansson object tree cost ~10% of the server's CPU at 30k requests/s. Strings are
 * first made valid UTF-8 (audit_utf8_clean), then escaped as RFC 8259 requires. */
typedef struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_lit(jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

/* A quoted, escaped JSON string of valid UTF-8 text. */
static void jb_quoted(jbuf *b, const char *s)
{
    jb_put(b, "\"", 1);
    const char *run = s;
    for (const char *c = s;; ++c) {
        unsigned char ch = (unsigned char)*c;
        if (ch != '\0' && ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        jb_put(b, run, (size_t)(c - run));
        if (ch == '\0')
            break;
        char esc[8];
        const char *named = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : ch == '\r' ? "\\r" : NULL;
        if (named != NULL)
            snprintf(esc, sizeof(esc), "%s", named);
        else
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
        jb_lit(b, esc);
        run = c + 1;
    }
    jb_put(b, "\"", 1);
}

/* Keys are constants that need no escaping. */
static void jb_key(jbuf *b, const char *key)
{
    int first = b->len == 1; /* just after the "{" */
    jb_put(b, first ? "\"" : ",\"", first ? 1u : 2u);
    jb_lit(b, key);
    jb_put(b, "\":", 2);
}

/* Adds key: s when s is not empty. */
static void set_str(jbuf *b, const char *key, const char *s)
{
    if (s == NULL || s[0] == '\0')
        return;
    const char *c = s;
    while (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\') /* plain ASCII: as it is */
        ++c;
    if (*c == '\0') {
        jb_key(b, key);
        jb_put(b, "\"", 1);
        jb_put(b, s, (size_t)(c - s));
        jb_put(b, "\"", 1);
        return;
    }
    char clean[3 * 1024 + 1];
    audit_utf8_clean(s, clean, sizeof(clean));
    jb_key(b, key);
    jb_quoted(b, clean);
}

static void set_int(jbuf *b, const char *key, int64_t v)
{
    char num[24], *p = numfmt_u64(num + sizeof(num), v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    jb_key(b, key);
    jb_put(b, p, (size_t)(num + sizeof(num) - p));
}

/* "%.3f" of a finite, non-negative duration, without printf's float machinery. */
static void set_millis(jbuf *b, const char *key, double ms)
{
    char num[32], *end = num + sizeof(num), *p = numfmt_fixed(end, ms, 3);
    jb_key(b, key);
    jb_put(b, p, (size_t)(end - p));
}

static void set_list(jbuf *b, const char *key, const char *csv)
{
    if (csv[0] == '\0')
        return;
    char buf[256], *save = NULL;
    audit_copy(buf, sizeof(buf), csv);
    jb_key(b, key);
    jb_put(b, "[", 1);
    int first = 1;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save), first = 0) {
        char clean[3 * 256 + 1];
        audit_utf8_clean(t, clean, sizeof(clean));
        jb_put(b, ",", !first);
        jb_quoted(b, clean);
    }
    jb_put(b, "]", 1);
}

/* "2026-11-25T10:55:00.123456Z". */
static void format_time(int64_t us, char *out, size_t len)
{
    size_t plen;
    const char *prefix = numfmt_utc_second((time_t)(us / 1000000), &plen);
    int frac = (int)(us % 1000000);
    if (len < plen + 9)
        return;
    memcpy(out, prefix, plen);
    char *o = out + plen;
    *o++ = '.';
    for (int i = 5; i >= 0; --i, frac /= 10)
        o[i] = (char)('0' + frac % 10);
    memcpy(o + 6, "Z", 2);
}

char *audit_event_json(const audit_event *ev)
{
    char t[40];
    format_time(ev->time_us, t, sizeof(t));
    jbuf b = {malloc(1024), 0, 1024, 0}; /* a typical line fits: no realloc */
    if (b.p == NULL)
        return NULL;
    jb_put(&b, "{", 1);
    jb_key(&b, "id");
    jb_quoted(&b, ev->id);
    set_str(&b, "time", t);
    set_str(&b, "instance", ev->instance);
    set_str(&b, "request_id", ev->request_id);
    set_str(&b, "action", ev->action[0] ? ev->action : "request");
    set_str(&b, "kind", ev->kind);
    set_str(&b, "method", ev->method);
    set_str(&b, "path", ev->path);
    set_str(&b, "repo", ev->repo);
    set_str(&b, "module", ev->module);
    set_str(&b, "version", ev->version);
    set_int(&b, "status", ev->status);
    set_str(&b, "client", ev->client);
    set_str(&b, "identity", ev->identity);
    set_str(&b, "auth", ev->auth);
    set_str(&b, "cache", ev->cache);
    set_str(&b, "upstream", ev->upstream);
    set_list(&b, "upstream_failed", ev->upstream_failed);
    jb_key(&b, "bytes");
    char num[24], *digits = numfmt_u64(num + sizeof(num), ev->bytes);
    jb_put(&b, digits, (size_t)(num + sizeof(num) - digits));
    set_millis(&b, "duration_ms", ev->duration_ms);
    set_str(&b, "error", ev->error);
    set_str(&b, "target", ev->target);
    jb_put(&b, "}", 1);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
