/*
 * gen_rst.c - the reference documentation emitter (reStructuredText).
 *
 * Emits, for the documented module (--module, or the module that
 * defines the capability enum):
 *
 *   PREFIXreference.rst  capabilities and parameters with their
 *                        structured facts, channels, then every type,
 *                        command and event the module introduces, each
 *                        member and enum value with an anchor of its own;
 *   PREFIXrules.rst      the rule table and one entry per rule.
 *
 * The pages use the directives and roles of the qmig Sphinx domain
 * (sphinx-ext/qmig_sphinx): the structured facts go into directive
 * options, the QAPI documentation text into directive content.
 * Definitions of other modules are only linked to, never documented.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "gen.h"

/* Inline literal text; rST literals cannot contain a backquote pair. */
static const char *literal(QmigGen *gen, const char *s)
{
    return qmig_arena_printf(gen->arena, "``%s``", s);
}

/* Plain text escaped for rST (backslash before markup characters). */
static const char *plain(QmigGen *gen, const char *s)
{
    size_t n = strlen(s);
    char *out = qmig_arena_alloc(gen->arena, n * 2 + 1);
    char *p = out;
    for (const char *q = s; *q; q++) {
        if (strchr("\\*`_|[]", *q)) {
            *p++ = '\\';
        }
        *p++ = *q;
    }
    *p = '\0';
    return out;
}

static const char *cond_words(QmigGen *gen, const QmigCond *c, bool nested);

static const char *join_operands(QmigGen *gen, const QmigCond *c,
                                 const char *word, bool nested)
{
    char *s = nested ? "(" : "";
    for (size_t i = 0; i < c->n_operands; i++) {
        s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? word : "",
                              cond_words(gen, c->operands[i], true));
    }
    return nested ? qmig_arena_printf(gen->arena, "%s)", s) : s;
}

static const char *cond_words(QmigGen *gen, const QmigCond *c, bool nested)
{
    switch (c->kind) {
    case QMIG_COND_CAP:
        return literal(gen, c->cap->name);
    case QMIG_COND_HOST:
        return qmig_arena_printf(gen->arena, "host has %s",
                                 literal(gen, c->env->name));
    case QMIG_COND_CHANNEL:
        return qmig_arena_printf(gen->arena, "migrate given channel %s",
                                 literal(gen, c->channel->name));
    case QMIG_COND_RANGE:
        return qmig_arena_printf(gen->arena, "%s out of range",
                                 literal(gen, c->param->name));
    case QMIG_COND_COMPARE:
    case QMIG_COND_TRANSPORT:
    case QMIG_COND_SIDE:
        return literal(gen, c->text);
    case QMIG_COND_NOT:
        return qmig_arena_printf(gen->arena, "not %s",
                                 cond_words(gen, c->operands[0], true));
    case QMIG_COND_ALL:
        return join_operands(gen, c, " and ", nested);
    case QMIG_COND_ANY:
        return join_operands(gen, c, " or ", nested);
    }
    return "";
}

/* --- text helpers ------------------------------------------------------ */

/*
 * QEMU's documentation uses its own Sphinx roles (":qapi:event:`X`").
 * A definition this page documents becomes a qmig cross-reference;
 * anything else becomes an inline literal, since it has no page here.
 * Returns the number of bytes of @q consumed, 0 if there is no role.
 */
static size_t qapi_role(QmigGen *gen, const char *q, char **p)
{
    static const struct {
        const char *qapi, *qmig;
    } roles[] = {
        {":qapi:event:`", "event"}, {":qapi:cmd:`", "cmd"},
        {":qapi:command:`", "cmd"}, {":qapi:type:`", "type"},
        {":qapi:obj:`", "type"},    {":qapi:any:`", NULL},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        size_t len = strlen(roles[i].qapi);
        const char *end;
        if (strncmp(q, roles[i].qapi, len) ||
            !(end = strchr(q + len, '`'))) {
            continue;
        }
        char *target = qmig_arena_strndup(gen->arena, q + len,
                                          (size_t)(end - q - len));
        const QmigEntity *ent = qmig_schema_lookup(gen->schema, target);
        if (roles[i].qmig && ent && ent->module == gen->module) {
            *p += sprintf(*p, ":qmig:%s:`%s`", roles[i].qmig, target);
        } else {
            *p += sprintf(*p, "``%s``", target);
        }
        return (size_t)(end - q) + 1;
    }
    return 0;
}

/*
 * Types of other modules named in documentation text (`Name`): the
 * reference page declares them external (qmig:external-type) after the
 * last section, so that the references link.  Set by emit_reference().
 */
static QmigPtrVec *text_externals;

/* The role of QEMU's qapi domain object type a schema entity has. */
static const char *qapi_kind(const QmigEntity *ent)
{
    switch (ent->meta) {
    case QMIG_META_ENUM:
        return "enum";
    case QMIG_META_ALTERNATE:
        return "alternate";
    case QMIG_META_COMMAND:
        return "command";
    case QMIG_META_EVENT:
        return "event";
    default:
        return "object";
    }
}

/*
 * `name` (QEMU's default role, "any") naming a definition: the qmig
 * role that links to it, as ":qmig:ROLE:`name`" written at @p, or 0 if
 * the text is to stay as it is.  Commands and events of this module and
 * every type link (types of other modules are declared external, and in
 * QEMU's manual all of them resolve through its qapi domain); a
 * capability or parameter links to its entry.  Anything else (a name
 * the schema does not define, a command of another module) is left to
 * the default role.  Returns the bytes of @q consumed.
 */
