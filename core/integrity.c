#include "integrity.h"

#include "audit.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>

static const char *const names[INTEGRITY_EVENTS] = {"sumdb_refused", "pin_refused", "pin_corrected", "quarantined"};

const char *integrity_event_name(integrity_event ev)
{
    return (unsigned)ev < INTEGRITY_EVENTS ? names[ev] : "unknown";
}

void integrity_report(integrity_event ev, const char *module, const char *version, stoa_kind kind, const char *source,
                      const char *msg)
{
    log_msg(STOA_LOG_ERROR, "integrity", "%s: %s", integrity_event_name(ev), msg);
    metrics_integrity(ev);
    audit_event a;
    memset(&a, 0, sizeof(a));
    snprintf(a.action, sizeof(a.action), "integrity");
    snprintf(a.kind, sizeof(a.kind), "%s", kind == STOA_KIND_MOD ? "mod" : "zip");
    snprintf(a.target, sizeof(a.target), "%s", integrity_event_name(ev));
    audit_copy(a.module, sizeof(a.module), module);
    audit_copy(a.version, sizeof(a.version), version);
    audit_copy(a.upstream, sizeof(a.upstream), source);
    audit_copy(a.error, sizeof(a.error), msg);
    audit_emit(&a);
}
