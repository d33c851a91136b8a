#include "server.h"

#include "app.h"
#include "audit.h"
#include "bodygate.h"
#include "fill_source.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "numfmt.h"
#include "prober.h"
#include "quota.h"
#include "recheck.h"
#include "reload.h"
#include "router.h"
#include "tlsaccept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static h2o_globalconf_t globalconf;
static SSL_CTX *ssl_ctx;
static int *listen_fds;
static server_loop *loops;
static size_t nlisten_fds;
static size_t ntls_fds; /* listen_fds[0..ntls_fds) are conf listen, the rest tls.plain_listen */
static unsigned first_port; /* where listen[0] is bound (also when it asked for port 0) */

/* "host:port" or "[v6]:port" → bound, listening, non-blocking socket. */
static int open_listener(const char *spec, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(host))
        return snprintf(err, errlen, "listen %s: expected host:port", spec), -1;
    const char *h = spec;
    size_t hl = (size_t)(colon - spec);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
        ++h, hl -= 2;
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0)
        return snprintf(err, errlen, "listen %s: %s", spec, gai_strerror(rc)), -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* Logs where fd listens; its port. */
static unsigned log_listening(int fd, const char *scheme, const char *what)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    int v6 = ss.ss_family == AF_INET6;
    if (numfmt_addr((struct sockaddr *)&ss, addr, sizeof(addr)) != 0)
        snprintf(addr, sizeof(addr), "?");
    port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    log_msg(STOA_LOG_INFO, "server", "listening on %s://%s%s%s:%u%s", scheme, v6 ? "[" : "", addr, v6 ? "]" : "", port,
            what);
    return port;
}

static int setup_tls(const struct conf *c, char *err, size_t errlen)
{
    if (c->tls_cert == NULL)
        return 0;
    ssl_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
    /* Mozilla's "intermediate" profile: TLS 1.2 only with forward-secret AEAD suites (no
     * CBC, no RSA key exchange), the server's order, and no client-initiated
     * renegotiation (a CPU cost a client could impose at will). TLS 1.3 keeps OpenSSL's
     * suites, all AEAD. */
    SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cipher_list(ssl_ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    if (SSL_CTX_use_certificate_chain_file(ssl_ctx, c->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx, c->tls_key, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, errlen, "tls: cannot load %s / %s: %s", c->tls_cert, c->tls_key,
                 ERR_reason_error_string(ERR_get_error()));
        return -1;
    }
    if (c->http2)
        h2o_ssl_register_alpn_protocols(ssl_ctx, h2o_http2_alpn_protocols);
    return 0;
}

static void setup_globalconf(const struct conf *c, const char *tmp_dir)
{
    /* Large request bodies (publishes) spill to temp files in our staging area instead
     * of RAM: h2o 2.2.5 has no streaming request bodies. */
    char *tpl = h2o_socket_buffer_mmap_settings.fn_template;
    size_t cap = sizeof(h2o_socket_buffer_mmap_settings.fn_template);
    if (strlen(tmp_dir) + 14 < cap)
        snprintf(tpl, cap, "%.*s/h2o.b.XXXXXX", (int)(cap - 14), tmp_dir);
    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("stoa"));
    globalconf.max_request_entity_size = c->max_body;
    globalconf.http1.upgrade_to_http2 = c->http2; /* h2c: Upgrade and the HTTP/2 preface */
    /* h2o's 10 s default covers the whole request, body included: it cut publishes of
     * more than about 30 MB from a client at 3 MB/s. */
    globalconf.http1.req_timeout = c->request_timeout_ms ? c->request_timeout_ms : 86400000; /* 0: a day */
    h2o_hostconf_t *host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    router_register(h2o_config_register_path(host, "/", 0), &first_port);
}