static size_t any_role(QmigGen *gen, const char *text, const char *q, char **p)
{
    if (*q != '`' || (q > text && (q[-1] == '`' || q[-1] == ':' ||
                                   q[-1] == '\\' ||
                                   isalnum((unsigned char)q[-1])))) {
        return 0;
    }
    const char *start = q + 1;
    const char *end = start;
    while (isalnum((unsigned char)*end) || *end == '-' || *end == '_' ||
           *end == '.') {
        end++;
    }
    /* Not `name`, `name`_ (a hyperlink), or ``literal``. */
    if (end == start || *end != '`' || end[1] == '_' || end[1] == '`') {
        return 0;
    }
    char *name = qmig_arena_strndup(gen->arena, start, (size_t)(end - start));
    const QmigEntity *ent = qmig_schema_lookup(gen->schema, name);
    const char *role = NULL;
    if (ent && (ent->meta == QMIG_META_COMMAND ||
                ent->meta == QMIG_META_EVENT)) {
        if (ent->module == gen->module) {
            role = ent->meta == QMIG_META_COMMAND ? "cmd" : "event";
        }
    } else if (ent && qmig_entity_is_type(ent) &&
               ent->meta != QMIG_META_BUILTIN && ent->meta != QMIG_META_ARRAY &&
               !qmig_entity_is_implicit(ent)) {
        role = "type";
        if (ent->module != gen->module && text_externals) {
            bool seen = false;
            for (size_t i = 0; i < text_externals->len; i++) {
                seen |= text_externals->items[i] == ent;
            }
            if (!seen) {
                qmig_vec_push(gen->arena, text_externals, (void *)ent);
            }
        }
    } else if (!ent && gen->meta) {
        role = qmig_meta_cap(gen->meta, name)     ? "cap"
               : qmig_meta_param(gen->meta, name) ? "param"
                                                  : NULL;
    }
    if (!role) {
        return 0;
    }
    *p += sprintf(*p, ":qmig:%s:`%s`", role, name);
    return (size_t)(end - q) + 1;
}

/*
 * QAPI documentation is rST in which "@name" refers to a member; it
 * becomes an inline literal, as in QEMU's own documentation.  `Name`
 * naming a definition becomes a qmig cross-reference (any_role()).
 */
static const char *doc_text(QmigGen *gen, const char *text)
{
    if (!text) {
        return "";
    }
    size_t n = strlen(text);
    /* "@a" may become ":qmig:param:`a`": 8 times is always enough. */
    char *out = qmig_arena_alloc(gen->arena, n * 8 + 32);
    char *p = out;
    for (const char *q = text; *q;) {
        if (*q == ':') {
            size_t used = qapi_role(gen, q, &p);
            if (used) {
                q += used;
                continue;
            }
        }
        if (q[0] == '`' && q[1] == '`') {
            /* An inline literal, copied as it is. */
            const char *close = strstr(q + 2, "``");
            size_t len = close ? (size_t)(close - q) + 2 : 2;
            memcpy(p, q, len);
            p += len;
            q += len;
            continue;
        }
        if (*q == '`') {
            size_t used = any_role(gen, text, q, &p);
            if (used) {
                q += used;
                continue;
            }
        }
        bool word_before = q > text && (isalnum((unsigned char)q[-1]) ||
                                        q[-1] == '`');
        if (*q == '@' && !word_before &&
            (isalnum((unsigned char)q[1]) || q[1] == '_')) {
            const char *start = ++q;
            while (isalnum((unsigned char)*q) || *q == '-' || *q == '_' ||
                   *q == '.') {
                q++;
            }
            /* A trailing '.' ends the sentence, not the name. */
            while (q > start && q[-1] == '.') {
                q--;
            }
            /* Capabilities and parameters have pages: link them. */
            char *name = qmig_arena_strndup(gen->arena, start,
                                            (size_t)(q - start));
            const char *role = !gen->meta                    ? NULL
                               : qmig_meta_cap(gen->meta, name) ? "cap"
                               : qmig_meta_param(gen->meta, name) ? "param"
                                                                  : NULL;
            if (role) {
                p += sprintf(p, ":qmig:%s:`%s`", role, name);
            } else {
                p += sprintf(p, "``%s``", name);
            }
            /* rST needs a separator after an inline literal. */
            if (*q && (isalnum((unsigned char)*q) || *q == '_')) {
                *p++ = '\\';
                *p++ = ' ';
            }
            continue;
        }
        *p++ = *q++;
    }
    *p = '\0';
    return out;
}

/* Append @text with every non-empty line indented by @indent spaces. */
static void put_block(QmigOutput *out, int indent, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            qmig_out_printf(out, "%*s%.*s\n", indent, "", (int)n, p);
        } else {
            qmig_out_puts(out, "\n");
        }
        p += n + (nl ? 1 : 0);
    }
}

/*
 * Description text as the parser keeps it: the first line starts right
 * after "@name: ", continuation lines carry the comment's indentation.
 * Remove the indentation common to the continuation lines, as QEMU's
 * documentation generator does, so that they do not read as a quote.
 */
static const char *dedent_rest(QmigGen *gen, const char *text)
{
    const char *nl = strchr(text, '\n');
    if (!nl) {
        return text;
    }
    size_t common = (size_t)-1;
    for (const char *p = nl + 1; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        size_t ind = 0;
        while (ind < n && p[ind] == ' ') {
            ind++;
        }
        if (ind < n && ind < common) {
            common = ind;
        }
        p += n + (end ? 1 : 0);
    }
    if (common == (size_t)-1 || common == 0) {
        return text;
    }
    char *out = qmig_arena_alloc(gen->arena, strlen(text) + 1);
    char *o = out;
    memcpy(o, text, (size_t)(nl - text) + 1);
    o += nl - text + 1;
    for (const char *p = nl + 1; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        size_t skip = n >= common ? common : n;
        memcpy(o, p + skip, n - skip);
        o += n - skip;
        if (end) {
            *o++ = '\n';
        }
        p += n + (end ? 1 : 0);
    }
    *o = '\0';
    return out;
}

