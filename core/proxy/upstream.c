#include "upstream.h"

#include "clock.h"
#include "upstream_addr.h"
#include "urlshow.h"
#include "log.h"
#include "metrics.h"
#include "nameslot.h"
#include "numfmt.h"
#include "origin.h"
#include "zipcheck.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Health lives in slots keyed by upstream name (core/base/nameslot.h), so it survives a
 * reload that reorders, adds or removes upstreams. */
typedef struct health {
    atomic_uint consecutive;
    atomic_llong open_until_ms;
    atomic_llong next_probe_ms;
    atomic_ullong requests, failures;
} health;

static health slots[UPSTREAM_SLOTS];
NAMESLOTS_DEFINE(slot_names, UPSTREAM_SLOTS);
static pthread_key_t curl_key;

static void curl_dispose(void *h)
{
    curl_easy_cleanup(h);
}

size_t upstream_slot(const char *name)
{
    return nameslot_of(&slot_names, name);
}

int upstream_init(const struct conf *c)
{
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK || pthread_key_create(&curl_key, curl_dispose) != 0)
        return -1;
    for (size_t i = 0; i < c->nupstreams; ++i)
        upstream_slot(c->upstreams[i].name);
    return 0;
}

void upstream_shutdown(void)
{
    CURL *h = pthread_getspecific(curl_key);
    if (h != NULL) {
        curl_easy_cleanup(h);
        pthread_setspecific(curl_key, NULL);
    }
    curl_global_cleanup();
}

/* One easy handle per thread keeps connections to upstreams alive between fetches. */
static CURL *thread_handle(void)
{
    CURL *h = pthread_getspecific(curl_key);
    if (h == NULL) {
        h = curl_easy_init();
        pthread_setspecific(curl_key, h);
    } else {
        curl_easy_reset(h);
    }
    return h;
}

typedef struct xfer {
    int fd;
    uint64_t bytes;
    int64_t content_length;
    int64_t started_ms;
    int64_t last_byte_ms;
    uint32_t first_byte_ms;
    uint32_t stall_ms;
    uint64_t min_rate;      /* bytes/s a stall window must average */
    int64_t window_ms;      /* low-speed window: its start and the byte count then */
    uint64_t window_bytes;
    int first_byte_timeout;
    int stalled;
    int write_error;
    uint64_t max_bytes;     /* decoded body bytes allowed (upstream_body_limit) */
    int too_big;
    int encoded;            /* Content-Encoding other than identity: curl decodes, so
                             * Content-Length counts other bytes than on_body sees */
    upstream_progress_cb progress;
    void *arg;
    int aborted;
    upstream_result *res;
    /* redirects (SSRF rule): hop 0 is the upstream itself, whose class later hops
     * are held to; a refused address is named in refused[] */
    unsigned hop;
    upaddr_class own;
    long status;            /* of the response being received */
    uint64_t discarded;     /* bytes of redirect bodies thrown away */
    char refused[64];
} xfer;

/* Redirect bodies are read and dropped up to this much; more is an upstream failure. */
#define REDIRECT_BODY_MAX (64 * 1024)
#define REDIRECT_HOPS_MAX 5

uint64_t upstream_body_limit(const char *relpath)
{
    size_t l = strlen(relpath);
#define ENDS(s) (l >= sizeof(s) - 1 && strcmp(relpath + l - (sizeof(s) - 1), s) == 0)
    if (ENDS(".zip"))
        return ZIPCHECK_MAX_ZIP;
    if (ENDS(".mod"))
        return ZIPCHECK_MAX_GOMOD;
    if (ENDS("/@v/list"))
        return UPSTREAM_MAX_LIST;
    if (ENDS(".info") || ENDS("/@latest"))
        return UPSTREAM_MAX_INFO;
#undef ENDS
    return UPSTREAM_MAX_OTHER;
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Reserves the announced length before the first byte is written (and possibly
 * streamed to clients): a full disk or a file size limit then fails the fill while
 * stoa can still answer 507, instead of cutting off a response already under way.
 * 0, or -1 with errno. */
static int reserve(int fd, int64_t len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (uint64_t)len > rl.rlim_cur)
        return errno = EFBIG, -1;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len) != 0 && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINTR)
        return -1;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
    xfer *x = p;
    size_t len = size * n, off = 0;
    if (is_redirect(x->status))
        return (x->discarded += len) > REDIRECT_BODY_MAX ? 0 : len;
    /* Decoded bytes are counted: a small gzip answer cannot grow past the limit. */
    if (x->bytes + len > x->max_bytes || (!x->encoded && x->content_length > 0 && (uint64_t)x->content_length > x->max_bytes)) {
        x->too_big = 1;
        return 0;
    }
    if (x->bytes == 0 && !x->encoded && x->content_length > 0 && reserve(x->fd, x->content_length) != 0) {
        x->write_error = errno;
        return 0;
    }
    while (off < len) {
        ssize_t w = write(x->fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            x->write_error = errno != 0 ? errno : EIO;
            return 0;
        }
        off += (size_t)w;
    }
    x->bytes += len;
    x->last_byte_ms = clock_mono_ms();
    if (x->progress != NULL && x->progress(x->arg, x->bytes, x->encoded ? -1 : x->content_length) != 0) {
        x->aborted = 1;
        return 0;
    }
    return len;
}

