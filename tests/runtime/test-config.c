/*
 * test-config.c - configurations: init, clear, defaults, typed access,
 * effective values, range checks and schema lookups (qmig/config.h).
 */
#include "test-schema.h"

#include <stdlib.h>
#include <string.h>

/* Set a parameter and expect exactly this error. */
#define EXPECT_FAIL(call, msg)                                                 \
    do {                                                                       \
        QmigError *err_ = NULL;                                                \
        assert_false(call);                                                    \
        test_expect_error(&err_, msg);                                          \
    } while (0)
#define OK(call)                                                               \
    do {                                                                       \
        QmigError *err_ = NULL;                                                \
        if (!(call)) {                                                         \
            fail_msg("%s", qmig_error_message(err_));                          \
        }                                                                      \
        assert_null(err_);                                                     \
    } while (0)

static void test_init(void **state)
{
    (void)state;
    TestConfig c;
    memset(&c, 0xa5, sizeof(c));
    test_config_init(&c);
    assert_ptr_equal(c.header.schema, &test_schema);
    assert_int_equal(c.header.target_page_size, 4096);
    assert_int_equal(c.header.host_lacks, 0);
    assert_false(c.header.has_transport);
    assert_false(c.header.has_side);
    assert_int_equal(qmig_capset_count(&c.header.caps), 0);
    for (unsigned i = 0; i < N_PARAMS; i++) {
        assert_false(qmig_config_param_present(&c, i));
    }
    assert_null(c.tls_creds);
    assert_null(c.exec_cmd.items);
    assert_false(qmig_config_param_present(&c, N_PARAMS));
    qmig_config_init(NULL, &c); /* ignored */
    qmig_config_init(&test_schema, NULL);
}

static void test_lookups(void **state)
{
    (void)state;
    assert_int_equal(qmig_schema_find_cap(&test_schema, "multifd"), 0);
    assert_int_equal(qmig_schema_find_cap(&test_schema, "x-old"), CAP_X_OLD);
    assert_int_equal(qmig_schema_find_cap(&test_schema, "multifd-channels"),
                     -1);
    assert_int_equal(qmig_schema_find_cap(&test_schema, NULL), -1);
    assert_int_equal(qmig_schema_find_cap(NULL, "multifd"), -1);
    assert_int_equal(qmig_schema_find_param(&test_schema, "x-upper"),
                     P_UPPER);
    assert_int_equal(qmig_schema_find_param(&test_schema, "tls-creds"),
                     P_TLS_CREDS);
    assert_int_equal(qmig_schema_find_param(&test_schema, "multifd"), -1);
    assert_int_equal(qmig_schema_find_param(NULL, "x"), -1);
    assert_int_equal(qmig_schema_find_rule(&test_schema,
                                           "tls-hostname-needs-creds"),
                     R_TLS_HOST_CREDS);
    assert_int_equal(qmig_schema_find_rule(&test_schema, "nope"), -1);
    assert_int_equal(qmig_schema_find_rule(&test_schema, NULL), -1);
}

static void test_defaults(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    /* Absent parameters read as their defaults. */
    assert_int_equal(qmig_config_get_uint(&c, P_CHANNELS), 2);
    assert_int_equal(qmig_config_get_uint(&c, P_DOWNTIME), 300);
    assert_int_equal(qmig_config_get_int(&c, P_INT8), -1);
    assert_string_equal(qmig_config_get_enum(&c, P_COMPRESS), "none");
    assert_false(qmig_config_get_bool(&c, P_BLOCK));
    assert_string_equal(qmig_config_get_str(&c, P_TLS_CREDS), "");
    /* Without one: zero, NULL. */
    assert_int_equal(qmig_config_get_uint(&c, P_PC_BW), 0);
    assert_null(qmig_config_get_str(&c, P_TLS_HOST));
    assert_null(qmig_config_get_str(&c, P_MAPPING));
    assert_null(qmig_config_get_enum(&c, P_BIG_ENUM));
    assert_int_equal(qmig_config_effective_enum(&c, P_BIG_ENUM), -1);
    assert_int_equal(qmig_config_get_int(&c, P_UPPER), 0);

    OK(qmig_config_set_uint(&c, P_DOWNTIME, 5, &err_));
    qmig_config_apply_defaults(&c);
    /* Present values stay; absent ones with defaults become present. */
    assert_int_equal(c.downtime, 5);
    assert_true(c.has_channels);
    assert_int_equal(c.channels, 2);
    assert_true(c.has_int8);
    assert_int_equal(c.int8, -1);
    assert_true(c.has_cache);
    assert_int_equal(c.cache, 64 << 20);
    assert_true(c.has_compress);
    assert_int_equal(c.compress, 0);
    assert_true(c.has_block);
    assert_true(c.has_tls_creds);
    assert_string_equal(c.tls_creds, "");
    assert_true(c.has_exec_cmd);
    assert_int_equal(c.exec_cmd.len, 0);
    assert_false(c.has_tls_host);
    assert_false(c.has_pc_bw);
    assert_false(c.has_mapping);
    assert_false(c.has_upper);
    qmig_config_apply_defaults(&c); /* idempotent, no leak */
    qmig_config_clear(&c);
    assert_false(c.has_tls_creds);
    assert_null(c.tls_creds);
    qmig_config_apply_defaults(NULL);
}

