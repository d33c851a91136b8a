#include "route.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes in[0..len) into out (NUL-terminated). */
static stoa_status decode(const char *in, size_t len, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int hi = len - i >= 3 ? hexval(in[i + 1]) : -1, lo = len - i >= 3 ? hexval(in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return snprintf(why, whylen, "bad percent-escape in path"), STOA_INVALID;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            return snprintf(why, whylen, "path contains a control character or backslash"), STOA_INVALID;
        if (o + 1 >= outlen)
            return snprintf(why, whylen, "path too long"), STOA_INVALID;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return STOA_OK;
}

int route_percent_decode(const char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; ++i) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (len - i < 3 || hexval(in[i + 1]) < 0 || hexval(in[i + 2]) < 0)
                return outlen > 0 ? (out[0] = '\0', -1) : -1;
            c = hexval(in[i + 1]) << 4 | hexval(in[i + 2]);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= outlen) {
            if (outlen > 0)
                out[0] = '\0';
            return -1;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static const struct {
    const char *name;
    route_type type;
} fixed[] = {
    {"healthz", ROUTE_HEALTHZ}, {"readyz", ROUTE_READYZ}, {"version", ROUTE_VERSION},
    {"metrics", ROUTE_METRICS}, {"catalog", ROUTE_CATALOG}, {"index", ROUTE_INDEX},
    {"api/system/version", ROUTE_ART_VERSION}, {"api/system/ping", ROUTE_ART_PING}, {"api/build", ROUTE_BUILD},
};

static stoa_status parse_module(const char *esc, size_t len, route *r, char *why, size_t whylen)
{
    char buf[MODPATH_MAX + 1];
    if (len == 0 || len > MODPATH_MAX)
        return snprintf(why, whylen, len == 0 ? "empty module path" : "module path too long"), STOA_INVALID;
    memcpy(buf, esc, len);
    buf[len] = '\0';
    if (modpath_unescape(buf, r->module, sizeof(r->module), why, whylen) != 0)
        return STOA_INVALID;
    if (modpath_check(r->module, why, whylen) != 0)
        return STOA_INVALID;
    return STOA_OK;
}

/* A query version for .info, as the go command can send it: module.EscapeVersion
 * accepts what checkElem accepts for a file-path element (not empty, not all dots, no
 * trailing dot, fileNameOK characters, not a Windows reserved name) except '!', and
 * escapeString then refuses non-ASCII. The go command escapes '/' away. */
static int plausible_query(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > SEMVER_MAX || strspn(v, ".") == n || v[n - 1] == '.')
        return 0;
    for (const char *p = v; *p; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("#$%&()+,-.=@[]^_{}~ ", *p)))
            return 0;
    return !modpath_windows_reserved(v, n);
}

static stoa_status parse_version(const char *file, route *r, char *why, size_t whylen)
{
    const char *semi = strchr(file, ';');
    size_t flen = semi != NULL ? (size_t)(semi - file) : strlen(file);
    if (semi != NULL && snprintf(r->matrix, sizeof(r->matrix), "%s", semi) >= (int)sizeof(r->matrix))
        return snprintf(why, whylen, "matrix parameters too long"), STOA_INVALID;
    static const struct {
        const char *ext;
        route_type type;
    } exts[] = {{".info", ROUTE_INFO}, {".mod", ROUTE_MOD}, {".zip", ROUTE_ZIP}};
    for (size_t i = 0; i < 3; ++i) {
        size_t el = strlen(exts[i].ext);
        if (flen <= el || memcmp(file + flen - el, exts[i].ext, el) != 0)
            continue;
        char esc[SEMVER_MAX + 1];
        if (flen - el > SEMVER_MAX)
            return snprintf(why, whylen, "version too long"), STOA_INVALID;
        memcpy(esc, file, flen - el);
        esc[flen - el] = '\0';
        if (modpath_unescape(esc, r->version, sizeof(r->version), why, whylen) != 0)
            return STOA_INVALID;
        r->type = exts[i].type;
        r->canonical = semver_is_canonical(r->version);
        if (!r->canonical && (r->type != ROUTE_INFO || !plausible_query(r->version)))
            return snprintf(why, whylen, "version \"%s\" is not canonical semver (like v1.2.3)", r->version), STOA_INVALID;
        if (r->canonical && modpath_check_major(r->module, r->version, why, whylen) != 0) {
            /* Not a version of this path, but a query the upstream answers with one
             * (rsc.io/breaker@v2.0.0 -> v2.0.0+incompatible). .mod and .zip are only
             * asked for versions the path can have. */
            if (r->type != ROUTE_INFO)
                return STOA_NOTFOUND;
            r->canonical = 0;
        }
        return STOA_OK;
    }
    return snprintf(why, whylen, "unknown file \"%.64s\" under @v/: expected list, <version>.info, .mod or .zip", file),
           STOA_INVALID;
}

