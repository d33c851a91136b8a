#include "boot.h"

#include "audit.h"
#include "auth.h"
#include "dirs.h"
#include "log.h"
#include "migrate.h"
#include "upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TMP_DIR "./stoa-data/tmp"

/* A storage backend with a database (pgs3) must not run on a schema older than the
 * migrations this binary ships: refuse to start and say what to run. */
static int check_schema(const struct conf *c, char *err, size_t errlen)
{
    const char *dsn = conf_option(&c->storage, "dsn", NULL);
    char buf[PATH_MAX + 32], why[1024];
    if (dsn == NULL)
        return 0;
    const char *dir = migrate_find_dir(buf, sizeof(buf));
    if (dir == NULL) {
        log_msg(STOA_LOG_WARN, "stoa", "no migrations directory found: cannot check the database schema");
        return 0;
    }
    if (migrate_check(dsn, dir, why, sizeof(why)) != 0)
        return snprintf(err, errlen, "storage: %s", why), -1;
    return 0;
}

static int open_storage(app *a, const struct conf *c, char *err, size_t errlen)
{
    if (dirs_make(a->tmp_dir) != 0)
        return snprintf(err, errlen, "tmp_dir %s: %s", a->tmp_dir, strerror(errno)), -1;
    if (check_schema(c, err, errlen) != 0)
        return -1;
    stoa_error e = {0};
    if (storage_open(&a->store, a->plugin_dir, &c->storage, a->tmp_dir, &e) != STOA_OK)
        return snprintf(err, errlen, "storage: %s", e.msg), -1;
    a->opened |= BOOT_STORAGE;
    return 0;
}

static int open_parts(app *a, struct conf *c, unsigned parts, char *err, size_t errlen)
{
    if ((parts & BOOT_STORAGE) && open_storage(a, c, err, errlen) != 0)
        return -1;
    if (parts & BOOT_AUTH) {
        a->opened |= BOOT_AUTH; /* auth_close undoes a partial open */
        if (auth_open(a, err, errlen) != 0)
            return -1;
    }
    if (parts & (BOOT_AUDIT | BOOT_AUDIT_ASYNC)) {
        a->opened |= BOOT_AUDIT;
        int async = (parts & BOOT_AUDIT_ASYNC) != 0;
        if (audit_open(c, async, a->audit_error, sizeof(a->audit_error)) != 0 && async)
            return snprintf(err, errlen, "%s", a->audit_error), -1;
    }
    if (parts & BOOT_UPSTREAMS) {
        if (upstream_init(c) != 0)
            return snprintf(err, errlen, "cannot initialise the HTTP client"), -1;
        a->opened |= BOOT_UPSTREAMS;
    }
    return 0;
}

int boot_open(app *a, struct conf *c, unsigned parts, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->conf = c;
    a->started = time(NULL);
    the_app = a;
    snprintf(a->tmp_dir, sizeof(a->tmp_dir), "%s", c->tmp_dir != NULL ? c->tmp_dir : DEFAULT_TMP_DIR);
    if (c->plugin_dir != NULL)
        snprintf(a->plugin_dir, sizeof(a->plugin_dir), "%s", c->plugin_dir);
    else if ((parts & (BOOT_STORAGE | BOOT_AUTH)) && plugin_default_dir(a->plugin_dir, sizeof(a->plugin_dir)) != 0)
        return snprintf(err, errlen, "cannot find the plugin directory: set plugin_dir"), -1;
    return open_parts(a, c, parts, err, errlen);
}

void boot_close(app *a)
{
    if (a->opened & BOOT_UPSTREAMS)
        upstream_shutdown();
    if (a->opened & BOOT_AUDIT)
        audit_close();
    if (a->opened & BOOT_AUTH)
        auth_close(a);
    if (a->opened & BOOT_STORAGE)
        storage_close(&a->store);
    conf_free(a->conf);
    for (size_t i = 0; i < a->nretired; ++i)
        conf_free(a->retired[i]);
    free(a->retired);
    the_app = NULL;
}
