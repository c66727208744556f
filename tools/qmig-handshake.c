/*
 * qmig-handshake - run the migration handshake between two processes.
 *
 *   qmig-handshake listen ADDR --config dst.json [options]
 *   qmig-handshake connect ADDR --config src.json [options]
 *
 * ADDR is tcp:HOST:PORT or unix:PATH.  The connect side (the source)
 * performs the handshake on the main connection, then opens every
 * channel of the agreed plan, each starting with its channel header
 * and carrying a small payload; the listen side (the destination)
 * accepts connections until its channel map is complete, in any
 * arrival order, and reads and acknowledges each payload.  Both print
 * the agreed configuration and the channel map as JSON on stdout.
 *
 * Exit status: 0 agreed, 1 failed (every reason on stderr), 2 unusable
 * input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmig-migration-channels.h"
#include "qmig-migration-handshake.h"
#include "qmig-migration-types.h"
#include "qmig/handshake.h"
#include "diag.h"
#include "tls-sim.h"

#define MAX_INPUT (16u << 20)
#define MAX_UNSUPPORTED 256
#define PAYLOAD_MAX 4096
#define ACK_BYTE 'K'

static const char usage_text[] =
    "Usage: qmig-handshake listen ADDR --config CONFIG.json [options]\n"
    "       qmig-handshake connect ADDR --config CONFIG.json [options]\n"
    "\n"
    "ADDR is tcp:HOST:PORT or unix:PATH (listen: port 0 picks a free "
    "port),\n"
    "or a unidirectional transport, as QEMU's migrate URIs: file:PATH "
    "(connect\n"
    "writes a one-way header and a test stream to PATH, listen loads "
    "and checks\n"
    "it) or exec:COMMAND (connect pipes them into COMMAND's stdin, "
    "listen reads\n"
    "COMMAND's stdout; run by /bin/sh -c).\n"
    "\n"
    "Options:\n"
    "  --config FILE         the local configuration, as qmig-validate "
    "reads it\n"
    "  --devices FILE        device sections: [{\"section\": S, "
    "\"instance\": N,\n"
    "                        \"version\": N, \"min-version\": N}, ...]\n"
    "  --timeout SECONDS     bound of every wait (default 10)\n"
    "  --machine TYPE        QEMU machine type, compared with the peer's\n"
    "  --target-page-size N  compared with the peer's (default 4096)\n"
    "  --unsupported NAME    a handshake feature this side must never "
    "enable\n"
    "                        (repeatable)\n"
    "  --uuid UUID           the VM UUID: sent to have it checked (source),\n"
    "                        checked when the source sends one (destination)\n"
    "  --min-version N       lowest protocol version to speak (default %u)\n"
    "  --max-version N       highest protocol version to speak (default %u)\n"
    "  --allow-legacy        listen: accept a legacy stream (reported, exit "
    "0)\n"
    "  --ready-file FILE     listen: write the bound ADDR there once "
    "listening\n"
    "  --tls-sim             testing aid: wrap the main connection and "
    "every\n"
    "                        channel in a simulated TLS record layer that "
    "cannot\n"
    "                        be peeked (both sides need it)\n"
    "\n"
    "Exit status: 0 agreed, 1 failed (every reason on stderr), 2 "
    "unusable\n"
    "input.\n";

typedef struct Options {
    bool listen;
    const char *addr;
    const char *config;
    const char *devices;
    const char *machine;
    const char *ready_file;
    int timeout_ms;
    uint64_t target_page_size;
    const char *unsupported[MAX_UNSUPPORTED];
    unsigned n_unsupported;
    bool has_uuid;
    uint8_t uuid[16];
    unsigned min_version, max_version;
    bool allow_legacy;
    bool tls_sim; /* every connection through tls-sim.h */
    /* Hidden, for tests: "dup", "unknown" or "session". */
    const char *test_bad_channel;
} Options;

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool parse_uuid(const char *s, uint8_t out[16])
{
    unsigned n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-') {
            continue;
        }
        int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
        if (n == 16 || hi < 0 || lo < 0) {
            return false;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        p++;
    }
    return n == 16;
}