/* listener->data is the accept context of its kind (TLS or plain) in its loop. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_accept_ctx_t *ctx = listener->data;
    if (err != NULL)
        return;
    for (int i = 0; i < 16; ++i) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        connwatch_accept(&server_loop_of(ctx->ctx)->conns, sock);
        if (ctx->ssl_ctx != NULL)
            tlsaccept(ctx, sock);
        else
            h2o_accept(ctx, sock);
    }
}

static void stop_listening(server_loop *l)
{
    for (size_t i = 0; i < l->nlisteners; ++i) {
        h2o_socket_read_stop(l->listeners[i]);
        h2o_socket_close(l->listeners[i]);
    }
    l->nlisteners = 0;
}

static void on_control(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    server_loop *l = H2O_STRUCT_FROM_MEMBER(server_loop, control, r);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        free(m);
    }
    l->stopping = 1;
    stop_listening(l);
    h2o_context_request_shutdown(&l->ctx);
}

static int busy(server_loop *l)
{
    return !h2o_linklist_is_empty(&l->ctx.http1._conns) || !h2o_linklist_is_empty(&l->ctx.http2._conns) ||
           l->conns.lingering > 0;
}

static void *loop_main(void *arg)
{
    server_loop *l = arg;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&l->ctx, loop, &globalconf);
    pool_loop_init(&l->pool, l->ctx.queue);
    h2o_timeout_init(loop, &l->send_timeout, the_app->conf->send_timeout_ms);
    connwatch_loop_init(&l->conns, loop, bodygate_judge);
    h2o_multithread_register_receiver(l->ctx.queue, &l->control, on_control);
    l->accept = (h2o_accept_ctx_t){.ctx = &l->ctx, .hosts = globalconf.hosts, .ssl_ctx = ssl_ctx};
    l->accept_plain = (h2o_accept_ctx_t){.ctx = &l->ctx, .hosts = globalconf.hosts, .ssl_ctx = NULL};
    l->listeners = calloc(nlisten_fds, sizeof(*l->listeners));
    for (size_t i = 0; i < nlisten_fds; ++i) {
        /* Each loop owns a duplicate, so closing it at shutdown leaves the others' intact. */
        h2o_socket_t *s = h2o_evloop_socket_create(loop, fcntl(listen_fds[i], F_DUPFD_CLOEXEC, 0), H2O_SOCKET_FLAG_DONT_READ);
        s->data = i < ntls_fds ? &l->accept : &l->accept_plain;
        h2o_socket_read_start(s, on_accept);
        l->listeners[l->nlisteners++] = s;
    }
    log_buffer_thread(1);
    while (!l->stopping) {
        h2o_evloop_run(loop, INT32_MAX);
        log_flush();
    }
    uint64_t deadline = h2o_now(loop) + the_app->conf->shutdown_timeout_ms;
    while (busy(l) && h2o_now(loop) < deadline) {
        h2o_evloop_run(loop, 100);
        log_flush();
    }
    log_buffer_thread(0);
    return NULL;
}

/* listen, then tls.plain_listen: the first ntls_fds descriptors take the TLS context. */
static int open_listeners(const struct conf *c)
{
    char err[512];
    size_t n = c->nlisten + c->ntls_plain_listen;
    listen_fds = calloc(n, sizeof(int));
    for (size_t i = 0; i < n; ++i) {
        const char *spec = i < c->nlisten ? c->listen[i] : c->tls_plain_listen[i - c->nlisten];
        if ((listen_fds[i] = open_listener(spec, err, sizeof(err))) < 0) {
            log_msg(STOA_LOG_ERROR, "server", "%s", err);
            return -1;
        }
        ++nlisten_fds;
        unsigned port = log_listening(listen_fds[i], i < c->nlisten && ssl_ctx != NULL ? "https" : "http",
                                      i < c->nlisten ? "" : " (plain: /healthz, /readyz, /version, /metrics)");
        if (i == 0)
            first_port = port;
    }
    ntls_fds = c->nlisten;
    return 0;
}

