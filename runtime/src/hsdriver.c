/*
 * hsdriver.c - a small blocking driver of the handshake engine over a
 * file descriptor, with a deadline for every wait; see qmig/handshake.h.
 *
 * The fd may be blocking or not: every read and write is preceded by a
 * poll() bounded by the time left, and a short read or write is
 * retried.  Nothing here blocks longer than the deadline, whatever the
 * peer does (silence, a trickle of bytes, a full receive buffer).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
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

static ssize_t send_some(int fd, const void *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {
        n = write(fd, buf, len);
    }
    return n;
}

static ssize_t recv_some(int fd, void *buf, size_t len)
{
    ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {
        n = read(fd, buf, len);
    }
    return n;
}

static bool write_until(int fd, const void *data, size_t len,
                        int64_t deadline, int timeout_ms, const char *what,
                        QmigError **errp)
{
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        int r = wait_fd(fd, POLLOUT, deadline);
        if (r == 0) {
            qmig_error_setg(errp, "timed out after %d ms sending %s "
                            "(%zu of %zu bytes sent)",
                            timeout_ms, what, done, len);
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "poll failed sending %s: %s", what,
                            strerror(errno));
            return false;
        }
        ssize_t n = send_some(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            qmig_error_setg(errp, "can't send %s: %s", what,
                            strerror(errno));
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool read_until(int fd, void *data, size_t len, int64_t deadline,
                       int timeout_ms, const char *what, QmigError **errp)
{
    uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        int r = wait_fd(fd, POLLIN, deadline);
        if (r == 0) {
            qmig_error_setg(errp, "timed out after %d ms waiting for %s "
                            "(%zu of %zu bytes received)",
                            timeout_ms, what, done, len);
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "poll failed waiting for %s: %s", what,
                            strerror(errno));
            return false;
        }
        ssize_t n = recv_some(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            qmig_error_setg(errp, "can't receive %s: %s", what,
                            strerror(errno));
            return false;
        }
        if (n == 0) {
            qmig_error_setg(errp, "the peer closed the connection while "
                            "sending %s (%zu of %zu bytes received)",
                            what, done, len);
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool check_args(int fd, int timeout_ms, QmigError **errp)
{
    if (fd < 0) {
        qmig_error_setg(errp, "invalid file descriptor %d", fd);
        return false;
    }
    if (timeout_ms <= 0) {
        qmig_error_setg(errp, "the timeout must be positive, not %d ms",
                        timeout_ms);
        return false;
    }
    return true;
}

bool qmig_fd_write_full(int fd, const void *data, size_t len,
                        int timeout_ms, QmigError **errp)
{
    if (!check_args(fd, timeout_ms, errp)) {
        return false;
    }
    if (len && !data) {
        qmig_error_setg(errp, "no data");
        return false;
    }
    return write_until(fd, data, len, now_ms() + timeout_ms, timeout_ms,
                       "data", errp);
}

bool qmig_fd_read_full(int fd, void *data, size_t len, int timeout_ms,
                       QmigError **errp)
{
    if (!check_args(fd, timeout_ms, errp)) {
        return false;
    }
    if (len && !data) {
        qmig_error_setg(errp, "no buffer");
        return false;
    }
    return read_until(fd, data, len, now_ms() + timeout_ms, timeout_ms,
                      "data", errp);
}

/* Send what the engine has to send; false with @errp on failure. */
static bool flush_output(QmigHs *hs, int fd, int64_t deadline,
                         int timeout_ms, QmigError **errp)
{
    size_t len;
    const uint8_t *out = qmig_hs_output(hs, &len);
    if (!len) {
        return true;
    }
    if (!write_until(fd, out, len, deadline, timeout_ms,
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

bool qmig_hs_run_fd(QmigHs *hs, int fd, int timeout_ms, QmigError **errp)
{
    if (!hs) {
        qmig_error_setg(errp, "handshake: no engine");
        return false;
    }
    if (!check_args(fd, timeout_ms, errp)) {
        prefix(errp);
        return false;
    }
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        QmigHsState state = qmig_hs_state(hs);
        if (state == QMIG_HS_FAILED) {
            /* Best effort: the peer should learn why (REJECT, ABORT). */
            flush_output(hs, fd, deadline, timeout_ms, NULL);
            qmig_hs_feed(hs, NULL, 0, errp); /* the reasons, as an error */
            return false;
        }
        if (!flush_output(hs, fd, deadline, timeout_ms, errp)) {
            prefix(errp);
            return false;
        }
        if (state != QMIG_HS_WAITING) {
            return true; /* DONE or LEGACY */
        }
        int r = wait_fd(fd, POLLIN, deadline);
        if (r == 0) {
            qmig_error_setg(errp, "handshake: timed out after %d ms waiting "
                            "for the peer's %s", timeout_ms,
                            qmig_hs_version(hs)
                                ? "next message"
                                : "first message");
            return false;
        }
        if (r < 0) {
            qmig_error_setg(errp, "handshake: poll failed: %s",
                            strerror(errno));
            return false;
        }
        uint8_t buf[4096];
        ssize_t n = recv_some(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            qmig_error_setg(errp, "handshake: can't receive: %s",
                            strerror(errno));
            return false;
        }
        if (n == 0) {
            qmig_hs_feed_eof(hs, NULL);
        } else {
            qmig_hs_feed(hs, buf, (size_t)n, NULL);
        }
    }
}

bool qmig_channel_send_header_fd(int fd, unsigned version,
                                 const uint8_t session[16], const char *name,
                                 int timeout_ms, QmigError **errp)
{
    uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
    if (!check_args(fd, timeout_ms, errp) ||
        !qmig_channel_header_encode(version, session, name, hdr, errp)) {
        qmig_error_prepend(errp, "channel '%s': ", name ? name : "(null)");
        return false;
    }
    if (!write_until(fd, hdr, sizeof(hdr), now_ms() + timeout_ms,
                     timeout_ms, "the channel header", errp)) {
        qmig_error_prepend(errp, "channel '%s': ", name);
        return false;
    }
    return true;
}

bool qmig_channel_recv_header_fd(int fd,
                                 uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                 int timeout_ms, QmigError **errp)
{
    if (!check_args(fd, timeout_ms, errp)) {
        return false;
    }
    if (!out) {
        qmig_error_setg(errp, "no buffer");
        return false;
    }
    if (!read_until(fd, out, QMIG_CHANNEL_HEADER_SIZE, now_ms() + timeout_ms,
                    timeout_ms, "a channel header", errp)) {
        return false;
    }
    return true;
}
