/*
 * doc.c - QAPI documentation comments; see doc.h.
 *
 * This follows QEMU's scripts/qapi/parser.py (get_doc, get_doc_line,
 * get_doc_indented, get_doc_paragraph, _validate_doc_line_format) and
 * its class QAPIDoc closely, so that every accept/reject decision, the
 * message and its location are QEMU's.  QEMU's regular expressions are
 * matched by hand below; each matcher names the expression it emulates.
 *
 * Text handling: QEMU builds each section's text by appending lines.
 * Only the most recently started section ever grows (all appends go to
 * all_sections[-1]), so one growable buffer per block suffices; a
 * section's text is copied out, stripped, when the next one starts.
 */
#include "doc.h"

#include <stdint.h>
#include <string.h>

#include "strmap.h"

/* Text helpers: Python string semantics over UTF-8 bytes. */

/* Python's str.isspace() (also what the regex class \s matches). */
static bool py_space(uint32_t cp)
{
    /*
     * Doc lines are mostly ASCII and indented with blanks: answer that
     * case here rather than through a call into the lexer.
     */
    if (cp == ' ') {
        return true;
    }
    if (cp < 0x80) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    }
    return qmig_is_py_space(cp);
}

/*
 * Decode the code point at @s (at most @n bytes).  The lexer has
 * already rejected invalid UTF-8; a malformed byte still decodes as
 * itself, length 1, so nothing here can run off the line.
 */
static uint32_t decode(const char *s, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
    uint32_t cp = u[0] & (k == 1 ? 0x7F : k == 2 ? 0x1F : k == 3 ? 0x0F : 7);
    if (k > n || (u[0] >= 0x80 && u[0] < 0xC0)) {
        *len = 1;
        return u[0];
    }
    for (size_t i = 1; i < k; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *len = 1;
            return u[0];
        }
        cp = (cp << 6) | (u[i] & 0x3F);
    }
    *len = k;
    return cp;
}

/* len() of a Python str: UTF-8 bytes that do not continue a sequence. */
static size_t cp_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return count;
}

/* Length of @s without trailing white space: str.rstrip(). */
static size_t rstrip_len(const char *s, size_t n)
{
    while (n > 0) {
        unsigned char last = (unsigned char)s[n - 1];
        if (last < 0x80) {
            /* ASCII, the common case: no decoding needed. */
            if (!py_space(last)) {
                break;
            }
            n--;
            continue;
        }
        size_t start = n - 1;
        while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80) {
            start--;
        }
        size_t len;
        if (!py_space(decode(s + start, n - start, &len))) {
            break;
        }
        n = start;
    }
    return n;
}

/* must_match(r'\s*', line).end(), in code points. */
static size_t indent_of(const char *s, size_t n)
{
    /* Indentation is blanks: count those without decoding. */
    size_t count = 0;
    while (count < n && s[count] == ' ') {
        count++;
    }
    for (size_t i = count; i < n; count++) {
        if ((unsigned char)s[i] < 0x80) {
            if (!py_space((unsigned char)s[i])) {
                break;
            }
            i++;
            continue;
        }
        size_t len;
        if (!py_space(decode(s + i, n - i, &len))) {
            break;
        }
        i += len;
    }
    return count;
}

/*
 * Whether the code point is a regex word character (\w: alphanumeric
 * or '_').  Exact for ASCII; beyond it, an approximation covering the
 * Latin, Greek and Cyrillic letters and CJK ideographs.  It only
 * decides the \b in front of "e.g.", so it matters for a character
 * directly before "e.g." and nowhere else.
 */
static bool word_char(uint32_t cp)
{
    if (cp < 0x80) {
        return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= 'a' && cp <= 'z') || cp == '_';
    }
    if (cp < 0x100) {
        return cp == 0xAA || cp == 0xB2 || cp == 0xB3 || cp == 0xB5 ||
               cp == 0xB9 || cp == 0xBA || (cp >= 0xBC && cp <= 0xBE) ||
               (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
    }
    return (cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x52F && cp != 0x37E &&
                             cp != 0x387 && cp != 0x482) ||
           (cp >= 0x4E00 && cp <= 0x9FFF);
}

/* The code point ending just before byte @i of @s (@i > 0). */
static uint32_t cp_before(const char *s, size_t i)
{
    size_t start = i - 1;
    while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80) {
        start--;
    }
    size_t len;
    return decode(s + start, i - start, &len);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    /* The first byte rules out most lines without a memcmp() call. */
    return n >= k && (k == 0 || s[0] == prefix[0]) && !memcmp(s, prefix, k);
}

