#include "modfile.h"

#include "modlex.h"
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

/* The lines of a go.mod, tokenized (modlex.h), over a private copy of the text. */
typedef struct lines {
    char *buf, *next, *end;
    modlex m;
    int bad;         /* the last line did not tokenize */
    int is_module;   /* ... and it began with the word "module" */
} lines;

static int lines_open(lines *ls, const char *text, size_t len)
{
    if ((ls->buf = malloc(len + 1)) == NULL)
        return -1;
    memcpy(ls->buf, text, len);
    ls->buf[len] = '\0';
    ls->next = ls->buf;
    ls->end = ls->buf + len;
    return 0;
}

/* The next line's tokens in ls->m; 0 when none is left. */
static int lines_next(lines *ls)
{
    if (ls->next >= ls->end)
        return 0;
    char *line = ls->next, *nl = memchr(line, '\n', (size_t)(ls->end - line));
    if (nl != NULL)
        *nl = '\0';
    ls->next = nl != NULL ? nl + 1 : ls->end;
    const char *w = line + strspn(line, " \t\r");
    ls->is_module = strncmp(w, "module", 6) == 0 && strchr(" \t\r(", w[6]) != NULL;
    const char *why;
    ls->bad = modlex_line(line, 0, &ls->m, &why) != 0;
    if (ls->bad)
        ls->m.n = 0;
    return 1;
}

/* A module path token: not empty, no blank or control byte inside (a quoted one may
 * decode to one; module.CheckPath refuses them all). */
static int take_path(const char *t, char *out, size_t outlen)
{
    for (const unsigned char *p = (const unsigned char *)t; *p != '\0'; ++p)
        if (*p <= ' ' || *p == 0x7f)
            return -1;
    if (t[0] == '\0' || modlex_paren(t, '(') || modlex_paren(t, ')'))
        return -1;
    return snprintf(out, outlen, "%s", t) < (int)outlen ? 0 : -1;
}

static int module_path(lines *ls, char *out, size_t outlen, char *why, size_t whylen)
{
    int found = 0, in_block = 0;
    while (lines_next(ls)) {
        char **t = ls->m.tok;
        size_t n = ls->m.n;
        if (ls->bad && (in_block || ls->is_module))
            return snprintf(why, whylen, "bad module path"), -1;
        if (n == 0)
            continue;
        if (in_block) {
            if (n == 1 && modlex_paren(t[0], ')'))
                in_block = 0;
            else if (found++ || n != 1 || take_path(t[0], out, outlen) != 0)
                return snprintf(why, whylen, found > 1 ? "repeated module directive" : "bad module path"), -1;
            continue;
        }
        if (strcmp(t[0], "module") != 0)
            continue;
        if (n == 1) /* x/mod: "usage: module module/path" */
            return snprintf(why, whylen, "module directive without a path"), -1;
        if (n == 2 && modlex_paren(t[1], '(')) {
            in_block = 1;
            continue;
        }
        if (found++ || n != 2 || take_path(t[1], out, outlen) != 0)
            return snprintf(why, whylen, found > 1 ? "repeated module directive" : "bad module path"), -1;
    }
    if (in_block)
        return snprintf(why, whylen, "unterminated module block"), -1;
    if (!found)
        return snprintf(why, whylen, "no module directive"), -1;
    return 0;
}

int modfile_module_path(const char *text, size_t len, char *out, size_t outlen, char *why, size_t whylen)
{
    if (!utf8_ok((const unsigned char *)text, len))
        return snprintf(why, whylen, "not UTF-8 text"), -1;
    lines ls;
    if (lines_open(&ls, text, len) != 0)
        return snprintf(why, whylen, "out of memory"), -1;
    int rc = module_path(&ls, out, outlen, why, whylen);
    free(ls.buf);
    return rc;
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
    lines ls;
    if (lines_open(&ls, text, len) != 0)
        return -1;
    int found = 0, depth = 0, bad = 0;
    while (!bad && lines_next(&ls)) {
        char **t = ls.m.tok;
        size_t n = ls.m.n;
        if (n == 0)
            continue;
        if (modlex_paren(t[n - 1], '(')) {
            ++depth;
            continue;
        }
        if (depth > 0) {
            depth -= n == 1 && modlex_paren(t[0], ')');
            continue;
        }
        if (strcmp(t[0], "go") != 0)
            continue;
        bad = found++ || n != 2 || take_go_version(t[1], t[1] + strlen(t[1]), out, outlen) != 0;
    }
    free(ls.buf);
    return found && !bad ? 0 : -1;
}

int modfile_go_at_least(const char *v, unsigned major, unsigned minor)
{
    char *end;
    unsigned long ma = strtoul(v, &end, 10), mi = 0;
    if (*end == '.')
        mi = strtoul(end + 1, NULL, 10);
    return ma > major || (ma == major && mi >= minor);
}
