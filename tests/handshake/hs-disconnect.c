/*
 * hs-disconnect - disconnect after every byte offset of every message,
 * in both directions, over real sockets with the real driver.
 *
 *   hs-disconnect [--transport unix|tcp] [--reject] [--stride N]
 *                 [--version N]
 *                 [--timeout MS] [--max-ms MS] [--verbose]
 *
 * The parent is a relay between two forked children (no exec), each
 * running one side of the handshake with the fd driver
 * (qmig_hs_run_fd()) on its own socket:
 *
 *   source child --connect--> relay listener   (parent)
 *   parent       --connect--> destination listener --accept--> dest. child
 *
 * After DONE the source opens every channel of the agreed plan over a
 * new connection (through the relay too): the 64-byte channel header,
 * PAYLOAD_SIZE payload bytes, then it waits for a one-byte ack.  The
 * destination accepts them with qmig_channel_recv_header_fd() and a
 * QmigChannelMap, watching the main connection for EOF meanwhile.
 *
 * A first, uncut run measures what each direction carries, per
 * connection and per message (HELLO, CONFIRM, channel headers and
 * payloads one way; ACCEPT and acks the other).  Then, for each
 * direction and each offset k from 0 to that direction's total, the
 * relay forwards exactly k bytes in that direction (the other flows
 * normally), then shuts down and closes every connection, and closes
 * any later one at once.  The relay forwards the connections of a
 * direction in the order of the uncut run (the main connection's bytes
 * before the first channel's, ...), so that offset k always names the
 * same byte.
 *
 * With --reject the destination runs another machine type: the
 * exchange is HELLO, then REJECT (with the reason) and both close, so
 * the cuts cover the REJECT message; both sides must then fail, with
 * the reason once the message carrying it arrived whole.
 *
 * Every iteration checks that both children exit before a hard
 * deadline (else they are killed: a hang), are not killed by a signal
 * and exit with a known status; that a child reports success only if
 * every byte it needed arrived; that a failing child gives an error
 * naming the peer closing (not a timeout, not garbage); that no
 * iteration takes longer than --max-ms (the side that lost nothing
 * must see EOF, not wait for its timeout); and, for the destination ->
 * source cut after the last byte, that both succeed.  The children free
 * everything and leave with exit(), so that LeakSanitizer and valgrind
 * check them too (a leak changes the exit status, which fails).
 *
 * Output: the message layout, one line per direction with the number
 * of offsets tried, a FAIL line per failure; exit status 1 on any.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmig-migration-channels.h"
#include "qmig-migration-types.h"
#include "qmig/handshake.h"

#define PAYLOAD_SIZE 8
#define ACK_BYTE 'K'
#define MAX_CONNS 16
#define MAX_MSGS 64
#define MAX_FAILURES 20
#define MAX_HANGS 3 /* each costs the hard deadline */
#define REPORT_MAX 2048

/* Child exit statuses; anything else (a sanitizer's or valgrind's
 * status, a signal) fails the test. */
enum { CHILD_OK = 0, CHILD_FAILED = 10, CHILD_BROKEN = 11 };

enum { SD = 0, DS = 1 };   /* directions */
enum { SRC = 0, DST = 1 }; /* children */

static const char *const dir_name[2] = {"source->destination",
                                        "destination->source"};
static const char *const side_name[2] = {"source", "destination"};

/* --- options -------------------------------------------------------------- */

static struct {
    bool tcp;
    unsigned stride;
    int timeout_ms; /* the children's driver timeout */
    int max_ms;     /* the longest acceptable iteration */
    int hard_ms;    /* the hard deadline of an iteration */
    bool verbose;
    bool reject; /* the REJECT scenario */
    unsigned version; /* --version: both sides speak only this one */
} opt = {false, 1, 5000, 2000, 0, false, false, 0};

/* --- the configuration of both sides -------------------------------------- */

static const char src_json[] =
    "{\"capabilities\": {\"multifd\": true, \"postcopy-ram\": true,"
    " \"postcopy-preempt\": true, \"return-path\": true},"
    " \"parameters\": {\"multifd-channels\": 2}}";
static const char dst_json[] = "{\"capabilities\": {}, \"parameters\": {}}";

static const QmigHsDevice devices[] = {
    {"ram", 0, 4, 4},
    {"0000:00:02.0/virtio-net", 0, 11, 1},
    {"0000:00:03.0/virtio-blk", 0, 2, 1},
    {"apic", 0, 3, 1},
    {"timer", 0, 2, 2},
};

static unsigned plan(const void *config, QmigChannelRef *out, unsigned max)
{
    return qmig_migration_channel_plan(config, out, max);
}

static bool make_config(QmigMigrationConfig *cfg, int side, QmigError **errp)
{
    const char *text = side == SRC ? src_json : dst_json;
    if (!qmig_config_from_json(cfg, text, strlen(text), errp)) {
        return false;
    }
    cfg->header.has_side = true;
    cfg->header.side = side == SRC ? QMIG_SIDE_SOURCE : QMIG_SIDE_DESTINATION;
    return true;
}

