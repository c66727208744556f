/*
 * diag.c - see diag.h.
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmig/error.h"

static const char *program = "qmig";

void diag_set_program(const char *prog)
{
    program = prog;
}

/* "PROG: @kind@MESSAGE" on standard error, escaped. */
static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) {
        vsnprintf(text, (size_t)n + 1, fmt, ap);
    }
    char *safe = text ? qmig_escape_text(text) : NULL;
    fprintf(stderr, "%s: %s%s\n", program, kind, safe ? safe : "out of memory");
    free(safe);
    free(text);
}

void diag_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error: ", fmt, ap);
    va_end(ap);
}

void diag_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

int diag_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error: ", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", program);
    return 2;
}

void diag_file_error(const char *file, const char *msg)
{
    unsigned long line, col;
    int n = -1;
    if (sscanf(msg, "invalid JSON at line %lu, column %lu%n", &line, &col,
               &n) == 2 && n > 0) {
        char *safe_file = qmig_escape_text(file);
        char *safe_rest = qmig_escape_text(msg + n);
        fprintf(stderr, "%s:%lu:%lu: error: invalid JSON%s\n",
                safe_file ? safe_file : "?", line, col,
                safe_rest ? safe_rest : "");
        free(safe_rest);
        free(safe_file);
        return;
    }
    diag_error("%s: %s", file, msg);
}

int diag_close_stdout(int status)
{
    int err = 0;
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        err = errno ? errno : EIO;
    }
    if (fclose(stdout) != 0 && !err && errno != EBADF) {
        err = errno;
    }
    if (err) {
        diag_error("cannot write standard output: %s", strerror(err));
        return 2;
    }
    return status;
}
