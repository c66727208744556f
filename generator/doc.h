/*
 * doc.h - QAPI documentation comments.
 *
 * A '##' block is either free-form documentation or the documentation
 * of the definition that follows it (first line "@NAME:").  The syntax
 * and the checks are QEMU's (scripts/qapi/parser.py QAPIDoc and
 * get_doc*); see ../shared/reference/qapi-language.md section 4.
 */
#ifndef QMIG_DOC_H
#define QMIG_DOC_H

#include <stdbool.h>
#include <stdio.h>

#include "lexer.h"
#include "source.h"

typedef enum QmigDocKind {
    QMIG_DOC_PLAIN,
    QMIG_DOC_MEMBER,
    QMIG_DOC_FEATURE,
    QMIG_DOC_RETURNS,
    QMIG_DOC_ERRORS,
    QMIG_DOC_SINCE,
    QMIG_DOC_TODO,
} QmigDocKind;

typedef struct QmigDocSection {
    QmigDocKind kind;
    const QmigInfo *info; /* line where the section starts */
    const char *name;     /* MEMBER / FEATURE: the documented name */
    const char *text;     /* newlines stripped at both ends */
    const void *member;   /* set when connected to a model member */
} QmigDocSection;

struct QmigDoc {
    const QmigInfo *info; /* line of the opening '##' */
    const char *symbol;   /* NULL for free-form documentation */
    QmigDocSection *body;
    QmigPtrVec args;         /* MEMBER sections, in order (plus stubs) */
    QmigPtrVec features;     /* FEATURE sections, in order */
    QmigPtrVec sections;     /* all other sections after the body */
    QmigPtrVec all_sections; /* every section in textual order */
    QmigDocSection *returns;
    QmigDocSection *errors;
    QmigDocSection *since;
    /* Name indexes of args and features, made once they grow long. */
    struct QmigStrMap *arg_map;
    struct QmigStrMap *feature_map;
};
typedef struct QmigDoc QmigDoc;

/* "Plain", "Member", ... as QEMU prints a section kind. */
const char *qmig_doc_kind_name(QmigDocKind kind);

/*
 * Parse the block that starts at the current token (lex->tok is a '##'
 * comment line).  On return the lexer is on the first token after the
 * block's closing '##'.
 */
QmigDoc *qmig_doc_parse(QmigLexer *lex);

/*
 * Checks QEMU runs while checking the expression a definition doc is
 * attached to: a 'Returns' section on a command without 'returns', and
 * 'Returns'/'Errors' sections on something that is not a command.
 */
void qmig_doc_check_expr(QmigCtx *ctx, const QmigDoc *doc, const char *meta,
                         bool has_returns);

/*
 * Connect a model member (role "member", "value", "branch") to its
 * description.  An undocumented member is an error at @member_info
 * unless the documented symbol is in the documentation-exceptions
 * pragma (or ctx->legacy is set), in which case a stub section is
 * added.  Returns the member's section.
 */
const QmigDocSection *qmig_doc_connect_member(QmigCtx *ctx, QmigDoc *doc,
                                             const char *name,
                                             const char *role,
                                             const QmigInfo *member_info,
                                             const void *member);
void qmig_doc_connect_feature(QmigCtx *ctx, QmigDoc *doc, const char *name,
                              const QmigInfo *feature_info,
                              const void *feature);

/* After all entities: documented members/features that do not exist. */
void qmig_doc_check(QmigCtx *ctx, QmigDoc *doc);

/* The "doc ..." lines of QEMU's test-qapi.py output for one block. */
void qmig_doc_dump(FILE *out, const QmigDoc *doc);

#endif /* QMIG_DOC_H */
