/*
 * link-emulator - a slow, lossy point-to-point link between two network
 * namespaces, in userspace, over two TUN devices (a test helper of the
 * 'handshake-netns' suite, for kernels without the sch_netem qdisc).
 *
 *   link-emulator --ns-a NS --dev-a DEV --ns-b NS --dev-b DEV [options]
 *
 * Opens (creating it if needed) the TUN device DEV (IFF_TUN | IFF_NO_PI)
 * inside each network namespace NS (a name under /var/run/netns, or a
 * path if it contains a '/'), then forwards every IP packet read from
 * one device to the other after a fixed one-way delay, dropping each
 * with the given probability; each direction has its own FIFO queue
 * (bounded: a packet arriving at a full queue is dropped) and its own
 * pseudo-random sequence, both derived from one seed, printed so that a
 * run can be replayed.  The devices are left unconfigured: the caller
 * adds the addresses and sets the links up once the ready file exists.
 *
 * SIGUSR1 prints the counters, SIGTERM and SIGINT print them and exit
 * 0 (so does the death of the parent process, which gets SIGTERM sent
 * by the kernel: a killed test leaves no emulator behind); all on
 * stderr, one line a direction:
 *   link-emulator: stats|final a->b: read R forwarded F lost L
 *   queue-full Q write-errors W queued N
 *
 * Exit status: 0 stopped by a signal, 1 failure, 2 bad usage, 3 network
 * namespaces or TUN devices are not available or not permitted here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_UNAVAILABLE 3
#define PACKET_MAX 65536
#define READ_BURST 64

static const char usage_text[] =
    "Usage: link-emulator --ns-a NS --dev-a DEV --ns-b NS --dev-b DEV "
    "[options]\n"
    "\n"
    "Forwards IP packets between the TUN device DEV of namespace NS (a "
    "name under\n"
    "/var/run/netns, or a path) on side a and that of side b, each "
    "direction with\n"
    "a fixed delay and random loss.\n"
    "\n"
    "Options:\n"
    "  --delay-ms N       one-way delay in milliseconds (default 50)\n"
    "  --loss P           probability of losing a packet, 0 to 1 (default "
    "0.05)\n"
    "  --queue N          packets queued a direction at most (default 1000)\n"
    "  --seed N           seed of the loss sequences (default: random, "
    "printed)\n"
    "  --ready-file FILE  written once both devices are open\n"
    "\n"
    "SIGUSR1 prints the counters on stderr; SIGTERM and SIGINT print them "
    "and\n"
    "exit 0.  Exit status: 1 failure, 2 bad usage, 3 namespaces or TUN "
    "devices\n"
    "not available here.\n";

typedef struct Options {
    const char *ns[2];
    const char *dev[2];
    uint64_t delay_ns;
    double loss;
    size_t queue;
    bool has_seed;
    uint64_t seed;
    const char *ready_file;
} Options;

typedef struct Packet {
    uint64_t due_ns;
    size_t len;
    unsigned char *data;
} Packet;

/* One direction: packets read from in_fd, written to out_fd. */
typedef struct Direction {
    const char *name;
    const char *out_dev;
    int in_fd, out_fd;
    Packet *ring;
    size_t cap, head, count;
    uint64_t rng;
    bool out_blocked;
    bool write_error_reported;
    uint64_t read, forwarded, lost, queue_full, write_errors;
} Direction;

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t dump_requested;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_dump(int sig)
{
    (void)sig;
    dump_requested = 1;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "link-emulator: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'link-emulator --help' for more information.\n");
    return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ') {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, Options *o)
{
    o->delay_ns = 50 * 1000000ull;
    o->loss = 0.05;
    o->queue = 1000;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage_text, stdout);
            return fflush(stdout) ? 1 : 0;
        }
        if (strncmp(arg, "--", 2)) {
            return usage_error("unexpected argument '%s'", arg);
        }
        if (i + 1 == argc) {
            return usage_error("option '%s' needs an argument", arg);
        }
        const char *val = argv[++i];
        uint64_t v;
        if (!strcmp(arg, "--ns-a") || !strcmp(arg, "--ns-b")) {
            if (!val[0]) {
                return usage_error("%s needs a namespace name", arg);
            }
            o->ns[arg[5] - 'a'] = val;
        } else if (!strcmp(arg, "--dev-a") || !strcmp(arg, "--dev-b")) {
            if (!val[0] || strlen(val) >= IFNAMSIZ || strchr(val, '/')) {
                return usage_error("bad device name '%s' (1 to 15 "
                                   "characters, no '/')", val);
            }
            o->dev[arg[6] - 'a'] = val;
        } else if (!strcmp(arg, "--delay-ms")) {
            if (!parse_u64(val, 60000, &v)) {
                return usage_error("--delay-ms needs a number of "
                                   "milliseconds from 0 to 60000, not '%s'",
                                   val);
            }
            o->delay_ns = v * 1000000ull;
        } else if (!strcmp(arg, "--loss")) {
            char *end;
            errno = 0;
            double p = strtod(val, &end);
            if (!val[0] || *end || errno || !isfinite(p) || p < 0 || p > 1) {
                return usage_error("--loss needs a probability from 0 to 1, "
                                   "not '%s'", val);
            }
            o->loss = p;
        } else if (!strcmp(arg, "--queue")) {
            if (!parse_u64(val, 1000000, &v) || v == 0) {
                return usage_error("--queue needs a number of packets from 1 "
                                   "to 1000000, not '%s'", val);
            }
            o->queue = (size_t)v;
        } else if (!strcmp(arg, "--seed")) {
            if (!parse_u64(val, UINT64_MAX, &v)) {
                return usage_error("--seed needs an unsigned 64-bit number, "
                                   "not '%s'", val);
            }
            o->seed = v;
            o->has_seed = true;
        } else if (!strcmp(arg, "--ready-file")) {
            o->ready_file = val;
        } else {
            return usage_error("unknown option '%s'", arg);
        }
    }
    for (int s = 0; s < 2; s++) {
        if (!o->ns[s]) {
            return usage_error("%s is required", s ? "--ns-b" : "--ns-a");
        }
        if (!o->dev[s]) {
            return usage_error("%s is required", s ? "--dev-b" : "--dev-a");
        }
    }
    return -1;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double random_unit(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool unavailable_errno(int e)
{
    return e == EPERM || e == EACCES || e == ENOENT || e == ENODEV ||
           e == ENXIO || e == EOPNOTSUPP || e == ENOSYS;
}

/*
 * Opens DEV in namespace NS, then returns to the namespace HOME_FD.
 * On failure prints why and returns -1, *status the exit status.
 */
static int open_tun(const char *ns, const char *dev, int home_fd,
                    int *status)
{
    char path[PATH_MAX];
    int n = strchr(ns, '/') ? snprintf(path, sizeof(path), "%s", ns)
                            : snprintf(path, sizeof(path),
                                       "/var/run/netns/%s", ns);
    *status = 1;
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "link-emulator: namespace name too long: %s\n", ns);
        return -1;
    }
    int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) {
        fprintf(stderr, "link-emulator: can't open network namespace %s: "
                        "%s\n", path, strerror(errno));
        return -1;
    }
    if (setns(ns_fd, CLONE_NEWNET) < 0) {
        int e = errno;
        fprintf(stderr, "link-emulator: can't enter network namespace %s: "
                        "%s\n", path, strerror(e));
        close(ns_fd);
        *status = e == EPERM || e == ENOSYS ? EXIT_UNAVAILABLE : 1;
        return -1;
    }
    close(ns_fd);

    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        fprintf(stderr, "link-emulator: can't open /dev/net/tun: %s\n",
                strerror(e));
        *status = unavailable_errno(e) ? EXIT_UNAVAILABLE : 1;
    } else {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        memcpy(ifr.ifr_name, dev, strlen(dev) + 1);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            int e = errno;
            fprintf(stderr, "link-emulator: can't attach TUN device %s in "
                            "namespace %s: %s%s\n", dev, ns, strerror(e),
                    e == EINVAL ? " (a device of another kind has that "
                                  "name?)"
                    : e == EBUSY ? " (already attached to another process?)"
                                 : "");
            *status = unavailable_errno(e) ? EXIT_UNAVAILABLE : 1;
            close(fd);
            fd = -1;
        }
    }
    if (setns(home_fd, CLONE_NEWNET) < 0) {
        fprintf(stderr, "link-emulator: can't return to the initial network "
                        "namespace: %s\n", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        *status = 1;
        return -1;
    }
    return fd;
}

