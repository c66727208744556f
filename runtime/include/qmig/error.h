/*
 * qmig/error.h - the one error convention of libqmig.
 *
 * = Rules =
 *
 * - A function that can fail takes "QmigError **errp" as its last
 *   argument, and its return value also says whether it failed: false,
 *   NULL or a negative number.  Callers may test either.
 * - errp may be NULL: the caller does not want the details.
 * - On failure *errp receives a new error, which the caller owns and
 *   releases with qmig_error_free().  On success *errp is untouched.
 * - *errp must be NULL on entry; an error is never overwritten.
 */
#ifndef QMIG_ERROR_H
#define QMIG_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QmigError QmigError;

/* Set *errp (when errp is not NULL) to a new error with this message. */
void qmig_error_setg(QmigError **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qmig_error_vsetg(QmigError **errp, const char *fmt, va_list ap);

/*
 * Prefix the message of *errp, if any, with the formatted text, e.g. a
 * JSON path: "parameters.multifd-channels: ".
 */
void qmig_error_prepend(QmigError **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Move @err into *dst (or free it when dst is NULL or *dst is set). */
void qmig_error_propagate(QmigError **dst, QmigError *err);

/* The message; valid until the error is freed. */
const char *qmig_error_message(const QmigError *err);

/* Free @err; NULL is fine. */
void qmig_error_free(QmigError *err);

/*
 * A copy of @text that is safe to print on a terminal or in a log line,
 * for text that came from elsewhere (a migration peer, a file): control
 * characters (C0 and C1), DEL and bytes that are not valid UTF-8 become
 * C-style escapes (\n, \t, \r, \xHH); printable UTF-8 is kept.
 * Backslashes are kept as they are, so escaping twice changes nothing.
 * The handshake engine's reasons (qmig_hs_reason()) are escaped this
 * way already.  Free the result with free(); NULL when out of memory
 * (or @text is NULL).
 */
char *qmig_escape_text(const char *text);

#ifdef __cplusplus
}
#endif

#endif /* QMIG_ERROR_H */
