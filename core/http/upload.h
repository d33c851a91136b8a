/*
 * What the two module PUTs (handler_publish.c, handler_import.c) take from a request
 * the same way: the body into a staging file, and X-Stoa-Info-Time. Loop thread.
 */
#ifndef STOA_UPLOAD_H
#define STOA_UPLOAD_H

#include "reqctx.h"
#include "validate.h"

/* The request body in a new staging file (offset at its end), or -1 once the error
 * (507 for a full disk, 500) has been sent. */
int upload_stage(reqctx *rc);

/* X-Stoa-Info-Time: the Time the version's .info is to say instead of now, so that
 * `stoa import` carries a version's time over from another proxy; never a time ahead of
 * the clock (a minute of skew allowed). 0 with it in UTC in out ("" without the header),
 * or -1 once a 400 has been sent. */
int upload_info_time(reqctx *rc, char out[VALIDATE_TIME_MAX]);

#endif