static bool parse_uint(const char *s, unsigned long long max,
                       unsigned long long *out)
{
    char *end;
    if (!s[0] || s[0] == '-' || s[0] == '+') {
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

static int parse_options(int argc, char **argv, Options *o)
{
    o->timeout_ms = 10000;
    o->target_page_size = 4096;
    const char *mode = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf(usage_text, QMIG_HS_VERSION_MIN, QMIG_HS_VERSION_MAX);
            return 0;
        }
        if (!strcmp(arg, "--version")) {
            printf("qmig-handshake %s\n", QMIG_RUNTIME_VERSION_STRING);
            return 0;
        }
        if (!strcmp(arg, "--allow-legacy")) {
            o->allow_legacy = true;
            continue;
        }
        if (!strcmp(arg, "--tls-sim")) {
            o->tls_sim = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-') {
            if (i + 1 == argc) {
                return diag_usage_error("option '%s' needs an argument", arg);
            }
            const char *val = argv[++i];
            unsigned long long v;
            if (!strcmp(arg, "--config")) {
                o->config = val;
            } else if (!strcmp(arg, "--devices")) {
                o->devices = val;
            } else if (!strcmp(arg, "--machine")) {
                o->machine = val;
            } else if (!strcmp(arg, "--ready-file")) {
                o->ready_file = val;
            } else if (!strcmp(arg, "--timeout")) {
                if (!parse_uint(val, 86400, &v) || v == 0) {
                    return diag_usage_error("--timeout needs a number of "
                                            "seconds from 1 to 86400, not "
                                            "'%s'", val);
                }
                o->timeout_ms = (int)v * 1000;
            } else if (!strcmp(arg, "--target-page-size")) {
                if (!parse_uint(val, UINT32_MAX, &v) || v == 0) {
                    return diag_usage_error("--target-page-size needs a "
                                            "positive number of bytes, not "
                                            "'%s'", val);
                }
                o->target_page_size = v;
            } else if (!strcmp(arg, "--uuid")) {
                if (!parse_uuid(val, o->uuid)) {
                    return diag_usage_error("--uuid needs 32 hexadecimal "
                                            "digits (dashes allowed), not "
                                            "'%s'", val);
                }
                o->has_uuid = true;
            } else if (!strcmp(arg, "--min-version") ||
                       !strcmp(arg, "--max-version")) {
                if (!parse_uint(val, QMIG_HS_VERSION_MAX, &v) ||
                    v < QMIG_HS_VERSION_MIN) {
                    return diag_usage_error("%s needs a protocol version "
                                            "from %u to %u, not '%s'", arg,
                                            QMIG_HS_VERSION_MIN,
                                            QMIG_HS_VERSION_MAX, val);
                }
                if (arg[2] == 'm' && arg[3] == 'i') {
                    o->min_version = (unsigned)v;
                } else {
                    o->max_version = (unsigned)v;
                }
            } else if (!strcmp(arg, "--test-bad-channel")) {
                if (strcmp(val, "dup") && strcmp(val, "unknown") &&
                    strcmp(val, "session")) {
                    return diag_usage_error("--test-bad-channel: dup, "
                                            "unknown or session, not '%s'",
                                            val);
                }
                o->test_bad_channel = val;
            } else if (!strcmp(arg, "--unsupported")) {
                if (o->n_unsupported == MAX_UNSUPPORTED) {
                    return diag_usage_error("%s", "too many --unsupported "
                                                  "options");
                }
                o->unsupported[o->n_unsupported++] = val;
            } else {
                return diag_usage_error("unknown option '%s'", arg);
            }
        } else if (arg[0] == '-' && arg[1]) {
            return diag_usage_error("unknown option '%s'", arg);
        } else if (!mode) {
            mode = arg;
        } else if (!o->addr) {
            o->addr = arg;
        } else {
            return diag_usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!mode) {
        return diag_usage_error("%s", "missing command: listen or connect");
    }
    if (!strcmp(mode, "listen")) {
        o->listen = true;
    } else if (strcmp(mode, "connect")) {
        return diag_usage_error("unknown command '%s' (listen or connect)",
                                mode);
    }
    if (!o->addr) {
        return diag_usage_error("%s", "missing ADDR (tcp:HOST:PORT or "
                                      "unix:PATH)");
    }
    if (!o->config) {
        return diag_usage_error("%s", "missing --config FILE");
    }
    if (o->ready_file && !o->listen) {
        return diag_usage_error("%s", "--ready-file is for listen only");
    }
    if (o->allow_legacy && !o->listen) {
        return diag_usage_error("%s", "--allow-legacy is for listen only");
    }
    if (o->test_bad_channel && o->listen) {
        return diag_usage_error("%s", "--test-bad-channel is for connect only");
    }
    if (o->min_version && o->max_version && o->min_version > o->max_version) {
        return diag_usage_error("%s", "--min-version is above --max-version");
    }
    return -1;
}

/* "a FIFO", "a directory"...: the kind of a non-regular file. */
static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode)  ? "a FIFO"
         : S_ISDIR(mode)   ? "a directory"
         : S_ISCHR(mode)   ? "a character device"
         : S_ISBLK(mode)   ? "a block device"
         : S_ISSOCK(mode)  ? "a socket"
                           : "an unknown kind of file";
}

/*
 * Read the input file @path of option @opt ("--config"...) whole.  Only
 * a regular file: a FIFO, a terminal or a device can keep a read (or,
 * for a FIFO, the open itself) waiting without bound, so it is opened
 * O_NONBLOCK and refused, with what it is, before anything is read.
 */
static char *read_file(const char *opt, const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        diag_error("can't read %s file '%s': %s", opt, path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            diag_error("can't read %s file '%s': %s", opt, path,
                       strerror(EISDIR));
        } else {
            diag_error("can't read %s file '%s': not a regular file (%s)",
                       opt, path, file_kind(st.st_mode));
        }
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        diag_error("can't read %s file '%s': %s", opt, path, strerror(errno));
        close(fd);
        return NULL;
    }
    char *buf = malloc(MAX_INPUT + 1);
    size_t n = buf ? fread(buf, 1, MAX_INPUT + 1, f) : 0;
    int rerr = ferror(f) ? errno : 0;
    bool bad = !buf || rerr || n > MAX_INPUT;
    fclose(f);
    if (bad) {
        diag_error("can't read %s file '%s': %s", opt, path,
                   !buf             ? "out of memory"
                   : n > MAX_INPUT  ? "larger than 16 MiB"
                   : rerr           ? strerror(rerr)
                                    : "read error");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* --- devices --------------------------------------------------------------- */

typedef struct Devices {
    struct json_object *doc; /* owns the section strings */
    QmigHsDevice *items;
    size_t n;
} Devices;

static struct json_object *member(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (json_object_is_type(obj, json_type_object)) {
        json_object_object_get_ex(obj, key, &v);
    }
    return v;
}

static bool get_u32(struct json_object *obj, const char *key, uint32_t *out)
{
    struct json_object *v = member(obj, key);
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0 ||
        json_object_get_int64(v) > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)json_object_get_int64(v);
    return true;
}

/*
 * Parse the JSON file @path (strict, as libqmig reads JSON) into *out;
 * false with a message "PATH:LINE:COL: error: ..." on stderr.
 */
static bool load_json_file(const char *opt, const char *path,
                           struct json_object **out)
{
    size_t len;
    char *text = read_file(opt, path, &len);
    *out = NULL;
    if (!text) {
        return false;
    }
    /* libqmig's check first, for its messages (never json-c's). */
    QmigError *err = NULL;
    if (!qmig_json_check(text, len, &err)) {
        diag_file_error(path, qmig_error_message(err));
        qmig_error_free(err);
        free(text);
        return false;
    }
    struct json_tokener *tok = json_tokener_new_ex(2048);
    enum json_tokener_error e = json_tokener_error_size;
    if (tok) {
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                        JSON_TOKENER_VALIDATE_UTF8);
        /* The NUL read_file() adds ends a number at the end of the text. */
        *out = json_tokener_parse_ex(tok, text, (int)len + 1);
        e = json_tokener_get_error(tok);
        json_tokener_free(tok);
    }
    free(text);
    if (e != json_tokener_success) {
        json_object_put(*out);
        *out = NULL;
        diag_error("%s: can't parse the JSON text (out of memory?)", path);
        return false;
    }
    return true;
}

