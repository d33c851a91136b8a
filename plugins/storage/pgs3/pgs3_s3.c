/*
 * S3 through libs3 2.0. Facts that shape this file (docs/storage-pgs3.md):
 *  - libs3 signs with gmtime(), which is not thread-safe: every request is started
 *    (signed and queued) under one process-wide mutex, then transferred outside it.
 *  - libs3 has no timeouts of its own beyond a low-speed abort: each call is driven
 *    here by select() and abandoned when no byte has moved for s3_timeout.
 *  - a request context's curl multi handle owns the connection cache, so each thread
 *    keeps one context between calls and its calls share a keep-alive connection (on
 *    https, its TLS session) instead of connecting for every call. A context is
 *    dropped after a call it had to abandon, since the request may still be in it.
 *  - a truncated GET reports success: bytes are counted and hashed against the row.
 *  - libs3 reads S3's XML answers with libxml2 from whichever thread made the call.
 *    libxml2 2.9 sets itself up on first use, unsafely if two threads race, and keeps
 *    that state in its globals: it is set up here, beside S3_initialize, and torn down
 *    with the last user, before unloading the plugin can unload libxml2 and lose it.
 */
#include "pgs3.h"

#include <errno.h>
#include <libs3.h>
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t sign_lock = PTHREAD_MUTEX_INITIALIZER;
static int s3_users; /* S3_initialize and xmlInitParser once per process; main thread only */

/* Every thread's kept context, so the last pgs3_s3_close can destroy them. A thread
 * trusts its own pointer only while its generation is current: the close (and a
 * fork's child, which must not share its parent's connections) moves it on. */
#define MAX_CONTEXTS 1024
static pthread_mutex_t contexts_lock = PTHREAD_MUTEX_INITIALIZER;
static S3RequestContext *contexts[MAX_CONTEXTS];
static size_t ncontexts;
static atomic_uint context_gen;
static _Thread_local S3RequestContext *my_context;
static _Thread_local unsigned my_gen;

typedef struct call {
    S3Status status;
    int done;
    char detail[200];
    uint64_t moved;          /* bytes sent or received: progress for the timeout */
    /* body transfer */
    int fd;
    uint64_t size, offset;
    int io_errno;
    EVP_MD_CTX *md;
    /* head */
    uint64_t length;
    int64_t mtime;
} call;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static S3Status on_props(const S3ResponseProperties *p, void *data)
{
    call *c = data;
    c->length = p->contentLength;
    c->mtime = p->lastModified;
    return S3StatusOK;
}

static void on_complete(S3Status status, const S3ErrorDetails *e, void *data)
{
    call *c = data;
    c->status = status;
    c->done = 1;
    if (e != NULL && e->message != NULL)
        snprintf(c->detail, sizeof(c->detail), ": %s", e->message);
}

static const S3ResponseHandler responses = {on_props, on_complete};

static void context(const pgs3_s3 *s3, S3BucketContext *b)
{
    *b = (S3BucketContext){s3->host, s3->bucket, s3->https ? S3ProtocolHTTPS : S3ProtocolHTTP, S3UriStylePath, s3->access,
                           s3->secret};
}

static int not_found(S3Status s)
{
    return s == S3StatusHttpErrorNotFound || s == S3StatusErrorNoSuchKey;
}

static stoa_status result(const pgs3_s3 *s3, const call *c, const char *op, const char *key, stoa_error *err)
{
    if (c->status == S3StatusOK)
        return STOA_OK;
    if (not_found(c->status))
        return stoa_fail(err, STOA_NOTFOUND, "S3 %s %s: not found", op, key);
    return stoa_fail(err, STOA_UNAVAILABLE, "S3 %s %s at %s: %s%s", op, key, s3->host, S3_get_status_name(c->status),
                     c->detail);
}