static void test_set_get(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    OK(qmig_config_set_uint(&c, P_CHANNELS, 255, &err_));
    assert_true(qmig_config_param_present(&c, P_CHANNELS));
    assert_int_equal(qmig_config_get_uint(&c, P_CHANNELS), 255);
    OK(qmig_config_set_uint(&c, P_DOWNTIME, UINT64_MAX, &err_));
    assert_int_equal(qmig_config_get_uint(&c, P_DOWNTIME), UINT64_MAX);
    OK(qmig_config_set_int(&c, P_INT8, -128, &err_));
    assert_int_equal(qmig_config_get_int(&c, P_INT8), -128);
    OK(qmig_config_set_int(&c, P_UPPER, INT64_MIN, &err_));
    assert_int_equal(c.upper, INT64_MIN);
    OK(qmig_config_set_enum(&c, P_COMPRESS, "zstd", &err_));
    assert_int_equal(c.compress, 2);
    assert_string_equal(qmig_config_get_enum(&c, P_COMPRESS), "zstd");
    assert_int_equal(qmig_config_effective_enum(&c, P_COMPRESS), 2);
    OK(qmig_config_set_bool(&c, P_BLOCK, true, &err_));
    assert_true(qmig_config_get_bool(&c, P_BLOCK));
    OK(qmig_config_set_str(&c, P_TLS_HOST, "host", &err_));
    OK(qmig_config_set_str(&c, P_TLS_HOST, "other", &err_)); /* replaced */
    assert_string_equal(qmig_config_get_str(&c, P_TLS_HOST), "other");
    OK(qmig_config_set_str(&c, P_TLS_CREDS, "tls0", &err_));
    assert_string_equal(qmig_config_get_str(&c, P_TLS_CREDS), "tls0");
    OK(qmig_config_set_str(&c, P_TLS_CREDS, NULL, &err_)); /* null: "" */
    assert_string_equal(c.tls_creds, "");
    assert_true(c.has_tls_creds);
    /* JSON text is stored compact, member order kept. */
    OK(qmig_config_set_str(&c, P_MAPPING,
                           " [ {\"node-name\" : \"a\", \"alias\": 1} ] ",
                           &err_));
    assert_string_equal(qmig_config_get_str(&c, P_MAPPING),
                        "[{\"node-name\":\"a\",\"alias\":1}]");
    OK(qmig_config_set_str(&c, P_MAPPING, "null", &err_));
    assert_string_equal(c.mapping, "null");
    qmig_config_clear(&c);
    for (unsigned i = 0; i < N_PARAMS; i++) {
        assert_false(qmig_config_param_present(&c, i));
    }
    /* The header survives clear. */
    assert_ptr_equal(c.header.schema, &test_schema);
}