static void copy_header_value(char *out, size_t outlen, const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t'))
        ++v, --len;
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        --len;
    snprintf(out, outlen, "%.*s", (int)len, v);
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
    xfer *x = p;
    size_t len = size * n;
    if (len > 15 && strncasecmp(data, "content-length:", 15) == 0) {
        char buf[32];
        copy_header_value(buf, sizeof(buf), data + 15, len - 15);
        x->content_length = strtoll(buf, NULL, 10);
    } else if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
        copy_header_value(x->res->etag, sizeof(x->res->etag), data + 5, len - 5);
    } else if (len > 13 && strncasecmp(data, "content-type:", 13) == 0) {
        copy_header_value(x->res->content_type, sizeof(x->res->content_type), data + 13, len - 13);
    } else if (len > 17 && strncasecmp(data, "content-encoding:", 17) == 0) {
        char buf[64];
        copy_header_value(buf, sizeof(buf), data + 17, len - 17);
        x->encoded = buf[0] != '\0' && strcasecmp(buf, "identity") != 0;
    } else if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        x->content_length = -1; /* a new response (after a redirect, or past a 1xx) */
        x->encoded = 0;
        const char *sp = memchr(data, ' ', len);
        x->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
    }
    return len;
}

static int on_xferinfo(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    xfer *x = p;
    int64_t now = clock_mono_ms();
    /* Before the first byte the first_byte timeout governs; after it, the stall one. */
    if (x->bytes == 0 && now - x->started_ms > (int64_t)x->first_byte_ms)
        return x->first_byte_timeout = 1;
    if (x->bytes > 0 && now - x->last_byte_ms > (int64_t)x->stall_ms)
        return x->stalled = 1;
    /* A slow drip (a byte now and then) is never silent for the stall time: under
     * min_rate for a whole stall window after the first byte is a stall too,
     * so an upstream that trickles holds a worker at most that long (issue 21 finding 7).
     * Not before the first byte: first_byte governs that wait. */
    if (x->bytes > 0 && x->window_ms == 0) {
        x->window_ms = now;
        x->window_bytes = x->bytes;
    } else if (x->bytes > 0 && now - x->window_ms >= (int64_t)x->stall_ms) {
        if ((x->bytes - x->window_bytes) * 1000 < x->min_rate * x->stall_ms)
            return x->stalled = 1;
        x->window_ms = now;
        x->window_bytes = x->bytes;
    }
    return 0;
}

/* Whether a connection of hop x->hop may go to this address: the upstream's own (hop
 * 0) may go anywhere; a redirect only where upaddr_redirect_ok says. */
static int address_ok(xfer *x, upaddr_class to, const char *text)
{
    if (x->hop == 0) {
        x->own = to;
        return 1;
    }
    if (upaddr_redirect_ok(x->own, to))
        return 1;
    snprintf(x->refused, sizeof(x->refused), "%s (%s)", text, upaddr_name(to));
    return 0;
}

