/*
 * test-validate.c - violations, validation and the violations report.
 */
#include "test-schema.h"

#include <stdlib.h>
#include <string.h>

static void test_add_order_and_duplicates(void **state)
{
    (void)state;
    QmigViolations v;
    v.count = 0;
    qmig_violations_add(&v, &test_schema, 5);
    qmig_violations_add(&v, &test_schema, 1);
    qmig_violations_add(&v, &test_schema, 8);
    qmig_violations_add(&v, &test_schema, 5); /* duplicate: dropped */
    qmig_violations_add(&v, &test_schema, 3);
    qmig_violations_add(&v, &test_schema, N_RULES); /* invalid: ignored */
    qmig_violations_add(&v, NULL, 0);
    qmig_violations_add(NULL, &test_schema, 0);
    assert_int_equal(v.count, 4);
    assert_ptr_equal(v.items[0], &test_schema.rules[1]);
    assert_ptr_equal(v.items[1], &test_schema.rules[3]);
    assert_ptr_equal(v.items[2], &test_schema.rules[5]);
    assert_ptr_equal(v.items[3], &test_schema.rules[8]);
}

static void test_add_capacity(void **state)
{
    (void)state;
    /* A schema with more rules than a report holds. */
    enum { MANY = QMIG_VIOLATIONS_MAX + 10 };
    static QmigRuleDesc many[MANY];
    QmigSchemaDesc schema = {.name = "many", .rules = many, .n_rules = MANY};
    QmigViolations v;
    v.count = 0;
    for (unsigned i = MANY; i-- > 0;) {
        qmig_violations_add(&v, &schema, i);
    }
    assert_int_equal(v.count, QMIG_VIOLATIONS_MAX);
    /* Whatever the order of the checks, the first rules are kept. */
    for (unsigned i = 0; i < QMIG_VIOLATIONS_MAX; i++) {
        assert_ptr_equal(v.items[i], &many[i]);
    }
    /* Adding a later rule to a full list changes nothing. */
    qmig_violations_add(&v, &schema, MANY - 1);
    assert_int_equal(v.count, QMIG_VIOLATIONS_MAX);
    assert_ptr_equal(v.items[QMIG_VIOLATIONS_MAX - 1],
                     &many[QMIG_VIOLATIONS_MAX - 1]);

    /* The same in increasing order. */
    v.count = 0;
    for (unsigned i = 0; i < MANY; i++) {
        qmig_violations_add(&v, &schema, i);
    }
    assert_int_equal(v.count, QMIG_VIOLATIONS_MAX);
    assert_ptr_equal(v.items[QMIG_VIOLATIONS_MAX - 1],
                     &many[QMIG_VIOLATIONS_MAX - 1]);
}

static void test_validate_clean(void **state)
{
    (void)state;
    TestConfig c;
    QmigViolations v;
    test_config_init(&c);
    v.count = 77; /* reset by validate */
    assert_true(qmig_config_validate(&c, &v));
    assert_int_equal(v.count, 0);
    assert_false(qmig_config_validate(&c, NULL));
    assert_false(qmig_config_validate(NULL, &v));
}

static void test_validate_all_broken(void **state)
{
    (void)state;
    TestConfig c;
    QmigViolations v;
    QmigError *err = NULL;
    test_config_init(&c);
    qmig_capset_add(&c.header.caps, CAP_ZERO_COPY);
    assert_true(qmig_config_set_uint(&c, P_CHANNELS, 0, &err));
    assert_true(qmig_config_set_uint(&c, P_DOWNTIME, 2001, &err));
    assert_true(qmig_config_set_int(&c, P_INT8, 101, &err));
    assert_true(qmig_config_set_uint(&c, P_PC_BW, 1001, &err));
    assert_true(qmig_config_set_uint(&c, P_CACHE, 4097, &err));
    assert_true(qmig_config_set_enum(&c, P_COMPRESS, "qpl", &err));
    assert_true(qmig_config_set_int(&c, P_UPPER, 100, &err));
    assert_true(qmig_config_set_str(&c, P_TLS_HOST, "h", &err));
    assert_false(qmig_config_validate(&c, &v));
    /* Every rule broken, each once, in rule order. */
    assert_int_equal(v.count, N_RULES);
    for (unsigned i = 0; i < N_RULES; i++) {
        assert_ptr_equal(v.items[i], &test_schema.rules[i]);
    }

    char *json = qmig_violations_to_json(&v, &err);
    assert_non_null(json);
    assert_null(err);
    assert_non_null(strstr(
        json, "{\"valid\": false, \"violations\": [{\"rule\": "
              "\"multifd-channels-range\", \"names\": [\"multifd-channels\"], "
              "\"message\": \"multifd-channels must be between 1 and 64\"}, "));
    assert_non_null(strstr(json,
                           "{\"rule\": \"zero-copy-needs-multifd\", \"names\": "
                           "[\"zero-copy-send\", \"multifd\"], \"message\": "
                           "\"zero-copy-send requires \\\"multifd\\\"\"}"));
    free(json);

    /* Fixing the configuration fixes the report. */
    qmig_config_clear(&c);
    qmig_capset_add(&c.header.caps, CAP_MULTIFD);
    assert_true(qmig_config_validate(&c, &v));
    assert_int_equal(v.count, 0);
}

static void test_validate_some(void **state)
{
    (void)state;
    TestConfig c;
    QmigViolations v;
    QmigError *err = NULL;
    test_config_init(&c);
    assert_true(qmig_config_set_str(&c, P_TLS_HOST, "h", &err));
    assert_true(qmig_config_set_str(&c, P_TLS_CREDS, NULL, &err));
    assert_true(qmig_config_set_uint(&c, P_CHANNELS, 65, &err));
    assert_false(qmig_config_validate(&c, &v));
    assert_int_equal(v.count, 2);
    assert_ptr_equal(v.items[0], &test_schema.rules[R_CHANNELS_RANGE]);
    assert_ptr_equal(v.items[1], &test_schema.rules[R_TLS_HOST_CREDS]);
    /* Page size is a header fact: the default cache size is 64 MiB. */
    c.header.target_page_size = UINT64_C(1) << 27;
    assert_false(qmig_config_validate(&c, &v));
    assert_int_equal(v.count, 3);
    assert_ptr_equal(v.items[1], &test_schema.rules[R_CACHE_RANGE]);
    qmig_config_clear(&c);
}

static void test_report_json(void **state)
{
    (void)state;
    QmigViolations v;
    QmigError *err = NULL;
    v.count = 0;
    char *json = qmig_violations_to_json(&v, &err);
    assert_string_equal(json, "{\"valid\": true, \"violations\": []}");
    free(json);

    qmig_violations_add(&v, &test_schema, R_TLS_HOST_CREDS);
    json = qmig_violations_to_json(&v, &err);
    assert_string_equal(
        json, "{\"valid\": false, \"violations\": [{\"rule\": "
              "\"tls-hostname-needs-creds\", \"names\": [\"tls-hostname\", "
              "\"tls-creds\"], \"message\": \"tls-hostname requires "
              "tls-creds\"}]}");
    free(json);

    assert_null(qmig_violations_to_json(NULL, &err));
    test_expect_error(&err, "no violations given");
    assert_null(qmig_violations_to_json(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_order_and_duplicates),
        cmocka_unit_test(test_add_capacity),
        cmocka_unit_test(test_validate_clean),
        cmocka_unit_test(test_validate_all_broken),
        cmocka_unit_test(test_validate_some),
        cmocka_unit_test(test_report_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
