/*
 * S3 through libcurl, signed with AWS Signature V4 (CURLOPT_AWS_SIGV4). Facts that
 * shape this file (docs/storage-pgs3.md):
 *  - curl 7.88 signs but does not send x-amz-content-sha256, which S3 requires: PUT
 *    sends the body's SHA-256 (the key already is it: content-addressed), the other
 *    calls UNSIGNED-PAYLOAD (they have no body). Headers set here are signed too.
 *  - TLS is verified (system CAs or ca_file) unless insecure_skip_verify was chosen.
 *  - each thread keeps one easy handle, so its calls reuse a keep-alive connection
 *    (and TLS session). A handle is dropped after a call that failed at the transport
 *    level; the close and a fork's child move the generation on, so no thread reuses
 *    a handle that was freed or belongs to the parent.
 *  - a truncated GET is caught by counting and hashing the bytes against the row.
 *  - S3's error answers are small XML documents: <Code> and <Message> are pulled out
 *    with a string search (no XML library) and turned into a message that names the
 *    store and says what to check.
 */
#include "pgs3.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERR_BODY_MAX 4096

static int s3_users; /* curl_global_init once per process; main thread only */

#define MAX_HANDLES 1024
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *handles[MAX_HANDLES];
static size_t nhandles;
static atomic_uint handle_gen;
static _Thread_local CURL *my_handle;
static _Thread_local unsigned my_gen;

typedef struct call {
    /* body transfer */
    int fd;
    uint64_t size, offset;
    int io_errno;
    int overflow;            /* the object is longer than the row says */
    EVP_MD_CTX *md;
    /* error answer */
    char body[ERR_BODY_MAX + 1];
    size_t body_len;
    long status;
} call;

/* ---- per-thread handles ---- */

static CURL *thread_handle(void)
{
    if (my_handle != NULL && my_gen == atomic_load(&handle_gen))
        return my_handle;
    CURL *h = curl_easy_init();
    if (h == NULL)
        return NULL;
    pthread_mutex_lock(&handles_lock);
    int keep = nhandles < MAX_HANDLES;
    if (keep)
        handles[nhandles++] = h;
    pthread_mutex_unlock(&handles_lock);
    my_handle = keep ? h : NULL;
    my_gen = atomic_load(&handle_gen);
    return h;
}

static void drop_handle(CURL *h)
{
    pthread_mutex_lock(&handles_lock);
    for (size_t i = 0; i < nhandles; ++i)
        if (handles[i] == h) {
            handles[i] = handles[--nhandles];
            break;
        }
    pthread_mutex_unlock(&handles_lock);
    if (my_handle == h)
        my_handle = NULL;
    curl_easy_cleanup(h);
}

static void forget_handles_in_child(void)
{
    nhandles = 0; /* the parent's: leaked here rather than closing its connections */
    atomic_fetch_add(&handle_gen, 1);
}

/* ---- callbacks ---- */

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
    call *c = data;
    uint64_t left = c->size - c->offset;
    size_t want = left < (uint64_t)(size * n) ? (size_t)left : size * n;
    if (want == 0)
        return 0;
    ssize_t got;
    do
        got = pread(c->fd, buf, want, (off_t)c->offset);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        c->io_errno = got < 0 ? errno : EIO;
        return CURL_READFUNC_ABORT;
    }
    c->offset += (uint64_t)got;
    return (size_t)got;
}

/* curl rewinds a PUT body when it must resend it (a redirect, an auth retry). */
static int on_seek(void *data, curl_off_t offset, int origin)
{
    call *c = data;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > c->size)
        return CURL_SEEKFUNC_FAIL;
    c->offset = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int keep_error_body(call *c, const char *buf, size_t len)
{
    size_t room = ERR_BODY_MAX - c->body_len;
    size_t take = len < room ? len : room;
    memcpy(c->body + c->body_len, buf, take);
    c->body_len += take;
    c->body[c->body_len] = '\0';
    return 0;
}

