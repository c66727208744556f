/*
 * cname.c - QAPI names to C identifiers; see cname.h.
 */
#include "cname.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Sorted (strcmp order) for bsearch(): checked for every member name. */
static const char *const reserved_names[] = {
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
    "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "and",
    "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "class", "compl", "const", "const_cast", "continue",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "errno", "explicit", "extern", "false", "float", "for", "friend", "goto",
    "i386", "if", "inline", "int", "linux", "long", "mips", "mutable",
    "namespace", "new", "not", "not_eq", "operator", "or", "or_eq",
    "private", "protected", "public", "register", "reinterpret_cast",
    "restrict", "return", "short", "signed", "sizeof", "sparc", "static",
    "static_cast", "struct", "switch", "template", "this", "throw", "true",
    "try", "typedef", "typeid", "typename", "typeof", "union", "unix",
    "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while",
    "xor", "xor_eq",
};

#define N_RESERVED (sizeof(reserved_names) / sizeof(reserved_names[0]))
/* The longest reserved name, "reinterpret_cast". */
#define RESERVED_MAX_LEN 16

static int cmp_reserved(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/*
 * C89, C99, C11, GCC and C++ keywords, and names polluted by compilers
 * and system headers (QEMU's list in scripts/qapi/common.py).
 *
 * Every member name is looked up: search only the names that start
 * with the same byte (a run in the sorted list), found through a table
 * made on first use.
 */
static bool is_reserved(const char *name, size_t len)
{
    static unsigned char first[128], count[128];
    static bool indexed;
    unsigned char c = (unsigned char)name[0];
    if (len > RESERVED_MAX_LEN || c >= 128) {
        return false;
    }
    if (!indexed) {
        for (size_t i = N_RESERVED; i-- > 0;) {
            unsigned char f = (unsigned char)reserved_names[i][0];
            first[f] = (unsigned char)i;
            count[f]++;
        }
        indexed = true;
    }
    return count[c] &&
           bsearch(name, reserved_names + first[c], count[c],
                   sizeof(reserved_names[0]), cmp_reserved) != NULL;
}

/* [A-Za-z0-9_] without the locale lookups of isalnum(). */
static bool is_ident_char(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 ||
           (unsigned char)(c - '0') < 10 || c == '_';
}

char *qmig_c_name(QmigArena *arena, const char *name, bool protect)
{
    size_t len = strlen(name);
    char *out = qmig_arena_alloc(arena, len + 3);
    char *p = out;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        *p++ = is_ident_char(c) ? (char)c : '_';
    }
    *p = '\0';
    if (protect && (is_reserved(out, len) || isdigit((unsigned char)out[0]))) {
        memmove(out + 2, out, len + 1);
        out[0] = 'q';
        out[1] = '_';
    }
    return out;
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_alnum(char c)
{
    return (unsigned char)c < 128 && isalnum((unsigned char)c);
}

char *qmig_camel_to_upper(QmigArena *arena, const char *name)
{
    size_t len = strlen(name);
    char *buf = qmig_arena_alloc(arena, len * 2 + 2);
    size_t n = 0;
    if (len == 0) {
        return buf;
    }
    buf[n++] = name[0];
    bool upc = is_upper(name[0]);
    for (size_t i = 1; i < len; i++) {
        char ch = name[i];
        if (is_upper(ch) != upc) {
            if (upc && n > 2 && is_alnum(buf[n - 2])) {
                /* ACRONYMWord: break before the last capital */
                buf[n] = buf[n - 1];
                buf[n - 1] = '_';
                n++;
            } else if (!upc && is_alnum(buf[n - 1])) {
                /* wordWord */
                buf[n++] = '_';
            }
        }
        upc = is_upper(ch);
        buf[n++] = ch;
    }
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        buf[i] = (char)toupper((unsigned char)buf[i]);
    }
    char *c = qmig_c_name(arena, buf, false);
    while (*c == '_') {
        c++;
    }
    return c;
}

char *qmig_c_enum_const(QmigArena *arena, const char *type, const char *value,
                        const char *prefix)
{
    const char *head = prefix ? prefix : qmig_camel_to_upper(arena, type);
    char *tail = qmig_c_name(arena, value, false);
    for (char *p = tail; *p; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    return qmig_arena_printf(arena, "%s_%s", head, tail);
}
