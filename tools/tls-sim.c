/*
 * tls-sim.c - a simulated TLS record layer; see tls-sim.h.
 *
 * THIS IS A SIMULATION, NOT SECURITY.  The "encryption" is an XOR with
 * a splitmix64 keystream seeded from the two public nonces: anyone who
 * sees the handshake can decode everything, and nothing is
 * authenticated.  It only reproduces the properties of TLS that matter
 * to the migration handshake: the bytes on the wire do not show the
 * protocol's magic numbers, so nothing can be learnt by peeking at the
 * socket, and the reader must decode whole records and buffer what the
 * caller did not ask for yet (which the driver sees through pending()).
 */
#define _GNU_SOURCE
#include "tls-sim.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REC_HEADER 5
#define REC_HANDSHAKE 0x16
#define REC_APPDATA 0x17
#define REC_VERSION_MAJOR 0x03
#define REC_VERSION_MINOR 0x03
#define REC_MAX 16384
#define NONCE_SIZE 32
/* Most records the writer cuts are 1 to this many bytes long. */
#define REC_SMALL 97
/* How long a failing server waits for the peer to close first. */
#define LINGER_MS 1000

/* --- keystream (splitmix64; a simulation, not a cipher) ------------------ */

typedef struct Keystream {
    uint64_t state;
    uint64_t block;
    unsigned used; /* bytes of @block used; 8: take the next block */
} Keystream;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The keystream of direction @dir ('C': client to server, 'S': back). */
static void ks_init(Keystream *k, const uint8_t client[NONCE_SIZE],
                    const uint8_t server[NONCE_SIZE], uint8_t dir)
{
    uint64_t h = 0xcbf29ce484222325ull ^ dir; /* FNV-1a over both nonces */
    for (int i = 0; i < 2 * NONCE_SIZE; i++) {
        h ^= i < NONCE_SIZE ? client[i] : server[i - NONCE_SIZE];
        h *= 0x100000001b3ull;
    }
    k->state = h;
    k->used = 8;
}

static void ks_xor(Keystream *k, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (k->used == 8) {
            k->block = splitmix64(&k->state);
            k->used = 0;
        }
        buf[i] ^= (uint8_t)(k->block >> (8 * k->used++));
    }
}

/* --- the layer ------------------------------------------------------------ */

struct TlsSim {
    int fd;
    Keystream tx, rx;
    uint64_t rng; /* record sizes (xorshift64*) */
    /* Receiving: raw bytes of the current record, and its decoded body. */
    uint8_t in[REC_HEADER + REC_MAX];
    size_t in_len;
    uint8_t plain[REC_MAX];
    size_t plain_off, plain_len;
    bool eof;
    bool failed; /* a protocol error, described in err */
    char err[512];
    /* Sending: the encoded record being sent. */
    uint8_t out[REC_HEADER + REC_MAX];
    size_t out_off, out_len, out_plain;
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static void random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno != EINTR) {
            break;
        }
    }
    if (done < len) {
        /* No entropy source: still different per call and process. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t s = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32 ^
                     (uint64_t)(uintptr_t)buf;
        for (size_t i = done; i < len; i++) {
            p[i] = (uint8_t)splitmix64(&s);
        }
    }
}

static TlsSim *sim_new(int fd, QmigError **errp)
{
    TlsSim *t = calloc(1, sizeof(*t));
    if (!t) {
        qmig_error_setg(errp, "simulated TLS: out of memory");
        return NULL;
    }
    t->fd = fd;
    random_bytes(&t->rng, sizeof(t->rng));
    t->rng |= 1; /* xorshift needs a non-zero state */
    return t;
}

void tls_sim_free(TlsSim *t)
{
    free(t);
}

