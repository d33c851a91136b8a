/* The direct upstream: GOPROXY answers from git; see origin.h. */
/* Messages and paths are cut at their buffers on purpose (bounded error text). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "origin.h"

#include "origin_git.h"
#include "origin_metrics.h"
#include "origin_module.h"
#include "origin_resolve.h"

#include "log.h"
#include "modinfo.h"
#include "modpath.h"
#include "semver.h"
#include "urlshow.h"

#include <stoa/stoa.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum req_kind { REQ_LIST, REQ_INFO, REQ_MOD, REQ_ZIP, REQ_LATEST } req_kind;

typedef struct req {
    req_kind kind;
    char module[MODPATH_MAX + 1];
    char version[256];
} req;

static int parse_relpath(const char *relpath, req *r, char *why, size_t whylen)
{
    char esc[MODPATH_MAX * 2 + 1];
    const char *at = strstr(relpath, "/@v/");
    const char *lat = strstr(relpath, "/@latest");
    const char *end = at != NULL ? at : lat;
    if (end == NULL || (size_t)(end - relpath) >= sizeof(esc))
        return snprintf(why, whylen, "not a module path: %s", relpath), STOA_NOTFOUND;
    snprintf(esc, sizeof(esc), "%.*s", (int)(end - relpath), relpath);
    if (modpath_unescape(esc, r->module, sizeof(r->module), why, whylen) != 0)
        return STOA_NOTFOUND;
    if (at == NULL) {
        r->kind = REQ_LATEST;
        return lat[8] == '\0' ? STOA_OK : (snprintf(why, whylen, "bad path"), STOA_NOTFOUND);
    }
    const char *f = at + 4;
    if (strcmp(f, "list") == 0)
        return r->kind = REQ_LIST, STOA_OK;
    const char *dot = strrchr(f, '.');
    if (dot == NULL || (size_t)(dot - f) >= sizeof(esc))
        return snprintf(why, whylen, "bad path %s", relpath), STOA_NOTFOUND;
    r->kind = strcmp(dot, ".info") == 0 ? REQ_INFO : strcmp(dot, ".mod") == 0 ? REQ_MOD : strcmp(dot, ".zip") == 0 ? REQ_ZIP : -1;
    if ((int)r->kind < 0)
        return snprintf(why, whylen, "bad path %s", relpath), STOA_NOTFOUND;
    snprintf(esc, sizeof(esc), "%.*s", (int)(dot - f), f);
    return modpath_unescape(esc, r->version, sizeof(r->version), why, whylen) == 0 ? STOA_OK : STOA_NOTFOUND;
}

/* ---- where the repository is, and may we go there ---- */

/* host and port of a git URL (https://, http://, ssh://, git://, scp-like user@host:path) */
static int url_host(const char *url, char host[256], size_t hlen, char *port, size_t plen)
{
    const char *p = strstr(url, "://"), *def = "22";
    if (p != NULL) {
        def = strncmp(url, "https", 5) == 0 ? "443" : strncmp(url, "http", 4) == 0 ? "80" : strncmp(url, "git:", 4) == 0 ? "9418" : "22";
        p += 3;
    } else {
        p = url;
    }
    const char *slash = strchr(p, '/');
    const char *at = strchr(p, '@');
    if (at != NULL && (slash == NULL || at < slash))
        p = at + 1;
    size_t n = strcspn(p, strstr(url, "://") ? "/" : ":");
    char hp[256];
    snprintf(hp, sizeof(hp), "%.*s", (int)(n < 255 ? n : 255), p);
    char *colon = hp[0] == '[' ? strstr(hp, "]:") : strrchr(hp, ':');
    if (colon != NULL && strstr(url, "://")) {
        if (hp[0] == '[')
            ++colon;
        *colon = '\0';
        snprintf(port, plen, "%s", colon + 1);
    } else {
        snprintf(port, plen, "%s", def);
    }
    char *h = hp;
    if (h[0] == '[') {
        ++h;
        h[strcspn(h, "]")] = '\0';
    }
    snprintf(host, hlen, "%s", h);
    return host[0] ? 0 : -1;
}

