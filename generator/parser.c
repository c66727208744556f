/*
 * parser.c - QAPI schema files to top-level expressions; see parser.h.
 *
 * Follows QEMU's scripts/qapi/parser.py QAPISchemaParser: the same
 * grammar, the same error texts and positions, the same include and
 * pragma semantics.
 */
#include "parser.h"

#include <errno.h>
#include <string.h>

#include "doc.h"
#include "lexer.h"
#include "strmap.h"

typedef struct Parser {
    QmigCtx *ctx;
    QmigLexer lex;
    QmigParseResult *out;
    QmigStrMap *included; /* abspath -> file, shared by the whole parse */
    int depth;
    /*
     * Items of the objects and arrays being parsed, innermost last; each
     * is copied out at its closing bracket into an array of exact size.
     */
    QmigPtrVec scratch;
    /*
     * Metadata files: free-form documentation may precede an expression
     * (it documents the file, not a QAPI definition).
     */
    bool metadata;
} Parser;

/* Objects with more keys than this get a hash set for duplicate keys. */
#define LINEAR_KEY_SCAN_MAX 32

QmigValue *qmig_value_get(const QmigValue *obj, const char *key)
{
    if (!obj || obj->kind != QMIG_VAL_OBJECT) {
        return NULL;
    }
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        /* Testing the first byte first skips most strcmp() calls. */
        const char *k = obj->u.obj.items[i].key;
        if (k[0] == key[0] && !strcmp(k, key)) {
            return obj->u.obj.items[i].value;
        }
    }
    return NULL;
}

bool qmig_value_has(const QmigValue *obj, const char *key)
{
    return qmig_value_get(obj, key) != NULL;
}

bool qmig_value_truthy(const QmigValue *value)
{
    if (!value) {
        return false;
    }
    switch (value->kind) {
    case QMIG_VAL_OBJECT:
        return value->u.obj.len > 0;
    case QMIG_VAL_ARRAY:
        return value->u.arr.len > 0;
    case QMIG_VAL_STRING:
        return value->u.str[0] != '\0';
    case QMIG_VAL_BOOL:
        return value->u.boolean;
    }
    return false;
}

static QmigValue *new_value(Parser *p, QmigValueKind kind)
{
    QmigValue *v = QMIG_NEW(p->ctx->arena, QmigValue);
    v->kind = kind;
    v->line = p->lex.line;
    return v;
}

static void next(Parser *p)
{
    qmig_lex_next(&p->lex, true);
}

static QmigValue *get_expr(Parser *p);

/* Keys are scratch items base, base + 2, ...; values follow each key. */
static bool key_seen(Parser *p, size_t base, QmigStrMap **seen,
                     const char *key)
{
    size_t n_keys = (p->scratch.len - base) / 2;
    if (n_keys < LINEAR_KEY_SCAN_MAX) {
        for (size_t i = base; i < p->scratch.len; i += 2) {
            const char *k = p->scratch.items[i];
            /* The first byte rules out most keys without a call. */
            if (k[0] == key[0] && !strcmp(k, key)) {
                return true;
            }
        }
        return false;
    }
    if (!*seen) {
        *seen = qmig_strmap_new(p->ctx->arena);
        for (size_t i = base; i < p->scratch.len; i += 2) {
            qmig_strmap_put(*seen, p->scratch.items[i], p);
        }
    }
    return qmig_strmap_get(*seen, key) != NULL;
}

static void get_members(Parser *p, QmigValue *obj)
{
    size_t base = p->scratch.len;
    QmigStrMap *seen = NULL;
    if (p->lex.tok == '}') {
        next(p);
        return;
    }
    if (p->lex.tok != QMIG_TOK_STRING) {
        qmig_lex_error(&p->lex, "expected string or '}'");
    }
    for (;;) {
        const char *key = p->lex.val;
        next(p);
        if (p->lex.tok != ':') {
            qmig_lex_error(&p->lex, "expected ':'");
        }
        next(p);
        /* QEMU reports a duplicate key at the value that follows it. */
        if (key_seen(p, base, &seen, key)) {
            qmig_lex_error(&p->lex, "duplicate key '%s'", key);
        }
        if (seen) {
            qmig_strmap_put(seen, key, p);
        }
        QmigValue *value = get_expr(p);
        qmig_vec_push(p->ctx->arena, &p->scratch, (void *)key);
        qmig_vec_push(p->ctx->arena, &p->scratch, value);
        if (p->lex.tok == '}') {
            next(p);
            break;
        }
        if (p->lex.tok != ',') {
            qmig_lex_error(&p->lex, "expected ',' or '}'");
        }
        next(p);
        if (p->lex.tok != QMIG_TOK_STRING) {
            qmig_lex_error(&p->lex, "expected string");
        }
    }
    size_t len = (p->scratch.len - base) / 2;
    obj->u.obj.len = len;
    obj->u.obj.items = qmig_arena_alloc(p->ctx->arena,
                                        len * sizeof(QmigKeyValue));
    for (size_t i = 0; i < len; i++) {
        obj->u.obj.items[i].key = p->scratch.items[base + 2 * i];
        obj->u.obj.items[i].value = p->scratch.items[base + 2 * i + 1];
    }
    p->scratch.len = base;
}

