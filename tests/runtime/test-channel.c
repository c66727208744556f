/*
 * test-channel.c - channel names: format and parse (qmig/config.h).
 */
#include "test-schema.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static void test_format(void **state)
{
    (void)state;
    const QmigChannelDesc *ch = test_schema.channels;
    char buf[64];
    assert_int_equal(qmig_channel_format(&ch[CH_MAIN], 0, buf, sizeof(buf)),
                     4);
    assert_string_equal(buf, "main");
    /* Single channels ignore the index. */
    assert_int_equal(qmig_channel_format(&ch[CH_MAIN], 9, buf, sizeof(buf)),
                     4);
    assert_string_equal(buf, "main");
    assert_int_equal(
        qmig_channel_format(&ch[CH_MULTIFD], 3, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "multifd/3");
    assert_int_equal(
        qmig_channel_format(&ch[CH_MULTIFD], UINT_MAX, buf, sizeof(buf)),
        18);
    assert_string_equal(buf, "multifd/4294967295");
    assert_int_equal(
        qmig_channel_format(&ch[CH_WRAPPED], 12, buf, sizeof(buf)), 11);
    assert_string_equal(buf, "pre/12/post");
}

static void test_format_size(void **state)
{
    (void)state;
    const QmigChannelDesc *ch = &test_schema.channels[CH_MULTIFD];
    char buf[16];
    /* "multifd/10" is 10 bytes: 11 with the NUL fit, 10 do not. */
    memset(buf, 'z', sizeof(buf));
    assert_int_equal(qmig_channel_format(ch, 10, buf, 11), 10);
    assert_string_equal(buf, "multifd/10");
    memset(buf, 'z', sizeof(buf));
    assert_int_equal(qmig_channel_format(ch, 10, buf, 10), -1);
    assert_int_equal(buf[10], 'z'); /* nothing written past size */
    assert_int_equal(qmig_channel_format(ch, 10, buf, 0), -1);
    assert_int_equal(qmig_channel_format(ch, 10, NULL, 0), -1);
    assert_int_equal(qmig_channel_format(NULL, 10, buf, sizeof(buf)), -1);
}

static void test_parse(void **state)
{
    (void)state;
    unsigned channel = 99, index = 99;
    assert_true(qmig_channel_parse(&test_schema, "main", &channel, &index));
    assert_int_equal(channel, CH_MAIN);
    assert_int_equal(index, 0);
    assert_true(
        qmig_channel_parse(&test_schema, "multifd/0", &channel, &index));
    assert_int_equal(channel, CH_MULTIFD);
    assert_int_equal(index, 0);
    assert_true(
        qmig_channel_parse(&test_schema, "multifd/17", &channel, &index));
    assert_int_equal(index, 17);
    assert_true(qmig_channel_parse(&test_schema, "multifd/4294967295",
                                   &channel, &index));
    assert_int_equal(index, UINT_MAX);
    assert_true(
        qmig_channel_parse(&test_schema, "pre/5/post", &channel, &index));
    assert_int_equal(channel, CH_WRAPPED);
    assert_int_equal(index, 5);
    assert_true(qmig_channel_parse(&test_schema, "multifd/1", NULL, NULL));
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "multifd/",           "multifd/01",  "multifd/00",
        "multifd/4294967296", "multifd/99999999999999999999",
        "multifd/-1",         "multifd/+1",  "multifd/ 1",
        "multifd/1 ",         "multifd/1a",  "multifd/0x1",
        "multifd",            "multifd/{index}",
        "Multifd/1",          "main/0",      "mai",
        "mainx",              "",            "pre//post",
        "pre/1/pos",          "pre/1/postx", "pre/1",
        "unknown/1",          "pre/post",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned channel = 42, index = 42;
        if (qmig_channel_parse(&test_schema, bad[i], &channel, &index)) {
            fail_msg("'%s' parsed as channel %u index %u", bad[i], channel,
                     index);
        }
        assert_int_equal(channel, 42);
        assert_int_equal(index, 42);
    }
    assert_false(qmig_channel_parse(&test_schema, NULL, NULL, NULL));
    assert_false(qmig_channel_parse(NULL, "main", NULL, NULL));
}

static void test_round_trip(void **state)
{
    (void)state;
    const unsigned indices[] = {0, 1, 9, 10, 99, 100, 65535, 1000000,
                                UINT_MAX - 1, UINT_MAX};
    for (unsigned ch = 0; ch < N_CHANNELS; ch++) {
        for (size_t i = 0; i < sizeof(indices) / sizeof(indices[0]); i++) {
            char buf[64];
            unsigned channel, index;
            int n = qmig_channel_format(&test_schema.channels[ch], indices[i],
                                        buf, sizeof(buf));
            assert_true(n > 0);
            assert_int_equal((size_t)n, strlen(buf));
            assert_true(
                qmig_channel_parse(&test_schema, buf, &channel, &index));
            assert_int_equal(channel, ch);
            assert_int_equal(index,
                             test_schema.channels[ch].indexed ? indices[i] : 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_size),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