static bool write_ready_file(const char *path, const Options *o,
                             uint64_t seed)
{
    size_t len = strlen(path) + 5;
    char *tmp = malloc(len);
    if (!tmp) {
        fprintf(stderr, "link-emulator: out of memory\n");
        return false;
    }
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f != NULL;
    if (ok) {
        fprintf(f, "%s %s %" PRIu64 "\n", o->dev[0], o->dev[1], seed);
        ok = !ferror(f);
        ok = !fclose(f) && ok;
    }
    ok = ok && !rename(tmp, path);
    if (!ok) {
        fprintf(stderr, "link-emulator: can't write %s: %s\n", path,
                strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

static void print_counters(const Direction *d, const char *what)
{
    fprintf(stderr, "link-emulator: %s %s: read %" PRIu64 " forwarded %"
                    PRIu64 " lost %" PRIu64 " queue-full %" PRIu64
                    " write-errors %" PRIu64 " queued %zu\n",
            what, d->name, d->read, d->forwarded, d->lost, d->queue_full,
            d->write_errors, d->count);
}

/* Reads what in_fd has (a burst at most).  False on a fatal error. */
static bool ingest(Direction *d, const Options *o, unsigned char *buf)
{
    for (int i = 0; i < READ_BURST; i++) {
        ssize_t n = read(d->in_fd, buf, PACKET_MAX);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            fprintf(stderr, "link-emulator: %s: read: %s\n", d->name,
                    strerror(errno));
            return false;
        }
        if (n == 0) {
            return true;
        }
        d->read++;
        /* Always draw, so that the sequence depends on the seed only. */
        double r = random_unit(&d->rng);
        if (r < o->loss) {
            d->lost++;
            continue;
        }
        if (d->count == d->cap) {
            d->queue_full++;
            continue;
        }
        unsigned char *data = malloc((size_t)n);
        if (!data) {
            fprintf(stderr, "link-emulator: out of memory\n");
            return false;
        }
        memcpy(data, buf, (size_t)n);
        Packet *p = &d->ring[(d->head + d->count) % d->cap];
        p->due_ns = now_ns() + o->delay_ns;
        p->len = (size_t)n;
        p->data = data;
        d->count++;
    }
    return true;
}

static void pop(Direction *d)
{
    free(d->ring[d->head].data);
    d->ring[d->head].data = NULL;
    d->head = (d->head + 1) % d->cap;
    d->count--;
}

/* Writes the packets that are due, until out_fd would block. */
static void deliver(Direction *d, uint64_t now)
{
    while (d->count && !d->out_blocked && d->ring[d->head].due_ns <= now) {
        const Packet *p = &d->ring[d->head];
        ssize_t n = write(d->out_fd, p->data, p->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            d->out_blocked = true;
            return;
        }
        if (n < 0) {
            /* EIO while the device is down, EINVAL for a bad packet:
             * the packet is lost, the link goes on. */
            d->write_errors++;
            if (!d->write_error_reported) {
                fprintf(stderr, "link-emulator: %s: write to %s: %s "
                                "(further errors only counted)\n",
                        d->name, d->out_dev, strerror(errno));
                d->write_error_reported = true;
            }
        } else {
            d->forwarded++;
        }
        pop(d);
    }
}

static int run(Direction dirs[2], const Options *o, const sigset_t *mask)
{
    unsigned char *buf = malloc(PACKET_MAX);
    if (!buf) {
        fprintf(stderr, "link-emulator: out of memory\n");
        return 1;
    }
    int status = 0;
    while (!stop_signal) {
        if (dump_requested) {
            dump_requested = 0;
            print_counters(&dirs[0], "stats");
            print_counters(&dirs[1], "stats");
        }
        uint64_t now = now_ns();
        int64_t wait_ns = -1;
        for (int i = 0; i < 2; i++) {
            Direction *d = &dirs[i];
            deliver(d, now);
            if (d->count && !d->out_blocked) {
                uint64_t due = d->ring[d->head].due_ns;
                int64_t w = due > now ? (int64_t)(due - now) : 0;
                if (wait_ns < 0 || w < wait_ns) {
                    wait_ns = w;
                }
            }
        }
        /* pfd[i] is dirs[i]'s input and dirs[1 - i]'s output. */
        struct pollfd pfd[2];
        for (int i = 0; i < 2; i++) {
            pfd[i].fd = dirs[i].in_fd;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (dirs[1 - i].out_blocked) {
                pfd[i].events |= POLLOUT;
            }
        }
        struct timespec ts = {
            .tv_sec = wait_ns / 1000000000,
            .tv_nsec = wait_ns % 1000000000,
        };
        int r = ppoll(pfd, 2, wait_ns < 0 ? NULL : &ts, mask);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "link-emulator: poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        bool ok = true;
        for (int i = 0; i < 2 && ok; i++) {
            if (pfd[i].revents & (POLLERR | POLLNVAL | POLLHUP)) {
                fprintf(stderr, "link-emulator: device %s: %s\n",
                        dirs[1 - i].out_dev,
                        pfd[i].revents & POLLNVAL ? "descriptor closed"
                                                  : "error or hang-up");
                ok = false;
                break;
            }
            if (pfd[i].revents & POLLOUT) {
                dirs[1 - i].out_blocked = false;
            }
            if (pfd[i].revents & POLLIN) {
                ok = ingest(&dirs[i], o, buf);
            }
        }
        if (!ok) {
            status = 1;
            break;
        }
    }
    free(buf);
    return status;
}

int main(int argc, char **argv)
{
    Options o;
    memset(&o, 0, sizeof(o));
    int status = parse_options(argc, argv, &o);
    if (status >= 0) {
        return status;
    }

    /* The signals are only delivered inside ppoll(): no lost wake-up. */
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0) {
        fprintf(stderr, "link-emulator: sigprocmask: %s\n", strerror(errno));
        return 1;
    }
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGUSR1);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_dump;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
        fprintf(stderr, "link-emulator: prctl(PR_SET_PDEATHSIG): %s\n",
                strerror(errno));
        return 1;
    }
    if (getppid() != parent) {
        fprintf(stderr, "link-emulator: the parent process is gone\n");
        return 1;
    }

    uint64_t seed = o.seed;
    if (!o.has_seed &&
        getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
        seed = now_ns() ^ ((uint64_t)getpid() << 32);
    }

    int home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_fd < 0) {
        int e = errno;
        fprintf(stderr, "link-emulator: can't open /proc/self/ns/net: %s\n",
                strerror(e));
        return unavailable_errno(e) ? EXIT_UNAVAILABLE : 1;
    }
    int fds[2] = {-1, -1};
    for (int s = 0; s < 2 && status < 0; s++) {
        int st;
        fds[s] = open_tun(o.ns[s], o.dev[s], home_fd, &st);
        if (fds[s] < 0) {
            status = st;
        }
    }
    close(home_fd);

    Direction dirs[2];
    memset(dirs, 0, sizeof(dirs));
    uint64_t rng = seed;
    for (int i = 0; i < 2; i++) {
        Direction *d = &dirs[i];
        d->name = i ? "b->a" : "a->b";
        d->out_dev = o.dev[1 - i];
        d->in_fd = fds[i];
        d->out_fd = fds[1 - i];
        d->cap = o.queue;
        d->rng = splitmix64(&rng);
        if (status < 0) {
            d->ring = calloc(o.queue, sizeof(Packet));
            if (!d->ring) {
                fprintf(stderr, "link-emulator: out of memory\n");
                status = 1;
            }
        }
    }

    if (status < 0) {
        fprintf(stderr, "link-emulator: %s/%s <-> %s/%s, delay %" PRIu64
                        " ms, loss %g, queue %zu packets, seed %" PRIu64 "\n",
                o.ns[0], o.dev[0], o.ns[1], o.dev[1],
                o.delay_ns / 1000000, o.loss, o.queue, seed);
        if (o.ready_file && !write_ready_file(o.ready_file, &o, seed)) {
            status = 1;
        }
    }
    if (status < 0) {
        status = run(dirs, &o, &wait_mask);
        print_counters(&dirs[0], "final");
        print_counters(&dirs[1], "final");
    }

    for (int i = 0; i < 2; i++) {
        while (dirs[i].ring && dirs[i].count) {
            pop(&dirs[i]);
        }
        free(dirs[i].ring);
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    return status;
}
