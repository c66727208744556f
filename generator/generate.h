/*
 * generate.h - run every emitter over a checked schema and its metadata.
 */
#ifndef QMIG_GENERATE_H
#define QMIG_GENERATE_H

#include "meta.h"
#include "output.h"
#include "schema.h"
#include "source.h"

typedef enum QmigTarget {
    QMIG_TARGET_QMIG, /* the C API over libqmig, and the reference docs */
    QMIG_TARGET_QEMU, /* the checks, over QEMU's QAPI types */
} QmigTarget;

typedef struct QmigGenOptions {
    const char *prefix;   /* file and symbol prefix, e.g. "qmig-migration-" */
    const char *module;   /* restrict to this module, or NULL */
    const char *sources;  /* for banners */
    QmigTarget target;
} QmigGenOptions;

/* Default --prefix. */
#define QMIG_DEFAULT_PREFIX "qmig-migration-"

/*
 * Why @prefix cannot be used, or NULL if it can.  The prefix starts the
 * output file names (PREFIXtypes.h) and, mapped to C (qmig_c_name(),
 * '-' to '_'), every generated symbol (prefix_*, Prefix*, PREFIX_*), so
 * it is [A-Za-z][A-Za-z0-9_-]*: not empty, no '/', not hidden ('.'),
 * and its C form starts like an identifier that is not reserved.  Its
 * words must not be just "qmig": that is libqmig's own namespace
 * (qmig_config_init(), QmigConfig, QMIG_HANDSHAKE_H).
 */
const char *qmig_prefix_problem(const char *prefix);

/*
 * Fill @outputs from @schema and @meta (NULL: no metadata, so no C
 * configuration API).  Leaves through qmig_error() on errors.
 */
void qmig_generate(QmigCtx *ctx, const QmigSchema *schema,
                   const QmigMetadata *meta, const QmigGenOptions *opts,
                   QmigOutputSet *outputs);

#endif /* QMIG_GENERATE_H */