/* Before connecting: a refused redirect target never sees a packet. */
static curl_socket_t on_opensocket(void *p, curlsocktype purpose, struct curl_sockaddr *a)
{
    char text[INET6_ADDRSTRLEN];
    if (numfmt_addr(&a->addr, text, sizeof(text)) != 0)
        snprintf(text, sizeof(text), "?");
    if (purpose == CURLSOCKTYPE_IPCXN && !address_ok(p, upaddr_classify(&a->addr), text))
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Before each request, also on a reused connection (no opensocket call then). */
static int on_prereq(void *p, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)local_ip, (void)primary_port, (void)local_port;
    return address_ok(p, upaddr_classify_text(primary_ip), primary_ip) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

static void setup(CURL *h, const conf_upstream *u, const char *url, xfer *x)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa/" STOA_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* followed by hand: follow_redirect() */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, x);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)u->connect_ms);
    /* Only a zip may take timeout.total: the other answers are small (issue 21 finding 7). */
    uint32_t total = x->max_bytes == ZIPCHECK_MAX_ZIP || u->metadata_ms == 0 || u->metadata_ms > u->total_ms
                         ? u->total_ms
                         : u->metadata_ms;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)total);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
}

static stoa_status classify_curl(CURLcode rc, const xfer *x, char *why, size_t len)
{
    if (x->refused[0] != '\0')
        return snprintf(why, len, "redirect to %s refused: internal address", x->refused), STOA_BADGATEWAY;
    if (x->discarded > REDIRECT_BODY_MAX)
        return snprintf(why, len, "redirect body over %d bytes", REDIRECT_BODY_MAX), STOA_BADGATEWAY;
    if (x->too_big)
        return snprintf(why, len, "body over %llu bytes, the limit for this kind of file",
                        (unsigned long long)x->max_bytes), STOA_BADGATEWAY;
    if (x->first_byte_timeout)
        return snprintf(why, len, "no response within %u ms", x->first_byte_ms), STOA_TIMEOUT;
    if (x->stalled)
        return snprintf(why, len, "stalled: under %llu bytes/s for %u ms", (unsigned long long)x->min_rate, x->stall_ms),
               STOA_TIMEOUT;
    if (x->write_error)
        return snprintf(why, len, "cannot write staging file: %s", strerror(x->write_error)),
               x->write_error == ENOSPC || x->write_error == EDQUOT || x->write_error == EFBIG ? STOA_NOSPACE
                                                                                             : STOA_INTERNAL;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return snprintf(why, len, "timed out (%s)", curl_easy_strerror(rc)), STOA_TIMEOUT;
    snprintf(why, len, "%s", curl_easy_strerror(rc));
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? STOA_UNAVAILABLE : STOA_BADGATEWAY;
}

static stoa_status fetch_url(const conf_upstream *u, const char *url, uint64_t max, const char *inm, int fd,
                             upstream_progress_cb progress, void *arg, upstream_result *res, upstream_attempt *a);

