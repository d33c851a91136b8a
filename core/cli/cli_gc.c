/* stoa gc [--dry-run]: enforces cache.max_size once (core/fill/quota.h) against the
 * configured storage, with the recency the server saved; --dry-run only lists what
 * would go. Then, unless --dry-run, asks the storage plugin to remove its own garbage
 * (storage_gc: for pgs3, S3 bodies no row refers to, such as a crash between upload
 * and commit leaves, or eviction just unreferenced). Safe beside a running server:
 * eviction removes whole versions through the storage plugin, whose removals are
 * atomic, and the plugin's gc never removes what a put is committing. */
#include "cli.h"
#include "conf.h"
#include "plugin.h"
#include "quota.h"
#include "storage.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static int collect(storage *s)
{
    stoa_gc_stats stats;
    stoa_error err = {0};
    if (storage_gc(s, &stats, &err) != STOA_OK)
        return cli_report(STOA_LOG_ERROR, "gc", "%s", err.msg), 1;
    printf("storage garbage: examined %llu, removed %llu object(s), %llu bytes\n", (unsigned long long)stats.examined,
           (unsigned long long)stats.removed, (unsigned long long)stats.removed_bytes);
    return 0;
}

int cli_gc(app *a, int argc, char **argv)
{
    const struct conf *c = a->conf;
    int dry_run = 0;
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = 1;
        else
            return fprintf(stderr, "usage: stoa gc [--dry-run] [--config FILE]\n"), 2;
    }
    char recency[PATH_MAX + 16];
    snprintf(recency, sizeof(recency), "%s/recency", a->tmp_dir);
    if (quota_load(recency) != 0)
        cli_report(STOA_LOG_WARN, "gc", "ignoring unreadable %s", recency);
    storage *s = &a->store;
    stoa_error err = {0};
    int rc = 0;
    if (c->cache_max_size == 0) {
        printf("no cache.max_size configured: nothing to evict\n");
    } else {
        quota_report rep;
        if (quota_enforce(s, c->cache_max_size, dry_run, stdout, &rep, &err) != STOA_OK) {
            cli_report(STOA_LOG_ERROR, "gc", "%s", err.msg);
            rc = 1;
        } else {
            printf("%s %zu of %zu cache entries (versions, lists, tiles), %llu bytes; proxied content %llu bytes, limit %llu; published %llu bytes "
                   "(never evicted)\n",
                   dry_run ? "would evict" : "evicted", rep.evicted, rep.entries, (unsigned long long)rep.evicted_bytes,
                   (unsigned long long)rep.proxied_bytes, (unsigned long long)c->cache_max_size,
                   (unsigned long long)rep.published_bytes);
        }
    }
    if (rc == 0 && !dry_run)
        rc = collect(s);
    return rc;
}