/* Body and section text: its indentation is already rST structure. */
static void put_text(QmigGen *gen, QmigOutput *out, int indent,
                     const char *text)
{
    if (text && *text) {
        put_block(out, indent, doc_text(gen, text));
        qmig_out_puts(out, "\n");
    }
}

/* A member description: continuation lines lose the comment's indent. */
static void put_description(QmigGen *gen, QmigOutput *out, int indent,
                            const char *text)
{
    if (text && *text) {
        put_text(gen, out, indent, dedent_rest(gen, text));
    }
}

/* "(since X.Y)" in a member description, or NULL. */
static const char *since_in(QmigGen *gen, const char *text)
{
    if (!text) {
        return NULL;
    }
    const char *p = strstr(text, "(since ");
    if (!p) {
        p = strstr(text, "(Since ");
    }
    const char *end = p ? strchr(p, ')') : NULL;
    return end ? qmig_arena_strndup(gen->arena, p + 7, (size_t)(end - p - 7))
               : NULL;
}

static const char *doc_since(QmigGen *gen, const QmigDoc *doc)
{
    if (!doc || !doc->since || !doc->since->text) {
        return NULL;
    }
    /* The first line: "Since: 8.2" sections hold just the version. */
    const char *t = doc->since->text;
    const char *nl = strchr(t, '\n');
    return nl ? qmig_arena_strndup(gen->arena, t, (size_t)(nl - t)) : t;
}

static const char *ifcond_words(QmigGen *gen, const QmigIfCond *c, bool nested)
{
    switch (c->kind) {
    case QMIG_IF_NAME:
        return c->name;
    case QMIG_IF_NOT:
        return qmig_arena_printf(gen->arena, "not %s",
                                 ifcond_words(gen, c->operands[0], true));
    case QMIG_IF_ALL:
    case QMIG_IF_ANY: {
        const char *word = c->kind == QMIG_IF_ALL ? " and " : " or ";
        char *s = nested ? "(" : "";
        for (size_t i = 0; i < c->n_operands; i++) {
            s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? word : "",
                                  ifcond_words(gen, c->operands[i], true));
        }
        return nested ? qmig_arena_printf(gen->arena, "%s)", s) : s;
    }
    }
    return "";
}

static void put_option(QmigOutput *out, int indent, const char *name,
                       const char *value)
{
    if (value && *value) {
        qmig_out_printf(out, "%*s:%s: %s\n", indent, "", name, value);
    }
}

static const char *feature_names(QmigGen *gen, const QmigPtrVec *features)
{
    char *s = "";
    for (size_t i = 0; i < features->len; i++) {
        const QmigFeature *f = features->items[i];
        s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? " " : "", f->name);
    }
    return s;
}

static bool documented_here(QmigGen *gen, const QmigEntity *ent)
{
    return ent->module == gen->module && ent->info &&
           !qmig_entity_is_implicit(ent) && ent->meta != QMIG_META_INCLUDE;
}

/* --- external types ---------------------------------------------------- */

/* Types of other modules that this module's definitions refer to. */
static void note_external(QmigGen *gen, QmigPtrVec *seen, const QmigEntity *t)
{
    if (!t) {
        return;
    }
    if (t->meta == QMIG_META_ARRAY) {
        note_external(gen, seen, t->element);
        return;
    }
    if (t->meta == QMIG_META_BUILTIN || qmig_entity_is_implicit(t) ||
        t->module == gen->module) {
        return;
    }
    for (size_t i = 0; i < seen->len; i++) {
        if (seen->items[i] == t) {
            return;
        }
    }
    qmig_vec_push(gen->arena, seen, (void *)t);
}

static void note_members(QmigGen *gen, QmigPtrVec *seen, const QmigPtrVec *ms)
{
    for (size_t i = 0; i < ms->len; i++) {
        note_external(gen, seen, ((const QmigMember *)ms->items[i])->type);
    }
}

static void emit_external_list(QmigGen *gen, QmigOutput *out,
                               const QmigPtrVec *types);

static void emit_externals(QmigGen *gen, QmigOutput *out, QmigPtrVec *seen_out)
{
    QmigPtrVec seen = {0};
    for (size_t i = 0; i < gen->module->entities.len; i++) {
        const QmigEntity *ent = gen->module->entities.items[i];
        if (!documented_here(gen, ent)) {
            continue;
        }
        note_external(gen, &seen, ent->base);
        note_members(gen, &seen, &ent->local_members);
        note_members(gen, &seen, &ent->variants);
        if (ent->arg_type) {
            note_external(gen, &seen, ent->arg_type);
            note_members(gen, &seen, &ent->arg_type->members);
        }
        note_external(gen, &seen, ent->ret_type);
    }
    emit_external_list(gen, out, &seen);
    *seen_out = seen;
}

/* qmig:external-type for each type of @types (of other modules). */
static void emit_external_list(QmigGen *gen, QmigOutput *out,
                               const QmigPtrVec *types)
{
    (void)gen;
    for (size_t i = 0; i < types->len; i++) {
        const QmigEntity *t = types->items[i];
        const char *mod = t->module ? t->module->name : "";
        const char *dot = strrchr(mod, '.');
        const char *slash = strrchr(mod, '/');
        const char *base = slash ? slash + 1 : mod;
        qmig_out_printf(out, ".. qmig:external-type:: %s\n   :module: %.*s\n"
                             "   :kind: %s\n\n",
                        t->name,
                        (int)(dot && dot > base ? dot - base : (long)strlen(base)),
                        base, qapi_kind(t));
    }
}