static void test_set_errors(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    EXPECT_FAIL(qmig_config_set_uint(&c, P_CHANNELS, 256, &err_),
                "parameter 'multifd-channels': value 256 is out of range "
                "[0, 255]");
    EXPECT_FAIL(qmig_config_set_int(&c, P_INT8, 128, &err_),
                "parameter 'x-int8': value 128 is out of range [-128, 127]");
    EXPECT_FAIL(qmig_config_set_int(&c, P_INT8, INT64_MIN, &err_),
                "parameter 'x-int8': value -9223372036854775808 is out of "
                "range [-128, 127]");
    EXPECT_FAIL(qmig_config_set_int(&c, P_CHANNELS, 1, &err_),
                "parameter 'multifd-channels': has type unsigned integer, "
                "not integer");
    EXPECT_FAIL(qmig_config_set_uint(&c, P_INT8, 1, &err_),
                "parameter 'x-int8': has type integer, not unsigned integer");
    EXPECT_FAIL(qmig_config_set_bool(&c, P_TLS_HOST, true, &err_),
                "parameter 'tls-hostname': has type string, not boolean");
    EXPECT_FAIL(qmig_config_set_enum(&c, P_BLOCK, "none", &err_),
                "parameter 'block-incremental': has type boolean, not "
                "enumeration");
    EXPECT_FAIL(qmig_config_set_str(&c, P_CHANNELS, "1", &err_),
                "parameter 'multifd-channels': has type unsigned integer, "
                "not a string");
    EXPECT_FAIL(qmig_config_set_str(&c, P_EXEC_CMD, "ls", &err_),
                "parameter 'cpr-exec-command': has type array of strings, "
                "not a string");
    EXPECT_FAIL(qmig_config_set_enum(&c, P_COMPRESS, "lz4", &err_),
                "parameter 'compression': 'lz4' is not a valid value "
                "(expected one of: none, zlib, zstd, qpl)");
    EXPECT_FAIL(qmig_config_set_enum(&c, P_COMPRESS, NULL, &err_),
                "parameter 'compression': no value given");
    EXPECT_FAIL(qmig_config_set_enum(&c, P_BIG_ENUM, "v20", &err_),
                "parameter 'x-big-enum': 'v20' is not one of the 20 values "
                "of the enum");
    EXPECT_FAIL(qmig_config_set_str(&c, P_TLS_HOST, NULL, &err_),
                "parameter 'tls-hostname': null is not a valid string");
    EXPECT_FAIL(qmig_config_set_str(&c, P_MAPPING, "{\"a\":", &err_),
                "parameter 'block-bitmap-mapping': invalid JSON at line 1, "
                "column 6: unexpected end of input");
    EXPECT_FAIL(qmig_config_set_str(&c, P_MAPPING, "", &err_),
                "parameter 'block-bitmap-mapping': empty JSON document");
    EXPECT_FAIL(qmig_config_set_str(&c, P_MAPPING, NULL, &err_),
                "parameter 'block-bitmap-mapping': no JSON text given");
    EXPECT_FAIL(qmig_config_set_bool(&c, N_PARAMS, true, &err_),
                "no parameter #14 in the schema");
    EXPECT_FAIL(qmig_config_set_uint(NULL, 0, 1, &err_),
                "no parameter #0 in the schema");
    /* Failed setters leave the parameter absent. */
    for (unsigned i = 0; i < N_PARAMS; i++) {
        assert_false(qmig_config_param_present(&c, i));
    }
    /* errp NULL: still fails, nothing leaks. */
    assert_false(qmig_config_set_uint(&c, P_CHANNELS, 1000, NULL));
    assert_false(qmig_config_set_enum(&c, P_COMPRESS, "x", NULL));
    /* Known json-c limitation (docs/qmig-validate.rst): duplicate keys, the last one wins. */
    OK(qmig_config_set_str(&c, P_MAPPING, "{\"a\":1,\"a\":2}", &err_));
    assert_string_equal(c.mapping, "{\"a\":2}");
    qmig_config_clear(&c);
}

static void test_wrong_type_getters(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    /* Reading through the wrong type or index gives zero, never garbage. */
    assert_int_equal(qmig_config_get_int(&c, P_CHANNELS), 0);
    assert_int_equal(qmig_config_get_uint(&c, P_INT8), 0);
    assert_false(qmig_config_get_bool(&c, P_CHANNELS));
    assert_null(qmig_config_get_enum(&c, P_BLOCK));
    assert_null(qmig_config_get_str(&c, P_EXEC_CMD));
    assert_null(qmig_config_get_str(&c, P_CHANNELS));
    assert_int_equal(qmig_config_get_uint(&c, 1000), 0);
    assert_int_equal(qmig_config_effective_enum(&c, P_BLOCK), -1);
    assert_false(qmig_config_param_in_range(&c, 1000));
    assert_true(qmig_config_effective_empty(&c, 1000));
}

