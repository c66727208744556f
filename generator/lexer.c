/*
 * lexer.c - tokens of the QAPI schema language; see lexer.h.
 */
#include "lexer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decode one UTF-8 sequence; returns its length, 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, const unsigned char *end,
                          uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, *cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, *cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, *cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

bool qmig_is_py_space(uint32_t cp)
{
    if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20)) {
        return true;
    }
    if (cp < 0x85) {
        return false;
    }
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Length of the code point at @p (the text is known-valid UTF-8). */
static size_t cp_at(const char *p, const char *end, uint32_t *cp)
{
    size_t n = utf8_decode((const unsigned char *)p,
                           (const unsigned char *)end, cp);
    return n ? n : 1;
}

static void check_utf8(QmigLexer *lex)
{
    const char *p = lex->file->text;
    const char *end = p + lex->file->len;
    while (p < end) {
        /* Schemas are nearly all ASCII: skip such runs 32 bytes a time. */
        if (end - p >= 32) {
            uint64_t w[4];
            memcpy(w, p, 32);
            if (!((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080u)) {
                p += 32;
                continue;
            }
        }
        uint64_t word;
        if (end - p >= 8 && (memcpy(&word, p, 8), !(word & 0x8080808080808080u))) {
            p += 8;
            continue;
        }
        if (!(*p & 0x80)) {
            p++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)p,
                               (const unsigned char *)end, &cp);
        if (n == 0) {
            /* Point at the bad byte: count lines up to it. */
            const char *q = lex->file->text;
            while ((q = memchr(q, '\n', (size_t)(p - q)))) {
                q++;
                lex->line++;
                lex->line_start = q;
            }
            qmig_lex_error_at(lex, p, "invalid UTF-8 (byte 0x%02x)",
                              (unsigned char)*p);
        }
        p += n;
    }
}

void qmig_lex_init(QmigLexer *lex, QmigCtx *ctx, const QmigFile *file)
{
    memset(lex, 0, sizeof(*lex));
    lex->ctx = ctx;
    lex->file = file;
    lex->cursor = file->text;
    lex->line_start = file->text;
    lex->line = 1;
    lex->pos = file->text;
    check_utf8(lex);
}

QmigInfo *qmig_lex_info(QmigLexer *lex)
{
    return qmig_info_new(lex->ctx, lex->file, lex->line);
}

static _Noreturn void lex_verror(QmigLexer *lex, const char *pos,
                                 const char *fmt, va_list ap)
{
    char *msg = qmig_arena_vprintf(lex->ctx->arena, fmt, ap);
    QmigInfo *info = qmig_lex_info(lex);
    qmig_error(lex->ctx, info, qmig_column(lex->line_start, pos), "%s", msg);
}

void qmig_lex_error(QmigLexer *lex, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lex_verror(lex, lex->pos, fmt, ap);
}

void qmig_lex_error_at(QmigLexer *lex, const char *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lex_verror(lex, pos, fmt, ap);
}

/*
 * A printable rendering of stray text: the run QEMU shows stops at
 * structural characters, quotes and white space; control bytes are
 * escaped so the diagnostic stays one readable line.
 */
static _Noreturn void stray(QmigLexer *lex)
{
    /* The run is shown up to STRAY_SHOWN bytes: input can be megabytes. */
    enum { STRAY_SHOWN = 80 };
    char shown[STRAY_SHOWN * 4 + 8];
    size_t len = 0;
    const char *end = lex->file->text + lex->file->len;
    const char *p = lex->pos;
    /* strchr() would match the terminator: test NUL bytes first. */
    while (p < end && (*p == '\0' || !strchr("[]{}:,'", *p))) {
        uint32_t cp;
        size_t n = cp_at(p, end, &cp);
        if (qmig_is_py_space(cp)) {
            break;
        }
        if ((size_t)(p - lex->pos) >= STRAY_SHOWN) {
            memcpy(shown + len, "...", 3);
            len += 3;
            break;
        }
        if (cp < 0x20 || cp == 0x7F) {
            len += (size_t)snprintf(shown + len, sizeof(shown) - len,
                                    "\\x%02x", (unsigned)cp);
        } else {
            memcpy(shown + len, p, n);
            len += n;
        }
        p += n;
    }
    shown[len] = '\0';
    qmig_lex_error(lex, "stray '%s'", shown);
}