/* --- reference page ---------------------------------------------------- */

static const char *type_ref(QmigGen *gen, const QmigEntity *t)
{
    if (!t) {
        return NULL;
    }
    if (t->meta == QMIG_META_ARRAY) {
        return qmig_arena_printf(gen->arena, "[%s]", t->element->name);
    }
    return t->name;
}

static const char *rule_ids_of(QmigGen *gen, const char *name)
{
    char *s = "";
    for (size_t i = 0; i < gen->meta->rules.len; i++) {
        const QmigMetaRule *rule = gen->meta->rules.items[i];
        for (size_t k = 0; k < rule->names.len; k++) {
            if (!strcmp(rule->names.items[k], name)) {
                s = qmig_arena_printf(gen->arena, "%s%s%s", s, *s ? " " : "",
                                      rule->id);
                break;
            }
        }
    }
    return s;
}

static const char *cap_list(QmigGen *gen, const QmigPtrVec *rules)
{
    char *s = "";
    for (size_t i = 0; i < rules->len; i++) {
        const QmigMetaRule *r = rules->items[i];
        s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? " " : "",
                              r->other->name);
    }
    return s;
}

/* Conflicts are declared on one side; documentation shows both. */
static const char *all_conflicts(QmigGen *gen, const QmigMetaCap *cap)
{
    char *s = (char *)cap_list(gen, &cap->conflicts);
    for (size_t i = 0; i < gen->meta->caps.len; i++) {
        const QmigMetaCap *other = gen->meta->caps.items[i];
        for (size_t k = 0; k < other->conflicts.len; k++) {
            const QmigMetaRule *r = other->conflicts.items[k];
            if (r->other == cap) {
                s = qmig_arena_printf(gen->arena, "%s%s%s", s, *s ? " " : "",
                                      other->name);
            }
        }
    }
    return s;
}

static const char *transport_list(QmigGen *gen, unsigned transports)
{
    char *s = "";
    for (int t = 0; t < QMIG__TRANSPORT_MAX; t++) {
        if (transports & (1u << t)) {
            s = qmig_arena_printf(gen->arena, "%s%s%s", s, *s ? " " : "",
                                  qmig_transport_names[t]);
        }
    }
    return s;
}

static const char *channel_list(QmigGen *gen, const QmigPtrVec *channels)
{
    char *s = "";
    for (size_t i = 0; i < channels->len; i++) {
        s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? " " : "",
                              ((const QmigMetaChannel *)channels->items[i])->name);
    }
    return s;
}

static const char *status_of(QmigStatus status)
{
    return qmig_status_names[status];
}

/*
 * An rST comment naming the schema location an object comes from; the
 * docs build maps Sphinx warnings in generated pages back to it.
 */
static void source_comment(QmigOutput *out, const QmigInfo *info)
{
    if (info) {
        qmig_out_printf(out, ".. qmig-source: %s:%u\n\n", info->file->path,
                        info->line);
    }
}

static void emit_capability(QmigGen *gen, QmigOutput *out,
                            const QmigMetaCap *cap)
{
    /* The member's description is the most precise place there is. */
    source_comment(out, cap->qapi->doc ? cap->qapi->doc->info
                                       : cap->qapi->info);
    qmig_out_printf(out, ".. qmig:capability:: %s\n", cap->name);
    put_option(out, 3, "since", cap->since ? cap->since
                                           : since_in(gen, cap->qapi->doc
                                                               ? cap->qapi->doc->text
                                                               : NULL));
    put_option(out, 3, "status", status_of(cap->status));
    put_option(out, 3, "side", qmig_side_names[cap->side]);
    put_option(out, 3, "handshake", qmig_handshake_names[cap->handshake]);
    put_option(out, 3, "transports", transport_list(gen, cap->transports));
    put_option(out, 3, "requires", cap_list(gen, &cap->requires));
    put_option(out, 3, "conflicts", all_conflicts(gen, cap));
    put_option(out, 3, "channels", channel_list(gen, &cap->channels));
    if (cap->qapi->ifcond) {
        put_option(out, 3, "if", ifcond_words(gen, cap->qapi->ifcond, false));
    }
    put_option(out, 3, "rules", rule_ids_of(gen, cap->name));
    qmig_out_puts(out, "\n");
    put_description(gen, out, 3, cap->qapi->doc ? cap->qapi->doc->text : NULL);
}

/* A bound the metadata gives, in words; NULL when it gives none. */
static const char *bound_text(QmigGen *gen, const QmigBound *b)
{
    switch (b->kind) {
    case QMIG_BOUND_LITERAL:
        return b->text;
    case QMIG_BOUND_PARAM:
        return qmig_arena_printf(gen->arena, ":qmig:param:`%s`",
                                 b->param->name);
    case QMIG_BOUND_HOST:
        return "the target page size";
    case QMIG_BOUND_NONE:
        break;
    }
    return NULL;
}

/*
 * The range in words, from what the metadata states: the QAPI type's
 * own limits are not a range anybody chose, so they are not shown.
 */
static const char *range_text(QmigGen *gen, const QmigMetaParam *param)
{
    if (param->kind != QMIG_PARAM_INT) {
        return NULL;
    }
    const char *lo = bound_text(gen, &param->min);
    const char *hi = bound_text(gen, &param->max);
    const char *s = lo && hi ? qmig_arena_printf(gen->arena, "%s to %s", lo, hi)
                    : lo     ? qmig_arena_printf(gen->arena, "at least %s", lo)
                    : hi     ? qmig_arena_printf(gen->arena, "at most %s", hi)
                             : NULL;
    if (param->power_of_two) {
        s = s ? qmig_arena_printf(gen->arena, "%s, a power of two", s)
              : "a power of two";
    }
    return s;
}