static void make_options(QmigHsOptions *o, int side)
{
    *o = (QmigHsOptions){
        .side = side == SRC ? QMIG_SIDE_SOURCE : QMIG_SIDE_DESTINATION,
        .machine = side == DST && opt.reject ? "pc-i440fx-9.0" : "pc-q35-10.0",
        .target_page_size = 4096,
        .host_page_size = 4096,
        .has_uuid = true,
        .devices = devices,
        .n_devices = sizeof(devices) / sizeof(devices[0]),
        .plan = plan,
        .min_version = opt.version,
        .max_version = opt.version,
    };
    for (int i = 0; i < 16; i++) {
        o->session[i] = (uint8_t)(i * 29 + 7);
        o->uuid[i] = (uint8_t)(0xa0 + i);
    }
}

static void payload_for(size_t index, uint8_t out[PAYLOAD_SIZE])
{
    char text[PAYLOAD_SIZE + 1];
    snprintf(text, sizeof(text), "data%04zu", index % 10000);
    memcpy(out, text, PAYLOAD_SIZE);
}

/* --- sockets -------------------------------------------------------------- */

static struct sockaddr_storage relay_addr, dst_addr;
static socklen_t relay_addr_len, dst_addr_len;
static int relay_lfd = -1, dst_lfd = -1;
static char sock_dir[64];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nodelay(int fd)
{
    if (opt.tcp) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static int listen_on(struct sockaddr_storage *ss, socklen_t *len,
                     const char *name)
{
    int fd;
    if (opt.tcp) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        memset(ss, 0, sizeof(*ss));
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*in);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        memset(ss, 0, sizeof(*ss));
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof(un->sun_path), "%s/%s", sock_dir, name);
        *len = sizeof(*un);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)ss, *len) < 0 ||
        listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)ss, len) < 0) {
        fprintf(stderr, "hs-disconnect: can't listen (%s): %s\n", name,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int connect_to(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    while (connect(fd, (const struct sockaddr *)ss, len) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    set_nodelay(fd);
    return fd;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        shutdown(*fd, SHUT_RDWR);
        close(*fd);
        *fd = -1;
    }
}

/* Accept and close every pending connection of a listener. */
static void drain_listener(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            return;
        }
        close(fd);
    }
}

/* --- the children --------------------------------------------------------- */

/*
 * The report a child writes to its pipe before exit():
 * "STATE|MESSAGE", STATE being the engine's state (or "-" before the
 * engine exists), MESSAGE empty on success.
 */
static void send_report(int fd, const QmigHs *hs, const char *fmt, ...)
{
    char buf[REPORT_MAX];
    int n = snprintf(buf, sizeof(buf), "%s|",
                     hs ? qmig_hs_state_name(qmig_hs_state(hs)) : "-");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(buf);
    /* One write below PIPE_BUF: atomic, and the pipe is empty. */
    if (write(fd, buf, len) != (ssize_t)len) {
        /* The parent notices a missing report. */
    }
}

static const char *msg_of(const QmigError *err)
{
    return err ? qmig_error_message(err) : "(no error message)";
}

static int run_source(int rfd)
{
    QmigMigrationConfig cfg;
    qmig_migration_config_init(&cfg);
    QmigHsOptions o;
    make_options(&o, SRC);
    QmigError *err = NULL;
    QmigHs *hs = NULL;
    int fd = -1, cfd = -1, status = CHILD_BROKEN;
    if (!make_config(&cfg, SRC, &err) || !(hs = qmig_hs_new(&o, &cfg, &err))) {
        send_report(rfd, NULL, "setup: %s", msg_of(err));
        goto out;
    }
    fd = connect_to(&relay_addr, relay_addr_len);
    if (fd < 0) {
        send_report(rfd, hs, "can't connect to the relay: %s", strerror(errno));
        goto out;
    }
    status = CHILD_FAILED;
    if (!qmig_hs_run_fd(hs, fd, opt.timeout_ms, &err)) {
        send_report(rfd, hs, "%s", msg_of(err));
        goto out;
    }
    if (qmig_hs_state(hs) != QMIG_HS_DONE) {
        status = CHILD_BROKEN;
        send_report(rfd, hs, "the handshake returned in state %s",
                    qmig_hs_state_name(qmig_hs_state(hs)));
        goto out;
    }
    for (size_t i = 0; i < qmig_hs_n_channels(hs); i++) {
        const char *name = qmig_hs_channel(hs, i);
        uint8_t payload[PAYLOAD_SIZE];
        char ack = 0;
        payload_for(i, payload);
        cfd = connect_to(&relay_addr, relay_addr_len);
        if (cfd < 0) {
            status = CHILD_BROKEN; /* the relay always accepts */
            send_report(rfd, hs, "channel %s: can't connect: %s", name,
                        strerror(errno));
            goto out;
        }
        if (!qmig_channel_send_header_fd(cfd, qmig_hs_version(hs),
                                         qmig_hs_session(hs), name,
                                         opt.timeout_ms, &err) ||
            !qmig_fd_write_full(cfd, payload, sizeof(payload), opt.timeout_ms,
                                &err) ||
            !qmig_fd_read_full(cfd, &ack, 1, opt.timeout_ms, &err)) {
            send_report(rfd, hs, "channel %s: %s", name, msg_of(err));
            goto out;
        }
        if (ack != ACK_BYTE) {
            send_report(rfd, hs, "channel %s: bad ack 0x%02x", name,
                        (unsigned)(uint8_t)ack);
            goto out;
        }
        close(cfd);
        cfd = -1;
    }
    status = CHILD_OK;
    send_report(rfd, hs, "");
out:
    qmig_error_free(err);
    if (cfd >= 0) {
        close(cfd);
    }
    if (fd >= 0) {
        close(fd);
    }
    qmig_hs_free(hs);
    qmig_config_clear(&cfg);
    return status;
}

