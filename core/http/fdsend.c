#include "fdsend.h"

#include "sendwatch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEND_CHUNK (128 * 1024)
/* Bytes one connection may sendfile per turn of the loop before it yields to the others:
 * a client on loopback drains as fast as we send, and would otherwise hold the loop for
 * the whole file. */
#define ZEROCOPY_TURN (2 * 1024 * 1024) /* nginx's sendfile_max_chunk */

typedef struct fdsend {
    h2o_generator_t super; /* first: h2o hands it back to proceed/stop */
    h2o_req_t *req;
    int fd;
    off_t off, end;
    char *buf;             /* the read path's chunk; NULL on the sendfile path */
    h2o_socket_t *sock;    /* the sendfile path's connection; NULL on the read path */
    void *sock_data;       /* the connection's sock->data while we borrow it */
    sendwatch watch;       /* armed while the client has bytes (or headers) to take */
} fdsend;

static void dispose(void *p)
{
    fdsend *s = p;
    sendwatch_disarm(&s->watch);
    if (s->fd >= 0)
        close(s->fd);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
}

static void fail(h2o_req_t *req)
{
    h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
}

/* h2o_send of a body part, timed until h2o asks for the next one (or the request ends). */
static void send_timed(fdsend *s, h2o_iovec_t *v, size_t n, h2o_send_state_t state)
{
    sendwatch_arm(&s->watch);
    h2o_send(s->req, v, n, state);
}

static void read_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    fdsend *s = (fdsend *)g;
    sendwatch_disarm(&s->watch);
    size_t want = s->end - s->off < SEND_CHUNK ? (size_t)(s->end - s->off) : SEND_CHUNK;
    ssize_t n = want > 0 ? pread(s->fd, s->buf, want, s->off) : 0;
    if (n < 0 || (n == 0 && want > 0))
        return fail(req);
    s->off += n;
    h2o_iovec_t v = h2o_iovec_init(s->buf, (size_t)n);
    send_timed(s, &v, 1, s->off == s->end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void zerocopy_pump(fdsend *s);

/* Corked, the headers h2o writes and the first body bytes leave in the same segments
 * (nginx's tcp_nopush); uncorking at the end flushes the tail at once. */
static void cork(int fd, int on)
{
    (void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

/* h2o's socket callback carries only the socket, so while the body waits for room the
 * socket's data points at us. Nothing else reads it then: http1 stops reading a request
 * without a body before handling it, and its timeout is unlinked until the next one. */
static void on_writable(h2o_socket_t *sock, const char *err)
{
    fdsend *s = sock->data;
    sock->data = s->sock_data;
    sendwatch_disarm(&s->watch);
    if (err != NULL)
        return fail(s->req);
    zerocopy_pump(s);
}

static void zerocopy_pump(fdsend *s)
{
    int out = h2o_socket_get_fd(s->sock);
    size_t budget = ZEROCOPY_TURN;
    while (s->off < s->end && budget > 0) {
        size_t want = (size_t)(s->end - s->off) < budget ? (size_t)(s->end - s->off) : budget;
        ssize_t n = sendfile(out, s->fd, &s->off, want);
        if (n > 0) {
            budget -= (size_t)n;
            s->req->bytes_sent += (size_t)n; /* h2o counts only what passes through h2o_send */
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else if (!(n < 0 && errno == EINTR)) {
            return fail(s->req); /* the file shrank, or the client went away */
        }
    }
    if (s->off == s->end) {
        cork(out, 0);
        return (void)h2o_send(s->req, NULL, 0, H2O_SEND_STATE_FINAL);
    }
    s->sock_data = s->sock->data;
    s->sock->data = s;
    sendwatch_arm(&s->watch);
    h2o_socket_notify_write(s->sock, on_writable);
}

/* Called once h2o has written the headers: from then on the socket is ours until the
 * final h2o_send. */
static void zerocopy_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    sendwatch_disarm(&((fdsend *)g)->watch);
    zerocopy_pump((fdsend *)g);
}

/* The connection sendfile can write to directly, or NULL. Only cleartext HTTP/1.x
 * writes the body bytes as they are, and only when no h2o filter sits between us and
 * the connection (the final output stream has no next); a request with a body keeps
 * h2o reading the socket, so it is left to h2o too. */
static h2o_socket_t *zerocopy_socket(h2o_req_t *req, int fd, uint64_t size)
{
    struct stat st;
    if (size < FDSEND_ZEROCOPY_MIN || req->version >= 0x200 || req->entity.base != NULL ||
        req->_ostr_top == NULL || req->_ostr_top->next != NULL)
        return NULL;
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || sock->ssl != NULL || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    return sock;
}

void fdsend_start(h2o_req_t *req, int fd, uint64_t size, int with_body, char *note, size_t note_len)
{
    fdsend *s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), dispose);
    *s = (fdsend){.super = {read_proceed, on_stop}, .req = req, .fd = fd, .end = (off_t)size};
    sendwatch_init(&s->watch, req, note, note_len);
    h2o_start_response(req, &s->super);
    if (!with_body || size == 0)
        return (void)h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    s->sock = zerocopy_socket(req, fd, size);
    if (s->sock != NULL) {
        s->super.proceed = zerocopy_proceed;
        cork(h2o_socket_get_fd(s->sock), 1);
        send_timed(s, NULL, 0, H2O_SEND_STATE_IN_PROGRESS); /* the headers alone */
        return;
    }
    /* Only as much buffer as the file needs: a 128 KiB pool allocation per request is an
     * mmap/munmap pair for every small .info/.mod (above glibc's mmap threshold). */
    s->buf = h2o_mem_alloc_pool(&req->pool, size < SEND_CHUNK ? (size_t)size : SEND_CHUNK);
    read_proceed(&s->super, req);
}
