/*
 * arena.c - bump allocator; see arena.h.
 */
/* madvise() and MADV_POPULATE_WRITE are Linux, not POSIX. */
#define _DEFAULT_SOURCE

#include "arena.h"

#include <stdbool.h>
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

/* Huge-page chunks (see map_chunk()): x86-64's 2 MiB huge page size. */
#define CHUNK_SIZE ((size_t)2 * 1024 * 1024)
/* Keeps every block in a chunk as aligned as calloc() would. */
#define CHUNK_ALIGN ((size_t)_Alignof(max_align_t))
#define CHUNK_BLOCK_MAX (sizeof(QmigArenaBlock) + ARENA_BLOCK_SIZE)

struct QmigArenaBlock {
    struct QmigArenaBlock *next;
    bool in_chunk; /* carved from a chunk, not from calloc() */
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
        if (!block->in_chunk) {
            free(block);
        }
        block = next;
    }
    void *chunk = arena->chunks;
    while (chunk) {
        void *next;
        memcpy(&next, chunk, sizeof(next));
        munmap(chunk, CHUNK_SIZE);
        chunk = next;
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

/*
 * A fresh 2 MiB-aligned region of CHUNK_SIZE zeroed bytes that the
 * kernel may back with one transparent huge page, or NULL.  On the
 * 2-core VM, populating 4 MiB took 1.8 ms in 4 KiB pages and 0.5 ms in
 * huge pages; QEMU's schema needs about 4 MiB of arena.
 */
static unsigned char *map_chunk(void)
{
#ifdef MADV_HUGEPAGE
    /* Twice the size, so that an aligned region lies inside. */
    size_t len = 2 * CHUNK_SIZE;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    unsigned char *start =
        (unsigned char *)(((uintptr_t)p + CHUNK_SIZE - 1) &
                          ~(uintptr_t)(CHUNK_SIZE - 1));
    size_t head = (size_t)(start - p);
    if (head) {
        munmap(p, head);
    }
    if (len - head > CHUNK_SIZE) {
        munmap(start + CHUNK_SIZE, len - head - CHUNK_SIZE);
    }
    /* Only advice: without huge pages, the chunk works all the same. */
    (void)madvise(start, CHUNK_SIZE, MADV_HUGEPAGE);
    return start;
#else
    return NULL;
#endif
}

/*
 * Room for @total bytes from the arena's chunks, or NULL.  A request
 * that does not fit opens a new chunk only if it is no larger than a
 * standard block, so that big ones cannot strand much of a chunk.
 */
static void *chunk_alloc(QmigArena *arena, size_t *total_io)
{
    size_t total = *total_io;
    total = (total + CHUNK_ALIGN - 1) & ~(CHUNK_ALIGN - 1);
    if (total > (size_t)(arena->chunk_end - arena->chunk_cur)) {
        if (total > CHUNK_BLOCK_MAX) {
            return NULL;
        }
        unsigned char *chunk = map_chunk();
        if (!chunk) {
            return NULL;
        }
        /* Word 0 links the chunks, for qmig_arena_free(). */
        memcpy(chunk, &arena->chunks, sizeof(arena->chunks));
        arena->chunks = chunk;
        arena->chunk_cur = chunk + CHUNK_ALIGN;
        arena->chunk_end = chunk + CHUNK_SIZE;
    }
    /* A tail too small for another block goes to this one. */
    if ((size_t)(arena->chunk_end - arena->chunk_cur) - total <
        CHUNK_BLOCK_MAX) {
        total = (size_t)(arena->chunk_end - arena->chunk_cur);
    }
    void *p = arena->chunk_cur;
    arena->chunk_cur += total;
    *total_io = total;
    return p;
}

static QmigArenaBlock *new_block(QmigArena *arena, size_t size)
{
    size_t total = sizeof(QmigArenaBlock) + size;
    /*
     * The first block comes from calloc(), so that small schemas (the
     * test suite's) do not pay for a huge page; an arena that needs a
     * second block is a big one.
     */
    QmigArenaBlock *block = arena->head ? chunk_alloc(arena, &total) : NULL;
    if (block) {
        block->in_chunk = true;
    } else {
        block = xmalloc(total);
    }
    prefault(block, total);
    /* Perhaps more than asked for (see chunk_alloc()), never less. */
    block->size = total - sizeof(QmigArenaBlock);
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
        QmigArenaBlock *big = new_block(arena, rounded);
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
    QmigArenaBlock *block = new_block(
        arena, rounded > ARENA_BLOCK_SIZE ? rounded : ARENA_BLOCK_SIZE);
    block->next = cur;
    arena->head = block;
    /* Blocks come zeroed from calloc() or mmap() and are never reused. */
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
