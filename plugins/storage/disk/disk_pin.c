/* Pins on disk: one small file per pinned MOD or ZIP under <root>/.pins, apart from the
 * cache tree, so remove() and eviction never reach them (contract S6). */
#include "disk_pin.h"

#include "disk_path.h"
#include "disk_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIN_LINE_MAX 160

static stoa_status pin_path(const disk *d, const stoa_key *key, char *out, size_t len, stoa_error *err)
{
    char obj[PATH_MAX], why[256];
    if (key->kind != STOA_KIND_MOD && key->kind != STOA_KIND_ZIP)
        return stoa_fail(err, STOA_INVALID, "only mod and zip files are pinned");
    if (disk_path(d, key, obj, sizeof(obj), why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_INVALID, "%s", why);
    size_t rl = strlen(d->root);
    if (snprintf(out, len, "%s/.pins%s", d->root, obj + rl) >= (int)len)
        return stoa_fail(err, STOA_INVALID, "pin path too long");
    return STOA_OK;
}

static int pin_parse(const char *line, stoa_pin *p)
{
    char h1[64];
    int state;
    long long at;
    if (sscanf(line, "%63s %d %lld", h1, &state, &at) != 3 || strncmp(h1, "h1:", 3) != 0 || state < STOA_PIN_UNVERIFIED ||
        state > STOA_PIN_UNCHECKED)
        return -1;
    snprintf(p->h1, sizeof(p->h1), "%s", h1);
    p->state = state;
    p->pinned_at = at;
    return 0;
}

/* Reads the pin file name (relative to dir, or a path with AT_FDCWD). 0, or -1 with
 * errno (EILSEQ: not a pin line). */
static int pin_read_at(int dir, const char *name, stoa_pin *p)
{
    char line[PIN_LINE_MAX];
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, line, sizeof(line) - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    line[n] = '\0';
    if (pin_parse(line, p) != 0) {
        errno = EILSEQ;
        return -1;
    }
    return 0;
}

stoa_status disk_pin_get(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err)
{
    char path[PATH_MAX];
    stoa_status st = pin_path(state, key, path, sizeof(path), err);
    if (st != STOA_OK)
        return st;
    stoa_pin p;
    if (pin_read_at(AT_FDCWD, path, &p) != 0)
        return errno == ENOENT || errno == ENOTDIR ? stoa_fail(err, STOA_NOTFOUND, "not pinned")
                                                   : stoa_fail(err, STOA_INTERNAL, "pin %s: %s", path, strerror(errno));
    *out = p;
    return STOA_OK;
}

/* Writes the pin line to a locked temp file; the caller links or renames it. */
static int pin_stage(const disk *d, const stoa_pin *p, char *tmp, size_t len)
{
    char line[PIN_LINE_MAX];
    int n = snprintf(line, sizeof(line), "%s %d %lld\n", p->h1, (int)p->state, (long long)p->pinned_at);
    snprintf(tmp, len, "%s/pin.XXXXXX", d->tmp);
    int fd = disk_tmp_create(tmp);
    if (fd < 0)
        return -1;
    if (write(fd, line, (size_t)n) != n || (d->fsync && fsync(fd) != 0)) {
        int e = errno;
        unlink(tmp);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

stoa_status disk_pin_put(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err)
{
    disk *d = state;
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    stoa_status st = pin_path(d, key, path, sizeof(path), err);
    if (st != STOA_OK)
        return st;
    if (strncmp(pin->h1, "h1:", 3) != 0 || strchr(pin->h1, ' ') != NULL)
        return stoa_fail(err, STOA_INVALID, "malformed pin hash");
    stoa_pin p = *pin, old;
    p.pinned_at = pin_read_at(AT_FDCWD, path, &old) == 0 ? old.pinned_at : (int64_t)time(NULL);
    if (disk_mkparent(path) != 0)
        return stoa_fail(err, errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "pin dir for %s: %s", path, strerror(errno));
    int fd = pin_stage(d, &p, tmp, sizeof(tmp));
    if (fd < 0)
        return stoa_fail(err, errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "pin temp file: %s", strerror(errno));
    int rc = (flags & STOA_PIN_CREATE) ? link(tmp, path) : rename(tmp, path);
    int e = errno;
    unlink(tmp); /* after a link; after a rename it is gone already */
    close(fd);
    if (rc != 0 && e == EEXIST)
        return stoa_fail(err, STOA_CONFLICT, "already pinned");
    if (rc != 0)
        return stoa_fail(err, STOA_INTERNAL, "pin %s: %s", path, strerror(e));
    return STOA_OK;
}

typedef struct pin_walk_ctx {
    int only;
    stoa_pin_cb cb;
    void *arg;
} pin_walk_ctx;

static int walk_pins(void *arg, const char *module, DIR *vd)
{
    pin_walk_ctx *w = arg;
    int stop = 0;
    for (struct dirent *e; !stop && (e = readdir(vd)) != NULL;) {
        size_t l = strlen(e->d_name);
        char esc[256], ver[256];
        stoa_pin p;
        stoa_kind kind = l > 4 && strcmp(e->d_name + l - 4, ".mod") == 0   ? STOA_KIND_MOD
                         : l > 4 && strcmp(e->d_name + l - 4, ".zip") == 0 ? STOA_KIND_ZIP
                                                                              : 0;
        if (kind == 0 || e->d_name[0] == '.' || l - 4 >= sizeof(esc))
            continue;
        snprintf(esc, sizeof(esc), "%.*s", (int)(l - 4), e->d_name);
        if (disk_unescape(esc, ver, sizeof(ver)) == 0 && pin_read_at(dirfd(vd), e->d_name, &p) == 0 &&
            (w->only < 0 || p.state == w->only))
            stop = w->cb(w->arg, module, ver, kind, &p) != 0;
    }
    return stop;
}

stoa_status disk_pin_walk(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err)
{
    disk *d = state;
    char base[PATH_MAX + 8];
    pin_walk_ctx w = {only, cb, arg};
    (void)err;
    snprintf(base, sizeof(base), "%s/.pins", d->root);
    disk_tree_walk(base, walk_pins, &w);
    return STOA_OK;
}
