/*
 * test-schema.c - the hand-written test schema; see test-schema.h.
 */
#include "test-schema.h"

#include <string.h>

/*
 * The descriptors below spell out only the fields each test relies on;
 * the rest are zero (NULL, false) by C's rules, as in generated code.
 * clang's -Wmissing-field-initializers would want every new field of
 * QmigCapDesc and QmigParamDesc (such as ifcond) written out here.
 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define P(member) offsetof(TestConfig, member)

static const QmigCapDesc caps[N_CAPS] = {
    [CAP_MULTIFD] = {"multifd", QMIG_SIDE_MATCH, QMIG_HANDSHAKE_INTERSECT,
                     "4.0", 0, 0},
    [CAP_POSTCOPY] = {"postcopy-ram", QMIG_SIDE_BOTH, QMIG_HANDSHAKE_ADOPT,
                      "2.6", 0, 0},
    [CAP_ZERO_COPY] = {"zero-copy-send", QMIG_SIDE_SOURCE,
                       QMIG_HANDSHAKE_LOCAL, "7.1", 0,
                       1u << QMIG_TRANSPORT_TCP},
    [CAP_RETURN_PATH] = {"return-path", QMIG_SIDE_MATCH,
                         QMIG_HANDSHAKE_ADOPT, NULL, 0, 0},
    [CAP_X_OLD] = {"x-old", QMIG_SIDE_BOTH, QMIG_HANDSHAKE_LOCAL, "1.0",
                   QMIG_ITEM_DEPRECATED, 0},
};

static const char *const compress_values[] = {"none", "zlib", "zstd", "qpl"};

static const char *const big_values[] = {
    "v0",  "v1",  "v2",  "v3",  "v4",  "v5",  "v6",  "v7",  "v8",  "v9",
    "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19",
};

/* Common fields of descriptors without bounds. */
#define NO_BOUNDS .min_param = -1, .max_param = -1, .range_rule = -1, \
                  .capability = -1

