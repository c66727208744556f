/*
 * Runs the checks `qmig-gen generate --target qemu` writes, built against
 * the test stubs of qemu-stubs/ (not QEMU), on a few states: the order
 * of the rules, optional members left NULL, the rules about the migrate
 * command, and host facts with and without a detail.  Exit status 0
 * when every expectation holds; each failure names its case.
 */
#include "qemu/osdep.h"

#include <stdio.h>
#include <string.h>

#include "qapi/error.h"
#include "qmig-migration-checks.h"

extern int stub_live_errors;
extern int stub_bitmap_checks;

typedef bool CheckFn(const QmigMigrationCheckState *s, Error **errp);

static int failures;

/* Run @fn; @want NULL means it must pass, else fail with message @want. */
static void expect(const char *name, CheckFn *fn,
                   const QmigMigrationCheckState *s, const char *want)
{
    Error *err = NULL;
    bool ok = fn(s, &err);
    const char *got = err ? error_get_pretty(err) : NULL;
    if (ok != (want == NULL) || (ok && err) || (!ok && !err) ||
        (want && got && strcmp(want, got))) {
        printf("FAIL %s: returned %s, error \"%s\"; expected %s%s%s\n", name,
               ok ? "true" : "false", got ? got : "(none)",
               want ? "\"" : "success", want ? want : "", want ? "\"" : "");
        failures++;
    } else {
        printf("ok   %s\n", name);
    }
    error_free(err);
    if (stub_live_errors) {
        printf("FAIL %s: %d Error(s) leaked\n", name, stub_live_errors);
        failures++;
        stub_live_errors = 0;
    }
}

/* --- host facts --------------------------------------------------------- */

typedef struct Host {
    int lacks;          /* a fact that does not hold, or -1 */
    const char *detail; /* why, or NULL */
    int asked[QMIG_MIGRATION_HOST__MAX];
} Host;

static bool host_has(QmigMigrationHostFact fact, void *opaque, Error **detail)
{
    Host *h = opaque;
    h->asked[fact]++;
    if ((int)fact != h->lacks) {
        return true;
    }
    if (h->detail) {
        error_setg(detail, "%s", h->detail);
    }
    return false;
}

/* --- states ------------------------------------------------------------- */

static bool caps[MIGRATION_CAPABILITY__MAX];
static MigrationParameters params;
static MigrationAddress addr;
static MigrationChannel cpr_channel = {.channel_type =
                                           MIGRATION_CHANNEL_TYPE_CPR};
static QmigMigrationCheckState state;
static Host host;

/* QEMU's defaults: every check passes.  No migrate command. */
static void reset(void)
{
    memset(caps, 0, sizeof(caps));
    params = (MigrationParameters){
        .announce_initial = 50,
        .announce_max = 550,
        .announce_rounds = 5,
        .announce_step = 100,
        .throttle_trigger_threshold = 50,
        .cpu_throttle_initial = 20,
        .cpu_throttle_increment = 10,
        .tls_creds = NULL,
        .max_bandwidth = 128 << 20,
        .downtime_limit = 300,
        .multifd_channels = 2,
        .xbzrle_cache_size = 64 << 20,
        .max_cpu_throttle = 99,
        .multifd_compression = MULTIFD_COMPRESSION_NONE,
        .multifd_zlib_level = 1,
        .multifd_qatzip_level = 1,
        .multifd_zstd_level = 1,
        .x_vcpu_dirty_limit_period = 1000,
        .vcpu_dirty_limit = 1,
        .mode = MIG_MODE_NORMAL,
    };
    addr = (MigrationAddress){.transport = MIGRATION_ADDRESS_TYPE_SOCKET};
    addr.u.socket.type = SOCKET_ADDRESS_TYPE_INET;
    host = (Host){.lacks = -1};
    state = (QmigMigrationCheckState){
        .caps = caps,
        .params = &params,
        .side = QMIG_MIGRATION_SIDE_SOURCE,
        .addr = NULL,
        .cpr_channel = NULL,
        .host_has = host_has,
        .opaque = &host,
    };
}

static const char *const zero_copy =
    "Zero copy only available for non-compressed non-TLS multifd migration";

