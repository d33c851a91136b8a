#include "integrity.h"

#include "audit.h"
#include "dirs.h"
#include "log.h"
#include "metrics.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

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

int integrity_keep_copy(storage *s, const char *dir, const char *module, const char *version, stoa_kind kind, char *path,
                        size_t len)
{
    stoa_key key = {module, version, kind};
    stoa_object o;
    stoa_error e = {0};
    if (snprintf(path, len, "%s/%s/@v/%s.%s", dir, module, version, kind == STOA_KIND_MOD ? "mod" : "zip") >= (int)len ||
        storage_get(s, &key, 0, &o, &e) != STOA_OK)
        return -1;
    int out = dirs_make_parent(path) == 0 ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : -1;
    off_t off = 0;
    ssize_t n = 0;
    while (out >= 0 && (n = sendfile(out, o.fd, &off, 1u << 20)) > 0)
        ;
    close(o.fd);
    if (out >= 0)
        close(out);
    return out >= 0 && n == 0 ? 0 : -1;
}
