#include "modinfo.h"

#include <stdio.h>
#include <time.h>

int modinfo_text(const char *version, const char *time, int64_t secs, char *out, size_t len)
{
    char utc[32];
    if (time == NULL || time[0] == '\0') {
        time_t t = (time_t)secs;
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL || strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            return -1;
        time = utc;
    }
    int n = snprintf(out, len, "{\"Version\":\"%s\",\"Time\":\"%s\"}\n", version, time);
    return n < 0 || (size_t)n >= len ? -1 : n;
}