static stoa_status parse_module_route(const char *p, route *r, char *why, size_t whylen)
{
    const char *at = strstr(p, "/@v/");
    if (at != NULL) {
        stoa_status s = parse_module(p, (size_t)(at - p), r, why, whylen);
        if (s != STOA_OK)
            return s;
        const char *file = at + 4;
        if (strcmp(file, "list") == 0) {
            r->type = ROUTE_LIST;
            return STOA_OK;
        }
        if (strchr(file, '/') != NULL || *file == '\0')
            return snprintf(why, whylen, "bad file name under @v/"), STOA_INVALID;
        return parse_version(file, r, why, whylen);
    }
    size_t n = strlen(p);
    if (n > 8 && strcmp(p + n - 8, "/@latest") == 0) {
        r->type = ROUTE_LATEST;
        return parse_module(p, n - 8, r, why, whylen);
    }
    if (strstr(p, "/@") != NULL)
        return snprintf(why, whylen, "unknown GOPROXY path: expected <module>/@v/... or <module>/@latest"), STOA_INVALID;
    return snprintf(why, whylen, "no such path: GOPROXY paths look like <module>/@v/list"), STOA_NOTFOUND;
}

static stoa_status parse_root_names(const char *p, route *r)
{
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); ++i)
        if (strcmp(p, fixed[i].name) == 0)
            return r->type = fixed[i].type, STOA_OK;
    if (strncmp(p, "admin/", 6) == 0 || strcmp(p, "admin") == 0) {
        r->type = ROUTE_ADMIN;
        snprintf(r->rest, sizeof(r->rest), "%s", p[5] == '/' ? p + 6 : "");
        return STOA_OK;
    }
    return STOA_DECLINED;
}

/* No "." or ".." element and no empty element anywhere: nothing stoa serves has them,
 * and rejecting them before any matching closes every traversal trick at once. */
static stoa_status check_elements(const char *p, char *why, size_t whylen)
{
    for (const char *e = p; *e != '\0';) {
        const char *end = strchr(e, '/');
        size_t n = end != NULL ? (size_t)(end - e) : strlen(e);
        if (n == 0 || (n == 1 && e[0] == '.') || (n == 2 && e[0] == '.' && e[1] == '.'))
            return snprintf(why, whylen, "path has an empty, '.' or '..' element"), STOA_INVALID;
        e += n + (end != NULL);
    }
    return STOA_OK;
}

static stoa_status split_base(char **p, char *const *repos, size_t nrepos, route *r, char *why, size_t whylen)
{
    if (strncmp(*p, "api/go/", 7) != 0)
        return STOA_OK;
    char *name = *p + 7, *slash = strchr(name, '/');
    size_t n = slash != NULL ? (size_t)(slash - name) : strlen(name);
    for (size_t i = 0; i < nrepos; ++i) {
        if (strlen(repos[i]) == n && memcmp(repos[i], name, n) == 0) {
            memcpy(r->repo, name, n);
            r->repo[n] = '\0';
            *p = slash != NULL ? slash + 1 : name + n;
            return STOA_OK;
        }
    }
    snprintf(why, whylen, "no repository \"%.*s\" here: check the /api/go/<repo>/ part of GOPROXY", (int)(n > 64 ? 64 : n),
             name);
    return STOA_NOTFOUND;
}

