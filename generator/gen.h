/*
 * gen.h - what every emitter gets: the checked model, the metadata,
 * naming prefixes, and the set of outputs to fill.
 *
 * Emitters only read the model; they write into in-memory outputs
 * (output.h), which the driver writes to disk once all have succeeded.
 */
#ifndef QMIG_GEN_H
#define QMIG_GEN_H

#include "meta.h"
#include "output.h"
#include "schema.h"
#include "source.h"

typedef struct QmigGen {
    QmigCtx *ctx;
    QmigArena *arena;
    const QmigSchema *schema;
    const QmigMetadata *meta;  /* NULL without --features */
    const QmigModule *module;  /* --module, or NULL for the whole schema */
    const char *file_prefix;   /* "qmig-migration-" */
    const char *c_prefix;      /* "qmig_migration_" */
    const char *upper_prefix;  /* "QMIG_MIGRATION_" */
    const char *type_prefix;   /* "QmigMigration" */
    const char *sources;       /* for banners: "schema/migration.json ..." */
    QmigOutputSet outputs;
} QmigGen;

/* The C configuration API: types, validation, channels, handshake. */
void qmig_gen_c(QmigGen *gen);

/* The checks of the metadata as C over QEMU's QAPI types. */
void qmig_gen_qemu(QmigGen *gen);

/* The reference documentation: rST pages and the rule table. */
void qmig_gen_rst(QmigGen *gen);

/* Helpers the C emitters share (gen_c.c). */
const char *qmig_gen_c_str(QmigGen *gen, const char *s);
const char *qmig_gen_comment(QmigGen *gen, const char *s);
const char *qmig_gen_ifcond(QmigGen *gen, const QmigIfCond *c);
const char *qmig_gen_location(QmigGen *gen, const QmigInfo *info);
const char *qmig_gen_int_literal(QmigGen *gen, QmigInt v, bool is_signed);
const char *qmig_gen_c_op(QmigCmpOp op); /* "==", "<", ... */
QmigOutput *qmig_gen_new_file(QmigGen *gen, const char *kind,
                              const char *ext);

/* Upper-case C identifier of @name: "multifd-channels" -> "MULTIFD_CHANNELS". */
const char *qmig_gen_upper(QmigGen *gen, const char *name);

#endif /* QMIG_GEN_H */
