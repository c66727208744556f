/*
 * gitsrc.h - schemas read from git: OLD/NEW given as git:REF:PATH.
 *
 * The root file and every file it includes (recursively, relative to
 * the including file, as QEMU joins them) are read with git at REF into
 * a private temporary directory with the repository's layout, so the
 * front end runs on an ordinary copy.  PATH is relative to the top of
 * the repository, as in `git show REF:PATH`; ./ and ../ make it
 * relative to the current directory, as git does.
 */
#ifndef QMIG_GITSRC_H
#define QMIG_GITSRC_H

#include <stdbool.h>

typedef struct QmigGitSource {
    char *tmpdir;    /* the private copy (mkdtemp), NULL once removed */
    char *root;      /* tmpdir/PATH: what the front end reads */
    char *tmp_prefix;   /* "tmpdir/" */
    char *label_prefix; /* "git:REF:" */
} QmigGitSource;

/* Whether @spec has the form git:REF:PATH. */
bool qmig_git_spec(const char *spec);

/*
 * Fetch @spec into a fresh copy.  Returns 0, or 2 (input error) after
 * printing a diagnostic to stderr; on failure nothing is left behind.
 */
int qmig_git_fetch(const char *spec, QmigGitSource *src);

/* Remove the copy and free @src's strings. */
void qmig_git_cleanup(QmigGitSource *src);

/*
 * @text with every occurrence of @src's temporary prefix replaced by
 * its git:REF: label; a new string (malloc).
 */
char *qmig_git_unmap(const QmigGitSource *src, const char *text);

#endif /* QMIG_GITSRC_H */
