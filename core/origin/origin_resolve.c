/* Module path -> repository root; see origin_resolve.h. */
/* Messages and paths are cut at their buffers on purpose (bounded error text). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "origin_resolve.h"

#include "modpath.h"

#include <stoa/stoa.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define META_MAX (1u << 20) /* a go-get page is small; stop reading past 1 MiB */

/* ---- path helpers ---- */

static int elem_ok(const char *s, size_t n, int tilde)
{
    if (n == 0)
        return 0;
    if (tilde && s[0] == '~')
        ++s, --n;
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return n > 0;
}

/* Length of the first n path elements of p, or 0 if p has fewer. */
static size_t elems_len(const char *p, int n)
{
    size_t i = 0;
    for (int k = 0; k < n; ++k) {
        if (k > 0) {
            if (p[i] != '/')
                return 0;
            ++i;
        }
        size_t e = strcspn(p + i, "/");
        if (e == 0)
            return 0;
        i += e;
    }
    return i;
}

static int all_elems_ok(const char *p, int tilde)
{
    while (*p) {
        size_t e = strcspn(p, "/");
        if (!elem_ok(p, e, tilde))
            return 0;
        p += e;
        if (*p == '/')
            ++p;
    }
    return 1;
}

static int has_path_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && (s[n] == '\0' || s[n] == '/' || (n > 0 && prefix[n - 1] == '/'));
}

static void set_root(origin_root *out, const char *module, size_t rootlen, const char *scheme, const char *how)
{
    snprintf(out->root, sizeof(out->root), "%.*s", (int)rootlen, module);
    snprintf(out->url, sizeof(out->url), "%s://%s", scheme, out->root);
    snprintf(out->how, sizeof(out->how), "%s", how);
}

static int vcs_suffix(const char *s, size_t n)
{
    static const char *const sfx[] = {".git", ".hg", ".svn", ".bzr", ".fossil"};
    for (size_t i = 0; i < 5; ++i) {
        size_t l = strlen(sfx[i]);
        if (n > l && memcmp(s + n - l, sfx[i], l) == 0)
            return (int)i + 1;
    }
    return 0;
}

/* ---- the static table (vcsPaths) ---- */

static int user_repo_host(const char *module, const char *host, int nelem, origin_root *out, char *why, size_t whylen)
{
    if (!has_path_prefix(module, host))
        return 0;
    size_t rl = elems_len(module, nelem);
    if (rl == 0 || !all_elems_ok(module + strlen(host) + 1, 0))
        return snprintf(why, whylen, "invalid %s import path \"%s\"", host, module), -1;
    const char *last = module + rl;
    while (last > module && last[-1] != '/')
        --last;
    if (vcs_suffix(last, (size_t)(module + rl - last)))
        return snprintf(why, whylen, "invalid version control suffix in %s/ path", host), -1;
    set_root(out, module, rl, "https", "static");
    return 1;
}

/* host(:port)?(/~?elem)+?.git(/~?elem)*: the shortest root ending in a VCS suffix. */
static int vcs_qualified(const char *module, int insecure, origin_root *out, char *why, size_t whylen)
{
    size_t hl = strcspn(module, "/");
    if (module[hl] != '/' || memchr(module, '.', hl) == NULL)
        return 0;
    for (size_t i = 0; i < hl; ++i) {
        char c = module[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':'))
            return 0;
    }
    if (!all_elems_ok(module + hl + 1, 1))
        return 0;
    const char *p = module + hl + 1;
    while (*p) {
        size_t e = strcspn(p, "/");
        int v = vcs_suffix(p, e);
        if (v == 1) {
            set_root(out, module, (size_t)(p + e - module), insecure ? "http" : "https", "static");
            return 1;
        }
        if (v > 1)
            return snprintf(why, whylen, "%.*s: only git repositories are served", (int)(p + e - module), module), -1;
        p += e;
        if (*p == '/')
            ++p;
    }
    return 0;
}

int origin_static_root(const char *module, int insecure, origin_root *out, char *why, size_t whylen)
{
    int r;
    if ((r = user_repo_host(module, "github.com", 3, out, why, whylen)) != 0 ||
        (r = user_repo_host(module, "bitbucket.org", 3, out, why, whylen)) != 0)
        return r;
    if (has_path_prefix(module, "hub.jazz.net/git"))
        return user_repo_host(module, "hub.jazz.net/git", 5, out, why, whylen);
    if (has_path_prefix(module, "git.openstack.org")) {
        size_t rl = elems_len(module, 3);
        if (rl == 0)
            return snprintf(why, whylen, "invalid git.openstack.org import path \"%s\"", module), -1;
        size_t keep = rl > 4 && strncmp(module + rl - 4, ".git", 4) == 0 ? rl - 4 : rl;
        set_root(out, module, keep, "https", "static");
        return 1;
    }
    return vcs_qualified(module, insecure, out, why, whylen);
}

/* ---- rules ---- */

