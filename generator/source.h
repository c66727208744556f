/*
 * source.h - schema source files, source locations and diagnostics.
 *
 * A QmigFile is one loaded schema file; a QmigInfo is a location in it
 * (line granularity, as in QEMU's QAPISourceInfo) together with the
 * definition it belongs to once the expression checks have named it.
 *
 * Diagnostics: the front end stops at the first schema error, like
 * QEMU's generator, so that the reported error is the one QEMU reports.
 * qmig_error() formats the message into the context and leaves through
 * the context's jmp_buf; only qmig_front_end_run() (frontend.c) sets that
 * buffer.  All memory is arena memory, so the jump leaks nothing.
 */
#ifndef QMIG_SOURCE_H
#define QMIG_SOURCE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct QmigInfo QmigInfo;

typedef struct QmigFile {
    const char *path;     /* as QEMU spells it: joined, not normalised */
    const char *abspath;  /* normalised absolute path, for include-once */
    const QmigInfo *incl; /* the include directive, NULL for the root */
    const char *text;     /* contents, always ending in '\n', NUL-terminated;
                           * the lexer unescapes strings in place */
    size_t len;           /* bytes in text, without the terminator */
} QmigFile;

struct QmigInfo {
    const QmigFile *file;
    unsigned line;
    const char *defn_meta; /* e.g. "struct", set once the name is known */
    const char *defn_name;
};

/* The pragmas of QEMU's schema language; one set per schema. */
typedef struct QmigPragma {
    bool doc_required;
    QmigPtrVec command_name_exceptions;   /* of const char * */
    QmigPtrVec command_returns_exceptions;
    QmigPtrVec documentation_exceptions;
    QmigPtrVec member_name_exceptions;
    /*
     * Hash sets over the lists above, built on first lookup: the checks
     * look names up tens of thousands of times.  Each remembers the
     * items and length it was built from, since a later pragma replaces
     * its list.
     */
    struct QmigPragmaSet {
        const QmigPtrVec *list;
        void *const *items;
        size_t len;
        struct QmigStrMap *map;
    } sets[4];
} QmigPragma;

/* Exit statuses of qmig-gen. */
enum {
    QMIG_EXIT_OK = 0,
    QMIG_EXIT_SCHEMA_ERROR = 1,
    QMIG_EXIT_USAGE = 2,
};

typedef struct QmigCtx {
    QmigArena *arena;
    jmp_buf *escape;  /* where qmig_error() jumps to */
    char *error;      /* formatted diagnostic after a jump */
    int error_status; /* QMIG_EXIT_SCHEMA_ERROR or QMIG_EXIT_USAGE */
    QmigPragma pragma;
    QmigPtrVec files; /* every QmigFile loaded, in load order */
    unsigned n_errors; /* errors recorded by qmig_report() */
    /*
     * The schema language of older QEMU releases (4.2 on): simple
     * unions, and documentation without the checks added since.  For
     * checking and comparing old schemas; see frontend.h.
     */
    bool legacy;
    /*
     * Documentation comments cannot stop the load: a block that the
     * documentation rules reject is dropped (its definition is then
     * undocumented), and the checks that tie blocks to definitions are
     * off.  Doc comments do not change the interface, so comparing
     * interfaces (compat) and reading old releases (legacy) use it.
     */
    bool docs_relaxed;
    /*
     * Scratch text buffer the documentation parser reuses for every
     * block (arena memory), so that buffer growth is paid once.
     */
    char *doc_scratch;
    size_t doc_scratch_cap;
    /*
     * docs_relaxed: what was read past instead of failing the load, each
     * a note that names the place and the rule it broke (char *, ending
     * in a newline): doc blocks read as plain comments, descriptions of
     * members that do not exist.
     */
    QmigPtrVec notes;
} QmigCtx;

/* Whether @name is in @list, one of the lists of ctx->pragma. */
bool qmig_pragma_lists(QmigCtx *ctx, const QmigPtrVec *list,
                       const char *name);

/*
 * Load @path (as spelled) into a new QmigFile.  On failure returns NULL
 * and sets *errno_out; a directory or other non-regular file gives
 * EISDIR / EINVAL without being opened, so a FIFO can never hang us.
 */
QmigFile *qmig_file_load(QmigCtx *ctx, const char *path, const QmigInfo *incl,
                         int *errno_out);

/* A file whose text is @data (copied), for fuzzing and tests. */
QmigFile *qmig_file_from_buffer(QmigCtx *ctx, const char *path,
                                const char *data, size_t len);

/* os.path.abspath(): absolute and lexically normalised, links kept. */
const char *qmig_abspath(QmigCtx *ctx, const char *path);

QmigInfo *qmig_info_new(QmigCtx *ctx, const QmigFile *file, unsigned line);
QmigInfo *qmig_info_copy(QmigCtx *ctx, const QmigInfo *info);

/*
 * Report a schema error at @info (NULL: no location) with column @col
 * (0: none) and leave the front end.
 */
_Noreturn void qmig_error(QmigCtx *ctx, const QmigInfo *info, int col,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Like qmig_error(), plus a "note:" line at @note_info; used where the
 * error involves a second place, such as a previous definition.
 */
_Noreturn void qmig_error_with_note(QmigCtx *ctx, const QmigInfo *info,
                                    const QmigInfo *note_info,
                                    const char *note, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Record an error and go on, where several independent errors are worth
 * seeing at once (e.g. every metadata name an older schema lacks);
 * qmig_leave_if_errors() then leaves if any was recorded.
 */
void qmig_report(QmigCtx *ctx, const QmigInfo *info, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qmig_leave_if_errors(QmigCtx *ctx);

/*
 * @error, a diagnostic as qmig_error() formats it, turned into a note
 * that says @what first: "LOCATION: note: WHAT: MESSAGE", include chain
 * kept.
 */
char *qmig_error_as_note(QmigCtx *ctx, const char *error, const char *what);

/* Add "LOCATION: note: MESSAGE" at @info to ctx->notes. */
void qmig_note(QmigCtx *ctx, const QmigInfo *info, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error with no source location and the usage/I-O exit status. */
_Noreturn void qmig_fatal_io(QmigCtx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The column QEMU reports for byte offset @pos on the line starting at
 * @line_start: 1-based, counting code points, with QEMU's tab rule
 * col = (col + 7) % 8 + 1 (it wraps into 1..8 instead of rounding up).
 */
int qmig_column(const char *line_start, const char *pos);

#endif /* QMIG_SOURCE_H */