static bool load_devices(const char *path, Devices *d)
{
    if (!load_json_file("--devices", path, &d->doc)) {
        return false;
    }
    if (!json_object_is_type(d->doc, json_type_array)) {
        diag_error("%s: expected an array of device "
                   "sections", path);
        return false;
    }
    d->n = json_object_array_length(d->doc);
    d->items = calloc(d->n ? d->n : 1, sizeof(*d->items));
    if (!d->items) {
        return false;
    }
    for (size_t i = 0; i < d->n; i++) {
        struct json_object *e = json_object_array_get_idx(d->doc, i);
        QmigHsDevice *dev = &d->items[i];
        struct json_object *section = member(e, "section");
        dev->section = json_object_is_type(section, json_type_string)
                           ? json_object_get_string(section)
                           : NULL;
        if (!dev->section ||
            !get_u32(e, "instance", &dev->instance) ||
            !get_u32(e, "version", &dev->version)) {
            diag_error("%s: device %zu needs "
                       "\"section\" (string), \"instance\" and "
                       "\"version\" (integers)", path, i);
            return false;
        }
        dev->min_version = dev->version;
        if (json_object_object_get_ex(e, "min-version", NULL) &&
            !get_u32(e, "min-version", &dev->min_version)) {
            diag_error("%s: device %zu: \"min-version\" is not an integer "
                       "from 0 to 4294967295", path, i);
            return false;
        }
    }
    return true;
}

/* --- addresses --------------------------------------------------------------- */

typedef struct Addr {
    bool unix_;
    char host[256];
    char port[16];
    struct sockaddr_un un;
    /* file:PATH or exec:COMMAND (borrowed from argv): one-way. */
    const char *file, *exec;
} Addr;

static bool parse_addr(const char *s, Addr *a)
{
    memset(a, 0, sizeof(*a));
    if (!strncmp(s, "file:", 5)) {
        a->file = s + 5;
        return a->file[0] != '\0';
    }
    if (!strncmp(s, "exec:", 5)) {
        a->exec = s + 5;
        return a->exec[0] != '\0';
    }
    if (!strncmp(s, "unix:", 5)) {
        const char *path = s + 5;
        if (!path[0] || strlen(path) >= sizeof(a->un.sun_path)) {
            return false;
        }
        a->unix_ = true;
        a->un.sun_family = AF_UNIX;
        strcpy(a->un.sun_path, path);
        return true;
    }
    if (!strncmp(s, "tcp:", 4)) {
        const char *hp = s + 4;
        const char *colon = strrchr(hp, ':');
        if (!colon || colon == hp || !colon[1]) {
            return false;
        }
        size_t hl = (size_t)(colon - hp);
        if (hp[0] == '[' && hl > 2 && hp[hl - 1] == ']') {
            hp++;
            hl -= 2;
        }
        unsigned long long port;
        if (hl >= sizeof(a->host) || !parse_uint(colon + 1, 65535, &port)) {
            return false;
        }
        memcpy(a->host, hp, hl);
        snprintf(a->port, sizeof(a->port), "%llu", port);
        return true;
    }
    return false;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One address of a resolved name, as the lookup child sends it. */
typedef struct AddrRecord {
    int32_t family, socktype, protocol;
    uint32_t addrlen;
    struct sockaddr_storage addr;
} AddrRecord;

#define MAX_ADDRS 64

/* A list of addresses allocated here (never by getaddrinfo()): each
 * node and its address in one block. */
static void free_addrs(struct addrinfo *ai)
{
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai);
        ai = next;
    }
}

/* The list of @n records @r; NULL when @n is 0 or out of memory. */
static struct addrinfo *addrs_from_records(const AddrRecord *r, size_t n)
{
    struct addrinfo *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        if (r[i].addrlen > sizeof(r[i].addr)) {
            continue;
        }
        struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(r[i].addr));
        if (!ai) {
            free_addrs(head);
            return NULL;
        }
        ai->ai_family = r[i].family;
        ai->ai_socktype = r[i].socktype;
        ai->ai_protocol = r[i].protocol;
        ai->ai_addrlen = r[i].addrlen;
        ai->ai_addr = (struct sockaddr *)(ai + 1);
        memcpy(ai->ai_addr, &r[i].addr, r[i].addrlen);
        *tail = ai;
        tail = &ai->ai_next;
    }
    return head;
}

/* getaddrinfo()'s list as records; their number. */
static size_t records_from_addrs(const struct addrinfo *res, AddrRecord *r)
{
    size_t n = 0;
    for (const struct addrinfo *ai = res; ai && n < MAX_ADDRS;
         ai = ai->ai_next) {
        if (ai->ai_addrlen <= sizeof(r[n].addr)) {
            memset(&r[n], 0, sizeof(r[n]));
            r[n].family = ai->ai_family;
            r[n].socktype = ai->ai_socktype;
            r[n].protocol = ai->ai_protocol;
            r[n].addrlen = (uint32_t)ai->ai_addrlen;
            memcpy(&r[n].addr, ai->ai_addr, ai->ai_addrlen);
            n++;
        }
    }
    return n;
}

/*
 * Resolve the host and port of tcp: address @a (@flags: AI_PASSIVE or
 * 0) before @deadline (CLOCK_MONOTONIC ms; @timeout_ms for messages).
 * A numeric host needs no lookup (AI_NUMERICHOST).  A name is looked
 * up by getaddrinfo() in a child process, which sends its status and
 * the addresses back through a pipe: the pipe is polled until the
 * deadline, and the child killed after it (getaddrinfo() itself has no
 * timeout, and the resolver's can be far longer than --timeout).
 * Returns a list for free_addrs(), NULL with a message on failure.
 */
