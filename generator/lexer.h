/*
 * lexer.h - tokens of the QAPI schema language.
 *
 * The token set and its quirks are QEMU's (scripts/qapi/parser.py
 * accept()): single-quoted strings with the sole escape "\\", prefix
 * matched true/false, '#' comments skipped and '##' comment lines
 * returned as tokens so the parser can start a documentation block.
 */
#ifndef QMIG_LEXER_H
#define QMIG_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source.h"

enum {
    QMIG_TOK_EOF = 0,
    QMIG_TOK_STRING = '\'',
    QMIG_TOK_TRUE = 't',
    QMIG_TOK_FALSE = 'f',
    QMIG_TOK_COMMENT = '#',
    /* and the structural characters { } [ ] : , as themselves */
};

typedef struct QmigLexer {
    QmigCtx *ctx;
    const QmigFile *file;
    const char *cursor;     /* next byte to read */
    const char *line_start; /* first byte of the current line */
    unsigned line;          /* current line, 1-based */

    /* The current token. */
    int tok;
    const char *pos;  /* its first byte */
    const char *val;  /* string value, or a comment line from '#' on */
    size_t val_len;

    /*
     * Metadata files also accept the escape \' for a single quote, so
     * that messages can quote QEMU's error texts exactly.
     */
    bool quote_escape;
} QmigLexer;

/*
 * Python's str.isspace() for one code point: QEMU's lexer, its stray
 * rule and its documentation parser all use it.
 */
bool qmig_is_py_space(uint32_t cp);

/* Also rejects text that is not valid UTF-8. */
void qmig_lex_init(QmigLexer *lex, QmigCtx *ctx, const QmigFile *file);

/*
 * Advance to the next token.  With @skip_comment, '#' comments are
 * skipped unless they start with '##'; without it every comment line is
 * returned (the documentation parser reads its block this way).
 */
void qmig_lex_next(QmigLexer *lex, bool skip_comment);

/*
 * qmig_lex_next(@lex, false), inline for the case the documentation
 * parser meets on every line of a block: the cursor is at the newline
 * that ends a comment line, and the next line starts with '#'.
 */
static inline void qmig_lex_next_comment(QmigLexer *lex)
{
    const char *p = lex->cursor;
    const char *end = lex->file->text + lex->file->len;
    if (p + 1 < end && p[0] == '\n' && p[1] == '#') {
        p++;
        lex->line++;
        lex->line_start = p;
        /* Found: the text always ends in a newline. */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        lex->tok = QMIG_TOK_COMMENT;
        lex->pos = p;
        lex->cursor = nl;
        lex->val = p;
        lex->val_len = (size_t)(nl - p);
        return;
    }
    qmig_lex_next(lex, false);
}

/* A fresh location for the current line. */
QmigInfo *qmig_lex_info(QmigLexer *lex);

/* A syntax error at the current token, with its column. */
_Noreturn void qmig_lex_error(QmigLexer *lex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, at byte @pos of the current line. */
_Noreturn void qmig_lex_error_at(QmigLexer *lex, const char *pos,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* QMIG_LEXER_H */
