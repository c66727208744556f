/*
 * test-uint64.c - uint64 values end to end through the generated
 * migration API (schema/migration.json): every unsigned parameter holds
 * 0, 2^63 and 2^64-1 through the C setters, qmig_config_to_json() and
 * qmig_config_from_json(); and the JSON decoder follows QEMU's QMP
 * input visitor for integers (negative values wrap, QEMU's error texts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmig-migration-types.h"

static const uint64_t values[] = {0, UINT64_C(1) << 63, UINT64_MAX};

static int param(const char *name)
{
    int i = qmig_schema_find_param(&qmig_migration_schema, name);
    if (i < 0) {
        fail_msg("no parameter '%s' in the migration schema", name);
    }
    return i;
}

/* Set @value on UINT parameter @i alone, encode, decode, compare. */
static void round_trip_one(unsigned i, uint64_t value)
{
    const QmigParamDesc *desc = &qmig_migration_schema.params[i];
    QmigMigrationConfig a, b;
    QmigError *err = NULL;
    qmig_migration_config_init(&a);
    qmig_migration_config_init(&b);
    bool fits = desc->type_max == 0 || value <= desc->type_max;
    bool set = qmig_config_set_uint(&a, i, value, &err);
    if (set != fits) {
        fail_msg("%s = %" PRIu64 ": setter %s (%s)", desc->name, value,
                 set ? "accepted" : "refused",
                 err ? qmig_error_message(err) : "no error");
    }
    qmig_error_free(err);
    err = NULL;
    if (!fits) {
        qmig_config_clear(&a);
        return; /* a narrower QAPI type: nothing to carry */
    }
    char *json = qmig_config_to_json(&a, false, &err);
    if (!json) {
        fail_msg("%s = %" PRIu64 ": encoding failed: %s", desc->name, value,
                 qmig_error_message(err));
    }
    /* The exact decimal text, as QEMU writes it. */
    char want[128];
    snprintf(want, sizeof(want), "\"parameters\": {\"%s\": %" PRIu64 "}",
             desc->name, value);
    if (!strstr(json, want)) {
        fail_msg("%s = %" PRIu64 ": %s lacks %s", desc->name, value, json,
                 want);
    }
    if (!qmig_config_from_json(&b, json, strlen(json), &err)) {
        fail_msg("%s = %" PRIu64 ": decoding %s failed: %s", desc->name,
                 value, json, qmig_error_message(err));
    }
    if (!qmig_config_param_present(&b, i) ||
        qmig_config_get_uint(&b, i) != value) {
        fail_msg("%s = %" PRIu64 ": decoded as %" PRIu64, desc->name, value,
                 qmig_config_get_uint(&b, i));
    }
    free(json);
    qmig_config_clear(&a);
    qmig_config_clear(&b);
}

static void test_every_uint_param_round_trips(void **state)
{
    (void)state;
    unsigned n_uint64 = 0;
    for (unsigned i = 0; i < qmig_migration_schema.n_params; i++) {
        const QmigParamDesc *desc = &qmig_migration_schema.params[i];
        if (desc->type != QMIG_VALUE_UINT) {
            continue;
        }
        if (desc->type_max == UINT64_MAX) {
            n_uint64++;
        }
        for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
            round_trip_one(i, values[k]);
        }
    }
    /* uint64 and size parameters exist (max-bandwidth, downtime-limit...). */
    assert_true(n_uint64 >= 3);
}

/* All UINT parameters at 2^64-1 (or their type's maximum) at once. */
static void test_all_at_once(void **state)
{
    (void)state;
    QmigMigrationConfig a, b;
    QmigError *err = NULL;
    qmig_migration_config_init(&a);
    qmig_migration_config_init(&b);
    for (unsigned i = 0; i < qmig_migration_schema.n_params; i++) {
        const QmigParamDesc *desc = &qmig_migration_schema.params[i];
        if (desc->type == QMIG_VALUE_UINT) {
            assert_true(qmig_config_set_uint(
                &a, i, desc->type_max ? desc->type_max : UINT64_MAX, &err));
        }
    }
    char *json = qmig_config_to_json(&a, true, &err);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"max-bandwidth\": 18446744073709551615"));
    assert_true(qmig_config_from_json(&b, json, strlen(json), &err));
    for (unsigned i = 0; i < qmig_migration_schema.n_params; i++) {
        const QmigParamDesc *desc = &qmig_migration_schema.params[i];
        if (desc->type == QMIG_VALUE_UINT &&
            qmig_config_get_uint(&a, i) != qmig_config_get_uint(&b, i)) {
            fail_msg("%s changed", desc->name);
        }
    }
    free(json);
    qmig_config_clear(&a);
    qmig_config_clear(&b);
}

