/*
 * gitsrc.c - schemas read from git (gitsrc.h).
 */
#define _GNU_SOURCE
#include "gitsrc.h"

#include <errno.h>
#include <signal.h>
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

/*
 * One `git cat-file --batch` for every object of a spec: the commit of
 * REF, then each file as its includes are found.  One process, not one
 * per file, because starting git costs more than reading a schema.
 */
typedef struct CatFile {
    pid_t pid;
    FILE *requests;  /* git's stdin */
    FILE *replies;   /* git's stdout */
    int err_fd;      /* git's stderr */
    size_t n_files;  /* files read so far, for a failure's message */
} CatFile;

static int catfile_start(CatFile *cf)
{
    int pin[2], pout[2], perr[2];
    memset(cf, 0, sizeof(*cf));
    cf->pid = -1;
    if (pipe(pin) < 0) {
        return -1;
    }
    if (pipe(pout) < 0) {
        close(pin[0]), close(pin[1]);
        return -1;
    }
    if (pipe(perr) < 0) {
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        close(perr[0]), close(perr[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        close(perr[0]), close(perr[1]);
        /*
         * --buffer: replies come in one write per "flush" instead of one
         * per object, so a level of includes costs one wake-up, not one
         * per file (which on a busy machine is a scheduling delay each).
         */
        execlp("git", "git", "cat-file", "--batch-command", "--buffer",
               (char *)NULL);
        _exit(127);
    }
    close(pin[0]), close(pout[1]), close(perr[1]);
    cf->pid = pid;
    cf->requests = fdopen(pin[1], "w");
    cf->replies = fdopen(pout[0], "r");
    cf->err_fd = perr[0];
    if (!cf->requests || !cf->replies) {
        abort();
    }
    /* A level's replies (a few hundred KiB) in few reads. */
    setvbuf(cf->replies, NULL, _IOFBF, 1 << 16);
    return 0;
}

/*
 * Ask for the object @name; the reply comes with catfile_reply(), in
 * the order asked, once catfile_flush() has sent the requests.  Asking
 * for several before reading the replies saves a round trip each.
 * Returns -1 if git is gone.
 */
static int catfile_ask(CatFile *cf, const char *name)
{
    return fprintf(cf->requests, "contents %s\n", name) < 0 ? -1 : 0;
}

/* Send the requests asked so far, and have git answer them all now. */
static int catfile_flush(CatFile *cf)
{
    return fputs("flush\n", cf->requests) < 0 || fflush(cf->requests) != 0
               ? -1
               : 0;
}

/*
 * The next reply: 1 with the object's type (a static buffer) and its
 * @content, 0 if git has no such object, -1 if git failed (see
 * catfile_finish()).
 */
static int catfile_reply(CatFile *cf, const char **type, Buf *content)
{
    static char header[512];
    if (!fgets(header, sizeof(header), cf->replies) ||
        !strchr(header, '\n')) {
        return -1;
    }
    /* "OID TYPE SIZE", or "NAME missing" / "NAME ambiguous" */
    char *sp1 = strchr(header, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp2) {
        return 0;
    }
    *sp2 = '\0';
    char *end;
    unsigned long long size = strtoull(sp2 + 1, &end, 10);
    if (*end != '\n') {
        return -1;
    }
    *type = sp1 + 1;
    char chunk[65536];
    while (size > 0) {
        size_t want = size < sizeof(chunk) ? (size_t)size : sizeof(chunk);
        size_t got = fread(chunk, 1, want, cf->replies);
        if (got == 0) {
            return -1;
        }
        buf_add(content, chunk, got);
        size -= got;
    }
    buf_add(content, "", 0);
    return fgetc(cf->replies) == '\n' ? 1 : -1;
}

/*
 * End git; its error output in @err.  Returns git's exit status, -1 if
 * it could not be run, or -2 if a signal ended it (*@signo).
 */
static int catfile_finish(CatFile *cf, Buf *err, int *signo)
{
    if (cf->pid < 0) {
        return -1;
    }
    fclose(cf->requests);
    fclose(cf->replies);
    char chunk[4096];
    ssize_t r;
    while ((r = read(cf->err_fd, chunk, sizeof(chunk))) != 0) {
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            break;
        }
        if (err) {
            buf_add(err, chunk, (size_t)r);
        }
    }
    close(cf->err_fd);
    int status;
    while (waitpid(cf->pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    cf->pid = -1;
    if (WIFSIGNALED(status)) {
        *signo = WTERMSIG(status);
        return -2;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        return -1;
    }
    return WEXITSTATUS(status);
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

/* A file to fetch, and the file whose include named it (NULL: the root). */
typedef struct Wanted {
    char *rel;
    const char *included_by;
} Wanted;

typedef struct WantList {
    Wanted *items;
    size_t len;
} WantList;

/* Add @rel (normalised, taken over) unless it is already on the list. */
static void want(WantList *list, char *rel, const char *included_by)
{
    for (size_t i = 0; i < list->len; i++) {
        if (!strcmp(list->items[i].rel, rel)) {
            free(rel);
            return;
        }
    }
    list->items = realloc(list->items, (list->len + 1) * sizeof(Wanted));
    if (!list->items) {
        abort();
    }
    list->items[list->len++] = (Wanted){rel, included_by};
}

/*
 * Store what git returned for @w in the copy and add the files it
 * includes to @list.  Returns 0, or 2 after a diagnostic.
 */
static int store_file(QmigGitSource *src, const char *spec, const char *ref,
                      const Wanted *w, const Buf *text, WantList *list)
{
    char *file = xasprintf("%s/%s", src->tmpdir, w->rel);
    FILE *f = NULL;
    if (make_parents(file) == 0) {
        f = fopen(file, "wb");
    }
    if (!f || (text->len && fwrite(text->data, 1, text->len, f) != text->len) ||
        fclose(f) != 0) {
        fprintf(stderr, "qmig-gen: error: %s: cannot write '%s': %s\n", spec,
                file, strerror(errno));
        free(file);
        return 2;
    }
    free(file);

    char **incs = NULL;
    size_t ninc = 0;
    scan_includes(text->data ? text->data : "", text->len, &incs, &ninc);
    int status = 0;
    const char *slash = strrchr(w->rel, '/');
    for (size_t i = 0; i < ninc; i++) {
        if (status == 0) {
            char *joined = incs[i][0] == '/'
                               ? NULL
                               : xasprintf("%.*s%s%s",
                                           slash ? (int)(slash - w->rel) : 0,
                                           w->rel, slash ? "/" : "", incs[i]);
            char *norm = joined ? normalise(joined) : NULL;
            if (!norm || !*norm) {
                fprintf(stderr, "qmig-gen: error: %s: git:%s:%s includes "
                                "'%s', which is outside the repository\n",
                        spec, ref, w->rel, incs[i]);
                free(norm);
                status = 2;
            } else {
                want(list, norm, w->rel);
            }
            free(joined);
        }
        free(incs[i]);
    }
    free(incs);
    return status;
}

/* The reply for @w: stored (0), a diagnostic and 2, or -1 if git failed. */
static int take_reply(QmigGitSource *src, CatFile *cf, const char *spec,
                      const char *ref, const Wanted *w, WantList *list)
{
    const char *type = NULL;
    Buf text = {0};
    /* A name with a newline cannot be asked for: no such file. */
    int rc = strchr(w->rel, '\n') ? 0 : catfile_reply(cf, &type, &text);
    int status = 0;
    if (rc < 0) {
        status = -1; /* git failed: fetch_all() says how */
    } else if (rc == 0 || strcmp(type, "blob")) {
        if (w->included_by) {
            fprintf(stderr, "qmig-gen: error: %s: git:%s:%s (included by "
                            "git:%s:%s) does not exist at '%s'\n",
                    spec, ref, w->rel, ref, w->included_by, ref);
        } else {
            fprintf(stderr, "qmig-gen: error: %s: path '%s' does not exist "
                            "at '%s' (or is not a file)\n", spec, w->rel, ref);
        }
        status = 2;
    } else {
        status = store_file(src, spec, ref, w, &text, list);
        cf->n_files++;
    }
    free(text.data);
    return status;
}

/*
 * @rel and, level by level, what it includes: each level's files are
 * asked for at once, so a root that includes forty files costs a few
 * round trips to git, not forty.  Returns 0, 2 after a diagnostic, or
 * -1 if git failed (fetch_all() reports it: which request of a batch
 * broke is not known).
 */
static int fetch_tree(QmigGitSource *src, CatFile *cf, const char *spec,
                      const char *ref, const char *rel)
{
    WantList list = {0};
    want(&list, xstrdup(rel), NULL);
    int status = 0;
    for (size_t level = 0; level < list.len && status == 0;) {
        size_t end = list.len;
        for (size_t i = level; i < end && status == 0; i++) {
            if (!strchr(list.items[i].rel, '\n')) {
                char *obj = xasprintf("%s:%s", ref, list.items[i].rel);
                if (catfile_ask(cf, obj) < 0) {
                    status = -1;
                }
                free(obj);
            }
        }
        if (status == 0 && catfile_flush(cf) < 0) {
            status = -1;
        }
        for (size_t i = level; i < end && status == 0; i++) {
            /* A copy: taking the reply can grow (move) the list. */
            Wanted w = list.items[i];
            status = take_reply(src, cf, spec, ref, &w, &list);
        }
        level = end;
    }
    for (size_t i = 0; i < list.len; i++) {
        free(list.items[i].rel);
    }
    free(list.items);
    return status;
}

/* REF's commit, then @rel and its includes, with one git process. */
static int fetch_objects(QmigGitSource *src, CatFile *cf, const char *spec,
                         const char *ref, const char *rel)
{
    char *commit = xasprintf("%s^{commit}", ref);
    const char *type = NULL;
    Buf ignored = {0};
    int rc = strchr(ref, '\n') ? 0
             : catfile_ask(cf, commit) < 0 || catfile_flush(cf) < 0
                 ? -1
                 : catfile_reply(cf, &type, &ignored);
    free(commit);
    free(ignored.data);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0 || strcmp(type, "commit")) {
        fprintf(stderr, "qmig-gen: error: %s: unknown revision '%s'\n", spec,
                ref);
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    src->tmpdir = xasprintf("%s/qmig-compat-XXXXXX",
                            tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(src->tmpdir)) {
        fprintf(stderr, "qmig-gen: error: %s: cannot create a temporary "
                        "directory: %s\n", spec, strerror(errno));
        free(src->tmpdir);
        src->tmpdir = NULL;
        return 2;
    }
    src->root = xasprintf("%s/%s", src->tmpdir, rel);
    src->tmp_prefix = xasprintf("%s/", src->tmpdir);
    src->label_prefix = xasprintf("git:%s:", ref);
    return fetch_tree(src, cf, spec, ref, rel);
}

/*
 * Why git failed while it read the files of @ref: its own message if it
 * gave one, else how it ended.
 */
static void report_git_failure(const char *spec, const char *ref,
                               const CatFile *cf, int rc, int signo, Buf *err)
{
    if (rc == -1) {
        fprintf(stderr, "qmig-gen: error: %s: cannot run git\n", spec);
        return;
    }
    char how[64];
    if (rc == -2) {
        snprintf(how, sizeof(how), "git was killed by signal %d", signo);
    } else if (rc > 0) {
        snprintf(how, sizeof(how), "git exited with status %d", rc);
    } else {
        snprintf(how, sizeof(how), "git stopped answering");
    }
    const char *reason = err->data ? git_reason(err) : how;
    if (cf->n_files == 0) {
        /* Before any file: the revision itself, as git said. */
        fprintf(stderr, "qmig-gen: error: %s: %s\n", spec, reason);
        return;
    }
    fprintf(stderr, "qmig-gen: error: %s: git failed while reading the "
                    "files at '%s' (%zu read): %s\n",
            spec, ref, cf->n_files, reason);
}

static int fetch_all(QmigGitSource *src, const char *spec, const char *ref,
                     const char *rel)
{
    CatFile cf;
    if (catfile_start(&cf) < 0) {
        fprintf(stderr, "qmig-gen: error: %s: cannot run git\n", spec);
        return 2;
    }
    /* A git that dies early must not kill us on our next request. */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, saved;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &saved);
    int status = fetch_objects(src, &cf, spec, ref, rel);
    Buf err = {0};
    int signo = 0;
    int rc = catfile_finish(&cf, &err, &signo);
    sigaction(SIGPIPE, &saved, NULL);
    if (status < 0) {
        report_git_failure(spec, ref, &cf, rc, signo, &err);
        status = 2;
    }
    free(err.data);
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
    char *rel = NULL;
    Buf out = {0}, err = {0};
    if (!*ref || !*path) {
        fprintf(stderr, "qmig-gen: error: '%s': use git:REF:PATH\n", spec);
        goto out;
    }
    /* As git does: PATH is from the top, unless it starts with ./ or ../ */
    if (!strncmp(path, "./", 2) || !strncmp(path, "../", 3)) {
        const char *top_args[] = {"rev-parse", "--show-prefix", NULL};
        int rc = run_git(top_args, &out, &err);
        if (rc < 0) {
            fprintf(stderr, "qmig-gen: error: %s: cannot run git\n", spec);
            goto out;
        }
        if (rc != 0) {
            fprintf(stderr, "qmig-gen: error: %s: %s\n", spec,
                    git_reason(&err));
            goto out;
        }
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
    status = fetch_all(src, spec, ref, rel);
out:
    if (status != 0) {
        qmig_git_cleanup(src);
    }
    free(ref);
    free(rel);
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