static struct addrinfo *resolve(const Addr *a, int flags, int64_t deadline,
                                int timeout_ms)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = flags | AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    static AddrRecord recs[MAX_ADDRS];
    int32_t status[2] = {0, 0}; /* getaddrinfo()'s result, errno */
    int r = getaddrinfo(a->host, a->port, &hints, &res);
    if (r == 0) {
        size_t n = records_from_addrs(res, recs);
        freeaddrinfo(res);
        res = addrs_from_records(recs, n);
        if (!res) {
            diag_error("can't resolve the host name '%s': out of memory",
                       a->host);
        }
        return res;
    }
    if (r != EAI_NONAME) {
        diag_error("can't resolve the host name '%s': %s", a->host,
                   r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
        return NULL;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC)) {
        diag_error("pipe: %s", strerror(errno));
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        diag_error("fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return NULL;
    }
    if (pid == 0) {
        close(p[0]);
        hints.ai_flags = flags;
        r = getaddrinfo(a->host, a->port, &hints, &res);
        status[0] = r;
        status[1] = errno;
        size_t n = r ? 0 : records_from_addrs(res, recs);
        if (!r) {
            freeaddrinfo(res);
        }
        bool ok = write(p[1], status, sizeof(status)) ==
                      (ssize_t)sizeof(status) &&
                  (!n || write(p[1], recs, n * sizeof(recs[0])) ==
                             (ssize_t)(n * sizeof(recs[0])));
        _exit(ok ? 0 : 1);
    }
    close(p[1]);
    /* Read the status and the records until EOF or the deadline. */
    static uint8_t buf[sizeof(status) + sizeof(recs)];
    size_t got = 0;
    bool eof = false, timed_out = false;
    while (!eof && !timed_out) {
        int64_t left = deadline - now_ms();
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int pr = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (pr == 0) {
            timed_out = true;
        } else if (pr > 0) {
            ssize_t k = read(p[0], buf + got, sizeof(buf) - got);
            if (k > 0) {
                got += (size_t)k;
            } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                eof = true;
            }
            eof = eof || got == sizeof(buf);
        } else if (errno != EINTR) {
            eof = true;
        }
    }
    close(p[0]);
    if (timed_out) {
        kill(pid, SIGKILL);
    }
    waitpid(pid, NULL, 0);
    if (timed_out) {
        diag_error("timed out after %d ms resolving the host name '%s'",
                   timeout_ms, a->host);
        return NULL;
    }
    if (got < sizeof(status)) {
        diag_error("can't resolve the host name '%s': the lookup process "
                   "failed", a->host);
        return NULL;
    }
    memcpy(status, buf, sizeof(status));
    if (status[0]) {
        diag_error("can't resolve the host name '%s': %s", a->host,
                   status[0] == EAI_SYSTEM ? strerror(status[1])
                                           : gai_strerror(status[0]));
        return NULL;
    }
    size_t n = (got - sizeof(status)) / sizeof(recs[0]);
    memcpy(recs, buf + sizeof(status), n * sizeof(recs[0]));
    res = addrs_from_records(recs, n);
    if (!res) {
        diag_error("can't resolve the host name '%s': %s", a->host,
                   n ? "out of memory" : "no address");
    }
    return res;
}

/* Connect within @timeout_ms, name resolution included; -1 with a
 * message on failure. */
static int connect_addr(const Addr *a, const char *text, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    struct addrinfo *res = NULL;
    if (!a->unix_) {
        res = resolve(a, 0, deadline, timeout_ms);
        if (!res) {
            return -1;
        }
    }
    int err = 0;
    struct addrinfo *ai = res;
    do {
        int fam = a->unix_ ? AF_UNIX : ai->ai_family;
        int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        const struct sockaddr *sa =
            a->unix_ ? (const struct sockaddr *)&a->un : ai->ai_addr;
        socklen_t len = a->unix_ ? sizeof(a->un) : ai->ai_addrlen;
        if (connect(fd, sa, len) == 0) {
            free_addrs(res);
            return fd;
        }
        err = errno;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int64_t left = deadline - now_ms();
            int r = left > 0 ? poll(&p, 1, (int)left) : 0;
            socklen_t sl = sizeof(err);
            if (r == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 &&
                err == 0) {
                free_addrs(res);
                return fd;
            }
            if (r == 0) {
                err = ETIMEDOUT;
            }
        }
        close(fd);
    } while (ai && (ai = ai->ai_next) != NULL);
    free_addrs(res);
    diag_error("can't connect to %s: %s", text,
               strerror(err));
    return -1;
}

static int listen_addr(const Addr *a, const char *text, int timeout_ms,
                       char *bound, size_t bound_size)
{
    int fd = -1;
    if (a->unix_) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && (bind(fd, (const struct sockaddr *)&a->un,
                             sizeof(a->un)) || listen(fd, 64))) {
            close(fd);
            fd = -1;
        }
        snprintf(bound, bound_size, "unix:%s", a->un.sun_path);
    } else {
        struct addrinfo *res =
            resolve(a, AI_PASSIVE, now_ms() + timeout_ms, timeout_ms);
        if (!res) {
            return -1;
        }
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int one = 1;
            if (fd >= 0 &&
                (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
                 bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64))) {
                close(fd);
                fd = -1;
            }
        }
        free_addrs(res);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char h[NI_MAXHOST], p[NI_MAXSERV];
        if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
            getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            snprintf(bound, bound_size, strchr(h, ':') ? "tcp:[%s]:%s"
                                                       : "tcp:%s:%s", h, p);
        }
    }
    if (fd < 0) {
        diag_error("can't listen on %s: %s", text,
                   strerror(errno));
    }
    return fd;
}

static int accept_within(int lfd, int timeout_ms, const char *what)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        int r = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (r == 0) {
            diag_error("timed out after %d ms waiting "
                       "for %s", timeout_ms, what);
            return -1;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        int fd = r < 0 ? -1 : accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
            diag_error("accept failed: %s",
                       strerror(errno));
            return -1;
        }
    }
}

/* --- the run ------------------------------------------------------------------ */

static void payload_for(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "qmig-handshake test payload of channel %s", name);
}

static void print_reasons(const QmigHs *hs, QmigError *err)
{
    size_t n = hs ? qmig_hs_n_reasons(hs) : 0;
    if (n) {
        diag_error("handshake failed, %zu reason%s:", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            diag_info("  %s", qmig_hs_reason(hs, i));
        }
    } else if (err) {
        diag_error("%s", qmig_error_message(err));
    }
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
}

/* The handshake ended LEGACY: the exit status, 0 when it is allowed
 * (the stream would be loaded as it is). */
static int report_legacy(const Options *o, const char *what)
{
    if (!o->allow_legacy) {
        diag_error("%s", what);
        return 1;
    }
    diag_info("%s", what);
    printf("{\"legacy\": true}\n");
    return 0;
}

/*
 * Append {"name": NAME, KEY: VALUE...} to @channels: @n pairs of a
 * const char * key and an int64_t value follow.
 */
static void append_channel(struct json_object *channels, const char *name,
                           int n, ...)
{
    struct json_object *e = json_object_new_object();
    va_list ap;
    va_start(ap, n);
    json_object_object_add(e, "name", json_object_new_string(name));
    for (int i = 0; i < n; i++) {
        const char *key = va_arg(ap, const char *);
        int64_t value = va_arg(ap, int64_t);
        json_object_object_add(e, key, json_object_new_int64(value));
    }
    va_end(ap);
    if (json_object_array_add(channels, e)) {
        json_object_put(e);
    }
}

