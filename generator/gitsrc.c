/*
 * gitsrc.c - schemas read from git (gitsrc.h).
 */
#define _GNU_SOURCE
#include "gitsrc.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) {
            abort();
        }
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static char *xstrdup(const char *s)
{
    char *r = strdup(s);
    if (!r) {
        abort();
    }
    return r;
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r;
    if (vasprintf(&r, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return r;
}

/*
 * Run git with @args (NULL-terminated, without "git"); its output in
 * @out, its error output in @err (either may be NULL).  Returns git's
 * exit status, or -1 if it could not run.
 */
static int run_git(const char *const *args, Buf *out, Buf *err)
{
    int po[2], pe[2];
    if (pipe(po) < 0) {
        return -1;
    }
    if (pipe(pe) < 0) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        size_t n = 0;
        while (args[n]) {
            n++;
        }
        const char **argv = calloc(n + 2, sizeof(*argv));
        argv[0] = "git";
        memcpy(argv + 1, args, n * sizeof(*argv));
        execvp("git", (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* git's error output is small: read stdout to the end, then stderr. */
    Buf sink = {0};
    int fds[2] = {po[0], pe[0]};
    Buf *bufs[2] = {out ? out : &sink, err ? err : &sink};
    for (int k = 0; k < 2; k++) {
        char chunk[65536];
        ssize_t r;
        while ((r = read(fds[k], chunk, sizeof(chunk))) != 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0) {
                break;
            }
            buf_add(bufs[k], chunk, (size_t)r);
        }
        close(fds[k]);
    }
    free(sink.data);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        return -1;
    }
    return WEXITSTATUS(status);
}

/* git's first error line, without "fatal: " and the newline. */
static const char *git_reason(Buf *err)
{
    if (!err->data) {
        return "git failed";
    }
    char *nl = strchr(err->data, '\n');
    if (nl) {
        *nl = '\0';
    }
    const char *s = err->data;
    if (!strncmp(s, "fatal: ", 7)) {
        s += 7;
    }
    return s;
}

bool qmig_git_spec(const char *spec)
{
    return !strncmp(spec, "git:", 4) && strchr(spec + 4, ':');
}

/*
 * Normalise @path (relative to the repository top): drop '.' and empty
 * components, resolve '..'.  NULL if it leaves the repository.
 */
static char *normalise(const char *path)
{
    char *copy = xstrdup(path);
    char **parts = calloc(strlen(path) + 1, sizeof(char *));
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t;
         t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) {
            continue;
        }
        if (!strcmp(t, "..")) {
            if (!n) {
                free(parts);
                free(copy);
                return NULL;
            }
            n--;
            continue;
        }
        parts[n++] = t;
    }
    Buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i) {
            buf_add(&b, "/", 1);
        }
        buf_add(&b, parts[i], strlen(parts[i]));
    }
    free(parts);
    free(copy);
    return b.data ? b.data : xstrdup("");
}