static bool starts_value(int tok)
{
    return tok == '{' || tok == '[' || tok == QMIG_TOK_STRING ||
           tok == QMIG_TOK_TRUE || tok == QMIG_TOK_FALSE;
}

static void get_values(Parser *p, QmigValue *arr)
{
    size_t base = p->scratch.len;
    if (p->lex.tok == ']') {
        next(p);
        return;
    }
    if (!starts_value(p->lex.tok)) {
        qmig_lex_error(&p->lex, "expected '{', '[', ']', string, or boolean");
    }
    for (;;) {
        QmigValue *value = get_expr(p);
        qmig_vec_push(p->ctx->arena, &p->scratch, value);
        if (p->lex.tok == ']') {
            next(p);
            break;
        }
        if (p->lex.tok != ',') {
            qmig_lex_error(&p->lex, "expected ',' or ']'");
        }
        next(p);
    }
    size_t len = p->scratch.len - base;
    arr->u.arr.len = len;
    arr->u.arr.items = qmig_arena_alloc(p->ctx->arena, len * sizeof(QmigValue *));
    memcpy(arr->u.arr.items, p->scratch.items + base, len * sizeof(QmigValue *));
    p->scratch.len = base;
}

static QmigValue *get_expr(Parser *p)
{
    QmigValue *v;
    switch (p->lex.tok) {
    case '{':
    case '[':
        /* Bounded recursion: hostile nesting must not exhaust the stack. */
        if (++p->depth > QMIG_MAX_NESTING) {
            qmig_lex_error(&p->lex, "nesting deeper than %d levels",
                           QMIG_MAX_NESTING);
        }
        v = new_value(p, p->lex.tok == '{' ? QMIG_VAL_OBJECT : QMIG_VAL_ARRAY);
        next(p);
        if (v->kind == QMIG_VAL_OBJECT) {
            get_members(p, v);
        } else {
            get_values(p, v);
        }
        p->depth--;
        return v;
    case QMIG_TOK_STRING:
        v = new_value(p, QMIG_VAL_STRING);
        v->u.str = p->lex.val;
        next(p);
        return v;
    case QMIG_TOK_TRUE:
    case QMIG_TOK_FALSE:
        v = new_value(p, QMIG_VAL_BOOL);
        v->u.boolean = p->lex.tok == QMIG_TOK_TRUE;
        next(p);
        return v;
    default:
        qmig_lex_error(&p->lex, "expected '{', '[', string, or boolean");
    }
}

static void reject_expr_doc(Parser *p, const QmigDoc *doc)
{
    if (doc && doc->symbol && !p->ctx->docs_relaxed) {
        qmig_error(p->ctx, doc->info, 0,
                   "documentation for '%s' is not followed by the definition",
                   doc->symbol);
    }
}

static void add_expr(Parser *p, QmigExprKind kind, QmigValue *value,
                     QmigInfo *info, QmigDoc *doc, const char *include)
{
    QmigExpr *expr = QMIG_NEW(p->ctx->arena, QmigExpr);
    expr->kind = kind;
    expr->value = value;
    expr->info = info;
    expr->doc = doc;
    expr->include = include;
    qmig_vec_push(p->ctx->arena, &p->out->exprs, expr);
}

static bool is_list_of_strings(const QmigValue *v)
{
    if (v->kind != QMIG_VAL_ARRAY) {
        return false;
    }
    for (size_t i = 0; i < v->u.arr.len; i++) {
        if (v->u.arr.items[i]->kind != QMIG_VAL_STRING) {
            return false;
        }
    }
    return true;
}

static void set_string_list(Parser *p, QmigPtrVec *list, const QmigValue *v)
{
    /* A later pragma replaces the list; it does not append. */
    memset(list, 0, sizeof(*list));
    for (size_t i = 0; i < v->u.arr.len; i++) {
        qmig_vec_push(p->ctx->arena, list, (void *)v->u.arr.items[i]->u.str);
    }
}

