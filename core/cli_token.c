/* stoa token create|list|revoke ...: runs the token plugin's own command, so the
 * store format stays inside the plugin. Uses auth.plugins from the config. */
#include "app.h"
#include "auth.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_token(struct conf *c, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: stoa token create --name N --scope S [--scope S...] [--expires 90d]\n"
                        "       stoa token list\n"
                        "       stoa token revoke N\n");
        return 2;
    }
    app a;
    memset(&a, 0, sizeof(a));
    a.conf = c;
    the_app = &a;
    char err[1024];
    if (c->plugin_dir != NULL)
        snprintf(a.plugin_dir, sizeof(a.plugin_dir), "%s", c->plugin_dir);
    else
        plugin_default_dir(a.plugin_dir, sizeof(a.plugin_dir));
    snprintf(a.tmp_dir, sizeof(a.tmp_dir), "%s", c->tmp_dir != NULL ? c->tmp_dir : "/tmp");
    int rc = auth_open(&a, err, sizeof(err)) == 0 && auth_run_command(&a, "token", argc, argv, err, sizeof(err)) == 0;
    if (!rc)
        fprintf(stderr, "stoa token: %s\n", err);
    auth_close(&a);
    the_app = NULL;
    return rc ? 0 : 1;
}