static size_t on_write(char *buf, size_t size, size_t n, void *data)
{
    call *c = data;
    size_t len = size * n;
    if (c->status == 0)
        return 0; /* set by on_header before any body byte; absent: give up */
    if (c->status < 200 || c->status >= 300 || c->md == NULL) {
        keep_error_body(c, buf, len);
        return len;
    }
    if (c->offset + len > c->size) {
        c->overflow = 1; /* longer than the row says: not our object */
        return 0;
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = pwrite(c->fd, buf + done, len - done, (off_t)(c->offset + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->io_errno = w < 0 ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    EVP_DigestUpdate(c->md, buf, len);
    c->offset += len;
    return len;
}

/* Records the status of the final answer (a 100 Continue comes first on PUT). */
static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
    call *c = data;
    size_t len = size * n;
    int code;
    if (len > 9 && memcmp(buf, "HTTP/", 5) == 0) {
        const char *sp = memchr(buf, ' ', len);
        if (sp != NULL && sscanf(sp + 1, "%3d", &code) == 1)
            c->status = code;
    }
    return len;
}

/* ---- errors ---- */

/* The text of <tag>...</tag> in xml, into out (empty when absent). */
static void xml_text(const char *xml, const char *tag, char *out, size_t len)
{
    char open[32], close[32];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    out[0] = '\0';
    const char *a = strstr(xml, open), *b;
    if (a == NULL || (b = strstr(a += strlen(open), close)) == NULL)
        return;
    size_t n = (size_t)(b - a) < len - 1 ? (size_t)(b - a) : len - 1;
    memcpy(out, a, n);
    out[n] = '\0';
    for (char *p = out; *p; ++p)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* What an operator should check for an S3 error code. */
static const char *hint(const char *code, long status)
{
    static const struct {
        const char *code, *hint;
    } hints[] = {
        {"SignatureDoesNotMatch", "check secret_key (or AWS_SECRET_ACCESS_KEY) and region"},
        {"InvalidAccessKeyId", "check access_key (or AWS_ACCESS_KEY_ID)"},
        {"ExpiredToken", "the session token has expired: renew session_token (or AWS_SESSION_TOKEN)"},
        {"TokenRefreshRequired", "the session token has expired: renew session_token (or AWS_SESSION_TOKEN)"},
        {"InvalidToken", "check session_token (or AWS_SESSION_TOKEN): it does not belong to access_key"},
        {"AuthorizationHeaderMalformed", "check region: the store expects another one"},
        {"PermanentRedirect", "the bucket is in another region or needs addressing: virtual"},
        {"NoSuchBucket", "check bucket: it does not exist on this store"},
        {"AccessDenied", "the key lacks permission on the bucket (s3:GetObject, s3:PutObject, s3:DeleteObject)"},
        {"RequestTimeTooSkewed", "the clock of this machine is off: check NTP"},
        {"SlowDown", "the store is throttling: retried, still refused"},
    };
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); ++i)
        if (strcmp(code, hints[i].code) == 0)
            return hints[i].hint;
    if (status == 403)
        return "check access_key, secret_key, session_token and region";
    if (status == 301 || status == 307)
        return "check region and addressing";
    return status >= 500 ? "the store failed: retried, check its health" : "";
}

static const char *curl_hint(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return "the store's TLS certificate is not trusted: set ca_file to the CA that signed it (or fix the "
               "certificate's name); insecure_skip_verify: true only for a test store";
    case CURLE_SSL_CONNECT_ERROR:
        return "TLS handshake failed: check protocol (http or https) and the port";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "check s3_host";
    case CURLE_COULDNT_CONNECT:
        return "is the store running? check s3_host and its port";
    case CURLE_OPERATION_TIMEDOUT:
        return "the store is slow or unreachable: check it, or raise s3_timeout";
    default:
        return "";
    }
}

static stoa_status http_fail(const pgs3_s3 *s3, const call *c, const char *op, const char *key, stoa_error *err)
{
    char code[64], msg[200];
    xml_text(c->body, "Code", code, sizeof(code));
    xml_text(c->body, "Message", msg, sizeof(msg));
    const char *h = hint(code, c->status);
    return stoa_fail(err, STOA_UNAVAILABLE, "S3 store %s (bucket %s): %s %s: HTTP %ld%s%s%s%s%s%s", s3->host, s3->bucket,
                     op, key, c->status, *code ? " " : "", code, *msg ? ": " : "", msg, *h ? "; " : "", h);
}

/* ---- one request ---- */

static int retryable(CURLcode rc, const call *c)
{
    if (rc == CURLE_OK)
        return c->status == 500 || c->status == 502 || c->status == 503 || c->status == 504 ||
               (c->status == 400 && strstr(c->body, "<Code>RequestTimeout</Code>") != NULL);
    /* a reset or an answer cut short; a stall already spent its time */
    return (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
            rc == CURLE_PARTIAL_FILE || rc == CURLE_COULDNT_CONNECT) &&
           c->io_errno == 0 && !c->overflow;
}