static bool sentence_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '(';
}

/* Matches " [A-Z0-9(]" at byte @i of @s. */
static bool space_then_sentence(const char *s, size_t n, size_t i)
{
    return i + 1 < n && s[i] == ' ' && sentence_start(s[i + 1]);
}

/* The index of the first @c in @s from @i on below @n, or @n. */
static size_t index_of(const char *s, size_t n, size_t i, char c)
{
    const char *p = i < n ? memchr(s + i, c, n - i) : NULL;
    return p ? (size_t)(p - s) : n;
}

/*
 * Where the next of each sentence-ending punctuation character (the
 * [.!?] of the expression below) is, for a walk over one line's
 * punctuation in order: memchr() covers many bytes per step, and each
 * character is searched for again only once the walk has passed it.
 */
typedef struct PunctWalk {
    size_t dot, bang, quest; /* at or after the walk's position, or n */
} PunctWalk;

static void punct_walk_init(PunctWalk *w, const char *s, size_t n, size_t i)
{
    w->dot = index_of(s, n, i, '.');
    w->bang = index_of(s, n, i, '!');
    w->quest = index_of(s, n, i, '?');
}

/* The first index from @i on holding sentence punctuation, or @n. */
static size_t next_sentence_punct(PunctWalk *w, const char *s, size_t n,
                                  size_t i)
{
    if (w->dot < i) {
        w->dot = index_of(s, n, i, '.');
    }
    if (w->bang < i) {
        w->bang = index_of(s, n, i, '!');
    }
    if (w->quest < i) {
        w->quest = index_of(s, n, i, '?');
    }
    size_t next = w->dot < w->bang ? w->dot : w->bang;
    return next < w->quest ? next : w->quest;
}

/*
 * Whether the '.' at byte @i of @s ends an "e.g." that \be\.g\. matches,
 * i.e. whose 'e' starts a word.
 */
static bool ends_eg(const char *s, size_t i)
{
    if (i < 3 || memcmp(s + i - 3, "e.g", 3) != 0) {
        return false;
    }
    return i == 3 || !word_char(cp_before(s, i - 3));
}

/*
 * The first match of re.finditer(r'(\be\.g\.|^ *\d\.|([.!?])) [A-Z0-9(]')
 * where group 2 took part: the byte offset of that punctuation, or -1.
 * Matches of the other alternatives do not report but consume their
 * text, which is what exempts "e.g. X" and a leading "1. X".
 *
 * Rather than trying the expression at every byte, this visits only
 * the punctuation: a reporting match is punctuation followed by
 * " [A-Z0-9(]" that no earlier match consumed.  The consumed text
 * "e.g. X" or " *\d. X" holds no 'e' after its start, so consumed
 * regions cannot overlap, and a '.' is consumed exactly when it ends
 * a word-initial "e.g." followed by " [A-Z0-9(]" (or is the leading
 * "\d.", skipped up front).
 */
static long find_single_space(const char *s, size_t n)
{
    /*
     * Punctuation that reports needs two bytes after it, so only the
     * bytes before m can; this keeps the usual '.' that ends a line
     * out of the search.
     */
    if (n < 3) {
        return -1;
    }
    size_t m = n - 2;
    size_t i = 0;
    /* ^ *\d\. can only match at the start of the line. */
    size_t j = 0;
    while (j < n && s[j] == ' ') {
        j++;
    }
    if (j + 1 < n && s[j] >= '0' && s[j] <= '9' && s[j + 1] == '.' &&
        space_then_sentence(s, n, j + 2)) {
        i = j + 4;
    }
    if (i >= m) {
        return -1;
    }
    PunctWalk walk;
    punct_walk_init(&walk, s, m, i);
    for (;; i++) {
        i = next_sentence_punct(&walk, s, m, i);
        if (i >= m) {
            return -1;
        }
        if (space_then_sentence(s, n, i + 1) &&
            !(s[i] == '.' && ends_eg(s, i))) {
            return (long)i;
        }
    }
}

/* re.match(r' *(https?|ftp)://[^ ]*$', line): a URL alone on its line. */
static bool is_url_line(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ') {
        i++;
    }
    const char *schemes[] = {"http://", "https://", "ftp://"};
    for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
        size_t len = strlen(schemes[k]);
        if (starts_with(s + i, n - i, schemes[k])) {
            return !memchr(s + i + len, ' ', n - i - len);
        }
    }
    return false;
}