static const QmigParamDesc params[N_PARAMS] = {
    [P_CHANNELS] = {.name = "multifd-channels", .type = QMIG_VALUE_UINT,
                    .offset = P(channels), .present_offset = P(has_channels),
                    .type_min = 0, .type_max = 255,
                    .has_default = true, .default_uint = 2,
                    .min = 1, .max = 64, .smin = 0, .smax = 0,
                    .min_param = -1, .max_param = -1,
                    .range_rule = R_CHANNELS_RANGE, .unit = NULL,
                    .side = QMIG_SIDE_MATCH, .capability = CAP_MULTIFD},
    [P_DOWNTIME] = {.name = "downtime-limit", .type = QMIG_VALUE_UINT,
                    .offset = P(downtime), .present_offset = P(has_downtime),
                    .type_min = 0, .type_max = UINT64_MAX,
                    .has_default = true, .default_uint = 300,
                    .min = 0, .max = 2000,
                    .min_param = -1, .max_param = -1,
                    .range_rule = R_DOWNTIME_RANGE, .unit = "milliseconds",
                    .capability = -1},
    [P_INT8] = {.name = "x-int8", .type = QMIG_VALUE_INT,
                .offset = P(int8), .present_offset = P(has_int8),
                .type_min = INT8_MIN, .type_max = INT8_MAX,
                .has_default = true, .default_int = -1,
                .smin = -10, .smax = 100,
                .min_param = -1, .max_param = -1,
                .range_rule = R_INT8_RANGE, .capability = -1},
    [P_MAX_BW] = {.name = "max-bandwidth", .type = QMIG_VALUE_UINT,
                  .offset = P(max_bw), .present_offset = P(has_max_bw),
                  .type_min = 0, .type_max = UINT64_MAX,
                  .has_default = true, .default_uint = 1000,
                  .min = 0, .max = UINT64_MAX, NO_BOUNDS},
    [P_PC_BW] = {.name = "max-postcopy-bandwidth", .type = QMIG_VALUE_UINT,
                 .offset = P(pc_bw), .present_offset = P(has_pc_bw),
                 .type_min = 0, .type_max = UINT64_MAX,
                 .min = 0, .max = UINT64_MAX,
                 .min_param = -1, .max_param = P_MAX_BW,
                 .range_rule = R_PC_BW_RANGE, .capability = CAP_POSTCOPY},
    [P_CACHE] = {.name = "xbzrle-cache-size", .type = QMIG_VALUE_UINT,
                 .offset = P(cache), .present_offset = P(has_cache),
                 .type_min = 0, .type_max = UINT64_MAX,
                 .has_default = true, .default_uint = 64 << 20,
                 .min = 0, .max = UINT64_MAX,
                 .min_param = -1, .max_param = -1,
                 .min_page_size = true, .power_of_two = true,
                 .range_rule = R_CACHE_RANGE, .unit = "bytes",
                 .capability = -1},
    [P_COMPRESS] = {.name = "compression", .type = QMIG_VALUE_ENUM,
                    .offset = P(compress), .present_offset = P(has_compress),
                    .enum_values = compress_values, .n_enum_values = 4,
                    .allowed_enum_mask = 0x7,
                    .has_default = true, .default_int = 0,
                    .min_param = -1, .max_param = -1,
                    .range_rule = R_COMPRESS_RANGE, .capability = -1},
    [P_BLOCK] = {.name = "block-incremental", .type = QMIG_VALUE_BOOL,
                 .offset = P(block), .present_offset = P(has_block),
                 .has_default = true, .default_bool = false, NO_BOUNDS},
    [P_TLS_CREDS] = {.name = "tls-creds", .type = QMIG_VALUE_STR_OR_NULL,
                     .offset = P(tls_creds),
                     .present_offset = P(has_tls_creds),
                     .has_default = true, .default_str = "", NO_BOUNDS},
    [P_TLS_HOST] = {.name = "tls-hostname", .type = QMIG_VALUE_STR,
                    .offset = P(tls_host), .present_offset = P(has_tls_host),
                    NO_BOUNDS},
    [P_EXEC_CMD] = {.name = "cpr-exec-command", .type = QMIG_VALUE_STR_LIST,
                    .offset = P(exec_cmd), .present_offset = P(has_exec_cmd),
                    .has_default = true, NO_BOUNDS},
    [P_MAPPING] = {.name = "block-bitmap-mapping", .type = QMIG_VALUE_JSON,
                   .offset = P(mapping), .present_offset = P(has_mapping),
                   NO_BOUNDS},
    [P_BIG_ENUM] = {.name = "x-big-enum", .type = QMIG_VALUE_ENUM,
                    .offset = P(big_enum), .present_offset = P(has_big_enum),
                    .enum_values = big_values, .n_enum_values = 20,
                    NO_BOUNDS},
    [P_UPPER] = {.name = "x-upper", .type = QMIG_VALUE_INT,
                 .offset = P(upper), .present_offset = P(has_upper),
                 .type_min = INT64_MIN, .type_max = INT64_MAX,
                 .smin = INT64_MIN, .smax = INT64_MAX,
                 .min_param = P_INT8, .max_param = -1,
                 .range_rule = R_UPPER_RANGE, .capability = -1},
};

static const char *const names_channels[] = {"multifd-channels"};
static const char *const names_downtime[] = {"downtime-limit"};
static const char *const names_int8[] = {"x-int8"};
static const char *const names_pc_bw[] = {"max-postcopy-bandwidth",
                                          "max-bandwidth"};
static const char *const names_cache[] = {"xbzrle-cache-size"};
static const char *const names_compress[] = {"compression"};
static const char *const names_upper[] = {"x-upper", "x-int8"};
static const char *const names_zero_copy[] = {"zero-copy-send", "multifd"};
static const char *const names_tls[] = {"tls-hostname", "tls-creds"};