/* Accept one connection on dst_lfd within @timeout_ms, also watching
 * @watch (when >= 0) for EOF.  -1 with a message in @why otherwise. */
static int accept_or_eof(int watch, int timeout_ms, const char *what, char *why,
                         size_t size)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        struct pollfd p[2] = {{.fd = dst_lfd, .events = POLLIN},
                              {.fd = watch, .events = POLLIN}};
        int64_t left = deadline - now_ms();
        int r = left > 0 ? poll(p, watch >= 0 ? 2 : 1, (int)left) : 0;
        if (r == 0) {
            snprintf(why, size, "timed out after %d ms waiting for %s",
                     timeout_ms, what);
            return -1;
        }
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(why, size, "poll: %s", strerror(errno));
            return -1;
        }
        /* A pending connection first: it may hold bytes sent before the
         * main connection closed. */
        if (p[0].revents) {
            int fd = accept4(dst_lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                set_nodelay(fd);
                return fd;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED) {
                snprintf(why, size, "accept: %s", strerror(errno));
                return -1;
            }
        }
        if (watch >= 0 && p[1].revents) {
            char c;
            ssize_t n = recv(watch, &c, 1, MSG_DONTWAIT);
            if (n == 0) {
                snprintf(why, size,
                         "the source closed the main connection "
                         "while the destination waited for %s",
                         what);
                return -1;
            }
            if (n > 0) {
                snprintf(why, size,
                         "unexpected data on the main connection "
                         "while waiting for %s",
                         what);
                return -1;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                snprintf(why, size, "main connection, waiting for %s: %s", what,
                         strerror(errno));
                return -1;
            }
        }
    }
}

static int run_destination(int rfd)
{
    QmigMigrationConfig cfg;
    qmig_migration_config_init(&cfg);
    QmigHsOptions o;
    make_options(&o, DST);
    QmigError *err = NULL;
    QmigHs *hs = NULL;
    QmigChannelMap *map = NULL;
    int fd = -1, cfd = -1, status = CHILD_BROKEN;
    char why[1024];
    if (!make_config(&cfg, DST, &err) || !(hs = qmig_hs_new(&o, &cfg, &err))) {
        send_report(rfd, NULL, "setup: %s", msg_of(err));
        goto out;
    }
    status = CHILD_FAILED;
    fd = accept_or_eof(-1, opt.timeout_ms, "the main connection", why,
                       sizeof(why));
    if (fd < 0) {
        send_report(rfd, hs, "%s", why);
        goto out;
    }
    if (!qmig_hs_run_fd(hs, fd, opt.timeout_ms, &err)) {
        send_report(rfd, hs, "%s", msg_of(err));
        goto out;
    }
    if (qmig_hs_state(hs) != QMIG_HS_DONE) {
        status = CHILD_BROKEN;
        send_report(rfd, hs, "the handshake returned in state %s",
                    qmig_hs_state_name(qmig_hs_state(hs)));
        goto out;
    }
    map = qmig_channel_map_from_hs(hs, &err);
    if (!map) {
        status = CHILD_BROKEN;
        send_report(rfd, hs, "channel map: %s", msg_of(err));
        goto out;
    }
    size_t n = qmig_hs_n_channels(hs);
    for (size_t arrived = 0; !qmig_channel_map_complete(map); arrived++) {
        char what[64];
        snprintf(what, sizeof(what), "channel %zu of %zu", arrived + 1, n);
        cfd = accept_or_eof(fd, opt.timeout_ms, what, why, sizeof(why));
        if (cfd < 0) {
            send_report(rfd, hs, "%s", why);
            goto out;
        }
        uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE], payload[PAYLOAD_SIZE],
            want[PAYLOAD_SIZE];
        long idx = -1;
        if (qmig_channel_recv_header_fd(cfd, hdr, opt.timeout_ms, &err)) {
            idx = qmig_channel_map_accept(map, hdr, sizeof(hdr), &err);
        }
        if (idx < 0) {
            send_report(rfd, hs, "%s: %s", what, msg_of(err));
            goto out;
        }
        const char *name = qmig_hs_channel(hs, (size_t)idx);
        char ack = ACK_BYTE;
        if (!qmig_fd_read_full(cfd, payload, sizeof(payload), opt.timeout_ms,
                               &err)) {
            send_report(rfd, hs, "channel %s: payload: %s", name, msg_of(err));
            goto out;
        }
        payload_for((size_t)idx, want);
        if (memcmp(payload, want, sizeof(want))) {
            send_report(rfd, hs, "channel %s: wrong payload", name);
            goto out;
        }
        if (!qmig_fd_write_full(cfd, &ack, 1, opt.timeout_ms, &err)) {
            send_report(rfd, hs, "channel %s: ack: %s", name, msg_of(err));
            goto out;
        }
        close(cfd);
        cfd = -1;
    }
    status = CHILD_OK;
    send_report(rfd, hs, "");
out:
    qmig_error_free(err);
    qmig_channel_map_free(map);
    if (cfd >= 0) {
        close(cfd);
    }
    if (fd >= 0) {
        close(fd);
    }
    qmig_hs_free(hs);
    qmig_config_clear(&cfg);
    return status;
}