/* re.match(r'(\.\. +qmp-example)? *::$', line): literal block start. */
static bool starts_literal(const char *s, size_t n)
{
    /* Either way the line must end in "::": most lines do not. */
    if (n < 2 || s[n - 2] != ':' || s[n - 1] != ':') {
        return false;
    }
    size_t i = 0;
    if (starts_with(s, n, "..") && n > 2 && s[2] == ' ') {
        size_t j = 2;
        while (j < n && s[j] == ' ') {
            j++;
        }
        if (starts_with(s + j, n - j, "qmp-example")) {
            i = j + strlen("qmp-example");
        }
    }
    while (i < n && s[i] == ' ') {
        i++;
    }
    if (n - i == 2 && s[i] == ':' && s[i + 1] == ':') {
        return true;
    }
    /* Without the optional group, from the start of the line. */
    for (i = 0; i < n && s[i] == ' '; i++) {
    }
    return n - i == 2 && s[i] == ':' && s[i + 1] == ':';
}

/* re.match(r'@([^:]*): *', line): a "@name:" description. */
typedef struct AtName {
    const char *name;
    size_t name_len;
    const char *text; /* what follows ': *' */
    size_t text_len;
} AtName;

static bool match_at_name(const char *s, size_t n, AtName *m)
{
    if (n == 0 || s[0] != '@') {
        return false;
    }
    const char *colon = memchr(s + 1, ':', n - 1);
    if (!colon) {
        return false;
    }
    const char *end = s + n;
    const char *text = colon + 1;
    while (text < end && *text == ' ') {
        text++;
    }
    m->name = s + 1;
    m->name_len = (size_t)(colon - (s + 1));
    m->text = text;
    m->text_len = (size_t)(end - text);
    return true;
}

/*
 * re.match(r'(Returns|Errors|Since|Notes?|Examples?|TODO)(?!::): *').
 * Returns the tag as matched (group 1), or NULL; *@text is what
 * follows ': *'.  "Tag::" is rST and not a tag; "Notes" is tried
 * before "Note" as the greedy '?' would.
 */
static const char *match_tag(const char *s, size_t n, const char **text)
{
    static const char *const tags[] = {
        "Returns", "Errors", "Since", "Notes", "Note",
        "Examples", "Example", "TODO",
    };
    /* Most lines start with none of the tags' initials: say so at once. */
    if (n == 0 || !memchr("RESNT", s[0], 5)) {
        return NULL;
    }
    for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
        size_t len = strlen(tags[k]);
        if (!starts_with(s, n, tags[k]) || len >= n || s[len] != ':') {
            continue;
        }
        if (len + 1 < n && s[len + 1] == ':') {
            continue; /* the (?!::) lookahead */
        }
        size_t i = len + 1;
        while (i < n && s[i] == ' ') {
            i++;
        }
        *text = s + i;
        return tags[k];
    }
    return NULL;
}

static QmigDocKind tag_kind(const char *tag)
{
    switch (tag[0]) {
    case 'R':
        return QMIG_DOC_RETURNS;
    case 'E':
        return QMIG_DOC_ERRORS;
    case 'S':
        return QMIG_DOC_SINCE;
    default:
        return QMIG_DOC_TODO;
    }
}

const char *qmig_doc_kind_name(QmigDocKind kind)
{
    /* Python's Kind.name.title(). */
    static const char *const names[] = {
        [QMIG_DOC_PLAIN] = "Plain",     [QMIG_DOC_MEMBER] = "Member",
        [QMIG_DOC_FEATURE] = "Feature", [QMIG_DOC_RETURNS] = "Returns",
        [QMIG_DOC_ERRORS] = "Errors",   [QMIG_DOC_SINCE] = "Since",
        [QMIG_DOC_TODO] = "Todo",
    };
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind]
                                                              : "?";
}

/* The block parser. */

typedef struct TextBuf {
    char *data;
    size_t len;
    size_t cap;
} TextBuf;

typedef struct DocParser {
    QmigLexer *lex;
    QmigCtx *ctx;
    QmigDoc *doc;
    QmigDocSection *cur; /* all_sections[-1]; its text is in buf */
    TextBuf buf;
    bool literal; /* in an rST literal block: no style checks */
    size_t literal_indent;
    const char *line; /* current doc line; NULL: the closing '##' */
    size_t len;
} DocParser;

/* Make room for @n more bytes in p->buf. */
static void buf_reserve(DocParser *p, size_t n)
{
    TextBuf *b = &p->buf;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n) {
            cap *= 2;
        }
        char *data = qmig_arena_alloc(p->ctx->arena, cap);
        if (b->len) {
            memcpy(data, b->data, b->len);
        }
        b->data = data;
        b->cap = cap;
    }
}

