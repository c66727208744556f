/*
 * stdout-check.c - see stdout-check.h.
 */
#include "stdout-check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int close_stdout(const char *prog, int status)
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
        fprintf(stderr, "%s: error: cannot write standard output: %s\n", prog,
                strerror(err));
        return 2;
    }
    return status;
}
