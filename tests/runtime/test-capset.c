/*
 * test-capset.c - capability sets (qmig/config.h).
 */
#include "test-schema.h"

#include <string.h>

static void test_clear_and_boundaries(void **state)
{
    (void)state;
    QmigCapSet set;
    memset(&set, 0xff, sizeof(set));
    qmig_capset_clear(&set);
    assert_int_equal(qmig_capset_count(&set), 0);

    /* Both ends of both words. */
    const unsigned edges[] = {0, 63, 64, 127};
    for (unsigned i = 0; i < 4; i++) {
        assert_false(qmig_capset_has(&set, edges[i]));
        qmig_capset_add(&set, edges[i]);
        assert_true(qmig_capset_has(&set, edges[i]));
        assert_int_equal(qmig_capset_count(&set), i + 1);
    }
    assert_int_equal(set.bits[0], UINT64_C(0x8000000000000001));
    assert_int_equal(set.bits[1], UINT64_C(0x8000000000000001));
    assert_false(qmig_capset_has(&set, 1));
    assert_false(qmig_capset_has(&set, 62));
    assert_false(qmig_capset_has(&set, 65));
    assert_false(qmig_capset_has(&set, 126));

    qmig_capset_add(&set, 63); /* adding twice changes nothing */
    assert_int_equal(qmig_capset_count(&set), 4);

    for (unsigned i = 0; i < 4; i++) {
        qmig_capset_remove(&set, edges[i]);
        assert_false(qmig_capset_has(&set, edges[i]));
    }
    assert_int_equal(qmig_capset_count(&set), 0);
    qmig_capset_remove(&set, 5); /* removing an absent one is fine */
    assert_int_equal(qmig_capset_count(&set), 0);
}

static void test_out_of_range(void **state)
{
    (void)state;
    QmigCapSet set, zero;
    qmig_capset_clear(&set);
    qmig_capset_clear(&zero);
    /* 128 and beyond cannot be stored: ignored, never out of bounds. */
    qmig_capset_add(&set, 128);
    qmig_capset_add(&set, 4096);
    qmig_capset_add(&set, UINT32_MAX);
    assert_true(qmig_capset_equal(&set, &zero));
    assert_false(qmig_capset_has(&set, 128));
    assert_false(qmig_capset_has(&set, UINT32_MAX));
    memset(&set, 0xff, sizeof(set));
    qmig_capset_remove(&set, 128);
    assert_int_equal(qmig_capset_count(&set), 128);
    assert_false(qmig_capset_has(&set, 128));
}

static void test_full(void **state)
{
    (void)state;
    QmigCapSet set;
    qmig_capset_clear(&set);
    for (unsigned i = 0; i < QMIG_CAPSET_MAX; i++) {
        qmig_capset_add(&set, i);
    }
    assert_int_equal(qmig_capset_count(&set), 128);
    assert_int_equal(set.bits[0], UINT64_MAX);
    assert_int_equal(set.bits[1], UINT64_MAX);
}

static void test_equal_intersect_union(void **state)
{
    (void)state;
    QmigCapSet a, b, c;
    qmig_capset_clear(&a);
    qmig_capset_clear(&b);
    assert_true(qmig_capset_equal(&a, &b));
    qmig_capset_add(&a, 1);
    qmig_capset_add(&a, 64);
    qmig_capset_add(&a, 127);
    qmig_capset_add(&b, 64);
    qmig_capset_add(&b, 100);
    assert_false(qmig_capset_equal(&a, &b));

    c = a;
    qmig_capset_intersect(&c, &b);
    assert_int_equal(qmig_capset_count(&c), 1);
    assert_true(qmig_capset_has(&c, 64));

    c = a;
    qmig_capset_union(&c, &b);
    assert_int_equal(qmig_capset_count(&c), 4);
    assert_true(qmig_capset_has(&c, 1));
    assert_true(qmig_capset_has(&c, 100));
    assert_true(qmig_capset_has(&c, 127));

    /* Set algebra: a & a == a, a | a == a. */
    c = a;
    qmig_capset_intersect(&c, &a);
    assert_true(qmig_capset_equal(&c, &a));
    qmig_capset_union(&c, &a);
    assert_true(qmig_capset_equal(&c, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_and_boundaries),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_equal_intersect_union),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
