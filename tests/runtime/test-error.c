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

static void expect_escaped(const char *in, const char *want)
{
    char *got = qmig_escape_text(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    /* Escaping twice changes nothing. */
    char *again = qmig_escape_text(got);
    assert_string_equal(again, want);
    free(again);
    free(got);
}

/* Text from elsewhere (a migration peer) made safe to print. */
static void test_escape_text(void **state)
{
    (void)state;
    expect_escaped("", "");
    expect_escaped("pc-q35-10.0 'x' \\ \"q\"", "pc-q35-10.0 'x' \\ \"q\"");
    /* A faked line and a terminal clear. */
    expect_escaped("a\nqmig-handshake: handshake succeeded",
                   "a\\nqmig-handshake: handshake succeeded");
    expect_escaped("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07");
    expect_escaped("\t\r\x01\x1f\x7f", "\\t\\r\\x01\\x1f\\x7f");
    /* Printable UTF-8 is kept; C1 controls (U+009B is a CSI) are not. */
    expect_escaped("gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80",
                   "gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80");
    expect_escaped("\xc2\x9b" "2J", "\\xc2\\x9b2J");
    /* Invalid UTF-8: stray, truncated, overlong, surrogate, too high. */
    expect_escaped("\xff\xc3", "\\xff\\xc3");
    expect_escaped("\xc0\xaf", "\\xc0\\xaf");
    expect_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");
    expect_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    assert_null(qmig_escape_text(NULL));
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
        cmocka_unit_test(test_escape_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
