/*
 * arena.c - bump allocator; see arena.h.
 */
/* madvise() and MADV_POPULATE_WRITE are Linux, not POSIX. */
#define _DEFAULT_SOURCE

#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Large enough that calloc() takes fresh zeroed pages from the kernel
 * (glibc's mmap threshold is 128 KiB), so allocations need no memset.
 */
#define ARENA_BLOCK_SIZE (256 * 1024)

struct QmigArenaBlock {
    struct QmigArenaBlock *next;
    size_t size;
    size_t used; /* of a retired block; the current one's is cur - data */
    _Alignas(max_align_t) unsigned char data[];
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
    /* Zeroed: no block, so the first allocation takes the slow path. */
    return xmalloc(sizeof(QmigArena));
}

void qmig_arena_free(QmigArena *arena)
{
    if (!arena) {
        return;
    }
    QmigArenaBlock *block = arena->head;
    while (block) {
        QmigArenaBlock *next = block->next;
        free(block);
        block = next;
    }
    free(arena);
}

/*
 * Map the pages of [p, p + size) now, in one system call, instead of
 * taking a page fault on the first write to each: a run fills nearly
 * every block it takes.  On the 2-core VM where this was measured,
 * faulting in 6 MiB page by page took 3.5 ms of CPU, populating it in
 * one call 2.6 ms; qmig-gen check on QEMU's schema takes about 7 ms.
 * Only an optimisation: older kernels reject the advice, and that is
 * fine.
 * Large blocks too: they hold file text, which read() fills, and the
 * slot arrays of hash maps, whose pages all get written.
 */
static void prefault(void *p, size_t size)
{
#ifdef MADV_POPULATE_WRITE
    static uintptr_t page;
    if (!page) {
        long sz = sysconf(_SC_PAGESIZE);
        page = sz > 0 ? (uintptr_t)sz : 4096;
    }
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(page - 1);
    if (end > start) {
        (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
#else
    (void)p;
    (void)size;
#endif
}

static QmigArenaBlock *new_block(size_t size)
{
    QmigArenaBlock *block = xmalloc(sizeof(*block) + size);
    prefault(block, sizeof(*block) + size);
    block->size = size;
    return block;
}

void *qmig_arena_alloc_slow(QmigArena *arena, size_t size)
{
    size_t rounded = (size + QMIG_ARENA_ALIGN - 1) & ~(QMIG_ARENA_ALIGN - 1);
    if (rounded < size) {
        fprintf(stderr, "qmig: allocation too large\n");
        abort();
    }
    QmigArenaBlock *cur = arena->head;
    /*
     * Large requests get a block of their own, placed behind the
     * current one so the current block's free tail is not wasted.
     */
    if (cur && rounded > ARENA_BLOCK_SIZE / 4) {
        QmigArenaBlock *big = new_block(rounded);
        big->used = rounded;
        big->next = cur->next;
        cur->next = big;
        arena->retired_used += rounded;
        return big->data;
    }
    if (cur) {
        cur->used = (size_t)(arena->cur - cur->data);
        arena->retired_used += cur->used;
    }
    QmigArenaBlock *block =
        new_block(rounded > ARENA_BLOCK_SIZE ? rounded : ARENA_BLOCK_SIZE);
    block->next = cur;
    arena->head = block;
    /* Blocks come zeroed from calloc() and are never reused. */
    arena->cur = block->data + rounded;
    arena->end = block->data + block->size;
    return block->data;
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
    size_t cur = arena->head ? (size_t)(arena->cur - arena->head->data) : 0;
    return arena->retired_used + cur;
}

void qmig_vec_grow_push(QmigArena *arena, QmigPtrVec *vec, void *item)
{
    if (vec->len == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        size_t grow = (cap - vec->cap) * sizeof(*vec->items);
        /*
         * The array ends where the arena's free space starts (nothing
         * was allocated since it last grew): take the space behind it
         * instead of copying, which leaves no garbage in the arena.
         */
        if (vec->cap && (unsigned char *)(vec->items + vec->cap) == arena->cur &&
            grow <= (size_t)(arena->end - arena->cur)) {
            arena->cur += grow;
            vec->cap = cap;
            vec->items[vec->len++] = item;
            return;
        }
        void **items = qmig_arena_alloc(arena, cap * sizeof(*items));
        if (vec->len) {
            memcpy(items, vec->items, vec->len * sizeof(*items));
        }
        vec->items = items;
        vec->cap = cap;
    }
    vec->items[vec->len++] = item;
}
