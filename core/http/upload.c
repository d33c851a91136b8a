#include "upload.h"

#include "app.h"
#include "http.h"
#include "staging.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int upload_stage(reqctx *rc)
{
    h2o_req_t *req = rc->req;
    int fd = staging_open(the_app->tmp_dir);
    if (fd >= 0 && staging_write(fd, req->entity.base, req->entity.len) == 0)
        return fd;
    int e = errno;
    if (fd >= 0)
        close(fd);
    http_send_text(rc, e == ENOSPC || e == EDQUOT || e == EFBIG ? 507 : 500, "cannot stage the upload: %s", strerror(e));
    return -1;
}

int upload_info_time(reqctx *rc, char out[VALIDATE_TIME_MAX])
{
    size_t l;
    const char *v = http_header(rc->req, "x-stoa-info-time", &l);
    char raw[64];
    int64_t secs;
    out[0] = '\0';
    if (v == NULL)
        return 0;
    if (l < sizeof(raw)) {
        memcpy(raw, v, l);
        raw[l] = '\0';
        if (validate_info_time(raw, out, VALIDATE_TIME_MAX, &secs) == 0 && secs <= (int64_t)time(NULL) + 60)
            return 0;
    }
    http_send_text(rc, 400, "X-Stoa-Info-Time must be an RFC 3339 time not ahead of the clock, like 2019-03-04T05:06:07Z");
    return -1;
}
