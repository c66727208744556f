/*
 * stdout-check.h - the tools' end of output: a write error on standard
 * output is an error, never a silent success (as coreutils'
 * close_stdout()).
 */
#ifndef QMIG_TOOLS_STDOUT_CHECK_H
#define QMIG_TOOLS_STDOUT_CHECK_H

/*
 * Flush and close standard output.  Returns @status, or 2 after
 * "PROG: error: cannot write standard output: REASON" on standard error
 * if anything written could not be.
 */
int close_stdout(const char *prog, int status);

#endif /* QMIG_TOOLS_STDOUT_CHECK_H */
