/* Request handlers, one file each; each answers (now or later) and returns 0. */
#ifndef STOA_HANDLERS_H
#define STOA_HANDLERS_H

#include "fill.h"
#include "http.h"

int handler_module(reqctx *rc);  /* .info .mod .zip   handler_module.c */
int handler_list(reqctx *rc);    /* @v/list and @latest   handler_list.c */
int handler_status(reqctx *rc);  /* healthz readyz version   handler_status.c */
int handler_catalog(reqctx *rc); /* catalog index     handler_catalog.c */
int handler_ui(reqctx *rc);      /* ui_home ui_module handler_ui.c */
int handler_publish(reqctx *rc); /* PUT of .zip .mod .info   handler_publish.c */
int handler_delete(reqctx *rc);  /* DELETE of a version      handler_delete.c */
int handler_import(reqctx *rc);  /* PUT .zip, X-Stoa-Import: cache   handler_import.c */
int handler_sumdb(reqctx *rc);   /* /sumdb/<name>/...        handler_sumdb.c */
int handler_admin(reqctx *rc);   /* /admin/...               handler_admin.c */
int handler_metrics(reqctx *rc); /* /metrics                 handler_metrics.c */
int handler_artifactory(reqctx *rc);

/* Answers 503 for a refused fill_join (handler_module.c). */
void answer_fill_busy(reqctx *rc, fill_join_result why); /* api/system/version|ping, api/build   handler_artifactory.c */

/* Cache-Control values. */
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"

#endif
