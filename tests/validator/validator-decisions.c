/*
 * validator-decisions: the generated migration validator decides like QEMU.
 *
 * The expectations here come from a hand-written oracle of QEMU's checks
 * (docs: /work/shared/reference/migration-facts.md, sections 1, 2, 3.5, 6
 * and 8, section 8 winning; reference version qemu/qemu ece408818d27).
 * The oracle deliberately does NOT look at the metadata (schema/features) or at
 * the generated rule table: it knows the capabilities by name, the QEMU
 * parameter defaults and ranges, and QEMU's verbatim error texts.
 *
 * What QEMU would say about a configuration is modelled as the SET of
 * error messages of every check that fails (QEMU reports only the first,
 * qmig reports all), under these assumptions:
 *   - the host supports everything (Linux, KVM dirty ring, userfaultfd
 *     write-protect, CONFIG_REPLICATION, direct-io, postcopy), and the
 *     guest memory suits background-snapshot;
 *   - no side is set, so the rules of both sides apply;
 *   - timing rules (set before incoming starts, no changes while
 *     migrating, resume-only rules, savevm-only rules), rules of the
 *     `channels` argument (R33, cpr channel type) and rules that are
 *     CI/PROPOSED or belong to removed capabilities are not part of a
 *     configuration's validity at the reference version.
 *
 * Checks:
 *   1. every one of the 2^21 capability sets, default parameters, with
 *      no transport and with each of the 7 transports (8 * 2^21 runs);
 *   2. every bounded parameter at min-1, min, max, max+1 (inside the
 *      QAPI type), the max-cpu-throttle >= cpu-throttle-initial bound and
 *      the power-of-two/page-size rule of xbzrle-cache-size;
 *   3. cross-parameter rules: a sweep over the capabilities involved x
 *      transports x mode x multifd-compression x tls-creds x direct-io x
 *      cpr-exec-command, plus hand-picked cases.
 *
 * On mismatch: prints the first 20 (capabilities, transport, parameters,
 * expected and actual message sets) and the total; exit status 1.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"

/* ------------------------------------------------------------------------
 * The oracle's own view of QEMU: capabilities by name (§1).
 * ------------------------------------------------------------------------ */

enum {
    OC_XBZRLE,
    OC_RDMA_PIN_ALL,
    OC_AUTO_CONVERGE,
    OC_EVENTS,
    OC_POSTCOPY_RAM,
    OC_X_COLO,
    OC_RELEASE_RAM,
    OC_RETURN_PATH,
    OC_PAUSE_BEFORE_SWITCHOVER,
    OC_MULTIFD,
    OC_DIRTY_BITMAPS,
    OC_POSTCOPY_BLOCKTIME,
    OC_LATE_BLOCK_ACTIVATE,
    OC_X_IGNORE_SHARED,
    OC_VALIDATE_UUID,
    OC_BACKGROUND_SNAPSHOT,
    OC_ZERO_COPY_SEND,
    OC_POSTCOPY_PREEMPT,
    OC_SWITCHOVER_ACK,
    OC_DIRTY_LIMIT,
    OC_MAPPED_RAM,
    OC__N
};

static const char *const ocap_name[OC__N] = {
    [OC_XBZRLE] = "xbzrle",
    [OC_RDMA_PIN_ALL] = "rdma-pin-all",
    [OC_AUTO_CONVERGE] = "auto-converge",
    [OC_EVENTS] = "events",
    [OC_POSTCOPY_RAM] = "postcopy-ram",
    [OC_X_COLO] = "x-colo",
    [OC_RELEASE_RAM] = "release-ram",
    [OC_RETURN_PATH] = "return-path",
    [OC_PAUSE_BEFORE_SWITCHOVER] = "pause-before-switchover",
    [OC_MULTIFD] = "multifd",
    [OC_DIRTY_BITMAPS] = "dirty-bitmaps",
    [OC_POSTCOPY_BLOCKTIME] = "postcopy-blocktime",
    [OC_LATE_BLOCK_ACTIVATE] = "late-block-activate",
    [OC_X_IGNORE_SHARED] = "x-ignore-shared",
    [OC_VALIDATE_UUID] = "validate-uuid",
    [OC_BACKGROUND_SNAPSHOT] = "background-snapshot",
    [OC_ZERO_COPY_SEND] = "zero-copy-send",
    [OC_POSTCOPY_PREEMPT] = "postcopy-preempt",
    [OC_SWITCHOVER_ACK] = "switchover-ack",
    [OC_DIRTY_LIMIT] = "dirty-limit",
    [OC_MAPPED_RAM] = "mapped-ram",
};

/* R9: the capabilities background-snapshot is not compatible with. */
static const int bg_snapshot_conflicts[] = {
    OC_POSTCOPY_RAM, OC_DIRTY_BITMAPS, OC_POSTCOPY_BLOCKTIME,
    OC_LATE_BLOCK_ACTIVATE, OC_RETURN_PATH, OC_MULTIFD,
    OC_PAUSE_BEFORE_SWITCHOVER, OC_AUTO_CONVERGE, OC_RELEASE_RAM,
    OC_RDMA_PIN_ALL, OC_XBZRLE, OC_X_COLO, OC_VALIDATE_UUID,
    OC_ZERO_COPY_SEND,
};
#define N_BG_CONFLICTS (sizeof(bg_snapshot_conflicts) / sizeof(bg_snapshot_conflicts[0]))

/* ------------------------------------------------------------------------
 * QEMU's messages (verbatim, reference version).
 * ------------------------------------------------------------------------ */

enum {
    /* migrate_caps_check */
    M_PREEMPT_REQUIRES_POSTCOPY,
    M_SWITCHOVER_ACK_REQUIRES_RP,
    M_ZERO_COPY,
    M_MULTIFD_XBZRLE,
    M_MAPPED_RAM_XBZRLE,
    M_MAPPED_RAM_POSTCOPY,
    M_POSTCOPY_IGNORE_SHARED,
    M_DIRTY_LIMIT_AUTO_CONVERGE,
    M_BG_FIRST, /* + index into bg_snapshot_conflicts */
    M_BG_LAST = M_BG_FIRST + N_BG_CONFLICTS - 1,
    /* migrate_rdma_caps_check */
    M_RDMA_XBZRLE,
    M_RDMA_MULTIFD,
    M_RDMA_POSTCOPY,
    /* migration_channels_and_transport_compatible */
    M_SEEKABLE,
    M_MULTI_CHANNEL,
    M_EXTRA_FDS,
    M_STREAMABLE,
    M_CPR_CHANNEL,
    /* migrate_prepare */
    M_MAPPED_RAM_TLS,
    M_MAPPED_RAM_COMPRESSION,
    /* migrate_params_check */
    M_MAPPED_RAM_PARAMS,
    M_THROTTLE_TRIGGER_THRESHOLD,
    M_CPU_THROTTLE_INITIAL,
    M_CPU_THROTTLE_INCREMENT,
    M_MAX_BANDWIDTH,
    M_AVAIL_SWITCHOVER_BANDWIDTH,
    M_DOWNTIME_LIMIT,
    M_MULTIFD_CHANNELS,
    M_MULTIFD_ZLIB_LEVEL,
    M_MULTIFD_QATZIP_LEVEL,
    M_MULTIFD_ZSTD_LEVEL,
    M_XBZRLE_CACHE_SIZE,
    M_MAX_CPU_THROTTLE,
    M_ANNOUNCE_INITIAL,
    M_ANNOUNCE_MAX,
    M_ANNOUNCE_ROUNDS,
    M_ANNOUNCE_STEP,
    M_X_VCPU_DIRTY_LIMIT_PERIOD,
    M_VCPU_DIRTY_LIMIT,
    /* CPR (migrate_prepare / qmp_migrate) */
    M_CPR_POSTCOPY,
    M_CPR_BG_SNAPSHOT,
    M_CPR_COLO,
    M_CPR_EXEC_COMMAND,
    M__N
};