static void apply_pragma(Parser *p, const char *name, const QmigValue *value,
                         const QmigInfo *info)
{
    static const struct {
        const char *name;
        size_t offset;
    } lists[] = {
        {"command-name-exceptions",
         offsetof(QmigPragma, command_name_exceptions)},
        {"command-returns-exceptions",
         offsetof(QmigPragma, command_returns_exceptions)},
        {"documentation-exceptions",
         offsetof(QmigPragma, documentation_exceptions)},
        {"member-name-exceptions",
         offsetof(QmigPragma, member_name_exceptions)},
    };
    /*
     * QEMU 4.2 to 5.2 spelled two of them differently (6.0 renamed
     * them); legacy mode takes the old names for the new lists.
     * name-case-whitelist then covered member names and command names.
     */
    static const struct {
        const char *old_name;
        const char *name;
    } renamed[] = {
        {"returns-whitelist", "command-returns-exceptions"},
        {"name-case-whitelist", "member-name-exceptions"},
    };
    const char *spelled = name;
    if (p->ctx->legacy) {
        for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++) {
            if (!strcmp(name, renamed[i].old_name)) {
                name = renamed[i].name;
                break;
            }
        }
    }
    if (!strcmp(name, "doc-required")) {
        if (value->kind != QMIG_VAL_BOOL) {
            qmig_error(p->ctx, info, 0,
                       "pragma 'doc-required' must be boolean");
        }
        p->ctx->pragma.doc_required = value->u.boolean;
        return;
    }
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if (!strcmp(name, lists[i].name)) {
            if (!is_list_of_strings(value)) {
                qmig_error(p->ctx, info, 0,
                           "pragma %s must be a list of strings", spelled);
            }
            set_string_list(p, (QmigPtrVec *)((char *)&p->ctx->pragma +
                                              lists[i].offset),
                            value);
            return;
        }
    }
    qmig_error(p->ctx, info, 0, "unknown pragma '%s'", name);
}

static void parse_file(Parser *p, const char *path, const QmigInfo *incl);

/* os.path.join(os.path.dirname(including), include), as QEMU does. */
static const char *join_include(Parser *p, const char *including,
                                const char *include)
{
    if (include[0] == '/') {
        return include;
    }
    const char *slash = strrchr(including, '/');
    if (!slash) {
        return include;
    }
    return qmig_arena_printf(p->ctx->arena, "%.*s/%s",
                             (int)(slash - including + 1) - 1, including,
                             include);
}

static void handle_include(Parser *p, QmigValue *expr, QmigInfo *info)
{
    if (expr->u.obj.len != 1) {
        qmig_error(p->ctx, info, 0, "invalid 'include' directive");
    }
    QmigValue *include = expr->u.obj.items[0].value;
    if (include->kind != QMIG_VAL_STRING) {
        qmig_error(p->ctx, info, 0, "value of 'include' must be a string");
    }
    const char *path = join_include(p, p->lex.file->path, include->u.str);
    add_expr(p, QMIG_EXPR_INCLUDE, expr, info, NULL, path);

    /* An include of any file on the chain of includers is a loop. */
    QmigCtx *ctx = p->ctx;
    const char *abspath = qmig_abspath(ctx, path);
    for (const QmigFile *f = p->lex.file; f;
         f = f->incl ? f->incl->file : NULL) {
        if (!strcmp(f->abspath, abspath)) {
            qmig_error(ctx, info, 0, "inclusion loop for %s", include->u.str);
        }
    }
    if (qmig_strmap_get(p->included, abspath)) {
        return;
    }
    /* Parse the included file with a lexer of its own. */
    QmigLexer saved = p->lex;
    int saved_depth = p->depth;
    p->depth = 0;
    parse_file(p, path, info);
    p->lex = saved;
    p->depth = saved_depth;
}

static void handle_pragma(Parser *p, QmigValue *expr, QmigInfo *info)
{
    if (expr->u.obj.len != 1) {
        qmig_error(p->ctx, info, 0, "invalid 'pragma' directive");
    }
    QmigValue *pragma = expr->u.obj.items[0].value;
    if (pragma->kind != QMIG_VAL_OBJECT) {
        qmig_error(p->ctx, info, 0, "value of 'pragma' must be an object");
    }
    for (size_t i = 0; i < pragma->u.obj.len; i++) {
        apply_pragma(p, pragma->u.obj.items[i].key,
                     pragma->u.obj.items[i].value, info);
    }
}

/*
 * The lines of a documentation comment up to and including its closing
 * "##" (or the end of the file), from the block's opening "##" token.
 */
static void skip_doc_block(Parser *p)
{
    do {
        qmig_lex_next(&p->lex, false);
    } while (p->lex.tok == QMIG_TOK_COMMENT &&
             !(p->lex.val_len == 2 && !memcmp(p->lex.val, "##", 2)));
    if (p->lex.tok == QMIG_TOK_COMMENT) {
        next(p);
    }
}