static int internal_addr(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127 || (a >> 24) == 10 || (a >> 24) == 0 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 ||
               (a >> 16) == 0xa9fe || (a >> 22) == (100u << 2 | 1) /* 100.64/10 */;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, a->s6_addr + 12, 4);
            return internal_addr((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
               (a->s6_addr[0] & 0xfe) == 0xfc;
    }
    return 1;
}

/* Connects once with a timeout: a bound libgit2 1.5 has no option for. */
static int try_connect(const struct addrinfo *ai, uint32_t ms)
{
    int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (s < 0)
        return -1;
    int r = connect(s, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = s, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof(err);
        r = poll(&p, 1, (int)ms) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0 ? 0 : -1;
        if (r != 0 && err == 0)
            errno = ETIMEDOUT;
    }
    close(s);
    return r;
}

/* The SSRF guard and the connect timeout, before libgit2 connects. */
static int check_host(const conf_upstream *u, const char *url, char *why, size_t whylen)
{
    char host[256], port[16];
    if (url_host(url, host, sizeof(host), port, sizeof(port)) != 0)
        return snprintf(why, whylen, "cannot tell the host of repository URL %s", url), STOA_NOTFOUND;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return snprintf(why, whylen, "%s: %s", host, gai_strerror(rc)), STOA_UNAVAILABLE;
    int allowed = u->private_hosts != NULL && modpath_match_patterns(u->private_hosts, host);
    int st = STOA_OK;
    for (struct addrinfo *ai = res; ai != NULL && st == STOA_OK; ai = ai->ai_next)
        if (!allowed && internal_addr(ai->ai_addr))
            st = STOA_NOTFOUND, snprintf(why, whylen, "%s resolves to an internal address: refused (list it in private_hosts)", host);
    if (st == STOA_OK) {
        st = STOA_UNAVAILABLE;
        int err = 0;
        for (struct addrinfo *ai = res; ai != NULL && st != STOA_OK; ai = ai->ai_next)
            if (try_connect(ai, u->connect_ms) == 0)
                st = STOA_OK;
            else
                err = errno;
        if (st != STOA_OK)
            snprintf(why, whylen, "%s:%s: %s", host, port, err == ETIMEDOUT ? "connect timed out" : strerror(err));
    }
    freeaddrinfo(res);
    return st;
}

/* netrc: "machine H login U password P" (default entries ignored). */
static void netrc_lookup(const char *file, const char *host, char *user, size_t ulen, char *pass, size_t plen)
{
    user[0] = pass[0] = '\0';
    FILE *f = file != NULL ? fopen(file, "r") : NULL;
    if (f == NULL)
        return;
    char tok[512], *last = NULL;
    int in = 0;
    while (fscanf(f, "%511s", tok) == 1) {
        if (last != NULL) {
            if (strcmp(last, "machine") == 0)
                in = strcmp(tok, host) == 0;
            else if (in && strcmp(last, "login") == 0)
                snprintf(user, ulen, "%s", tok);
            else if (in && strcmp(last, "password") == 0)
                snprintf(pass, plen, "%s", tok);
            free(last);
            last = NULL;
        } else if (!strcmp(tok, "machine") || !strcmp(tok, "login") || !strcmp(tok, "password")) {
            last = strdup(tok);
        }
    }
    free(last);
    fclose(f);
}

/* The credentials a repository gets: its rule's own, else the upstream's. desc says
 * where they came from, for error text; it never holds a secret. */
typedef struct creds {
    char user[512], pass[512];
    const char *ssh_key, *known_hosts;
    char desc[700];
} creds;

static int is_ssh_url(const char *url)
{
    return strncmp(url, "ssh://", 6) == 0 || (strstr(url, "://") == NULL && strchr(url, '@') != NULL);
}