/*
 * Bytes a string may hold as they are: printable ASCII except the quote
 * and the backslash.  Strings are scanned through this table first;
 * only an escape or an error needs the byte-by-byte loop.
 */
#define ROW16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char plain_string_byte[256] = {
    ROW16(0), ROW16(0),
    /* 0x20: ' ' to '/', with the quote at 0x27 */
    1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    ROW16(1), ROW16(1),
    /* 0x50: 'P' to '_', with the backslash at 0x5C */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    ROW16(1),
    /* 0x70: 'p' to '~', then DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    /* 0x80 to 0xFF: not in strings (QEMU's "funny character") */
};

static void lex_string(QmigLexer *lex)
{
    char *start = (char *)lex->cursor;
    const char *p = start;
    /* The terminator and '\n' are not plain: this stops in the text. */
    while (plain_string_byte[(unsigned char)*p]) {
        p++;
    }
    /* No escape so far: the value is already in place up to @p. */
    char *out = (char *)p;
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            p++;
            c = (unsigned char)*p;
            if (c == '\n') {
                qmig_lex_error(lex, "missing terminating \"'\"");
            }
            if (c != '\\' && !(c == '\'' && lex->quote_escape)) {
                uint32_t cp;
                size_t n = cp_at(p, lex->file->text + lex->file->len, &cp);
                qmig_lex_error(lex, "unknown escape \\%.*s", (int)n, p);
            }
        } else if (c == '\'') {
            break;
        } else if (c == '\n') {
            qmig_lex_error(lex, "missing terminating \"'\"");
        }
        if (c < 32 || c >= 127) {
            qmig_lex_error(lex, "funny character in string");
        }
        *out++ = (char)c;
    }
    *out = '\0';
    lex->val = start;
    lex->val_len = (size_t)(out - start);
    lex->cursor = p + 1;
}

void qmig_lex_next(QmigLexer *lex, bool skip_comment)
{
    const char *end = lex->file->text + lex->file->len;
    /* The cursor lives in a local until a token is found. */
    const char *p = lex->cursor;
    lex->val = NULL;
    lex->val_len = 0;
    for (;;) {
        if (p >= end) {
            lex->pos = p;
            lex->cursor = p;
            lex->tok = QMIG_TOK_EOF;
            return;
        }
        char c = *p;
        switch (c) {
        case ' ':
        case '\t':
        case '\r':
            /*
             * The common white space, before costlier tests; runs of
             * blanks (indentation) are skipped in one go.  The text's
             * terminator stops the run at the end.
             */
            p++;
            while (*p == ' ') {
                p++;
            }
            continue;
        case '\n':
            if (p + 1 == end) {
                /* QEMU keeps the last line's location for EOF. */
                lex->pos = p;
                lex->cursor = end;
                lex->tok = QMIG_TOK_EOF;
                return;
            }
            p++;
            lex->line++;
            lex->line_start = p;
            /*
             * A comment at the start of the line, as every line of a
             * documentation block is: take it without another round.
             */
            if (*p != '#') {
                continue;
            }
            /* fall through */
        case '#': {
            bool doc = p + 1 < end && p[1] == '#';
            /* Found: the text always ends in a newline. */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (doc || !skip_comment) {
                lex->pos = p;
                lex->cursor = nl;
                lex->tok = QMIG_TOK_COMMENT;
                lex->val = p;
                lex->val_len = (size_t)(nl - p);
                return;
            }
            p = nl;
            continue;
        }
        case '{':
        case '}':
        case ':':
        case ',':
        case '[':
        case ']':
            lex->pos = p;
            lex->cursor = p + 1;
            lex->tok = c;
            return;
        case '\'':
            lex->pos = p;
            lex->cursor = p + 1;
            lex->tok = QMIG_TOK_STRING;
            lex_string(lex);
            return;
        default:
            break;
        }
        lex->pos = p;
        if ((size_t)(end - p) >= 4 && !memcmp(p, "true", 4)) {
            lex->tok = QMIG_TOK_TRUE;
            lex->cursor = p + 4;
            return;
        }
        if ((size_t)(end - p) >= 5 && !memcmp(p, "false", 5)) {
            lex->tok = QMIG_TOK_FALSE;
            lex->cursor = p + 5;
            return;
        }
        uint32_t cp;
        size_t n = cp_at(p, end, &cp);
        if (!qmig_is_py_space(cp)) {
            lex->cursor = p + 1;
            stray(lex);
        }
        p += n;
    }
}
