/*
 * frontend.c - the stages behind one facade; see frontend.h.
 */
#include "frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "generate.h"
#include "meta.h"
#include "parser.h"
#include "schema.h"
#include "source.h"

struct QmigFrontEnd {
    QmigCtx ctx;
    bool failed;
    QmigParseResult parsed;
    QmigSchema *schema;
    const char *features_path;
    QmigMetadata *meta;
};

QmigFrontEnd *qmig_front_end_new(void)
{
    QmigFrontEnd *fe = calloc(1, sizeof(*fe));
    if (!fe) {
        fprintf(stderr, "qmig: out of memory\n");
        abort();
    }
    fe->ctx.arena = qmig_arena_new();
    return fe;
}

void qmig_front_end_free(QmigFrontEnd *fe)
{
    if (fe) {
        qmig_arena_free(fe->ctx.arena);
        free(fe);
    }
}

/*
 * Only the pragmas of the file matter; QEMU's qapi/pragma.json has
 * nothing else, and anything else in it is checked as a schema would be.
 */
static void load_pragmas(QmigCtx *ctx, const char *path)
{
    QmigParseResult pragmas = {0};
    qmig_parse_schema(ctx, path, &pragmas);
}

static int run(QmigFrontEnd *fe, const char *path, const char *pragma_path,
               const QmigFile *buffer)
{
    jmp_buf escape;
    fe->ctx.escape = &escape;
    if (setjmp(escape)) {
        fe->schema = NULL;
        fe->meta = NULL;
        fe->failed = true;
        return fe->ctx.error_status;
    }
    if (pragma_path) {
        load_pragmas(&fe->ctx, pragma_path);
    }
    if (buffer) {
        qmig_parse_buffer(&fe->ctx, buffer, &fe->parsed);
    } else {
        qmig_parse_schema(&fe->ctx, path, &fe->parsed);
    }
    qmig_check_exprs(&fe->ctx, &fe->parsed);
    QmigSchema *schema = qmig_schema_build(&fe->ctx, &fe->parsed);
    if (fe->features_path) {
        fe->meta = qmig_meta_load(&fe->ctx, schema, fe->features_path);
    }
    fe->schema = schema;
    return QMIG_EXIT_OK;
}

int qmig_front_end_run(QmigFrontEnd *fe, const char *path,
                       const char *pragma_path)
{
    return run(fe, path, pragma_path, NULL);
}

int qmig_front_end_run_buffer(QmigFrontEnd *fe, const char *name,
                              const char *data, size_t len)
{
    QmigFile *file = qmig_file_from_buffer(&fe->ctx, name, data, len);
    return run(fe, name, NULL, file);
}

const char *qmig_front_end_error(const QmigFrontEnd *fe)
{
    return fe->failed ? fe->ctx.error : NULL;
}

size_t qmig_front_end_notes(const QmigFrontEnd *fe, const char *const **notes)
{
    *notes = (const char *const *)fe->ctx.notes.items;
    return fe->ctx.notes.len;
}

/* Every file read: the schema, its includes, pragmas and metadata. */
static void collect_inputs(QmigFrontEnd *fe, QmigPtrVec *inputs)
{
    for (size_t i = 0; i < fe->ctx.files.len; i++) {
        const QmigFile *file = fe->ctx.files.items[i];
        /* Absolute: ninja reads depfiles relative to its own directory. */
        qmig_vec_push(fe->ctx.arena, inputs, (void *)file->abspath);
    }
}

int qmig_front_end_generate(QmigFrontEnd *fe, const QmigGenOptions *opts,
                            const char *dir, const char *depfile,
                            bool list_only)
{
    jmp_buf escape;
    fe->ctx.escape = &escape;
    if (setjmp(escape)) {
        fe->failed = true;
        return fe->ctx.error_status;
    }
    QmigOutputSet outputs = {.arena = fe->ctx.arena};
    qmig_generate(&fe->ctx, fe->schema, fe->meta, opts, &outputs);
    if (list_only) {
        qmig_outputs_list(&outputs, dir, stdout);
        return QMIG_EXIT_OK;
    }
    const char *error = NULL;
    QmigPtrVec inputs = {0};
    collect_inputs(fe, &inputs);
    if (!qmig_outputs_write(&outputs, dir, depfile, &inputs, &error)) {
        qmig_fatal_io(&fe->ctx, "%s", error);
    }
    return QMIG_EXIT_OK;
}

void qmig_front_end_set_features(QmigFrontEnd *fe, const char *path)
{
    fe->features_path = path;
}

void qmig_front_end_set_legacy(QmigFrontEnd *fe, bool legacy)
{
    fe->ctx.legacy = legacy;
    fe->ctx.docs_relaxed = fe->ctx.docs_relaxed || legacy;
}

void qmig_front_end_set_docs_relaxed(QmigFrontEnd *fe, bool relaxed)
{
    fe->ctx.docs_relaxed = relaxed || fe->ctx.legacy;
}

const QmigMetadata *qmig_front_end_metadata(const QmigFrontEnd *fe)
{
    return fe->schema ? fe->meta : NULL;
}

const QmigSchema *qmig_front_end_schema(const QmigFrontEnd *fe)
{
    return fe->schema;
}

size_t qmig_front_end_memory(const QmigFrontEnd *fe)
{
    return qmig_arena_used(fe->ctx.arena);
}