/* Decode @json into a fresh configuration; expect @msg (NULL: success). */
static void decode(QmigMigrationConfig *c, const char *json, const char *msg)
{
    QmigError *err = NULL;
    qmig_migration_config_init(c);
    bool ok = qmig_config_from_json(c, json, strlen(json), &err);
    if (msg && ok) {
        fail_msg("%s: decoded, expected \"%s\"", json, msg);
    }
    if (!msg && !ok) {
        fail_msg("%s: %s", json, qmig_error_message(err));
    }
    if (msg && strcmp(qmig_error_message(err), msg) != 0) {
        fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"", json,
                 qmig_error_message(err), msg);
    }
    qmig_error_free(err);
}

static void check(const char *json, const char *msg)
{
    QmigMigrationConfig c;
    decode(&c, json, msg);
    qmig_config_clear(&c);
}

static uint64_t decode_uint(const char *json, const char *name)
{
    QmigMigrationConfig c;
    decode(&c, json, NULL);
    uint64_t v = qmig_config_get_uint(&c, (unsigned)param(name));
    assert_true(qmig_config_param_present(&c, (unsigned)param(name)));
    qmig_config_clear(&c);
    return v;
}

static void test_decode_like_qemu(void **state)
{
    (void)state;
    /* uint64 (downtime-limit) and size (max-bandwidth) members. */
    assert_true(decode_uint("{\"parameters\": {\"downtime-limit\": -1}}",
                            "downtime-limit") == UINT64_MAX);
    assert_true(decode_uint("{\"parameters\": {\"max-bandwidth\": -1}}",
                            "max-bandwidth") == UINT64_MAX);
    assert_true(decode_uint("{\"parameters\": {\"max-bandwidth\": "
                            "-9223372036854775808}}",
                            "max-bandwidth") == UINT64_C(1) << 63);
    assert_true(decode_uint("{\"parameters\": {\"max-bandwidth\": "
                            "18446744073709551615}}",
                            "max-bandwidth") == UINT64_MAX);
    assert_true(decode_uint("{\"parameters\": {\"max-bandwidth\": "
                            "9223372036854775808}}",
                            "max-bandwidth") == UINT64_C(1) << 63);
    /* -1 wraps to 2^64-1, which a uint8 cannot hold. */
    check("{\"parameters\": {\"multifd-channels\": -1}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint8_t");
    check("{\"parameters\": {\"multifd-channels\": 256}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint8_t");
    /* Anything but an integer: QEMU's uint64 visitor says "uint64",
     * for size members too. */
    static const char *const not_int[] = {"1.5", "1.0", "2e3", "\"str\"",
                                          "true", "null", "[]", "{}"};
    for (size_t i = 0; i < sizeof(not_int) / sizeof(not_int[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"parameters\": {\"max-bandwidth\": "
                                     "%s}}", not_int[i]);
        check(json, "parameters.max-bandwidth: Parameter 'max-bandwidth' "
                    "expects uint64");
        snprintf(json, sizeof(json), "{\"parameters\": "
                                     "{\"multifd-channels\": %s}}",
                 not_int[i]);
        check(json, "parameters.multifd-channels: Parameter "
                    "'multifd-channels' expects uint64");
    }
    /*
     * Above 2^64-1: QEMU reads a real and refuses it ("expects uint64"),
     * and so does qmig (json-c alone would clamp it to 2^64-1).
     */
    check("{\"parameters\": {\"max-bandwidth\": 18446744073709551616}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"downtime-limit\": "
          "99999999999999999999999999}}",
          "parameters.downtime-limit: Parameter 'downtime-limit' expects "
          "uint64");
    check("{\"parameters\": {\"multifd-channels\": "
          "18446744073709551616}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' expects "
          "uint64");
    /* Other member types. */
    check("{\"parameters\": {\"multifd-compression\": \"zstd2\"}}",
          "parameters.multifd-compression: Parameter 'multifd-compression' "
          "does not accept value 'zstd2'");
    check("{\"parameters\": {\"multifd-compression\": 1}}",
          "parameters.multifd-compression: Invalid parameter type for "
          "'multifd-compression', expected: string");
    check("{\"parameters\": {\"tls-hostname\": 1}}",
          "parameters.tls-hostname: expected string or null, got integer");
    check("{\"capabilities\": {\"multifd\": 1}}",
          "capabilities.multifd: expected boolean, got integer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_uint_param_round_trips),
        cmocka_unit_test(test_all_at_once),
        cmocka_unit_test(test_decode_like_qemu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