/* --- what the uncut run carried ------------------------------------------- */

typedef struct Stream {
    uint8_t *data;
    size_t len, cap;
} Stream;

/* Per connection (0: main, then the channels in opening order) and
 * direction, the bytes of the uncut run. */
static Stream ref[MAX_CONNS][2];
static size_t n_ref;
static bool have_ref;

typedef struct Msg {
    char name[64];
    size_t start, end; /* offsets in the direction's whole byte sequence */
} Msg;

static struct {
    Msg msgs[MAX_MSGS];
    size_t n;
    size_t total;
} layout[2];

static bool stream_append(Stream *s, const uint8_t *p, size_t n)
{
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n) {
            cap *= 2;
        }
        uint8_t *d = realloc(s->data, cap);
        if (!d) {
            return false;
        }
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    return true;
}

static bool add_msg(int d, size_t len, const char *fmt, ...)
{
    if (layout[d].n == MAX_MSGS) {
        return false;
    }
    Msg *m = &layout[d].msgs[layout[d].n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->name, sizeof(m->name), fmt, ap);
    va_end(ap);
    m->start = layout[d].total;
    m->end = m->start + len;
    layout[d].total = m->end;
    return true;
}

/* Split the uncut run into messages; false (with a message) when it is
 * not what the handshake and the channels should carry. */
static bool build_layout(void)
{
    if (n_ref < 1) {
        fprintf(stderr, "hs-disconnect: the uncut run had no connection\n");
        return false;
    }
    for (int d = SD; d <= DS; d++) {
        const Stream *s = &ref[0][d];
        for (size_t off = 0; off < s->len;) {
            QmigHsFrame fr;
            QmigError *err = NULL;
            long n =
                qmig_hs_frame_decode(s->data + off, s->len - off, &fr, &err);
            if (n <= 0) {
                fprintf(stderr,
                        "hs-disconnect: %s main connection: bad "
                        "frame at %zu: %s\n",
                        dir_name[d], off, n < 0 ? msg_of(err) : "truncated");
                qmig_error_free(err);
                return false;
            }
            const char *name = qmig_hs_message_name(fr.type);
            char up[32] = "?";
            for (size_t i = 0; name && name[i] && i < sizeof(up) - 1; i++) {
                up[i] = (char)(name[i] >= 'a' && name[i] <= 'z'
                                   ? name[i] - 'a' + 'A'
                                   : name[i]);
                up[i + 1] = '\0';
            }
            if (!add_msg(d, (size_t)n, "%s", up)) {
                return false;
            }
            off += (size_t)n;
        }
    }
    const Msg *m = layout[SD].msgs;
    if (opt.reject ? layout[SD].n != 1 || strcmp(m[0].name, "HELLO") ||
                         layout[DS].n != 1 ||
                         strcmp(layout[DS].msgs[0].name, "REJECT") || n_ref != 1
                   : layout[SD].n != 2 || strcmp(m[0].name, "HELLO") ||
                         strcmp(m[1].name, "CONFIRM") || layout[DS].n != 1 ||
                         strcmp(layout[DS].msgs[0].name, "ACCEPT")) {
        fprintf(stderr, "hs-disconnect: the uncut run did not exchange %s\n",
                opt.reject ? "HELLO, REJECT" : "HELLO, ACCEPT, CONFIRM");
        return false;
    }
    for (size_t j = 1; j < n_ref; j++) {
        unsigned version;
        uint8_t session[16];
        char name[QMIG_CHANNEL_NAME_MAX + 1];
        QmigError *err = NULL;
        if (ref[j][SD].len != QMIG_CHANNEL_HEADER_SIZE + PAYLOAD_SIZE ||
            ref[j][DS].len != 1 ||
            !qmig_channel_header_decode(ref[j][SD].data, ref[j][SD].len,
                                        &version, session, name, &err)) {
            fprintf(stderr,
                    "hs-disconnect: channel connection %zu carried "
                    "%zu/%zu bytes%s%s\n",
                    j, ref[j][SD].len, ref[j][DS].len, err ? ": " : "",
                    err ? msg_of(err) : "");
            qmig_error_free(err);
            return false;
        }
        if (!add_msg(SD, QMIG_CHANNEL_HEADER_SIZE, "channel header %s", name) ||
            !add_msg(SD, PAYLOAD_SIZE, "payload %s", name) ||
            !add_msg(DS, 1, "ack %s", name)) {
            return false;
        }
    }
    return true;
}

/* "CONFIRM byte 3 of 41" for the first byte not forwarded. */
static void describe(int d, size_t k, char *out, size_t size)
{
    if (k >= layout[d].total) {
        snprintf(out, size, "after the last byte");
        return;
    }
    for (size_t i = 0; i < layout[d].n; i++) {
        const Msg *m = &layout[d].msgs[i];
        if (k >= m->start && k < m->end) {
            snprintf(out, size, "%s byte %zu of %zu", m->name, k - m->start,
                     m->end - m->start);
            return;
        }
    }
    snprintf(out, size, "?");
}

/* --- the relay ------------------------------------------------------------ */

typedef struct Conn {
    int fd[2];    /* fd[SD]: the source's leg; fd[DS]: the destination's */
    bool open[2]; /* direction d may still carry bytes (read from fd[d]) */
    size_t fwd[2];
} Conn;