/* "67108864 (64 MiB)": byte counts also in binary units when exact. */
static const char *default_text(QmigGen *gen, const QmigMetaParam *param)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (!param->default_text || param->kind != QMIG_PARAM_INT ||
        (param->unit != QMIG_UNIT_BYTES &&
         param->unit != QMIG_UNIT_BYTES_PER_SECOND)) {
        return param->default_text;
    }
    uint64_t v = param->default_int.magnitude;
    int u = -1;
    while (v >= 1024 && v % 1024 == 0 && u < 3) {
        v /= 1024;
        u++;
    }
    if (u < 0) {
        return param->default_text;
    }
    return qmig_arena_printf(gen->arena, "%s (%llu %s%s)", param->default_text,
                             (unsigned long long)v, units[u],
                             param->unit == QMIG_UNIT_BYTES_PER_SECOND ? "/s"
                                                                       : "");
}

/* Units as people write them. */
static const char *unit_text(QmigUnit unit)
{
    static const char *const text[] = {
        [QMIG_UNIT_BYTES] = "bytes",
        [QMIG_UNIT_BYTES_PER_SECOND] = "bytes/s",
        [QMIG_UNIT_MEGABYTES_PER_SECOND] = "MB/s",
        [QMIG_UNIT_MILLISECONDS] = "ms",
        [QMIG_UNIT_PERCENT] = "%",
        [QMIG_UNIT_COUNT] = "count",
        [QMIG_UNIT_LEVEL] = "level",
    };
    return unit > QMIG_UNIT_NONE && unit < QMIG__UNIT_MAX ? text[unit] : NULL;
}

static const char *values_text(QmigGen *gen, const QmigPtrVec *values)
{
    char *s = "";
    for (size_t i = 0; i < values->len; i++) {
        s = qmig_arena_printf(gen->arena, "%s%s%s", s, i ? " " : "",
                              (const char *)values->items[i]);
    }
    return s;
}

static void emit_parameter(QmigGen *gen, QmigOutput *out,
                           const QmigMetaParam *param)
{
    const QmigMember *m = param->qapi;
    source_comment(out, m->doc ? m->doc->info : m->info);
    qmig_out_printf(out, ".. qmig:parameter:: %s\n", param->name);
    put_option(out, 3, "type", type_ref(gen, m->type));
    put_option(out, 3, "default", default_text(gen, param));
    put_option(out, 3, "range", range_text(gen, param));
    put_option(out, 3, "values", values_text(gen, &param->values));
    put_option(out, 3, "unit", unit_text(param->unit));
    put_option(out, 3, "side", qmig_side_names[param->side]);
    put_option(out, 3, "handshake", qmig_handshake_names[param->handshake]);
    put_option(out, 3, "since", param->since ? param->since
                                             : since_in(gen, m->doc ? m->doc->text
                                                                    : NULL));
    put_option(out, 3, "status", status_of(param->status));
    if (param->capability) {
        put_option(out, 3, "capability", param->capability->name);
    }
    if (m->ifcond) {
        put_option(out, 3, "if", ifcond_words(gen, m->ifcond, false));
    }
    put_option(out, 3, "rules", rule_ids_of(gen, param->name));
    qmig_out_puts(out, "\n");
    put_description(gen, out, 3, m->doc ? m->doc->text : NULL);
}

static void emit_channel(QmigGen *gen, QmigOutput *out,
                         const QmigMetaChannel *ch)
{
    source_comment(out, ch->info);
    qmig_out_printf(out, ".. qmig:channel:: %s\n", ch->name);
    put_option(out, 3, "pattern", qmig_arena_printf(gen->arena, "``%s``",
                                                    ch->pattern));
    put_option(out, 3, "count",
               ch->count_param ? ch->count_param->name
                               : qmig_arena_printf(gen->arena, "%llu",
                                                   (unsigned long long)
                                                       ch->count.magnitude));
    if (ch->enabled_by) {
        put_option(out, 3, "enabled-by", cond_words(gen, ch->enabled_by, false));
    }
    put_option(out, 3, "after", channel_list(gen, &ch->after));
    char *opened = "";
    for (size_t i = 0; i < gen->meta->caps.len; i++) {
        const QmigMetaCap *cap = gen->meta->caps.items[i];
        for (size_t k = 0; k < cap->channels.len; k++) {
            if (cap->channels.items[k] == ch) {
                opened = qmig_arena_printf(gen->arena, "%s%s%s", opened,
                                           *opened ? " " : "", cap->name);
            }
        }
    }
    put_option(out, 3, "opened-by", opened);
    qmig_out_puts(out, "\n");
}

/* Graphviz: requires (solid) and conflicts (dashed, red) between caps. */
static void emit_cap_graph(QmigGen *gen, QmigOutput *out)
{
    qmig_out_puts(out, ".. graphviz::\n   :caption: Capability requirements "
                       "(arrows) and conflicts (dashed)\n\n"
                       "   digraph capabilities {\n"
                       "       rankdir=LR;\n"
                       "       node [shape=box, fontsize=10];\n");
    for (size_t i = 0; i < gen->meta->caps.len; i++) {
        const QmigMetaCap *cap = gen->meta->caps.items[i];
        qmig_out_printf(out, "       \"%s\";\n", cap->name);
    }
    for (size_t i = 0; i < gen->meta->caps.len; i++) {
        const QmigMetaCap *cap = gen->meta->caps.items[i];
        for (size_t k = 0; k < cap->requires.len; k++) {
            const QmigMetaRule *r = cap->requires.items[k];
            qmig_out_printf(out, "       \"%s\" -> \"%s\";\n", cap->name,
                            r->other->name);
        }
        for (size_t k = 0; k < cap->conflicts.len; k++) {
            const QmigMetaRule *r = cap->conflicts.items[k];
            qmig_out_printf(out,
                            "       \"%s\" -> \"%s\" [style=dashed, "
                            "color=red, dir=none];\n",
                            cap->name, r->other->name);
        }
    }
    qmig_out_puts(out, "   }\n\n");
}