/* "51 4d 48 53 00 ("QMHS.")" for the @n bytes at @p (at most 5). */
static void describe_bytes(const uint8_t *p, size_t n, char *out, size_t size)
{
    char hex[3 * REC_HEADER + 1] = "", text[REC_HEADER + 1] = "";
    for (size_t i = 0; i < n && i < REC_HEADER; i++) {
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", p[i]);
        text[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
        text[i + 1] = '\0';
    }
    if (hex[0]) {
        hex[strlen(hex) - 1] = '\0'; /* the last space */
    }
    const char *hint = "";
    if (n >= 4 && !memcmp(p, "QMHS", 4)) {
        hint = ", a plain handshake frame: does the peer run without "
               "--tls-sim?";
    } else if (n >= 4 && !memcmp(p, "QMCH", 4)) {
        hint = ", a plain channel header: does the peer run without "
               "--tls-sim?";
    }
    snprintf(out, size, "%s (\"%s\")%s", hex, text, hint);
}

/*
 * Check the first @n bytes (any number) of the header of @what, a
 * record at @h: type @type, version 3.3, body length 1..@max (exactly
 * @max for handshake records).  Checks what the bytes so far allow.  On
 * failure, writes the reason to @why.
 */
static bool header_ok(const uint8_t *h, size_t n, const char *what,
                      uint8_t type, size_t max, char *why, size_t size)
{
    bool ok = (n < 1 || h[0] == type) && (n < 2 || h[1] == REC_VERSION_MAJOR) &&
              (n < 3 || h[2] == REC_VERSION_MINOR);
    if (ok && n >= REC_HEADER) {
        size_t len = (size_t)h[3] << 8 | h[4];
        ok = type == REC_HANDSHAKE ? len == max : len >= 1 && len <= max;
    }
    if (!ok) {
        char got[160];
        describe_bytes(h, n, got, sizeof(got));
        snprintf(why, size,
                 "peer does not speak the simulated TLS: expected %s "
                 "(%02x 03 03, then a 2-byte length %s %zu), got %s",
                 what, type, type == REC_HANDSHAKE ? "of" : "up to", max, got);
    }
    return ok;
}

static void sim_fail(TlsSim *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sim_fail(TlsSim *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof(t->err), fmt, ap);
    va_end(ap);
    t->failed = true;
}

/* Decode the record at the start of t->in if it is complete (and the
 * decoded buffer is empty); true if one was decoded. */
static bool decode_record(TlsSim *t)
{
    if (t->failed || t->plain_off < t->plain_len || t->in_len < REC_HEADER) {
        return false;
    }
    size_t len = (size_t)t->in[3] << 8 | t->in[4];
    if (t->in_len < REC_HEADER + len) {
        return false;
    }
    memcpy(t->plain, t->in + REC_HEADER, len);
    ks_xor(&t->rx, t->plain, len);
    t->plain_off = 0;
    t->plain_len = len;
    t->in_len -= REC_HEADER + len;
    memmove(t->in, t->in + REC_HEADER + len, t->in_len);
    /* The next record's header, as far as it arrived, is checked too. */
    if (t->in_len &&
        !header_ok(t->in, t->in_len < REC_HEADER ? t->in_len : REC_HEADER,
                   "an application data record", REC_APPDATA, REC_MAX, t->err,
                   sizeof(t->err))) {
        t->failed = true;
    }
    return true;
}

static ssize_t sim_read(void *opaque, void *buf, size_t len)
{
    TlsSim *t = opaque;
    for (;;) {
        if (t->plain_off < t->plain_len) {
            size_t n = t->plain_len - t->plain_off;
            n = n < len ? n : len;
            memcpy(buf, t->plain + t->plain_off, n);
            t->plain_off += n;
            return (ssize_t)n;
        }
        if (t->failed) {
            errno = EPROTO;
            return -1;
        }
        if (decode_record(t)) {
            continue;
        }
        if (t->eof) {
            if (!t->in_len) {
                return 0; /* at a record boundary: a clean end */
            }
            sim_fail(t,
                     "simulated TLS: the peer closed the connection "
                     "inside a record (%zu bytes of it received)",
                     t->in_len);
            continue;
        }
        /* Room is left: a full buffer always holds a complete record. */
        ssize_t n = recv(t->fd, t->in + t->in_len, sizeof(t->in) - t->in_len,
                         MSG_DONTWAIT);
        if (n > 0) {
            size_t old = t->in_len;
            t->in_len += (size_t)n;
            /* Check the header of the record in progress as soon as its
             * bytes arrive, even when the peer sends nothing more. */
            if (old < REC_HEADER &&
                !header_ok(t->in,
                           t->in_len < REC_HEADER ? t->in_len : REC_HEADER,
                           "an application data record", REC_APPDATA, REC_MAX,
                           t->err, sizeof(t->err))) {
                t->failed = true;
            }
            continue;
        }
        if (n == 0) {
            t->eof = true;
            continue;
        }
        return -1; /* EAGAIN: wait for the fd; others: a socket error */
    }
}

/*
 * Decoded bytes ready for sim_read().  A complete record still encoded
 * is decoded first (it may have arrived with the previous one), and a
 * failure or the end of the stream counts as readable, so that
 * sim_read() reports it without waiting for the fd.
 */
static size_t sim_pending(void *opaque)
{
    TlsSim *t = opaque;
    decode_record(t);
    if (t->plain_off < t->plain_len) {
        return t->plain_len - t->plain_off;
    }
    return t->failed || t->eof ? 1 : 0;
}

static size_t record_size(TlsSim *t)
{
    uint64_t r = rng_next(&t->rng);
    /* Mostly small records, so that every frame and channel header
     * straddles several; sometimes up to the largest record. */
    return 1 + (size_t)((r >> 8) % ((r & 3) ? REC_SMALL : REC_MAX));
}

static ssize_t sim_write(void *opaque, const void *buf, size_t len)
{
    TlsSim *t = opaque;
    if (t->out_off == t->out_len) {
        /* A new record.  If it cannot be sent at once, it is kept and
         * the driver calls again with the same data (see QmigHsIo). */
        size_t n = record_size(t);
        n = n < len ? n : len;
        t->out[0] = REC_APPDATA;
        t->out[1] = REC_VERSION_MAJOR;
        t->out[2] = REC_VERSION_MINOR;
        t->out[3] = (uint8_t)(n >> 8);
        t->out[4] = (uint8_t)n;
        memcpy(t->out + REC_HEADER, buf, n);
        ks_xor(&t->tx, t->out + REC_HEADER, n);
        t->out_off = 0;
        t->out_len = REC_HEADER + n;
        t->out_plain = n;
    }
    while (t->out_off < t->out_len) {
        ssize_t n = send(t->fd, t->out + t->out_off, t->out_len - t->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1; /* EAGAIN: the rest of the record waits */
        }
        t->out_off += (size_t)n;
    }
    return (ssize_t)t->out_plain;
}

static int sim_poll_fd(void *opaque)
{
    return ((TlsSim *)opaque)->fd;
}

static const char *sim_error(void *opaque)
{
    TlsSim *t = opaque;
    return t->failed ? t->err : NULL;
}

QmigHsIo tls_sim_io(TlsSim *t)
{
    return (QmigHsIo){
        .opaque = t,
        .read = sim_read,
        .write = sim_write,
        .poll_fd = sim_poll_fd,
        .pending = sim_pending,
        .error = sim_error,
    };
}

/* --- the simulated handshake ---------------------------------------------- */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static void hello_record(uint8_t rec[REC_HEADER + NONCE_SIZE],
                         uint8_t nonce[NONCE_SIZE])
{
    random_bytes(nonce, NONCE_SIZE);
    rec[0] = REC_HANDSHAKE;
    rec[1] = REC_VERSION_MAJOR;
    rec[2] = REC_VERSION_MINOR;
    rec[3] = 0;
    rec[4] = NONCE_SIZE;
    memcpy(rec + REC_HEADER, nonce, NONCE_SIZE);
}

/* Receive the peer's hello (@what) and its nonce. */
static bool recv_hello(int fd, const char *what, uint8_t nonce[NONCE_SIZE],
                       int timeout_ms, QmigError **errp)
{
    uint8_t h[REC_HEADER];
    char why[512];
    if (!qmig_fd_read_full(fd, h, sizeof(h), timeout_ms, errp)) {
        qmig_error_prepend(errp,
                           "simulated TLS handshake: waiting for the "
                           "%s: ",
                           what);
        return false;
    }
    char rec[32];
    snprintf(rec, sizeof(rec), "a %s record", what);
    if (!header_ok(h, sizeof(h), rec, REC_HANDSHAKE, NONCE_SIZE, why,
                   sizeof(why))) {
        qmig_error_setg(errp, "%s", why);
        return false;
    }
    if (!qmig_fd_read_full(fd, nonce, NONCE_SIZE, timeout_ms, errp)) {
        qmig_error_prepend(errp,
                           "simulated TLS handshake: reading the %s: ", what);
        return false;
    }
    return true;
}

/*
 * A failing server: stop sending and discard what the peer sends until
 * it closes (or a short time passes), so that it sees a clean end of
 * stream, not a reset caused by unread bytes.
 */
static void linger_on_failure(int fd, int timeout_ms)
{
    int ms = timeout_ms < LINGER_MS ? timeout_ms : LINGER_MS;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    shutdown(fd, SHUT_WR);
    for (;;) {
        uint8_t junk[4096];
        ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            return;
        }
        if (n > 0) {
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
                          (t1.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            return;
        }
    }
}

TlsSim *tls_sim_client(int fd, unsigned max_delay_ms, int timeout_ms,
                       QmigError **errp)
{
    TlsSim *t = sim_new(fd, errp);
    if (!t) {
        return NULL;
    }
    if (max_delay_ms) {
        sleep_ms((unsigned)(rng_next(&t->rng) % (max_delay_ms + 1)));
    }
    uint8_t rec[REC_HEADER + NONCE_SIZE];
    uint8_t cn[NONCE_SIZE], sn[NONCE_SIZE];
    hello_record(rec, cn);
    if (!qmig_fd_write_full(fd, rec, sizeof(rec), timeout_ms, errp)) {
        qmig_error_prepend(errp, "simulated TLS handshake: sending the "
                                 "ClientHello: ");
        free(t);
        return NULL;
    }
    if (!recv_hello(fd, "ServerHello", sn, timeout_ms, errp)) {
        free(t);
        return NULL;
    }
    ks_init(&t->tx, cn, sn, 'C');
    ks_init(&t->rx, cn, sn, 'S');
    return t;
}

TlsSim *tls_sim_server(int fd, int timeout_ms, QmigError **errp)
{
    TlsSim *t = sim_new(fd, errp);
    if (!t) {
        return NULL;
    }
    uint8_t rec[REC_HEADER + NONCE_SIZE];
    uint8_t cn[NONCE_SIZE], sn[NONCE_SIZE];
    if (!recv_hello(fd, "ClientHello", cn, timeout_ms, errp)) {
        linger_on_failure(fd, timeout_ms);
        free(t);
        return NULL;
    }
    hello_record(rec, sn);
    if (!qmig_fd_write_full(fd, rec, sizeof(rec), timeout_ms, errp)) {
        qmig_error_prepend(errp, "simulated TLS handshake: sending the "
                                 "ServerHello: ");
        free(t);
        return NULL;
    }
    ks_init(&t->tx, cn, sn, 'S');
    ks_init(&t->rx, cn, sn, 'C');
    return t;
}

bool tls_sim_conn_open(TlsSimConn *c, int fd, bool tls, bool server,
                       unsigned max_delay_ms, int timeout_ms, QmigError **errp)
{
    c->tls = NULL;
    c->io = qmig_io_fd(fd);
    if (!tls) {
        return true;
    }
    c->tls = server ? tls_sim_server(fd, timeout_ms, errp)
                    : tls_sim_client(fd, max_delay_ms, timeout_ms, errp);
    if (!c->tls) {
        return false;
    }
    c->io = tls_sim_io(c->tls);
    return true;
}

void tls_sim_conn_close(TlsSimConn *c)
{
    tls_sim_free(c->tls);
    c->tls = NULL;
}
