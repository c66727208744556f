/*
 * output.c - generated files; see output.h.
 */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

QmigOutput *qmig_output_new(QmigOutputSet *set, const char *name)
{
    QmigOutput *out = QMIG_NEW(set->arena, QmigOutput);
    out->name = qmig_arena_strdup(set->arena, name);
    out->arena = set->arena;
    out->at_line_start = true;
    qmig_vec_push(set->arena, &set->outputs, out);
    return out;
}

static void out_append(QmigOutput *out, const char *s, size_t n)
{
    if (out->len + n + 1 > out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 4096;
        while (cap < out->len + n + 1) {
            cap *= 2;
        }
        char *text = qmig_arena_alloc(out->arena, cap);
        if (out->len) {
            memcpy(text, out->text, out->len);
        }
        out->text = text;
        out->cap = cap;
    }
    memcpy(out->text + out->len, s, n);
    out->len += n;
    out->text[out->len] = '\0';
    if (n) {
        out->at_line_start = s[n - 1] == '\n';
    }
}

void qmig_out_vprintf(QmigOutput *out, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (len < 0) {
        return;
    }
    if ((size_t)len < sizeof(small)) {
        out_append(out, small, (size_t)len);
        return;
    }
    char *big = qmig_arena_vprintf(out->arena, fmt, ap);
    out_append(out, big, (size_t)len);
}

void qmig_out_printf(QmigOutput *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    qmig_out_vprintf(out, fmt, ap);
    va_end(ap);
}

void qmig_out_puts(QmigOutput *out, const char *s)
{
    out_append(out, s, strlen(s));
}

void qmig_out_line(QmigOutput *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = qmig_arena_vprintf(out->arena, fmt, ap);
    va_end(ap);
    /* Indent each non-empty line; blank lines stay empty. */
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);
        if (out->at_line_start && n > 1 && out->indent > 0) {
            static const char spaces[] = "                                ";
            int indent = out->indent;
            while (indent > 0) {
                int chunk = indent > 32 ? 32 : indent;
                out_append(out, spaces, (size_t)chunk);
                indent -= chunk;
            }
        }
        out_append(out, text, n);
        text += n;
    }
}

static const char *join(QmigArena *arena, const char *dir, const char *name)
{
    if (!dir || !*dir || !strcmp(dir, ".")) {
        return name;
    }
    size_t len = strlen(dir);
    return qmig_arena_printf(arena, "%s%s%s", dir,
                             dir[len - 1] == '/' ? "" : "/", name);
}

void qmig_outputs_list(const QmigOutputSet *set, const char *dir, FILE *out)
{
    for (size_t i = 0; i < set->outputs.len; i++) {
        const QmigOutput *o = set->outputs.items[i];
        fprintf(out, "%s\n", join(set->arena, dir, o->name));
    }
}

/*
 * One file name in a dependency file, as both GNU make and ninja read
 * it back (ninja's depfile_parser.in.cc, make's find_char_unquote()):
 * a blank is escaped with a backslash, and the backslashes before it
 * doubled; '#' is "\#"; '$' is "$$".  Other backslashes stand for
 * themselves.  False for what the two cannot both read: newlines, tabs,
 * a backslash before '#' (make halves such backslashes, ninja does
 * not), or at the end of the name (it would escape the separator).
 */
static bool depfile_name(QmigOutput *out, const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || name[len - 1] == '\\') {
        return false;
    }
    for (const char *p = name; *p; p++) {
        switch (*p) {
        case '\n':
        case '\r':
        case '\t':
            return false;
        case ' ':
            for (const char *q = p; q > name && q[-1] == '\\'; q--) {
                qmig_out_puts(out, "\\");
            }
            qmig_out_puts(out, "\\");
            break;
        case '#':
            if (p > name && p[-1] == '\\') {
                return false;
            }
            qmig_out_puts(out, "\\");
            break;
        case '$':
            qmig_out_puts(out, "$");
            break;
        default:
            break;
        }
        char c[2] = {*p, '\0'};
        qmig_out_puts(out, c);
    }
    return true;
}

/* Every output depends on every input; NULL with *error if impossible. */
static const QmigOutput *depfile_text(const QmigOutputSet *set,
                                      const char *dir, const char *depfile,
                                      const QmigPtrVec *inputs,
                                      const char **error)
{
    QmigOutputSet tmp = {.arena = set->arena};
    QmigOutput *out = qmig_output_new(&tmp, depfile);
    for (size_t i = 0; i < set->outputs.len + inputs->len; i++) {
        const char *name =
            i < set->outputs.len
                ? join(set->arena, dir,
                       ((const QmigOutput *)set->outputs.items[i])->name)
                : inputs->items[i - set->outputs.len];
        if (i == set->outputs.len) {
            qmig_out_puts(out, ":");
        }
        if (i > 0) {
            qmig_out_puts(out, " \\\n  ");
        }
        if (!depfile_name(out, name)) {
            *error = qmig_arena_printf(
                set->arena, "cannot write dependency file '%s': make and "
                "ninja cannot both read the file name '%s' (it has a "
                "newline, a tab, or a backslash at its end or before '#')",
                depfile, name);
            return NULL;
        }
    }
    if (!inputs->len) {
        qmig_out_puts(out, ":");
    }
    qmig_out_puts(out, "\n");
    return out;
}

static bool same_content(const char *path, const char *text, size_t len)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size != len) {
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return false;
    }
    char buf[8192];
    size_t pos = 0;
    bool same = true;
    size_t n;
    while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        same = pos + n <= len && !memcmp(buf, text + pos, n);
        pos += n;
    }
    same = same && !ferror(f);
    fclose(f);
    return same && pos == len;
}

