/* One table mapping stoa_status to HTTP status, reason phrase and log level. */
#ifndef STOA_STATUS_H
#define STOA_STATUS_H

#include <stoa/stoa.h>

int status_http(stoa_status s);
const char *status_reason(int http_status);
stoa_log_level status_log_level(stoa_status s);
const char *status_name(stoa_status s);

#endif
