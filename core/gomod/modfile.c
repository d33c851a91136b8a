#include "modfile.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strict UTF-8 (no overlongs, surrogates or NULs), as x/mod's lexer requires. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if (s[i] == 0 || (k = utf8_seq_len(s + i, n - i)) == 0)
            return 0;
    return 1;
}

/* One line without its comment and surrounding blanks. */
static void trim(const char **b, const char **e)
{
    for (const char *p = *b; p + 1 < *e; ++p)
        if (p[0] == '/' && p[1] == '/') {
            *e = p;
            break;
        }
    while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r'))
        ++*b;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        --*e;
}

/* The next line at *line (before end) as [*b, *e), trimmed; 0 when none is left. */
static int next_line(const char **line, const char *end, const char **b, const char **e)
{
    if (*line >= end)
        return 0;
    const char *nl = memchr(*line, '\n', (size_t)(end - *line));
    *b = *line;
    *e = nl != NULL ? nl : end;
    *line = nl != NULL ? nl + 1 : end;
    trim(b, e);
    return 1;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One escape after a backslash at *p (strconv.Unquote's rules for "..."), appended to
 * out at *o. 0 or -1. */
static int unescape(const char **p, const char *e, char *out, size_t outlen, size_t *o)
{
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"";
    char c = *(*p)++;
    unsigned long v = 0;
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : c >= '0' && c <= '7' ? 3 : 0;
    if (digits == 0) {
        const char *s = memchr(simple, c, sizeof(simple) - 1);
        if (s == NULL || (s - simple) % 2 != 0 || *o + 1 >= outlen)
            return -1;
        out[(*o)++] = s[1];
        return 0;
    }
    if (c >= '0' && c <= '7')
        --*p; /* octal: the digit is part of the value */
    for (int i = 0; i < digits; ++i, ++*p) {
        int d = *p < e ? hexval(**p) : -1;
        if (d < 0 || (c <= '7' && d > 7))
            return -1;
        v = v * (c <= '7' ? 8 : 16) + (unsigned long)d;
    }
    if (c == 'x' || c <= '7') { /* one byte */
        if (v > 255 || *o + 1 >= outlen)
            return -1;
        out[(*o)++] = (char)v;
        return 0;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || *o + 4 >= outlen)
        return -1;
    if (v < 0x80) {
        out[(*o)++] = (char)v;
    } else if (v < 0x800) {
        out[(*o)++] = (char)(0xC0 | v >> 6);
        out[(*o)++] = (char)(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
        out[(*o)++] = (char)(0xE0 | v >> 12);
        out[(*o)++] = (char)(0x80 | (v >> 6 & 0x3F));
        out[(*o)++] = (char)(0x80 | (v & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | v >> 18);
        out[(*o)++] = (char)(0x80 | (v >> 12 & 0x3F));
        out[(*o)++] = (char)(0x80 | (v >> 6 & 0x3F));
        out[(*o)++] = (char)(0x80 | (v & 0x3F));
    }
    return 0;
}

/* An interpreted string "..." [b, e) decoded as strconv.Unquote does, into out. */
static int unquote(const char *b, const char *e, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = b + 1; p < e - 1;) {
        if (*p == '"')
            return -1; /* an unescaped quote ends the string early: more than one token */
        if (*p != '\\') {
            if (o + 1 >= outlen)
                return -1;
            out[o++] = *p++;
        } else if (++p >= e - 1 || unescape(&p, e - 1, out, outlen, &o) != 0) {
            return -1;
        }
    }
    out[o] = '\0';
    return 0;
}

/* The path argument [b, e): bare, "interpreted" (Go escapes decoded) or `raw`. */
static int take_path(const char *b, const char *e, char *out, size_t outlen)
{
    if (b < e && *b == '"') {
        if (e - b < 2 || e[-1] != '"' || unquote(b, e, out, outlen) != 0 || out[0] == '\0')
            return -1;
        return strpbrk(out, " \t") != NULL ? -1 : 0;
    }
    if (b < e && *b == '`') {
        if (e - b < 2 || e[-1] != '`')
            return -1;
        ++b, --e;
    }
    if (b == e || (size_t)(e - b) >= outlen || memchr(b, ' ', (size_t)(e - b)) || memchr(b, '\t', (size_t)(e - b)))
        return -1;
    memcpy(out, b, (size_t)(e - b));
    out[e - b] = '\0';
    return 0;
}

int modfile_module_path(const char *text, size_t len, char *out, size_t outlen, char *why, size_t whylen)
{
    if (!utf8_ok((const unsigned char *)text, len))
        return snprintf(why, whylen, "not UTF-8 text"), -1;
    int found = 0, in_block = 0;
    for (const char *line = text, *end = text + len, *b, *e; next_line(&line, end, &b, &e);) {
        if (b == e)
            continue;
        if (in_block) {
            if (e - b == 1 && *b == ')')
                in_block = 0;
            else if (found++ || take_path(b, e, out, outlen) != 0)
                return snprintf(why, whylen, found > 1 ? "repeated module directive" : "bad module path"), -1;
            continue;
        }
        if (e - b == 6 && memcmp(b, "module", 6) == 0) /* x/mod: "usage: module module/path" */
            return snprintf(why, whylen, "module directive without a path"), -1;
        if (e - b < 7 || memcmp(b, "module", 6) != 0 || (b[6] != ' ' && b[6] != '\t' && b[6] != '('))
            continue;
        for (b += 6; b < e && (*b == ' ' || *b == '\t');)
            ++b;
        if (e - b == 1 && *b == '(') {
            in_block = 1;
            continue;
        }
        if (found++ || take_path(b, e, out, outlen) != 0)
            return snprintf(why, whylen, found > 1 ? "repeated module directive" : "bad module path"), -1;
    }
    if (in_block)
        return snprintf(why, whylen, "unterminated module block"), -1;
    if (!found)
        return snprintf(why, whylen, "no module directive"), -1;
    return 0;
}

/* Digits at *p without a leading zero ("0" itself allowed); advances *p. -1 if none. */
static long number(const char **p, const char *e)
{
    const char *b = *p;
    long n = 0;
    while (*p < e && **p >= '0' && **p <= '9' && n < 100000)
        n = n * 10 + (*(*p)++ - '0');
    if (*p == b || (*p < e && **p >= '0' && **p <= '9') || (b[0] == '0' && *p - b > 1))
        return -1;
    return n;
}

/* modfile.GoVersionRE, or laxGoVersionRE's fix: the version [b, e) into out. */
static int take_go_version(const char *b, const char *e, char *out, size_t outlen)
{
    const char *p = b + (b < e && *b == 'v');
    long major = number(&p, e), minor = -1;
    if (major <= 0 || p >= e || *p++ != '.' || (minor = number(&p, e)) < 0)
        return -1;
    const char *lang_end = p;
    int strict = *b != 'v';
    if (strict && p < e && *p == '.') { /* .patch */
        ++p;
        strict = number(&p, e) >= 0;
    }
    if (strict && p < e) { /* [a-z]+[0-9]+ */
        const char *q = p;
        while (q < e && *q >= 'a' && *q <= 'z')
            ++q;
        const char *d = q;
        while (q < e && *q >= '0' && *q <= '9')
            ++q;
        strict = q > d && d > p && q == e;
        p = q;
    }
    if (!(strict && p == e)) {
        /* lax: "N.M" followed by a non-digit */
        if (lang_end == e || (*lang_end >= '0' && *lang_end <= '9'))
            return -1;
        e = lang_end;
        b += *b == 'v';
    }
    return snprintf(out, outlen, "%.*s", (int)(e - b), b) < (int)outlen ? 0 : -1;
}

int modfile_go_version(const char *text, size_t len, char *out, size_t outlen)
{
    int found = 0, depth = 0;
    for (const char *line = text, *end = text + len, *b, *e; next_line(&line, end, &b, &e);) {
        if (b == e)
            continue;
        if (e[-1] == '(') {
            ++depth;
            continue;
        }
        if (depth > 0) {
            depth -= e - b == 1 && *b == ')';
            continue;
        }
        if (e - b < 3 || memcmp(b, "go", 2) != 0 || (b[2] != ' ' && b[2] != '\t'))
            continue;
        for (b += 2; b < e && (*b == ' ' || *b == '\t');)
            ++b;
        if (found++ || memchr(b, ' ', (size_t)(e - b)) || memchr(b, '\t', (size_t)(e - b)) ||
            take_go_version(b, e, out, outlen) != 0)
            return -1;
    }
    return found ? 0 : -1;
}

int modfile_go_at_least(const char *v, unsigned major, unsigned minor)
{
    char *end;
    unsigned long ma = strtoul(v, &end, 10), mi = 0;
    if (*end == '.')
        mi = strtoul(end + 1, NULL, 10);
    return ma > major || (ma == major && mi >= minor);
}