static int build_url(const pgs3_s3 *s3, const char *key, char *url, size_t len)
{
    const char *scheme = s3->https ? "https" : "http";
    int n = s3->virtual_host ? snprintf(url, len, "%s://%s.%s/%s", scheme, s3->bucket, s3->host, key)
                             : snprintf(url, len, "%s://%s/%s/%s", scheme, s3->host, s3->bucket, key);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

typedef enum method { M_GET, M_PUT, M_HEAD, M_DELETE } method;

static void setup(const pgs3_s3 *s3, CURL *h, method m, call *c, const char *url, struct curl_slist *hdrs)
{
    curl_easy_reset(h); /* keeps the connection cache and TLS sessions */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s3->sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, s3->access);
    curl_easy_setopt(h, CURLOPT_PASSWORD, s3->secret);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa-pgs3");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s3->connect_timeout_ms);
    if (s3->total_timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s3->total_timeout_ms);
    /* no byte for timeout_ms: abandoned (a slow store, not a large object) */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)((s3->timeout_ms + 999) / 1000));
    if (s3->ca_file[0] != '\0')
        curl_easy_setopt(h, CURLOPT_CAINFO, s3->ca_file);
    if (s3->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    switch (m) {
    case M_PUT:
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, c);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->size);
        break;
    case M_HEAD:
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
        break;
    case M_DELETE:
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
        break;
    case M_GET:
        break;
    }
}

/* Runs one call with up to two retries of what S3 marks retryable (every call here
 * is idempotent). The body state restarts from offset 0 each time. STOA_OK means an
 * HTTP answer arrived (c->status says which); transport failures fail here. */
static stoa_status perform(const pgs3_s3 *s3, method m, const char *op, const char *key, const char *payload_sha,
                           call *c, CURL **used, stoa_error *err)
{
    char url[1024];
    if (build_url(s3, key, url, sizeof(url)) != 0)
        return stoa_fail(err, STOA_INTERNAL, "S3 %s %s: URL too long", op, key);
    char sha_hdr[128], tok_hdr[4200];
    snprintf(sha_hdr, sizeof(sha_hdr), "x-amz-content-sha256: %s", payload_sha ? payload_sha : "UNSIGNED-PAYLOAD");
    struct curl_slist *hdrs = curl_slist_append(NULL, sha_hdr);
    if (hdrs != NULL && s3->token[0] != '\0') {
        snprintf(tok_hdr, sizeof(tok_hdr), "x-amz-security-token: %s", s3->token);
        hdrs = curl_slist_append(hdrs, tok_hdr);
    }
    /* No "Expect:" to switch 100-continue off: curl 7.88 signs the emptied header and
     * the store's signature then differs (measured against s3rver 5). */
    if (hdrs == NULL)
        return stoa_fail(err, STOA_INTERNAL, "S3: out of memory");
    stoa_status st = STOA_OK;
    for (int i = 0;; ++i) {
        CURL *h = thread_handle();
        if (h == NULL) {
            st = stoa_fail(err, STOA_INTERNAL, "S3: out of memory");
            break;
        }
        c->offset = 0;
        c->status = 0;
        c->body_len = 0;
        c->body[0] = '\0';
        if (c->md != NULL)
            EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
        setup(s3, h, m, c, url, hdrs);
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK || h != my_handle) {
            drop_handle(h);
            h = NULL;
        }
        if (i < 2 && retryable(rc, c)) {
            usleep(50000u << (2 * i));
            continue;
        }
        if (rc != CURLE_OK && c->io_errno == 0 && !c->overflow) {
            const char *ch = curl_hint(rc);
            st = stoa_fail(err, STOA_UNAVAILABLE, "S3 store %s (bucket %s): %s %s: %s%s%s", s3->host, s3->bucket, op,
                           key, curl_easy_strerror(rc), *ch ? "; " : "", ch);
        } else if (rc != CURLE_OK) {
            st = STOA_UNAVAILABLE; /* the caller reports io_errno / overflow */
        }
        if (used != NULL)
            *used = h;
        break;
    }
    curl_slist_free_all(hdrs);
    return st;
}

