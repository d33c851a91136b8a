#include "disk_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int disk_escape(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in; ++in) {
        if (o + 3 > len)
            return -1;
        if (*in >= 'A' && *in <= 'Z') {
            out[o++] = '!';
            out[o++] = (char)(*in - 'A' + 'a');
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
    return 0;
}

int disk_unescape(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in; ++in) {
        if (o + 2 > len)
            return -1;
        if (*in == '!') {
            if (in[1] < 'a' || in[1] > 'z')
                return -1;
            out[o++] = (char)(*++in - 'a' + 'A');
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
    return 0;
}

/* No element may be empty, start with '.', or hold a backslash; no absolute paths.
 * The core validates first; this is the plugin's own guarantee that nothing leaves
 * root. */
static int safe_rel(const char *p, int allow_slash)
{
    if (p == NULL || *p == '\0' || *p == '/' || strchr(p, '\\') != NULL)
        return 0;
    if (!allow_slash && strchr(p, '/') != NULL)
        return 0;
    for (const char *e = p; *e;) {
        const char *end = strchr(e, '/');
        size_t n = end != NULL ? (size_t)(end - e) : strlen(e);
        if (n == 0 || e[0] == '.')
            return 0;
        e += n + (end != NULL);
    }
    return 1;
}

static const char *ext(stoa_kind k)
{
    return k == STOA_KIND_INFO ? "info" : k == STOA_KIND_MOD ? "mod" : "zip";
}

int disk_version_dir(const disk *d, const char *module, char *out, size_t len, char *why, size_t whylen)
{
    char esc[PATH_MAX];
    if (!safe_rel(module, 1) || strncmp(module, "sumdb/", 6) == 0 || disk_escape(module, esc, sizeof(esc)) != 0)
        return snprintf(why, whylen, "unsafe module path \"%.200s\"", module), -1;
    if (snprintf(out, len, "%s/%s/@v", d->root, esc) >= (int)len)
        return snprintf(why, whylen, "path too long"), -1;
    return 0;
}

int disk_path(const disk *d, const stoa_key *key, char *out, size_t len, char *why, size_t whylen)
{
    char dir[PATH_MAX];
    int n;
    switch (key->kind) {
    case STOA_KIND_SUMDB_TILE:
    case STOA_KIND_SUMDB_LATEST:
        if (!safe_rel(key->module, 1) || (key->kind == STOA_KIND_SUMDB_TILE && !safe_rel(key->version, 1)))
            return snprintf(why, whylen, "unsafe checksum database path"), -1;
        n = key->kind == STOA_KIND_SUMDB_TILE ? snprintf(out, len, "%s/sumdb/%s/%s", d->root, key->module, key->version)
                                              : snprintf(out, len, "%s/sumdb/%s/latest", d->root, key->module);
        break;
    case STOA_KIND_LIST:
    case STOA_KIND_LATEST:
        if (disk_version_dir(d, key->module, dir, sizeof(dir), why, whylen) != 0)
            return -1;
        n = key->kind == STOA_KIND_LIST ? snprintf(out, len, "%s/list", dir) : snprintf(out, len, "%.*s@latest",
                                                                                       (int)(strlen(dir) - 2), dir);
        break;
    case STOA_KIND_INFO:
    case STOA_KIND_MOD:
    case STOA_KIND_ZIP: {
        char ver[256];
        if (disk_version_dir(d, key->module, dir, sizeof(dir), why, whylen) != 0)
            return -1;
        if (!safe_rel(key->version, 0) || disk_escape(key->version, ver, sizeof(ver)) != 0)
            return snprintf(why, whylen, "unsafe version \"%.100s\"", key->version ? key->version : ""), -1;
        n = snprintf(out, len, "%s/%s.%s", dir, ver, ext(key->kind));
        break;
    }
    default: return snprintf(why, whylen, "unknown object kind %d", (int)key->kind), -1;
    }
    if (n < 0 || (size_t)n >= len)
        return snprintf(why, whylen, "path too long"), -1;
    return 0;
}

/* Deepest first: on a fill the parents nearly always exist, so this is one mkdir(2)
 * rather than one per path component (each a lookup from the root). */
static int mkdirs(char *dir)
{
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    char *slash = strrchr(dir, '/');
    if (errno != ENOENT || slash == NULL || slash == dir)
        return -1;
    *slash = '\0';
    int made = mkdirs(dir);
    *slash = '/';
    return made == 0 && (mkdir(dir, 0750) == 0 || errno == EEXIST) ? 0 : -1;
}

int disk_mkparent(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return errno = ENAMETOOLONG, -1;
    char *slash = strrchr(buf, '/');
    if (slash == NULL || slash == buf)
        return 0;
    *slash = '\0';
    return mkdirs(buf);
}

int disk_tmp_create(char *tmpl)
{
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        unlink(tmpl);
        close(fd);
        return -1;
    }
    return fd;
}
