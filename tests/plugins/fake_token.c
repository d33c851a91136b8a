/*
 * A stand-in for the token auth plugin, so the audit test can produce identities,
 * denials and token changes without depending on the real plugin's store:
 *   Authorization: Bearer bad      -> 401 "token not recognised"
 *   Authorization: Bearer ro-NAME  -> identity token:ro-NAME; 403 for anything but reads
 *   Authorization: Bearer NAME     -> identity token:NAME, allowed
 *   no Authorization               -> abstains
 * Commands: `create --name N ...` and `revoke N` print what they would do.
 */
#include <stoa/auth.h>

#include <stdio.h>
#include <string.h>

static stoa_status fake_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    *state = NULL;
    return STOA_OK;
}

static stoa_status fake_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    size_t len;
    const char *h = req->header(req, "authorization", &len);
    if (h == NULL || len < 8 || strncmp(h, "Bearer ", 7) != 0)
        return STOA_DECLINED;
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(len - 7), h + 7);
    if (strcmp(name, "bad") == 0) {
        snprintf(res->reason, sizeof(res->reason), "token not recognised");
        return STOA_UNAUTHORIZED;
    }
    snprintf(res->identity, sizeof(res->identity), "token:%s", name);
    if (strncmp(name, "ro-", 3) == 0 && req->op != STOA_OP_READ) {
        snprintf(res->reason, sizeof(res->reason), "token %s may only read", name);
        return STOA_DENIED;
    }
    return STOA_OK;
}

static stoa_status fake_command(void *state, int argc, char **argv, FILE *out, stoa_error *err)
{
    if (argc >= 3 && strcmp(argv[0], "create") == 0 && strcmp(argv[1], "--name") == 0)
        return fprintf(out, "created %s\n", argv[2]), STOA_OK;
    if (argc == 2 && strcmp(argv[0], "revoke") == 0)
        return fprintf(out, "revoked %s\n", argv[1]), STOA_OK;
    return stoa_fail(err, STOA_INVALID, "usage: create --name N | revoke N");
}

static const stoa_auth_methods methods = {
    .struct_size = sizeof(stoa_auth_methods),
    .open = fake_open,
    .decide = fake_decide,
    .command = fake_command,
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_AUTH, "token", "test", &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
