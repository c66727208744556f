/*
 * test-error.c - the error convention (qmig/error.h).
 */
#include "test-schema.h"

#include <stdlib.h>
#include <string.h>

static void test_setg(void **state)
{
    (void)state;
    QmigError *err = NULL;
    qmig_error_setg(&err, "value %d of '%s'", 42, "x");
    assert_non_null(err);
    assert_string_equal(qmig_error_message(err), "value 42 of 'x'");
    qmig_error_free(err);
}

static void test_setg_null_errp(void **state)
{
    (void)state;
    /* Nothing to receive the error: nothing happens, nothing leaks. */
    qmig_error_setg(NULL, "ignored %s", "text");
    qmig_error_prepend(NULL, "prefix: ");
}

static void test_no_overwrite(void **state)
{
    (void)state;
    QmigError *err = NULL;
    qmig_error_setg(&err, "first");
    QmigError *first = err;
    qmig_error_setg(&err, "second");
    assert_ptr_equal(err, first);
    assert_string_equal(qmig_error_message(err), "first");
    qmig_error_free(err);
}

static void vset(QmigError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qmig_error_vsetg(errp, fmt, ap);
    va_end(ap);
}

static void test_vsetg(void **state)
{
    (void)state;
    QmigError *err = NULL;
    vset(&err, "%s-%u-%c", "a", 7u, 'z');
    test_expect_error(&err, "a-7-z");
    vset(NULL, "%s", "nothing");
}

static void test_long_message(void **state)
{
    (void)state;
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    QmigError *err = NULL;
    qmig_error_setg(&err, "%s", big);
    qmig_error_prepend(&err, "p: ");
    assert_int_equal(strlen(qmig_error_message(err)), n + 3);
    assert_memory_equal(qmig_error_message(err), "p: xxx", 6);
    qmig_error_free(err);
    free(big);
}

static void test_prepend(void **state)
{
    (void)state;
    QmigError *err = NULL;
    qmig_error_prepend(&err, "nothing to prefix: ");
    assert_null(err);
    qmig_error_setg(&err, "bad value");
    qmig_error_prepend(&err, "%s.%s: ", "parameters", "multifd-channels");
    qmig_error_prepend(&err, "%s", "");
    test_expect_error(&err, "parameters.multifd-channels: bad value");
}

static void test_propagate(void **state)
{
    (void)state;
    QmigError *dst = NULL, *err = NULL;

    qmig_error_propagate(&dst, NULL); /* no error: no change */
    assert_null(dst);

    qmig_error_setg(&err, "moved");
    qmig_error_propagate(&dst, err);
    assert_ptr_equal(dst, err);

    /* dst already set: the new error is freed (no leak under valgrind). */
    err = NULL;
    qmig_error_setg(&err, "dropped");
    qmig_error_propagate(&dst, err);
    assert_string_equal(qmig_error_message(dst), "moved");

    /* No destination: freed too. */
    err = NULL;
    qmig_error_setg(&err, "dropped");
    qmig_error_propagate(NULL, err);

    test_expect_error(&dst, "moved");
}

static void test_message_and_free_null(void **state)
{
    (void)state;
    assert_string_equal(qmig_error_message(NULL), "");
    qmig_error_free(NULL);
}

static void test_percent_literal(void **state)
{
    (void)state;
    QmigError *err = NULL;
    qmig_error_setg(&err, "%s", "100%s %d");
    qmig_error_prepend(&err, "%s", "%n: ");
    test_expect_error(&err, "%n: 100%s %d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setg),
        cmocka_unit_test(test_setg_null_errp),
        cmocka_unit_test(test_no_overwrite),
        cmocka_unit_test(test_vsetg),
        cmocka_unit_test(test_long_message),
        cmocka_unit_test(test_prepend),
        cmocka_unit_test(test_propagate),
        cmocka_unit_test(test_message_and_free_null),
        cmocka_unit_test(test_percent_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
