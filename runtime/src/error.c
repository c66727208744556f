/*
 * error.c - the error convention of libqmig; see qmig/error.h.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct QmigError {
    char *msg;
};

/*
 * Returned when there is no memory for a real error: a failure must
 * still be reported, and the caller's qmig_error_free() must work on it,
 * so it is static and free recognises it.
 */
static struct QmigError oom_error = {(char *)"out of memory"};

/* vasprintf is not C11; measure first, then format. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s) {
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    }
    return s;
}

void qmig_error_vsetg(QmigError **errp, const char *fmt, va_list ap)
{
    /* Never overwrite an error: the first one is the cause. */
    if (!errp || *errp) {
        return;
    }
    QmigError *err = malloc(sizeof(*err));
    char *msg = err ? vformat(fmt, ap) : NULL;
    if (!msg) {
        free(err);
        *errp = &oom_error;
        return;
    }
    err->msg = msg;
    *errp = err;
}

void qmig_error_setg(QmigError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qmig_error_vsetg(errp, fmt, ap);
    va_end(ap);
}

void qmig_error_prepend(QmigError **errp, const char *fmt, ...)
{
    if (!errp || !*errp || *errp == &oom_error) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = vformat(fmt, ap);
    va_end(ap);
    if (!prefix) {
        return; /* keep the unprefixed message rather than lose it */
    }
    QmigError *err = *errp;
    size_t plen = strlen(prefix), mlen = strlen(err->msg);
    char *msg = malloc(plen + mlen + 1);
    if (msg) {
        memcpy(msg, prefix, plen);
        memcpy(msg + plen, err->msg, mlen + 1);
        free(err->msg);
        err->msg = msg;
    }
    free(prefix);
}

void qmig_error_propagate(QmigError **dst, QmigError *err)
{
    if (!err) {
        return;
    }
    if (!dst || *dst) {
        qmig_error_free(err);
        return;
    }
    *dst = err;
}

const char *qmig_error_message(const QmigError *err)
{
    return err ? err->msg : "";
}

void qmig_error_free(QmigError *err)
{
    if (!err || err == &oom_error) {
        return;
    }
    free(err->msg);
    free(err);
}
