/*
 * test-json.c - configurations to and from JSON (qmig/json.h): every
 * accepted form, round trips, exact encodings, and hostile input with
 * the exact error messages.
 */
#include "test-schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode @json, expect @msg (NULL: success), release everything. */
static void check(const char *json, const char *msg)
{
    TestConfig c;
    test_decode(&c, json, msg);
    qmig_config_clear(&c);
}

static char *encode(const TestConfig *c, bool with_defaults)
{
    QmigError *err = NULL;
    char *json = qmig_config_to_json(c, with_defaults, &err);
    if (!json) {
        fail_msg("encode failed: %s", qmig_error_message(err));
    }
    return json;
}

/* decode -> encode -> decode gives an equal configuration. */
static void round_trip(const char *json)
{
    TestConfig a, b;
    test_decode(&a, json, NULL);
    char *text = encode(&a, false);
    test_decode(&b, text, NULL);
    if (!test_config_equal(&a, &b)) {
        fail_msg("round trip of %s via %s changed it", json, text);
    }
    /* And the encoding is stable. */
    char *again = encode(&b, false);
    assert_string_equal(text, again);
    free(text);
    free(again);
    qmig_config_clear(&a);
    qmig_config_clear(&b);
}

static const char every_type[] =
    "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true},"
    " {\"state\": true, \"capability\": \"x-old\"}],"
    " \"parameters\": {\"multifd-channels\": 4,"
    " \"downtime-limit\": 9223372036854775807, \"x-int8\": -128,"
    " \"max-bandwidth\": 0, \"max-postcopy-bandwidth\": 5,"
    " \"xbzrle-cache-size\": 8192, \"compression\": \"zstd\","
    " \"block-incremental\": true, \"tls-creds\": \"creds\","
    " \"tls-hostname\": \"h\u00e9\", \"cpr-exec-command\": [\"a\", \"b c\"],"
    " \"block-bitmap-mapping\": [{\"node-name\": \"n\", \"bitmaps\": []}],"
    " \"x-big-enum\": \"v19\", \"x-upper\": -9223372036854775808},"
    " \"transport\": \"rdma\", \"side\": \"destination\"}";

/* --- accepted forms ---------------------------------------------------- */

static void test_decode_empty_object(void **state)
{
    (void)state;
    TestConfig c, fresh;
    test_decode(&c, " {} ", NULL);
    test_config_init(&fresh);
    assert_true(test_config_equal(&c, &fresh));
    test_decode(&c, "{\"capabilities\": [], \"parameters\": {}}", NULL);
    assert_true(test_config_equal(&c, &fresh));
    test_decode(&c, "{\"capabilities\": {}}", NULL);
    assert_true(test_config_equal(&c, &fresh));
}

static void test_decode_every_type(void **state)
{
    (void)state;
    TestConfig c;
    test_decode(&c, every_type, NULL);
    assert_true(qmig_capset_has(&c.header.caps, CAP_MULTIFD));
    assert_true(qmig_capset_has(&c.header.caps, CAP_X_OLD));
    assert_int_equal(qmig_capset_count(&c.header.caps), 2);
    assert_true(c.header.has_transport);
    assert_int_equal(c.header.transport, QMIG_TRANSPORT_RDMA);
    assert_true(c.header.has_side);
    assert_int_equal(c.header.side, QMIG_SIDE_DESTINATION);
    assert_int_equal(c.channels, 4);
    assert_int_equal(c.downtime, INT64_MAX);
    assert_int_equal(c.int8, -128);
    assert_true(c.has_max_bw);
    assert_int_equal(c.max_bw, 0);
    assert_int_equal(c.pc_bw, 5);
    assert_int_equal(c.cache, 8192);
    assert_int_equal(c.compress, 2);
    assert_true(c.block);
    assert_string_equal(c.tls_creds, "creds");
    assert_string_equal(c.tls_host, "h\xc3\xa9");
    assert_int_equal(c.exec_cmd.len, 2);
    assert_string_equal(c.exec_cmd.items[0], "a");
    assert_string_equal(c.exec_cmd.items[1], "b c");
    assert_string_equal(c.mapping, "[{\"node-name\":\"n\",\"bitmaps\":[]}]");
    assert_int_equal(c.big_enum, 19);
    assert_int_equal(c.upper, INT64_MIN);
    for (unsigned i = 0; i < N_PARAMS; i++) {
        assert_true(qmig_config_param_present(&c, i));
    }
    qmig_config_clear(&c);
}