static int print_result(const QmigHs *hs, struct json_object *channels)
{
    QmigError *err = NULL;
    char *agreed = qmig_config_to_json(qmig_hs_agreed(hs), true, &err);
    /* json-c keeps uint64 values exact. */
    struct json_object *adoc = agreed ? json_tokener_parse(agreed) : NULL;
    free(agreed);
    if (!adoc) {
        diag_error("can't encode the agreed "
                   "configuration: %s",
                   err ? qmig_error_message(err) : "?");
        qmig_error_free(err);
        json_object_put(channels);
        return 1;
    }
    char session[33], digest[17];
    hex(qmig_hs_session(hs), 16, session);
    snprintf(digest, sizeof(digest), "%016llx",
             (unsigned long long)qmig_hs_digest(hs));
    unsigned sent = qmig_hs_messages_sent(hs);
    unsigned received = qmig_hs_messages_received(hs);
    struct json_object *out = json_object_new_object();
    struct json_object *messages = json_object_new_object();
    json_object_object_add(out, "version",
                           json_object_new_int64(qmig_hs_version(hs)));
    json_object_object_add(out, "session", json_object_new_string(session));
    json_object_object_add(out, "digest", json_object_new_string(digest));
    json_object_object_add(out, "agreed", adoc);
    json_object_object_add(out, "channels", channels);
    json_object_object_add(messages, "sent", json_object_new_int64(sent));
    json_object_object_add(messages, "received",
                           json_object_new_int64(received));
    json_object_object_add(out, "messages", messages);
    json_object_object_add(
        out, "round-trips",
        json_object_new_int64(sent < received ? sent : received));
    const char *text = json_object_to_json_string_ext(
        out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                 JSON_C_TO_STRING_NOSLASHESCAPE);
    /* A write error is reported at exit (diag_close_stdout()). */
    int status = text && printf("%s\n", text) >= 0 ? 0 : 1;
    json_object_put(out);
    return status;
}

/*
 * Read the test payload of stream @name from @io: a 4-byte big-endian
 * length and payload_for(@name).  Its size goes to *plen.
 */
static bool read_payload(const QmigHsIo *io, const char *name,
                         int timeout_ms, uint32_t *plen, QmigError **errp)
{
    uint8_t len[4];
    char payload[PAYLOAD_MAX + 1], expect[128];
    if (!qmig_io_read_full(io, len, 4, timeout_ms, errp)) {
        return false;
    }
    *plen = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 |
            (uint32_t)len[2] << 8 | len[3];
    if (*plen > PAYLOAD_MAX) {
        qmig_error_setg(errp, "payload of %u bytes is too large",
                        (unsigned)*plen);
        return false;
    }
    if (!qmig_io_read_full(io, payload, *plen, timeout_ms, errp)) {
        return false;
    }
    payload[*plen] = '\0';
    payload_for(name, expect, sizeof(expect));
    if (strcmp(payload, expect)) {
        qmig_error_setg(errp, "unexpected payload");
        return false;
    }
    return true;
}

static int run_connect(QmigHs *hs, const Addr *a, const Options *o)
{
    int fd = connect_addr(a, o->addr, o->timeout_ms);
    if (fd < 0) {
        return 1;
    }
    QmigError *err = NULL;
    TlsSimConn mc;
    if (!tls_sim_conn_open(&mc, fd, o->tls_sim, false, 0, o->timeout_ms,
                           &err) ||
        !qmig_hs_run_io(hs, &mc.io, o->timeout_ms, &err)) {
        print_reasons(qmig_hs_state(hs) == QMIG_HS_FAILED ? hs : NULL, err);
        qmig_error_free(err);
        tls_sim_conn_close(&mc);
        close(fd);
        return 1;
    }
    struct json_object *channels = json_object_new_array();
    int status = 0;
    size_t n = qmig_hs_n_channels(hs);
    int *fds = calloc(n ? n : 1, sizeof(int));
    size_t *order = calloc(n ? n : 1, sizeof(size_t));
    TlsSimConn *conns = calloc(n ? n : 1, sizeof(TlsSimConn));
    /* Channels are opened in a random order: the listener must map them
     * by name, whatever order they arrive in. */
    for (size_t i = 0; i < n; i++) {
        fds[i] = -1;
        order[i] = i;
    }
    for (size_t i = n; i > 1; i--) {
        uint32_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
            r = (uint32_t)i * 2654435761u;
        }
        size_t j = r % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; k < n && !status; k++) {
        size_t i = order[k];
        const char *name = qmig_hs_channel(hs, i);
        uint8_t session[16];
        memcpy(session, qmig_hs_session(hs), sizeof(session));
        /* --test-bad-channel: the last channel opened misbehaves ("dup"
         * repeats the first one's name, so it needs two channels). */
        if (o->test_bad_channel && k == n - 1) {
            if (!strcmp(o->test_bad_channel, "dup")) {
                name = qmig_hs_channel(hs, order[0]);
            } else if (!strcmp(o->test_bad_channel, "unknown")) {
                name = "bogus/0";
            } else {
                session[0] ^= 0xff;
            }
            diag_info("test: channel %zu sent as '%s'%s", i, name,
                      session[0] != qmig_hs_session(hs)[0] ?
                      " with a wrong session id" : "");
        }
        fds[i] = connect_addr(a, o->addr, o->timeout_ms);
        char payload[128];
        payload_for(name, payload, sizeof(payload));
        uint8_t len[4] = {0, 0, 0, (uint8_t)strlen(payload)};
        if (fds[i] < 0 ||
            !tls_sim_conn_open(&conns[i], fds[i], o->tls_sim, false,
                               TLS_SIM_CHANNEL_DELAY_MS, o->timeout_ms,
                               &err) ||
            !qmig_channel_send_header_io(&conns[i].io, qmig_hs_version(hs),
                                         session, name,
                                         o->timeout_ms, &err) ||
            !qmig_io_write_full(&conns[i].io, len, 4, o->timeout_ms, &err) ||
            !qmig_io_write_full(&conns[i].io, payload, strlen(payload),
                                o->timeout_ms, &err)) {
            if (err) {
                diag_error("channel %s: %s", name,
                           qmig_error_message(err));
            }
            status = 1;
        }
        qmig_error_free(err);
        err = NULL;
    }
    for (size_t i = 0; i < n && !status; i++) {
        const char *name = qmig_hs_channel(hs, i);
        char ack = 0;
        if (!qmig_io_read_full(&conns[i].io, &ack, 1, o->timeout_ms,
                               &err) ||
            ack != ACK_BYTE) {
            diag_error("channel %s: not acknowledged "
                       "by the destination%s%s", name,
                       err ? ": " : "", err ? qmig_error_message(err) : "");
            status = 1;
        }
        qmig_error_free(err);
        err = NULL;
        append_channel(channels, name, 1, "index", (int64_t)i);
    }
    for (size_t i = 0; i < n; i++) {
        tls_sim_conn_close(&conns[i]);
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(conns);
    free(fds);
    free(order);
    tls_sim_conn_close(&mc);
    close(fd);
    if (status) {
        json_object_put(channels);
        return status;
    }
    return print_result(hs, channels);
}

