/* Token scopes: "OP:PATTERNS" words, admin > publish > read. */
#include "token.h"

#include <stdio.h>
#include <string.h>

const char *token_op_name(stoa_op op)
{
    return op == STOA_OP_READ ? "read" : op == STOA_OP_PUBLISH ? "publish" : op == STOA_OP_ADMIN ? "admin" : "?";
}

/* Rank of the op named by s[0..len), 0 if none. */
static int op_rank(const char *s, size_t len)
{
    static const char *const names[] = {"read", "publish", "admin"};
    for (int i = 0; i < 3; ++i)
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
            return i + 1;
    return 0;
}

/* Splits one scope word into op rank and patterns ("*" when absent). */
static int split(const char *w, size_t wl, char *patterns, size_t plen)
{
    const char *colon = memchr(w, ':', wl);
    size_t ol = colon != NULL ? (size_t)(colon - w) : wl;
    int rank = op_rank(w, ol);
    if (colon == NULL)
        snprintf(patterns, plen, "*");
    else
        snprintf(patterns, plen, "%.*s", (int)(wl - ol - 1), colon + 1);
    return rank;
}

static int valid_patterns(const char *p)
{
    if (*p == '\0' || *p == ',' || p[strlen(p) - 1] == ',' || strstr(p, ",,") != NULL)
        return 0;
    for (; *p; ++p)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

int token_scopes_valid(const char *scopes, char *why, size_t whylen)
{
    size_t count = 0;
    for (const char *w = scopes; *w;) {
        size_t wl = strcspn(w, " ");
        if (wl > 0) {
            char pat[TOKEN_SCOPES_MAX];
            if (split(w, wl, pat, sizeof(pat)) == 0 || !valid_patterns(pat)) {
                snprintf(why, whylen, "bad scope '%.*s': expected read, publish or admin, optionally with "
                         ":PATTERNS (comma-separated globs, e.g. publish:corp.example.com/*)", (int)wl, w);
                return -1;
            }
            ++count;
        }
        w += wl + (w[wl] == ' ');
    }
    if (count == 0)
        return snprintf(why, whylen, "a token needs at least one scope (e.g. --scope read)"), -1;
    return 0;
}

/* "*" alone, or "*" as one of the comma-separated patterns. */
static int unrestricted(const char *patterns)
{
    for (const char *p = patterns; *p;) {
        size_t l = strcspn(p, ",");
        if (l == 1 && *p == '*')
            return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

int token_scopes_allow(const char *scopes, stoa_op op, const char *module, token_match_fn match)
{
    int need = op_rank(token_op_name(op), strlen(token_op_name(op)));
    for (const char *w = scopes; *w;) {
        size_t wl = strcspn(w, " ");
        char pat[TOKEN_SCOPES_MAX];
        int rank = wl > 0 ? split(w, wl, pat, sizeof(pat)) : 0;
        if (rank >= need && need > 0) {
            if (module == NULL ? (op != STOA_OP_ADMIN || unrestricted(pat)) : match(pat, module))
                return 1;
        }
        w += wl + (w[wl] == ' ');
    }
    return 0;
}