typedef struct Run {
    bool cut;
    int cut_dir;
    size_t cut_k;
    bool cut_done;
    bool record; /* the uncut run: record into ref[] */
    Conn conns[MAX_CONNS];
    size_t n_conns;
    size_t total[2];
    size_t refused; /* connections closed at once after the cut */
    char diverged[256];
} Run;

typedef struct Child {
    pid_t pid;
    int rfd;
    char report[REPORT_MAX + 1];
    size_t rlen;
    bool eof;
    int status;
} Child;

static void close_conn(Conn *c)
{
    close_fd(&c->fd[SD]);
    close_fd(&c->fd[DS]);
    c->open[SD] = c->open[DS] = false;
}

static void do_cut(Run *r)
{
    for (size_t j = 0; j < r->n_conns; j++) {
        close_conn(&r->conns[j]);
    }
    r->cut_done = true;
}

/* Whether connection @j may be read in direction @d: every earlier
 * connection has carried in that direction all it carried in the uncut
 * run, or is closed in that direction. */
static bool allowed(const Run *r, size_t j, int d)
{
    if (!have_ref) {
        return true;
    }
    for (size_t i = 0; i < j && i < n_ref; i++) {
        const Conn *c = &r->conns[i];
        if (c->open[d] && c->fwd[d] < ref[i][d].len) {
            return false;
        }
    }
    return true;
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
    int64_t deadline = now_ms() + 2000;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
            errno != EINTR) {
            return false;
        }
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&pf, 1, (int)left) < 0) {
            return false;
        }
    }
    return true;
}

static void forward(Run *r, size_t j, int d)
{
    Conn *c = &r->conns[j];
    uint8_t buf[4096];
    size_t want = sizeof(buf);
    if (r->cut && d == r->cut_dir && r->cut_k - r->total[d] < want) {
        want = r->cut_k - r->total[d]; /* > 0: the cut is not done */
    }
    ssize_t n = recv(c->fd[d], buf, want, MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }
        close_conn(c); /* reset: pass it on as a close */
        return;
    }
    if (n == 0) {
        shutdown(c->fd[!d], SHUT_WR);
        c->open[d] = false;
        if (!c->open[!d]) {
            close_conn(c);
        }
        return;
    }
    if (r->record) {
        if (j >= MAX_CONNS || !stream_append(&ref[j][d], buf, (size_t)n)) {
            snprintf(r->diverged, sizeof(r->diverged), "out of memory");
        }
        if (j + 1 > n_ref) {
            n_ref = j + 1;
        }
    } else if (!r->diverged[0] &&
               (j >= n_ref || c->fwd[d] + (size_t)n > ref[j][d].len ||
                memcmp(ref[j][d].data + c->fwd[d], buf, (size_t)n))) {
        snprintf(r->diverged, sizeof(r->diverged),
                 "connection %zu, %s, bytes %zu-%zu differ from the uncut "
                 "run",
                 j, dir_name[d], c->fwd[d], c->fwd[d] + (size_t)n);
    }
    if (!write_all(c->fd[!d], buf, (size_t)n)) {
        close_conn(c); /* the receiver is gone */
        return;
    }
    c->fwd[d] += (size_t)n;
    r->total[d] += (size_t)n;
    if (r->cut && d == r->cut_dir && r->total[d] == r->cut_k) {
        do_cut(r);
    }
}

