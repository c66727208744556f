/*
 * parser.h - QAPI schema files to a list of top-level expressions.
 *
 * The parser reads the root file and, recursively, every file it
 * includes, into one flat list of expressions in source order (includes
 * inlined where they appear, as QEMU does).  It applies pragmas and
 * attaches each definition's documentation comment.
 */
#ifndef QMIG_PARSER_H
#define QMIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "source.h"

typedef struct QmigDoc QmigDoc;

typedef enum QmigValueKind {
    QMIG_VAL_OBJECT,
    QMIG_VAL_ARRAY,
    QMIG_VAL_STRING,
    QMIG_VAL_BOOL,
} QmigValueKind;

typedef struct QmigValue QmigValue;

typedef struct QmigKeyValue {
    const char *key;
    QmigValue *value;
} QmigKeyValue;

struct QmigValue {
    QmigValueKind kind;
    unsigned line; /* where the value starts */
    union {
        struct {
            QmigKeyValue *items; /* in source order; keys are unique */
            size_t len;
        } obj;
        struct {
            QmigValue **items;
            size_t len;
        } arr;
        const char *str; /* strings cannot contain NUL: it is rejected */
        bool boolean;
    } u;
};

/* The value of @key in object @obj, NULL if absent or not an object. */
QmigValue *qmig_value_get(const QmigValue *obj, const char *key);
bool qmig_value_has(const QmigValue *obj, const char *key);
/* Python truthiness, which QEMU uses for 'boxed'. */
bool qmig_value_truthy(const QmigValue *value);

typedef enum QmigExprKind {
    QMIG_EXPR_DEFINITION,
    QMIG_EXPR_INCLUDE,
} QmigExprKind;

typedef struct QmigExpr {
    QmigExprKind kind;
    QmigValue *value;      /* the whole top-level object */
    QmigInfo *info;        /* line where the expression starts */
    QmigDoc *doc;          /* its definition documentation, or NULL */
    const char *include;   /* INCLUDE: the joined path, as QEMU spells it */
} QmigExpr;

typedef struct QmigParseResult {
    QmigPtrVec exprs; /* QmigExpr *, includes inlined */
    QmigPtrVec docs;  /* QmigDoc *, every documentation block, in order */
    const QmigFile *root;
} QmigParseResult;

/* Maximum nesting of objects and arrays; deeper input is an error. */
#define QMIG_MAX_NESTING 256

/*
 * Parse @path.  Pragmas already in ctx->pragma (e.g. from --pragma) stay
 * unless the schema replaces them.  Leaves through qmig_error() on error.
 */
void qmig_parse_schema(QmigCtx *ctx, const char *path, QmigParseResult *out);

/*
 * Same, for a metadata file (docs/metadata-language.rst): the syntax is
 * QAPI's, but free-form documentation may directly precede an expression.
 */
void qmig_parse_metadata(QmigCtx *ctx, const char *path, QmigParseResult *out);

/* Same, for a file already in memory (see qmig_file_from_buffer()). */
void qmig_parse_buffer(QmigCtx *ctx, const QmigFile *file,
                       QmigParseResult *out);

#endif /* QMIG_PARSER_H */
