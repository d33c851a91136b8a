/* DELETE <base>/<module>/@v/<version>.(zip|mod|info): removes the whole version. An
 * admin operation (the router has checked the admin scope); logged with identity. */
#include "app.h"
#include "handlers.h"
#include "log.h"
#include "task.h"

#include <stdio.h>

typedef struct delete_task {
    task t;
    char module[MODPATH_MAX + 1];
    char version[SEMVER_MAX + 1];
    stoa_status st;
    stoa_error err;
} delete_task;

static void delete_work(task *t)
{
    delete_task *d = (delete_task *)t;
    d->st = storage_remove(&the_app->store, d->module, d->version, &d->err);
}

static void delete_cont(task *t, reqctx *rc)
{
    delete_task *d = (delete_task *)t;
    if (d->st == STOA_NOTFOUND) {
        http_send_text(rc, 404, "%s@%s is not stored here", d->module, d->version);
        return;
    }
    if (d->st != STOA_OK) {
        http_send_error(rc, &d->err);
        return;
    }
    log_msg(STOA_LOG_WARN, "admin", "%s deleted %s@%s", rc->identity[0] ? rc->identity : "anonymous", d->module, d->version);
    http_send_text(rc, 200, "deleted %s@%s", d->module, d->version);
}

int handler_delete(reqctx *rc)
{
    if (!rc->r.canonical)
        return http_send_text(rc, 400, "delete needs a canonical version"), 0;
    delete_task *d = (delete_task *)task_new(rc, sizeof(*d), delete_work, delete_cont, NULL);
    if (d == NULL)
        return http_send_text(rc, 503, "out of memory"), 0;
    snprintf(d->module, sizeof(d->module), "%s", rc->r.module);
    snprintf(d->version, sizeof(d->version), "%s", rc->r.version);
    task_submit(&d->t, POOL_WORK);
    return 0;
}