/* mkdir -p for the directories of @file (absolute, under the copy). */
static int make_parents(char *file)
{
    for (char *p = strchr(file + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int r = mkdir(file, 0700);
        *p = '/';
        if (r < 0 && errno != EEXIST) {
            return -1;
        }
    }
    return 0;
}

/*
 * The include directives of QAPI schema text: the string after
 * 'include': at any level (QAPI allows them only at the top; the front
 * end checks that).  Comments run from '#' to the end of the line.
 */
static void scan_includes(const char *text, size_t len, char ***out,
                          size_t *n)
{
    int state = 0; /* 1: after 'include', 2: after 'include': */
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '#') {
            while (i < len && text[i] != '\n') {
                i++;
            }
        } else if (c == '\'' || c == '"') {
            Buf s = {0};
            for (i++; i < len && text[i] != c && text[i] != '\n'; i++) {
                if (text[i] == '\\' && i + 1 < len) {
                    i++;
                }
                buf_add(&s, &text[i], 1);
            }
            const char *str = s.data ? s.data : "";
            if (state == 2) {
                *out = realloc(*out, (*n + 1) * sizeof(char *));
                (*out)[(*n)++] = xstrdup(str);
                state = 0;
            } else {
                state = !strcmp(str, "include") ? 1 : 0;
            }
            free(s.data);
        } else if (c == ':' && state == 1) {
            state = 2;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            state = 0;
        }
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void qmig_git_cleanup(QmigGitSource *src)
{
    if (src->tmpdir) {
        nftw(src->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(src->tmpdir);
    free(src->root);
    free(src->tmp_prefix);
    free(src->label_prefix);
    memset(src, 0, sizeof(*src));
}

/* Fetch @rel (normalised) at @ref into the copy, then what it includes. */
static int fetch_file(QmigGitSource *src, const char *spec, const char *ref,
                      const char *rel, const char *included_by,
                      char ***done, size_t *ndone)
{
    for (size_t i = 0; i < *ndone; i++) {
        if (!strcmp((*done)[i], rel)) {
            return 0;
        }
    }
    *done = realloc(*done, (*ndone + 1) * sizeof(char *));
    (*done)[(*ndone)++] = xstrdup(rel);

    char *obj = xasprintf("%s:%s", ref, rel);
    const char *args[] = {"cat-file", "blob", obj, NULL};
    Buf out = {0}, err = {0};
    int rc = run_git(args, &out, &err);
    free(obj);
    if (rc != 0) {
        if (included_by) {
            fprintf(stderr, "qmig-gen: error: %s: git:%s:%s (included by "
                            "git:%s:%s) does not exist at '%s'\n",
                    spec, ref, rel, ref, included_by, ref);
        } else {
            fprintf(stderr, "qmig-gen: error: %s: path '%s' does not exist "
                            "at '%s' (or is not a file)\n", spec, rel, ref);
        }
        free(out.data);
        free(err.data);
        return 2;
    }
    free(err.data);
    char *file = xasprintf("%s/%s", src->tmpdir, rel);
    FILE *f = NULL;
    if (make_parents(file) == 0) {
        f = fopen(file, "wb");
    }
    if (!f || (out.len && fwrite(out.data, 1, out.len, f) != out.len) ||
        fclose(f) != 0) {
        fprintf(stderr, "qmig-gen: error: %s: cannot write '%s': %s\n", spec,
                file, strerror(errno));
        free(file);
        free(out.data);
        return 2;
    }
    free(file);

    char **incs = NULL;
    size_t ninc = 0;
    scan_includes(out.data ? out.data : "", out.len, &incs, &ninc);
    free(out.data);
    int status = 0;
    const char *slash = strrchr(rel, '/');
    for (size_t i = 0; i < ninc; i++) {
        if (status == 0) {
            char *joined = incs[i][0] == '/'
                               ? NULL
                               : xasprintf("%.*s%s%s",
                                           slash ? (int)(slash - rel) : 0, rel,
                                           slash ? "/" : "", incs[i]);
            char *norm = joined ? normalise(joined) : NULL;
            if (!norm || !*norm) {
                fprintf(stderr, "qmig-gen: error: %s: git:%s:%s includes "
                                "'%s', which is outside the repository\n",
                        spec, ref, rel, incs[i]);
                status = 2;
            } else {
                status = fetch_file(src, spec, ref, norm, rel, done, ndone);
            }
            free(norm);
            free(joined);
        }
        free(incs[i]);
    }
    free(incs);
    return status;
}

int qmig_git_fetch(const char *spec, QmigGitSource *src)
{
    memset(src, 0, sizeof(*src));
    const char *ref_start = spec + 4;
    const char *colon = strchr(ref_start, ':');
    char *ref = xasprintf("%.*s", (int)(colon - ref_start), ref_start);
    const char *path = colon + 1;
    int status = 2;
    char *rel = NULL, *commit = NULL;
    Buf out = {0}, err = {0};
    if (!*ref || !*path) {
        fprintf(stderr, "qmig-gen: error: '%s': use git:REF:PATH\n", spec);
        goto out;
    }
    const char *top_args[] = {"rev-parse", "--show-prefix", NULL};
    int rc = run_git(top_args, &out, &err);
    if (rc < 0) {
        fprintf(stderr, "qmig-gen: error: %s: cannot run git\n", spec);
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "qmig-gen: error: %s: %s\n", spec, git_reason(&err));
        goto out;
    }
    /* As git does: PATH is from the top, unless it starts with ./ or ../ */
    if (!strncmp(path, "./", 2) || !strncmp(path, "../", 3)) {
        char *nl = strchr(out.data ? out.data : "", '\n');
        if (nl) {
            *nl = '\0';
        }
        char *joined = xasprintf("%s%s", out.data ? out.data : "", path);
        rel = normalise(joined);
        free(joined);
    } else {
        rel = normalise(path);
    }
    if (!rel || !*rel) {
        fprintf(stderr, "qmig-gen: error: %s: path '%s' is outside the "
                        "repository\n", spec, path);
        goto out;
    }
    commit = xasprintf("%s^{commit}", ref);
    const char *ref_args[] = {"rev-parse", "--verify", "--quiet", commit,
                              NULL};
    if (run_git(ref_args, NULL, NULL) != 0) {
        fprintf(stderr, "qmig-gen: error: %s: unknown revision '%s'\n", spec,
                ref);
        goto out;
    }
    const char *tmp = getenv("TMPDIR");
    src->tmpdir = xasprintf("%s/qmig-compat-XXXXXX",
                            tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(src->tmpdir)) {
        fprintf(stderr, "qmig-gen: error: %s: cannot create a temporary "
                        "directory: %s\n", spec, strerror(errno));
        free(src->tmpdir);
        src->tmpdir = NULL;
        goto out;
    }
    src->root = xasprintf("%s/%s", src->tmpdir, rel);
    src->tmp_prefix = xasprintf("%s/", src->tmpdir);
    src->label_prefix = xasprintf("git:%s:", ref);
    char **done = NULL;
    size_t ndone = 0;
    status = fetch_file(src, spec, ref, rel, NULL, &done, &ndone);
    for (size_t i = 0; i < ndone; i++) {
        free(done[i]);
    }
    free(done);
out:
    if (status != 0) {
        qmig_git_cleanup(src);
    }
    free(ref);
    free(rel);
    free(commit);
    free(out.data);
    free(err.data);
    return status;
}

char *qmig_git_unmap(const QmigGitSource *src, const char *text)
{
    Buf b = {0};
    buf_add(&b, "", 0);
    size_t plen = src->tmp_prefix ? strlen(src->tmp_prefix) : 0;
    const char *p = text;
    const char *hit;
    while (plen && (hit = strstr(p, src->tmp_prefix))) {
        buf_add(&b, p, (size_t)(hit - p));
        buf_add(&b, src->label_prefix, strlen(src->label_prefix));
        p = hit + plen;
    }
    buf_add(&b, p, strlen(p));
    return b.data;
}