static void pick_creds(const conf_upstream *u, const origin_root *root, const char *host, creds *k)
{
    const conf_rule *r = root->rule;
    char who[64] = "the upstream's";
    if (r != NULL)
        snprintf(who, sizeof(who), "rules[%zu]'s", root->rule_index);
    k->ssh_key = r != NULL && r->ssh_key != NULL ? r->ssh_key : u->ssh_key;
    k->known_hosts = r != NULL && r->known_hosts != NULL ? r->known_hosts : u->known_hosts;
    k->user[0] = k->pass[0] = k->desc[0] = '\0';
    if (is_ssh_url(root->url)) {
        if (k->ssh_key != NULL)
            snprintf(k->desc, sizeof(k->desc), "%s ssh_key %s", r != NULL && r->ssh_key ? who : "the upstream's", k->ssh_key);
        else
            snprintf(k->desc, sizeof(k->desc), "the ssh agent");
        return;
    }
    if (r != NULL && r->token != NULL) {
        snprintf(k->user, sizeof(k->user), "%s", r->user != NULL ? r->user : "git");
        snprintf(k->pass, sizeof(k->pass), "%s", r->token);
        snprintf(k->desc, sizeof(k->desc), "%s token (user %s)", who, k->user);
        return;
    }
    const char *netrc = r != NULL && r->netrc != NULL ? r->netrc : u->netrc;
    netrc_lookup(netrc, host, k->user, sizeof(k->user), k->pass, sizeof(k->pass));
    if (k->pass[0])
        snprintf(k->desc, sizeof(k->desc), "%s netrc %s (machine %s)", r != NULL && r->netrc ? who : "the upstream's",
                 netrc, host);
}

/* ---- answers ---- */

static int write_all(int fd, const char *p, size_t n, char *why, size_t whylen)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return snprintf(why, whylen, "cannot reset staging file: %s", strerror(errno)), STOA_INTERNAL;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return snprintf(why, whylen, "cannot write staging file: %s", strerror(errno)),
                   errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL;
        p += w, n -= (size_t)w;
    }
    return STOA_OK;
}

static int answer_info(origin_module *m, const char *query, int fd, char *why, size_t whylen)
{
    origin_info info;
    int st = origin_module_stat(m, query, &info, why, whylen);
    if (st != STOA_OK)
        return st;
    char body[320];
    int n = modinfo_text(info.version, NULL, info.time, body, sizeof(body));
    if (n < 0)
        return snprintf(why, whylen, "cannot write the .info of %s", info.version), STOA_INTERNAL;
    return write_all(fd, body, (size_t)n, why, whylen);
}

static int answer(origin_module *m, const req *r, const char *tmp_dir, int fd, char *why, size_t whylen)
{
    char *data = NULL;
    size_t len = 0;
    int st;
    switch (r->kind) {
    case REQ_LIST:
        if ((st = origin_module_list(m, &data, why, whylen)) == STOA_OK)
            st = write_all(fd, data, strlen(data), why, whylen);
        break;
    case REQ_LATEST:
        return answer_info(m, "latest", fd, why, whylen);
    case REQ_INFO:
        return answer_info(m, r->version, fd, why, whylen);
    case REQ_MOD:
        if ((st = origin_module_gomod(m, r->version, &data, &len, why, whylen)) == STOA_OK)
            st = write_all(fd, data, len, why, whylen);
        break;
    default:
        if ((st = write_all(fd, "", 0, why, whylen)) == STOA_OK)
            st = origin_module_zip(m, r->version, tmp_dir, fd, why, whylen);
        break;
    }
    free(data);
    return st;
}

static void mirror_root(const struct conf *c, const conf_upstream *u, char *out, size_t len)
{
    if (u->mirror_dir != NULL) {
        snprintf(out, len, "%s", u->mirror_dir);
        return;
    }
    const char *tmp = c->tmp_dir != NULL ? c->tmp_dir : "./stoa-data/tmp";
    const char *slash = strrchr(tmp, '/');
    if (slash == NULL)
        snprintf(out, len, "git");
    else
        snprintf(out, len, "%.*s/git", (int)(slash - tmp), tmp);
}