static void test_decode_updates_in_place(void **state)
{
    (void)state;
    TestConfig c;
    QmigError *err = NULL;
    test_decode(&c, every_type, NULL);
    /* Capabilities named are set or cleared, others stay; parameters
     * named are replaced (old strings freed), others stay. */
    const char *update =
        "{\"capabilities\": {\"multifd\": false, \"postcopy-ram\": true},"
        " \"parameters\": {\"tls-creds\": null, \"cpr-exec-command\": [],"
        " \"block-bitmap-mapping\": {\"b\": 1, \"a\": [true, null, 1.5]},"
        " \"tls-hostname\": \"\"}, \"side\": \"source\"}";
    assert_true(qmig_config_from_json(&c, update, strlen(update), &err));
    assert_false(qmig_capset_has(&c.header.caps, CAP_MULTIFD));
    assert_true(qmig_capset_has(&c.header.caps, CAP_POSTCOPY));
    assert_true(qmig_capset_has(&c.header.caps, CAP_X_OLD));
    assert_string_equal(c.tls_creds, ""); /* null reads as "" */
    assert_true(c.has_exec_cmd);
    assert_int_equal(c.exec_cmd.len, 0);
    assert_string_equal(c.mapping, "{\"b\":1,\"a\":[true,null,1.5]}");
    assert_string_equal(c.tls_host, "");
    assert_int_equal(c.header.side, QMIG_SIDE_SOURCE);
    assert_int_equal(c.header.transport, QMIG_TRANSPORT_RDMA);
    assert_int_equal(c.channels, 4);
    qmig_config_clear(&c);
}

static void test_decode_capability_forms(void **state)
{
    (void)state;
    TestConfig a, b;
    test_decode(&a,
                "{\"capabilities\": [{\"capability\": \"return-path\", "
                "\"state\": true}, {\"capability\": \"multifd\", \"state\": "
                "true}, {\"capability\": \"multifd\", \"state\": false}]}",
                NULL);
    test_decode(&b, "{\"capabilities\": {\"return-path\": true, "
                    "\"zero-copy-send\": false}}",
                NULL);
    assert_true(test_config_equal(&a, &b));
    assert_int_equal(qmig_capset_count(&a.header.caps), 1);
    assert_true(qmig_capset_has(&a.header.caps, CAP_RETURN_PATH));
}

static void test_decode_metadata_range_is_not_an_error(void **state)
{
    (void)state;
    TestConfig c;
    QmigViolations v;
    /* Outside the metadata range but inside the QAPI type: decodes. */
    test_decode(&c,
                "{\"parameters\": {\"multifd-channels\": 255, "
                "\"compression\": \"qpl\", \"xbzrle-cache-size\": 3}}",
                NULL);
    assert_false(qmig_config_validate(&c, &v));
    assert_int_equal(v.count, 3);
    qmig_config_clear(&c);
}

static void test_decode_every_transport(void **state)
{
    (void)state;
    for (int t = 0; t < QMIG_TRANSPORT__MAX; t++) {
        char json[64];
        TestConfig c;
        snprintf(json, sizeof(json), "{\"transport\": \"%s\"}",
                 qmig_transport_name((QmigTransport)t));
        test_decode(&c, json, NULL);
        assert_int_equal(c.header.transport, t);
    }
}

/* --- encoding ---------------------------------------------------------- */

static void test_encode_fresh(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    char *json = encode(&c, false);
    assert_string_equal(
        json, "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": "
              "false}, {\"capability\": \"postcopy-ram\", \"state\": false}, "
              "{\"capability\": \"zero-copy-send\", \"state\": false}, "
              "{\"capability\": \"return-path\", \"state\": false}, "
              "{\"capability\": \"x-old\", \"state\": false}], "
              "\"parameters\": {}}");
    free(json);
}

static void test_encode_with_defaults(void **state)
{
    (void)state;
    TestConfig c;
    test_decode(&c,
                "{\"capabilities\": {\"multifd\": true}, \"parameters\": "
                "{\"x-int8\": 7, \"tls-hostname\": \"h\"}, \"side\": "
                "\"source\", \"transport\": \"tcp\"}",
                NULL);
    char *json = encode(&c, true);
    /* Schema order; absent parameters without default are left out. */
    assert_string_equal(
        json, "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": "
              "true}, {\"capability\": \"postcopy-ram\", \"state\": false}, "
              "{\"capability\": \"zero-copy-send\", \"state\": false}, "
              "{\"capability\": \"return-path\", \"state\": false}, "
              "{\"capability\": \"x-old\", \"state\": false}], "
              "\"parameters\": {\"multifd-channels\": 2, \"downtime-limit\": "
              "300, \"x-int8\": 7, \"max-bandwidth\": 1000, "
              "\"xbzrle-cache-size\": 67108864, \"compression\": \"none\", "
              "\"block-incremental\": false, \"tls-creds\": \"\", "
              "\"tls-hostname\": \"h\", \"cpr-exec-command\": []}, "
              "\"transport\": \"tcp\", \"side\": \"source\"}");
    free(json);
    json = encode(&c, false);
    assert_non_null(strstr(json, "\"parameters\": {\"x-int8\": 7, "
                                 "\"tls-hostname\": \"h\"}, "));
    free(json);
    /* Defaults applied, then encoded without defaults: the same text. */
    qmig_config_apply_defaults(&c);
    json = encode(&c, false);
    char *with = encode(&c, true);
    assert_string_equal(json, with);
    free(json);
    free(with);
    qmig_config_clear(&c);
}

