/*
 * output.h - generated files: in-memory buffers, then written to disk.
 *
 * Emitters append text to named outputs; nothing touches the disk until
 * every emitter has finished, so a schema error can never leave a
 * half-written tree behind.  Writing is all or nothing over every output
 * of a run (temporary files, then renames) and skips files whose content
 * is unchanged, so that build systems see unchanged timestamps and
 * rebuild nothing.
 */
#ifndef QMIG_OUTPUT_H
#define QMIG_OUTPUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"

typedef struct QmigOutput {
    const char *name; /* relative to the output directory */
    char *text;
    size_t len;
    size_t cap;
    QmigArena *arena;
    int indent; /* spaces prepended to each new line by qmig_out_line() */
    bool at_line_start;
} QmigOutput;

typedef struct QmigOutputSet {
    QmigArena *arena;
    QmigPtrVec outputs; /* QmigOutput *, in creation order */
} QmigOutputSet;

QmigOutput *qmig_output_new(QmigOutputSet *set, const char *name);

/* Append formatted text verbatim. */
void qmig_out_printf(QmigOutput *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qmig_out_vprintf(QmigOutput *out, const char *fmt, va_list ap);
void qmig_out_puts(QmigOutput *out, const char *s);

/* Append text, indenting every line by out->indent spaces. */
void qmig_out_line(QmigOutput *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One output path per line, relative to @dir (for --list-outputs). */
void qmig_outputs_list(const QmigOutputSet *set, const char *dir, FILE *out);

/*
 * Write every output under @dir, creating directories as needed, and,
 * if @depfile is not NULL, a Make-style dependency file there in which
 * every output depends on every path of @inputs.  A file whose content
 * is unchanged is left alone (mtime preserved).
 *
 * All or nothing: every changed file is first written completely to a
 * temporary file beside its destination, and every destination checked
 * (no directory or other non-file in the way); only then are the
 * temporaries renamed into place.  On a failure before that (a full
 * disk, a directory named like an output, ...) every temporary and every
 * directory this call created is removed, and no old file is touched.
 * Returns false with a message in *error (arena string), which names
 * the file and says why.
 */
bool qmig_outputs_write(QmigOutputSet *set, const char *dir,
                        const char *depfile, const QmigPtrVec *inputs,
                        const char **error);

#endif /* QMIG_OUTPUT_H */
