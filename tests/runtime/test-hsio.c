/*
 * test-hsio.c - the blocking handshake driver over a QmigHsIo transport
 * (qmig_hs_run_io() and the other _io functions of qmig/handshake.h).
 *
 * The transports are layers over a socketpair that behave like TLS
 * does towards the driver:
 *
 * - "trickle": every read drains the socket into the layer's buffer and
 *   returns one byte; pending() reports the rest.  A driver that polled
 *   the socket while bytes are buffered would wait for input the peer
 *   never sends (it waits for our answer): the handshake would time
 *   out.  Writes go out 16 bytes at a time.
 * - "shy": read answers EAGAIN until poll() says the socket is
 *   readable, and spuriously every other time; write answers EAGAIN
 *   every other time and checks that the driver calls again with the
 *   same data (the SSL_write() rule).  No pending().
 * - layers that fail, close, lie about pending bytes, or have no fd.
 */
#include "test-schema.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- the handshake setup (the test schema: multifd, 2 channels) ---------- */

typedef struct Side {
    TestConfig cfg;
    QmigHsOptions opts;
} Side;

static void side_init(Side *s, QmigSide side)
{
    memset(s, 0, sizeof(*s));
    qmig_config_init(&test_schema, &s->cfg);
    s->cfg.header.has_side = true;
    s->cfg.header.side = side;
    qmig_capset_add(&s->cfg.header.caps, CAP_MULTIFD);
    s->opts.side = side;
    s->opts.machine = "pc-q35-10.0";
    s->opts.target_page_size = 4096;
    s->opts.host_page_size = 4096;
    s->opts.plan = test_channel_plan;
    for (int i = 0; i < 16; i++) {
        s->opts.session[i] = (uint8_t)(0xb0 + i);
    }
}

/* --- the layers -------------------------------------------------------------
 */

typedef enum LayerKind {
    TRICKLE,
    SHY,
    FAILING,  /* read: -1 EPROTO, described by error() */
    CLOSED,   /* read: 0 */
    LIAR,     /* pending() 1, read EAGAIN, forever */
    NO_FD,    /* poll_fd() -1 */
    TOO_MUCH, /* read returns more than asked */
} LayerKind;

typedef struct Layer {
    LayerKind kind;
    int fd;
    uint8_t buf[1 << 16];
    size_t off, len;
    /* Counters. */
    unsigned reads, read_eagain, buffered_reads_without_input;
    unsigned writes, write_eagain;
    /* shy: the arguments of the write that answered EAGAIN. */
    const void *retry_buf;
    size_t retry_len;
    bool retry_mismatch;
} Layer;

static bool socket_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static ssize_t layer_read(void *opaque, void *buf, size_t len)
{
    Layer *l = opaque;
    l->reads++;
    switch (l->kind) {
    case TRICKLE:
        if (l->off == l->len) {
            ssize_t n = recv(l->fd, l->buf, sizeof(l->buf), MSG_DONTWAIT);
            if (n <= 0) {
                l->read_eagain += n < 0;
                return n;
            }
            l->off = 0;
            l->len = (size_t)n;
        } else if (!socket_readable(l->fd)) {
            l->buffered_reads_without_input++;
        }
        *(uint8_t *)buf = l->buf[l->off++];
        return 1;
    case SHY:
        if (!socket_readable(l->fd) || l->reads % 2) {
            l->read_eagain++;
            errno = EAGAIN;
            return -1;
        }
        return recv(l->fd, buf, len, MSG_DONTWAIT);
    case FAILING:
        errno = EPROTO;
        return -1;
    case CLOSED:
        return 0;
    case LIAR:
    case NO_FD:
        errno = EAGAIN;
        return -1;
    case TOO_MUCH:
        return (ssize_t)len + 1;
    }
    return -1;
}