static void test_encode_errors(void **state)
{
    (void)state;
    TestConfig c;
    QmigError *err = NULL;
    test_config_init(&c);
    /* Every uint64 value goes out exactly (it failed with jansson). */
    assert_true(qmig_config_set_uint(&c, P_DOWNTIME, UINT64_MAX, &err));
    char *text = encode(&c, false);
    assert_non_null(strstr(text, "\"parameters\": {\"downtime-limit\": "
                                 "18446744073709551615}"));
    free(text);
    qmig_config_clear(&c);

    /* Values written by hand that no decoder would produce. */
    c.has_compress = true;
    c.compress = 9;
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "parameters.compression: invalid enum value 9");
    qmig_config_clear(&c);

    c.has_tls_host = true;
    c.tls_host = strdup("\xff");
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "parameters.tls-hostname: not a valid UTF-8 "
                           "string");
    qmig_config_clear(&c);

    c.has_exec_cmd = true;
    c.exec_cmd.items = calloc(2, sizeof(char *));
    c.exec_cmd.items[0] = strdup("ok");
    c.exec_cmd.items[1] = strdup("bad\xc3");
    c.exec_cmd.len = 2;
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "parameters.cpr-exec-command[1]: not a valid "
                           "UTF-8 string");
    qmig_config_clear(&c);

    c.has_mapping = true;
    c.mapping = strdup("{");
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "parameters.block-bitmap-mapping: stored value is "
                           "not valid JSON: invalid JSON at line 1, column 2: "
                           "unexpected end of input");
    qmig_config_clear(&c);

    c.header.has_transport = true;
    c.header.transport = QMIG_TRANSPORT__MAX;
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "transport: invalid value 7");
    c.header.has_transport = false;
    c.header.has_side = true;
    c.header.side = QMIG_SIDE_MATCH;
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "side: invalid value 3");
    assert_null(qmig_config_to_json(&c, false, NULL));

    TestConfig zero;
    memset(&zero, 0, sizeof(zero));
    assert_null(qmig_config_to_json(&zero, false, &err));
    test_expect_error(&err, "configuration not initialised");
    assert_null(qmig_config_to_json(NULL, false, &err));
    test_expect_error(&err, "configuration not initialised");
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip("{}");
    round_trip(every_type);
    round_trip("{\"parameters\": {\"tls-creds\": null}}");
    round_trip("{\"parameters\": {\"block-bitmap-mapping\": null}}");
    round_trip("{\"parameters\": {\"block-bitmap-mapping\": "
               "{\"z\": {\"y\": [1, -2.5e-3, \"\\u0001x\"]}, \"a\": 1}}}");
    round_trip("{\"parameters\": {\"tls-hostname\": \"quote\\\" back\\\\ "
               "nl\\n tab\\t \\u00e9 \\ud83d\\ude00\"}}");
    round_trip("{\"capabilities\": {\"x-old\": true}, \"side\": \"source\"}");
    round_trip("{\"parameters\": {\"x-upper\": 9223372036854775807, "
               "\"x-int8\": 127, \"multifd-channels\": 0}}");
    round_trip("{\"migrate-channels\": [\"main\", \"wrapped\"]}");
    round_trip("{\"migrate-channels\": [\"main\"]}");
    round_trip("{\"transport\": \"unix\", \"side\": \"source\", "
               "\"migrate-channels\": [\"main\", \"wrapped\"]}");
}

/*
 * "migrate-channels": the channel types migrate was given, a bit per
 * channel of the schema; without the key, migrate was given a 'uri'.
 */
