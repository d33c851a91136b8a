/* /metrics in the Prometheus text format. */
#include "handlers.h"
#include "metrics.h"

#include <stdlib.h>

int handler_metrics(reqctx *rc)
{
    size_t len;
    char *text = metrics_render(&len);
    if (text == NULL)
        return http_send_text(rc, 503, "out of memory rendering metrics"), 0;
    http_send_body(rc, 200, "text/plain; version=0.0.4; charset=utf-8", "no-store", text, len);
    free(text);
    return 0;
}