static const char *msg_text[M__N] = {
    [M_PREEMPT_REQUIRES_POSTCOPY] = "Postcopy preempt requires postcopy-ram",
    [M_SWITCHOVER_ACK_REQUIRES_RP] =
        "Capability 'switchover-ack' requires capability 'return-path'",
    [M_ZERO_COPY] =
        "Zero copy only available for non-compressed non-TLS multifd migration",
    [M_MULTIFD_XBZRLE] = "Multifd is not compatible with xbzrle",
    [M_MAPPED_RAM_XBZRLE] = "Mapped-ram migration is incompatible with xbzrle",
    [M_MAPPED_RAM_POSTCOPY] = "Mapped-ram migration is incompatible with postcopy",
    [M_POSTCOPY_IGNORE_SHARED] = "Postcopy is not compatible with ignore-shared",
    [M_DIRTY_LIMIT_AUTO_CONVERGE] =
        "dirty-limit conflicts with auto-converge either of then available currently",
    /* M_BG_FIRST..M_BG_LAST: filled in by msg_init() */
    [M_RDMA_XBZRLE] = "RDMA and XBZRLE can't be used together",
    [M_RDMA_MULTIFD] = "RDMA and multifd can't be used together",
    [M_RDMA_POSTCOPY] = "RDMA and postcopy-ram can't be used together",
    [M_SEEKABLE] = "Migration requires seekable transport (e.g. file)",
    [M_MULTI_CHANNEL] = "Migration requires multi-channel URIs (e.g. tcp)",
    [M_EXTRA_FDS] =
        "Migration requires a transport that allows for extra fds (e.g. file)",
    [M_STREAMABLE] = "Migration requires streamable transport (eg unix)",
    [M_CPR_CHANNEL] = "missing 'cpr' migration channel",
    [M_MAPPED_RAM_TLS] = "Cannot use TLS with mapped-ram",
    [M_MAPPED_RAM_COMPRESSION] = "Cannot use compression with mapped-ram",
    [M_MAPPED_RAM_PARAMS] =
        "Mapped-ram only available for non-compressed non-TLS multifd migration",
    [M_THROTTLE_TRIGGER_THRESHOLD] =
        "Option throttle_trigger_threshold expects an integer in the range of 1 to 100",
    [M_CPU_THROTTLE_INITIAL] =
        "Option cpu_throttle_initial expects an integer in the range of 1 to 99",
    [M_CPU_THROTTLE_INCREMENT] =
        "Option cpu_throttle_increment expects an integer in the range of 1 to 99",
    /* Unreachable on a 64-bit host (the bound is SIZE_MAX); never expected. */
    [M_MAX_BANDWIDTH] = "(max_bandwidth range: unreachable with 64-bit size_t)",
    [M_AVAIL_SWITCHOVER_BANDWIDTH] =
        "(avail_switchover_bandwidth range: unreachable with 64-bit size_t)",
    /*
     * QEMU builds this text with stringify(MAX_MIGRATE_DOWNTIME), and
     * MAX_MIGRATE_DOWNTIME is (MAX_MIGRATE_DOWNTIME_SECONDS * 1000): the
     * text shows the expression (facts §2, downtime-limit row).
     */
    [M_DOWNTIME_LIMIT] =
        "Option downtime_limit expects an integer in the range of 0 to (2000 * 1000) ms",
    [M_MULTIFD_CHANNELS] = "Option multifd_channels expects a value between 1 and 255",
    [M_MULTIFD_ZLIB_LEVEL] = "Option multifd_zlib_level expects a value between 0 and 9",
    [M_MULTIFD_QATZIP_LEVEL] =
        "Option multifd_qatzip_level expects a value between 1 and 9",
    [M_MULTIFD_ZSTD_LEVEL] = "Option multifd_zstd_level expects a value between 0 and 20",
    [M_XBZRLE_CACHE_SIZE] =
        "Option xbzrle_cache_size expects a power of two no less than the target page size",
    [M_MAX_CPU_THROTTLE] =
        "max_Option cpu_throttle expects an integer in the range of cpu_throttle_initial to 99",
    [M_ANNOUNCE_INITIAL] = "Option announce_initial expects a value between 0 and 100000",
    [M_ANNOUNCE_MAX] = "Option announce_max expects a value between 0 and 100000",
    [M_ANNOUNCE_ROUNDS] = "Option announce_rounds expects a value between 0 and 1000",
    [M_ANNOUNCE_STEP] = "Option announce_step expects a value between 0 and 10000",
    [M_X_VCPU_DIRTY_LIMIT_PERIOD] =
        "Option x-vcpu-dirty-limit-period expects a value between 1 and 1000",
    [M_VCPU_DIRTY_LIMIT] = "Parameter 'vcpu_dirty_limit' must be greater than 1 MB/s",
    [M_CPR_POSTCOPY] = "Cannot use postcopy with CPR",
    [M_CPR_BG_SNAPSHOT] = "Cannot use background snapshot with CPR",
    [M_CPR_COLO] = "Cannot use COLO with CPR",
    [M_CPR_EXEC_COMMAND] = "cpr-exec mode requires setting cpr-exec-command",
};

static char bg_msg_buf[N_BG_CONFLICTS][96];

static void msg_init(void)
{
    for (size_t i = 0; i < N_BG_CONFLICTS; i++) {
        snprintf(bg_msg_buf[i], sizeof(bg_msg_buf[i]),
                 "Background-snapshot is not compatible with %s",
                 ocap_name[bg_snapshot_conflicts[i]]);
        msg_text[M_BG_FIRST + i] = bg_msg_buf[i];
    }
}