static void test_defaults(void)
{
    reset();
    expect("defaults caps", qmig_migration_check_caps, &state, NULL);
    expect("defaults params", qmig_migration_check_params, &state, NULL);
    expect("defaults transport", qmig_migration_check_transport, &state, NULL);
    expect("defaults prepare", qmig_migration_check_prepare, &state, NULL);
    state.addr = &addr;
    expect("defaults transport tcp", qmig_migration_check_transport, &state,
           NULL);
    expect("defaults prepare tcp", qmig_migration_check_prepare, &state, NULL);
    for (int f = 0; f < QMIG_MIGRATION_HOST__MAX; f++) {
        if (host.asked[f]) {
            printf("FAIL defaults: host fact %d asked with nothing enabled\n",
                   f);
            failures++;
        }
    }
    /* NULL host_has: every fact holds. */
    reset();
    state.host_has = NULL;
    caps[MIGRATION_CAPABILITY_ZERO_COPY_SEND] = true;
    caps[MIGRATION_CAPABILITY_MULTIFD] = true;
    caps[MIGRATION_CAPABILITY_BACKGROUND_SNAPSHOT] = false;
    params.direct_io = true;
    expect("no host callback caps", qmig_migration_check_caps, &state, NULL);
    expect("no host callback params", qmig_migration_check_params, &state,
           NULL);
}

static void test_zero_copy_send(void)
{
    static char empty[] = "", tls0[] = "tls0";
    StrOrNull creds;

    reset();
    caps[MIGRATION_CAPABILITY_ZERO_COPY_SEND] = true;
    caps[MIGRATION_CAPABILITY_MULTIFD] = true;
    /* tls-creds absent: a NULL StrOrNull * must not be dereferenced */
    expect("zero-copy tls-creds NULL caps", qmig_migration_check_caps, &state,
           NULL);
    expect("zero-copy tls-creds NULL params", qmig_migration_check_params,
           &state, NULL);
    creds = (StrOrNull){.type = QTYPE_QNULL};
    params.tls_creds = &creds;
    expect("zero-copy tls-creds null", qmig_migration_check_params, &state,
           NULL);
    creds = (StrOrNull){.type = QTYPE_QSTRING, .u.s = empty};
    expect("zero-copy tls-creds empty", qmig_migration_check_params, &state,
           NULL);
    creds = (StrOrNull){.type = QTYPE_QSTRING, .u.s = tls0};
    expect("zero-copy tls-creds set caps", qmig_migration_check_caps, &state,
           zero_copy);
    expect("zero-copy tls-creds set params", qmig_migration_check_params,
           &state, zero_copy);
    params.tls_creds = NULL;
    params.multifd_compression = MULTIFD_COMPRESSION_ZLIB;
    expect("zero-copy compression", qmig_migration_check_params, &state,
           zero_copy);
    reset();
    caps[MIGRATION_CAPABILITY_ZERO_COPY_SEND] = true;
    expect("zero-copy without multifd", qmig_migration_check_caps, &state,
           zero_copy);
    /* A failing check with a NULL errp returns false and does not crash. */
    if (qmig_migration_check_caps(&state, NULL)) {
        printf("FAIL zero-copy errp NULL: passed\n");
        failures++;
    }
}

static void test_cpr_transfer(void)
{
    const char *missing = "missing 'cpr' migration channel";

    reset();
    params.mode = MIG_MODE_CPR_TRANSFER;
    state.addr = &addr;
    addr.u.socket.type = SOCKET_ADDRESS_TYPE_UNIX;
    expect("cpr-transfer no cpr channel", qmig_migration_check_prepare,
           &state, missing);
    state.side = QMIG_MIGRATION_SIDE_ANY;
    expect("cpr-transfer no cpr channel, any side",
           qmig_migration_check_prepare, &state, missing);
    state.side = QMIG_MIGRATION_SIDE_DESTINATION;
    expect("cpr-transfer destination", qmig_migration_check_prepare, &state,
           NULL);
    state.side = QMIG_MIGRATION_SIDE_SOURCE;
    state.cpr_channel = &cpr_channel;
    expect("cpr-transfer with cpr channel", qmig_migration_check_prepare,
           &state, NULL);
    state.cpr_channel = NULL;
    state.addr = NULL;
    expect("cpr-transfer without migrate", qmig_migration_check_prepare,
           &state, NULL);
    /* The earlier rules of the check come first. */
    state.addr = &addr;
    caps[MIGRATION_CAPABILITY_POSTCOPY_RAM] = true;
    expect("cpr-transfer postcopy first", qmig_migration_check_prepare,
           &state, "Cannot use postcopy with CPR");
    /* cpr-exec without a command; a NULL strList is an empty list. */
    reset();
    params.mode = MIG_MODE_CPR_EXEC;
    expect("cpr-exec no command", qmig_migration_check_prepare, &state,
           "cpr-exec mode requires setting cpr-exec-command");
    static char qemu[] = "qemu";
    strList cmd = {.value = qemu};
    params.cpr_exec_command = &cmd;
    expect("cpr-exec command", qmig_migration_check_prepare, &state, NULL);
    /* The transport check: a file is not streamable. */
    reset();
    params.mode = MIG_MODE_CPR_TRANSFER;
    state.addr = &addr;
    addr.transport = MIGRATION_ADDRESS_TYPE_FILE;
    expect("cpr-transfer file", qmig_migration_check_transport, &state,
           "Migration requires streamable transport (eg unix)");
}

