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

/* Whether @prefix may be used: [A-Za-z_.-][A-Za-z0-9_.-]* as in QEMU. */
bool qmig_prefix_is_valid(const char *prefix);

/*
 * Fill @outputs from @schema and @meta (NULL: no metadata, so no C
 * configuration API).  Leaves through qmig_error() on errors.
 */
void qmig_generate(QmigCtx *ctx, const QmigSchema *schema,
                   const QmigMetadata *meta, const QmigGenOptions *opts,
                   QmigOutputSet *outputs);

#endif /* QMIG_GENERATE_H */
