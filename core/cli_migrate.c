/* stoa migrate [--dsn DSN] [--dir DIR]: applies the missing numbered SQL files of
 * migrations/ to PostgreSQL (core/migrate.h). The DSN defaults to
 * storage.options.dsn; the directory to the first of ./migrations,
 * <binary>/../migrations and /usr/share/stoa/migrations that exists. */
#include "cli.h"
#include "conf.h"
#include "migrate.h"
#include "plugin.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *default_dir(char *buf, size_t len)
{
    if (is_dir("migrations"))
        return "migrations";
    char plugins[PATH_MAX];
    if (plugin_default_dir(plugins, sizeof(plugins)) == 0 &&
        snprintf(buf, len, "%s/../../migrations", plugins) < (int)len && is_dir(buf))
        return buf;
    if (plugin_default_dir(plugins, sizeof(plugins)) == 0 && snprintf(buf, len, "%s/../migrations", plugins) < (int)len &&
        is_dir(buf))
        return buf;
    return "/usr/share/stoa/migrations";
}

int cli_migrate(struct conf *c, int argc, char **argv)
{
    /* audit.dsn: disk storage with the audit log in PostgreSQL */
    const char *dsn = conf_option(&c->storage, "dsn", c->audit_dsn), *dir = NULL;
    char buf[PATH_MAX + 32], err[1024];
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--dsn") == 0 && i + 1 < argc)
            dsn = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else
            return fprintf(stderr, "usage: stoa migrate [--dsn DSN] [--dir DIR]\n"), 2;
    }
    if (dsn == NULL)
        return fprintf(stderr, "stoa migrate: no database: pass --dsn or set storage.options.dsn\n"), 2;
    if (dir == NULL)
        dir = default_dir(buf, sizeof(buf));
    if (migrate_apply(dsn, dir, stdout, err, sizeof(err)) != 0)
        return fprintf(stderr, "stoa migrate: %s\n", err), 1;
    return 0;
}