static int expand(const char *tmpl, const char *root, char *out, size_t len)
{
    size_t hl = strcspn(root, "/");
    const char *path = root[hl] == '/' ? root + hl + 1 : "";
    size_t n = 0;
    for (const char *t = tmpl; *t && n + 1 < len; ++t) {
        const char *v = NULL;
        size_t vl = 0, skip = 0;
        if (strncmp(t, "{root}", 6) == 0)
            v = root, vl = strlen(root), skip = 5;
        else if (strncmp(t, "{host}", 6) == 0)
            v = root, vl = hl, skip = 5;
        else if (strncmp(t, "{path}", 6) == 0)
            v = path, vl = strlen(path), skip = 5;
        if (v == NULL) {
            out[n++] = *t;
            continue;
        }
        if (n + vl >= len)
            return -1;
        memcpy(out + n, v, vl);
        n += vl;
        t += skip;
    }
    out[n] = '\0';
    return n + 1 < len ? 0 : -1;
}

/* The leading elements of module matched by the glob [pattern, pattern+plen), or 0. */
static size_t glob_root(const char *pattern, size_t plen, const char *module)
{
    char pat[512], lead[512];
    if (plen == 0 || plen >= sizeof(pat))
        return 0;
    memcpy(pat, pattern, plen);
    pat[plen] = '\0';
    int n = 1;
    for (size_t i = 0; i < plen; ++i)
        n += pat[i] == '/';
    size_t rl = elems_len(module, n);
    if (rl == 0 || rl >= sizeof(lead))
        return 0;
    memcpy(lead, module, rl);
    lead[rl] = '\0';
    return modpath_match_patterns(pat, lead) ? rl : 0;
}

/* The root length for the first glob of a comma list that matches, or 0. */
static size_t rule_root(const char *match, const char *module)
{
    for (const char *p = match; *p;) {
        size_t n = strcspn(p, ",");
        size_t rl = glob_root(p, n, module);
        if (rl > 0)
            return rl;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int apply_rules(const origin_resolve_cfg *cfg, const char *module, origin_root *out, char *why, size_t whylen)
{
    for (size_t i = 0; i < cfg->nrules; ++i) {
        const conf_rule *r = &cfg->rules[i];
        size_t rl = r->match != NULL && r->url != NULL ? rule_root(r->match, module) : 0;
        if (rl == 0)
            continue;
        snprintf(out->root, sizeof(out->root), "%.*s", (int)rl, module);
        if (expand(r->url, out->root, out->url, sizeof(out->url)) != 0)
            return snprintf(why, whylen, "rule %zu: repository URL too long", i), STOA_INVALID;
        snprintf(out->how, sizeof(out->how), "rule");
        out->rule = r;
        out->rule_index = i;
        return STOA_OK;
    }
    return STOA_NOTFOUND;
}

/* ---- go-import meta tags ---- */

/* The value of attribute name in the tag text [s, e), unquoted, into out. */
static int attr(const char *s, const char *e, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = s; p + nl < e; ++p) {
        if (strncasecmp(p, name, nl) != 0 || (p > s && !strchr(" \t\r\n", p[-1])))
            continue;
        const char *q = p + nl;
        while (q < e && strchr(" \t\r\n", *q))
            ++q;
        if (q >= e || *q != '=')
            continue;
        ++q;
        while (q < e && strchr(" \t\r\n", *q))
            ++q;
        char quote = q < e && (*q == '"' || *q == '\'') ? *q++ : 0;
        const char *v = q;
        while (q < e && (quote ? *q != quote : !strchr(" \t\r\n>", *q)))
            ++q;
        snprintf(out, len, "%.*s", (int)(q - v), v);
        return 1;
    }
    return 0;
}

int origin_meta_match(const char *html, const char *module, char *prefix, size_t plen, char *vcs, size_t vlen,
                      char *repo, size_t rlen, char *why, size_t whylen)
{
    int matches = 0;
    char mismatches[512] = "";
    for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
        if (strncasecmp(p, "<body", 5) == 0 || strncasecmp(p, "</head", 6) == 0)
            break;
        if (strncasecmp(p, "<meta", 5) != 0 || !strchr(" \t\r\n/>", p[5]))
            continue;
        const char *e = strchr(p, '>');
        if (e == NULL)
            break;
        char name[64], content[2048], f[3][1024];
        if (!attr(p + 5, e, "name", name, sizeof(name)) || strcmp(name, "go-import") != 0 ||
            !attr(p + 5, e, "content", content, sizeof(content)))
            continue;
        char extra[2];
        if (sscanf(content, "%1023s %1023s %1023s %1s", f[0], f[1], f[2], extra) != 3 || strcmp(f[1], "mod") == 0)
            continue;
        if (!has_path_prefix(module, f[0])) {
            size_t ml = strlen(mismatches);
            snprintf(mismatches + ml, sizeof(mismatches) - ml, "%s%s", ml ? ", " : "", f[0]);
            continue;
        }
        if (matches++ > 0)
            return snprintf(why, whylen, "multiple meta tags match import path \"%s\"", module), STOA_CONFLICT;
        snprintf(prefix, plen, "%s", f[0]);
        snprintf(vcs, vlen, "%s", f[1]);
        snprintf(repo, rlen, "%s", f[2]);
    }
    if (matches == 0) {
        if (mismatches[0])
            return snprintf(why, whylen, "no go-import meta tags (meta tags %s did not match import path %s)", mismatches,
                            module), STOA_NOTFOUND;
        return snprintf(why, whylen, "no go-import meta tags for %s", module), STOA_NOTFOUND;
    }
    return STOA_OK;
}