static void emit_channel_graph(QmigGen *gen, QmigOutput *out)
{
    qmig_out_puts(out, ".. graphviz::\n   :caption: Channels and the order "
                       "they connect in\n\n"
                       "   digraph channels {\n"
                       "       rankdir=LR;\n"
                       "       node [shape=box, fontsize=10];\n");
    for (size_t i = 0; i < gen->meta->channels.len; i++) {
        const QmigMetaChannel *ch = gen->meta->channels.items[i];
        /*
         * The name once: the pattern alone when it starts with the name
         * ("main", "multifd/{index}"), else both.
         */
        size_t len = strlen(ch->name);
        bool named = !strncmp(ch->pattern, ch->name, len) &&
                     (ch->pattern[len] == '\0' || ch->pattern[len] == '/');
        qmig_out_printf(out, "       \"%s\" [label=\"%s%s%s%s%s\"];\n",
                        ch->name, named ? "" : ch->name, named ? "" : "\\n",
                        ch->pattern, ch->count_param ? "\\n\xc3\x97 " : "",
                        ch->count_param ? ch->count_param->name : "");
        for (size_t k = 0; k < ch->after.len; k++) {
            qmig_out_printf(out, "       \"%s\" -> \"%s\";\n",
                            ((const QmigMetaChannel *)ch->after.items[k])->name,
                            ch->name);
        }
    }
    qmig_out_puts(out, "   }\n\n");
}

static void emit_member(QmigGen *gen, QmigOutput *out, const char *parent,
                        const QmigMember *m, bool with_type)
{
    qmig_out_printf(out, "   .. qmig:member:: %s\n", m->name);
    put_option(out, 6, "parent", parent);
    if (with_type) {
        put_option(out, 6, "type", type_ref(gen, m->type));
        if (m->optional) {
            qmig_out_puts(out, "      :optional:\n");
        }
    }
    if (m->ifcond) {
        put_option(out, 6, "if", ifcond_words(gen, m->ifcond, false));
    }
    put_option(out, 6, "features", feature_names(gen, &m->features));
    put_option(out, 6, "since", since_in(gen, m->doc ? m->doc->text : NULL));
    qmig_out_puts(out, "\n");
    put_description(gen, out, 6, m->doc ? m->doc->text : NULL);
}

static void emit_sections(QmigGen *gen, QmigOutput *out, const QmigDoc *doc)
{
    if (!doc) {
        return;
    }
    for (size_t i = 0; i < doc->sections.len; i++) {
        const QmigDocSection *sec = doc->sections.items[i];
        /*
         * The text of "Returns:" and "Errors:" starts after the tag;
         * continuation lines keep the comment's indentation, which is
         * not rST structure (it would make a definition list).
         */
        if (sec->kind == QMIG_DOC_RETURNS) {
            /* The command's "Returns" fact shows it, next to the type. */
            qmig_out_puts(out, "   .. container:: qmig-returns\n\n");
            put_description(gen, out, 6, sec->text);
        } else if (sec->kind == QMIG_DOC_ERRORS) {
            qmig_out_puts(out, "   **Errors:**\n\n");
            put_description(gen, out, 3, sec->text);
        } else if (sec->kind == QMIG_DOC_PLAIN) {
            put_text(gen, out, 3, sec->text);
        }
    }
}

static const char *kind_of(const QmigEntity *ent)
{
    switch (ent->meta) {
    case QMIG_META_ENUM:
        return "enum";
    case QMIG_META_ALTERNATE:
        return "alternate";
    default:
        return ent->has_variants ? "union" : "struct";
    }
}

static void emit_type(QmigGen *gen, QmigOutput *out, const QmigEntity *ent)
{
    source_comment(out, ent->info);
    qmig_out_printf(out, ".. qmig:type:: %s\n", ent->name);
    put_option(out, 3, "kind", kind_of(ent));
    if (ent->base && !qmig_entity_is_implicit(ent->base)) {
        put_option(out, 3, "base", ent->base->name);
    }
    put_option(out, 3, "since", doc_since(gen, ent->doc));
    if (ent->ifcond) {
        put_option(out, 3, "if", ifcond_words(gen, ent->ifcond, false));
    }
    put_option(out, 3, "features", feature_names(gen, &ent->features));
    qmig_out_puts(out, "\n");
    put_text(gen, out, 3, ent->doc && ent->doc->body ? ent->doc->body->text
                                                      : NULL);
    if (ent->meta == QMIG_META_ENUM) {
        for (size_t i = 0; i < ent->values.len; i++) {
            emit_member(gen, out, ent->name, ent->values.items[i], false);
        }
    } else if (ent->meta == QMIG_META_ALTERNATE) {
        for (size_t i = 0; i < ent->variants.len; i++) {
            emit_member(gen, out, ent->name, ent->variants.items[i], true);
        }
    } else {
        if (ent->base && qmig_entity_is_implicit(ent->base)) {
            for (size_t i = 0; i < ent->base->local_members.len; i++) {
                emit_member(gen, out, ent->name,
                            ent->base->local_members.items[i], true);
            }
        }
        for (size_t i = 0; i < ent->local_members.len; i++) {
            emit_member(gen, out, ent->name, ent->local_members.items[i], true);
        }
        if (ent->has_variants) {
            qmig_out_printf(out, "   The members of the branch selected by "
                                 "``%s``:\n\n", ent->tag_member->name);
            for (size_t i = 0; i < ent->variants.len; i++) {
                const QmigMember *v = ent->variants.items[i];
                if (strcmp(v->type->name, "q_empty")) {
                    qmig_out_printf(out, "   - ``%s``: :qmig:type:`%s`\n",
                                    v->name, v->type->name);
                }
            }
            qmig_out_puts(out, "\n");
        }
    }
    emit_sections(gen, out, ent->doc);
}