static void test_host_facts(void)
{
    reset();
    caps[MIGRATION_CAPABILITY_ZERO_COPY_SEND] = true;
    caps[MIGRATION_CAPABILITY_MULTIFD] = true;
    host.lacks = QMIG_MIGRATION_HOST_LINUX;
    host.detail = "built for another OS";
    expect("host fact with detail", qmig_migration_check_caps, &state,
           "Zero copy currently only available on Linux: built for another OS");
    host.detail = NULL;
    expect("host fact without detail", qmig_migration_check_caps, &state,
           "Zero copy currently only available on Linux");

    /* Asked lazily and in order: uffd-wp, then guest memory. */
    reset();
    caps[MIGRATION_CAPABILITY_BACKGROUND_SNAPSHOT] = true;
    host.lacks = QMIG_MIGRATION_HOST_UFFD_WP;
    host.detail = "no UFFD_FEATURE_PAGEFAULT_FLAG_WP";
    expect("uffd-wp lacking", qmig_migration_check_caps, &state,
           "Background-snapshot is not supported by host kernel: "
           "no UFFD_FEATURE_PAGEFAULT_FLAG_WP");
    if (host.asked[QMIG_MIGRATION_HOST_GUEST_MEMORY_UFFD_WP_COMPATIBLE] ||
        host.asked[QMIG_MIGRATION_HOST_LINUX]) {
        printf("FAIL uffd-wp lacking: asked facts after the failing rule\n");
        failures++;
    }
    host = (Host){.lacks = QMIG_MIGRATION_HOST_GUEST_MEMORY_UFFD_WP_COMPATIBLE,
                  .detail = "RAM block 'pc.ram' is not compatible"};
    expect("guest memory lacking", qmig_migration_check_caps, &state,
           "Background-snapshot is not compatible with guest memory "
           "configuration: RAM block 'pc.ram' is not compatible");
    /* A fact that does not hold, with a detail, in a rule that does not
     * fire: the detail is freed (the leak count says) and later rules run. */
    reset();
    caps[MIGRATION_CAPABILITY_DIRTY_LIMIT] = true;
    caps[MIGRATION_CAPABILITY_AUTO_CONVERGE] = true;
    host.lacks = QMIG_MIGRATION_HOST_KVM_DIRTY_RING;
    host.detail = "no dirty ring";
    expect("rule order: conflict before host fact", qmig_migration_check_caps,
           &state, "dirty-limit conflicts with auto-converge either of then "
                   "available currently");
    if (host.asked[QMIG_MIGRATION_HOST_KVM_DIRTY_RING]) {
        printf("FAIL rule order: the dirty ring was probed before the "
               "conflict\n");
        failures++;
    }
    caps[MIGRATION_CAPABILITY_AUTO_CONVERGE] = false;
    expect("dirty ring lacking", qmig_migration_check_caps, &state,
           "dirty-limit requires KVM with accelerator property "
           "'dirty-ring-size' set: no dirty ring");
    /* postcopy host support: destination (and unknown side) only */
    reset();
    caps[MIGRATION_CAPABILITY_POSTCOPY_RAM] = true;
    host.lacks = QMIG_MIGRATION_HOST_POSTCOPY_HOST_SUPPORT;
    expect("postcopy source", qmig_migration_check_caps, &state, NULL);
    state.side = QMIG_MIGRATION_SIDE_DESTINATION;
    expect("postcopy destination", qmig_migration_check_caps, &state,
           "Postcopy is not supported");
    /* direct-io, in the params check */
    reset();
    params.direct_io = true;
    host.lacks = QMIG_MIGRATION_HOST_DIRECT_IO;
    expect("direct-io lacking", qmig_migration_check_params, &state,
           "No build-time support for direct-io");
}