/* Drives rc until its one request completes or makes no progress for timeout_ms. */
static stoa_status drive(const pgs3_s3 *s3, S3RequestContext *rc, call *c, const char *op, const char *key,
                         stoa_error *err)
{
    int64_t deadline = now_ms() + s3->timeout_ms;
    uint64_t seen = c->moved;
    for (;;) {
        int remaining = 0;
        if (S3_runonce_request_context(rc, &remaining) != S3StatusOK)
            return stoa_fail(err, STOA_UNAVAILABLE, "S3 %s %s: libs3 internal error", op, key);
        if (remaining == 0 || c->done)
            return STOA_OK;
        int64_t now = now_ms();
        if (c->moved != seen) {
            seen = c->moved;
            deadline = now + s3->timeout_ms;
        }
        if (now >= deadline)
            return stoa_fail(err, STOA_UNAVAILABLE, "S3 %s %s at %s: no progress for %u ms", op, key, s3->host,
                             s3->timeout_ms);
        fd_set r, w, x;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&x);
        int maxfd = -1;
        S3_get_request_context_fdsets(rc, &r, &w, &x, &maxfd);
        int64_t wait = S3_get_request_context_timeout(rc);
        /* curl leaves sockets >= FD_SETSIZE out of the sets: poll briefly instead */
        if (wait < 0 || wait > 100 || maxfd < 0)
            wait = maxfd < 0 ? 5 : 100;
        struct timeval tv = {0, (suseconds_t)wait * 1000};
        if (select(maxfd + 1, &r, &w, &x, &tv) < 0 && errno != EINTR)
            return stoa_fail(err, STOA_INTERNAL, "S3 %s %s: select: %s", op, key, strerror(errno));
    }
}

/* This thread's request context, created on first use (NULL: out of memory). Past
 * MAX_CONTEXTS threads, a context is not kept (it is not my_context): the caller
 * destroys it after its call. */
static S3RequestContext *thread_context(void)
{
    if (my_context != NULL && my_gen == atomic_load(&context_gen))
        return my_context;
    S3RequestContext *rc;
    if (S3_create_request_context(&rc) != S3StatusOK)
        return NULL;
    pthread_mutex_lock(&contexts_lock);
    int keep = ncontexts < MAX_CONTEXTS;
    if (keep)
        contexts[ncontexts++] = rc;
    pthread_mutex_unlock(&contexts_lock);
    my_context = keep ? rc : NULL;
    my_gen = atomic_load(&context_gen);
    return rc;
}

/* Destroys rc (aborting a request still in it) and forgets it. */
static void drop_context(S3RequestContext *rc)
{
    pthread_mutex_lock(&contexts_lock);
    for (size_t i = 0; i < ncontexts; ++i)
        if (contexts[i] == rc) {
            contexts[i] = contexts[--ncontexts];
            break;
        }
    pthread_mutex_unlock(&contexts_lock);
    if (my_context == rc)
        my_context = NULL;
    S3_destroy_request_context(rc);
}

static void forget_contexts_in_child(void)
{
    ncontexts = 0; /* the parent's: leaked here rather than closing its connections */
    atomic_fetch_add(&context_gen, 1);
}

/* One request in this thread's context: start (signed under the lock), then drive. */
typedef void (*starter)(const S3BucketContext *b, const char *key, S3RequestContext *rc, call *c, void *arg);

static stoa_status attempt(const pgs3_s3 *s3, const char *op, const char *key, starter start, void *arg, call *c,
                           stoa_error *err)
{
    S3RequestContext *rc = thread_context();
    if (rc == NULL)
        return stoa_fail(err, STOA_INTERNAL, "S3: out of memory");
    S3BucketContext b;
    context(s3, &b);
    c->status = S3StatusInternalError;
    pthread_mutex_lock(&sign_lock);
    start(&b, key, rc, c, arg);
    pthread_mutex_unlock(&sign_lock);
    stoa_status st = c->done ? STOA_OK : drive(s3, rc, c, op, key, err);
    if (st != STOA_OK || rc != my_context)
        drop_context(rc); /* aborts a request still running (timeout) */
    return st;
}

