/* Module paths with the rules of golang.org/x/mod/module. */
#include "modpath.h"

#include "semver.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t len, const char *fmt, const char *arg, size_t alen)
{
    if (why != NULL && len > 0)
        snprintf(why, len, fmt, (int)(alen > 64 ? 64 : alen), arg);
    return -1;
}

int modpath_escape(const char *path, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t o = 0;
    for (const char *p = path; *p; ++p) {
        unsigned char c = (unsigned char)*p;
        if (c == '!' || c >= 0x80)
            return fail(why, whylen, "cannot escape \"%.*s\": '!' or non-ASCII character", path, strlen(path));
        if (o + 3 > outlen)
            return fail(why, whylen, "\"%.*s\" too long to escape", path, strlen(path));
        if (c >= 'A' && c <= 'Z') {
            out[o++] = '!';
            c = (unsigned char)(c - 'A' + 'a');
        }
        out[o++] = (char)c;
    }
    if (o >= outlen)
        return fail(why, whylen, "\"%.*s\" too long to escape", path, strlen(path));
    out[o] = '\0';
    return 0;
}

int modpath_unescape(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t o = 0;
    int bang = 0;
    for (const char *p = in; *p; ++p) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80)
            return fail(why, whylen, "invalid escaped path \"%.*s\": non-ASCII character", in, strlen(in));
        if (bang) {
            if (c < 'a' || c > 'z')
                return fail(why, whylen, "invalid escaped path \"%.*s\": '!' must be followed by a lower-case letter",
                            in, strlen(in));
            c = (unsigned char)(c - 'a' + 'A');
            bang = 0;
        } else if (c == '!') {
            bang = 1;
            continue;
        } else if (c >= 'A' && c <= 'Z') {
            return fail(why, whylen, "invalid escaped path \"%.*s\": upper-case letters must be escaped as '!' + lower case",
                        in, strlen(in));
        }
        if (o + 1 >= outlen)
            return fail(why, whylen, "escaped path \"%.*s...\" too long", in, strlen(in));
        out[o++] = (char)c;
    }
    if (bang)
        return fail(why, whylen, "invalid escaped path \"%.*s\": trailing '!'", in, strlen(in));
    out[o] = '\0';
    return 0;
}

static int mod_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

int modpath_windows_reserved(const char *e, size_t n)
{
    static const char *const names[] = {"CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4",
                                        "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3",
                                        "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
    const char *dot = memchr(e, '.', n);
    size_t short_len = dot != NULL ? (size_t)(dot - e) : n;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i)
        if (strlen(names[i]) == short_len && strncasecmp(e, names[i], short_len) == 0)
            return 1;
    return 0;
}

/* module.checkElem for module paths. */
static int check_elem(const char *e, size_t n, char *why, size_t whylen)
{
    if (n == 0)
        return fail(why, whylen, "empty path element%.*s", "", 0);
    size_t dots = 0;
    for (size_t i = 0; i < n; ++i) {
        dots += e[i] == '.';
        if (!mod_char_ok(e[i]))
            return fail(why, whylen, "invalid character in path element \"%.*s\"", e, n);
    }
    if (dots == n)
        return fail(why, whylen, "invalid path element \"%.*s\"", e, n);
    if (e[0] == '.')
        return fail(why, whylen, "leading dot in path element \"%.*s\"", e, n);
    if (e[n - 1] == '.')
        return fail(why, whylen, "trailing dot in path element \"%.*s\"", e, n);
    const char *tilde = NULL;
    for (size_t i = 0; i < n; ++i)
        if (e[i] == '~')
            tilde = e + i;
    if (tilde != NULL && tilde + 1 < e + n) {
        int digits = 1;
        for (const char *p = tilde + 1; p < e + n; ++p)
            digits &= *p >= '0' && *p <= '9';
        if (digits)
            return fail(why, whylen, "trailing tilde and digits in path element \"%.*s\"", e, n);
    }
    if (modpath_windows_reserved(e, n))
        return fail(why, whylen, "\"%.*s\" is a reserved file name on Windows", e, n);
    return 0;
}

const char *modpath_split_major(const char *path, size_t *prefix_len)
{
    size_t n = strlen(path), i = n;
    if (strncmp(path, "gopkg.in/", 9) == 0) {
        if (n > 9 && strcmp(path + n - 9, "-unstable") == 0)
            i -= 9;
        while (i > 0 && path[i - 1] >= '0' && path[i - 1] <= '9')
            --i;
        if (i <= 1 || path[i - 1] != 'v' || path[i - 2] != '.')
            return *prefix_len = n, NULL;
        const char *major = path + i - 2;
        if (strlen(major) <= 2 || (major[2] == '0' && strcmp(major, ".v0") != 0))
            return *prefix_len = n, NULL;
        return *prefix_len = (size_t)(major - path), major;
    }
    int dot = 0;
    while (i > 0 && ((path[i - 1] >= '0' && path[i - 1] <= '9') || path[i - 1] == '.'))
        dot |= path[--i] == '.';
    if (i <= 1 || i == n || path[i - 1] != 'v' || path[i - 2] != '/')
        return *prefix_len = n, path + n;
    const char *major = path + i - 2;
    if (dot || strlen(major) <= 2 || major[2] == '0' || strcmp(major, "/v1") == 0)
        return *prefix_len = n, NULL;
    return *prefix_len = (size_t)(major - path), major;
}