/*
 * qmig_doc_parse() where documentation cannot fail the load: a block the
 * rules reject is skipped whole and NULL returned, as if it were a plain
 * comment.  The error it raised becomes a note (ctx->notes).
 */
static QmigDoc *parse_doc_relaxed(Parser *p)
{
    QmigCtx *ctx = p->ctx;
    QmigLexer at_block = p->lex;
    jmp_buf *outer = ctx->escape;
    char *outer_error = ctx->error;
    int outer_status = ctx->error_status;
    jmp_buf here;
    QmigDoc *doc = NULL;
    if (setjmp(here) == 0) {
        ctx->escape = &here;
        doc = qmig_doc_parse(&p->lex);
    } else {
        /* The rejection is the text after what was there before. */
        const char *error =
            ctx->error + (outer_error ? strlen(outer_error) : 0);
        qmig_vec_push(ctx->arena, &ctx->notes,
                      qmig_error_as_note(ctx, error,
                                         "documentation comment read as a "
                                         "plain comment"));
        ctx->error = outer_error;
        ctx->error_status = outer_status;
        p->lex = at_block;
        ctx->escape = outer;
        skip_doc_block(p);
    }
    ctx->escape = outer;
    return doc;
}

static void parse_body(Parser *p)
{
    QmigDoc *cur_doc = NULL;
    next(p);
    while (p->lex.tok != QMIG_TOK_EOF) {
        if (p->lex.tok == QMIG_TOK_COMMENT) {
            reject_expr_doc(p, cur_doc);
            cur_doc = p->ctx->docs_relaxed ? parse_doc_relaxed(p)
                                           : qmig_doc_parse(&p->lex);
            if (cur_doc) {
                qmig_vec_push(p->ctx->arena, &p->out->docs, cur_doc);
            }
            continue;
        }
        QmigInfo *info = qmig_lex_info(&p->lex);
        QmigValue *expr = get_expr(p);
        if (expr->kind != QMIG_VAL_OBJECT) {
            qmig_error(p->ctx, info, 0, "top-level expression must be an object");
        }
        if (qmig_value_has(expr, "include")) {
            reject_expr_doc(p, cur_doc);
            handle_include(p, expr, info);
        } else if (qmig_value_has(expr, "pragma")) {
            reject_expr_doc(p, cur_doc);
            handle_pragma(p, expr, info);
        } else {
            if (cur_doc && !cur_doc->symbol) {
                if (!p->metadata && !p->ctx->docs_relaxed) {
                    qmig_error(p->ctx, cur_doc->info, 0,
                               "definition documentation required");
                }
                cur_doc = NULL;
            }
            add_expr(p, QMIG_EXPR_DEFINITION, expr, info, cur_doc, NULL);
        }
        cur_doc = NULL;
    }
    reject_expr_doc(p, cur_doc);
}

static void parse_loaded(Parser *p, const QmigFile *file)
{
    if (!p->out->root) {
        p->out->root = file;
    }
    qmig_strmap_put(p->included, file->abspath, (void *)file);
    qmig_lex_init(&p->lex, p->ctx, file);
    p->lex.quote_escape = p->metadata;
    parse_body(p);
}

static void parse_file(Parser *p, const char *path, const QmigInfo *incl)
{
    int err = 0;
    QmigFile *file = qmig_file_load(p->ctx, path, incl, &err);
    if (!file) {
        const char *reason = err == EINVAL ? "not a regular file"
                                           : strerror(err);
        if (incl) {
            qmig_error(p->ctx, incl, 0, "can't read include file '%s': %s",
                       path, reason);
        }
        qmig_fatal_io(p->ctx, "can't read %s file '%s': %s",
                      p->metadata ? "metadata" : "schema", path, reason);
    }
    parse_loaded(p, file);
}

void qmig_parse_schema(QmigCtx *ctx, const char *path, QmigParseResult *out)
{
    Parser p = {.ctx = ctx, .out = out};
    p.included = qmig_strmap_new(ctx->arena);
    parse_file(&p, path, NULL);
}

void qmig_parse_buffer(QmigCtx *ctx, const QmigFile *file, QmigParseResult *out)
{
    Parser p = {.ctx = ctx, .out = out};
    p.included = qmig_strmap_new(ctx->arena);
    parse_loaded(&p, file);
}

void qmig_parse_metadata(QmigCtx *ctx, const char *path, QmigParseResult *out)
{
    Parser p = {.ctx = ctx, .out = out, .metadata = true};
    p.included = qmig_strmap_new(ctx->arena);
    parse_file(&p, path, NULL);
}
