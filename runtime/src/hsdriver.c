/*
 * hsdriver.c - a small blocking driver of the handshake engine over a
 * transport (QmigHsIo), with a deadline for every wait; see
 * qmig/handshake.h.
 *
 * Every read and write is preceded by a poll() of the transport's fd
 * bounded by the time left (except a read while the transport has
 * decoded bytes buffered, which needs no poll and must not wait for
 * one), and a short read or write is retried.  Nothing here blocks
 * longer than the deadline, whatever the peer does (silence, a trickle
 * of bytes, a full receive buffer).  Nothing peeks: the only way bytes
 * leave the transport is read(), and only as many as are consumed.
 *
 * The fd functions are the io functions over qmig_io_fd(): one code
 * path for both.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until @fd is ready for @events or @deadline (CLOCK_MONOTONIC
 * milliseconds) passes.  1: ready; 0: deadline; -1: poll failed
 * (errno set).
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return 0;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0) {
            return 1; /* readable, writable, or an error/hangup to read */
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
    }
}

/* --- the fd transport ---------------------------------------------------- */

static int fd_poll_fd(void *opaque)
{
    return (int)(intptr_t)opaque;
}

static ssize_t fd_write(void *opaque, const void *buf, size_t len)
{
    int fd = fd_poll_fd(opaque);
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {
        n = write(fd, buf, len);
    }
    return n;
}

static ssize_t fd_read(void *opaque, void *buf, size_t len)
{
    int fd = fd_poll_fd(opaque);
    ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {
        n = read(fd, buf, len);
    }
    if (n < 0 && errno == ECONNRESET) {
        /* The peer closed with our bytes unread (TCP's RST): the end of
         * the stream, which the engine and the callers can explain. */
        n = 0;
    }
    return n;
}

QmigHsIo qmig_io_fd(int fd)
{
    return (QmigHsIo){
        .opaque = (void *)(intptr_t)fd,
        .read = fd_read,
        .write = fd_write,
        .poll_fd = fd_poll_fd,
    };
}

/* --- waiting on a transport ---------------------------------------------- */

static size_t io_pending(const QmigHsIo *io)
{
    return io->pending ? io->pending(io->opaque) : 0;
}

/*
 * Wait until @io can be read (buffered bytes count at once) or written,
 * or @deadline passes.  1: try now; 0: deadline; -1: poll failed or the
 * transport has no fd (errno set).
 */
static int wait_io(const QmigHsIo *io, short events, int64_t deadline)
{
    /* The deadline first: a layer that claims pending bytes but keeps
     * answering EAGAIN must not keep the driver spinning. */
    if (now_ms() >= deadline) {
        return 0;
    }
    if (events == POLLIN && io_pending(io) > 0) {
        return 1;
    }
    int fd = io->poll_fd(io->opaque);
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    return wait_fd(fd, events, deadline);
}

/* The description of a failed read or write, errno @err. */
static const char *io_strerror(const QmigHsIo *io, int err)
{
    const char *msg = io->error ? io->error(io->opaque) : NULL;
    return msg ? msg : strerror(err);
}

static bool retry_errno(int err)
{
    return err == EINTR || err == EAGAIN || err == EWOULDBLOCK;
}