static stoa_status answer(const pgs3_s3 *s3, const call *c, const char *op, const char *key, stoa_error *err)
{
    if (c->status >= 200 && c->status < 300)
        return STOA_OK;
    if (c->status == 404 && strstr(c->body, "<Code>NoSuchBucket</Code>") == NULL)
        return stoa_fail(err, STOA_NOTFOUND, "S3 %s %s: not found", op, key);
    return http_fail(s3, c, op, key, err);
}

/* ---- put ---- */

/* The key's hex digest (blobs/sha256/ab/cdef... → abcdef...), or NULL. */
static const char *key_sha(const char *key, char hex[65])
{
    unsigned char d[32];
    if (strncmp(key, "blobs/sha256/", 13) != 0 || strlen(key) != 13 + 2 + 1 + 62 || key[15] != '/')
        return NULL;
    snprintf(hex, 65, "%.2s%s", key + 13, key + 16);
    return pgs3_unhex(hex, d) == 0 ? hex : NULL;
}

stoa_status pgs3_s3_put(pgs3_s3 *s3, const char *key, int fd, uint64_t size, stoa_error *err)
{
    call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    c->fd = fd;
    c->size = size;
    char hex[65];
    stoa_status st = perform(s3, M_PUT, "PUT", key, key_sha(key, hex), c, NULL, err);
    if (c->io_errno != 0)
        st = stoa_fail(err, STOA_INTERNAL, "S3 PUT %s: reading the staged file: %s", key, strerror(c->io_errno));
    else if (st == STOA_OK)
        st = answer(s3, c, "PUT", key, err);
    if (st == STOA_OK && c->offset != size)
        st = stoa_fail(err, STOA_UNAVAILABLE, "S3 PUT %s: sent %llu of %llu bytes", key, (unsigned long long)c->offset,
                       (unsigned long long)size);
    free(c);
    return st;
}

/* ---- get ---- */

stoa_status pgs3_s3_get(pgs3_s3 *s3, const char *key, int out, uint64_t size, const unsigned char sha256[32],
                        stoa_error *err)
{
    call *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->md = EVP_MD_CTX_new()) == NULL) {
        free(c);
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    }
    c->fd = out;
    c->size = size;
    stoa_status st = perform(s3, M_GET, "GET", key, NULL, c, NULL, err);
    unsigned char got[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(c->md, got, &len);
    if (c->io_errno != 0)
        st = stoa_fail(err, c->io_errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "spooling S3 object %s: %s", key,
                       strerror(c->io_errno));
    else if (c->overflow)
        st = stoa_fail(err, STOA_INTERNAL, "S3 object %s is longer than its %llu bytes: the stored body is corrupt", key,
                       (unsigned long long)size);
    else if (st == STOA_OK && (st = answer(s3, c, "GET", key, err)) == STOA_OK) {
        if (c->offset != size)
            st = stoa_fail(err, STOA_UNAVAILABLE, "S3 GET %s: got %llu of %llu bytes", key,
                           (unsigned long long)c->offset, (unsigned long long)size);
        else if (memcmp(got, sha256, 32) != 0)
            st = stoa_fail(err, STOA_INTERNAL, "S3 object %s does not match its sha256: the stored body is corrupt",
                           key);
    }
    EVP_MD_CTX_free(c->md);
    free(c);
    return st;
}

/* ---- head, delete, probe ---- */

