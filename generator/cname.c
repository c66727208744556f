/*
 * cname.c - QAPI names to C identifiers; see cname.h.
 */
#include "cname.h"

#include <ctype.h>
#include <string.h>

static const char *const reserved_names[] = {
    /* C89 */
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if", "int",
    "long", "register", "return", "short", "signed", "sizeof", "static",
    "struct", "switch", "typedef", "union", "unsigned", "void", "volatile",
    "while",
    /* C99 */
    "inline", "restrict", "_Bool", "_Complex", "_Imaginary",
    /* C11 */
    "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn",
    "_Static_assert", "_Thread_local",
    /* GCC */
    "asm", "typeof",
    /* C++ */
    "bool", "catch", "class", "const_cast", "delete", "dynamic_cast",
    "explicit", "false", "friend", "mutable", "namespace", "new", "operator",
    "private", "protected", "public", "reinterpret_cast", "static_cast",
    "template", "this", "throw", "true", "try", "typeid", "typename", "using",
    "virtual", "wchar_t", "and", "and_eq", "bitand", "bitor", "compl", "not",
    "not_eq", "or", "or_eq", "xor", "xor_eq",
    /* Names polluted by compilers and system headers */
    "unix", "errno", "mips", "sparc", "i386", "linux",
};

static bool is_reserved(const char *name)
{
    /*
     * Every reserved name is at most 16 characters long and starts with
     * a lower-case letter or '_': most names are rejected without a
     * single comparison.  This runs for every member of every type.
     */
    size_t len = strlen(name);
    if (len > 16 || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) {
        return false;
    }
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]);
         i++) {
        if (reserved_names[i][0] == name[0] &&
            !strcmp(reserved_names[i], name)) {
            return true;
        }
    }
    return false;
}

char *qmig_c_name(QmigArena *arena, const char *name, bool protect)
{
    size_t len = strlen(name);
    char *out = qmig_arena_alloc(arena, len + 3);
    char *p = out;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        *p++ = (c < 128 && (isalnum(c) || c == '_')) ? (char)c : '_';
    }
    *p = '\0';
    if (protect && (is_reserved(out) || isdigit((unsigned char)out[0]))) {
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