int origin_fetch(const struct conf *c, const conf_upstream *u, const char *relpath, int fd, char *why, size_t whylen)
{
    req r;
    int st = parse_relpath(relpath, &r, why, whylen);
    if (st != STOA_OK)
        return st;
    origin_resolve_cfg rc = {.rules = u->rules, .nrules = u->nrules, .insecure = u->insecure,
                             .connect_ms = u->connect_ms, .total_ms = u->first_byte_ms};
    origin_root root;
    if ((st = origin_resolve(&rc, r.module, &root, why, whylen)) != STOA_OK)
        return st == STOA_UNPROCESSABLE ? STOA_NOTFOUND : st;
    int insecure = u->insecure != NULL && (modpath_match_patterns(u->insecure, r.module) ||
                                           modpath_match_patterns(u->insecure, root.root));
    if (strncmp(root.url, "http://", 7) == 0 && !insecure)
        return snprintf(why, whylen, "%s: plain http refused (list the module in insecure)", root.url), STOA_NOTFOUND;
    if (strncmp(root.url, "file:", 5) == 0 || (strstr(root.url, "://") == NULL && strchr(root.url, '@') == NULL))
        return snprintf(why, whylen, "%s: unsupported repository URL", root.url), STOA_NOTFOUND;
    if ((st = check_host(u, root.url, why, whylen)) != STOA_OK)
        return st;
    char host[256], port[16], dir[4096], tmp[4096], shown[2048];
    url_host(root.url, host, sizeof(host), port, sizeof(port));
    creds k;
    pick_creds(u, &root, host, &k);
    origin_fetch_opts fo = {.connect_ms = u->connect_ms, .total_ms = u->total_ms, .max_bytes = u->max_fetch,
                            .insecure = insecure, .username = k.user[0] ? k.user : NULL,
                            .password = k.pass[0] ? k.pass : NULL, .ssh_key = k.ssh_key, .known_hosts = k.known_hosts,
                            .host = host, .port = port, .credential = k.desc[0] ? k.desc : NULL};
    url_show(root.url, shown, sizeof(shown));
    mirror_root(c, u, dir, sizeof(dir));
    origin_git *g = NULL;
    if ((st = origin_git_open(dir, root.url, &g, why, whylen)) != STOA_OK)
        return st;
    origin_fetch_stats fs;
    st = origin_git_refresh(g, c->list_ttl_ms, &fo, &fs, why, whylen);
    if (fs.fetched || st != STOA_OK)
        origin_metrics_fetch(host, st == STOA_OK, fs.bytes, fs.seconds);
    if (st == STOA_OK && fs.fetched)
        log_msg(STOA_LOG_INFO, "origin", "fetched %s (%s, %s): %llu bytes in %.2f s", shown, root.root, root.how,
                (unsigned long long)fs.bytes, fs.seconds);
    origin_module m;
    if (st == STOA_OK)
        st = origin_module_init(&m, g, root.root, root.rule != NULL ? root.rule->subdir : NULL, r.module, why, whylen);
    snprintf(tmp, sizeof(tmp), "%s", c->tmp_dir != NULL ? c->tmp_dir : "./stoa-data/tmp");
    if (st == STOA_OK)
        st = answer(&m, &r, tmp, fd, why, whylen);
    /* Unknown to a mirror up to list_ttl old: maybe just pushed. Fetch again, as the go
     * command fetches on an unknown revision (an up-to-date mirror makes it a short
     * negotiation; the fill's single-flight bounds repeats of one request). */
    if (st == STOA_NOTFOUND && !fs.fetched && r.kind != REQ_LIST &&
        origin_git_refresh(g, 0, &fo, &fs, why, whylen) == STOA_OK && fs.fetched &&
        (origin_metrics_fetch(host, 1, fs.bytes, fs.seconds), 1))
        st = answer(&m, &r, tmp, fd, why, whylen);
    origin_git_close(g);
    return st;
}
