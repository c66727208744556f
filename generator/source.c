/*
 * source.c - source files, locations and diagnostics; see source.h.
 */
#include "source.h"

#include "strmap.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static QmigFile *new_file(QmigCtx *ctx, const char *path, const QmigInfo *incl,
                          char *text, size_t len);

/* Short lists are searched linearly; longer ones get a hash set. */
#define PRAGMA_LINEAR_MAX 8

/* The hash set over @list, (re)built if @list changed since. */
static QmigStrMap *pragma_set(QmigCtx *ctx, const QmigPtrVec *list)
{
    struct QmigPragmaSet *set = NULL;
    size_t n = sizeof(ctx->pragma.sets) / sizeof(ctx->pragma.sets[0]);
    for (size_t i = 0; i < n && !set; i++) {
        struct QmigPragmaSet *s = &ctx->pragma.sets[i];
        if (s->list == list || !s->list) {
            set = s;
        }
    }
    if (!set) {
        return NULL; /* not a pragma list: search it linearly */
    }
    if (set->list != list || set->items != list->items ||
        set->len != list->len) {
        set->list = list;
        set->items = list->items;
        set->len = list->len;
        set->map = qmig_strmap_new(ctx->arena);
        for (size_t i = 0; i < list->len; i++) {
            qmig_strmap_put(set->map, list->items[i], list->items[i]);
        }
    }
    return set->map;
}

bool qmig_pragma_lists(QmigCtx *ctx, const QmigPtrVec *list,
                       const char *name)
{
    QmigStrMap *set = list->len > PRAGMA_LINEAR_MAX ? pragma_set(ctx, list)
                                                    : NULL;
    if (set) {
        return qmig_strmap_get(set, name) != NULL;
    }
    for (size_t i = 0; i < list->len; i++) {
        if (!strcmp(list->items[i], name)) {
            return true;
        }
    }
    return false;
}

/*
 * os.path.abspath(): make absolute against the working directory and
 * fold ".", ".." and repeated slashes lexically, without resolving links.
 */
const char *qmig_abspath(QmigCtx *ctx, const char *path)
{
    char cwd[PATH_MAX];
    const char *joined = path;
    if (path[0] != '/') {
        if (!getcwd(cwd, sizeof(cwd))) {
            strcpy(cwd, ".");
        }
        joined = qmig_arena_printf(ctx->arena, "%s/%s", cwd, path);
    }
    size_t n = strlen(joined);
    char *out = qmig_arena_alloc(ctx->arena, n + 2);
    size_t len = 0;
    const char *p = joined;
    while (*p) {
        while (*p == '/') {
            p++;
        }
        const char *seg = p;
        while (*p && *p != '/') {
            p++;
        }
        size_t seglen = (size_t)(p - seg);
        if (seglen == 0 || (seglen == 1 && seg[0] == '.')) {
            continue;
        }
        if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
            while (len > 0 && out[len - 1] != '/') {
                len--;
            }
            if (len > 0) {
                len--;
            }
            continue;
        }
        out[len++] = '/';
        memcpy(out + len, seg, seglen);
        len += seglen;
    }
    if (len == 0) {
        out[len++] = '/';
    }
    out[len] = '\0';
    return out;
}

QmigFile *qmig_file_load(QmigCtx *ctx, const char *path, const QmigInfo *incl,
                         int *errno_out)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        *errno_out = errno;
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        *errno_out = EISDIR;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *errno_out = EINVAL;
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errno_out = errno;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 2;
    char *text = qmig_arena_alloc(ctx->arena, cap);
    size_t len = fread(text, 1, cap - 2, f);
    bool failed = ferror(f);
    /* A file that grew while we read it is cut at its stat size. */
    fclose(f);
    if (failed) {
        *errno_out = EIO;
        return NULL;
    }
    return new_file(ctx, path, incl, text, len);
}

static QmigFile *new_file(QmigCtx *ctx, const char *path, const QmigInfo *incl,
                          char *text, size_t len)
{
    /* QEMU appends a newline to text that does not end in one. */
    if (len == 0 || text[len - 1] != '\n') {
        text[len++] = '\n';
    }
    text[len] = '\0';

    QmigFile *file = QMIG_NEW(ctx->arena, QmigFile);
    file->path = qmig_arena_strdup(ctx->arena, path);
    file->abspath = qmig_abspath(ctx, path);
    file->incl = incl;
    file->text = text;
    file->len = len;
    qmig_vec_push(ctx->arena, &ctx->files, file);
    return file;
}