static void emit_command(QmigGen *gen, QmigOutput *out, const QmigEntity *ent)
{
    bool command = ent->meta == QMIG_META_COMMAND;
    source_comment(out, ent->info);
    qmig_out_printf(out, ".. qmig:%s:: %s\n", command ? "command" : "event",
                    ent->name);
    if (ent->arg_type && !qmig_entity_is_implicit(ent->arg_type)) {
        put_option(out, 3, "args", ent->arg_type->name);
    }
    if (command) {
        put_option(out, 3, "returns", type_ref(gen, ent->ret_type));
    }
    put_option(out, 3, "since", doc_since(gen, ent->doc));
    if (ent->ifcond) {
        put_option(out, 3, "if", ifcond_words(gen, ent->ifcond, false));
    }
    put_option(out, 3, "features", feature_names(gen, &ent->features));
    qmig_out_puts(out, "\n");
    put_text(gen, out, 3, ent->doc && ent->doc->body ? ent->doc->body->text
                                                      : NULL);
    if (ent->arg_type && qmig_entity_is_implicit(ent->arg_type)) {
        for (size_t i = 0; i < ent->arg_type->members.len; i++) {
            emit_member(gen, out, ent->name, ent->arg_type->members.items[i],
                        true);
        }
    }
    emit_sections(gen, out, ent->doc);
}

static void heading(QmigOutput *out, const char *title, char underline)
{
    qmig_out_printf(out, "%s\n", title);
    for (size_t i = 0; i < strlen(title); i++) {
        qmig_out_printf(out, "%c", underline);
    }
    qmig_out_puts(out, "\n\n");
}

/*
 * What the Side and Handshake facts of capabilities and parameters
 * mean: one anchor per value (qmig-side-VALUE, qmig-handshake-VALUE),
 * which the qmig extension links each fact to.  At the start of the
 * Capabilities section, so that a manual including only some sections
 * (QEMU's) has it too.
 */
static void emit_legend(QmigOutput *out)
{
    static const struct {
        const char *fact, *value, *meaning;
    } legend[] = {
        {"side", "source", "Set on the source: only the source's value "
                           "matters."},
        {"side", "destination", "Set on the destination: only the "
                                "destination's value matters."},
        {"side", "both", "Set on both sides; each side uses its own "
                         "value."},
        {"side", "match", "Set on both sides to the same value, or the "
                          "migration fails or hangs."},
        {"handshake", "adopt", "The destination takes the source's value, "
                               "and fails the handshake if it cannot "
                               "support it."},
        {"handshake", "intersect", "Enabled only if both sides enable and "
                                   "support it (a parameter takes the "
                                   "source's value if the destination "
                                   "supports it, else its default)."},
        {"handshake", "local", "Never sent: each side keeps its own "
                               "value."},
    };
    qmig_out_puts(out,
                  "The *Side* of a capability or parameter says which side "
                  "of a migration\nsets it; its *Handshake* treatment says "
                  "how the migration handshake,\nwhen both QEMUs use it, "
                  "agrees on its value:\n\n"
                  ".. list-table:: Sides and handshake treatments\n"
                  "   :name: qmig-legend\n"
                  "   :header-rows: 1\n"
                  "   :class: qmig-legend\n"
                  "   :widths: 25 75\n\n"
                  "   * - Value\n"
                  "     - Meaning\n");
    for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
        qmig_out_printf(out,
                        "   * - .. _qmig-%s-%s:\n\n"
                        "       %s ``%s``\n"
                        "     - %s\n",
                        legend[i].fact, legend[i].value,
                        legend[i].fact[0] == 's' ? "Side" : "Handshake",
                        legend[i].value, legend[i].meaning);
    }
    qmig_out_puts(out, "\n");
}

/* "migration" for module "sub/migration.json". */
static const char *module_title(QmigGen *gen)
{
    const char *name = gen->module->name;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".json")) {
        len -= 5;
    }
    return qmig_arena_strndup(gen->arena, base, len);
}