static void buf_append(DocParser *p, const char *s, size_t n)
{
    if (n == 0) {
        return; /* b->data may still be NULL: no pointer arithmetic on it */
    }
    buf_reserve(p, n);
    memcpy(p->buf.data + p->buf.len, s, n);
    p->buf.len += n;
}

/* Section.append_line(): the line plus a newline, with one reserve. */
static void append_line(DocParser *p, const char *s, size_t n)
{
    buf_reserve(p, n + 1);
    if (n) {
        memcpy(p->buf.data + p->buf.len, s, n);
    }
    p->buf.data[p->buf.len + n] = '\n';
    p->buf.len += n + 1;
}

/* Store the current section's text, stripped of newlines at both ends. */
static void finish_text(DocParser *p)
{
    const char *s = p->buf.data;
    size_t n = p->buf.len;
    while (n > 0 && s[0] == '\n') {
        s++, n--;
    }
    while (n > 0 && s[n - 1] == '\n') {
        n--;
    }
    p->cur->text = n ? qmig_arena_strndup(p->ctx->arena, s, n) : "";
    p->buf.len = 0;
}

static QmigDocSection *new_section(QmigCtx *ctx, QmigDocKind kind,
                                   const QmigInfo *info)
{
    QmigDocSection *s = QMIG_NEW(ctx->arena, QmigDocSection);
    s->kind = kind;
    s->info = info;
    s->text = "";
    return s;
}

/* Finish the current section and make @s the one being built. */
static void start_section(DocParser *p, QmigDocSection *s)
{
    finish_text(p);
    qmig_vec_push(p->ctx->arena, &p->doc->all_sections, s);
    p->cur = s;
}

/* Python's QAPIDoc.ensure_untagged_section(). */
static void ensure_untagged_section(DocParser *p)
{
    if (p->cur->kind == QMIG_DOC_PLAIN) {
        /* Extend it; an empty one starts here instead. */
        if (p->buf.len == 0) {
            p->cur->info = qmig_lex_info(p->lex);
        }
        buf_append(p, "\n", 1);
        return;
    }
    QmigDocSection *s = new_section(p->ctx, QMIG_DOC_PLAIN,
                                    qmig_lex_info(p->lex));
    qmig_vec_push(p->ctx->arena, &p->doc->sections, s);
    start_section(p, s);
}

/* Linear search is fine for the usual handful of descriptions. */
#define SECTION_MAP_MIN 8

static QmigStrMap **section_map(QmigDoc *doc, const QmigPtrVec *vec)
{
    return vec == &doc->args ? &doc->arg_map : &doc->feature_map;
}

static QmigDocSection *find_section(QmigDoc *doc, const QmigPtrVec *vec,
                                    const char *name)
{
    QmigStrMap *map = *section_map(doc, vec);
    if (map) {
        return qmig_strmap_get(map, name);
    }
    for (size_t i = 0; i < vec->len; i++) {
        QmigDocSection *s = vec->items[i];
        /* The first byte rules out most sections without a call. */
        if (s->name[0] == name[0] && !strcmp(s->name, name)) {
            return s;
        }
    }
    return NULL;
}

static void add_section(QmigArena *arena, QmigDoc *doc, QmigPtrVec *vec,
                        QmigDocSection *s)
{
    qmig_vec_push(arena, vec, s);
    QmigStrMap **map = section_map(doc, vec);
    if (*map) {
        qmig_strmap_put(*map, s->name, s);
    } else if (vec->len >= SECTION_MAP_MIN) {
        *map = qmig_strmap_new(arena);
        for (size_t i = 0; i < vec->len; i++) {
            QmigDocSection *o = vec->items[i];
            qmig_strmap_put(*map, o->name, o);
        }
    }
}

/* Python's QAPIDoc._new_description(): a MEMBER or FEATURE section. */
static void new_description(DocParser *p, QmigDocKind kind, const char *name,
                            size_t len)
{
    QmigPtrVec *desc = kind == QMIG_DOC_MEMBER ? &p->doc->args
                                               : &p->doc->features;
    QmigInfo *info = qmig_lex_info(p->lex);
    if (len == 0) {
        qmig_error(p->ctx, info, 0, "invalid parameter name");
    }
    const char *copy = qmig_arena_strndup(p->ctx->arena, name, len);
    if (find_section(p->doc, desc, copy)) {
        qmig_error(p->ctx, info, 0, "'%.*s' parameter name duplicated",
                   (int)len, name);
    }
    QmigDocSection *s = new_section(p->ctx, kind, info);
    s->name = copy;
    add_section(p->ctx->arena, p->doc, desc, s);
    start_section(p, s);
}