static int run_listen(QmigHs *hs, const Addr *a, const Options *o)
{
    char bound[512] = "";
    int lfd = listen_addr(a, o->addr, o->timeout_ms, bound, sizeof(bound));
    if (lfd < 0) {
        return 1;
    }
    int status = 1;
    int fd = -1;
    TlsSimConn mc = {0};
    QmigChannelMap *map = NULL;
    struct json_object *channels = json_object_new_array();
    diag_info("listening on %s", bound);
    if (o->ready_file) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", o->ready_file);
        /* O_NONBLOCK: a FIFO there must not keep the open waiting. */
        int rfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK |
                                O_CLOEXEC, 0644);
        FILE *f = rfd >= 0 ? fdopen(rfd, "w") : NULL;
        if (rfd >= 0 && !f) {
            close(rfd);
        }
        if (!f || fprintf(f, "%s\n", bound) < 0 || fclose(f) ||
            rename(tmp, o->ready_file)) {
            diag_error("can't write '%s'",
                       o->ready_file);
            goto out;
        }
    }
    fd = accept_within(lfd, o->timeout_ms, "the main connection");
    if (fd < 0) {
        goto out;
    }
    QmigError *err = NULL;
    if (!tls_sim_conn_open(&mc, fd, o->tls_sim, true, 0, o->timeout_ms,
                           &err) ||
        !qmig_hs_run_io(hs, &mc.io, o->timeout_ms, &err)) {
        print_reasons(qmig_hs_state(hs) == QMIG_HS_FAILED ? hs : NULL, err);
        qmig_error_free(err);
        goto out;
    }
    if (qmig_hs_state(hs) != QMIG_HS_DONE) {
        status = report_legacy(o, "the peer speaks the legacy migration "
                                  "stream");
        goto out;
    }
    map = qmig_channel_map_from_hs(hs, &err);
    if (!map) {
        diag_error("%s", qmig_error_message(err));
        qmig_error_free(err);
        goto out;
    }
    size_t n = qmig_hs_n_channels(hs);
    for (size_t arrival = 0; !qmig_channel_map_complete(map); arrival++) {
        int cfd = accept_within(lfd, o->timeout_ms, "the next channel");
        if (cfd < 0) {
            diag_error("%zu of %zu channels arrived",
                       arrival, n);
            goto out;
        }
        uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
        long idx = -1;
        /* Under --tls-sim, the layer's handshake comes first; then the
         * header is read as ordinary data, never peeked. */
        TlsSimConn cc;
        if (tls_sim_conn_open(&cc, cfd, o->tls_sim, true, 0, o->timeout_ms,
                              &err) &&
            qmig_channel_recv_header_io(&cc.io, hdr, o->timeout_ms, &err)) {
            idx = qmig_channel_map_accept(map, hdr, sizeof(hdr), &err);
        }
        if (idx < 0) {
            diag_error("channel rejected: %s",
                       qmig_error_message(err));
            qmig_error_free(err);
            tls_sim_conn_close(&cc);
            close(cfd);
            goto out;
        }
        const char *name = qmig_hs_channel(hs, (size_t)idx);
        uint32_t plen = 0;
        bool ok = read_payload(&cc.io, name, o->timeout_ms, &plen, &err);
        char ack = ACK_BYTE;
        ok = ok && qmig_io_write_full(&cc.io, &ack, 1, o->timeout_ms, &err);
        tls_sim_conn_close(&cc);
        close(cfd);
        if (!ok) {
            diag_error("channel %s: %s", name,
                       qmig_error_message(err));
            qmig_error_free(err);
            goto out;
        }
        append_channel(channels, name, 3, "index", (int64_t)idx, "arrival",
                       (int64_t)arrival, "payload-bytes", (int64_t)plen);
    }
    status = print_result(hs, channels);
    channels = NULL;
out:
    json_object_put(channels);
    qmig_channel_map_free(map);
    tls_sim_conn_close(&mc);
    if (fd >= 0) {
        close(fd);
    }
    close(lfd);
    if (a->unix_) {
        unlink(a->un.sun_path);
    }
    return status;
}

/* --- unidirectional transports: file: and exec: ------------------------ */

/*
 * The test stream after a one-way header: for the main stream and then
 * every planned channel (regions of the file, in plan order), a 4-byte
 * big-endian length and payload_for(name).
 */
static const char *stream_name(const QmigHs *hs, size_t i)
{
    return i == 0 ? "main" : qmig_hs_channel(hs, i - 1);
}

/* Run `/bin/sh -c COMMAND` with its stdin (@dir 0) or stdout (@dir 1)
 * on a pipe; returns our end (non-blocking) or -1. */
