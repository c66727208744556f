/*
 * arena.c - bump allocator; see arena.h.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Large enough that calloc() takes fresh zeroed pages from the kernel
 * (glibc's mmap threshold is 128 KiB), so allocations need no memset.
 */
#define ARENA_BLOCK_SIZE (256 * 1024)
/*
 * 8, not _Alignof(max_align_t): nothing here needs long double, and the
 * smaller rounding saves about a quarter of the model's memory.
 */
#define ARENA_ALIGN ((size_t)8)

typedef struct ArenaBlock {
    struct ArenaBlock *next;
    size_t size;
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
} ArenaBlock;

struct QmigArena {
    ArenaBlock *head;
    size_t total_used;
};

static void *xmalloc(size_t size)
{
    void *p = calloc(1, size);
    if (!p) {
        fprintf(stderr, "qmig: out of memory\n");
        abort();
    }
    return p;
}

QmigArena *qmig_arena_new(void)
{
    QmigArena *arena = xmalloc(sizeof(*arena));
    arena->head = NULL;
    arena->total_used = 0;
    return arena;
}

void qmig_arena_free(QmigArena *arena)
{
    if (!arena) {
        return;
    }
    ArenaBlock *block = arena->head;
    while (block) {
        ArenaBlock *next = block->next;
        free(block);
        block = next;
    }
    free(arena);
}

static ArenaBlock *arena_new_block(QmigArena *arena, size_t min_size)
{
    size_t size = min_size > ARENA_BLOCK_SIZE ? min_size : ARENA_BLOCK_SIZE;
    ArenaBlock *block = xmalloc(sizeof(*block) + size);
    block->size = size;
    block->used = 0;
    block->next = arena->head;
    arena->head = block;
    return block;
}

void *qmig_arena_alloc(QmigArena *arena, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (rounded < size) {
        fprintf(stderr, "qmig: allocation too large\n");
        abort();
    }
    ArenaBlock *block = arena->head;
    if (!block || block->size - block->used < rounded) {
        /*
         * Large requests get a block of their own, placed behind the
         * current one so the current block's free tail is not wasted.
         */
        if (block && rounded > ARENA_BLOCK_SIZE / 4) {
            ArenaBlock *big = xmalloc(sizeof(*big) + rounded);
            big->size = rounded;
            big->used = rounded;
            big->next = block->next;
            block->next = big;
            arena->total_used += rounded;
            return big->data;
        }
        block = arena_new_block(arena, rounded);
    }
    /* Blocks come zeroed from calloc() and are never reused. */
    void *p = block->data + block->used;
    block->used += rounded;
    arena->total_used += rounded;
    return p;
}

char *qmig_arena_strndup(QmigArena *arena, const char *s, size_t len)
{
    char *p = qmig_arena_alloc(arena, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *qmig_arena_strdup(QmigArena *arena, const char *s)
{
    return qmig_arena_strndup(arena, s, strlen(s));
}

char *qmig_arena_concat3(QmigArena *arena, const char *a, const char *b,
                         const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    /* Zero-filled, so the terminator is already there. */
    char *out = qmig_arena_alloc(arena, la + lb + lc + 1);
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc);
    return out;
}

char *qmig_arena_vprintf(QmigArena *arena, const char *fmt, va_list ap)
{
    /* Most texts are short: format once into a stack buffer. */
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (len < 0) {
        return qmig_arena_strdup(arena, "(formatting error)");
    }
    if ((size_t)len < sizeof(small)) {
        return qmig_arena_strndup(arena, small, (size_t)len);
    }
    char *p = qmig_arena_alloc(arena, (size_t)len + 1);
    vsnprintf(p, (size_t)len + 1, fmt, ap);
    return p;
}

char *qmig_arena_printf(QmigArena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = qmig_arena_vprintf(arena, fmt, ap);
    va_end(ap);
    return p;
}

size_t qmig_arena_used(const QmigArena *arena)
{
    return arena->total_used;
}

void qmig_vec_push(QmigArena *arena, QmigPtrVec *vec, void *item)
{
    if (vec->len == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        void **items = qmig_arena_alloc(arena, cap * sizeof(*items));
        if (vec->len) {
            memcpy(items, vec->items, vec->len * sizeof(*items));
        }
        vec->items = items;
        vec->cap = cap;
    }
    vec->items[vec->len++] = item;
}