static const QmigRuleDesc rules[N_RULES] = {
    [R_CHANNELS_RANGE] = {"multifd-channels-range",
                          "multifd-channels must be between 1 and 64",
                          names_channels, 1, "migrate_params_check",
                          "test.json:1", false},
    [R_DOWNTIME_RANGE] = {"downtime-limit-range",
                          "downtime-limit must be at most 2000",
                          names_downtime, 1, NULL, "test.json:2", false},
    [R_INT8_RANGE] = {"x-int8-range", "x-int8 must be in [-10, 100]",
                      names_int8, 1, NULL, "test.json:3", false},
    [R_PC_BW_RANGE] = {"postcopy-bandwidth-bound",
                       "max-postcopy-bandwidth must not exceed max-bandwidth",
                       names_pc_bw, 2, NULL, "test.json:4", false},
    [R_CACHE_RANGE] = {"xbzrle-cache-size-range",
                       "xbzrle-cache-size must be a power of two of at least "
                       "a page",
                       names_cache, 1, NULL, "test.json:5", false},
    [R_COMPRESS_RANGE] = {"compression-allowed",
                          "compression 'qpl' is not supported",
                          names_compress, 1, NULL, "test.json:6", true},
    [R_UPPER_RANGE] = {"x-upper-bound", "x-upper must be at least x-int8",
                       names_upper, 2, NULL, "test.json:7", false},
    [R_ZERO_COPY_MULTIFD] = {"zero-copy-needs-multifd",
                             "zero-copy-send requires \"multifd\"",
                             names_zero_copy, 2, "migrate_caps_check",
                             "test.json:8", false},
    [R_TLS_HOST_CREDS] = {"tls-hostname-needs-creds",
                          "tls-hostname requires tls-creds",
                          names_tls, 2, NULL, "test.json:9", false},
};

static const QmigEnvDesc envs[] = {
    {"zero-copy-kernel", "the kernel supports MSG_ZEROCOPY"},
};

static const QmigChannelDesc channels[N_CHANNELS] = {
    /* main and wrapped: migrate's 'channels' can name them */
    [CH_MAIN] = {"main", "main", false, -1, 1, true},
    [CH_MULTIFD] = {"multifd", "multifd/{index}", true, P_CHANNELS, 0, false},
    [CH_WRAPPED] = {"wrapped", "pre/{index}/post", true, -1, 3, true},
};

static const QmigHandshakeFeature features[] = {
    {1, "multifd", QMIG_FEATURE_CAPABILITY, CAP_MULTIFD,
     QMIG_HANDSHAKE_INTERSECT, "4.0"},
};

/*
 * The rule checks as the generator would write them: reported in
 * reverse rule order on purpose (the library keeps rule order), and a
 * range rule reported again (the library drops the duplicate).
 */
static void validate(const void *config, QmigViolations *out)
{
    const TestConfig *c = config;
    if (qmig_capset_has(&c->header.caps, CAP_ZERO_COPY) &&
        !qmig_capset_has(&c->header.caps, CAP_MULTIFD)) {
        qmig_violations_add(out, &test_schema, R_ZERO_COPY_MULTIFD);
    }
    if (!qmig_config_effective_empty(config, P_TLS_HOST) &&
        qmig_config_effective_empty(config, P_TLS_CREDS)) {
        qmig_violations_add(out, &test_schema, R_TLS_HOST_CREDS);
    }
    /* What generated code does with one check per range rule. */
    for (unsigned i = 0; i < test_schema.n_params; i++) {
        int rule = test_schema.params[i].range_rule;
        if (rule >= 0 && !qmig_config_param_in_range(config, i)) {
            qmig_violations_add(out, &test_schema, (unsigned)rule);
        }
    }
}