/* One file of a run: its destination, content and temporary. */
typedef struct Pending {
    const char *kind; /* "output", "dependency file" */
    const char *path;
    const char *text;
    size_t len;
    const char *tmp; /* the complete temporary, once written */
} Pending;

/* State of one all-or-nothing write. */
typedef struct Batch {
    QmigArena *arena;
    QmigPtrVec pending; /* Pending *, the files whose content changes */
    QmigPtrVec made;    /* const char *, directories this run created */
    const char *error;
} Batch;

static bool fail(Batch *b, const Pending *p, const char *what, int err)
{
    b->error = qmig_arena_printf(b->arena, "cannot write %s '%s': %s%s",
                                 p->kind, p->path, what ? what : "",
                                 what ? "" : strerror(err ? err : EIO));
    return false;
}

/* mkdir -p of the directory part of @p's path, remembering what it made. */
static bool make_parents(Batch *b, const Pending *p)
{
    char *copy = qmig_arena_strdup(b->arena, p->path);
    for (char *s = copy + 1; *s; s++) {
        if (*s != '/' || s[-1] == '/') {
            continue;
        }
        *s = '\0';
        if (mkdir(copy, 0777) == 0) {
            qmig_vec_push(b->arena, &b->made,
                          qmig_arena_strdup(b->arena, copy));
        } else if (errno != EEXIST) {
            int err = errno;
            b->error = qmig_arena_printf(b->arena, "cannot create directory "
                                         "'%s' for %s '%s': %s", copy,
                                         p->kind, p->path, strerror(err));
            return false;
        }
        *s = '/';
    }
    return true;
}

/* Whether rename() may put a file at @p's path: nothing, a file, a link. */
static bool check_destination(Batch *b, const Pending *p)
{
    struct stat st;
    if (lstat(p->path, &st) < 0) {
        return errno == ENOENT || errno == ENOTDIR ? true
                                                   : fail(b, p, NULL, errno);
    }
    if (S_ISDIR(st.st_mode)) {
        return fail(b, p, NULL, EISDIR);
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        return fail(b, p, "it exists and is not a regular file", 0);
    }
    return true;
}

static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* The complete content of @p in a new temporary file beside it. */
static bool write_temporary(Batch *b, Pending *p)
{
    const char *slash = strrchr(p->path, '/');
    size_t dirlen = slash ? (size_t)(slash - p->path) + 1 : 0;
    const char *base = p->path + dirlen;
    for (unsigned n = 0;; n++) {
        /* Hidden, and not matching *.c or *.h, should a build glob. */
        const char *tmp = qmig_arena_printf(b->arena, "%.*s.%s.%ld.%u.tmp",
                                            (int)dirlen, p->path, base,
                                            (long)getpid(), n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST && n < 100) {
            continue;
        }
        if (fd < 0) {
            return fail(b, p, NULL, errno);
        }
        p->tmp = tmp; /* from now on, removed on failure */
        bool ok = write_all(fd, p->text, p->len);
        int err = errno;
        if (close(fd) < 0 && ok) {
            ok = false;
            err = errno;
        }
        return ok || fail(b, p, NULL, err);
    }
}

static void roll_back(Batch *b)
{
    for (size_t i = 0; i < b->pending.len; i++) {
        Pending *p = b->pending.items[i];
        if (p->tmp) {
            unlink(p->tmp);
            p->tmp = NULL;
        }
    }
    for (size_t i = b->made.len; i-- > 0;) {
        rmdir(b->made.items[i]);
    }
}

static void add(Batch *b, const char *kind, const char *path,
                const char *text, size_t len)
{
    if (same_content(path, text, len)) {
        return; /* left alone, with its modification time */
    }
    Pending *p = QMIG_NEW(b->arena, Pending);
    p->kind = kind;
    p->path = path;
    p->text = text;
    p->len = len;
    qmig_vec_push(b->arena, &b->pending, p);
}

bool qmig_outputs_write(QmigOutputSet *set, const char *dir,
                        const char *depfile, const QmigPtrVec *inputs,
                        const char **error)
{
    Batch b = {.arena = set->arena};
    for (size_t i = 0; i < set->outputs.len; i++) {
        const QmigOutput *out = set->outputs.items[i];
        const char *path = join(set->arena, dir, out->name);
        if (depfile && !strcmp(path, depfile)) {
            *error = qmig_arena_printf(set->arena, "--depfile '%s' is also "
                                       "an output", depfile);
            return false;
        }
        add(&b, "output", path, out->text ? out->text : "", out->len);
    }
    if (depfile) {
        const QmigOutput *d = depfile_text(set, dir, depfile, inputs, error);
        if (!d) {
            return false;
        }
        add(&b, "dependency file", depfile, d->text, d->len);
    }
    /* Check and write everything first; any failure changes nothing. */
    bool ok = true;
    for (size_t i = 0; ok && i < b.pending.len; i++) {
        ok = check_destination(&b, b.pending.items[i]);
    }
    for (size_t i = 0; ok && i < b.pending.len; i++) {
        ok = make_parents(&b, b.pending.items[i]) &&
             write_temporary(&b, b.pending.items[i]);
    }
    /* Then put every complete temporary in place. */
    for (size_t i = 0; ok && i < b.pending.len; i++) {
        Pending *p = b.pending.items[i];
        if (rename(p->tmp, p->path) < 0) {
            ok = fail(&b, p, NULL, errno);
            if (i > 0) {
                b.error = qmig_arena_printf(b.arena, "%s (after replacing "
                                            "%zu other files)", b.error, i);
            }
            break;
        }
        p->tmp = NULL;
    }
    if (!ok) {
        roll_back(&b);
        *error = b.error;
    }
    return ok;
}
