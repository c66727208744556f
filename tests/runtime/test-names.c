/*
 * test-names.c - side, handshake and transport names, and the version.
 */
#include "test-schema.h"

static void test_side(void **state)
{
    (void)state;
    const char *names[] = {"source", "destination", "both", "match"};
    for (int i = 0; i < 4; i++) {
        QmigSide side = QMIG_SIDE_MATCH;
        assert_string_equal(qmig_side_name((QmigSide)i), names[i]);
        assert_true(qmig_side_parse(names[i], &side));
        assert_int_equal(side, i);
    }
    assert_null(qmig_side_name((QmigSide)4));
    assert_null(qmig_side_name((QmigSide)-1));
    QmigSide side = QMIG_SIDE_BOTH;
    assert_false(qmig_side_parse("Source", &side));
    assert_false(qmig_side_parse("", &side));
    assert_false(qmig_side_parse(NULL, &side));
    assert_int_equal(side, QMIG_SIDE_BOTH); /* untouched on failure */
    assert_true(qmig_side_parse("match", NULL));
}

static void test_handshake(void **state)
{
    (void)state;
    assert_string_equal(qmig_handshake_name(QMIG_HANDSHAKE_ADOPT), "adopt");
    assert_string_equal(qmig_handshake_name(QMIG_HANDSHAKE_INTERSECT),
                        "intersect");
    assert_string_equal(qmig_handshake_name(QMIG_HANDSHAKE_LOCAL), "local");
    assert_null(qmig_handshake_name((QmigHandshake)3));
    assert_null(qmig_handshake_name((QmigHandshake)-7));
}

static void test_transport(void **state)
{
    (void)state;
    const char *names[] = {"tcp", "unix", "vsock", "fd", "exec", "rdma",
                           "file"};
    for (int i = 0; i < QMIG_TRANSPORT__MAX; i++) {
        QmigTransport t = QMIG_TRANSPORT__MAX;
        assert_string_equal(qmig_transport_name((QmigTransport)i), names[i]);
        assert_true(qmig_transport_parse(names[i], &t));
        assert_int_equal(t, i);
    }
    assert_null(qmig_transport_name(QMIG_TRANSPORT__MAX));
    assert_null(qmig_transport_name((QmigTransport)-1));
    QmigTransport t = QMIG_TRANSPORT_FILE;
    assert_false(qmig_transport_parse("TCP", &t));
    assert_false(qmig_transport_parse("tcp ", &t));
    assert_false(qmig_transport_parse(NULL, &t));
    assert_int_equal(t, QMIG_TRANSPORT_FILE);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(qmig_runtime_version(), QMIG_RUNTIME_VERSION_NUMBER);
    assert_int_equal(QMIG_RUNTIME_VERSION_NUMBER, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_side),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