/* Python's QAPIDoc.new_tagged_section(). */
static void new_tagged_section(DocParser *p, QmigDocKind kind)
{
    QmigDocSection *s = new_section(p->ctx, kind, qmig_lex_info(p->lex));
    QmigDocSection **slot = kind == QMIG_DOC_RETURNS  ? &p->doc->returns
                            : kind == QMIG_DOC_ERRORS ? &p->doc->errors
                            : kind == QMIG_DOC_SINCE  ? &p->doc->since
                                                      : NULL;
    if (slot) {
        if (*slot) {
            qmig_error(p->ctx, s->info, 0, "duplicated '%s' section",
                       qmig_doc_kind_name(kind));
        }
        *slot = s;
    }
    qmig_vec_push(p->ctx->arena, &p->doc->sections, s);
    start_section(p, s);
}

/* Python's _validate_doc_line_format(): the 2025 style checks. */
static void validate_line(DocParser *p, const char *s, size_t n)
{
    QmigLexer *lex = p->lex;
    /* Code points never outnumber bytes: count only long lines. */
    if (n + 2 > 70 && cp_count(s, n) + 2 > 70 && !is_url_line(s, n)) {
        qmig_lex_error(lex, "documentation line longer than 70 characters");
    }
    long punct = find_single_space(s, n);
    if (punct >= 0) {
        /*
         * QEMU points at the space: line_pos + 2 + m.start(2) + 1 code
         * points from the start of the physical line (not from the '#',
         * should the comment be indented).
         */
        size_t skip = 2 + cp_count(s, (size_t)punct) + 1;
        const char *pos = lex->line_start;
        const char *end = lex->val + lex->val_len;
        while (skip > 0 && pos < end) {
            pos++;
            while (pos < end && ((unsigned char)*pos & 0xC0) == 0x80) {
                pos++;
            }
            skip--;
        }
        qmig_lex_error_at(lex, pos,
                          "Use two spaces between sentences\n"
                          "If this not the end of a sentence, please report "
                          "a bug.");
    }
}

/* Python's literal-mode tracking in get_doc_line(). */
static void track_literal(DocParser *p, const char *s, size_t n)
{
    if (starts_literal(s, n)) {
        p->literal = true;
        p->literal_indent = 0;
    } else if (p->literal && n > 0) {
        size_t indent = indent_of(s, n);
        if (p->literal_indent == 0) {
            p->literal_indent = indent;
        } else if (indent < p->literal_indent) {
            /* rST directives stop at decreasing indentation. */
            p->literal = false;
        }
    }
}

/*
 * Python's get_doc_line() on the current token: false at the closing
 * '##', else true with the line (after "# ", rstripped) in p->line.
 */
static bool get_doc_line(DocParser *p)
{
    QmigLexer *lex = p->lex;
    if (lex->tok != QMIG_TOK_COMMENT) {
        qmig_lex_error(lex, "documentation comment must end with '##'");
    }
    const char *v = lex->val;
    size_t n = lex->val_len;
    if (n >= 2 && v[1] == '#') {
        if (n != 2) {
            qmig_lex_error(lex,
                           "junk after '##' at end of documentation comment");
        }
        p->literal = false;
        p->line = NULL;
        p->len = 0;
        return false;
    }
    p->line = v + 1;
    p->len = 0;
    if (n == 1) {
        return true;
    }
    if (v[1] != ' ') {
        qmig_lex_error(lex, "missing space after #");
    }
    p->line = v + 2;
    p->len = rstrip_len(v + 2, n - 2);
    track_literal(p, p->line, p->len);
    if (!p->literal && !p->ctx->legacy) {
        validate_line(p, p->line, p->len);
    }
    return true;
}

static bool next_line(DocParser *p)
{
    qmig_lex_next_comment(p->lex);
    return get_doc_line(p);
}

static bool next_nonblank_line(DocParser *p)
{
    bool have = next_line(p);
    while (have && p->len == 0) {
        have = next_line(p);
    }
    return have;
}

/*
 * Python's get_doc_indented(): the continuation lines of a description
 * or tagged section.  Returns whether a line (the one that ended the
 * section) is pending in p->line.
 */