static ssize_t layer_write(void *opaque, const void *buf, size_t len)
{
    Layer *l = opaque;
    l->writes++;
    if (l->kind == SHY) {
        if (!l->retry_buf) {
            l->retry_buf = buf;
            l->retry_len = len;
            l->write_eagain++;
            errno = EAGAIN;
            return -1;
        }
        if (buf != l->retry_buf || len != l->retry_len) {
            l->retry_mismatch = true;
        }
        l->retry_buf = NULL;
        return send(l->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    /* At most 16 bytes at a time (not one: a UNIX socket holds only
     * some 70 one-byte messages, however small). */
    return send(l->fd, buf, len < 16 ? len : 16, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int layer_poll_fd(void *opaque)
{
    Layer *l = opaque;
    return l->kind == NO_FD ? -1 : l->fd;
}

static size_t layer_pending(void *opaque)
{
    Layer *l = opaque;
    return l->kind == LIAR ? 1 : l->len - l->off;
}

static const char *layer_error(void *opaque)
{
    Layer *l = opaque;
    return l->kind == FAILING ? "bad record (simulated)" : NULL;
}

static Layer *layer_new(LayerKind kind, int fd, QmigHsIo *io)
{
    Layer *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    l->kind = kind;
    l->fd = fd;
    *io = (QmigHsIo){
        .opaque = l,
        .read = layer_read,
        .write = layer_write,
        .poll_fd = layer_poll_fd,
        .pending = kind == SHY ? NULL : layer_pending,
        .error = layer_error,
    };
    return l;
}

/* --- a handshake over two layers --------------------------------------- */

typedef struct Peer {
    QmigHs *hs;
    QmigHsIo io;
    bool ok;
    QmigError *err;
} Peer;

static void *peer_thread(void *opaque)
{
    Peer *p = opaque;
    p->ok = qmig_hs_run_io(p->hs, &p->io, 5000, &p->err);
    return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * The whole handshake, a channel header and the bytes after it, over
 * layers of @kind on both sides.
 */
static void agree_over(LayerKind kind, Layer **out_src, Layer **out_dst)
{
    Side src, dst;
    side_init(&src, QMIG_SIDE_SOURCE);
    side_init(&dst, QMIG_SIDE_DESTINATION);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Peer s = {.hs = qmig_hs_new(&src.opts, &src.cfg, NULL)};
    Peer d = {.hs = qmig_hs_new(&dst.opts, &dst.cfg, NULL)};
    assert_non_null(s.hs);
    assert_non_null(d.hs);
    Layer *ls = layer_new(kind, sv[0], &s.io);
    Layer *ld = layer_new(kind, sv[1], &d.io);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, peer_thread, &s), 0);
    peer_thread(&d);
    pthread_join(th, NULL);
    if (!s.ok || !d.ok) {
        fail_msg("source: %s; destination: %s",
                 s.err ? qmig_error_message(s.err) : "ok",
                 d.err ? qmig_error_message(d.err) : "ok");
    }
    assert_int_equal(qmig_hs_state(s.hs), QMIG_HS_DONE);
    assert_int_equal(qmig_hs_state(d.hs), QMIG_HS_DONE);
    assert_int_equal(qmig_hs_digest(s.hs), qmig_hs_digest(d.hs));
    assert_int_equal(qmig_hs_n_channels(s.hs), 2);

    /* Channel headers, each followed by payload bytes in the same
     * stream: the header read takes exactly 64 bytes, and the payload
     * is read afterwards (from the layer's buffer, for trickle). */
    QmigChannelMap *map = qmig_channel_map_from_hs(d.hs, NULL);
    assert_non_null(map);
    for (size_t i = 0; i < qmig_hs_n_channels(s.hs); i++) {
        QmigError *err = NULL;
        const char *name = qmig_hs_channel(s.hs, i);
        bool ok = qmig_channel_send_header_io(&s.io, qmig_hs_version(s.hs),
                                              qmig_hs_session(s.hs), name, 1000,
                                              &err) &&
                  qmig_io_write_full(&s.io, "payload", 7, 1000, &err);
        if (!ok) {
            fail_msg("%s", qmig_error_message(err));
        }
        uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
        char payload[8] = "";
        ok = qmig_channel_recv_header_io(&d.io, hdr, 1000, &err) &&
             qmig_io_read_full(&d.io, payload, 7, 1000, &err);
        if (!ok) {
            fail_msg("%s", qmig_error_message(err));
        }
        assert_string_equal(payload, "payload");
        assert_int_equal(qmig_channel_map_accept(map, hdr, sizeof(hdr), NULL),
                         (long)i);
    }
    assert_true(qmig_channel_map_complete(map));
    qmig_channel_map_free(map);

    /* The reverse direction, and nothing left over on either side. */
    uint8_t ack = 0;
    assert_true(qmig_io_write_full(&d.io, "K", 1, 1000, NULL));
    assert_true(qmig_io_read_full(&s.io, &ack, 1, 1000, NULL));
    assert_int_equal(ack, 'K');
    assert_false(socket_readable(sv[0]) || socket_readable(sv[1]));
    if (kind == TRICKLE) {
        assert_int_equal(ls->len - ls->off, 0);
        assert_int_equal(ld->len - ld->off, 0);
    }

    close(sv[0]);
    close(sv[1]);
    qmig_hs_free(s.hs);
    qmig_hs_free(d.hs);
    qmig_config_clear(&src.cfg);
    qmig_config_clear(&dst.cfg);
    *out_src = ls;
    *out_dst = ld;
}

static void test_io_trickle(void **state)
{
    (void)state;
    Layer *s, *d;
    agree_over(TRICKLE, &s, &d);
    /* Bytes were read from the layer's buffer with nothing new on the
     * socket: pending() was honoured. */
    assert_true(s->buffered_reads_without_input > 0);
    assert_true(d->buffered_reads_without_input > 100);
    /* One byte per read, 16 per write: the HELLO alone is over a
     * hundred bytes. */
    assert_true(d->reads > 100);
    assert_true(s->writes > 10);
    free(s);
    free(d);
}

static void test_io_eagain(void **state)
{
    (void)state;
    Layer *s, *d;
    agree_over(SHY, &s, &d);
    assert_true(s->read_eagain > 0 && d->read_eagain > 0);
    assert_true(s->write_eagain > 0 && d->write_eagain > 0);
    /* Retried writes came with the same data. */
    assert_false(s->retry_mismatch);
    assert_false(d->retry_mismatch);
    /* EAGAIN leads to a poll, not a busy loop. */
    assert_true(s->reads < 1000 && d->reads < 1000);
    free(s);
    free(d);
}

/* A transport that fails, closes or misbehaves, within the deadline. */
static void test_io_failures(void **state)
{
    (void)state;
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    QmigError *err = NULL;
    QmigHsIo io;
    uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];

    /* A failing read, described by the layer. */
    Layer *l = layer_new(FAILING, sv[0], &io);
    QmigHs *hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
    assert_int_equal(write(sv[1], "x", 1), 1); /* readable */
    assert_false(qmig_hs_run_io(hs, &io, 1000, &err));
    test_expect_error(&err, "handshake: can't receive: bad record "
                            "(simulated)");
    assert_int_equal(qmig_hs_state(hs), QMIG_HS_WAITING);
    qmig_hs_free(hs);
    assert_false(qmig_io_read_full(&io, hdr, 4, 1000, &err));
    test_expect_error(&err, "can't receive data: bad record (simulated)");
    free(l);

    /* The end of the stream: the engine learns it (EOF before ACCEPT). */
    l = layer_new(CLOSED, sv[0], &io);
    hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
    assert_false(qmig_hs_run_io(hs, &io, 1000, &err));
    assert_non_null(strstr(qmig_error_message(err), "closed the connection"));
    qmig_error_free(err);
    err = NULL;
    assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
    qmig_hs_free(hs);
    assert_false(qmig_channel_recv_header_io(&io, hdr, 1000, &err));
    test_expect_error(&err, "the peer closed the connection while sending "
                            "a channel header (0 of 64 bytes received)");
    free(l);

    /* pending() > 0 but read() never delivers: bounded by the deadline. */
    l = layer_new(LIAR, sv[0], &io);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_false(qmig_channel_recv_header_io(&io, hdr, 100, &err));
    long ms = elapsed_ms(&t0);
    assert_true(ms >= 90 && ms < 3000);
    test_expect_error(&err, "timed out after 100 ms waiting for a channel "
                            "header (0 of 64 bytes received)");
    free(l);

    /* A read returning more than asked. */
    l = layer_new(TOO_MUCH, sv[0], &io);
    assert_false(qmig_io_read_full(&io, hdr, 4, 1000, &err));
    test_expect_error(&err, "can't receive data: the transport returned 5 "
                            "bytes for 4");
    free(l);

    /* No fd to poll. */
    l = layer_new(NO_FD, sv[0], &io);
    assert_false(qmig_io_write_full(&io, "x", 1, 1000, &err));
    assert_non_null(strstr(qmig_error_message(err), "poll failed sending"));
    qmig_error_free(err);
    err = NULL;
    free(l);

    /* Bad arguments. */
    assert_false(qmig_io_read_full(NULL, hdr, 1, 100, &err));
    test_expect_error(&err, "invalid transport (no QmigHsIo)");
    QmigHsIo partial = {.read = layer_read};
    assert_false(qmig_io_write_full(&partial, "x", 1, 100, &err));
    test_expect_error(&err, "invalid transport (no write callback)");
    QmigHsIo fdio = qmig_io_fd(sv[0]);
    assert_false(qmig_io_write_full(&fdio, "x", 1, 0, &err));
    test_expect_error(&err, "the timeout must be positive, not 0 ms");
    assert_false(qmig_io_write_full(&fdio, NULL, 1, 100, &err));
    test_expect_error(&err, "no data");
    hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
    assert_false(qmig_hs_run_io(hs, NULL, 100, &err));
    test_expect_error(&err, "handshake: invalid transport (no QmigHsIo)");
    assert_false(qmig_hs_run_io(NULL, &fdio, 100, &err));
    test_expect_error(&err, "handshake: no engine");
    assert_false(qmig_channel_send_header_io(&fdio, 2, qmig_hs_session(hs), "",
                                             100, &err));
    assert_non_null(strstr(qmig_error_message(err), "channel '': "));
    qmig_error_free(err);
    qmig_hs_free(hs);

    close(sv[0]);
    close(sv[1]);
    qmig_config_clear(&src.cfg);
}

/* qmig_io_fd(): the fd transport the _fd functions use. */
static void test_io_fd(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    QmigHsIo a = qmig_io_fd(sv[0]), b = qmig_io_fd(sv[1]);
    assert_int_equal(a.poll_fd(a.opaque), sv[0]);
    assert_null(a.pending);
    char buf[6] = "";
    assert_true(qmig_io_write_full(&a, "hello", 5, 1000, NULL));
    assert_true(qmig_io_read_full(&b, buf, 5, 1000, NULL));
    assert_string_equal(buf, "hello");
    /* Nothing to read: EAGAIN, not a block. */
    errno = 0;
    assert_int_equal(b.read(b.opaque, buf, 1), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(sv[0]);
    /* EOF, and no SIGPIPE on writing to a closed peer. */
    assert_int_equal(b.read(b.opaque, buf, 1), 0);
    assert_int_equal(b.write(b.opaque, "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_trickle),
        cmocka_unit_test(test_io_eagain),
        cmocka_unit_test(test_io_failures),
        cmocka_unit_test(test_io_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
