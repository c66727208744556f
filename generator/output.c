/*
 * output.c - generated files; see output.h.
 */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

/* mkdir -p of the directory part of @path. */
static bool make_parents(QmigArena *arena, const char *path,
                         const char **error)
{
    char *copy = qmig_arena_strdup(arena, path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
            *error = qmig_arena_printf(arena, "can't create directory '%s': "
                                       "%s", copy, strerror(errno));
            return false;
        }
        *p = '/';
    }
    return true;
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
    fclose(f);
    return same && pos == len;
}

/* Write via a temporary file and rename(), so readers never see half. */
static bool write_atomically(QmigArena *arena, const char *path,
                             const char *text, size_t len, const char **error)
{
    const char *tmp = qmig_arena_printf(arena, "%s.tmp%ld", path,
                                        (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        *error = qmig_arena_printf(arena, "can't write '%s': %s", tmp,
                                   strerror(errno));
        return false;
    }
    bool ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        *error = qmig_arena_printf(arena, "can't write '%s': %s", path,
                                   strerror(errno ? errno : EIO));
        unlink(tmp);
        return false;
    }
    return true;
}

bool qmig_outputs_write(QmigOutputSet *set, const char *dir,
                        const char **error)
{
    for (size_t i = 0; i < set->outputs.len; i++) {
        QmigOutput *out = set->outputs.items[i];
        const char *path = join(set->arena, dir, out->name);
        if (same_content(path, out->text ? out->text : "", out->len)) {
            continue;
        }
        if (!make_parents(set->arena, path, error) ||
            !write_atomically(set->arena, path, out->text ? out->text : "",
                              out->len, error)) {
            return false;
        }
    }
    return true;
}

void qmig_outputs_list(const QmigOutputSet *set, const char *dir, FILE *out)
{
    for (size_t i = 0; i < set->outputs.len; i++) {
        const QmigOutput *o = set->outputs.items[i];
        fprintf(out, "%s\n", join(set->arena, dir, o->name));
    }
}

/* Make escapes spaces in file names with a backslash. */
static void depfile_name(QmigOutput *out, const char *name)
{
    for (const char *p = name; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\') {
            qmig_out_puts(out, "\\");
        }
        qmig_out_printf(out, "%c", *p);
    }
}

bool qmig_outputs_depfile(const QmigOutputSet *set, const char *dir,
                          const char *depfile, const QmigPtrVec *inputs,
                          const char **error)
{
    QmigOutputSet tmp = {.arena = set->arena};
    QmigOutput *out = qmig_output_new(&tmp, depfile);
    for (size_t i = 0; i < set->outputs.len; i++) {
        const QmigOutput *o = set->outputs.items[i];
        depfile_name(out, join(set->arena, dir, o->name));
        qmig_out_puts(out, i + 1 < set->outputs.len ? " \\\n  " : ":");
    }
    for (size_t i = 0; i < inputs->len; i++) {
        qmig_out_puts(out, " \\\n  ");
        depfile_name(out, inputs->items[i]);
    }
    qmig_out_puts(out, "\n");
    if (same_content(depfile, out->text, out->len)) {
        return true;
    }
    return make_parents(set->arena, depfile, error) &&
           write_atomically(set->arena, depfile, out->text, out->len, error);
}