QmigFile *qmig_file_from_buffer(QmigCtx *ctx, const char *path,
                                const char *data, size_t len)
{
    char *text = qmig_arena_alloc(ctx->arena, len + 2);
    memcpy(text, data, len);
    return new_file(ctx, path, NULL, text, len);
}

QmigInfo *qmig_info_new(QmigCtx *ctx, const QmigFile *file, unsigned line)
{
    QmigInfo *info = QMIG_NEW(ctx->arena, QmigInfo);
    info->file = file;
    info->line = line;
    return info;
}

QmigInfo *qmig_info_copy(QmigCtx *ctx, const QmigInfo *info)
{
    QmigInfo *copy = QMIG_NEW(ctx->arena, QmigInfo);
    *copy = *info;
    return copy;
}

int qmig_column(const char *line_start, const char *pos)
{
    int col = 1;
    for (const char *p = line_start; p < pos; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\t') {
            col = (col + 7) % 8 + 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    return col;
}

/* The "In file included from" chain, outermost first. */
static void append_include_chain(QmigCtx *ctx, char **out, const QmigInfo *incl)
{
    if (!incl) {
        return;
    }
    append_include_chain(ctx, out, incl->file->incl);
    *out = qmig_arena_printf(ctx->arena, "%sIn file included from %s:%u:\n",
                             *out, incl->file->path, incl->line);
}

static char *format_location(QmigCtx *ctx, const QmigInfo *info, int col)
{
    char *out = "";
    append_include_chain(ctx, &out, info->file->incl);
    if (info->defn_name) {
        out = qmig_arena_printf(ctx->arena, "%s%s: In %s '%s':\n", out,
                                info->file->path, info->defn_meta,
                                info->defn_name);
    }
    if (col > 0) {
        return qmig_arena_printf(ctx->arena, "%s%s:%u:%d", out,
                                 info->file->path, info->line, col);
    }
    return qmig_arena_printf(ctx->arena, "%s%s:%u", out, info->file->path,
                             info->line);
}

static _Noreturn void leave(QmigCtx *ctx, int status)
{
    ctx->error_status = status;
    longjmp(*ctx->escape, 1);
}

/* What append_error() puts between a location and its message. */
static const char error_tag[] = ": error: ";

static void append_error(QmigCtx *ctx, const QmigInfo *info, int col,
                         const char *msg)
{
    const char *prev = ctx->error ? ctx->error : "";
    if (info) {
        ctx->error = qmig_arena_printf(ctx->arena, "%s%s%s%s\n", prev,
                                       format_location(ctx, info, col),
                                       error_tag, msg);
    } else {
        ctx->error = qmig_arena_printf(ctx->arena, "%sqmig-gen: error: %s\n",
                                       prev, msg);
    }
    ctx->n_errors++;
}

char *qmig_error_as_note(QmigCtx *ctx, const char *error, const char *what)
{
    const char *at = strstr(error, error_tag);
    if (!at) {
        return qmig_arena_printf(ctx->arena, "qmig-gen: note: %s: %s", what,
                                 error);
    }
    return qmig_arena_printf(ctx->arena, "%.*s: note: %s: %s",
                             (int)(at - error), error, what,
                             at + sizeof(error_tag) - 1);
}

void qmig_note(QmigCtx *ctx, const QmigInfo *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    qmig_vec_push(ctx->arena, &ctx->notes,
                  qmig_arena_printf(ctx->arena, "%s: note: %s\n",
                                    format_location(ctx, info, 0), msg));
}

void qmig_error(QmigCtx *ctx, const QmigInfo *info, int col, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    append_error(ctx, info, col, msg);
    leave(ctx, QMIG_EXIT_SCHEMA_ERROR);
}

void qmig_report(QmigCtx *ctx, const QmigInfo *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    append_error(ctx, info, 0, msg);
}

void qmig_leave_if_errors(QmigCtx *ctx)
{
    if (ctx->n_errors) {
        leave(ctx, QMIG_EXIT_SCHEMA_ERROR);
    }
}

void qmig_error_with_note(QmigCtx *ctx, const QmigInfo *info,
                          const QmigInfo *note_info, const char *note,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    /* The note is a bare location: the context lines were given above. */
    ctx->error = qmig_arena_printf(ctx->arena, "%s: error: %s\n%s:%u: note: %s\n",
                                   format_location(ctx, info, 0), msg,
                                   note_info->file->path, note_info->line, note);
    leave(ctx, QMIG_EXIT_SCHEMA_ERROR);
}

void qmig_fatal_io(QmigCtx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    ctx->error = qmig_arena_printf(ctx->arena, "qmig-gen: error: %s\n", msg);
    leave(ctx, QMIG_EXIT_USAGE);
}
