/* stoa token create|list|revoke ...: runs the token plugin's own command, so the
 * store format stays inside the plugin. Uses auth.plugins from the config.
 * create and revoke are recorded in the audit log (synchronously, before exit); a
 * change that cannot be recorded is not made. */
#include "app.h"
#include "audit.h"
#include "auth.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The token a create/revoke acts on: `create --name N` / `--name=N`, `revoke N`. */
static const char *token_name(int argc, char **argv)
{
    if (strcmp(argv[0], "revoke") == 0)
        return argc > 1 ? argv[1] : "";
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--name=", 7) == 0)
            return argv[i] + 7;
    }
    return "";
}

static void audit_change(int argc, char **argv, int ok, const char *err)
{
    audit_event ev;
    char action[sizeof(ev.action)];
    snprintf(action, sizeof(action), "token.%s", argv[0]);
    audit_event_cli(&ev, action, "token");
    snprintf(ev.target, sizeof(ev.target), "token:%s", token_name(argc, argv));
    ev.status = ok ? 0 : 1;
    if (!ok)
        audit_copy(ev.error, sizeof(ev.error), err);
    audit_emit(&ev);
}

int cli_token(app *a, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: stoa token create --name N --scope S [--scope S...] [--expires 90d]\n"
                        "       stoa token list\n"
                        "       stoa token revoke N\n");
        return 2;
    }
    int change = strcmp(argv[0], "create") == 0 || strcmp(argv[0], "revoke") == 0;
    if (change && a->audit_error[0] != '\0') {
        cli_report(STOA_LOG_ERROR, "token", "the change would not be audited, so it is not made: %s", a->audit_error);
        return 1;
    }
    char err[1024];
    int rc = auth_run_command(a, "token", argc, argv, err, sizeof(err)) == 0;
    if (!rc)
        cli_report(STOA_LOG_ERROR, "token", "%s", err);
    if (change)
        audit_change(argc, argv, rc, err);
    return rc ? 0 : 1;
}