static bool get_doc_indented(DocParser *p)
{
    AtName m;
    bool have = next_line(p);
    while (have && p->len == 0) {
        append_line(p, "", 0);
        have = next_line(p);
    }
    if (!have) {
        return false;
    }
    size_t indent = indent_of(p->line, p->len);
    if (!indent) {
        return true;
    }
    append_line(p, p->line, p->len);
    /*
     * QEMU sets this after every appended line, so only the line right
     * after the first continuation line can give the de-indent error;
     * later de-indents quietly end the section.
     */
    bool prev_line_blank = false;
    for (;;) {
        if (!next_line(p)) {
            return false;
        }
        if (match_at_name(p->line, p->len, &m)) {
            return true;
        }
        if (p->len > 0 && indent_of(p->line, p->len) < indent) {
            /*
             * Releases before 7.1 ended a section at any de-indented
             * line, such as "Notes:" after an indented "Returns:".
             */
            if (prev_line_blank || p->ctx->legacy) {
                return true;
            }
            qmig_lex_error(p->lex,
                           "unexpected de-indent (expected at least %zu "
                           "spaces)", indent);
        }
        append_line(p, p->line, p->len);
        prev_line_blank = true;
    }
}

/* Python's get_doc_paragraph(): lines up to a blank one. */
static bool get_doc_paragraph(DocParser *p)
{
    for (;;) {
        if (!next_line(p)) {
            return false;
        }
        if (p->len == 0) {
            return true;
        }
        append_line(p, p->line, p->len);
    }
}

/* A run of "@name: text" descriptions of @kind. */
static bool parse_descriptions(DocParser *p, bool have, QmigDocKind kind)
{
    AtName m;
    while (have && match_at_name(p->line, p->len, &m)) {
        /* Releases up to 8.0 read "@id : text" as the member 'id'. */
        while (p->ctx->legacy && m.name_len &&
               m.name[m.name_len - 1] == ' ') {
            m.name_len--;
        }
        new_description(p, kind, m.name, m.name_len);
        if (m.text_len) {
            append_line(p, m.text, m.text_len);
        }
        have = get_doc_indented(p);
    }
    return have;
}

static _Noreturn void obsolete_tag(DocParser *p, const char *tag)
{
    if (strstr(tag, "Note")) {
        qmig_lex_error(p->lex,
                       "The '%s' section is no longer supported. Please use "
                       "rST's '.. note::' or '.. admonition:: notes' "
                       "directives, or another suitable admonition instead.",
                       tag);
    }
    qmig_lex_error(p->lex,
                   "The '%s' section is no longer supported. Please use the "
                   "'.. qmp-example::' directive, or other suitable markup "
                   "instead.",
                   tag);
}

/* The sections after a definition doc's "@SYMBOL:" line. */
static void parse_definition_sections(DocParser *p)
{
    QmigLexer *lex = p->lex;
    bool have = next_line(p);
    bool no_more_args = false;
    AtName m;
    const char *tag;
    const char *text;

    while (have) {
        while (have && p->len == 0) {
            have = next_line(p);
        }
        if (!have) {
            break;
        }
        if (p->len == 9 && !memcmp(p->line, "Features:", 9)) {
            if (p->doc->features.len) {
                qmig_lex_error(lex, "duplicated 'Features:' line");
            }
            have = parse_descriptions(p, next_nonblank_line(p),
                                      QMIG_DOC_FEATURE);
            if (!p->doc->features.len) {
                qmig_lex_error(lex, "feature descriptions expected");
            }
            no_more_args = true;
        } else if (match_at_name(p->line, p->len, &m)) {
            if (no_more_args && !p->ctx->legacy) {
                qmig_lex_error(lex, "description of '@%.*s:' follows a "
                               "section", (int)m.name_len, m.name);
            }
            have = parse_descriptions(p, have, QMIG_DOC_MEMBER);
            no_more_args = true;
        } else if ((tag = match_tag(p->line, p->len, &text))) {
            bool obsolete = strstr(tag, "Note") || strstr(tag, "Example");
            if (obsolete && !p->ctx->legacy) {
                obsolete_tag(p, tag);
            }
            if (obsolete) {
                /* Older releases had these sections: keep them as text. */
                text = p->line;
            }
            new_tagged_section(p, obsolete ? QMIG_DOC_PLAIN : tag_kind(tag));
            size_t text_len = (size_t)(p->line + p->len - text);
            if (text_len) {
                append_line(p, text, text_len);
            }
            have = get_doc_indented(p);
            no_more_args = true;
        } else {
            /* A plain paragraph; it does not end the descriptions. */
            ensure_untagged_section(p);
            append_line(p, p->line, p->len);
            have = get_doc_paragraph(p);
        }
    }
}

