/*
 * The token file: text, one token per line, hashes only.
 *
 *   # stoa tokens v1
 *   NAME SHA256-HEX CREATED EXPIRES REVOKED SCOPE [SCOPE...]
 *
 * Times are unix seconds, 0 for "never" / "not revoked". Lines starting with '#' after
 * the first are comments. Written whole to a temp file and renamed over the old one,
 * so a reader never sees half a file.
 */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE_MAGIC "# stoa tokens v1"
#define TOKEN_FILE_MAX (16u << 20)

static int parse_time(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Parses one data line (NUL-terminated, modified in place). */
static int parse_line(char *line, token_entry *e, const char **why)
{
    char *save = NULL, *f[5];
    for (int i = 0; i < 5; ++i)
        if ((f[i] = strtok_r(i == 0 ? line : NULL, " ", &save)) == NULL)
            return *why = "expected NAME HASH CREATED EXPIRES REVOKED SCOPE...", -1;
    memset(e, 0, sizeof(*e));
    if (!token_name_valid(f[0]))
        return *why = "bad token name", -1;
    snprintf(e->name, sizeof(e->name), "%s", f[0]);
    if (token_hash_from_hex(f[1], e->hash) != 0)
        return *why = "hash is not 64 lower-case hex digits", -1;
    if (parse_time(f[2], &e->created) || parse_time(f[3], &e->expires) || parse_time(f[4], &e->revoked))
        return *why = "times must be unix seconds", -1;
    size_t used = 0;
    for (char *s; (s = strtok_r(NULL, " ", &save)) != NULL;) {
        int n = snprintf(e->scopes + used, sizeof(e->scopes) - used, "%s%s", used ? " " : "", s);
        if (n < 0 || (size_t)n >= sizeof(e->scopes) - used)
            return *why = "scopes too long", -1;
        used += (size_t)n;
    }
    char scope_why[256];
    if (token_scopes_valid(e->scopes, scope_why, sizeof(scope_why)) != 0)
        return *why = "bad or missing scopes", -1;
    return 0;
}

int token_file_parse(const char *name, const char *text, size_t len, token_set *out, stoa_error *err)
{
    memset(out, 0, sizeof(*out));
    int lineno = 0, seen_magic = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl != NULL ? (size_t)(nl - text - pos) : len - pos;
        char line[TOKEN_SCOPES_MAX + 256];
        ++lineno;
        if (ll >= sizeof(line)) {
            token_set_free(out);
            return stoa_fail(err, STOA_INVALID, "%s:%d: line too long", name, lineno), -1;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        if (ll > 0 && line[ll - 1] == '\r')
            line[--ll] = '\0';
        pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
        if (!seen_magic) {
            if (strncmp(line, TOKEN_FILE_MAGIC, strlen(TOKEN_FILE_MAGIC)) != 0) {
                token_set_free(out);
                return stoa_fail(err, STOA_INVALID, "%s:%d: not a stoa token file (expected '%s')", name, lineno,
                                 TOKEN_FILE_MAGIC), -1;
            }
            seen_magic = 1;
            continue;
        }
        if (ll == 0 || line[0] == '#')
            continue;
        token_entry e;
        const char *why = NULL;
        if (parse_line(line, &e, &why) != 0) {
            token_set_free(out);
            return stoa_fail(err, STOA_INVALID, "%s:%d: %s", name, lineno, why), -1;
        }
        if (token_set_find(out, e.name) != NULL) {
            token_set_free(out);
            return stoa_fail(err, STOA_INVALID, "%s:%d: token name '%s' appears twice", name, lineno, e.name), -1;
        }
        if (token_set_add(out, &e) != 0) {
            token_set_free(out);
            return stoa_fail(err, STOA_INTERNAL, "out of memory"), -1;
        }
    }
    return 0;
}

char *token_file_format(const token_set *s)
{
    size_t cap = 64 + s->n * (sizeof(token_entry) + 128), used = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    used += (size_t)snprintf(buf, cap, "%s: NAME SHA256 CREATED EXPIRES REVOKED SCOPES (written by `stoa token`)\n",
                             TOKEN_FILE_MAGIC);
    for (size_t i = 0; i < s->n; ++i) {
        const token_entry *e = &s->items[i];
        used += (size_t)snprintf(buf + used, cap - used, "%s ", e->name);
        for (int j = 0; j < 32; ++j)
            used += (size_t)snprintf(buf + used, cap - used, "%02x", e->hash[j]);
        used += (size_t)snprintf(buf + used, cap - used, " %" PRId64 " %" PRId64 " %" PRId64 " %s\n", e->created,
                                 e->expires, e->revoked, e->scopes);
    }
    return buf;
}

int token_file_load(const char *path, token_set *out, stoa_error *err)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? 0 : (stoa_fail(err, STOA_UNAVAILABLE, "%s: %s", path, strerror(errno)), -1);
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size < TOKEN_FILE_MAX
                     ? (size_t)st.st_size + 1 : TOKEN_FILE_MAX;
    char *text = malloc(cap);
    size_t len = text != NULL ? fread(text, 1, cap, f) : 0;
    int bad = text == NULL || ferror(f) || len == cap; /* len == cap: larger than it was, or too large */
    fclose(f);
    int rc = bad ? (stoa_fail(err, STOA_UNAVAILABLE, "%s: read error, changing while read, or larger than 16 MiB", path), -1)
                 : token_file_parse(path, text, len, out, err);
    free(text);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* The owner the store at path has: its own, or its directory's while it does not exist. */
static int store_owner(const char *path, struct stat *st)
{
    if (stat(path, st) == 0)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    return stat(slash != NULL ? dir : ".", st);
}

int token_file_own(const char *path, int fd, stoa_error *err)
{
    struct stat st;
    uid_t me = geteuid();
    if (store_owner(path, &st) != 0 || st.st_uid == me)
        return 0;
    if (me == 0)
        return fchown(fd, st.st_uid, st.st_gid) == 0
                   ? 0
                   : (stoa_fail(err, STOA_UNAVAILABLE, "cannot give %s to its owner: %s", path, strerror(errno)), -1);
    struct passwd *pw = getpwuid(st.st_uid);
    char who[64];
    if (pw != NULL)
        snprintf(who, sizeof(who), "%s", pw->pw_name);
    else
        snprintf(who, sizeof(who), "uid %u", (unsigned)st.st_uid);
    stoa_fail(err, STOA_INVALID, "%s belongs to %s, the service's user: run this as that user (sudo -u %s stoa token ...) "
              "or as root", path, who, who);
    return -1;
}

int token_file_save(const char *path, const token_set *s, stoa_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return stoa_fail(err, STOA_INVALID, "token file path too long"), -1;
    char *text = token_file_format(s);
    if (text == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory"), -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(text);
        return stoa_fail(err, STOA_UNAVAILABLE, "cannot create a file next to %s: %s", path, strerror(errno)), -1;
    }
    if (token_file_own(path, fd, err) != 0) {
        close(fd);
        unlink(tmp);
        free(text);
        return -1;
    }
    int ok = fchmod(fd, 0600) == 0 && write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return stoa_fail(err, STOA_UNAVAILABLE, "cannot write %s: %s", path, strerror(e)), -1;
    }
    /* Make the rename itself durable. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