/* scheme://host:port of url into out (port made explicit); 0 or -1. */
static int origin_of(const char *url, char *out, size_t len)
{
    CURLU *cu = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;
    if (cu != NULL && curl_url_set(cu, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(cu, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(cu, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        snprintf(out, len, "%s://%s:%s", scheme, host, port);
        for (char *c = out; *c; ++c)
            *c = (char)tolower((unsigned char)*c);
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(cu);
    return rc;
}

/* After a complete response: if it is a redirect the upstream's rule allows, points
 * h at its target and returns 1 (perform again); otherwise 0, with the reason in
 * refused when the redirect was refused. The address rule is applied while
 * connecting (address_ok). */
static int follow_redirect(CURL *h, const conf_upstream *u, const char *url, xfer *x, char *refused, size_t len)
{
    long status = 0;
    char *to = NULL, a[512], b[512];
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (!is_redirect(status) || curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &to) != CURLE_OK || to == NULL)
        return 0;
    char shown[512];
    url_show(to, shown, sizeof(shown));
    if (u->redirects == CONF_REDIR_NONE)
        return snprintf(refused, len, "redirect to %.200s refused (redirects: none)", shown), 0;
    if (x->hop >= REDIRECT_HOPS_MAX)
        return snprintf(refused, len, "more than %d redirects", REDIRECT_HOPS_MAX), 0;
    if (strncmp(to, "http://", 7) != 0 && strncmp(to, "https://", 8) != 0)
        return snprintf(refused, len, "redirect to %.200s refused: not http(s)", shown), 0;
    if (u->redirects == CONF_REDIR_SAME_ORIGIN &&
        (origin_of(url, a, sizeof(a)) != 0 || origin_of(to, b, sizeof(b)) != 0 || strcmp(a, b) != 0))
        return snprintf(refused, len, "cross-origin redirect to %.200s refused (redirects: same_origin)", shown), 0;
    char next[4096];
    if (strlen(to) >= sizeof(next))
        return snprintf(refused, len, "redirect target too long"), 0;
    memcpy(next, to, strlen(to) + 1); /* `to` belongs to the handle until the next perform */
    ++x->hop;
    x->status = 0;
    x->discarded = 0;
    curl_easy_setopt(h, CURLOPT_URL, next);
    return 1;
}

static stoa_status attempt_once(const struct conf *c, const conf_upstream *u, const char *relpath, const upstream_cond *cond, int fd,
                                upstream_progress_cb progress, void *arg, upstream_result *res, upstream_attempt *a)
{
    if (u->direct) /* the module's own repository: answers computed from git */
        return origin_fetch(c, u, relpath, fd, a->why, sizeof(a->why));
    char url[4096 + 512];
    snprintf(url, sizeof(url), "%s/%s", u->url, relpath);
    const char *inm = cond != NULL && cond->etag[0] != '\0' && strcmp(cond->upstream, u->name) == 0 ? cond->etag : NULL;
    return fetch_url(u, url, upstream_body_limit(relpath), inm, fd, progress, arg, res, a);
}

stoa_status upstream_get(const conf_upstream *u, const char *url, int fd, upstream_result *res, upstream_attempt *a)
{
    memset(res, 0, sizeof(*res));
    memset(a, 0, sizeof(*a));
    snprintf(a->name, sizeof(a->name), "%s", u->name);
    return a->status = fetch_url(u, url, UPSTREAM_MAX_OTHER, NULL, fd, NULL, NULL, res, a);
}

static stoa_status fetch_url(const conf_upstream *u, const char *url, uint64_t max, const char *inm, int fd,
                             upstream_progress_cb progress, void *arg, upstream_result *res, upstream_attempt *a)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return snprintf(a->why, sizeof(a->why), "cannot reset staging file: %s", strerror(errno)), STOA_INTERNAL;
    if (progress != NULL)
        progress(arg, 0, -1); /* a new attempt: whatever was written before is void */
    CURL *h = thread_handle();
    if (h == NULL)
        return snprintf(a->why, sizeof(a->why), "out of memory"), STOA_INTERNAL;
    int64_t t0 = clock_mono_ms();
    xfer x = {.fd = fd, .content_length = -1, .started_ms = t0, .last_byte_ms = t0, .first_byte_ms = u->first_byte_ms,
              .stall_ms = u->stall_ms, .min_rate = u->min_rate ? u->min_rate : (uint64_t)UPSTREAM_LOW_SPEED, .max_bytes = max, .progress = progress, .arg = arg, .res = res};
    res->etag[0] = res->content_type[0] = '\0';
    res->not_modified = 0;
    setup(h, u, url, &x);
    struct curl_slist *hdrs = NULL;
    char line[160];
    if (inm != NULL) {
        snprintf(line, sizeof(line), "If-None-Match: %s", inm);
        hdrs = curl_slist_append(NULL, line);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    }
    CURLcode rc;
    char refused[320] = "";
    while ((rc = curl_easy_perform(h)) == CURLE_OK && follow_redirect(h, u, url, &x, refused, sizeof(refused)))
        ;
    curl_slist_free_all(hdrs);
    res->bytes = x.bytes;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->http);
    if (refused[0] != '\0')
        return snprintf(a->why, sizeof(a->why), "%s", refused), STOA_BADGATEWAY;
    if (x.aborted)
        return snprintf(a->why, sizeof(a->why), "aborted"), STOA_INTERNAL;
    a->final = x.too_big; /* the same upstream would send the same oversized answer again */
    if (rc != CURLE_OK)
        return classify_curl(rc, &x, a->why, sizeof(a->why));
    if (a->http == 304 && inm != NULL && x.bytes == 0) {
        res->not_modified = 1;
        return snprintf(a->why, sizeof(a->why), "304 not modified"), STOA_OK;
    }
    if (a->http == 404 || a->http == 410)
        return snprintf(a->why, sizeof(a->why), "%ld not found", a->http), STOA_NOTFOUND;
    if (a->http != 200)
        return snprintf(a->why, sizeof(a->why), "HTTP %ld", a->http), STOA_BADGATEWAY;
    /* curl itself fails a body cut short of its Content-Length; this catches the rest,
     * and only unencoded: a gzip answer's Content-Length counts encoded bytes. */
    if (!x.encoded && x.content_length >= 0 && (uint64_t)x.content_length != x.bytes)
        return snprintf(a->why, sizeof(a->why), "body of %llu bytes, Content-Length said %lld",
                        (unsigned long long)x.bytes, (long long)x.content_length), STOA_BADGATEWAY;
    return STOA_OK;
}

static int circuit_open(const conf_upstream *u, int64_t now)
{
    return atomic_load(&slots[upstream_slot(u->name)].open_until_ms) > now;
}

static void record(const conf_upstream *u, stoa_status st)
{
    health *h = &slots[upstream_slot(u->name)];
    atomic_fetch_add(&h->requests, 1);
    if (st == STOA_NOSPACE) /* our disk is full: says nothing about the upstream's health */
        return;
    if (st == STOA_OK || st == STOA_NOTFOUND) {
        atomic_store(&h->consecutive, 0);
        atomic_store(&h->open_until_ms, 0);
        return;
    }
    atomic_fetch_add(&h->failures, 1);
    if (atomic_fetch_add(&h->consecutive, 1) + 1 >= u->max_fails) {
        int64_t now = clock_mono_ms();
        atomic_store(&h->open_until_ms, now + u->fail_timeout_ms);
        atomic_store(&h->next_probe_ms, now + u->probe_interval_ms);
    }
}

/* Whether upstream i takes part in this walk. */
static int eligible(const struct conf *c, size_t i, int64_t now)
{
    int all_primaries_open = 1, all_open = 1;
    for (size_t j = 0; j < c->nupstreams; ++j) {
        if (!circuit_open(&c->upstreams[j], now)) {
            all_open = 0;
            if (!c->upstreams[j].backup)
                all_primaries_open = 0;
        }
    }
    if (all_open)
        return 1;
    if (c->upstreams[i].backup && !all_primaries_open)
        return 0;
    return !circuit_open(&c->upstreams[i], now);
}

static void backoff(unsigned attempt)
{
    unsigned base = 50u << (attempt < 5 ? attempt : 5);
    unsigned jitter = (unsigned)(rand() % (int)base);
    usleep((base + jitter) * 1000u);
}

static stoa_status try_upstream(const struct conf *c, size_t i, const char *relpath, const upstream_cond *cond, int fd,
                                upstream_progress_cb progress, void *arg, upstream_result *res)
{
    const conf_upstream *u = &c->upstreams[i];
    stoa_status st = STOA_INTERNAL;
    for (unsigned t = 0; t <= u->retries && res->nattempts < UPSTREAM_MAX_ATTEMPTS; ++t) {
        upstream_attempt *a = &res->attempts[res->nattempts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "%s", u->name);
        int64_t t0 = clock_mono_ms();
        st = a->status = attempt_once(c, u, relpath, cond, fd, progress, arg, res, a);
        a->ms = (double)(clock_mono_ms() - t0);
        record(u, st);
        metrics_upstream(upstream_slot(u->name), st, a->ms);
        if (st != STOA_OK && st != STOA_NOTFOUND) {
            char shown[1024];
            url_show(u->url, shown, sizeof(shown));
            log_msg(STOA_LOG_WARN, "upstream", "%s: %s/%s: %s after %.0f ms", u->name, shown, relpath, a->why, a->ms);
        }
        /* Retry only transient failures, and only before a byte reached anyone. */
        if (st == STOA_OK || st == STOA_NOTFOUND || st == STOA_INTERNAL || st == STOA_NOSPACE || a->final ||
            (a->http >= 400 && a->http < 500) || t == u->retries)
            break;
        backoff(t);
    }
    return st;
}

stoa_status upstream_fetch(const struct conf *c, size_t from, const char *relpath, int fd, upstream_progress_cb progress,
                           void *arg, upstream_result *res)
{
    return upstream_fetch_cond(c, from, ~(uint64_t)0, relpath, fd, NULL, progress, arg, res);
}

stoa_status upstream_fetch_cond(const struct conf *c, size_t from, uint64_t allow, const char *relpath, int fd,
                                const upstream_cond *cond, upstream_progress_cb progress, void *arg, upstream_result *res)
{
    if (from == 0) {
        memset(res, 0, sizeof(*res));
        res->status = STOA_NOTFOUND;
    }
    res->served_by = -1;
    stoa_status last = res->status == STOA_OK ? STOA_NOTFOUND : res->status;
    int64_t now = clock_mono_ms();
    for (size_t i = from; i < c->nupstreams; ++i) {
        if (i >= 64 || !(allow >> i & 1) || !eligible(c, i, now))
            continue;
        stoa_status st = try_upstream(c, i, relpath, cond, fd, progress, arg, res);
        if (st == STOA_OK) {
            res->served_by = (int)i;
            return res->status = STOA_OK;
        }
        if (st != STOA_NOTFOUND)
            last = st;
        if (!upstream_may_continue(c, i, st))
            break;
    }
    return res->status = last;
}

int upstream_may_continue(const struct conf *c, size_t i, stoa_status st)
{
    if (i + 1 >= c->nupstreams)
        return 0;
    return st == STOA_NOTFOUND || c->upstreams[i].fallthrough == CONF_FALL_ON_ANY_ERROR;
}

void upstream_reject(const struct conf *c, size_t i, upstream_result *res, const char *why)
{
    record(&c->upstreams[i], STOA_BADGATEWAY);
    metrics_upstream_rejected(upstream_slot(c->upstreams[i].name));
    res->status = STOA_BADGATEWAY;
    for (size_t k = res->nattempts; k-- > 0;) {
        if (strcmp(res->attempts[k].name, c->upstreams[i].name) == 0) {
            res->attempts[k].status = STOA_BADGATEWAY;
            snprintf(res->attempts[k].why, sizeof(res->attempts[k].why), "%s", why);
            break;
        }
    }
}

void upstream_describe(const upstream_result *res, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res->nattempts && n < len; ++i) {
        int m = snprintf(out + n, len - n, "%s%s: %s", i ? "; " : "", res->attempts[i].name, res->attempts[i].why);
        if (m < 0)
            break;
        n += (size_t)m;
    }
    if (res->nattempts == 0)
        snprintf(out, len, "no upstream available");
}