/* A set of messages of the table above. */
typedef struct MsgSet {
    uint64_t w[(M__N + 63) / 64];
} MsgSet;

static inline void ms_add(MsgSet *s, int m)
{
    s->w[m / 64] |= UINT64_C(1) << (m % 64);
}

static inline bool ms_has(const MsgSet *s, int m)
{
    return s->w[m / 64] >> (m % 64) & 1;
}

static inline bool ms_equal(const MsgSet *a, const MsgSet *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static inline bool ms_empty(const MsgSet *s)
{
    for (size_t i = 0; i < sizeof(s->w) / sizeof(s->w[0]); i++) {
        if (s->w[i]) {
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------
 * The oracle's configuration: QEMU's parameters with QEMU's defaults (§2).
 * ------------------------------------------------------------------------ */

#define NO_TRANSPORT (-1)

typedef struct OConfig {
    uint32_t caps; /* bit per OC_* */
    int transport; /* QmigTransport, or NO_TRANSPORT */
    uint64_t target_page_size;
    uint64_t announce_initial, announce_max, announce_rounds, announce_step;
    uint64_t throttle_trigger_threshold, cpu_throttle_initial;
    uint64_t cpu_throttle_increment, max_cpu_throttle;
    uint64_t max_bandwidth, avail_switchover_bandwidth, downtime_limit;
    uint64_t x_checkpoint_delay, max_postcopy_bandwidth;
    uint64_t multifd_channels, multifd_zlib_level, multifd_qatzip_level;
    uint64_t multifd_zstd_level, xbzrle_cache_size;
    uint64_t x_vcpu_dirty_limit_period, vcpu_dirty_limit;
    const char *multifd_compression;
    const char *mode;
    const char *tls_creds;
    bool direct_io;
    bool cpr_exec_command; /* set to a non-empty argv */
} OConfig;

static void oconfig_defaults(OConfig *c)
{
    *c = (OConfig){
        .caps = 0,
        .transport = NO_TRANSPORT,
        .target_page_size = 4096,
        .announce_initial = 50,
        .announce_max = 550,
        .announce_rounds = 5,
        .announce_step = 100,
        .throttle_trigger_threshold = 50,
        .cpu_throttle_initial = 20,
        .cpu_throttle_increment = 10,
        .max_cpu_throttle = 99,
        .max_bandwidth = 134217728,
        .avail_switchover_bandwidth = 0,
        .downtime_limit = 300,
        .x_checkpoint_delay = 20000,
        .max_postcopy_bandwidth = 0,
        .multifd_channels = 2,
        .multifd_zlib_level = 1,
        .multifd_qatzip_level = 1,
        .multifd_zstd_level = 1,
        .xbzrle_cache_size = 67108864,
        .x_vcpu_dirty_limit_period = 1000,
        .vcpu_dirty_limit = 1,
        .multifd_compression = "none",
        .mode = "normal",
        .tls_creds = "",
        .direct_io = false,
        .cpr_exec_command = false,
    };
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* Every QEMU check that fails for @c, as messages. */
static void oracle(const OConfig *c, MsgSet *out)
{
#define HAS(cap) ((c->caps >> (cap)) & 1u)
    const bool compress = strcmp(c->multifd_compression, "none") != 0;
    const bool tls = c->tls_creds[0] != '\0';
    const bool cpr = strcmp(c->mode, "normal") != 0;
    const int t = c->transport;

    memset(out, 0, sizeof(*out));

    /* migrate_caps_check (R1-R10; host checks hold) */
    if (HAS(OC_POSTCOPY_PREEMPT) && !HAS(OC_POSTCOPY_RAM)) {
        ms_add(out, M_PREEMPT_REQUIRES_POSTCOPY);
    }
    if (HAS(OC_SWITCHOVER_ACK) && !HAS(OC_RETURN_PATH)) {
        ms_add(out, M_SWITCHOVER_ACK_REQUIRES_RP);
    }
    /* R3: caps check (multifd, xbzrle, compression, TLS) and params check */
    if (HAS(OC_ZERO_COPY_SEND) &&
        (!HAS(OC_MULTIFD) || HAS(OC_XBZRLE) || compress || tls)) {
        ms_add(out, M_ZERO_COPY);
    }
    if (HAS(OC_MULTIFD) && HAS(OC_XBZRLE)) {
        ms_add(out, M_MULTIFD_XBZRLE);
    }
    if (HAS(OC_MAPPED_RAM) && HAS(OC_XBZRLE)) {
        ms_add(out, M_MAPPED_RAM_XBZRLE);
    }
    if (HAS(OC_MAPPED_RAM) && HAS(OC_POSTCOPY_RAM)) {
        ms_add(out, M_MAPPED_RAM_POSTCOPY); /* MAINLINE; no fast snapshot load */
    }
    if (HAS(OC_POSTCOPY_RAM) && HAS(OC_X_IGNORE_SHARED)) {
        ms_add(out, M_POSTCOPY_IGNORE_SHARED);
    }
    if (HAS(OC_DIRTY_LIMIT) && HAS(OC_AUTO_CONVERGE)) {
        ms_add(out, M_DIRTY_LIMIT_AUTO_CONVERGE);
    }
    if (HAS(OC_BACKGROUND_SNAPSHOT)) {
        for (size_t i = 0; i < N_BG_CONFLICTS; i++) {
            if (HAS(bg_snapshot_conflicts[i])) {
                ms_add(out, M_BG_FIRST + (int)i);
            }
        }
    }
    /* R10: x-colo needs only CONFIG_REPLICATION (present); the
     * return-path requirement is CI/PROPOSED. */

    if (t != NO_TRANSPORT) {
        /* R13: migrate_rdma_caps_check */
        if (t == QMIG_TRANSPORT_RDMA) {
            if (HAS(OC_XBZRLE)) {
                ms_add(out, M_RDMA_XBZRLE);
            }
            if (HAS(OC_MULTIFD)) {
                ms_add(out, M_RDMA_MULTIFD);
            }
            if (HAS(OC_POSTCOPY_RAM)) {
                ms_add(out, M_RDMA_POSTCOPY);
            }
        }
        /* R20-R23: migration_channels_and_transport_compatible */
        if (HAS(OC_MAPPED_RAM) && t != QMIG_TRANSPORT_FILE) {
            ms_add(out, M_SEEKABLE);
        }
        if (HAS(OC_MULTIFD) || HAS(OC_POSTCOPY_PREEMPT)) {
            bool multi = t == QMIG_TRANSPORT_TCP || t == QMIG_TRANSPORT_UNIX ||
                         t == QMIG_TRANSPORT_VSOCK ||
                         (t == QMIG_TRANSPORT_FILE && HAS(OC_MAPPED_RAM));
            if (!multi) {
                ms_add(out, M_MULTI_CHANNEL);
            }
        }
        /* direct-io is effective only with mapped-ram and multifd (§8) */
        if (HAS(OC_MULTIFD) && c->direct_io && HAS(OC_MAPPED_RAM) &&
            t != QMIG_TRANSPORT_FILE) {
            ms_add(out, M_EXTRA_FDS);
        }
        if (strcmp(c->mode, "cpr-transfer") == 0 && t == QMIG_TRANSPORT_FILE) {
            ms_add(out, M_STREAMABLE);
        }
        /*
         * cpr-transfer saves CPR state to a cpr channel, which only
         * migrate's 'channels' can name; these configurations give none.
         */
        if (strcmp(c->mode, "cpr-transfer") == 0) {
            ms_add(out, M_CPR_CHANNEL);
        }
    }

    /* R24: migrate_prepare */
    if (HAS(OC_MAPPED_RAM) && tls) {
        ms_add(out, M_MAPPED_RAM_TLS);
    }
    if (HAS(OC_MAPPED_RAM) && compress) {
        ms_add(out, M_MAPPED_RAM_COMPRESSION);
    }

    /* R27-R29: migrate_params_check, in QEMU's order */
    if (c->throttle_trigger_threshold < 1 || c->throttle_trigger_threshold > 100) {
        ms_add(out, M_THROTTLE_TRIGGER_THRESHOLD);
    }
    if (c->cpu_throttle_initial < 1 || c->cpu_throttle_initial > 99) {
        ms_add(out, M_CPU_THROTTLE_INITIAL);
    }
    if (c->cpu_throttle_increment < 1 || c->cpu_throttle_increment > 99) {
        ms_add(out, M_CPU_THROTTLE_INCREMENT);
    }
    if ((uintmax_t)c->max_bandwidth > (uintmax_t)SIZE_MAX) {
        ms_add(out, M_MAX_BANDWIDTH);
    }
    if ((uintmax_t)c->avail_switchover_bandwidth > (uintmax_t)SIZE_MAX) {
        ms_add(out, M_AVAIL_SWITCHOVER_BANDWIDTH);
    }
    if (c->downtime_limit > 2000 * 1000) {
        ms_add(out, M_DOWNTIME_LIMIT);
    }
    if (c->multifd_channels < 1) {
        ms_add(out, M_MULTIFD_CHANNELS);
    }
    if (c->multifd_zlib_level > 9) {
        ms_add(out, M_MULTIFD_ZLIB_LEVEL);
    }
    if (c->multifd_qatzip_level < 1 || c->multifd_qatzip_level > 9) {
        ms_add(out, M_MULTIFD_QATZIP_LEVEL);
    }
    if (c->multifd_zstd_level > 20) {
        ms_add(out, M_MULTIFD_ZSTD_LEVEL);
    }
    if (c->xbzrle_cache_size < c->target_page_size || !is_pow2(c->xbzrle_cache_size)) {
        ms_add(out, M_XBZRLE_CACHE_SIZE);
    }
    if (c->max_cpu_throttle < c->cpu_throttle_initial || c->max_cpu_throttle > 99) {
        ms_add(out, M_MAX_CPU_THROTTLE);
    }
    if (c->announce_initial > 100000) {
        ms_add(out, M_ANNOUNCE_INITIAL);
    }
    if (c->announce_max > 100000) {
        ms_add(out, M_ANNOUNCE_MAX);
    }
    if (c->announce_rounds > 1000) {
        ms_add(out, M_ANNOUNCE_ROUNDS);
    }
    if (c->announce_step < 1 || c->announce_step > 10000) {
        ms_add(out, M_ANNOUNCE_STEP);
    }
    /*
     * zero-copy cross check: same text, already covered above.  The
     * mapped-ram check here (M_MAPPED_RAM_PARAMS) compares the
     * parameters in force before the request, so applied to a fresh
     * QEMU it never fires: not part of the oracle.
     */
    if (c->x_vcpu_dirty_limit_period < 1 || c->x_vcpu_dirty_limit_period > 1000) {
        ms_add(out, M_X_VCPU_DIRTY_LIMIT_PERIOD);
    }
    if (c->vcpu_dirty_limit < 1) {
        ms_add(out, M_VCPU_DIRTY_LIMIT);
    }
    /* direct-io: build support present */

    /* R30-R34: CPR */
    if (cpr) {
        if (HAS(OC_POSTCOPY_RAM) || HAS(OC_DIRTY_BITMAPS)) {
            ms_add(out, M_CPR_POSTCOPY);
        }
        if (HAS(OC_BACKGROUND_SNAPSHOT)) {
            ms_add(out, M_CPR_BG_SNAPSHOT);
        }
        if (HAS(OC_X_COLO)) {
            ms_add(out, M_CPR_COLO);
        }
        if (strcmp(c->mode, "cpr-exec") == 0 && !c->cpr_exec_command) {
            ms_add(out, M_CPR_EXEC_COMMAND);
        }
    }
#undef HAS
}

/* ------------------------------------------------------------------------
 * The generated validator, driven by name.
 * ------------------------------------------------------------------------ */

static const QmigSchemaDesc *schema = &qmig_migration_schema;
static int gen_cap[OC__N];   /* generated capability index, by name */
static int *rule_msg;        /* schema rule index -> M_*, or -1 */

static unsigned long n_checked;
static unsigned long n_mismatch;
static unsigned long n_setup_errors;
#define MAX_PRINTED 20

static void setup_error(const char *fmt, ...)
{
    va_list ap;
    n_setup_errors++;
    fprintf(stderr, "SETUP ERROR: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static bool map_names(void)
{
    bool ok = true;

    msg_init();
    for (int i = 0; i < OC__N; i++) {
        gen_cap[i] = qmig_schema_find_cap(schema, ocap_name[i]);
        if (gen_cap[i] < 0) {
            setup_error("capability '%s' is not in the generated schema", ocap_name[i]);
            ok = false;
        }
    }
    if (schema->n_caps != OC__N) {
        setup_error("generated schema has %u capabilities, QEMU has %d",
                    schema->n_caps, OC__N);
        ok = false;
    }
    rule_msg = calloc(schema->n_rules ? schema->n_rules : 1, sizeof(*rule_msg));
    if (!rule_msg) {
        setup_error("out of memory");
        return false;
    }
    for (unsigned r = 0; r < schema->n_rules; r++) {
        rule_msg[r] = -1;
        for (int m = 0; m < M__N; m++) {
            if (schema->rules[r].message &&
                strcmp(schema->rules[r].message, msg_text[m]) == 0) {
                rule_msg[r] = m;
                break;
            }
        }
    }
    return ok;
}

static void set_caps(QmigMigrationConfig *cfg, uint32_t caps)
{
    qmig_capset_clear(&cfg->header.caps);
    for (int i = 0; i < OC__N; i++) {
        if (caps >> i & 1u) {
            qmig_capset_add(&cfg->header.caps, (unsigned)gen_cap[i]);
        }
    }
}

static void set_transport(QmigMigrationConfig *cfg, int transport)
{
    cfg->header.has_transport = transport != NO_TRANSPORT;
    cfg->header.transport = transport != NO_TRANSPORT ? (QmigTransport)transport
                                                      : QMIG_TRANSPORT_TCP;
}

static int param_index(const char *name)
{
    int p = qmig_schema_find_param(schema, name);
    if (p < 0) {
        setup_error("parameter '%s' is not in the generated schema", name);
    }
    return p;
}

static bool check_err(bool ok, QmigError *err, const char *name, const char *what)
{
    if (!ok) {
        setup_error("cannot set %s to %s: %s", name, what,
                    err ? qmig_error_message(err) : "(no error)");
        qmig_error_free(err);
    }
    return ok;
}

static bool gen_set_uint(QmigMigrationConfig *cfg, const char *name, uint64_t v)
{
    int p = param_index(name);
    QmigError *err = NULL;
    char what[32];
    if (p < 0) {
        return false;
    }
    snprintf(what, sizeof(what), "%" PRIu64, v);
    switch (schema->params[p].type) {
    case QMIG_VALUE_UINT:
        return check_err(qmig_config_set_uint(cfg, (unsigned)p, v, &err), err, name, what);
    case QMIG_VALUE_INT:
        if (v > (uint64_t)INT64_MAX) {
            setup_error("%s is a signed parameter; %s does not fit", name, what);
            return false;
        }
        return check_err(qmig_config_set_int(cfg, (unsigned)p, (int64_t)v, &err), err,
                         name, what);
    default:
        setup_error("parameter '%s' is not an integer", name);
        return false;
    }
}

static bool gen_set_str(QmigMigrationConfig *cfg, const char *name, const char *v)
{
    int p = param_index(name);
    QmigError *err = NULL;
    if (p < 0) {
        return false;
    }
    if (schema->params[p].type == QMIG_VALUE_ENUM) {
        return check_err(qmig_config_set_enum(cfg, (unsigned)p, v, &err), err, name, v);
    }
    return check_err(qmig_config_set_str(cfg, (unsigned)p, v, &err), err, name, v);
}

static bool gen_set_bool(QmigMigrationConfig *cfg, const char *name, bool v)
{
    int p = param_index(name);
    QmigError *err = NULL;
    if (p < 0) {
        return false;
    }
    return check_err(qmig_config_set_bool(cfg, (unsigned)p, v, &err), err, name,
                     v ? "true" : "false");
}

static bool gen_set_cpr_exec_command(QmigMigrationConfig *cfg)
{
    static const char doc[] =
        "{\"parameters\": {\"cpr-exec-command\": [\"/usr/bin/qemu-system-x86_64\", \"-incoming\", \"defer\"]}}";
    QmigError *err = NULL;
    return check_err(qmig_config_from_json(cfg, doc, strlen(doc), &err), err,
                     "cpr-exec-command", "a non-empty list");
}

/*
 * A parameter override, applied the same way to the oracle's
 * configuration and to the generated one.
 */
typedef enum { OV_UINT, OV_STR, OV_BOOL, OV_LIST } OvKind;

typedef struct Override {
    const char *name;
    OvKind kind;
    uint64_t u;
    const char *s;
    bool b;
} Override;

#define OVU(n, v) ((Override){ .name = (n), .kind = OV_UINT, .u = (v) })
#define OVS(n, v) ((Override){ .name = (n), .kind = OV_STR, .s = (v) })
#define OVB(n, v) ((Override){ .name = (n), .kind = OV_BOOL, .b = (v) })
#define OVL(n) ((Override){ .name = (n), .kind = OV_LIST })

static uint64_t *ouint_field(OConfig *c, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
#define F(n, f) { n, offsetof(OConfig, f) }
        F("announce-initial", announce_initial),
        F("announce-max", announce_max),
        F("announce-rounds", announce_rounds),
        F("announce-step", announce_step),
        F("throttle-trigger-threshold", throttle_trigger_threshold),
        F("cpu-throttle-initial", cpu_throttle_initial),
        F("cpu-throttle-increment", cpu_throttle_increment),
        F("max-cpu-throttle", max_cpu_throttle),
        F("max-bandwidth", max_bandwidth),
        F("avail-switchover-bandwidth", avail_switchover_bandwidth),
        F("downtime-limit", downtime_limit),
        F("x-checkpoint-delay", x_checkpoint_delay),
        F("max-postcopy-bandwidth", max_postcopy_bandwidth),
        F("multifd-channels", multifd_channels),
        F("multifd-zlib-level", multifd_zlib_level),
        F("multifd-qatzip-level", multifd_qatzip_level),
        F("multifd-zstd-level", multifd_zstd_level),
        F("xbzrle-cache-size", xbzrle_cache_size),
        F("x-vcpu-dirty-limit-period", x_vcpu_dirty_limit_period),
        F("vcpu-dirty-limit", vcpu_dirty_limit),
#undef F
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].name, name) == 0) {
            return (uint64_t *)((char *)c + map[i].off);
        }
    }
    return NULL;
}

static bool apply_override(OConfig *oc, QmigMigrationConfig *cfg, const Override *ov)
{
    switch (ov->kind) {
    case OV_UINT: {
        uint64_t *f = ouint_field(oc, ov->name);
        if (!f) {
            setup_error("oracle has no integer parameter '%s'", ov->name);
            return false;
        }
        *f = ov->u;
        return gen_set_uint(cfg, ov->name, ov->u);
    }
    case OV_STR:
        if (strcmp(ov->name, "multifd-compression") == 0) {
            oc->multifd_compression = ov->s;
        } else if (strcmp(ov->name, "mode") == 0) {
            oc->mode = ov->s;
        } else if (strcmp(ov->name, "tls-creds") == 0) {
            oc->tls_creds = ov->s;
        } else if (strcmp(ov->name, "tls-hostname") == 0 ||
                   strcmp(ov->name, "tls-authz") == 0 ||
                   strcmp(ov->name, "zero-page-detection") == 0) {
            /* no QEMU check reads them */
        } else {
            setup_error("oracle has no string parameter '%s'", ov->name);
            return false;
        }
        return gen_set_str(cfg, ov->name, ov->s);
    case OV_BOOL:
        if (strcmp(ov->name, "direct-io") == 0) {
            oc->direct_io = ov->b;
        } else if (strcmp(ov->name, "cpu-throttle-tailslow") == 0) {
            /* no QEMU check reads it */
        } else {
            setup_error("oracle has no boolean parameter '%s'", ov->name);
            return false;
        }
        return gen_set_bool(cfg, ov->name, ov->b);
    case OV_LIST:
        if (strcmp(ov->name, "cpr-exec-command") != 0) {
            setup_error("oracle has no list parameter '%s'", ov->name);
            return false;
        }
        oc->cpr_exec_command = true;
        return gen_set_cpr_exec_command(cfg);
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Comparison and reporting.
 * ------------------------------------------------------------------------ */

static const char *transport_label(int t)
{
    return t == NO_TRANSPORT ? "(none)" : qmig_transport_name((QmigTransport)t);
}

static void print_caps(uint32_t caps)
{
    bool any = false;
    fprintf(stderr, "  capabilities: {");
    for (int i = 0; i < OC__N; i++) {
        if (caps >> i & 1u) {
            fprintf(stderr, "%s%s", any ? ", " : "", ocap_name[i]);
            any = true;
        }
    }
    fprintf(stderr, "}\n");
}

static void print_set(const char *label, const MsgSet *s)
{
    fprintf(stderr, "  %s:%s\n", label, ms_empty(s) ? " (none: valid)" : "");
    for (int m = 0; m < M__N; m++) {
        if (ms_has(s, m)) {
            fprintf(stderr, "    \"%s\"\n", msg_text[m]);
        }
    }
}

/*
 * Validate @cfg, compare with the oracle's verdict on @oc.  @what
 * describes the parameters for the report.
 */
static void compare(const char *section, const QmigMigrationConfig *cfg,
                    const OConfig *oc, const char *what)
{
    QmigViolations v;
    MsgSet expected, actual;
    const QmigRuleDesc *unknown[QMIG_VIOLATIONS_MAX];
    unsigned n_unknown = 0;
    bool valid;

    oracle(oc, &expected);
    valid = qmig_config_validate(cfg, &v);
    n_checked++;

    memset(&actual, 0, sizeof(actual));
    for (unsigned i = 0; i < v.count && i < QMIG_VIOLATIONS_MAX; i++) {
        const QmigRuleDesc *rule = v.items[i];
        ptrdiff_t r = rule - schema->rules;
        int m = (r >= 0 && (size_t)r < schema->n_rules) ? rule_msg[r] : -1;
        if (m >= 0) {
            ms_add(&actual, m);
        } else {
            bool seen = false;
            for (unsigned k = 0; k < n_unknown; k++) {
                seen |= unknown[k]->message && rule->message &&
                        strcmp(unknown[k]->message, rule->message) == 0;
            }
            if (!seen) {
                unknown[n_unknown++] = rule;
            }
        }
    }

    if (valid == ms_empty(&expected) && valid == (v.count == 0) &&
        n_unknown == 0 && ms_equal(&expected, &actual)) {
        return;
    }

    n_mismatch++;
    if (n_mismatch > MAX_PRINTED) {
        return;
    }
    fprintf(stderr, "MISMATCH #%lu [%s]\n", n_mismatch, section);
    print_caps(oc->caps);
    fprintf(stderr, "  transport: %s\n", transport_label(oc->transport));
    fprintf(stderr, "  parameters: %s\n", what && *what ? what : "(defaults)");
    if (valid != ms_empty(&expected)) {
        fprintf(stderr, "  decision: expected %s, validator says %s\n",
                ms_empty(&expected) ? "valid" : "invalid", valid ? "valid" : "invalid");
    }
    print_set("expected", &expected);
    fprintf(stderr, "  actual:%s\n", v.count == 0 ? " (none: valid)" : "");
    for (int m = 0; m < M__N; m++) {
        if (ms_has(&actual, m)) {
            fprintf(stderr, "    \"%s\"\n", msg_text[m]);
        }
    }
    for (unsigned k = 0; k < n_unknown; k++) {
        fprintf(stderr, "    \"%s\"   <- not a QEMU message of the oracle (rule %s)\n",
                unknown[k]->message ? unknown[k]->message : "(null)",
                unknown[k]->id ? unknown[k]->id : "?");
    }
}

/* ------------------------------------------------------------------------
 * 1. Every capability set x {no transport, 7 transports}, defaults.
 * ------------------------------------------------------------------------ */

static void test_exhaustive(void)
{
    static const int transports[] = {
        NO_TRANSPORT,         QMIG_TRANSPORT_TCP,  QMIG_TRANSPORT_UNIX,
        QMIG_TRANSPORT_VSOCK, QMIG_TRANSPORT_FD,   QMIG_TRANSPORT_EXEC,
        QMIG_TRANSPORT_RDMA,  QMIG_TRANSPORT_FILE,
    };
    QmigMigrationConfig cfg;
    OConfig oc;

    for (size_t ti = 0; ti < sizeof(transports) / sizeof(transports[0]); ti++) {
        unsigned long before = n_mismatch, checked = n_checked;
        qmig_migration_config_init(&cfg);
        oconfig_defaults(&oc);
        oc.transport = transports[ti];
        set_transport(&cfg, transports[ti]);
        for (uint32_t caps = 0; caps < (UINT32_C(1) << OC__N); caps++) {
            oc.caps = caps;
            set_caps(&cfg, caps);
            compare("exhaustive", &cfg, &oc, "");
        }
        qmig_config_clear(&cfg);
        printf("exhaustive: transport %-6s: %lu capability sets, %lu mismatches\n",
               transport_label(transports[ti]), n_checked - checked,
               n_mismatch - before);
    }
}

/* ------------------------------------------------------------------------
 * 2. Parameter bounds (§2, §8), all capabilities off.
 * ------------------------------------------------------------------------ */

static void run_case(const char *section, uint32_t caps, int transport,
                     const Override *ovs, size_t n_ovs, uint64_t page_size)
{
    QmigMigrationConfig cfg;
    OConfig oc;
    char what[512];
    size_t len = 0;
    bool ok = true;

    qmig_migration_config_init(&cfg);
    oconfig_defaults(&oc);
    oc.caps = caps;
    oc.transport = transport;
    set_caps(&cfg, caps);
    set_transport(&cfg, transport);
    if (page_size) {
        oc.target_page_size = page_size;
        cfg.header.target_page_size = page_size;
    }
    what[0] = '\0';
    if (page_size) {
        len += (size_t)snprintf(what + len, sizeof(what) - len,
                                "[target page size %" PRIu64 "] ", page_size);
    }
    for (size_t i = 0; i < n_ovs; i++) {
        const Override *ov = &ovs[i];
        ok &= apply_override(&oc, &cfg, ov);
        if (len < sizeof(what)) {
            switch (ov->kind) {
            case OV_UINT:
                len += (size_t)snprintf(what + len, sizeof(what) - len,
                                        "%s=%" PRIu64 " ", ov->name, ov->u);
                break;
            case OV_STR:
                len += (size_t)snprintf(what + len, sizeof(what) - len, "%s=\"%s\" ",
                                        ov->name, ov->s);
                break;
            case OV_BOOL:
                len += (size_t)snprintf(what + len, sizeof(what) - len, "%s=%s ",
                                        ov->name, ov->b ? "true" : "false");
                break;
            case OV_LIST:
                len += (size_t)snprintf(what + len, sizeof(what) - len, "%s=[...] ",
                                        ov->name);
                break;
            }
        }
    }
    if (ok) {
        compare(section, &cfg, &oc, what);
    }
    qmig_config_clear(&cfg);
}

typedef struct Bound {
    const char *name;
    uint64_t type_max; /* of the QAPI type */
    uint64_t min, max; /* QEMU's valid range */
} Bound;

#define U8 UINT64_C(255)
#define U32 UINT64_C(4294967295)
#define U64 UINT64_MAX

static void test_bounds(void)
{
    /* §2 with §8: every parameter migrate_params_check bounds. */
    static const Bound bounds[] = {
        { "announce-initial", U64, 0, 100000 },
        { "announce-max", U64, 0, 100000 },
        { "announce-rounds", U64, 0, 1000 },
        { "announce-step", U64, 1, 10000 },
        { "throttle-trigger-threshold", U8, 1, 100 },
        { "cpu-throttle-initial", U8, 1, 99 },
        { "cpu-throttle-increment", U8, 1, 99 },
        { "max-bandwidth", U64, 0, (uint64_t)SIZE_MAX },
        { "avail-switchover-bandwidth", U64, 0, (uint64_t)SIZE_MAX },
        { "downtime-limit", U64, 0, 2000000 },
        { "x-checkpoint-delay", U32, 0, U32 },     /* no check */
        { "max-postcopy-bandwidth", U64, 0, U64 }, /* no check */
        { "multifd-channels", U8, 1, 255 },
        { "multifd-zlib-level", U8, 0, 9 },
        { "multifd-qatzip-level", U8, 1, 9 },
        { "multifd-zstd-level", U8, 0, 20 },
        { "max-cpu-throttle", U8, 20, 99 }, /* lower bound: cpu-throttle-initial (20) */
        { "x-vcpu-dirty-limit-period", U64, 1, 1000 },
        { "vcpu-dirty-limit", U64, 1, U64 },
    };
    unsigned long before = n_mismatch, checked = n_checked;

    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        const Bound *b = &bounds[i];
        uint64_t vals[4];
        size_t n = 0;
        if (b->min > 0) {
            vals[n++] = b->min - 1;
        }
        vals[n++] = b->min;
        vals[n++] = b->max;
        if (b->max < b->type_max) {
            vals[n++] = b->max + 1;
        }
        for (size_t k = 0; k < n; k++) {
            Override ov = OVU(b->name, vals[k]);
            run_case("bounds", 0, NO_TRANSPORT, &ov, 1, 0);
        }
    }

    /* max-cpu-throttle against a non-default cpu-throttle-initial */
    static const uint64_t initials[] = { 1, 50, 99, 100 };
    for (size_t i = 0; i < sizeof(initials) / sizeof(initials[0]); i++) {
        uint64_t init = initials[i];
        uint64_t maxes[] = { init - 1, init, 99, 100 };
        for (size_t k = 0; k < 4; k++) {
            Override ovs[2] = { OVU("cpu-throttle-initial", init),
                                OVU("max-cpu-throttle", maxes[k]) };
            run_case("bounds", 0, NO_TRANSPORT, ovs, 2, 0);
        }
        /* max-cpu-throttle left at its default (99) */
        Override ov = OVU("cpu-throttle-initial", init);
        run_case("bounds", 0, NO_TRANSPORT, &ov, 1, 0);
    }

    /* xbzrle-cache-size: a power of two, at least the target page size */
    static const uint64_t xbz[] = {
        0, 1, 2048, 4095, 4096, 4097, 6000, 8192, 12288, 65536, 67108864,
        UINT64_C(1) << 63, UINT64_MAX,
    };
    for (size_t i = 0; i < sizeof(xbz) / sizeof(xbz[0]); i++) {
        Override ov = OVU("xbzrle-cache-size", xbz[i]);
        run_case("bounds", 0, NO_TRANSPORT, &ov, 1, 0);
        run_case("bounds", 0, NO_TRANSPORT, &ov, 1, 65536); /* 64 KiB target pages */
    }

    /* every parameter explicitly at QEMU's default: valid */
    {
        Override ovs[] = {
            OVU("announce-initial", 50),
            OVU("announce-max", 550),
            OVU("announce-rounds", 5),
            OVU("announce-step", 100),
            OVU("throttle-trigger-threshold", 50),
            OVU("cpu-throttle-initial", 20),
            OVU("cpu-throttle-increment", 10),
            OVB("cpu-throttle-tailslow", false),
            OVS("tls-creds", ""),
            OVS("tls-hostname", ""),
            OVS("tls-authz", ""),
            OVU("max-bandwidth", 134217728),
            OVU("avail-switchover-bandwidth", 0),
            OVU("downtime-limit", 300),
            OVU("x-checkpoint-delay", 20000),
            OVU("multifd-channels", 2),
            OVU("xbzrle-cache-size", 67108864),
            OVU("max-postcopy-bandwidth", 0),
            OVU("max-cpu-throttle", 99),
            OVS("multifd-compression", "none"),
            OVU("multifd-zlib-level", 1),
            OVU("multifd-qatzip-level", 1),
            OVU("multifd-zstd-level", 1),
            OVU("x-vcpu-dirty-limit-period", 1000),
            OVU("vcpu-dirty-limit", 1),
            OVS("mode", "normal"),
            OVS("zero-page-detection", "multifd"),
            OVB("direct-io", false),
        };
        run_case("bounds", 0, NO_TRANSPORT, ovs, sizeof(ovs) / sizeof(ovs[0]), 0);
    }

    /* several parameters out of range at once: every message */
    {
        Override ovs[] = {
            OVU("throttle-trigger-threshold", 0), OVU("announce-step", 0),
            OVU("multifd-channels", 0),           OVU("multifd-zstd-level", 21),
            OVU("xbzrle-cache-size", 6000),       OVU("vcpu-dirty-limit", 0),
            OVU("downtime-limit", 2000001),
        };
        run_case("bounds", 0, NO_TRANSPORT, ovs, sizeof(ovs) / sizeof(ovs[0]), 0);
    }

    printf("bounds: %lu configurations, %lu mismatches\n", n_checked - checked,
           n_mismatch - before);
}

/* ------------------------------------------------------------------------
 * 3. Cross-parameter rules.
 * ------------------------------------------------------------------------ */

static void test_cross(void)
{
    /* The capabilities the cross-parameter and CPR rules involve. */
    static const int involved[] = {
        OC_POSTCOPY_RAM, OC_DIRTY_BITMAPS, OC_BACKGROUND_SNAPSHOT, OC_X_COLO,
        OC_MAPPED_RAM,   OC_ZERO_COPY_SEND, OC_MULTIFD,            OC_XBZRLE,
        OC_POSTCOPY_PREEMPT,
    };
    enum { N_INVOLVED = sizeof(involved) / sizeof(involved[0]) };
    static const int transports[] = {
        NO_TRANSPORT,         QMIG_TRANSPORT_TCP,  QMIG_TRANSPORT_UNIX,
        QMIG_TRANSPORT_VSOCK, QMIG_TRANSPORT_FD,   QMIG_TRANSPORT_EXEC,
        QMIG_TRANSPORT_RDMA,  QMIG_TRANSPORT_FILE,
    };
    static const char *const modes[] = { "normal", "cpr-reboot", "cpr-transfer",
                                         "cpr-exec" };
    static const char *const compressions[] = { "none", "zlib", "zstd",
                                                "qatzip", "qpl", "uadk" };
    static const char *const tls_creds[] = { "", "tls0" };
    unsigned long before = n_mismatch, checked = n_checked;

    for (size_t ti = 0; ti < sizeof(transports) / sizeof(transports[0]); ti++)
    for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++)
    for (size_t ci = 0; ci < sizeof(compressions) / sizeof(compressions[0]); ci++)
    for (size_t li = 0; li < 2; li++)
    for (int dio = 0; dio < 2; dio++)
    for (int cmd = 0; cmd < 2; cmd++) {
        QmigMigrationConfig cfg;
        OConfig oc;
        char what[256];
        bool ok = true;

        qmig_migration_config_init(&cfg);
        oconfig_defaults(&oc);
        oc.transport = transports[ti];
        set_transport(&cfg, transports[ti]);
        {
            Override ovs[] = {
                OVS("mode", modes[mi]),
                OVS("multifd-compression", compressions[ci]),
                OVS("tls-creds", tls_creds[li]),
                OVB("direct-io", dio != 0),
            };
            for (size_t k = 0; k < sizeof(ovs) / sizeof(ovs[0]); k++) {
                ok &= apply_override(&oc, &cfg, &ovs[k]);
            }
            if (cmd) {
                Override ov = OVL("cpr-exec-command");
                ok &= apply_override(&oc, &cfg, &ov);
            }
        }
        snprintf(what, sizeof(what),
                 "mode=\"%s\" multifd-compression=\"%s\" tls-creds=\"%s\" "
                 "direct-io=%s%s",
                 modes[mi], compressions[ci], tls_creds[li], dio ? "true" : "false",
                 cmd ? " cpr-exec-command=[...]" : "");
        if (ok) {
            for (uint32_t sub = 0; sub < (UINT32_C(1) << N_INVOLVED); sub++) {
                uint32_t caps = 0;
                for (int k = 0; k < N_INVOLVED; k++) {
                    if (sub >> k & 1u) {
                        caps |= UINT32_C(1) << involved[k];
                    }
                }
                oc.caps = caps;
                set_caps(&cfg, caps);
                compare("cross", &cfg, &oc, what);
            }
        }
        qmig_config_clear(&cfg);
    }

    /* Hand-picked cases named in the brief, for a readable trail. */
    {
        const uint32_t zc = UINT32_C(1) << OC_ZERO_COPY_SEND | UINT32_C(1) << OC_MULTIFD;
        const uint32_t mr = UINT32_C(1) << OC_MAPPED_RAM;
        Override zlib = OVS("multifd-compression", "zlib");
        Override tls = OVS("tls-creds", "tls0");
        Override exec = OVS("mode", "cpr-exec");
        Override ovs_exec_cmd[2] = { OVS("mode", "cpr-exec"), OVL("cpr-exec-command") };
        Override transfer = OVS("mode", "cpr-transfer");
        Override reboot = OVS("mode", "cpr-reboot");

        run_case("cross", zc, QMIG_TRANSPORT_TCP, NULL, 0, 0);         /* valid */
        run_case("cross", zc, QMIG_TRANSPORT_TCP, &zlib, 1, 0);        /* zero copy */
        run_case("cross", zc, QMIG_TRANSPORT_TCP, &tls, 1, 0);         /* zero copy */
        run_case("cross", mr, QMIG_TRANSPORT_FILE, NULL, 0, 0);        /* valid */
        run_case("cross", mr, QMIG_TRANSPORT_FILE, &zlib, 1, 0);       /* mapped-ram x2 */
        run_case("cross", mr, QMIG_TRANSPORT_FILE, &tls, 1, 0);        /* mapped-ram x2 */
        run_case("cross", 0, NO_TRANSPORT, &exec, 1, 0);               /* needs command */
        run_case("cross", 0, NO_TRANSPORT, ovs_exec_cmd, 2, 0);        /* valid */
        run_case("cross", 0, QMIG_TRANSPORT_FILE, &transfer, 1, 0);    /* streamable */
        run_case("cross", 0, QMIG_TRANSPORT_UNIX, &transfer, 1, 0);    /* no cpr channel */
        run_case("cross", UINT32_C(1) << OC_POSTCOPY_RAM, NO_TRANSPORT, &reboot, 1, 0);
        run_case("cross", UINT32_C(1) << OC_DIRTY_BITMAPS, NO_TRANSPORT, &reboot, 1, 0);
        run_case("cross", UINT32_C(1) << OC_BACKGROUND_SNAPSHOT, NO_TRANSPORT, &transfer,
                 1, 0);
        run_case("cross", UINT32_C(1) << OC_X_COLO, NO_TRANSPORT, &exec, 1, 0);
    }

    printf("cross: %lu configurations, %lu mismatches\n", n_checked - checked,
           n_mismatch - before);
}

int main(void)
{
    if (!map_names()) {
        fprintf(stderr, "FAIL: the generated schema does not name QEMU's capabilities\n");
        return 1;
    }

    /* Sanity: the oracle itself says the empty default configuration is valid. */
    {
        OConfig oc;
        MsgSet s;
        oconfig_defaults(&oc);
        oracle(&oc, &s);
        if (!ms_empty(&s)) {
            fprintf(stderr, "FAIL: oracle rejects QEMU's defaults\n");
            return 1;
        }
    }

    test_exhaustive();
    test_bounds();
    test_cross();

    if (n_mismatch > MAX_PRINTED) {
        fprintf(stderr, "... %lu more mismatches not shown\n", n_mismatch - MAX_PRINTED);
    }
    printf("total: %lu configurations checked, %lu mismatches, %lu setup errors\n",
           n_checked, n_mismatch, n_setup_errors);
    free(rule_msg);
    return n_mismatch == 0 && n_setup_errors == 0 ? 0 : 1;
}