stoa_status pgs3_s3_head(pgs3_s3 *s3, const char *key, uint64_t *size, int64_t *mtime, stoa_error *err)
{
    call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    CURL *h = NULL;
    stoa_status st = perform(s3, M_HEAD, "HEAD", key, NULL, c, &h, err);
    if (st == STOA_OK && (st = answer(s3, c, "HEAD", key, err)) == STOA_OK) {
        curl_off_t len = -1, t = -1;
        CURL *info = h != NULL ? h : NULL;
        if (info != NULL) {
            curl_easy_getinfo(info, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
            curl_easy_getinfo(info, CURLINFO_FILETIME_T, &t);
        }
        *size = len >= 0 ? (uint64_t)len : 0;
        *mtime = t >= 0 ? (int64_t)t : 0;
    }
    free(c);
    return st;
}

stoa_status pgs3_s3_delete(pgs3_s3 *s3, const char *key, stoa_error *err)
{
    call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    stoa_status st = perform(s3, M_DELETE, "DELETE", key, NULL, c, NULL, err);
    if (st == STOA_OK)
        st = answer(s3, c, "DELETE", key, err);
    free(c);
    return st == STOA_NOTFOUND ? STOA_OK : st;
}

/* A GET of an absent key: its answer is a 404 NoSuchKey when the store accepts our
 * credentials, and an error document saying why when it does not (a HEAD's answer has
 * no body, so it could not say). */
stoa_status pgs3_s3_probe(pgs3_s3 *s3, stoa_error *err)
{
    call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    c->size = 0; /* no md: any 2xx body is discarded into the error buffer */
    stoa_status st = perform(s3, M_GET, "GET", "health-probe", NULL, c, NULL, err);
    if (st == STOA_OK)
        st = answer(s3, c, "GET", "health-probe", err);
    free(c);
    return st == STOA_NOTFOUND ? STOA_OK : st;
}

/* ---- keys ---- */

void pgs3_hex(const unsigned char sha256[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        out[2 * i] = digits[sha256[i] >> 4];
        out[2 * i + 1] = digits[sha256[i] & 15];
    }
    out[64] = '\0';
}

int pgs3_unhex(const char *hex, unsigned char sha256[32])
{
    for (int i = 0; i < 64; ++i) {
        char ch = hex[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            sha256[i / 2] = (unsigned char)(v << 4);
        else
            sha256[i / 2] |= (unsigned char)v;
    }
    return hex[64] == '\0' ? 0 : -1;
}

void pgs3_blob_key(const unsigned char sha256[32], char out[PGS3_KEY_MAX])
{
    char hex[65];
    pgs3_hex(sha256, hex);
    snprintf(out, PGS3_KEY_MAX, "blobs/sha256/%.2s/%s", hex, hex + 2);
}

/* ---- lifetime ---- */

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_handles_in_child);
}

/* S3's bucket naming rules, as far as addressing depends on them. */
static int valid_bucket(const char *b, int virtual_host)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (const char *p = b; *p; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
              (!virtual_host && (*p == '_' || (*p >= 'A' && *p <= 'Z')))))
            return 0;
    return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

stoa_status pgs3_s3_open(pgs3_s3 *s3, const pgs3_opts *o, stoa_error *err)
{
    memset(s3, 0, sizeof(*s3));
    snprintf(s3->host, sizeof(s3->host), "%s", o->s3_host);
    snprintf(s3->bucket, sizeof(s3->bucket), "%s", o->bucket);
    snprintf(s3->access, sizeof(s3->access), "%s", o->access_key);
    snprintf(s3->secret, sizeof(s3->secret), "%s", o->secret_key);
    snprintf(s3->token, sizeof(s3->token), "%s", o->session_token);
    snprintf(s3->ca_file, sizeof(s3->ca_file), "%s", o->ca_file);
    snprintf(s3->sigv4, sizeof(s3->sigv4), "aws:amz:%s:s3", o->region);
    s3->https = o->https;
    s3->insecure = o->insecure_skip_verify;
    s3->virtual_host = o->virtual_host;
    s3->timeout_ms = o->s3_timeout_ms;
    s3->connect_timeout_ms = o->s3_connect_timeout_ms;
    s3->total_timeout_ms = o->s3_total_timeout_ms;
    if (!valid_bucket(o->bucket, o->virtual_host))
        return stoa_fail(err, STOA_INVALID, "pgs3: option bucket: '%s' is not a valid bucket name%s", o->bucket,
                         o->virtual_host ? " for addressing: virtual" : "");
    if (s3_users == 0) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return stoa_fail(err, STOA_INTERNAL, "libcurl initialisation failed");
        curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        if (v->version_num < 0x074b00) /* CURLOPT_AWS_SIGV4 arrived in 7.75 */
            return stoa_fail(err, STOA_INTERNAL, "pgs3: libcurl %s cannot sign AWS Signature V4 (7.75 or later needed)",
                             v->version);
        static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
        pthread_once(&atfork_once, register_atfork);
    }
    ++s3_users;
    return STOA_OK;
}

void pgs3_s3_close(pgs3_s3 *s3)
{
    if (s3_users > 0 && --s3_users == 0) {
        pthread_mutex_lock(&handles_lock); /* no call runs now: every thread's handle is idle */
        for (size_t i = 0; i < nhandles; ++i)
            curl_easy_cleanup(handles[i]);
        nhandles = 0;
        atomic_fetch_add(&handle_gen, 1);
        pthread_mutex_unlock(&handles_lock);
        curl_global_cleanup();
    }
    explicit_bzero(s3->secret, sizeof(s3->secret));
    explicit_bzero(s3->token, sizeof(s3->token));
}