static void test_migrate_channels(void **state)
{
    (void)state;
    TestConfig c;
    test_decode(&c, "{\"transport\": \"tcp\"}", NULL);
    assert_false(c.header.has_migrate_channels);
    assert_int_equal(c.header.migrate_channels, 0);
    char *json = encode(&c, false);
    assert_null(strstr(json, "migrate-channels"));
    free(json);
    qmig_config_clear(&c);

    /* Any order in; schema order out, once per type. */
    test_decode(&c, "{\"migrate-channels\": [\"wrapped\", \"main\"]}",
                NULL);
    assert_true(c.header.has_migrate_channels);
    assert_int_equal(c.header.migrate_channels,
                     (1u << CH_MAIN) | (1u << CH_WRAPPED));
    json = encode(&c, false);
    assert_non_null(strstr(json, "\"migrate-channels\": [\"main\", "
                                 "\"wrapped\"]}"));
    free(json);
    qmig_config_clear(&c);

    /* A later decode without the key leaves them; with it, replaces. */
    QmigError *err = NULL;
    test_decode(&c, "{\"migrate-channels\": [\"main\", \"wrapped\"]}",
                NULL);
    const char *update = "{\"side\": \"source\"}";
    assert_true(qmig_config_from_json(&c, update, strlen(update), &err));
    assert_true(c.header.has_migrate_channels);
    assert_int_equal(c.header.migrate_channels,
                     (1u << CH_MAIN) | (1u << CH_WRAPPED));
    update = "{\"migrate-channels\": [\"main\"]}";
    assert_true(qmig_config_from_json(&c, update, strlen(update), &err));
    assert_int_equal(c.header.migrate_channels, 1u << CH_MAIN);
    qmig_config_clear(&c);

    /* As QEMU's migrate: one main channel, each type once. */
    check("{\"migrate-channels\": []}",
          "migrate-channels: no 'main' channel");
    check("{\"migrate-channels\": [\"wrapped\"]}",
          "migrate-channels: no 'main' channel");
    check("{\"migrate-channels\": [\"main\", \"main\"]}",
          "migrate-channels[1]: more than one 'main' channel");
    /* A channel of the plan that migrate cannot name. */
    check("{\"migrate-channels\": [\"main\", \"multifd\"]}",
          "migrate-channels[1]: unknown channel type 'multifd'");
    check("{\"migrate-channels\": \"main\"}",
          "migrate-channels: expected array, got string");
    check("{\"migrate-channels\": null}",
          "migrate-channels: expected array, got null");
    check("{\"migrate-channels\": {\"main\": true}}",
          "migrate-channels: expected array, got object");
    check("{\"migrate-channels\": [\"main\", 1]}",
          "migrate-channels[1]: expected string, got integer");
    check("{\"migrate-channels\": [null]}",
          "migrate-channels[0]: expected string, got null");
    check("{\"migrate-channels\": [\"main\", \"cpr\"]}",
          "migrate-channels[1]: unknown channel type 'cpr'");
    check("{\"migrate-channels\": [\"Main\"]}",
          "migrate-channels[0]: unknown channel type 'Main'");
}

/* --- rejected input ---------------------------------------------------- */

static void test_reject_malformed(void **state)
{
    (void)state;
    check("", "empty JSON document");
    check(" \n\t\r ", "empty JSON document");
    /* json-c's words; the position is where json-c stopped (the end of
     * the text for an unfinished document). */
    check("{", "invalid JSON at line 1, column 2: unexpected end of input");
    check("{\"parameters\": {\"x-int8\": 1}",
          "invalid JSON at line 1, column 29: unexpected end of input");
    /* Trailing text. */
    check("{} {}",
          "invalid JSON at line 1, column 4: unexpected character '{'");
    check("{}\n x",
          "invalid JSON at line 2, column 2: unexpected character 'x'");
    check("{\"a\" 1}", "invalid JSON at line 1, column 6: expected ':' "
                       "after a member name");
    check("{\n  \"parameters\": {\n    \"x-int8\": 1,\n  }\n}",
          "invalid JSON at line 4, column 3: unexpected character '}'");
    /* json-c reads single-quoted keys (a known limitation), but not
     * single-quoted values. */
    check("{'side': 'source'}", "invalid JSON at line 1, column 10: "
                                "unexpected character '\''");
    check("\xef\xbb\xbf{}", "invalid JSON at line 1, column 1: invalid "
                            "UTF-8");
    check("[]", "expected a JSON object, got array");
    check("1", "expected a JSON object, got integer");
    check("\"x\"", "expected a JSON object, got string");
    check("null", "expected a JSON object, got null");
}

/* Decode @json, which must succeed, into @c (cleared by the caller). */
static void decode_ok(TestConfig *c, const char *json)
{
    test_decode(c, json, NULL);
}

