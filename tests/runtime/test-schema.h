/*
 * test-schema.h - a small hand-written schema, as qmig-gen would emit
 * it, for the runtime tests: a typed configuration struct with the
 * QmigConfigHeader first, descriptor tables and a validate function.
 */
#ifndef TEST_SCHEMA_H
#define TEST_SCHEMA_H

/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "qmig/qmig.h"

enum {
    CAP_MULTIFD,
    CAP_POSTCOPY,
    CAP_ZERO_COPY,
    CAP_RETURN_PATH,
    CAP_X_OLD,
    N_CAPS
};

enum {
    P_CHANNELS,    /* UINT uint8, [1, 64], default 2 */
    P_DOWNTIME,    /* UINT uint64, [0, 2000], default 300 */
    P_INT8,        /* INT int8, [-10, 100], default -1 */
    P_MAX_BW,      /* UINT uint64, unbounded, default 1000 */
    P_PC_BW,       /* UINT, at most max-bandwidth, no default */
    P_CACHE,       /* UINT, page size, power of two, default 64 MiB */
    P_COMPRESS,    /* ENUM none/zlib/zstd/qpl, qpl not allowed, default none */
    P_BLOCK,       /* BOOL, default false */
    P_TLS_CREDS,   /* STR_OR_NULL, default "" */
    P_TLS_HOST,    /* STR, no default */
    P_EXEC_CMD,    /* STR_LIST, default empty */
    P_MAPPING,     /* JSON, no default */
    P_BIG_ENUM,    /* ENUM with 20 values, no default */
    P_UPPER,       /* INT int64, at least x-int8, no default */
    N_PARAMS
};

enum {
    R_CHANNELS_RANGE,
    R_DOWNTIME_RANGE,
    R_INT8_RANGE,
    R_PC_BW_RANGE,
    R_CACHE_RANGE,
    R_COMPRESS_RANGE,
    R_UPPER_RANGE,
    R_ZERO_COPY_MULTIFD,
    R_TLS_HOST_CREDS,
    N_RULES
};

enum { CH_MAIN, CH_MULTIFD, CH_WRAPPED, N_CHANNELS };

typedef struct TestConfig {
    QmigConfigHeader header;
    bool has_channels;
    uint64_t channels;
    bool has_downtime;
    uint64_t downtime;
    bool has_int8;
    int64_t int8;
    bool has_max_bw;
    uint64_t max_bw;
    bool has_pc_bw;
    uint64_t pc_bw;
    bool has_cache;
    uint64_t cache;
    bool has_compress;
    int compress;
    bool has_block;
    bool block;
    bool has_tls_creds;
    char *tls_creds;
    bool has_tls_host;
    char *tls_host;
    bool has_exec_cmd;
    QmigStrList exec_cmd;
    bool has_mapping;
    char *mapping;
    bool has_big_enum;
    int big_enum;
    bool has_upper;
    int64_t upper;
} TestConfig;

extern const QmigSchemaDesc test_schema;

/* A configuration fresh from qmig_config_init(). */
void test_config_init(TestConfig *c);

/* Whether two configurations hold the same header and parameters. */
bool test_config_equal(const TestConfig *a, const TestConfig *b);

/*
 * Decode @json into a fresh @c and expect failure with exactly @msg
 * (NULL: expect success).  Leaves @c to be cleared by the caller.
 */
void test_decode(TestConfig *c, const char *json, const char *msg);

/* Assert an error *errp with message @msg, free it and reset *errp. */
void test_expect_error(QmigError **errp, const char *msg);

/*
 * The channel plan of the handshake tests, in the shape of a generated
 * *_channel_plan(): main, then multifd-channels multifd channels when
 * multifd is on.
 */
unsigned test_channel_plan(const void *config, QmigChannelRef *out,
                           unsigned max);

#endif /* TEST_SCHEMA_H */
