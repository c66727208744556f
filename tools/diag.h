/*
 * diag.h - how the command-line tools speak: every message on standard
 * error as "PROG: error: MESSAGE" (or "PROG: MESSAGE" for information),
 * and a write error on standard output as an error, never a silent
 * success (as coreutils' close_stdout()).
 *
 * Messages go through qmig_escape_text(): they quote file names and what
 * a peer or a configuration said, so no byte of those reaches the
 * terminal raw.
 */
#ifndef QMIG_TOOLS_DIAG_H
#define QMIG_TOOLS_DIAG_H

/* PROG in every message; set first thing in main().  Not copied. */
void diag_set_program(const char *prog);

/* "PROG: error: MESSAGE", for errors without a location. */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: MESSAGE": information, not an error. */
void diag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "PROG: error: MESSAGE" and "Try 'PROG --help' for more information.";
 * returns 2, the usage exit status.
 */
int diag_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * An error in input file @file: "FILE:LINE:COL: error: invalid JSON..."
 * when @msg gives a position (libqmig's "invalid JSON at line L, column
 * C: WHAT"), else "PROG: error: FILE: MESSAGE".
 */
void diag_file_error(const char *file, const char *msg);

/*
 * Flush and close standard output.  Returns @status, or 2 after
 * "PROG: error: cannot write standard output: REASON" if anything
 * written could not be.
 */
int diag_close_stdout(int status);

#endif /* QMIG_TOOLS_DIAG_H */
