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

typedef struct QmigArenaBlock QmigArenaBlock;

/*
 * Public only so that the allocation fast path below can be inlined:
 * the front end makes hundreds of thousands of small allocations, and a
 * call per allocation was a measurable share of its run time.  Nothing
 * outside arena.c touches the fields.
 */
typedef struct QmigArena {
    unsigned char *cur; /* free space of the current block: [cur, end) */
    unsigned char *end;
    QmigArenaBlock *head; /* the current block, then older ones */
    size_t retired_used;  /* bytes handed out from blocks before head */
    /* Huge-page regions that later blocks are carved from; see arena.c. */
    unsigned char *chunk_cur; /* free space of the newest: [chunk_cur, */
    unsigned char *chunk_end; /*                            chunk_end) */
    void *chunks;             /* newest first, linked through word 0 */
} QmigArena;

QmigArena *qmig_arena_new(void);
void qmig_arena_free(QmigArena *arena);

/* 8, not _Alignof(max_align_t): nothing here needs long double. */
#define QMIG_ARENA_ALIGN ((size_t)8)

/* The out-of-line part of qmig_arena_alloc(): a new block is needed. */
void *qmig_arena_alloc_slow(QmigArena *arena, size_t size);

/* Zero-filled, aligned to 8 bytes (enough for every type qmig uses). */
static inline void *qmig_arena_alloc(QmigArena *arena, size_t size)
{
    size_t rounded = (size + QMIG_ARENA_ALIGN - 1) & ~(QMIG_ARENA_ALIGN - 1);
    /* rounded < size: the request wrapped around; the slow path aborts. */
    if (rounded >= size && rounded <= (size_t)(arena->end - arena->cur)) {
        void *p = arena->cur;
        arena->cur += rounded;
        return p;
    }
    return qmig_arena_alloc_slow(arena, size);
}
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
 * A growable array of pointers backed by the arena.  An array that is
 * the arena's most recent allocation grows in place; otherwise growth
 * copies into a fresh block and the old one stays in the arena until it
 * is freed.
 */
typedef struct QmigPtrVec {
    void **items;
    size_t len;
    size_t cap;
} QmigPtrVec;

/* The out-of-line part of qmig_vec_push(): the array is full. */
void qmig_vec_grow_push(QmigArena *arena, QmigPtrVec *vec, void *item);

static inline void qmig_vec_push(QmigArena *arena, QmigPtrVec *vec, void *item)
{
    if (vec->len < vec->cap) {
        vec->items[vec->len++] = item;
        return;
    }
    qmig_vec_grow_push(arena, vec, item);
}

#define QMIG_NEW(arena, type) ((type *)qmig_arena_alloc((arena), sizeof(type)))

#endif /* QMIG_ARENA_H */
