/*
 * expr.h - context-free checks of top-level expressions.
 *
 * Each definition is checked on its own, in source order, exactly as
 * QEMU's scripts/qapi/expr.py check_exprs(): its name, its doc comment,
 * its keys, its body, then its 'if', 'features' and flags.  A checked
 * expression is known to have the shape the schema stage reads; this
 * stage also names the definition in its QmigInfo, which adds the
 * "In META 'NAME':" context to later diagnostics.
 */
#ifndef QMIG_EXPR_H
#define QMIG_EXPR_H

#include "parser.h"
#include "source.h"

/* The meta key of a definition: "enum", "struct", ... */
const char *qmig_expr_meta(const QmigExpr *expr);

/* The name shared by every schema-level name check (QEMU valid_name). */
bool qmig_name_is_valid(const char *name, const char **stem);

/*
 * QEMU's check_keys(): @obj must have every key of @required and no key
 * outside @required and @optional (both NULL-terminated).
 */
void qmig_check_keys(QmigCtx *ctx, QmigInfo *info, const QmigValue *obj,
                     const char *source, const char *const *required,
                     const char *const *optional);

/* A legacy simple union: a union without base and discriminator. */
bool qmig_expr_is_simple_union(const QmigCtx *ctx, const QmigValue *expr);

void qmig_check_exprs(QmigCtx *ctx, const QmigParseResult *parsed);

#endif /* QMIG_EXPR_H */