static void emit_reference(QmigGen *gen)
{
    QmigOutput *out = qmig_output_new(
        &gen->outputs,
        qmig_arena_printf(gen->arena, "%sreference.rst", gen->file_prefix));
    qmig_out_printf(out,
                    ".. AUTOMATICALLY GENERATED by qmig-gen from %s;"
                    " DO NOT MODIFY\n\n",
                    gen->sources);
    qmig_out_printf(out, ".. _qmig-reference:\n\n");
    heading(out, qmig_arena_printf(gen->arena, "Reference: module %s",
                                   module_title(gen)), '=');
    qmig_out_printf(out,
                    "Everything module ``%s`` defines, with the facts of the "
                    "migration\nmetadata on each capability and parameter.  "
                    "Definitions of other\nmodules are linked to, not "
                    "repeated.  Indexes: :ref:`qmig-capindex`,\n"
                    ":ref:`qmig-paramindex`, :ref:`qmig-ruleindex`.\n\n"
                    ".. contents::\n   :local:\n   :depth: 1\n\n",
                    gen->module->name);
    QmigPtrVec declared = {0}, from_text = {0};
    emit_externals(gen, out, &declared);
    text_externals = &from_text;
    heading(out, "Capabilities", '-');
    emit_legend(out);
    emit_cap_graph(gen, out);
    for (size_t i = 0; i < gen->meta->caps.len; i++) {
        emit_capability(gen, out, gen->meta->caps.items[i]);
    }
    heading(out, "Parameters", '-');
    for (size_t i = 0; i < gen->meta->params.len; i++) {
        emit_parameter(gen, out, gen->meta->params.items[i]);
    }
    heading(out, "Channels", '-');
    emit_channel_graph(gen, out);
    for (size_t i = 0; i < gen->meta->channels.len; i++) {
        emit_channel(gen, out, gen->meta->channels.items[i]);
    }
    static const struct {
        const char *title;
        bool types;
        QmigMeta meta;
    } parts[] = {
        {"Types", true, QMIG_META_BUILTIN},
        {"Commands", false, QMIG_META_COMMAND},
        {"Events", false, QMIG_META_EVENT},
    };
    for (size_t p = 0; p < 3; p++) {
        heading(out, parts[p].title, '-');
        for (size_t i = 0; i < gen->module->entities.len; i++) {
            const QmigEntity *ent = gen->module->entities.items[i];
            if (!documented_here(gen, ent)) {
                continue;
            }
            if (parts[p].types && qmig_entity_is_type(ent)) {
                emit_type(gen, out, ent);
            } else if (!parts[p].types && ent->meta == parts[p].meta) {
                emit_command(gen, out, ent);
            }
        }
    }
    text_externals = NULL;
    /* Types of other modules that only the documentation text names. */
    QmigPtrVec more = {0};
    for (size_t i = 0; i < from_text.len; i++) {
        bool seen = false;
        for (size_t k = 0; k < declared.len; k++) {
            seen |= declared.items[k] == from_text.items[i];
        }
        if (!seen) {
            qmig_vec_push(gen->arena, &more, from_text.items[i]);
        }
    }
    if (more.len) {
        qmig_out_puts(out, "\n.. Types of other modules the text above "
                           "names.\n\n");
        emit_external_list(gen, out, &more);
    }
}

/* --- rules page -------------------------------------------------------- */

static void emit_rules(QmigGen *gen)
{
    QmigOutput *out = qmig_output_new(
        &gen->outputs,
        qmig_arena_printf(gen->arena, "%srules.rst", gen->file_prefix));
    qmig_out_printf(out,
                    ".. AUTOMATICALLY GENERATED by qmig-gen from %s;"
                    " DO NOT MODIFY\n\n",
                    gen->sources);
    /* The page that includes this one introduces it. */
    bool numbered = false;
    for (size_t i = 0; i < gen->meta->rules.len; i++) {
        const QmigMetaRule *rule = gen->meta->rules.items[i];
        numbered |= rule->origin && rule->origin[0] == 'R' &&
                    isdigit((unsigned char)rule->origin[1]);
    }
    if (numbered) {
        qmig_out_puts(out,
                      "In the *QEMU origin* column, a leading R-number "
                      "(such as ``R9``) is the\nnumber of the QEMU check "
                      "the rule reproduces, in qmig's catalogue of\n"
                      "QEMU's migration checks (numbered in the order QEMU "
                      "applies them:\n``migrate_caps_check()``, then "
                      "``migrate_params_check()`` and\n"
                      "``migrate_prepare()``); rules that come from one "
                      "QEMU check share its\nnumber.  The file and function "
                      "after it are where QEMU makes that check.\n\n");
    }
    qmig_out_puts(out,
                  ".. list-table::\n"
                  "   :header-rows: 1\n"
                  "   :class: qmig-rules\n"
                  "   :width: 100%\n"
                  "   :widths: auto\n\n"
                  "   * - Rule\n"
                  "     - Invalid when\n"
                  "     - Message\n"
                  "     - QEMU origin\n");
    for (size_t i = 0; i < gen->meta->rules.len; i++) {
        const QmigMetaRule *rule = gen->meta->rules.items[i];
        qmig_out_printf(out,
                        "   * - :qmig:rule:`%s`%s\n"
                        "     - %s\n"
                        "     - %s\n"
                        "     - %s\n",
                        rule->id, rule->environment ? " (*host*)" : "",
                        cond_words(gen, rule->when, false),
                        plain(gen, rule->message),
                        rule->origin ? plain(gen, rule->origin) : "--");
    }
    qmig_out_puts(out, "\n");
    for (size_t i = 0; i < gen->meta->rules.len; i++) {
        const QmigMetaRule *rule = gen->meta->rules.items[i];
        source_comment(out, rule->info);
        qmig_out_printf(out, ".. qmig:rule:: %s\n", rule->id);
        put_option(out, 3, "when", cond_words(gen, rule->when, false));
        put_option(out, 3, "message", plain(gen, rule->message));
        put_option(out, 3, "origin", rule->origin ? plain(gen, rule->origin)
                                                   : NULL);
        put_option(out, 3, "names", values_text(gen, &rule->names));
        if (rule->environment) {
            qmig_out_puts(out, "   :host:\n");
        }
        qmig_out_printf(out, "\n   *Declared at* ``%s:%u``\n\n",
                        rule->info->file->path, rule->info->line);
    }
}

void qmig_gen_rst(QmigGen *gen)
{
    if (!gen->meta) {
        return;
    }
    if (!gen->module) {
        gen->module = gen->meta->cap_enum->module;
    }
    emit_reference(gen);
    emit_rules(gen);
}
