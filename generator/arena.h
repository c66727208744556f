/*
 * arena.h - bump allocator for the schema front end.
 *
 * Every object the front end builds (tokens, values, model nodes, error
 * text) lives in one arena that the facade frees in a single call.  This
 * is what makes the non-local error exit in diag.h leak-free: nothing
 * allocated before an error needs individual cleanup.
 *
 * Ownership: memory returned by these functions belongs to the arena and
 * is valid until qmig_arena_free().  Allocation failure aborts the
 * process (the generator is a build tool; there is no caller that could
 * recover).
 */
#ifndef QMIG_ARENA_H
#define QMIG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct QmigArena QmigArena;

QmigArena *qmig_arena_new(void);
void qmig_arena_free(QmigArena *arena);

/* Zero-filled, aligned to 8 bytes (enough for every type qmig uses). */
void *qmig_arena_alloc(QmigArena *arena, size_t size);
char *qmig_arena_strndup(QmigArena *arena, const char *s, size_t len);
char *qmig_arena_strdup(QmigArena *arena, const char *s);
/*
 * @a, @b and @c joined: printf("%s%s%s") without the cost of
 * formatting, for strings built once per definition or member.
 */
char *qmig_arena_concat3(QmigArena *arena, const char *a, const char *b,
                         const char *c);
char *qmig_arena_printf(QmigArena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *qmig_arena_vprintf(QmigArena *arena, const char *fmt, va_list ap);

/* Bytes handed out so far; the benchmarks report it. */
size_t qmig_arena_used(const QmigArena *arena);

/*
 * A growable array of pointers backed by the arena.  Growth copies into
 * a fresh block; the old block stays in the arena until it is freed.
 */
typedef struct QmigPtrVec {
    void **items;
    size_t len;
    size_t cap;
} QmigPtrVec;

void qmig_vec_push(QmigArena *arena, QmigPtrVec *vec, void *item);

#define QMIG_NEW(arena, type) ((type *)qmig_arena_alloc((arena), sizeof(type)))

#endif /* QMIG_ARENA_H */
