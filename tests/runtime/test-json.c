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
    /* jansson integers are signed: larger uint64 values cannot go out. */
    assert_true(qmig_config_set_uint(&c, P_DOWNTIME, UINT64_MAX, &err));
    assert_null(qmig_config_to_json(&c, false, &err));
    test_expect_error(&err, "parameters.downtime-limit: value "
                           "18446744073709551615 exceeds the JSON integer "
                           "range (at most 9223372036854775807)");
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
                           "not valid JSON: string or '}' expected near end "
                           "of file");
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
}

/* --- rejected input ---------------------------------------------------- */

static void test_reject_malformed(void **state)
{
    (void)state;
    check("", "empty JSON document");
    check(" \n\t\r ", "empty JSON document");
    check("{", "invalid JSON at line 1, column 1: string or '}' expected "
               "near end of file");
    check("{\"parameters\": {\"x-int8\": 1}",
          "invalid JSON at line 1, column 28: '}' expected near end of file");
    check("{} {}", "invalid JSON at line 1, column 4: end of file expected "
                   "near '{'");
    check("{\"a\" 1}", "invalid JSON at line 1, column 6: ':' expected near "
                       "'1'");
    check("{\n  \"parameters\": {\n    \"x-int8\": 1,\n  }\n}",
          "invalid JSON at line 4, column 3: string or '}' expected near "
          "'}'");
    check("{'side': 'source'}", "invalid JSON at line 1, column 2: string "
                                "or '}' expected near '''");
    check("\xef\xbb\xbf{}", "invalid JSON at line 1, column 1: invalid token "
                            "near '\xef\xbb\xbf'");
    check("[]", "expected a JSON object, got array");
    check("1", "expected a JSON object, got integer");
    check("\"x\"", "expected a JSON object, got string");
    check("null", "expected a JSON object, got null");
}

static void test_reject_numbers(void **state)
{
    (void)state;
    check("{\"parameters\": {\"x-upper\": 99999999999999999999999}}",
          "invalid JSON at line 1, column 50: too big integer");
    check("{\"parameters\": {\"x-upper\": -99999999999999999999999}}",
          "invalid JSON at line 1, column 51: too big negative integer");
    check("{\"parameters\": {\"downtime-limit\": 18446744073709551615}}",
          "invalid JSON at line 1, column 54: too big integer near "
          "'18446744073709551615'");
    check("{\"parameters\": {\"x-upper\": 1e400}}",
          "invalid JSON at line 1, column 32: real number overflow near "
          "'1e400'");
    check("{\"parameters\": {\"x-upper\": 1.5}}",
          "parameters.x-upper: expected integer, got real number");
    check("{\"parameters\": {\"x-upper\": 1.0}}",
          "parameters.x-upper: expected integer, got real number");
    check("{\"parameters\": {\"multifd-channels\": 2e0}}",
          "parameters.multifd-channels: expected integer, got real number");
    check("{\"parameters\": {\"multifd-channels\": 256}}",
          "parameters.multifd-channels: value 256 is out of range [0, 255]");
    check("{\"parameters\": {\"multifd-channels\": -1}}",
          "parameters.multifd-channels: value -1 is negative; expected an "
          "unsigned integer in [0, 255]");
    check("{\"parameters\": {\"downtime-limit\": -9223372036854775808}}",
          "parameters.downtime-limit: value -9223372036854775808 is "
          "negative; expected an unsigned integer in [0, "
          "18446744073709551615]");
    check("{\"parameters\": {\"x-int8\": 128}}",
          "parameters.x-int8: value 128 is out of range [-128, 127]");
    check("{\"parameters\": {\"x-int8\": -129}}",
          "parameters.x-int8: value -129 is out of range [-128, 127]");
    check("{\"parameters\": {\"x-int8\": NaN}}",
          "invalid JSON at line 1, column 29: invalid token near 'NaN'");
    check("{\"parameters\": {\"x-int8\": 01}}",
          "invalid JSON at line 1, column 27: invalid token near '0'");
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
    check(text, "invalid JSON at line 1, column 2087: maximum parsing depth "
                "reached near '['");
    /* Objects too, and at the top. */
    memset(text, '[', 2 * n);
    text[2 * n] = '\0';
    check(text, "invalid JSON at line 1, column 2049: maximum parsing depth "
                "reached near '['");
    for (size_t i = 0; i < (size_t)n; i++) {
        memcpy(text + 5 * i, "{\"a\":", 5);
    }
    text[5 * n] = '\0';
    check(text, "invalid JSON at line 1, column 10241: maximum parsing depth "
                "reached near '{'");
}