/* Every call is idempotent, so an answer S3 calls retryable (500 InternalError, 503
 * SlowDown, a reset connection) is retried twice with a short backoff; a call that
 * stalled is not (its time is spent). The body state restarts from offset 0. */
static stoa_status perform(const pgs3_s3 *s3, const char *op, const char *key, starter start, void *arg, call *c,
                           stoa_error *err)
{
    for (int i = 0;; ++i) {
        stoa_status st = attempt(s3, op, key, start, arg, c, err);
        if (st != STOA_OK)
            return st;
        if (c->status == S3StatusOK || i == 2 || !S3_status_is_retryable(c->status) || c->io_errno != 0)
            return result(s3, c, op, key, err);
        usleep(50000u << (2 * i));
        c->done = 0;
        c->offset = c->moved = 0;
        c->detail[0] = '\0';
        if (c->md != NULL)
            EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
    }
}

/* ---- put ---- */

static int put_data(int size, char *buf, void *data)
{
    call *c = data;
    uint64_t left = c->size - c->offset;
    size_t want = left < (uint64_t)size ? (size_t)left : (size_t)size;
    if (want == 0)
        return 0;
    ssize_t n;
    do
        n = pread(c->fd, buf, want, (off_t)c->offset);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        c->io_errno = n < 0 ? errno : EIO;
        return -1;
    }
    c->offset += (uint64_t)n;
    c->moved += (uint64_t)n;
    return (int)n;
}

static void start_put(const S3BucketContext *b, const char *key, S3RequestContext *rc, call *c, void *arg)
{
    static const S3PutObjectHandler h = {{on_props, on_complete}, put_data};
    S3PutProperties props = {0};
    props.contentType = "application/octet-stream";
    props.expires = -1;
    S3_put_object(b, key, c->size, &props, rc, &h, c);
}

stoa_status pgs3_s3_put(pgs3_s3 *s3, const char *key, int fd, uint64_t size, stoa_error *err)
{
    call c = {0};
    c.fd = fd;
    c.size = size;
    stoa_status st = perform(s3, "PUT", key, start_put, NULL, &c, err);
    if (c.io_errno != 0)
        return stoa_fail(err, STOA_INTERNAL, "S3 PUT %s: reading the staged file: %s", key, strerror(c.io_errno));
    if (st == STOA_OK && c.offset != size)
        return stoa_fail(err, STOA_UNAVAILABLE, "S3 PUT %s: sent %llu of %llu bytes", key, (unsigned long long)c.offset,
                         (unsigned long long)size);
    return st;
}

/* ---- get ---- */