static void parse_free_form(DocParser *p, bool have)
{
    AtName m;
    ensure_untagged_section(p);
    while (have) {
        if (match_at_name(p->line, p->len, &m)) {
            qmig_lex_error(p->lex,
                           "'@%.*s:' not allowed in free-form documentation",
                           (int)m.name_len, m.name);
        }
        append_line(p, p->line, p->len);
        have = next_line(p);
    }
}

/* Python's QAPIDoc.end(): sections other than plain ones need text. */
static void check_texts(QmigCtx *ctx, const QmigDoc *doc)
{
    for (size_t i = 0; i < doc->all_sections.len; i++) {
        const QmigDocSection *s = doc->all_sections.items[i];
        /* Releases up to 8.2 put a "Returns:" list on the next lines. */
        if (s->kind != QMIG_DOC_PLAIN && s->text[0] == '\0' &&
            !ctx->legacy) {
            qmig_error(ctx, s->info, 0, "text required after '%s:'",
                       qmig_doc_kind_name(s->kind));
        }
    }
}

QmigDoc *qmig_doc_parse(QmigLexer *lex)
{
    QmigCtx *ctx = lex->ctx;
    if (lex->val_len != 2 || memcmp(lex->val, "##", 2)) {
        qmig_lex_error(lex,
                       "junk after '##' at start of documentation comment");
    }
    QmigDoc *doc = QMIG_NEW(ctx->arena, QmigDoc);
    doc->info = qmig_lex_info(lex);
    doc->body = new_section(ctx, QMIG_DOC_PLAIN, doc->info);
    qmig_vec_push(ctx->arena, &doc->all_sections, doc->body);

    DocParser p = {.lex = lex, .ctx = ctx, .doc = doc, .cur = doc->body};
    /* Reuse the previous blocks' buffer: only the texts are kept. */
    p.buf.data = ctx->doc_scratch;
    p.buf.cap = ctx->doc_scratch_cap;
    bool have = next_line(&p);
    if (have && p.len > 0 && p.line[0] == '@') {
        /* Definition documentation: "@SYMBOL:". */
        if (p.line[p.len - 1] != ':') {
            qmig_lex_error(lex, "line should end with ':'");
        }
        if (p.len == 2) {
            qmig_lex_error(lex, "name required after '@'");
        }
        /* The name's syntax is not checked: it must match the definition. */
        doc->symbol = qmig_arena_strndup(ctx->arena, p.line + 1, p.len - 2);
        parse_definition_sections(&p);
    } else {
        parse_free_form(&p, have);
    }
    finish_text(&p);
    ctx->doc_scratch = p.buf.data;
    ctx->doc_scratch_cap = p.buf.cap;

    /* QEMU reads past the block before it checks the sections. */
    qmig_lex_next(lex, true);
    check_texts(ctx, doc);
    return doc;
}

/* Checks against the model. */

void qmig_doc_check_expr(QmigCtx *ctx, const QmigDoc *doc, const char *meta,
                         bool has_returns)
{
    if (ctx->docs_relaxed) {
        /* Older releases wrote "Returns: nothing" and the like. */
        return;
    }
    if (!strcmp(meta, "command")) {
        if (doc->returns && !has_returns) {
            qmig_error(ctx, doc->returns->info, 0,
                       "'Returns' section, but command doesn't return "
                       "anything");
        }
        return;
    }
    if (doc->returns) {
        qmig_error(ctx, doc->returns->info, 0,
                   "'Returns' section is only valid for commands");
    }
    if (doc->errors) {
        qmig_error(ctx, doc->errors->info, 0,
                   "'Errors' section is only valid for commands");
    }
}

/* Insert @item at @index of @vec, shifting the rest up. */
static void vec_insert(QmigArena *arena, QmigPtrVec *vec, size_t index,
                       void *item)
{
    qmig_vec_push(arena, vec, item);
    memmove(vec->items + index + 1, vec->items + index,
            (vec->len - 1 - index) * sizeof(vec->items[0]));
    vec->items[index] = item;
}