static bool write_until(const QmigHsIo *io, const void *data, size_t len,
                        int64_t deadline, int timeout_ms, const char *what,
                        QmigError **errp)
{
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        int r = wait_io(io, POLLOUT, deadline);
        if (r == 0) {
            qmig_error_setg(errp,
                            "timed out after %d ms sending %s "
                            "(%zu of %zu bytes sent)",
                            timeout_ms, what, done, len);
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "poll failed sending %s: %s", what,
                            strerror(errno));
            return false;
        }
        ssize_t n = io->write(io->opaque, p + done, len - done);
        if (n < 0) {
            int err = errno;
            if (retry_errno(err)) {
                continue;
            }
            qmig_error_setg(errp, "can't send %s: %s", what,
                            io_strerror(io, err));
            return false;
        }
        if (n == 0 || (size_t)n > len - done) {
            qmig_error_setg(errp,
                            "can't send %s: the transport accepted %zd "
                            "of %zu bytes",
                            what, n, len - done);
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool read_until(const QmigHsIo *io, void *data, size_t len,
                       int64_t deadline, int timeout_ms, const char *what,
                       QmigError **errp)
{
    uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        int r = wait_io(io, POLLIN, deadline);
        if (r == 0) {
            qmig_error_setg(errp,
                            "timed out after %d ms waiting for %s "
                            "(%zu of %zu bytes received)",
                            timeout_ms, what, done, len);
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "poll failed waiting for %s: %s", what,
                            strerror(errno));
            return false;
        }
        ssize_t n = io->read(io->opaque, p + done, len - done);
        if (n < 0) {
            int err = errno;
            if (retry_errno(err)) {
                continue;
            }
            qmig_error_setg(errp, "can't receive %s: %s", what,
                            io_strerror(io, err));
            return false;
        }
        if (n == 0) {
            qmig_error_setg(errp,
                            "the peer closed the connection while "
                            "sending %s (%zu of %zu bytes received)",
                            what, done, len);
            return false;
        }
        if ((size_t)n > len - done) {
            qmig_error_setg(errp,
                            "can't receive %s: the transport returned "
                            "%zd bytes for %zu",
                            what, n, len - done);
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool check_io(const QmigHsIo *io, int timeout_ms, QmigError **errp)
{
    if (!io || !io->read || !io->write || !io->poll_fd) {
        qmig_error_setg(errp, "invalid transport (no %s)",
                        !io          ? "QmigHsIo"
                        : !io->read  ? "read callback"
                        : !io->write ? "write callback"
                                     : "poll_fd callback");
        return false;
    }
    if (timeout_ms <= 0) {
        qmig_error_setg(errp, "the timeout must be positive, not %d ms",
                        timeout_ms);
        return false;
    }
    return true;
}

static bool check_fd(int fd, QmigError **errp)
{
    if (fd < 0) {
        qmig_error_setg(errp, "invalid file descriptor %d", fd);
        return false;
    }
    return true;
}

bool qmig_io_write_full(const QmigHsIo *io, const void *data, size_t len,
                        int timeout_ms, QmigError **errp)
{
    if (!check_io(io, timeout_ms, errp)) {
        return false;
    }
    if (len && !data) {
        qmig_error_setg(errp, "no data");
        return false;
    }
    return write_until(io, data, len, now_ms() + timeout_ms, timeout_ms,
                       "data", errp);
}

bool qmig_io_read_full(const QmigHsIo *io, void *data, size_t len,
                       int timeout_ms, QmigError **errp)
{
    if (!check_io(io, timeout_ms, errp)) {
        return false;
    }
    if (len && !data) {
        qmig_error_setg(errp, "no buffer");
        return false;
    }
    return read_until(io, data, len, now_ms() + timeout_ms, timeout_ms,
                      "data", errp);
}

/* Send what the engine has to send; false with @errp on failure. */
static bool flush_output(QmigHs *hs, const QmigHsIo *io, int64_t deadline,
                         int timeout_ms, QmigError **errp)
{
    size_t len;
    const uint8_t *out = qmig_hs_output(hs, &len);
    if (!len) {
        return true;
    }
    if (!write_until(io, out, len, deadline, timeout_ms,
                     "a handshake message", errp)) {
        return false;
    }
    qmig_hs_output_consume(hs, len);
    return true;
}

static void prefix(QmigError **errp)
{
    qmig_error_prepend(errp, "handshake: ");
}

bool qmig_hs_run_io(QmigHs *hs, const QmigHsIo *io, int timeout_ms,
                    QmigError **errp)
{
    if (!hs) {
        qmig_error_setg(errp, "handshake: no engine");
        return false;
    }
    if (!check_io(io, timeout_ms, errp)) {
        prefix(errp);
        return false;
    }
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        QmigHsState state = qmig_hs_state(hs);
        if (state == QMIG_HS_FAILED) {
            /* Best effort: the peer should learn why (REJECT, ABORT). */
            flush_output(hs, io, deadline, timeout_ms, NULL);
            qmig_hs_feed(hs, NULL, 0, errp); /* the reasons, as an error */
            return false;
        }
        if (!flush_output(hs, io, deadline, timeout_ms, errp)) {
            prefix(errp);
            return false;
        }
        if (state != QMIG_HS_WAITING) {
            return true; /* DONE or LEGACY */
        }
        int r = wait_io(io, POLLIN, deadline);
        if (r == 0) {
            /* Say what was awaited: the start of a message, or the rest
             * of one the peer began to send and then stalled in. */
            size_t partial;
            qmig_hs_unconsumed(hs, &partial);
            const char *which =
                qmig_hs_version(hs) ? "next message" : "first message";
            if (partial) {
                qmig_error_setg(errp,
                                "handshake: timed out after %d ms in the "
                                "middle of the peer's %s (%zu byte%s of it "
                                "received)",
                                timeout_ms, which, partial,
                                partial == 1 ? "" : "s");
            } else {
                qmig_error_setg(errp,
                                "handshake: timed out after %d ms waiting "
                                "for the peer's %s",
                                timeout_ms, which);
            }
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "handshake: poll failed: %s",
                            strerror(errno));
            return false;
        }
        uint8_t buf[16384];
        ssize_t n = io->read(io->opaque, buf, sizeof(buf));
        if (n < 0) {
            int err = errno;
            if (retry_errno(err)) {
                continue;
            }
            qmig_error_setg(errp, "handshake: can't receive: %s",
                            io_strerror(io, err));
            return false;
        }
        if ((size_t)n > sizeof(buf)) {
            qmig_error_setg(errp,
                            "handshake: the transport returned %zd bytes "
                            "for %zu",
                            n, sizeof(buf));
            return false;
        }
        if (n == 0) {
            qmig_hs_feed_eof(hs, NULL);
        } else {
            qmig_hs_feed(hs, buf, (size_t)n, NULL);
        }
    }
}