static S3Status get_data(int size, const char *buf, void *data)
{
    call *c = data;
    if (c->offset + (uint64_t)size > c->size)
        return S3StatusAbortedByCallback; /* longer than the row says: not our object */
    for (int done = 0; done < size;) {
        ssize_t n = pwrite(c->fd, buf + done, (size_t)(size - done), (off_t)(c->offset + (uint64_t)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->io_errno = n < 0 ? errno : EIO;
            return S3StatusAbortedByCallback;
        }
        done += (int)n;
    }
    EVP_DigestUpdate(c->md, buf, (size_t)size);
    c->offset += (uint64_t)size;
    c->moved += (uint64_t)size;
    return S3StatusOK;
}

static void start_get(const S3BucketContext *b, const char *key, S3RequestContext *rc, call *c, void *arg)
{
    static const S3GetObjectHandler h = {{on_props, on_complete}, get_data};
    S3_get_object(b, key, NULL, 0, 0, rc, &h, c);
}

stoa_status pgs3_s3_get(pgs3_s3 *s3, const char *key, int out, uint64_t size, const unsigned char sha256[32],
                        stoa_error *err)
{
    call c = {0};
    c.fd = out;
    c.size = size;
    if ((c.md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(c.md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c.md);
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    }
    stoa_status st = perform(s3, "GET", key, start_get, NULL, &c, err);
    unsigned char got[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(c.md, got, &len);
    EVP_MD_CTX_free(c.md);
    if (c.io_errno != 0)
        return stoa_fail(err, c.io_errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "spooling S3 object %s: %s", key,
                         strerror(c.io_errno));
    if (st != STOA_OK)
        return st;
    if (c.offset != size)
        return stoa_fail(err, STOA_UNAVAILABLE, "S3 GET %s: got %llu of %llu bytes", key, (unsigned long long)c.offset,
                         (unsigned long long)size);
    if (memcmp(got, sha256, 32) != 0)
        return stoa_fail(err, STOA_INTERNAL, "S3 object %s does not match its sha256: the stored body is corrupt", key);
    return STOA_OK;
}

/* ---- head, delete ---- */

static void start_head(const S3BucketContext *b, const char *key, S3RequestContext *rc, call *c, void *arg)
{
    S3_head_object(b, key, rc, &responses, c);
}

stoa_status pgs3_s3_head(pgs3_s3 *s3, const char *key, uint64_t *size, int64_t *mtime, stoa_error *err)
{
    call c = {0};
    stoa_status st = perform(s3, "HEAD", key, start_head, NULL, &c, err);
    if (st == STOA_OK) {
        *size = c.length;
        *mtime = c.mtime;
    }
    return st;
}

static void start_delete(const S3BucketContext *b, const char *key, S3RequestContext *rc, call *c, void *arg)
{
    S3_delete_object(b, key, rc, &responses, c);
}

stoa_status pgs3_s3_delete(pgs3_s3 *s3, const char *key, stoa_error *err)
{
    call c = {0};
    stoa_status st = perform(s3, "DELETE", key, start_delete, NULL, &c, err);
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
    pthread_atfork(NULL, NULL, forget_contexts_in_child);
}

stoa_status pgs3_s3_open(pgs3_s3 *s3, const pgs3_opts *o, stoa_error *err)
{
    memset(s3, 0, sizeof(*s3));
    snprintf(s3->host, sizeof(s3->host), "%s", o->s3_host);
    snprintf(s3->bucket, sizeof(s3->bucket), "%s", o->bucket);
    snprintf(s3->access, sizeof(s3->access), "%s", o->access_key);
    snprintf(s3->secret, sizeof(s3->secret), "%s", o->secret_key);
    s3->https = o->https;
    s3->timeout_ms = o->s3_timeout_ms;
    if (S3_validate_bucket_name(o->bucket, S3UriStylePath) != S3StatusOK)
        return stoa_fail(err, STOA_INVALID, "pgs3: option bucket: '%s' is not a valid bucket name", o->bucket);
    if (s3_users == 0) {
        S3Status st = S3_initialize("stoa", S3_INIT_ALL, o->s3_host);
        if (st != S3StatusOK)
            return stoa_fail(err, STOA_INTERNAL, "libs3 initialisation failed: %s", S3_get_status_name(st));
        xmlInitParser();
        static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
        pthread_once(&atfork_once, register_atfork);
    }
    ++s3_users;
    return STOA_OK;
}

void pgs3_s3_close(pgs3_s3 *s3)
{
    if (s3_users > 0 && --s3_users == 0) {
        pthread_mutex_lock(&contexts_lock); /* no call runs now: every thread's context is idle */
        for (size_t i = 0; i < ncontexts; ++i)
            S3_destroy_request_context(contexts[i]);
        ncontexts = 0;
        atomic_fetch_add(&context_gen, 1);
        pthread_mutex_unlock(&contexts_lock);
        S3_deinitialize(); /* frees the parsers its pooled requests still hold */
        xmlCleanupParser();
    }
    explicit_bzero(s3->secret, sizeof(s3->secret));
}