static void accept_source_conns(Run *r)
{
    for (;;) {
        int sfd = accept4(relay_lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (sfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            return;
        }
        set_nodelay(sfd);
        if (r->cut_done || r->n_conns == MAX_CONNS) {
            r->refused++;
            close_fd(&sfd);
            continue;
        }
        int dfd = connect_to(&dst_addr, dst_addr_len);
        if (dfd < 0) {
            snprintf(r->diverged, sizeof(r->diverged),
                     "relay: can't connect to the destination: %s",
                     strerror(errno));
            close_fd(&sfd);
            continue;
        }
        fcntl(dfd, F_SETFL, fcntl(dfd, F_GETFL) | O_NONBLOCK);
        r->conns[r->n_conns++] = (Conn){{sfd, dfd}, {true, true}, {0, 0}};
        if (r->cut && r->cut_k == 0) {
            do_cut(r);
        }
    }
}

/* Fork a child running @fn with a report pipe; the child closes
 * @other (the other child's pipe) and the listeners it does not use. */
static bool spawn(Child *c, int (*fn)(int), int other)
{
    int p[2];
    memset(c, 0, sizeof(*c));
    c->pid = -1;
    c->rfd = -1;
    if (pipe2(p, O_CLOEXEC) < 0) {
        perror("hs-disconnect: pipe");
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("hs-disconnect: fork");
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        close(relay_lfd);
        if (other >= 0) {
            close(other);
        }
        if (fn == run_source) {
            close(dst_lfd);
        }
        int status = fn(p[1]);
        /* exit(), not _exit(): LeakSanitizer and valgrind check us. */
        exit(status);
    }
    close(p[1]);
    c->pid = pid;
    c->rfd = p[0];
    return true;
}

static void read_report(Child *c)
{
    ssize_t n = read(c->rfd, c->report + c->rlen, REPORT_MAX - c->rlen);
    if (n > 0) {
        c->rlen += (size_t)n;
        c->report[c->rlen] = '\0';
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        c->eof = true;
    }
}

enum { RUN_OK, RUN_HANG, RUN_ERROR };

/*
 * One handshake through the relay: RUN_OK when both children exited
 * (their statuses are in @ch), RUN_HANG when they had to be killed at
 * the hard deadline, RUN_ERROR when the harness itself failed.
 */
static int one_run(Run *r, Child ch[2], int64_t *elapsed)
{
    int64_t t0 = now_ms(), deadline = t0 + opt.hard_ms;
    bool hang = false, error = false;
    *elapsed = 0;
    memset(ch, 0, 2 * sizeof(*ch));
    if (!spawn(&ch[DST], run_destination, -1)) {
        return RUN_ERROR;
    }
    if (!spawn(&ch[SRC], run_source, ch[DST].rfd)) {
        kill(ch[DST].pid, SIGKILL);
        waitpid(ch[DST].pid, NULL, 0);
        close(ch[DST].rfd);
        return RUN_ERROR;
    }
    while (!ch[SRC].eof || !ch[DST].eof) {
        struct pollfd p[3 + 2 * MAX_CONNS];
        size_t who[3 + 2 * MAX_CONNS];
        nfds_t n = 0;
        p[n] = (struct pollfd){.fd = relay_lfd, .events = POLLIN};
        who[n++] = 0;
        for (int i = SRC; i <= DST; i++) {
            if (!ch[i].eof) {
                p[n] = (struct pollfd){.fd = ch[i].rfd, .events = POLLIN};
                who[n++] = 1 + (size_t)i;
            }
        }
        for (size_t j = 0; j < r->n_conns; j++) {
            for (int d = SD; d <= DS; d++) {
                if (r->conns[j].open[d] && allowed(r, j, d)) {
                    p[n] = (struct pollfd){.fd = r->conns[j].fd[d],
                                           .events = POLLIN};
                    who[n++] = 3 + 2 * j + (size_t)d;
                }
            }
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            hang = true;
            break;
        }
        int pr = poll(p, n, (int)left);
        if (pr < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("hs-disconnect: poll");
            error = true;
            break;
        }
        /* Connections first (in order), new ones last: a cut closes
         * fds, and an accept could reuse their numbers. */
        for (nfds_t i = 0; i < n; i++) {
            if (!p[i].revents || who[i] < 3) {
                continue;
            }
            size_t j = (who[i] - 3) / 2;
            int d = (int)((who[i] - 3) % 2);
            if (r->conns[j].open[d] && r->conns[j].fd[d] == p[i].fd) {
                forward(r, j, d);
            }
        }
        for (nfds_t i = 0; i < n; i++) {
            if (p[i].revents && who[i] >= 1 && who[i] <= 2) {
                read_report(&ch[who[i] - 1]);
            }
        }
        if (p[0].revents) {
            accept_source_conns(r);
        }
    }
    for (int i = SRC; i <= DST; i++) {
        if (hang || error) {
            kill(ch[i].pid, SIGKILL);
        }
        while (waitpid(ch[i].pid, &ch[i].status, 0) < 0 && errno == EINTR) {
        }
        close(ch[i].rfd);
        ch[i].rfd = -1;
    }
    for (size_t j = 0; j < r->n_conns; j++) {
        close_conn(&r->conns[j]);
    }
    drain_listener(relay_lfd);
    drain_listener(dst_lfd);
    *elapsed = now_ms() - t0;
    return error ? RUN_ERROR : hang ? RUN_HANG : RUN_OK;
}

/* --- checks --------------------------------------------------------------- */

static unsigned failures, hangs;
static bool stop; /* too many failures, or a harness error */
static unsigned done_false_notes;

static void report_fail(const Run *r, const Child ch[2], const char *fmt, ...)
{
    char where[128] = "uncut run";
    if (r->cut) {
        char what[96];
        describe(r->cut_dir, r->cut_k, what, sizeof(what));
        snprintf(where, sizeof(where), "%s offset %zu (%s)",
                 dir_name[r->cut_dir], r->cut_k, what);
    }
    printf("FAIL: %s: ", where);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    for (int i = SRC; i <= DST; i++) {
        printf("      %s: %s\n", side_name[i],
               ch[i].rlen ? ch[i].report : "(no report)");
    }
    if (++failures == MAX_FAILURES) {
        stop = true;
    }
}

/* The reason of the REJECT scenario (the machine types differ). */
#define REJECT_REASON "machine type"

/* Whether @msg says that the peer went away. */
static bool eof_message(const char *msg)
{
    return strstr(msg, "closed") || strstr(msg, "reset by peer") ||
           strstr(msg, "Broken pipe");
}

/* Check one run; returns false when it failed. */
static bool check_run(const Run *r, const Child ch[2], int result,
                      int64_t elapsed)
{
    unsigned before = failures;
    if (result == RUN_ERROR) {
        report_fail(r, ch, "harness error (see stderr)");
        stop = true;
        return false;
    }
    if (result == RUN_HANG) {
        report_fail(r, ch, "hang: killed after %d ms", opt.hard_ms);
        if (++hangs == MAX_HANGS) {
            stop = true;
        }
        return false;
    }
    if (r->diverged[0]) {
        report_fail(r, ch, "%s", r->diverged);
    }
    bool ok[2] = {false, false};
    for (int i = SRC; i <= DST; i++) {
        int st = ch[i].status;
        int in = i == SRC ? DS : SD; /* what this side receives */
        const char *bar = strchr(ch[i].report, '|');
        const char *msg = bar ? bar + 1 : "";
        if (WIFSIGNALED(st)) {
            report_fail(r, ch, "%s killed by signal %d", side_name[i],
                        WTERMSIG(st));
            continue;
        }
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (code != CHILD_OK && code != CHILD_FAILED) {
            report_fail(
                r, ch, "%s exited with status %d (%s)", side_name[i], code,
                code == CHILD_BROKEN ? "harness error"
                                     : "a sanitizer or valgrind report above?");
            continue;
        }
        if (!bar) {
            report_fail(r, ch, "%s sent no report", side_name[i]);
            continue;
        }
        if (code == CHILD_OK) {
            ok[i] = true;
            if (opt.reject) {
                report_fail(r, ch,
                            "%s succeeded, yet the destination "
                            "rejects",
                            side_name[i]);
            }
            if (*msg) {
                report_fail(r, ch, "%s succeeded with a message", side_name[i]);
            }
            if (have_ref && r->total[in] != layout[in].total) {
                char lost[96];
                describe(in, r->total[in], lost, sizeof(lost));
                report_fail(r, ch,
                            "%s reported success, but only %zu of "
                            "%zu %s bytes arrived (lost: %s)",
                            side_name[i], r->total[in], layout[in].total,
                            dir_name[in], lost);
            }
            continue;
        }
        if (!*msg) {
            report_fail(r, ch, "%s failed without an error message",
                        side_name[i]);
        } else if (strstr(msg, "timed out")) {
            report_fail(r, ch,
                        "%s waited for its timeout instead of seeing "
                        "the peer close",
                        side_name[i]);
        } else if (opt.reject &&
                   (!r->cut || r->total[in] == layout[in].total)) {
            /* The destination saw the whole HELLO, or the source the
             * whole REJECT: the error must give the reason. */
            if (!strstr(msg, REJECT_REASON)) {
                report_fail(r, ch,
                            "%s failed without the reason (\"" REJECT_REASON
                            "\"), although the %s arrived whole",
                            side_name[i], i == SRC ? "REJECT" : "HELLO");
            }
        } else if (!eof_message(msg)) {
            report_fail(r, ch,
                        "%s failed with an error that does not say "
                        "the peer closed",
                        side_name[i]);
        }
        /* qmig_hs_run_fd() documents that an I/O error leaves the
         * engine WAITING: note when it says DONE. */
        if (!strncmp(ch[i].report, "done|", 5) && strstr(msg, "handshake: ")) {
            done_false_notes++;
            if (opt.verbose) {
                printf("note: %s: qmig_hs_run_fd() false in state done: "
                       "%s\n",
                       side_name[i], msg);
            }
        }
    }
    if (!r->cut && !opt.reject && !(ok[SRC] && ok[DST])) {
        report_fail(r, ch, "the uncut run failed");
    }
    if (r->cut && !opt.reject && r->cut_dir == DS &&
        r->cut_k == layout[DS].total && failures == before &&
        !(ok[SRC] && ok[DST])) {
        report_fail(r, ch, "every byte arrived, yet a side failed");
    }
    if (elapsed > opt.max_ms) {
        report_fail(r, ch,
                    "took %lld ms (bound %d ms): a side did not see "
                    "the peer close promptly",
                    (long long)elapsed, opt.max_ms);
    }
    return failures == before;
}

/* --- main ----------------------------------------------------------------- */

static bool in_sweep(int d, size_t k)
{
    if (k % opt.stride == 0 || k == layout[d].total) {
        return true;
    }
    for (size_t i = 0; i < layout[d].n; i++) {
        const Msg *m = &layout[d].msgs[i];
        if (k == m->start || k == m->start + 1 || k + 1 == m->end ||
            k == m->end) {
            return true;
        }
    }
    return false;
}

static int usage(void)
{
    fprintf(stderr, "usage: hs-disconnect [--transport unix|tcp] [--reject] "
                    "[--stride N]\n"
                    "                     [--timeout MS] [--max-ms MS] "
                    "[--version N] [--verbose]\n");
    return 2;
}

static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        long v;
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose")) {
            opt.verbose = true;
        } else if (!strcmp(a, "--reject")) {
            opt.reject = true;
        } else if (!strcmp(a, "--transport") && val &&
                   (!strcmp(val, "tcp") || !strcmp(val, "unix"))) {
            opt.tcp = !strcmp(val, "tcp");
            i++;
        } else if (!strcmp(a, "--stride") && val &&
                   parse_int(val, 1, 1000000, &v)) {
            opt.stride = (unsigned)v;
            i++;
        } else if (!strcmp(a, "--timeout") && val &&
                   parse_int(val, 1, 600000, &v)) {
            opt.timeout_ms = (int)v;
            i++;
        } else if (!strcmp(a, "--max-ms") && val &&
                   parse_int(val, 1, 600000, &v)) {
            opt.max_ms = (int)v;
            i++;
        } else if (!strcmp(a, "--version") && val &&
                   parse_int(val, QMIG_HS_VERSION_MIN, QMIG_HS_VERSION_MAX,
                             &v)) {
            opt.version = (unsigned)v;
            i++;
        } else {
            return usage();
        }
    }
    if (opt.max_ms >= opt.timeout_ms) {
        fprintf(stderr, "hs-disconnect: --max-ms must be below --timeout, "
                        "or a side waiting for its timeout goes unnoticed\n");
        return 2;
    }
    opt.hard_ms = opt.timeout_ms * 2 + 5000;
    signal(SIGPIPE, SIG_IGN);

    if (!opt.tcp) {
        const char *tmp = getenv("TMPDIR");
        snprintf(sock_dir, sizeof(sock_dir), "%s/hs-cut-XXXXXX",
                 tmp && *tmp && strlen(tmp) < 30 ? tmp : "/tmp");
        if (!mkdtemp(sock_dir)) {
            perror("hs-disconnect: mkdtemp");
            return 1;
        }
    }
    int status = 1;
    int64_t t_start = now_ms();
    int probe_before = -1;
    relay_lfd = listen_on(&relay_addr, &relay_addr_len, "relay.sock");
    dst_lfd = listen_on(&dst_addr, &dst_addr_len, "dst.sock");
    if (relay_lfd < 0 || dst_lfd < 0) {
        goto out;
    }

    /* The uncut run: what each direction carries. */
    static Run r;
    Child ch[2];
    int64_t elapsed = 0;
    r = (Run){.record = true};
    int ran = one_run(&r, ch, &elapsed);
    if (!check_run(&r, ch, ran, elapsed) || !build_layout()) {
        printf("FAIL: the uncut run\n");
        goto out;
    }
    have_ref = true;
    printf("%s scenario, transport %s, %zu connections, driver timeout %d "
           "ms, bound %d ms per run\n",
           opt.reject ? "reject" : "agree", opt.tcp ? "tcp" : "unix", n_ref,
           opt.timeout_ms, opt.max_ms);
    for (int d = SD; d <= DS; d++) {
        printf("%s: %zu bytes:", dir_name[d], layout[d].total);
        for (size_t i = 0; i < layout[d].n; i++) {
            const Msg *m = &layout[d].msgs[i];
            printf("%s %s [%zu, %zu)", i ? "," : "", m->name, m->start, m->end);
        }
        printf("\n");
    }
    fflush(stdout);

    probe_before = open("/dev/null", O_RDONLY | O_CLOEXEC);
    close(probe_before);
    for (int d = SD; d <= DS && !stop; d++) {
        size_t tried = 0;
        unsigned outcomes[2][2] = {{0, 0}, {0, 0}}; /* [side][ok] */
        int64_t worst = 0, t0 = now_ms();
        size_t worst_k = 0;
        for (size_t k = 0; k <= layout[d].total && !stop; k++) {
            if (!in_sweep(d, k)) {
                continue;
            }
            r = (Run){.cut = true, .cut_dir = d, .cut_k = k};
            ran = one_run(&r, ch, &elapsed);
            check_run(&r, ch, ran, elapsed);
            tried++;
            if (elapsed > worst) {
                worst = elapsed;
                worst_k = k;
            }
            for (int i = SRC; i <= DST; i++) {
                bool ok = ran == RUN_OK && WIFEXITED(ch[i].status) &&
                          WEXITSTATUS(ch[i].status) == CHILD_OK;
                outcomes[i][ok]++;
            }
            if (opt.verbose) {
                char what[96];
                describe(d, k, what, sizeof(what));
                printf("%s %zu (%s): %lld ms, %zu refused; source %s; "
                       "destination %s\n",
                       dir_name[d], k, what, (long long)elapsed, r.refused,
                       ch[SRC].report, ch[DST].report);
            }
        }
        char slowest[96];
        describe(d, worst_k, slowest, sizeof(slowest));
        printf("%s: %zu offsets tried of %zu (0..%zu, %s) in %.1f s; "
               "source ok/failed %u/%u, destination ok/failed %u/%u; "
               "slowest run %lld ms (offset %zu, %s)\n",
               dir_name[d], tried, layout[d].total + 1, layout[d].total,
               opt.stride == 1 ? "exhaustive" : "stride and message boundaries",
               (double)(now_ms() - t0) / 1000, outcomes[SRC][1],
               outcomes[SRC][0], outcomes[DST][1], outcomes[DST][0],
               (long long)worst, worst_k, slowest);
        fflush(stdout);
    }
    if (stop) {
        printf("FAIL: stopped after %u failures (%u hangs)\n", failures, hangs);
    }
    int probe_after = open("/dev/null", O_RDONLY | O_CLOEXEC);
    close(probe_after);
    if (probe_after != probe_before) {
        printf("FAIL: the relay leaked file descriptors (lowest free fd %d, "
               "was %d)\n",
               probe_after, probe_before);
        failures++;
    }
    if (done_false_notes) {
        printf("note: %u runs where qmig_hs_run_fd() failed on an I/O error "
               "with the engine DONE (the final CONFIRM could not be sent; "
               "the return value decides, as documented)\n",
               done_false_notes);
    }
    printf("%s in %.1f s\n", failures ? "FAILED" : "ok",
           (double)(now_ms() - t_start) / 1000);
    status = failures ? 1 : 0;
out:
    if (relay_lfd >= 0) {
        close(relay_lfd);
    }
    if (dst_lfd >= 0) {
        close(dst_lfd);
    }
    if (!opt.tcp) {
        char path[128];
        snprintf(path, sizeof(path), "%s/relay.sock", sock_dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/dst.sock", sock_dir);
        unlink(path);
        rmdir(sock_dir);
    }
    for (size_t j = 0; j < MAX_CONNS; j++) {
        free(ref[j][SD].data);
        free(ref[j][DS].data);
    }
    return status;
}
