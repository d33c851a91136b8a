/*
 * The .info file the go command reads for a version (the module reference's
 * $base/$module/@v/$version.info): {"Version":"...","Time":"..."} and a newline.
 * Written by publishes, cache imports and the git origin alike.
 */
#ifndef STOA_MODINFO_H
#define STOA_MODINFO_H

#include <stddef.h>
#include <stdint.h>

/* The .info of version into out: Time is time (an RFC 3339 UTC text, as
 * validate_info_time writes it) or, when time is NULL or "", secs as
 * "YYYY-MM-DDTHH:MM:SSZ". Its length, or -1 when it does not fit in len. */
int modinfo_text(const char *version, const char *time, int64_t secs, char *out, size_t len);

#endif