/* ---- discovery over HTTP(S) ---- */

typedef struct body {
    char *data;
    size_t len;
} body;

static size_t on_data(char *d, size_t size, size_t n, void *p)
{
    body *b = p;
    size_t len = size * n;
    if (b->len + len > META_MAX)
        return 0;
    char *v = realloc(b->data, b->len + len + 1);
    if (v == NULL)
        return 0;
    memcpy(v + b->len, d, len);
    b->len += len;
    v[b->len] = '\0';
    b->data = v;
    return len;
}

static char *curl_get(const char *url, const origin_resolve_cfg *cfg, long *status, char *why, size_t whylen)
{
    CURL *h = curl_easy_init();
    body b = {NULL, 0};
    if (h == NULL)
        return snprintf(why, whylen, "out of memory"), NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa/" STOA_VERSION " (go-get)");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, strncmp(url, "http:", 5) == 0 ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->total_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && b.data != NULL)) {
        free(b.data);
        snprintf(why, whylen, "%s: %s", url, curl_easy_strerror(rc));
        return NULL;
    }
    return b.data != NULL ? b.data : strdup("");
}

/* The page for importPath: https, then http for insecure hosts. NULL with why. */
static char *fetch_meta(const origin_resolve_cfg *cfg, const char *path, int insecure, char *why, size_t whylen)
{
    char url[2200];
    long status = 0;
    char *(*get)(const char *, const origin_resolve_cfg *, long *, char *, size_t) = cfg->get ? cfg->get : curl_get;
    snprintf(url, sizeof(url), "https://%s%s?go-get=1", path, strchr(path, '/') ? "" : "/");
    char *page = get(url, cfg, &status, why, whylen);
    if (page == NULL && insecure) {
        snprintf(url, sizeof(url), "http://%s%s?go-get=1", path, strchr(path, '/') ? "" : "/");
        page = get(url, cfg, &status, why, whylen);
    }
    return page;
}

static int discover(const origin_resolve_cfg *cfg, const char *module, int insecure, origin_root *out, char *why,
                    size_t whylen)
{
    char prefix[512], vcs[64], repo[2048], why2[512];
    char *page = fetch_meta(cfg, module, insecure, why, whylen);
    if (page == NULL)
        return strstr(why, "imeout") ? STOA_TIMEOUT : STOA_UNAVAILABLE;
    int st = origin_meta_match(page, module, prefix, sizeof(prefix), vcs, sizeof(vcs), repo, sizeof(repo), why, whylen);
    free(page);
    if (st != STOA_OK)
        return STOA_NOTFOUND;
    if (strcmp(prefix, module) != 0) {
        char p2[512], v2[64], r2[2048];
        page = fetch_meta(cfg, prefix, insecure, why, whylen);
        int st2 = page == NULL ? STOA_UNAVAILABLE
                               : origin_meta_match(page, module, p2, sizeof(p2), v2, sizeof(v2), r2, sizeof(r2), why2,
                                                   sizeof(why2));
        free(page);
        if (st2 != STOA_OK || strcmp(p2, prefix) || strcmp(v2, vcs) || strcmp(r2, repo))
            return snprintf(why, whylen, "https://%s?go-get=1 and https://%s?go-get=1 disagree about go-import for %s",
                            module, prefix, prefix), STOA_NOTFOUND;
    }
    if (strstr(repo, "://") == NULL || strncmp(repo, "file:", 5) == 0)
        return snprintf(why, whylen, "invalid repo root \"%s\": %s", repo,
                        strncmp(repo, "file:", 5) == 0 ? "file scheme disallowed" : "no scheme"), STOA_NOTFOUND;
    if (strcmp(vcs, "git") != 0)
        return snprintf(why, whylen, "%s: version control system %s is not served (only git)", prefix, vcs),
               STOA_UNPROCESSABLE;
    snprintf(out->root, sizeof(out->root), "%s", prefix);
    snprintf(out->url, sizeof(out->url), "%s", repo);
    snprintf(out->how, sizeof(out->how), "meta");
    return STOA_OK;
}

int origin_resolve(const origin_resolve_cfg *cfg, const char *module, origin_root *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (apply_rules(cfg, module, out, why, whylen) == STOA_OK)
        return STOA_OK;
    size_t hl = strcspn(module, "/");
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)(hl < 255 ? hl : 255), module);
    int insecure = cfg->insecure != NULL && modpath_match_patterns(cfg->insecure, module);
    int r = origin_static_root(module, insecure, out, why, whylen);
    if (r < 0)
        return STOA_NOTFOUND;
    if (r > 0)
        return STOA_OK;
    if (strchr(host, '.') == NULL)
        return snprintf(why, whylen, "%s: import path does not begin with hostname", module), STOA_NOTFOUND;
    return discover(cfg, module, insecure, out, why, whylen);
}