static void test_effective(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    assert_int_equal(qmig_config_effective_uint(&c, P_MAX_BW), 1000);
    assert_int_equal(qmig_config_effective_int(&c, P_INT8), -1);
    assert_false(qmig_config_effective_bool(&c, P_BLOCK));
    assert_int_equal(qmig_config_effective_enum(&c, P_COMPRESS), 0);
    OK(qmig_config_set_uint(&c, P_MAX_BW, 7, &err_));
    assert_int_equal(qmig_config_effective_uint(&c, P_MAX_BW), 7);
    OK(qmig_config_set_bool(&c, P_BLOCK, true, &err_));
    assert_true(qmig_config_effective_bool(&c, P_BLOCK));

    /* Emptiness: strings, lists, and scalars without any value. */
    assert_true(qmig_config_effective_empty(&c, P_TLS_CREDS)); /* "" */
    assert_true(qmig_config_effective_empty(&c, P_TLS_HOST));  /* none */
    assert_true(qmig_config_effective_empty(&c, P_EXEC_CMD));  /* [] */
    assert_true(qmig_config_effective_empty(&c, P_MAPPING));
    assert_true(qmig_config_effective_empty(&c, P_UPPER));
    assert_false(qmig_config_effective_empty(&c, P_CHANNELS));
    OK(qmig_config_set_str(&c, P_TLS_CREDS, "x", &err_));
    assert_false(qmig_config_effective_empty(&c, P_TLS_CREDS));
    OK(qmig_config_set_str(&c, P_TLS_HOST, "", &err_));
    assert_true(qmig_config_effective_empty(&c, P_TLS_HOST));
    OK(qmig_config_set_str(&c, P_MAPPING, "{}", &err_));
    assert_false(qmig_config_effective_empty(&c, P_MAPPING));

    /* A list filled as generated accessors would. */
    c.exec_cmd.items = calloc(1, sizeof(char *));
    assert_non_null(c.exec_cmd.items);
    c.exec_cmd.items[0] = strdup("cmd");
    c.exec_cmd.len = 1;
    c.has_exec_cmd = true;
    assert_false(qmig_config_effective_empty(&c, P_EXEC_CMD));
    qmig_config_clear(&c); /* frees the list */
    assert_null(c.exec_cmd.items);
    assert_true(qmig_config_effective_empty(&c, P_EXEC_CMD));
}

static void test_range_literal(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    /* Defaults are in range; absent without default is never out. */
    for (unsigned i = 0; i < N_PARAMS; i++) {
        assert_true(qmig_config_param_in_range(&c, i));
    }
    OK(qmig_config_set_uint(&c, P_CHANNELS, 0, &err_));
    assert_false(qmig_config_param_in_range(&c, P_CHANNELS));
    OK(qmig_config_set_uint(&c, P_CHANNELS, 1, &err_));
    assert_true(qmig_config_param_in_range(&c, P_CHANNELS));
    OK(qmig_config_set_uint(&c, P_CHANNELS, 64, &err_));
    assert_true(qmig_config_param_in_range(&c, P_CHANNELS));
    OK(qmig_config_set_uint(&c, P_CHANNELS, 65, &err_));
    assert_false(qmig_config_param_in_range(&c, P_CHANNELS));

    OK(qmig_config_set_uint(&c, P_DOWNTIME, 2000, &err_));
    assert_true(qmig_config_param_in_range(&c, P_DOWNTIME));
    OK(qmig_config_set_uint(&c, P_DOWNTIME, 2001, &err_));
    assert_false(qmig_config_param_in_range(&c, P_DOWNTIME));

    /* INT uses the signed bounds smin/smax. */
    OK(qmig_config_set_int(&c, P_INT8, -10, &err_));
    assert_true(qmig_config_param_in_range(&c, P_INT8));
    OK(qmig_config_set_int(&c, P_INT8, -11, &err_));
    assert_false(qmig_config_param_in_range(&c, P_INT8));
    OK(qmig_config_set_int(&c, P_INT8, 100, &err_));
    assert_true(qmig_config_param_in_range(&c, P_INT8));
    OK(qmig_config_set_int(&c, P_INT8, 101, &err_));
    assert_false(qmig_config_param_in_range(&c, P_INT8));

    /* A value stored by hand outside the type range is out of range. */
    c.int8 = 1000;
    assert_false(qmig_config_param_in_range(&c, P_INT8));
    c.channels = 256;
    assert_false(qmig_config_param_in_range(&c, P_CHANNELS));
}