const QmigSchemaDesc test_schema = {
    .name = "test",
    .caps = caps,
    .n_caps = N_CAPS,
    .params = params,
    .n_params = N_PARAMS,
    .rules = rules,
    .n_rules = N_RULES,
    .envs = envs,
    .n_envs = 1,
    .channels = channels,
    .n_channels = N_CHANNELS,
    .features = features,
    .n_features = 1,
    .config_size = sizeof(TestConfig),
    .validate = validate,
};

void test_config_init(TestConfig *c)
{
    qmig_config_init(&test_schema, c);
}

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool list_equal(const QmigStrList *a, const QmigStrList *b)
{
    if (a->len != b->len) {
        return false;
    }
    for (size_t i = 0; i < a->len; i++) {
        if (!str_equal(a->items[i], b->items[i])) {
            return false;
        }
    }
    return true;
}

bool test_config_equal(const TestConfig *a, const TestConfig *b)
{
    const QmigConfigHeader *ha = &a->header, *hb = &b->header;
    if (ha->schema != hb->schema || !qmig_capset_equal(&ha->caps, &hb->caps) ||
        ha->has_transport != hb->has_transport ||
        (ha->has_transport && ha->transport != hb->transport) ||
        ha->has_side != hb->has_side || (ha->has_side && ha->side != hb->side) ||
        ha->host_lacks != hb->host_lacks ||
        ha->target_page_size != hb->target_page_size ||
        ha->has_migrate_channels != hb->has_migrate_channels ||
        ha->migrate_channels != hb->migrate_channels) {
        return false;
    }
    /* Present flags first, then each present value by its type. */
    for (unsigned i = 0; i < N_PARAMS; i++) {
        if (qmig_config_param_present(a, i) !=
            qmig_config_param_present(b, i)) {
            return false;
        }
    }
#define SAME(has, v) (a->has == b->has && (!a->has || a->v == b->v))
#define SAME_STR(has, v) (a->has == b->has && (!a->has || str_equal(a->v, b->v)))
    return SAME(has_channels, channels) && SAME(has_downtime, downtime) &&
           SAME(has_int8, int8) && SAME(has_max_bw, max_bw) &&
           SAME(has_pc_bw, pc_bw) && SAME(has_cache, cache) &&
           SAME(has_compress, compress) && SAME(has_block, block) &&
           SAME_STR(has_tls_creds, tls_creds) &&
           SAME_STR(has_tls_host, tls_host) &&
           (a->has_exec_cmd == b->has_exec_cmd &&
            (!a->has_exec_cmd || list_equal(&a->exec_cmd, &b->exec_cmd))) &&
           SAME_STR(has_mapping, mapping) && SAME(has_big_enum, big_enum) &&
           SAME(has_upper, upper);
#undef SAME
#undef SAME_STR
}

void test_expect_error(QmigError **errp, const char *msg)
{
    assert_non_null(*errp);
    assert_string_equal(qmig_error_message(*errp), msg);
    qmig_error_free(*errp);
    *errp = NULL;
}

void test_decode(TestConfig *c, const char *json, const char *msg)
{
    QmigError *err = NULL;
    test_config_init(c);
    bool ok = qmig_config_from_json(c, json, strlen(json), &err);
    if (msg) {
        assert_false(ok);
        test_expect_error(&err, msg);
    } else {
        if (!ok) {
            fail_msg("decode failed: %s", qmig_error_message(err));
        }
        assert_null(err);
    }
}

unsigned test_channel_plan(const void *config, QmigChannelRef *out,
                           unsigned max)
{
    const QmigConfigHeader *h = config;
    unsigned n = 0;
    if (n < max) {
        out[n] = (QmigChannelRef){CH_MAIN, 0};
    }
    n++;
    if (qmig_capset_has(&h->caps, CAP_MULTIFD)) {
        unsigned count = (unsigned)qmig_config_effective_uint(config,
                                                              P_CHANNELS);
        for (unsigned i = 0; i < count; i++, n++) {
            if (n < max) {
                out[n] = (QmigChannelRef){CH_MULTIFD, i};
            }
        }
    }
    return n;
}