static int spawn_command(const char *command, int dir, pid_t *pid)
{
    int p[2];
    if (pipe(p)) {
        diag_error("pipe: %s", strerror(errno));
        return -1;
    }
    *pid = fork();
    if (*pid < 0) {
        diag_error("fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (*pid == 0) {
        /* Its own process group, so that giving up on it stops what the
         * shell started too. */
        setpgid(0, 0);
        dup2(dir == 0 ? p[0] : p[1], dir == 0 ? STDIN_FILENO : STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    setpgid(*pid, *pid); /* also here: kill(-pid) may come first */
    int mine = dir == 0 ? p[1] : p[0];
    close(dir == 0 ? p[0] : p[1]);
    fcntl(mine, F_SETFL, fcntl(mine, F_GETFL) | O_NONBLOCK);
    return mine;
}

/* Wait for the command within the deadline (killed after it); true when
 * it exited 0. */
static bool reap_command(const char *command, pid_t pid, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (r == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &st, 0);
        diag_error("exec:%s did not finish within %d "
                   "ms and was killed", command, timeout_ms);
        return false;
    }
    if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        diag_error("exec:%s failed (%s %d)", command,
                   r >= 0 && WIFSIGNALED(st) ? "signal" : "exit status",
                   r < 0 ? -1 : WIFSIGNALED(st) ? WTERMSIG(st)
                                                : WEXITSTATUS(st));
        return false;
    }
    return true;
}

static void on_alarm(int sig)
{
    (void)sig; /* only to interrupt open(2) */
}

/*
 * Open the FIFO @path for reading, waiting until @deadline for a writer
 * to open it: a blocking open(2) returns once one has, and an interval
 * timer interrupts it (EINTR, no SA_RESTART) every 20 ms to look at the
 * clock (an interval, not one alarm at the deadline, which could fire
 * just before open(2) blocks).  The fd is made non-blocking.  -1 with
 * a message.
 */
static int open_fifo_reader(const char *path, int64_t deadline,
                            int timeout_ms)
{
    struct sigaction sa = {.sa_handler = on_alarm}, old_sa;
    struct itimerval tick = {{0, 20000}, {0, 20000}}, off = {0};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old_sa);
    setitimer(ITIMER_REAL, &tick, NULL);
    int fd, err;
    for (;;) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        err = errno;
        if (fd >= 0 || err != EINTR || now_ms() >= deadline) {
            break;
        }
    }
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old_sa, NULL);
    if (fd < 0 && err == EINTR) {
        diag_error("timed out after %d ms: no writer opened the FIFO '%s'",
                   timeout_ms, path);
        return -1;
    }
    if (fd < 0) {
        diag_error("can't open '%s': %s", path, strerror(err));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/*
 * open(2) @path for file: within @timeout_ms.  A FIFO's open() blocks
 * until its other end is opened, so every open is O_NONBLOCK: a reader
 * of a FIFO then waits, bounded, for a writer (open_fifo_reader()), so
 * that a missing writer is told from a silent one; a writer gets ENXIO
 * while there is no reader and retries until the deadline.  The fd
 * stays non-blocking: the driver polls before every read and write, and
 * a blocking write() of more than a pipe holds would wait without bound.
 * *@fifo says whether it is one.  -1 with a message.
 */
static int open_within(const char *path, int flags, int timeout_ms,
                       bool *fifo)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd >= 0) {
            struct stat st;
            *fifo = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
            if (*fifo && (flags & O_ACCMODE) == O_RDONLY) {
                /* Without a writer, every read would say "end of
                 * stream" and poll() nothing: wait for one first. */
                close(fd);
                return open_fifo_reader(path, deadline, timeout_ms);
            }
            return fd;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != ENXIO) {
            diag_error("can't %s '%s': %s",
                       (flags & O_ACCMODE) == O_RDONLY ? "open" : "create",
                       path, strerror(errno));
            return -1;
        }
        if (now_ms() >= deadline) {
            diag_error("timed out after %d ms waiting for a reader to open "
                       "the FIFO '%s'", timeout_ms, path);
            return -1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int run_write(QmigHs *hs, const Addr *a, const Options *o)
{
    QmigError *err = NULL;
    if (qmig_hs_state(hs) != QMIG_HS_DONE) {
        /* The writer's own configuration broke a rule: nothing written. */
        print_reasons(hs, NULL);
        return 1;
    }
    pid_t pid = -1;
    bool fifo = false;
    int fd = a->file ? open_within(a->file, O_WRONLY | O_CREAT | O_TRUNC,
                                   o->timeout_ms, &fifo)
                     : spawn_command(a->exec, 0, &pid);
    if (fd < 0) {
        return 1;
    }
    bool ok = qmig_hs_run_fd(hs, fd, o->timeout_ms, &err);
    struct json_object *channels = json_object_new_array();
    for (size_t i = 0; ok && i <= qmig_hs_n_channels(hs); i++) {
        char payload[128];
        payload_for(stream_name(hs, i), payload, sizeof(payload));
        size_t n = strlen(payload);
        uint8_t len[4] = {0, 0, (uint8_t)(n >> 8), (uint8_t)n};
        ok = qmig_fd_write_full(fd, len, 4, o->timeout_ms, &err) &&
             qmig_fd_write_full(fd, payload, n, o->timeout_ms, &err);
        if (ok && i > 0) {
            append_channel(channels, stream_name(hs, i), 2, "index",
                           (int64_t)(i - 1), "payload-bytes", (int64_t)n);
        }
    }
    if (!ok) {
        diag_error("writing %s%s: %s",
                   a->file ? "file:" : "exec:", a->file ? a->file : a->exec,
                   err ? qmig_error_message(err) : "?");
        qmig_error_free(err);
    }
    if (close(fd) && ok) {
        diag_error("closing '%s': %s",
                   a->file ? a->file : a->exec, strerror(errno));
        ok = false;
    }
    if (pid > 0 && !reap_command(a->exec, pid, o->timeout_ms)) {
        ok = false;
    }
    if (!ok) {
        if (a->file && !fifo) {
            unlink(a->file); /* never leave half a stream behind */
        }
        json_object_put(channels);
        return 1;
    }
    return print_result(hs, channels);
}

/*
 * The stream after a one-way header, as a QmigHsIo: first the bytes the
 * engine read past the header (qmig_hs_unconsumed()), then the fd.
 */
typedef struct StreamAfterHeader {
    const QmigHs *hs;
    size_t used;
    QmigHsIo fd_io;
} StreamAfterHeader;

static size_t sah_pending(void *opaque)
{
    StreamAfterHeader *st = opaque;
    size_t have;
    qmig_hs_unconsumed(st->hs, &have);
    return have - st->used;
}

static ssize_t sah_read(void *opaque, void *buf, size_t len)
{
    StreamAfterHeader *st = opaque;
    size_t left = sah_pending(st);
    if (!left) {
        return st->fd_io.read(st->fd_io.opaque, buf, len);
    }
    size_t have, n = left < len ? left : len;
    memcpy(buf, qmig_hs_unconsumed(st->hs, &have) + st->used, n);
    st->used += n;
    return (ssize_t)n;
}

static ssize_t sah_write(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
    errno = EBADF; /* a one-way stream is never written back */
    return -1;
}

static int sah_poll_fd(void *opaque)
{
    StreamAfterHeader *st = opaque;
    return st->fd_io.poll_fd(st->fd_io.opaque);
}

static int run_load(QmigHs *hs, const Addr *a, const Options *o)
{
    QmigError *err = NULL;
    pid_t pid = -1;
    bool fifo = false;
    int fd = a->file ? open_within(a->file, O_RDONLY, o->timeout_ms, &fifo)
                     : spawn_command(a->exec, 1, &pid);
    if (fd < 0) {
        return 1;
    }
    int status = 1;
    struct json_object *channels = json_object_new_array();
    if (!qmig_hs_run_fd(hs, fd, o->timeout_ms, &err)) {
        print_reasons(qmig_hs_state(hs) == QMIG_HS_FAILED ? hs : NULL, err);
        qmig_error_free(err);
        goto out;
    }
    if (qmig_hs_state(hs) != QMIG_HS_DONE) {
        status = report_legacy(o, "the stream is a legacy migration stream "
                                  "(no one-way header)");
        goto out;
    }
    StreamAfterHeader st = {hs, 0, qmig_io_fd(fd)};
    QmigHsIo stream = {.opaque = &st, .read = sah_read, .write = sah_write,
                       .poll_fd = sah_poll_fd, .pending = sah_pending};
    for (size_t i = 0; i <= qmig_hs_n_channels(hs); i++) {
        const char *name = stream_name(hs, i);
        uint32_t plen = 0;
        if (!read_payload(&stream, name, o->timeout_ms, &plen, &err)) {
            diag_error("stream of %s: %s", name,
                       qmig_error_message(err));
            qmig_error_free(err);
            goto out;
        }
        if (i > 0) {
            append_channel(channels, name, 2, "index", (int64_t)(i - 1),
                           "payload-bytes", (int64_t)plen);
        }
    }
    status = 0;
out:
    close(fd);
    if (pid > 0 && status != 0) {
        kill(-pid, SIGTERM); /* its output is of no use any more */
        waitpid(pid, NULL, 0);
    } else if (pid > 0 && !reap_command(a->exec, pid, o->timeout_ms)) {
        status = 1;
    }
    if (status == 0 && qmig_hs_state(hs) == QMIG_HS_DONE) {
        return print_result(hs, channels);
    }
    json_object_put(channels);
    return status;
}

static int run(int argc, char **argv)
{
    Options o = {0};
    int status = parse_options(argc, argv, &o);
    if (status >= 0) {
        return status;
    }
    signal(SIGPIPE, SIG_IGN);
    Addr addr;
    if (!parse_addr(o.addr, &addr)) {
        return diag_usage_error("bad ADDR '%s' (tcp:HOST:PORT, unix:PATH, "
                                "file:PATH or exec:COMMAND)",
                                o.addr);
    }
    bool oneway = addr.file || addr.exec;
    if (oneway && (o.tls_sim || o.ready_file || o.test_bad_channel)) {
        return diag_usage_error("%s", "--tls-sim, --ready-file and "
                                      "--test-bad-channel need a tcp: or unix: "
                                      "ADDR");
    }
    QmigSide side = o.listen ? QMIG_SIDE_DESTINATION : QMIG_SIDE_SOURCE;
    uint16_t unsupported[MAX_UNSUPPORTED];
    for (unsigned i = 0; i < o.n_unsupported; i++) {
        unsigned k = 0;
        while (k < QMIG_MIGRATION_HANDSHAKE_FEATURE_COUNT &&
               strcmp(qmig_migration_handshake_features[k].name,
                      o.unsupported[i])) {
            k++;
        }
        if (k == QMIG_MIGRATION_HANDSHAKE_FEATURE_COUNT) {
            return diag_usage_error("--unsupported: '%s' is not a handshake "
                                    "feature", o.unsupported[i]);
        }
        unsupported[i] = qmig_migration_handshake_features[k].id;
    }

    size_t len = 0;
    char *text = read_file("--config", o.config, &len);
    if (!text) {
        return 2;
    }
    QmigMigrationConfig config;
    qmig_migration_config_init(&config);
    Devices devs = {0};
    QmigHs *hs = NULL;
    QmigError *err = NULL;
    status = 2;
    if (!qmig_config_from_json(&config, text, len, &err)) {
        diag_file_error(o.config, qmig_error_message(err));
        qmig_error_free(err);
        goto out;
    }
    config.header.has_side = true;
    config.header.side = side;
    config.header.target_page_size = o.target_page_size;
    /* The rules that depend on the transport apply to the one in use. */
    QmigTransport transport = addr.file   ? QMIG_TRANSPORT_FILE
                              : addr.exec ? QMIG_TRANSPORT_EXEC
                              : addr.unix_ ? QMIG_TRANSPORT_UNIX
                                           : QMIG_TRANSPORT_TCP;
    if (config.header.has_transport && config.header.transport != transport) {
        diag_error("%s: the configuration's transport "
                   "is '%s', but ADDR '%s' uses '%s'",
                   o.config, qmig_transport_name(config.header.transport),
                   o.addr, qmig_transport_name(transport));
        goto out;
    }
    config.header.has_transport = true;
    config.header.transport = transport;
    if (o.devices && !load_devices(o.devices, &devs)) {
        goto out;
    }
    QmigHsOptions hopts = {
        .side = side,
        .machine = o.machine,
        .target_page_size = o.target_page_size,
        .host_page_size = (uint64_t)sysconf(_SC_PAGESIZE),
        .devices = devs.items,
        .n_devices = devs.n,
        .unsupported = unsupported,
        .n_unsupported = o.n_unsupported,
        .min_version = o.min_version,
        .max_version = o.max_version,
        .has_uuid = o.has_uuid,
        .allow_legacy = o.allow_legacy,
        .oneway = oneway,
        .plan = (unsigned (*)(const void *, QmigChannelRef *, unsigned))
            qmig_migration_channel_plan,
    };
    if (side == QMIG_SIDE_SOURCE &&
        getrandom(hopts.session, sizeof(hopts.session), 0) !=
            (ssize_t)sizeof(hopts.session)) {
        diag_error("no random session id: %s",
                   strerror(errno));
        goto out;
    }
    memcpy(hopts.uuid, o.uuid, sizeof(hopts.uuid));
    hs = qmig_hs_new(&hopts, &config, &err);
    if (!hs) {
        diag_error("%s", qmig_error_message(err));
        qmig_error_free(err);
        goto out;
    }
    if (oneway) {
        status = o.listen ? run_load(hs, &addr, &o) : run_write(hs, &addr, &o);
    } else {
        status = o.listen ? run_listen(hs, &addr, &o)
                          : run_connect(hs, &addr, &o);
    }
out:
    qmig_hs_free(hs);
    json_object_put(devs.doc);
    free(devs.items);
    qmig_config_clear(&config);
    free(text);
    return status;
}

/* Output is buffered whole, so that a write error is seen, with its
 * cause, when it is flushed at exit. */
static char stdout_buffer[1 << 20];

int main(int argc, char **argv)
{
    setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
    diag_set_program("qmig-handshake");
    return diag_close_stdout(run(argc, argv));
}