static void test_reject_duplicates(void **state)
{
    (void)state;
    check("{\"side\": \"source\", \"side\": \"source\"}",
          "invalid JSON at line 1, column 25: duplicate object key near "
          "'\"side\"'");
    check("{\"parameters\": {\"x-int8\": 1, \"x-int8\": 2}}",
          "invalid JSON at line 1, column 37: duplicate object key near "
          "'\"x-int8\"'");
    check("{\"capabilities\": [{\"capability\": \"multifd\", "
          "\"capability\": \"x-old\", \"state\": true}]}",
          "invalid JSON at line 1, column 56: duplicate object key near "
          "'\"capability\"'");
    check("{\"parameters\": {\"block-bitmap-mapping\": {\"a\": 1, \"a\": 1}}}",
          "invalid JSON at line 1, column 52: duplicate object key near "
          "'\"a\"'");
}

static void test_reject_encoding(void **state)
{
    (void)state;
    check("{\"parameters\": {\"tls-hostname\": \"\xff\"}}",
          "invalid JSON at line 1, column 33: unable to decode byte 0xff "
          "near '\"'");
    check("{\"parameters\": {\"tls-hostname\": \"\xc3\"}}",
          "invalid JSON at line 1, column 33: unable to decode byte 0xc3 "
          "near '\"'");
    check("{\"\xed\xa0\x80\": 1}",
          "invalid JSON at line 1, column 2: unable to decode byte 0xed "
          "near '\"'");
    check("{\"parameters\": {\"tls-hostname\": \"a\\u0000b\"}}",
          "invalid JSON at line 1, column 42: \\u0000 is not allowed "
          "without JSON_ALLOW_NUL near '\"a\\u0000b\"'");
    check("{\"parameters\": {\"tls-hostname\": \"\\ud800\"}}",
          "invalid JSON at line 1, column 40: invalid Unicode '\\uD800' "
          "near '\"\\ud800\"'");
    check("{\"parameters\": {\"tls-hostname\": \"a\tb\"}}",
          "invalid JSON at line 1, column 34: control character 0x9 near "
          "'\"a'");
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
              "invalid JSON at line 1, column 14: NUL byte");
    static const char b[] = "{}\n\n  \0";
    check_len(b, sizeof(b) - 1, "invalid JSON at line 3, column 3: NUL byte");
    static const char c[] = "\0{}";
    check_len(c, sizeof(c) - 1, "invalid JSON at line 1, column 1: NUL byte");
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
          "parameters, transport or side)");
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
    check("{\"parameters\": {\"block-incremental\": \"true\"}}",
          "parameters.block-incremental: expected boolean, got string");
    check("{\"parameters\": {\"block-incremental\": 1}}",
          "parameters.block-incremental: expected boolean, got integer");
    check("{\"parameters\": {\"x-int8\": \"1\"}}",
          "parameters.x-int8: expected integer, got string");
    check("{\"parameters\": {\"x-int8\": true}}",
          "parameters.x-int8: expected integer, got boolean");
    check("{\"parameters\": {\"multifd-channels\": null}}",
          "parameters.multifd-channels: expected integer, got null");
    check("{\"parameters\": {\"compression\": 1}}",
          "parameters.compression: expected string, got integer");
    check("{\"parameters\": {\"compression\": \"ZSTD\"}}",
          "parameters.compression: 'ZSTD' is not a valid value (expected one "
          "of: none, zlib, zstd, qpl)");
    check("{\"parameters\": {\"x-big-enum\": \"v\"}}",
          "parameters.x-big-enum: 'v' is not one of the 20 values of the "
          "enum");
    check("{\"parameters\": {\"tls-hostname\": null}}",
          "parameters.tls-hostname: expected string, got null");
    check("{\"parameters\": {\"tls-hostname\": []}}",
          "parameters.tls-hostname: expected string, got array");
    check("{\"parameters\": {\"tls-creds\": 0}}",
          "parameters.tls-creds: expected string or null, got integer");
    check("{\"parameters\": {\"cpr-exec-command\": \"ls\"}}",
          "parameters.cpr-exec-command: expected array of strings, got "
          "string");
    check("{\"parameters\": {\"cpr-exec-command\": [\"ls\", \"-l\", 3]}}",
          "parameters.cpr-exec-command[2]: expected string, got integer");
    check("{\"parameters\": {\"cpr-exec-command\": [null]}}",
          "parameters.cpr-exec-command[0]: expected string, got null");
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
    test_expect_error(&err, "parameters.x-int8: value 999 is out of range "
                           "[-128, 127]");
    assert_string_equal(c.tls_host, "kept");
    qmig_config_clear(&c);
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
        cmocka_unit_test(test_reject_malformed),
        cmocka_unit_test(test_reject_numbers),
        cmocka_unit_test(test_reject_deep_nesting),
        cmocka_unit_test(test_reject_duplicates),
        cmocka_unit_test(test_reject_encoding),
        cmocka_unit_test(test_reject_nul_bytes),
        cmocka_unit_test(test_reject_top_level),
        cmocka_unit_test(test_reject_capabilities),
        cmocka_unit_test(test_reject_parameters),
        cmocka_unit_test(test_error_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
