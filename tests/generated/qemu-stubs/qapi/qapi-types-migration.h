/* TEST STUB of QEMU's qapi/qapi-types-migration.h: see ../README. */
#ifndef QMIG_TEST_STUB_QAPI_TYPES_MIGRATION_H
#define QMIG_TEST_STUB_QAPI_TYPES_MIGRATION_H

/* qapi-builtin-types.h */
typedef enum QType {
    QTYPE_NONE,
    QTYPE_QNULL,
    QTYPE_QNUM,
    QTYPE_QSTRING,
    QTYPE_QDICT,
    QTYPE_QLIST,
    QTYPE_QBOOL,
    QTYPE__MAX,
} QType;

typedef struct strList {
    struct strList *next;
    char *value;
} strList;

typedef struct QNull QNull;

/* qapi-types-common.h */
typedef struct StrOrNull {
    QType type;
    union {
        char *s;
        QNull *n;
    } u;
} StrOrNull;

/* qapi-types-sockets.h: only the tag of the union */
typedef enum SocketAddressType {
    SOCKET_ADDRESS_TYPE_INET,
    SOCKET_ADDRESS_TYPE_UNIX,
    SOCKET_ADDRESS_TYPE_VSOCK,
    SOCKET_ADDRESS_TYPE_FD,
    SOCKET_ADDRESS_TYPE__MAX,
} SocketAddressType;

typedef struct SocketAddress {
    SocketAddressType type;
} SocketAddress;

/* The capabilities the checks read (QEMU's order is not needed). */
typedef enum MigrationCapability {
    MIGRATION_CAPABILITY_XBZRLE,
    MIGRATION_CAPABILITY_RDMA_PIN_ALL,
    MIGRATION_CAPABILITY_AUTO_CONVERGE,
    MIGRATION_CAPABILITY_ZERO_BLOCKS,
    MIGRATION_CAPABILITY_EVENTS,
    MIGRATION_CAPABILITY_POSTCOPY_RAM,
    MIGRATION_CAPABILITY_X_COLO,
    MIGRATION_CAPABILITY_RELEASE_RAM,
    MIGRATION_CAPABILITY_RETURN_PATH,
    MIGRATION_CAPABILITY_PAUSE_BEFORE_SWITCHOVER,
    MIGRATION_CAPABILITY_MULTIFD,
    MIGRATION_CAPABILITY_DIRTY_BITMAPS,
    MIGRATION_CAPABILITY_POSTCOPY_BLOCKTIME,
    MIGRATION_CAPABILITY_LATE_BLOCK_ACTIVATE,
    MIGRATION_CAPABILITY_X_IGNORE_SHARED,
    MIGRATION_CAPABILITY_VALIDATE_UUID,
    MIGRATION_CAPABILITY_BACKGROUND_SNAPSHOT,
    MIGRATION_CAPABILITY_ZERO_COPY_SEND,
    MIGRATION_CAPABILITY_POSTCOPY_PREEMPT,
    MIGRATION_CAPABILITY_SWITCHOVER_ACK,
    MIGRATION_CAPABILITY_DIRTY_LIMIT,
    MIGRATION_CAPABILITY_MAPPED_RAM,
    MIGRATION_CAPABILITY__MAX,
} MigrationCapability;

typedef enum MultiFDCompression {
    MULTIFD_COMPRESSION_NONE,
    MULTIFD_COMPRESSION_ZLIB,
    MULTIFD_COMPRESSION_ZSTD,
    MULTIFD_COMPRESSION__MAX,
} MultiFDCompression;

typedef enum MigMode {
    MIG_MODE_NORMAL,
    MIG_MODE_CPR_REBOOT,
    MIG_MODE_CPR_TRANSFER,
    MIG_MODE_CPR_EXEC,
    MIG_MODE__MAX,
} MigMode;

typedef struct BitmapMigrationNodeAlias BitmapMigrationNodeAlias;

typedef struct BitmapMigrationNodeAliasList {
    struct BitmapMigrationNodeAliasList *next;
    BitmapMigrationNodeAlias *value;
} BitmapMigrationNodeAliasList;

/* The members the checks read, with QAPI's C types (no has_* needed). */
typedef struct MigrationParameters {
    uint64_t announce_initial;
    uint64_t announce_max;
    uint64_t announce_rounds;
    uint64_t announce_step;
    uint8_t throttle_trigger_threshold;
    uint8_t cpu_throttle_initial;
    uint8_t cpu_throttle_increment;
    StrOrNull *tls_creds;
    uint64_t max_bandwidth;
    uint64_t avail_switchover_bandwidth;
    uint64_t downtime_limit;
    uint8_t multifd_channels;
    uint64_t xbzrle_cache_size;
    uint8_t max_cpu_throttle;
    MultiFDCompression multifd_compression;
    uint8_t multifd_zlib_level;
    uint8_t multifd_qatzip_level;
    uint8_t multifd_zstd_level;
    BitmapMigrationNodeAliasList *block_bitmap_mapping;
    uint64_t x_vcpu_dirty_limit_period;
    uint64_t vcpu_dirty_limit;
    MigMode mode;
    bool direct_io;
    strList *cpr_exec_command;
} MigrationParameters;

typedef enum MigrationAddressType {
    MIGRATION_ADDRESS_TYPE_SOCKET,
    MIGRATION_ADDRESS_TYPE_EXEC,
    MIGRATION_ADDRESS_TYPE_RDMA,
    MIGRATION_ADDRESS_TYPE_FILE,
    MIGRATION_ADDRESS_TYPE__MAX,
} MigrationAddressType;

/* Only the socket branch: the others the checks do not read. */
typedef struct MigrationAddress {
    MigrationAddressType transport;
    union {
        SocketAddress socket;
    } u;
} MigrationAddress;

typedef enum MigrationChannelType {
    MIGRATION_CHANNEL_TYPE_MAIN,
    MIGRATION_CHANNEL_TYPE_CPR,
    MIGRATION_CHANNEL_TYPE__MAX,
} MigrationChannelType;

typedef struct MigrationChannel {
    MigrationChannelType channel_type;
    MigrationAddress *addr;
} MigrationChannel;

#endif