static void reload(app *a)
{
    char err[2048];
    int ok = reload_config(a, err, sizeof(err)) == 0;
    metrics_reload(ok);
    if (!ok)
        log_msg(STOA_LOG_ERROR, "server", "SIGHUP: configuration refused, the old one stays in force: %s", err);
    else {
        quota_configure(a->conf->cache_max_size, a->conf->evict_interval_ms);
        log_msg(STOA_LOG_INFO, "server", "SIGHUP: configuration reloaded from %s",
                a->config_path != NULL ? a->config_path : "defaults and environment");
    }
}

static int wait_for_signal(app *a)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            return SIGTERM;
        if (sig == SIGHUP) {
            reload(a);
            continue;
        }
        return sig;
    }
}

static void block_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* Over a file size limit (RLIMIT_FSIZE) write() must fail with EFBIG, which storage
     * reports as 507, instead of the signal killing the server. */
    signal(SIGXFSZ, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int server_run(app *a)
{
    const struct conf *c = a->conf;
    char err[512];
    block_signals();
    if (setup_tls(c, err, sizeof(err)) != 0) {
        log_msg(STOA_LOG_ERROR, "server", "%s", err);
        return 1;
    }
    setup_globalconf(c, a->tmp_dir);
    fill_setup(&(fill_env){.store = &a->store, .tmp_dir = a->tmp_dir, .conf = app_conf, .source = fill_from_upstreams});
    /* Before any thread stores: the evictor's ledger hears every commit from here on. */
    char recency[PATH_MAX + 16];
    snprintf(recency, sizeof(recency), "%s/recency", a->tmp_dir);
    if (quota_start(&a->store, c->cache_max_size, c->evict_interval_ms, recency) != 0)
        log_msg(STOA_LOG_WARN, "server", "cannot start the cache evictor: cache.max_size is not enforced");
    if (open_listeners(c) != 0 || pool_start(c->workers) != 0)
        return 1;
    loops = calloc(c->threads, sizeof(*loops));
    for (uint32_t i = 0; i < c->threads; ++i)
        pthread_create(&loops[i].tid, NULL, loop_main, &loops[i]);
    if (!storage_pins(&a->store))
        log_msg(STOA_LOG_WARN, "server", "storage plugin %s keeps no pins (built for ABI < 1.2): refetched versions are "
                "not held to what was served before", a->store.p->name);
    if (recheck_start() != 0)
        log_msg(STOA_LOG_WARN, "server", "cannot start the re-check of unverified versions");
    if (prober_start(app_conf) != 0)
        log_msg(STOA_LOG_WARN, "server", "cannot start the upstream prober: open circuits close only after fail_timeout");
    int sig = wait_for_signal(a);
    log_msg(STOA_LOG_INFO, "server", "%s: finishing in-flight requests (up to %u ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            a->conf->shutdown_timeout_ms);
    for (uint32_t i = 0; i < c->threads; ++i)
        h2o_multithread_send_message(&loops[i].control, calloc(1, sizeof(h2o_multithread_message_t)));
    for (uint32_t i = 0; i < c->threads; ++i)
        pthread_join(loops[i].tid, NULL);
    prober_stop();
    recheck_stop();
    pool_stop();
    quota_stop();
    /* Deliver completions of jobs that outlived their loop's last turn (a fill whose
     * client went away), so their memory is released. */
    /* h2o contexts are not disposed (h2o asserts on timers still armed by closing
     * connections, and its own server never does): they stay reachable through `loops`
     * until exit. */
    for (uint32_t i = 0; i < c->threads; ++i)
        h2o_evloop_run(loops[i].ctx.loop, 0);
    for (size_t i = 0; i < nlisten_fds; ++i)
        close(listen_fds[i]);
    audit_close(); /* finished requests are disposed by now: write their events before exit */
    log_msg(STOA_LOG_INFO, "server", "stopped");
    return 0;
}
