/* stoa migrate [--dsn DSN] [--dir DIR]: applies the missing numbered SQL files of
 * migrations/ to PostgreSQL (core/base/migrate.h). The DSN defaults to
 * storage.options.dsn; the directory to migrate_find_dir(). */
#include "cli.h"
#include "conf.h"
#include "migrate.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int cli_migrate(app *a, int argc, char **argv)
{
    const struct conf *c = a->conf;
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
    if (dir == NULL && (dir = migrate_find_dir(buf, sizeof(buf))) == NULL)
        return fprintf(stderr, "stoa migrate: cannot find the migrations directory: pass --dir\n"), 2;
    if (migrate_apply(dsn, dir, stdout, err, sizeof(err)) != 0)
        return cli_report(STOA_LOG_ERROR, "migrate", "%s", err), 1;
    return 0;
}
