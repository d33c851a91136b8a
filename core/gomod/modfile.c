#include "modfile.h"
#include "utf8.h"

#include <stdio.h>
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

/* The path argument [b, e): bare, "quoted" (no escapes) or `raw`. */
static int take_path(const char *b, const char *e, char *out, size_t outlen)
{
    if (b < e && (*b == '"' || *b == '`')) {
        if (e - b < 2 || e[-1] != *b || memchr(b + 1, '\\', (size_t)(e - b - 2)) != NULL)
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
    for (const char *line = text, *end = text + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line)), *b = line, *e = nl != NULL ? nl : end;
        line = nl != NULL ? nl + 1 : end;
        trim(&b, &e);
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