static int check_first(const char *p, size_t n, char *why, size_t whylen)
{
    if (n == 0)
        return fail(why, whylen, "leading slash in module path%.*s", "", 0);
    if (memchr(p, '.', n) == NULL)
        return fail(why, whylen, "missing dot in first path element \"%.*s\"", p, n);
    if (p[0] == '-')
        return fail(why, whylen, "leading dash in first path element \"%.*s\"", p, n);
    for (size_t i = 0; i < n; ++i)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.'))
            return fail(why, whylen, "invalid character in first path element \"%.*s\" (lower case, digits, '-', '.')",
                        p, n);
    return 0;
}

int modpath_check(const char *path, char *why, size_t whylen)
{
    size_t n = strlen(path);
    if (n == 0)
        return fail(why, whylen, "empty module path%.*s", "", 0);
    if (n > MODPATH_MAX)
        return fail(why, whylen, "module path \"%.*s...\" too long", path, n);
    const char *slash = strchr(path, '/');
    if (check_first(path, slash != NULL ? (size_t)(slash - path) : n, why, whylen) != 0)
        return -1;
    if (path[n - 1] == '/')
        return fail(why, whylen, "trailing slash in module path \"%.*s\"", path, n);
    for (const char *e = path; e < path + n;) {
        const char *end = strchr(e, '/');
        size_t len = end != NULL ? (size_t)(end - e) : strlen(e);
        if (check_elem(e, len, why, whylen) != 0)
            return -1;
        e += len + 1;
    }
    size_t plen;
    if (modpath_split_major(path, &plen) == NULL)
        return fail(why, whylen, "invalid major version suffix in module path \"%.*s\"", path, n);
    return 0;
}

int modpath_check_major(const char *path, const char *version, char *why, size_t whylen)
{
    size_t plen;
    const char *major = modpath_split_major(path, &plen);
    char m[SEMVER_MAX + 1], want[16];
    if (major == NULL || semver_major(version, m, sizeof(m)) != 0)
        return fail(why, whylen, "invalid version \"%.*s\"", version, strlen(version));
    size_t wl = strnlen(major, 14); /* the first 14 bytes, without snprintf: every request */
    memcpy(want, major, wl);
    want[wl] = '\0';
    if (wl > 9 && major[0] == '.' && strcmp(want + wl - 9, "-unstable") == 0)
        want[wl - 9] = '\0';
    if (strncmp(version, "v0.0.0-", 7) == 0 && strcmp(want, ".v1") == 0)
        return 0;
    if (want[0] == '\0') {
        if (strcmp(m, "v0") == 0 || strcmp(m, "v1") == 0 || semver_is_incompatible(version))
            return 0;
        if (why != NULL)
            snprintf(why, whylen, "version %s needs a /%s suffix on module path %s", version, m, path);
        return -1;
    }
    if (strcmp(m, want + 1) == 0 && !semver_is_incompatible(version))
        return 0;
    if (why != NULL)
        snprintf(why, whylen, "version %s does not match the major version suffix %s of module path %s", version, want, path);
    return -1;
}

/* One glob against the leading elements of target (as many as the glob has). */
static int match_one(const char *glob, const char *target)
{
    size_t slashes = 0;
    for (const char *g = glob; *g; ++g)
        slashes += *g == '/';
    char prefix[MODPATH_MAX + 1];
    size_t i = 0, n = slashes;
    for (; target[i] != '\0' && i < MODPATH_MAX; ++i) {
        if (target[i] == '/') {
            if (n == 0)
                break;
            --n;
        }
    }
    if (n > 0 && target[i] == '\0')
        return 0; /* not enough elements */
    if (target[i] != '\0' && target[i] != '/')
        return 0; /* overlong target */
    memcpy(prefix, target, i);
    prefix[i] = '\0';
    /* path.Match semantics: '*' and '?' never match '/'. */
    return fnmatch(glob, prefix, FNM_PATHNAME) == 0;
}

int modpath_match_patterns(const char *patterns, const char *target)
{
    const char *p = patterns;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char glob[MODPATH_MAX + 1];
        while (n > 0 && p[n - 1] == '/')
            --n;
        if (n > 0 && n <= MODPATH_MAX) {
            memcpy(glob, p, n);
            glob[n] = '\0';
            if (match_one(glob, target))
                return 1;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}
