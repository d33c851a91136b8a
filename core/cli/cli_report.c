#include "cli.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void cli_report(stoa_log_level level, const char *cmd, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (log_is_json())
        log_msg(level, cmd, "%s", msg);
    else
        fprintf(stderr, "stoa %s: %s\n", cmd, msg);
}
