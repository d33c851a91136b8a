#include "modlex.h"

#include <string.h>

static char open_paren[] = "(", close_paren[] = ")";

int modlex_paren(const char *tok, char c)
{
    return tok == (c == '(' ? open_paren : close_paren);
}

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Writes code point v as UTF-8 at *o. */
static void put_utf8(char **o, unsigned long v)
{
    char *p = *o;
    if (v < 0x80) {
        *p++ = (char)v;
    } else if (v < 0x800) {
        *p++ = (char)(0xC0 | v >> 6);
        *p++ = (char)(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
        *p++ = (char)(0xE0 | v >> 12);
        *p++ = (char)(0x80 | (v >> 6 & 0x3F));
        *p++ = (char)(0x80 | (v & 0x3F));
    } else {
        *p++ = (char)(0xF0 | v >> 18);
        *p++ = (char)(0x80 | (v >> 12 & 0x3F));
        *p++ = (char)(0x80 | (v >> 6 & 0x3F));
        *p++ = (char)(0x80 | (v & 0x3F));
    }
    *o = p;
}

/* The escape after a backslash at *p, decoded to *o (which never passes *p: every
 * escape is at least as long as what it decodes to). 0 or -1. */
static int unescape(char **p, char **o)
{
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"";
    char c = *(*p)++;
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : c >= '0' && c <= '7' ? 3 : 0;
    if (digits == 0) {
        const char *s = c != '\0' ? memchr(simple, c, sizeof(simple) - 1) : NULL;
        if (s == NULL || (s - simple) % 2 != 0)
            return -1;
        *(*o)++ = s[1];
        return 0;
    }
    int octal = c <= '7';
    if (octal)
        --*p; /* the digit is part of the value */
    unsigned long v = 0;
    for (int i = 0; i < digits; ++i, ++*p) {
        int d = hexval(**p);
        if (d < 0 || (octal && d > 7))
            return -1;
        v = v * (octal ? 8 : 16) + (unsigned long)d;
    }
    if (c == 'x' || octal) { /* one byte */
        if (v > 255)
            return -1;
        *(*o)++ = (char)v;
        return 0;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    put_utf8(o, v);
    return 0;
}

/* A string literal starting at *p (its quote), decoded in place; *p ends after it. */
static int string_lit(char **p, const char **why)
{
    char q = **p, *in = *p + 1, *out = *p;
    while (*in != q) {
        if (*in == '\0' || (q == '"' && *in == '\n'))
            return *why = "unterminated string", -1;
        if (q == '"' && *in == '\\') {
            ++in;
            if (unescape(&in, &out) != 0)
                return *why = "bad escape in a quoted string", -1;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    *p = in + 1;
    return 0;
}

static int push(modlex *m, char *t, const char **why)
{
    if (m->n == MODLEX_TOKENS)
        return *why = "too many fields", -1;
    m->tok[m->n++] = t;
    return 0;
}

int modlex_line(char *line, int plain, modlex *m, const char **why)
{
    m->n = 0;
    for (char *p = line;;) {
        while (blank(*p))
            ++p;
        if (*p == '\0' || (!plain && p[0] == '/' && p[1] == '/'))
            return 0;
        if (!plain && (*p == '(' || *p == ')')) {
            if (push(m, *p == '(' ? open_paren : close_paren, why) != 0)
                return -1;
            *p++ = ' ';
            continue;
        }
        char *start = p;
        if (!plain && (*p == '"' || *p == '`')) {
            if (string_lit(&p, why) != 0)
                return -1;
            if (*p != '\0' && !blank(*p) && *p != '(' && *p != ')' && !(p[0] == '/' && p[1] == '/'))
                return *why = "text directly after a quoted string", -1;
        } else {
            while (*p != '\0' && !blank(*p) && (plain || (*p != '(' && *p != ')' && !(p[0] == '/' && p[1] == '/'))))
                ++p;
        }
        if (push(m, start, why) != 0)
            return -1;
        if (*p == '\0')
            return 0;
        char c = *p;
        *p = '\0'; /* ends the token; a paren or comment right after it is read again below */
        if (blank(c))
            ++p;
        else if (c == '/')
            return 0;
        else if (push(m, c == '(' ? open_paren : close_paren, why) != 0)
            return -1;
        else
            ++p;
    }
}