static void test_order_and_ranges(void)
{
    reset();
    caps[MIGRATION_CAPABILITY_X_COLO] = true;
    caps[MIGRATION_CAPABILITY_POSTCOPY_RAM] = true;
    caps[MIGRATION_CAPABILITY_X_IGNORE_SHARED] = true;
    host.lacks = QMIG_MIGRATION_HOST_REPLICATION;
    expect("first rule reported", qmig_migration_check_caps, &state,
           "QEMU compiled without replication module can't enable COLO");
    host.lacks = -1;
    expect("second rule reported", qmig_migration_check_caps, &state,
           "Postcopy is not compatible with ignore-shared");

    reset();
    params.multifd_channels = 0;
    expect("multifd-channels 0", qmig_migration_check_params, &state,
           "Option multifd_channels expects a value between 1 and 255");
    reset();
    params.xbzrle_cache_size = 1024;
    expect("xbzrle-cache-size below page", qmig_migration_check_params,
           &state, "Option xbzrle_cache_size expects a power of two no less "
                   "than the target page size");
    params.xbzrle_cache_size = 3 * 4096;
    expect("xbzrle-cache-size not power of two", qmig_migration_check_params,
           &state, "Option xbzrle_cache_size expects a power of two no less "
                   "than the target page size");
    reset();
    params.max_cpu_throttle = 10; /* below cpu-throttle-initial (20) */
    expect("max-cpu-throttle below initial", qmig_migration_check_params,
           &state, "max_Option cpu_throttle expects an integer in the range "
                   "of cpu_throttle_initial to 99");
    reset();
    params.downtime_limit = 2000001;
    params.multifd_channels = 0;
    expect("first range reported", qmig_migration_check_params, &state,
           "Option downtime_limit expects an integer in the range of 0 to "
           "(2000 * 1000) ms");

    /* value-check:block-bitmap-mapping, with its prefix */
    reset();
    BitmapMigrationNodeAliasList bad = {.value = NULL};
    params.block_bitmap_mapping = &bad;
    stub_bitmap_checks = 0;
    expect("block-bitmap-mapping bad", qmig_migration_check_params, &state,
           "Invalid mapping given for block-bitmap-mapping: "
           "stub: bad alias map");
    if (stub_bitmap_checks != 1) {
        printf("FAIL block-bitmap-mapping: checked %d times\n",
               stub_bitmap_checks);
        failures++;
    }
}

static void test_transport(void)
{
    reset();
    caps[MIGRATION_CAPABILITY_MAPPED_RAM] = true;
    expect("mapped-ram no migrate", qmig_migration_check_transport, &state,
           NULL);
    state.addr = &addr;
    expect("mapped-ram tcp", qmig_migration_check_transport, &state,
           "Migration requires seekable transport (e.g. file)");
    addr.transport = MIGRATION_ADDRESS_TYPE_FILE;
    expect("mapped-ram file", qmig_migration_check_transport, &state, NULL);
    caps[MIGRATION_CAPABILITY_MULTIFD] = true;
    expect("mapped-ram multifd file", qmig_migration_check_transport, &state,
           NULL);

    reset();
    caps[MIGRATION_CAPABILITY_MULTIFD] = true;
    state.addr = &addr;
    addr.transport = MIGRATION_ADDRESS_TYPE_EXEC;
    expect("multifd exec", qmig_migration_check_transport, &state,
           "Migration requires multi-channel URIs (e.g. tcp)");
    addr.transport = MIGRATION_ADDRESS_TYPE_SOCKET;
    addr.u.socket.type = SOCKET_ADDRESS_TYPE_VSOCK;
    expect("multifd vsock", qmig_migration_check_transport, &state, NULL);
    addr.u.socket.type = SOCKET_ADDRESS_TYPE_FD;
    expect("multifd fd", qmig_migration_check_transport, &state,
           "Migration requires multi-channel URIs (e.g. tcp)");

    reset();
    caps[MIGRATION_CAPABILITY_XBZRLE] = true;
    expect("rdma xbzrle, no migrate", qmig_migration_check_caps, &state, NULL);
    state.addr = &addr;
    addr.transport = MIGRATION_ADDRESS_TYPE_RDMA;
    expect("rdma xbzrle caps", qmig_migration_check_caps, &state,
           "RDMA and XBZRLE can't be used together");
    expect("rdma xbzrle transport", qmig_migration_check_transport, &state,
           "RDMA and XBZRLE can't be used together");
}

int main(void)
{
    test_defaults();
    test_zero_copy_send();
    test_cpr_transfer();
    test_host_facts();
    test_order_and_ranges();
    test_transport();
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
