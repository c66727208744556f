/*
 * generate.c - run every emitter; see generate.h.
 */
#include "generate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cname.h"
#include "gen.h"

const char *qmig_prefix_problem(const char *prefix)
{
    static const char charset[] = "it may use only ASCII letters, digits, "
                                  "'_' and '-', and must start with a letter";
    unsigned char first = (unsigned char)prefix[0];
    if (!first) {
        return "it must not be empty (it starts every file name and "
               "C symbol)";
    }
    if (first >= 128 || !isalpha(first)) {
        return charset;
    }
    size_t len = 0; /* without trailing separators */
    for (const char *p = prefix; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 128 || !(isalnum(c) || c == '_' || c == '-')) {
            return charset;
        }
        if (isalnum(c)) {
            len = (size_t)(p - prefix) + 1;
        }
    }
    if (len == 4 && !strncasecmp(prefix, "qmig", 4)) {
        return "its C names (qmig_*, Qmig*, QMIG_*) would clash with "
               "libqmig's own; use a longer prefix such as "
               "'" QMIG_DEFAULT_PREFIX "'";
    }
    return NULL;
}

/* "qmig-migration-" -> "QmigMigration": each word capitalised. */
static const char *type_prefix(QmigArena *arena, const char *prefix)
{
    char *out = qmig_arena_alloc(arena, strlen(prefix) + 1);
    char *p = out;
    bool start = true;
    for (const char *q = prefix; *q; q++) {
        if (!isalnum((unsigned char)*q)) {
            start = true;
            continue;
        }
        *p++ = start ? (char)toupper((unsigned char)*q) : *q;
        start = false;
    }
    *p = '\0';
    return out;
}

static const QmigModule *find_module(QmigCtx *ctx, const QmigSchema *schema,
                                     const char *name)
{
    const QmigModule *found = qmig_schema_find_module(schema, name,
                                                      ctx->arena);
    if (found) {
        return found;
    }
    char *known = "";
    for (size_t i = 0; i < schema->modules.len; i++) {
        const QmigModule *mod = schema->modules.items[i];
        known = qmig_arena_printf(ctx->arena, "%s%s%s", known, i ? ", " : "",
                                  mod->name);
    }
    qmig_fatal_io(ctx, "schema '%s' has no module '%s'; its modules are: %s",
                  schema->root_path, name, known);
}

void qmig_generate(QmigCtx *ctx, const QmigSchema *schema,
                   const QmigMetadata *meta, const QmigGenOptions *opts,
                   QmigOutputSet *outputs)
{
    QmigGen gen = {
        .ctx = ctx,
        .arena = ctx->arena,
        .schema = schema,
        .meta = meta,
        .sources = opts->sources,
        .outputs = {.arena = ctx->arena},
    };
    const char *prefix = opts->prefix ? opts->prefix : QMIG_DEFAULT_PREFIX;
    gen.file_prefix = prefix;
    gen.c_prefix = qmig_c_name(ctx->arena, prefix, false);
    gen.upper_prefix = qmig_gen_upper(&gen, prefix);
    gen.type_prefix = type_prefix(ctx->arena, prefix);
    if (opts->module) {
        gen.module = find_module(ctx, schema, opts->module);
        if (meta && meta->cap_enum->module != gen.module) {
            qmig_fatal_io(ctx, "module '%s' does not define %s, which the "
                               "metadata describes (module '%s' does)",
                          gen.module->name, meta->cap_enum->name,
                          meta->cap_enum->module->name);
        }
    }
    if (opts->target == QMIG_TARGET_QEMU) {
        qmig_gen_qemu(&gen);
    } else {
        qmig_gen_c(&gen);
        qmig_gen_rst(&gen);
    }
    *outputs = gen.outputs;
}
