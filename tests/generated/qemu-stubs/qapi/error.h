/* TEST STUB of QEMU's qapi/error.h: see ../README. */
#ifndef QMIG_TEST_STUB_QAPI_ERROR_H
#define QMIG_TEST_STUB_QAPI_ERROR_H

/*
 * QEMU's ERRP_GUARD() lets a function dereference errp even when the
 * caller passed NULL or &error_fatal.  The stubs have no error_fatal,
 * and error_prepend() below accepts NULL, so there is nothing to guard.
 */
#define ERRP_GUARD() ((void)0)

/* Like QEMU's: *errp must be NULL (asserted); errp may be NULL. */
void error_setg(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void error_prepend(Error *const *errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *error_get_pretty(const Error *err);
void error_free(Error *err);

#endif
