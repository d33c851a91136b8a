/* stoa token create|list|revoke: the plugin's command method. */
#include "token.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                                                       \
    "usage: stoa token create --name NAME --scope SCOPE [--scope SCOPE...] [--expires 90d]\n"                      \
    "       stoa token list\n"                                                                                      \
    "       stoa token revoke NAME\n"                                                                               \
    "SCOPE is read, publish or admin, optionally limited to patterns: 'publish:corp.example.com/*'"

int token_parse_duration(const char *s, int64_t *secs)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    int64_t unit = 0;
    if (end == s || v <= 0 || end[0] == '\0' || end[1] != '\0')
        return -1;
    switch (*end) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return -1;
    }
    if (v > INT64_MAX / unit / 2)
        return -1;
    *secs = v * unit;
    return 0;
}

static stoa_status create(token_store *st, int argc, char **argv, FILE *out, stoa_error *err)
{
    token_entry e;
    memset(&e, 0, sizeof(e));
    size_t used = 0;
    for (int i = 1; i < argc; i += 2) { /* --option value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return stoa_fail(err, STOA_INVALID, "%s needs a value\n%s", argv[i], USAGE);
        if (strcmp(argv[i], "--name") == 0) {
            if (!token_name_valid(v))
                return stoa_fail(err, STOA_INVALID, "--name: 1 to 64 letters, digits, '.', '_' or '-'");
            snprintf(e.name, sizeof(e.name), "%s", v);
        } else if (strcmp(argv[i], "--scope") == 0) {
            int n = snprintf(e.scopes + used, sizeof(e.scopes) - used, "%s%s", used ? " " : "", v);
            if (n < 0 || (size_t)n >= sizeof(e.scopes) - used)
                return stoa_fail(err, STOA_INVALID, "--scope: too many or too long scopes");
            used += (size_t)n;
        } else if (strcmp(argv[i], "--expires") == 0) {
            if (token_parse_duration(v, &e.expires) != 0)
                return stoa_fail(err, STOA_INVALID, "--expires: expected a duration like 90d, 12h, 30m, 2w, got '%s'", v);
        } else {
            return stoa_fail(err, STOA_INVALID, "unknown option '%s'\n%s", argv[i], USAGE);
        }
    }
    char why[384];
    if (e.name[0] == '\0')
        return stoa_fail(err, STOA_INVALID, "--name is required\n%s", USAGE);
    if (token_scopes_valid(e.scopes, why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "--scope: %s", why);
    e.created = (int64_t)time(NULL);
    e.expires = e.expires ? e.created + e.expires : 0;
    char tok[TOKEN_LEN + 1];
    if (token_generate(tok) != 0)
        return stoa_fail(err, STOA_INTERNAL, "no randomness available for a token");
    token_hash(tok, strlen(tok), e.hash);
    stoa_status rc = st->ops->add(st, &e, err);
    if (rc == STOA_OK) {
        char exp[32];
        token_time_text(e.expires, exp, sizeof(exp));
        fprintf(out, "%s\n# token '%s' (scopes: %s; expires: %s). It is shown only this once: stoa keeps just a hash.\n",
                tok, e.name, e.scopes, e.expires ? exp : "never");
    }
    OPENSSL_cleanse(tok, sizeof(tok));
    return rc;
}

static stoa_status list(token_store *st, FILE *out, stoa_error *err)
{
    token_set s;
    if (st->ops->load(st, &s, err) != STOA_OK)
        return err->status;
    int64_t now = (int64_t)time(NULL);
    fprintf(out, "%-24s %-8s %-20s %-20s %s\n", "NAME", "STATUS", "CREATED", "EXPIRES", "SCOPES");
    for (size_t i = 0; i < s.n; ++i) {
        const token_entry *e = &s.items[i];
        char c[32], x[32];
        token_time_text(e->created, c, sizeof(c));
        token_time_text(e->expires, x, sizeof(x));
        const char *status = e->revoked ? "revoked" : e->expires && e->expires <= now ? "expired" : "active";
        fprintf(out, "%-24s %-8s %-20s %-20s %s\n", e->name, status, c, x, e->scopes);
    }
    token_set_free(&s);
    return STOA_OK;
}

stoa_status token_cli(token_store *st, int argc, char **argv, FILE *out, stoa_error *err)
{
    if (argc >= 1 && strcmp(argv[0], "create") == 0)
        return create(st, argc, argv, out, err);
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return list(st, out, err);
    if (argc == 2 && strcmp(argv[0], "revoke") == 0) {
        stoa_status rc = st->ops->revoke(st, argv[1], (int64_t)time(NULL), err);
        if (rc == STOA_OK)
            fprintf(out, "revoked token '%s'; it stops working within the store's refresh interval\n", argv[1]);
        return rc;
    }
    return stoa_fail(err, STOA_INVALID, "%s", USAGE);
}
