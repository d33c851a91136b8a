/* libFuzzer target: the go.mod tokenizer (modlex) and the directives read with it
 * (modfile). Input: one line, or with a leading '\n' a whole go.mod. Properties: plain
 * mode splits exactly at blanks; without quotes, go.mod mode equals a reference split
 * (parens apart, // ends the line); an accepted line never decodes to more bytes than
 * it had; a module path modfile accepts is not empty and holds no blank. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "modfile.h"
#include "modlex.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The reference: tokens of s joined by '\n' (parens as tokens when gomod). */
static void reference(const char *s, int gomod, char *out, size_t outlen)
{
    size_t o = 0, n = 0;
    out[0] = '\0';
    for (const char *p = s; *p != '\0';) {
        if (blank(*p)) {
            ++p;
            continue;
        }
        if (gomod && p[0] == '/' && p[1] == '/')
            break;
        size_t len = 1;
        if (!gomod || (*p != '(' && *p != ')'))
            for (len = 0; p[len] != '\0' && !blank(p[len]) &&
                          !(gomod && (p[len] == '(' || p[len] == ')' || (p[len] == '/' && p[len + 1] == '/')));)
                ++len;
        o += (size_t)snprintf(out + o, outlen - o, "%s%.*s", n++ ? "\n" : "", (int)len, p);
        p += len;
    }
}

static void joined(const modlex *m, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m->n; ++i)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "\n" : "", m->tok[i]);
}

static void one_line(const char *in)
{
    static char line[4096], want[8192], got[8192];
    const char *why;
    modlex m;
    for (int plain = 0; plain <= 1; ++plain) {
        memcpy(line, in, strlen(in) + 1);
        int rc = modlex_line(line, plain, &m, &why);
        size_t total = 0;
        for (size_t i = 0; rc == 0 && i < m.n; ++i)
            total += strlen(m.tok[i]);
        if (rc == 0 && total > strlen(in))
            abort();
        if (plain || (strchr(in, '"') == NULL && strchr(in, '`') == NULL)) {
            reference(in, !plain, want, sizeof(want));
            if (rc != 0) {
                if (strcmp(why, "too many fields") != 0)
                    abort();
                continue;
            }
            joined(&m, got, sizeof(got));
            if (strcmp(got, want) != 0)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char in[4096], path[512];
    char why[256];
    if (fuzz_cstr(data, size, in, sizeof(in)) != 0)
        return 0;
    if (in[0] != '\n') {
        if (strchr(in, '\n') == NULL)
            one_line(in);
        return 0;
    }
    if (modfile_module_path(in + 1, size - 1, path, sizeof(path), why, sizeof(why)) == 0 &&
        (path[0] == '\0' || strpbrk(path, " \t\r\n") != NULL))
        abort();
    char v[64];
    if (modfile_go_version(in + 1, size - 1, v, sizeof(v)) == 0 && (v[0] < '1' || v[0] > '9'))
        abort();
    return 0;
}