void upstream_health_of(const conf_upstream *u, upstream_health *out)
{
    memset(out, 0, sizeof(*out));
    health *h = &slots[upstream_slot(u->name)];
    out->consecutive_failures = atomic_load(&h->consecutive);
    out->open = circuit_open(u, clock_mono_ms());
    out->requests = atomic_load(&h->requests);
    out->failures = atomic_load(&h->failures);
}

int upstream_probe_due(const conf_upstream *u, int64_t now)
{
    health *h = &slots[upstream_slot(u->name)];
    if (atomic_load(&h->open_until_ms) <= now || atomic_load(&h->next_probe_ms) > now)
        return 0;
    atomic_store(&h->next_probe_ms, now + u->probe_interval_ms);
    return 1;
}

static size_t discard(char *data, size_t size, size_t n, void *p)
{
    size_t *total = p;
    *total += size * n;
    return *total > 65536 ? 0 : size * n; /* a probe needs a status line, not a page */
}

long upstream_probe(const conf_upstream *u)
{
    if (u->direct)
        return 0; /* no one URL to probe: the circuit closes when fail_timeout ends */
    CURL *h = thread_handle();
    if (h == NULL)
        return 0;
    char url[4096];
    snprintf(url, sizeof(url), "%s/", u->url);
    size_t total = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa/" STOA_VERSION " (probe)");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)u->connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(u->first_byte_ms < 10000 ? u->first_byte_ms : 10000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &total);
    long code = 0;
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
        code = 0;
    if (code > 0 && code < 500) {
        health *hs = &slots[upstream_slot(u->name)];
        atomic_store(&hs->consecutive, 0);
        atomic_store(&hs->open_until_ms, 0);
    }
    return code;
}
