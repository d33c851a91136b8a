/* libFuzzer target: the token plugin's parsers of what clients send and what the store
 * holds: Authorization / X-JFrog-Art-Api values, base64, scope lists and the token file.
 * Properties: a found credential fits and has no NUL; a refusal's reason never repeats
 * the header value (it may hold a secret); a token file that parses formats to text that
 * parses to the same entries. The first input byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "modpath.h"
#include "token.h"

static void cred(const char *name, const char *v, size_t len)
{
    char out[TOKEN_CRED_MAX], why[256] = "";
    token_cred_result r = token_cred_parse(name, v, len, out, why, sizeof(why));
    if (r == TOKEN_CRED_FOUND && strlen(out) >= TOKEN_CRED_MAX)
        abort();
    if (r == TOKEN_CRED_MALFORMED && len >= 16 && memmem(why, strlen(why), v, len) != NULL)
        abort();
}

static void file(const char *text, size_t len)
{
    token_set a = {0}, b = {0};
    stoa_error err = {0};
    if (token_file_parse("fuzz", text, len, &a, &err) == 0) {
        char *again = token_file_format(&a);
        if (again == NULL || token_file_parse("again", again, strlen(again), &b, &err) != 0 || b.n != a.n)
            abort();
        for (size_t i = 0; i < a.n; ++i)
            if (memcmp(a.hashes[i], b.hashes[i], 32) != 0)
                abort();
        free(again);
    }
    token_set_free(&a);
    token_set_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s[8192];
    unsigned char dec[1024];
    char why[256];
    if (size < 1 || size > sizeof(s) - 1)
        return 0;
    const char *v = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 5) {
    case 0: cred("authorization", v, len); break;
    case 1: cred("x-jfrog-art-api", v, len); break;
    case 2:
        if (token_base64_decode(v, len, dec, sizeof(dec)) > (long)sizeof(dec))
            abort();
        break;
    case 3:
        if (fuzz_cstr(data + 1, len, s, sizeof(s)) == 0 && token_scopes_valid(s, why, sizeof(why)) == 0)
            for (int op = 1; op <= 3; ++op)
                (void)token_scopes_allow(s, (stoa_op)op, op == 3 ? NULL : "corp.example.com/x", modpath_match_patterns);
        break;
    default: file(v, len);
    }
    return 0;
}