static void test_range_param_bounds(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    /* max-postcopy-bandwidth <= max-bandwidth (default 1000). */
    OK(qmig_config_set_uint(&c, P_PC_BW, 1000, &err_));
    assert_true(qmig_config_param_in_range(&c, P_PC_BW));
    OK(qmig_config_set_uint(&c, P_PC_BW, 1001, &err_));
    assert_false(qmig_config_param_in_range(&c, P_PC_BW));
    OK(qmig_config_set_uint(&c, P_MAX_BW, UINT64_MAX, &err_));
    assert_true(qmig_config_param_in_range(&c, P_PC_BW));
    OK(qmig_config_set_uint(&c, P_MAX_BW, 0, &err_));
    assert_false(qmig_config_param_in_range(&c, P_PC_BW));

    /* x-upper >= x-int8 (default -1), signed against signed. */
    OK(qmig_config_set_int(&c, P_UPPER, -1, &err_));
    assert_true(qmig_config_param_in_range(&c, P_UPPER));
    OK(qmig_config_set_int(&c, P_UPPER, -2, &err_));
    assert_false(qmig_config_param_in_range(&c, P_UPPER));
    OK(qmig_config_set_int(&c, P_UPPER, INT64_MIN, &err_));
    assert_false(qmig_config_param_in_range(&c, P_UPPER));
    OK(qmig_config_set_int(&c, P_INT8, -128, &err_));
    OK(qmig_config_set_int(&c, P_UPPER, -128, &err_));
    assert_true(qmig_config_param_in_range(&c, P_UPPER));
    OK(qmig_config_set_int(&c, P_INT8, 127, &err_));
    OK(qmig_config_set_int(&c, P_UPPER, INT64_MAX, &err_));
    assert_true(qmig_config_param_in_range(&c, P_UPPER));
    OK(qmig_config_set_int(&c, P_UPPER, 126, &err_));
    assert_false(qmig_config_param_in_range(&c, P_UPPER));
}

static void test_range_page_and_power(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    const struct {
        uint64_t value;
        bool ok;
    } cases[] = {
        {0, false},       {1, false},          {2048, false},
        {4095, false},    {4096, true},        {4097, false},
        {6144, false},    {8192, true},        {UINT64_C(1) << 63, true},
        {UINT64_MAX, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        OK(qmig_config_set_uint(&c, P_CACHE, cases[i].value, &err_));
        if (qmig_config_param_in_range(&c, P_CACHE) != cases[i].ok) {
            fail_msg("xbzrle-cache-size %llu: expected %s",
                     (unsigned long long)cases[i].value,
                     cases[i].ok ? "in range" : "out of range");
        }
    }
    /* The target page size comes from the header. */
    c.header.target_page_size = 65536;
    OK(qmig_config_set_uint(&c, P_CACHE, 32768, &err_));
    assert_false(qmig_config_param_in_range(&c, P_CACHE));
    OK(qmig_config_set_uint(&c, P_CACHE, 65536, &err_));
    assert_true(qmig_config_param_in_range(&c, P_CACHE));
    c.header.target_page_size = 0;
    OK(qmig_config_set_uint(&c, P_CACHE, 1, &err_));
    assert_true(qmig_config_param_in_range(&c, P_CACHE));
}

static void test_range_enum(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    OK(qmig_config_set_enum(&c, P_COMPRESS, "zstd", &err_));
    assert_true(qmig_config_param_in_range(&c, P_COMPRESS));
    /* qpl is a value of the enum, but the mask (0x7) excludes it. */
    OK(qmig_config_set_enum(&c, P_COMPRESS, "qpl", &err_));
    assert_false(qmig_config_param_in_range(&c, P_COMPRESS));
    /* Mask 0: every value allowed. */
    OK(qmig_config_set_enum(&c, P_BIG_ENUM, "v19", &err_));
    assert_true(qmig_config_param_in_range(&c, P_BIG_ENUM));
    /* Indices outside the enum, stored by hand. */
    c.compress = 4;
    assert_false(qmig_config_param_in_range(&c, P_COMPRESS));
    assert_null(qmig_config_get_enum(&c, P_COMPRESS));
    c.compress = -1;
    assert_false(qmig_config_param_in_range(&c, P_COMPRESS));
    /* Types without ranges are always in range. */
    assert_true(qmig_config_param_in_range(&c, P_BLOCK));
    assert_true(qmig_config_param_in_range(&c, P_TLS_CREDS));
    assert_true(qmig_config_param_in_range(&c, P_EXEC_CMD));
    assert_true(qmig_config_param_in_range(&c, P_MAPPING));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set_get),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_wrong_type_getters),
        cmocka_unit_test(test_effective),
        cmocka_unit_test(test_range_literal),
        cmocka_unit_test(test_range_param_bounds),
        cmocka_unit_test(test_range_page_and_power),
        cmocka_unit_test(test_range_enum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