stoa_status route_parse(const char *path, size_t len, char *const *repos, size_t nrepos, route *r, char *why, size_t whylen)
{
    char buf[ROUTE_PATH_MAX];
    memset(r, 0, offsetof(route, module));
    r->module[0] = r->version[0] = r->rest[0] = r->matrix[0] = '\0';
    const char *q = memchr(path, '?', len);
    if (q != NULL)
        len = (size_t)(q - path);
    if (len == 0 || path[0] != '/')
        return snprintf(why, whylen, "path must start with /"), STOA_INVALID;
    stoa_status s = decode(path + 1, len - 1, buf, sizeof(buf), why, whylen);
    if (s != STOA_OK)
        return s;
    char *p = buf;
    if ((s = check_elements(p, why, whylen)) != STOA_OK)
        return s;
    if (strncmp(p, "artifactory/api/", 16) == 0)
        p += 12;
    if ((s = split_base(&p, repos, nrepos, r, why, whylen)) != STOA_OK)
        return s;
    if (strncmp(p, "sumdb/", 6) == 0) {
        r->type = ROUTE_SUMDB;
        snprintf(r->rest, sizeof(r->rest), "%s", p + 6);
        if (strstr(r->rest, "..") != NULL || r->rest[0] == '/' || r->rest[0] == '\0')
            return snprintf(why, whylen, "bad checksum database path"), STOA_INVALID;
        return STOA_OK;
    }
    if (r->repo[0] == '\0' && parse_root_names(p, r) == STOA_OK)
        return STOA_OK;
    if (r->repo[0] == '\0' && *p == '\0')
        return r->type = ROUTE_UI_HOME, STOA_OK;
    if (r->repo[0] == '\0' && strncmp(p, "ui/module/", 10) == 0) {
        r->type = ROUTE_UI_MODULE;
        return parse_module(p + 10, strlen(p + 10), r, why, whylen);
    }
    if (*p == '\0')
        return snprintf(why, whylen, "this is a Go module proxy: set GOPROXY to this URL"), STOA_NOTFOUND;
    return parse_module_route(p, r, why, whylen);
}

stoa_kind route_kind(route_type t)
{
    switch (t) {
    case ROUTE_INFO: return STOA_KIND_INFO;
    case ROUTE_MOD: return STOA_KIND_MOD;
    case ROUTE_ZIP: return STOA_KIND_ZIP;
    case ROUTE_LIST: return STOA_KIND_LIST;
    case ROUTE_LATEST: return STOA_KIND_LATEST;
    default: return (stoa_kind)0;
    }
}

int route_is_module(route_type t)
{
    return t >= ROUTE_INFO && t <= ROUTE_LATEST;
}

/* A query may hold characters a URL path cannot carry as they are (' ', '#', '%',
 * '[', ...): percent-encode all but unreserved characters and those Go's net/url leaves
 * in a path. Canonical versions pass unchanged. */
static int url_path_escape(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; ++p) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   strchr("-._~!$&+,:;=@", *p) != NULL;
        if (o + (keep ? 1 : 3) >= len)
            return -1;
        if (keep) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

int route_upstream_path(const route *r, char *out, size_t len)
{
    char mod[MODPATH_MAX * 2 + 1], esc[SEMVER_MAX * 2 + 1], ver[SEMVER_MAX * 6 + 1];
    if (modpath_escape(r->module, mod, sizeof(mod), NULL, 0) != 0)
        return -1;
    int n;
    switch (r->type) {
    case ROUTE_LIST: n = snprintf(out, len, "%s/@v/list", mod); break;
    case ROUTE_LATEST: n = snprintf(out, len, "%s/@latest", mod); break;
    case ROUTE_INFO:
    case ROUTE_MOD:
    case ROUTE_ZIP:
        if (modpath_escape(r->version, esc, sizeof(esc), NULL, 0) != 0 || url_path_escape(esc, ver, sizeof(ver)) != 0)
            return -1;
        n = snprintf(out, len, "%s/@v/%s.%s", mod, ver, r->type == ROUTE_INFO ? "info" : r->type == ROUTE_MOD ? "mod" : "zip");
        break;
    default: return -1;
    }
    return n > 0 && (size_t)n < len ? 0 : -1;
}