const QmigDocSection *qmig_doc_connect_member(QmigCtx *ctx, QmigDoc *doc,
                                             const char *name,
                                             const char *role,
                                             const QmigInfo *member_info,
                                             const void *member)
{
    QmigDocSection *s = find_section(doc, &doc->args, name);
    if (!s) {
        if (!ctx->docs_relaxed &&
            (!doc->symbol ||
             !qmig_pragma_lists(ctx, &ctx->pragma.documentation_exceptions,
                                doc->symbol))) {
            qmig_error(ctx, member_info, 0, "%s '%s' lacks documentation",
                       role, name);
        }
        /* A stub, placed after the run of member descriptions. */
        s = new_section(ctx, QMIG_DOC_MEMBER, doc->info);
        s->name = qmig_arena_strdup(ctx->arena, name);
        add_section(ctx->arena, doc, &doc->args, s);
        /*
         * QEMU's index walk raises IndexError when descriptions end the
         * block; we append at the end instead.
         */
        size_t index = 1;
        while (index < doc->all_sections.len &&
               ((QmigDocSection *)doc->all_sections.items[index])->kind ==
                   QMIG_DOC_MEMBER) {
            index++;
        }
        if (index > doc->all_sections.len) {
            index = doc->all_sections.len;
        }
        vec_insert(ctx->arena, &doc->all_sections, index, s);
    }
    s->member = member;
    return s;
}

void qmig_doc_connect_feature(QmigCtx *ctx, QmigDoc *doc, const char *name,
                              const QmigInfo *feature_info,
                              const void *feature)
{
    QmigDocSection *s = find_section(doc, &doc->features, name);
    if (!s) {
        if (ctx->docs_relaxed) {
            return;
        }
        qmig_error(ctx, feature_info, 0, "feature '%s' lacks documentation",
                   name);
    }
    s->member = feature;
}

/*
 * "documented member 'a' does not exist", "... members 'a', 'b' do ...":
 * an error, or with relaxed documentation a note that the descriptions
 * are dropped.
 */
static void check_connected(QmigCtx *ctx, const QmigPtrVec *vec,
                            const char *what)
{
    const QmigDocSection *first = NULL;
    size_t count = 0;
    size_t len = 0;
    for (size_t i = 0; i < vec->len; i++) {
        const QmigDocSection *s = vec->items[i];
        if (!s->member) {
            first = first ? first : s;
            count++;
            len += strlen(s->name) + 4;
        }
    }
    if (!first) {
        return;
    }
    char *names = qmig_arena_alloc(ctx->arena, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < vec->len; i++) {
        const QmigDocSection *s = vec->items[i];
        if (!s->member) {
            size_t k = strlen(s->name);
            if (n) {
                memcpy(names + n, "', '", 4);
                n += 4;
            }
            memcpy(names + n, s->name, k);
            n += k;
        }
    }
    names[n] = '\0';
    const char *plural = count > 1 ? "s" : "";
    const char *verb = count > 1 ? "do" : "does";
    if (ctx->docs_relaxed) {
        qmig_note(ctx, first->info,
                  "description%s dropped: documented %s%s '%s' %s not exist",
                  plural, what, plural, names, verb);
        return;
    }
    qmig_error(ctx, first->info, 0, "documented %s%s '%s' %s not exist", what,
               plural, names, verb);
}

/* Drop from @vec the member and feature sections tied to nothing. */
static void prune_unconnected(QmigPtrVec *vec)
{
    size_t kept = 0;
    for (size_t i = 0; i < vec->len; i++) {
        QmigDocSection *s = vec->items[i];
        if (s->member || (s->kind != QMIG_DOC_MEMBER &&
                          s->kind != QMIG_DOC_FEATURE)) {
            vec->items[kept++] = s;
        }
    }
    vec->len = kept;
}

void qmig_doc_check(QmigCtx *ctx, QmigDoc *doc)
{
    check_connected(ctx, &doc->args, "member");
    check_connected(ctx, &doc->features, "feature");
    if (ctx->docs_relaxed) {
        /* Descriptions of what does not exist are dropped, not errors. */
        prune_unconnected(&doc->args);
        prune_unconnected(&doc->features);
        prune_unconnected(&doc->all_sections);
    }
}

void qmig_doc_dump(FILE *out, const QmigDoc *doc)
{
    if (doc->symbol) {
        fprintf(out, "doc symbol=%s\n", doc->symbol);
    } else {
        fputs("doc freeform\n", out);
    }
    fprintf(out, "    body=\n%s\n", doc->body->text);
    for (size_t i = 0; i < doc->args.len; i++) {
        const QmigDocSection *s = doc->args.items[i];
        fprintf(out, "    arg=%s\n%s\n", s->name, s->text);
    }
    for (size_t i = 0; i < doc->features.len; i++) {
        const QmigDocSection *s = doc->features.items[i];
        fprintf(out, "    feature=%s\n%s\n", s->name, s->text);
    }
    for (size_t i = 0; i < doc->sections.len; i++) {
        const QmigDocSection *s = doc->sections.items[i];
        fprintf(out, "    section=%s\n%s\n", qmig_doc_kind_name(s->kind),
                s->text);
    }
}