static void test_reject_numbers(void **state)
{
    (void)state;
    TestConfig c;
    /* Type errors give QEMU's words (qobject-input-visitor.c). */
    check("{\"parameters\": {\"x-upper\": 1.5}}",
          "parameters.x-upper: Invalid parameter type for 'x-upper', "
          "expected: integer");
    check("{\"parameters\": {\"x-upper\": 1.0}}",
          "parameters.x-upper: Invalid parameter type for 'x-upper', "
          "expected: integer");
    /* Above int64 (QEMU: a uint64 number, which an int64 member refuses). */
    check("{\"parameters\": {\"x-upper\": 9223372036854775808}}",
          "parameters.x-upper: Invalid parameter type for 'x-upper', "
          "expected: integer");
    check("{\"parameters\": {\"x-upper\": 99999999999999999999999}}",
          "parameters.x-upper: Invalid parameter type for 'x-upper', "
          "expected: integer");
    check("{\"parameters\": {\"multifd-channels\": 2e0}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint64");
    /* The QAPI type's range: QEMU's visit_type_uint8() and friends. */
    check("{\"parameters\": {\"multifd-channels\": 256}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint8_t");
    /* Negative values wrap to 2^64 + value, as in QEMU: out of uint8. */
    check("{\"parameters\": {\"multifd-channels\": -1}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint8_t");
    check("{\"parameters\": {\"x-int8\": 128}}",
          "parameters.x-int8: Parameter 'x-int8' expects int8_t");
    check("{\"parameters\": {\"x-int8\": -129}}",
          "parameters.x-int8: Parameter 'x-int8' expects int8_t");
    /* Reals json-c reads but JSON has not. */
    check("{\"parameters\": {\"x-upper\": 1e400}}",
          "invalid JSON: '1e400' is not a finite number");
    check("{\"parameters\": {\"x-int8\": NaN}}",
          "invalid JSON: 'NaN' is not a finite number");
    check("{\"parameters\": {\"x-int8\": -Infinity}}",
          "invalid JSON: '-Infinity' is not a finite number");
    check("{\"parameters\": {\"x-int8\": 01}}",
          "invalid JSON at line 1, column 29: invalid number");

    /* uint64 members hold [0, 2^64-1] exactly. */
    decode_ok(&c, "{\"parameters\": {\"downtime-limit\": "
                  "18446744073709551615, \"max-bandwidth\": "
                  "9223372036854775808}}");
    assert_true(c.downtime == UINT64_MAX);
    assert_true(c.max_bw == UINT64_C(9223372036854775808));
    qmig_config_clear(&c);
    /* -2^63 wraps to 2^63. */
    decode_ok(&c, "{\"parameters\": {\"downtime-limit\": "
                  "-9223372036854775808}}");
    assert_true(c.downtime == UINT64_C(9223372036854775808));
    qmig_config_clear(&c);
    /*
     * Integers beyond [-2^63, 2^64-1] are reals, as QEMU's parser reads
     * them (json-c alone would clamp them to those bounds), so integer
     * members refuse them with QEMU's texts.
     */
    check("{\"parameters\": {\"max-bandwidth\": 18446744073709551616}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"x-upper\": -99999999999999999999999}}",
          "parameters.x-upper: Invalid parameter type for 'x-upper', "
          "expected: integer");
    /* Only the integer that overflows is a real; the others stay exact. */
    decode_ok(&c, "{\"parameters\": {\"downtime-limit\": "
                  "18446744073709551615, \"max-bandwidth\": 0}}");
    assert_true(c.downtime == UINT64_MAX);
    qmig_config_clear(&c);
    check("{\"parameters\": {\"downtime-limit\": 18446744073709551615, "
          "\"max-bandwidth\": 100000000000000000000000}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    /* Never more overflows than can be noted: refused, not clamped. */
    {
        char doc[4096] = "{\"list\": [";
        for (int i = 0; i < 65; i++) {
            strcat(doc, i ? ", 99999999999999999999" : "99999999999999999999");
        }
        strcat(doc, "]}");
        check(doc, "invalid JSON: more than 64 integers beyond the 64-bit "
                   "ranges");
    }
    /* Digits inside strings and reals are left alone. */
    check("{\"parameters\": {\"tls-hostname\": "
          "\"18446744073709551616\", \"max-bandwidth\": 1e400}}",
          "invalid JSON: '1e400' is not a finite number");
}

static void test_uint64_semantics(void **state)
{
    (void)state;
    TestConfig c;
    /* -1 is 2^64-1 for a uint64 member (QEMU's backward compatibility). */
    decode_ok(&c, "{\"parameters\": {\"max-bandwidth\": -1}}");
    assert_true(c.has_max_bw);
    assert_true(c.max_bw == UINT64_MAX);
    qmig_config_clear(&c);
    /* Non-integers for a uint64 member. */
    check("{\"parameters\": {\"max-bandwidth\": 1.5}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"max-bandwidth\": 1.0}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"max-bandwidth\": \"str\"}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"max-bandwidth\": true}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    check("{\"parameters\": {\"max-bandwidth\": {}}}",
          "parameters.max-bandwidth: Parameter 'max-bandwidth' expects "
          "uint64");
    /* And for an int member. */
    check("{\"parameters\": {\"x-int8\": \"str\"}}",
          "parameters.x-int8: Invalid parameter type for 'x-int8', "
          "expected: integer");
    check("{\"parameters\": {\"x-int8\": true}}",
          "parameters.x-int8: Invalid parameter type for 'x-int8', "
          "expected: integer");
    check("{\"parameters\": {\"x-int8\": [1]}}",
          "parameters.x-int8: Invalid parameter type for 'x-int8', "
          "expected: integer");
}

static void test_json_c_limitations(void **state)
{
    (void)state;
    TestConfig c;
    /*
     * Known json-c 0.16 limitations (docs/qmig-validate.rst): duplicate
     * keys are accepted and the last value wins (jansson and QEMU refuse
     * them), at any level.
     */
    decode_ok(&c, "{\"side\": \"source\", \"side\": \"destination\"}");
    assert_int_equal(c.header.side, QMIG_SIDE_DESTINATION);
    qmig_config_clear(&c);
    decode_ok(&c, "{\"parameters\": {\"x-int8\": 1, \"x-int8\": 2}}");
    assert_int_equal(c.int8, 2);
    qmig_config_clear(&c);
    decode_ok(&c, "{\"parameters\": {\"block-bitmap-mapping\": "
                  "{\"a\": 1, \"a\": 2}}}");
    assert_string_equal(c.mapping, "{\"a\":2}");
    qmig_config_clear(&c);
    /* Single-quoted keys and raw control characters in strings. */
    decode_ok(&c, "{'side': \"source\"}");
    assert_int_equal(c.header.side, QMIG_SIDE_SOURCE);
    qmig_config_clear(&c);
    decode_ok(&c, "{\"parameters\": {\"tls-hostname\": \"a\tb\"}}");
    assert_string_equal(c.tls_host, "a\tb");
    qmig_config_clear(&c);
    /* A lone surrogate escape becomes U+FFFD. */
    decode_ok(&c, "{\"parameters\": {\"tls-hostname\": \"\\ud800\"}}");
    assert_string_equal(c.tls_host, "\xef\xbf\xbd");
    qmig_config_clear(&c);
    /* Reals are written back in json-c's "%.17g" form, always JSON. */
    decode_ok(&c, "{\"parameters\": {\"block-bitmap-mapping\": "
                  "[1., 2e0, -2.5e-3, 0.5]}}");
    assert_string_equal(c.mapping, "[1.0,2.0,-0.0025000000000000001,0.5]");
    qmig_config_clear(&c);
}

static void test_reject_deep_nesting(void **state)
{
    (void)state;
    enum { n = 100000 };
    /* Room for every case below: 5 bytes per level at most. */
    static char text[5 * n + 1];
    const char *head = "{\"parameters\": {\"block-bitmap-mapping\": ";
    size_t hl = strlen(head);
    memcpy(text, head, hl);
    memset(text + hl, '[', n);
    memset(text + hl + n, ']', n);
    memcpy(text + hl + 2 * n, "}}", 3);
    check(text, "invalid JSON at line 1, column 2087: nested too deeply "
          "(more than 2048 levels of arrays and objects)");
    /* Objects too, and at the top. */
    memset(text, '[', 2 * n);
    text[2 * n] = '\0';
    check(text, "invalid JSON at line 1, column 2049: nested too deeply "
          "(more than 2048 levels of arrays and objects)");
    for (size_t i = 0; i < (size_t)n; i++) {
        memcpy(text + 5 * i, "{\"a\":", 5);
    }
    text[5 * n] = '\0';
    check(text, "invalid JSON at line 1, column 10241: nested too deeply "
          "(more than 2048 levels of arrays and objects)");
}

static void test_reject_encoding(void **state)
{
    (void)state;
    check("{\"parameters\": {\"tls-hostname\": \"\xff\"}}",
          "invalid JSON at line 1, column 34: invalid UTF-8");
    check("{\"parameters\": {\"tls-hostname\": \"\xc3\"}}",
          "invalid JSON at line 1, column 35: invalid UTF-8");
    /* Surrogates encoded in UTF-8 pass json-c's check, not qmig's. */
    check("{\"\xed\xa0\x80\": 1}", "invalid JSON: a key is not valid UTF-8");
    check("{\"parameters\": {\"tls-hostname\": \"\xed\xa0\x80\"}}",
          "invalid JSON: a string is not valid UTF-8");
    /* json-c reads \u0000; the C strings of a configuration cannot. */
    check("{\"parameters\": {\"tls-hostname\": \"a\\u0000b\"}}",
          "invalid JSON at line 1, column 35: string contains a NUL "
          "character (\\u0000)");
    check("{\"parameters\": {\"block-bitmap-mapping\": [\"\\u0000\"]}}",
          "invalid JSON at line 1, column 43: string contains a NUL "
          "character (\\u0000)");
    /* An escaped backslash before "u0000" is no NUL character. */
    check("{\"parameters\": {\"tls-hostname\": \"\\\\u0000\"}}", NULL);
}

static void check_len(const char *text, size_t len, const char *msg)
{
    TestConfig c;
    QmigError *err = NULL;
    test_config_init(&c);
    assert_false(qmig_config_from_json(&c, text, len, &err));
    test_expect_error(&err, msg);
    qmig_config_clear(&c);
}

static void test_reject_nul_bytes(void **state)
{
    (void)state;
    static const char a[] = "{\"side\": \"sou\0rce\"}";
    check_len(a, sizeof(a) - 1,
              "invalid JSON at line 1, column 14: NUL byte "
              "(JSON text cannot contain one)");
    static const char b[] = "{}\n\n  \0";
    check_len(b, sizeof(b) - 1, "invalid JSON at line 3, column 3: NUL byte "
              "(JSON text cannot contain one)");
    static const char c[] = "\0{}";
    check_len(c, sizeof(c) - 1, "invalid JSON at line 1, column 1: NUL byte "
              "(JSON text cannot contain one)");
    /* @len counts: a valid prefix of a longer buffer is fine. */
    TestConfig cfg;
    QmigError *err = NULL;
    test_config_init(&cfg);
    assert_true(qmig_config_from_json(&cfg, "{}garbage", 2, &err));
    assert_true(qmig_config_from_json(&cfg, NULL, 0, NULL) == false);
    check_len(NULL, 0, "empty JSON document");
    check_len(NULL, 5, "no JSON text");
}

static void test_reject_top_level(void **state)
{
    (void)state;
    check("{\"capabilities\": [], \"params\": {}}",
          "unknown top-level key 'params' (expected capabilities, "
          "parameters, transport, side or migrate-channels)");
    check("{\"transport\": \"tcp6\"}",
          "transport: unknown transport 'tcp6' (expected one of: tcp, unix, "
          "vsock, fd, exec, rdma, file)");
    check("{\"transport\": 1}", "transport: expected string, got integer");
    check("{\"transport\": null}", "transport: expected string, got null");
    check("{\"side\": \"both\"}",
          "side: unknown side 'both' (expected 'source' or 'destination')");
    check("{\"side\": \"src\"}",
          "side: unknown side 'src' (expected 'source' or 'destination')");
    check("{\"side\": true}", "side: expected string, got boolean");

    TestConfig zero;
    QmigError *err = NULL;
    memset(&zero, 0, sizeof(zero));
    assert_false(qmig_config_from_json(&zero, "{}", 2, &err));
    test_expect_error(&err, "configuration not initialised");
}

static void test_reject_capabilities(void **state)
{
    (void)state;
    check("{\"capabilities\": \"multifd\"}",
          "capabilities: expected array or object, got string");
    check("{\"capabilities\": [\"multifd\"]}",
          "capabilities[0]: expected object, got string");
    check("{\"capabilities\": [{\"capability\": \"multifd\", \"state\": "
          "true}, {\"state\": true}]}",
          "capabilities[1]: missing member 'capability'");
    check("{\"capabilities\": [{\"capability\": \"multifd\"}]}",
          "capabilities[0]: missing member 'state'");
    check("{\"capabilities\": [{}]}",
          "capabilities[0]: missing member 'capability'");
    check("{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true, "
          "\"enabled\": true}]}",
          "capabilities[0]: unknown member 'enabled' (expected 'capability' "
          "and 'state')");
    check("{\"capabilities\": [{\"capability\": \"multi-fd\", \"state\": "
          "true}]}",
          "capabilities[0].capability: unknown capability 'multi-fd'");
    check("{\"capabilities\": [{\"capability\": 1, \"state\": true}]}",
          "capabilities[0].capability: expected string, got integer");
    check("{\"capabilities\": [{\"capability\": \"multifd\", \"state\": "
          "\"on\"}]}",
          "capabilities[0].state: expected boolean, got string");
    check("{\"capabilities\": {\"multifd\": 1}}",
          "capabilities.multifd: expected boolean, got integer");
    check("{\"capabilities\": {\"nope\": true}}",
          "capabilities.nope: unknown capability 'nope'");
    check("{\"capabilities\": {\"\": true}}",
          "capabilities.: unknown capability ''");
}

static void test_reject_parameters(void **state)
{
    (void)state;
    check("{\"parameters\": []}", "parameters: expected object, got array");
    check("{\"parameters\": {\"multifd\": 1}}",
          "parameters.multifd: unknown parameter");
    /* Parameter type errors: "parameters.NAME: " and QEMU's words. */
    check("{\"parameters\": {\"block-incremental\": \"true\"}}",
          "parameters.block-incremental: Invalid parameter type for "
          "'block-incremental', expected: boolean");
    check("{\"parameters\": {\"block-incremental\": 1}}",
          "parameters.block-incremental: Invalid parameter type for "
          "'block-incremental', expected: boolean");
    check("{\"parameters\": {\"x-int8\": \"1\"}}",
          "parameters.x-int8: Invalid parameter type for 'x-int8', "
          "expected: integer");
    check("{\"parameters\": {\"x-int8\": true}}",
          "parameters.x-int8: Invalid parameter type for 'x-int8', "
          "expected: integer");
    check("{\"parameters\": {\"multifd-channels\": null}}",
          "parameters.multifd-channels: Parameter 'multifd-channels' "
          "expects uint64");
    check("{\"parameters\": {\"compression\": 1}}",
          "parameters.compression: Invalid parameter type for "
          "'compression', expected: string");
    check("{\"parameters\": {\"compression\": \"ZSTD\"}}",
          "parameters.compression: Parameter 'compression' does not accept "
          "value 'ZSTD'");
    check("{\"parameters\": {\"x-big-enum\": \"v\"}}",
          "parameters.x-big-enum: Parameter 'x-big-enum' does not accept "
          "value 'v'");
    check("{\"parameters\": {\"tls-hostname\": null}}",
          "parameters.tls-hostname: Invalid parameter type for "
          "'tls-hostname', expected: string");
    check("{\"parameters\": {\"tls-hostname\": []}}",
          "parameters.tls-hostname: Invalid parameter type for "
          "'tls-hostname', expected: string");
    check("{\"parameters\": {\"tls-creds\": 0}}",
          "parameters.tls-creds: expected string or null, got integer");
    check("{\"parameters\": {\"cpr-exec-command\": \"ls\"}}",
          "parameters.cpr-exec-command: Invalid parameter type for "
          "'cpr-exec-command', expected: array");
    check("{\"parameters\": {\"cpr-exec-command\": [\"ls\", \"-l\", 3]}}",
          "parameters.cpr-exec-command[2]: Invalid parameter type for "
          "'cpr-exec-command[2]', expected: string");
    check("{\"parameters\": {\"cpr-exec-command\": [null]}}",
          "parameters.cpr-exec-command[0]: Invalid parameter type for "
          "'cpr-exec-command[0]', expected: string");
    /* The first error in document order wins. */
    check("{\"parameters\": {\"x-int8\": 1, \"nope\": 1, \"x-upper\": "
          "\"x\"}, \"side\": 1}",
          "parameters.nope: unknown parameter");
}

static void test_error_conventions(void **state)
{
    (void)state;
    TestConfig c;
    test_config_init(&c);
    /* errp NULL: failure still reported by the return value. */
    assert_false(qmig_config_from_json(&c, "{\"x\": 1}", 8, NULL));
    assert_false(qmig_config_from_json(&c, "{", 1, NULL));
    /* On a partial update nothing leaks (the clear releases it). */
    const char *partial = "{\"parameters\": {\"tls-hostname\": \"kept\", "
                          "\"cpr-exec-command\": [\"a\"], \"x-int8\": 999}}";
    QmigError *err = NULL;
    assert_false(qmig_config_from_json(&c, partial, strlen(partial), &err));
    test_expect_error(&err, "parameters.x-int8: Parameter 'x-int8' expects "
                           "int8_t");
    assert_string_equal(c.tls_host, "kept");
    qmig_config_clear(&c);
}

/* qmig_json_check(): libqmig's JSON rules and words for any document. */
static void test_json_check(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[1, {\"a\": null}]", NULL},
        {"\"\\\\u0000\"", NULL},
        {"[1,\n 2", "invalid JSON at line 2, column 3: unexpected end of "
                    "input"},
        {"{\"a\" 1}", "invalid JSON at line 1, column 6: expected ':' after "
                     "a member name"},
        {"{\"a\": 1 \"b\": 2}", "invalid JSON at line 1, column 9: "
                                "expected ',' or '}' after a member value"},
        {"[1 2]", "invalid JSON at line 1, column 4: expected ',' or ']' "
                  "after an array element"},
        {"{1: 2}", "invalid JSON at line 1, column 2: expected a member name "
                   "(a string in double quotes)"},
        {"[tru]", "invalid JSON at line 1, column 5: invalid literal "
                  "(expected true, false or null)"},
        {"[\"\\q\"]", "invalid JSON at line 1, column 4: invalid escape "
                       "sequence in a string"},
        {"{\"a\":\n  \"x\\u0000\"}", "invalid JSON at line 2, column 5: "
                                   "string contains a NUL character "
                                   "(\\u0000)"},
        {"[1e999]", "invalid JSON: '1e999' is not a finite number"},
        {"", "empty JSON document"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        QmigError *err = NULL;
        bool ok = qmig_json_check(cases[i].text, strlen(cases[i].text), &err);
        if (!cases[i].msg) {
            assert_true(ok);
            assert_null(err);
            continue;
        }
        assert_false(ok);
        assert_non_null(err);
        assert_string_equal(qmig_error_message(err), cases[i].msg);
        /* Our words, never json-c's. */
        assert_null(strstr(qmig_error_message(err), "json"));
        qmig_error_free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_empty_object),
        cmocka_unit_test(test_decode_every_type),
        cmocka_unit_test(test_decode_updates_in_place),
        cmocka_unit_test(test_decode_capability_forms),
        cmocka_unit_test(test_decode_metadata_range_is_not_an_error),
        cmocka_unit_test(test_decode_every_transport),
        cmocka_unit_test(test_encode_fresh),
        cmocka_unit_test(test_encode_with_defaults),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_migrate_channels),
        cmocka_unit_test(test_reject_malformed),
        cmocka_unit_test(test_reject_numbers),
        cmocka_unit_test(test_reject_deep_nesting),
        cmocka_unit_test(test_uint64_semantics),
        cmocka_unit_test(test_json_c_limitations),
        cmocka_unit_test(test_reject_encoding),
        cmocka_unit_test(test_reject_nul_bytes),
        cmocka_unit_test(test_reject_top_level),
        cmocka_unit_test(test_reject_capabilities),
        cmocka_unit_test(test_reject_parameters),
        cmocka_unit_test(test_error_conventions),
        cmocka_unit_test(test_json_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