bool qmig_hs_run_fd(QmigHs *hs, int fd, int timeout_ms, QmigError **errp)
{
    if (hs && !check_fd(fd, errp)) {
        prefix(errp);
        return false;
    }
    QmigHsIo io = qmig_io_fd(fd);
    return qmig_hs_run_io(hs, &io, timeout_ms, errp);
}

bool qmig_channel_send_header_io(const QmigHsIo *io, unsigned version,
                                 const uint8_t session[16], const char *name,
                                 int timeout_ms, QmigError **errp)
{
    uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
    if (!check_io(io, timeout_ms, errp) ||
        !qmig_channel_header_encode(version, session, name, hdr, errp)) {
        qmig_error_prepend(errp, "channel '%s': ", name ? name : "(null)");
        return false;
    }
    if (!write_until(io, hdr, sizeof(hdr), now_ms() + timeout_ms, timeout_ms,
                     "the channel header", errp)) {
        qmig_error_prepend(errp, "channel '%s': ", name);
        return false;
    }
    return true;
}

bool qmig_channel_send_header_fd(int fd, unsigned version,
                                 const uint8_t session[16], const char *name,
                                 int timeout_ms, QmigError **errp)
{
    if (!check_fd(fd, errp)) {
        qmig_error_prepend(errp, "channel '%s': ", name ? name : "(null)");
        return false;
    }
    QmigHsIo io = qmig_io_fd(fd);
    return qmig_channel_send_header_io(&io, version, session, name,
                                       timeout_ms, errp);
}

bool qmig_channel_recv_header_io(const QmigHsIo *io,
                                 uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                 int timeout_ms, QmigError **errp)
{
    if (!check_io(io, timeout_ms, errp)) {
        return false;
    }
    if (!out) {
        qmig_error_setg(errp, "no buffer");
        return false;
    }
    return read_until(io, out, QMIG_CHANNEL_HEADER_SIZE, now_ms() + timeout_ms,
                      timeout_ms, "a channel header", errp);
}

bool qmig_channel_recv_header_fd(int fd,
                                 uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                 int timeout_ms, QmigError **errp)
{
    if (!check_fd(fd, errp)) {
        return false;
    }
    QmigHsIo io = qmig_io_fd(fd);
    return qmig_channel_recv_header_io(&io, out, timeout_ms, errp);
}

bool qmig_fd_write_full(int fd, const void *data, size_t len,
                        int timeout_ms, QmigError **errp)
{
    if (!check_fd(fd, errp)) {
        return false;
    }
    QmigHsIo io = qmig_io_fd(fd);
    return qmig_io_write_full(&io, data, len, timeout_ms, errp);
}

bool qmig_fd_read_full(int fd, void *data, size_t len, int timeout_ms,
                       QmigError **errp)
{
    if (!check_fd(fd, errp)) {
        return false;
    }
    QmigHsIo io = qmig_io_fd(fd);
    return qmig_io_read_full(&io, data, len, timeout_ms, errp);
}
