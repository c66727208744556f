/*
 * json.c - configurations to and from JSON documents; see qmig/json.h.
 *
 * json-c does the lexing and parsing (strict mode, UTF-8 validated,
 * nesting limited to MAX_DEPTH); this file walks the tree and sets the
 * configuration through the typed setters of config.c, so that JSON and
 * C callers get the same checks.  Error messages start with the JSON
 * path of the offending member; type errors of parameter values then
 * give QEMU's text (qapi/qobject-input-visitor.c), so that qmig and
 * migrate-set-parameters reject a value with the same words.
 *
 * Integers: json-c holds every integer of [-2^63, 2^64-1] exactly (as
 * int64 or uint64), so uint64 values travel unchanged.  Known json-c
 * 0.16 behaviours (docs/qmig-validate.rst, "Known limitations"):
 * duplicate keys are accepted with the last value winning, integers
 * above 2^64-1 are clamped to 2^64-1 (below -2^63 to -2^63), single
 * quoted strings and raw control characters in strings are accepted.
 */
#include "internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- parsing ----------------------------------------------------------- */

/* The nesting limit of every parse: jansson's, which qmig used before. */
#define MAX_DEPTH 2048

static bool only_whitespace(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            return false;
        }
    }
    return true;
}

/*
 * Line and column of byte @off of @text, both from 1; the column counts
 * characters (UTF-8 continuation bytes do not start one).
 */
static void locate(const char *text, size_t off, size_t *line,
                   size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            ++*column;
        }
    }
}

/*
 * Our words for what json-c's parser found wrong, instead of its own
 * (json_tokener_error_desc(): "quoted object property name expected",
 * "invalid string sequence", "buffer size overflow"...), which speak of
 * the library, not of the document.
 */
static const char *syntax_error(enum json_tokener_error e)
{
    switch (e) {
    case json_tokener_error_depth:
        return "nested too deeply (more than 2048 levels of arrays and "
               "objects)";
    case json_tokener_error_parse_eof:
        return "unexpected end of input";
    case json_tokener_error_parse_unexpected:
        return "unexpected character";
    case json_tokener_error_parse_null:
    case json_tokener_error_parse_boolean:
        return "invalid literal (expected true, false or null)";
    case json_tokener_error_parse_number:
        return "invalid number";
    case json_tokener_error_parse_array:
        return "expected ',' or ']' after an array element";
    case json_tokener_error_parse_object_key_name:
        return "expected a member name (a string in double quotes)";
    case json_tokener_error_parse_object_key_sep:
        return "expected ':' after a member name";
    case json_tokener_error_parse_object_value_sep:
        return "expected ',' or '}' after a member value";
    case json_tokener_error_parse_string:
        return "invalid escape sequence in a string";
    case json_tokener_error_parse_comment:
        return "comments are not allowed";
    case json_tokener_error_parse_utf8_string:
        return "invalid UTF-8";
    default:
        return "invalid JSON text";
    }
}

/*
 * The offset of the first \u0000 escape inside a string of @text, or
 * @len: the place to point at when json-c decoded one into a string.
 */
static size_t find_nul_escape(const char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = text[i] == '"';
        } else if (text[i] == '"') {
            in_string = false;
        } else if (text[i] == '\\') {
            if (i + 5 < len && !memcmp(text + i + 1, "u0000", 5)) {
                return i;
            }
            i++; /* the escaped character */
        }
    }
    return len;
}

/*
 * json-c would stop at a NUL byte; find it first to say what is really
 * there.
 */
static bool reject_nul(const char *text, size_t len, QmigError **errp)
{
    const char *nul = memchr(text, '\0', len);
    if (!nul) {
        return true;
    }
    size_t line, column;
    locate(text, (size_t)(nul - text), &line, &column);
    qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: NUL byte "
                    "(JSON text cannot contain one)", line, column);
    return false;
}

/* The compact text of @v (NULL: JSON null), owned by @v. */
const char *qmig__json_compact(struct json_object *v)
{
    return json_object_to_json_string_ext(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static bool utf8_valid(const char *s);

static const char nul_in_string[] =
    "string contains a NUL character (\\u0000)";

/*
 * What json-c accepts but JSON or a C string cannot carry: NaN,
 * Infinity and numbers beyond the range of a double, strings with
 * U+0000 (the setters take C strings), and UTF-8 encoded surrogates,
 * which json-c's UTF-8 check lets through.  NULL when @v is fine; the
 * offending number's text in *text.
 *
 * json-c prints a parsed real number with the text it was parsed from,
 * which may be "1." (json-c reads it); every real gets json-c's default
 * printing ("%.17g", always with a '.' or an exponent) instead, so that
 * what qmig writes is JSON, and equal values give equal text.
 */
static const char *bad_value(struct json_object *v, const char **text)
{
    switch (json_object_get_type(v)) {
    case json_type_double:
        if (!isfinite(json_object_get_double(v))) {
            *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
            return "number out of range";
        }
        json_object_set_serializer(v, NULL, NULL, NULL);
        return NULL;
    case json_type_string:
        *text = NULL;
        if (strlen(json_object_get_string(v)) !=
            (size_t)json_object_get_string_len(v)) {
            return nul_in_string;
        }
        /* json-c's check lets UTF-8 encoded surrogates through. */
        return utf8_valid(json_object_get_string(v))
                   ? NULL
                   : "a string is not valid UTF-8";
    case json_type_array:
        for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
            const char *why = bad_value(json_object_array_get_idx(v, i), text);
            if (why) {
                return why;
            }
        }
        return NULL;
    case json_type_object: {
        json_object_object_foreach(v, key, value) {
            *text = NULL;
            if (!utf8_valid(key)) {
                return "a key is not valid UTF-8";
            }
            const char *why = bad_value(value, text);
            if (why) {
                return why;
            }
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

/*
 * Integers that fit neither int64 nor uint64.
 *
 * QEMU's JSON parser reads such an integer as a double
 * (qobject/json-parser.c), so an integer member given one is refused
 * ("Parameter 'max-bandwidth' expects uint64").  json-c 0.16 instead
 * clamps it to the nearest limit without an error, which would turn
 * 18446744073709551616 into a valid 18446744073709551615.  json-c does
 * leave strtoull()'s ERANGE in errno right after it converts the
 * number, which happens when the character after the number is fed.
 * So a text that may hold one (a run of 19 or more digits) is fed one
 * character at a time, each integer that overflowed is noted, and the
 * text is parsed again with ".0" after each, which makes it the double
 * QEMU would have read.  The test suite pins this json-c behaviour.
 */
#define MAX_OVERFLOWS 64

static bool may_overflow(const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        run = isdigit((unsigned char)text[i]) ? run + 1 : 0;
        if (run >= 19) {
            return true;
        }
    }
    return false;
}

/* Does the digit run ending before @end start an integer, not a real? */
static bool integer_ends_at(const char *text, size_t end)
{
    size_t i = end;
    while (i > 0 && isdigit((unsigned char)text[i - 1])) {
        i--;
    }
    if (i == end) {
        return false;
    }
    if (i > 0 && text[i - 1] == '-') {
        i--;
    }
    return i == 0 || !strchr(".eE+-", text[i - 1]);
}

/*
 * The offsets where an overflowing integer ends, in *@offsets (up to
 * MAX_OVERFLOWS).  Returns how many; 0 also when the text is not valid
 * JSON (the normal parse reports that); MAX_OVERFLOWS + 1 when there
 * are more than MAX_OVERFLOWS.
 */
static size_t find_overflows(const char *text, size_t len, size_t *offsets)
{
    struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    size_t n = 0;
    if (!tok) {
        return 0;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    for (size_t i = 0; i <= len; i++) {
        /* The final NUL completes a number at the very end. */
        const char *c = i < len ? text + i : "";
        errno = 0;
        struct json_object *v = json_tokener_parse_ex(tok, c, 1);
        int saved = errno;
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (saved == ERANGE && integer_ends_at(text, i)) {
            if (n == MAX_OVERFLOWS) {
                json_object_put(v);
                n++;
                break;
            }
            offsets[n++] = i;
        }
        if (v || e != json_tokener_continue) {
            json_object_put(v);
            break;
        }
    }
    json_tokener_free(tok);
    return n;
}

/* @text with ".0" inserted at each of the @n @offsets; free() it. */
static char *as_reals(const char *text, size_t len, const size_t *offsets,
                      size_t n, size_t *new_len)
{
    char *out = malloc(len + 2 * n + 1);
    size_t o = 0, from = 0;
    if (!out) {
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        memcpy(out + o, text + from, offsets[k] - from);
        o += offsets[k] - from;
        memcpy(out + o, ".0", 2);
        o += 2;
        from = offsets[k];
    }
    memcpy(out + o, text + from, len - from);
    o += len - from;
    out[o] = '\0';
    *new_len = o;
    return out;
}

static bool parse_text(const char *text, size_t len, struct json_object **out,
                       QmigError **errp);

bool qmig__json_parse(const char *text, size_t len, struct json_object **out,
                      QmigError **errp)
{
    size_t offsets[MAX_OVERFLOWS];
    size_t n = 0;
    if (text && len < INT_MAX - 2 * MAX_OVERFLOWS && may_overflow(text, len)) {
        n = find_overflows(text, len, offsets);
    }
    if (!n) {
        return parse_text(text, len, out, errp);
    }
    if (n > MAX_OVERFLOWS) {
        /* Never clamp one silently: refuse the document instead. */
        *out = NULL;
        qmig_error_setg(errp, "invalid JSON: more than %d integers beyond "
                        "the 64-bit ranges", MAX_OVERFLOWS);
        return false;
    }
    size_t real_len;
    char *real_text = as_reals(text, len, offsets, n, &real_len);
    if (!real_text) {
        *out = NULL;
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    bool ok = parse_text(real_text, real_len, out, errp);
    free(real_text);
    return ok;
}

static bool parse_text(const char *text, size_t len, struct json_object **out,
                       QmigError **errp)
{
    *out = NULL;
    if (!text) {
        if (len) {
            qmig_error_setg(errp, "no JSON text");
            return false;
        }
        text = "";
    }
    if (!reject_nul(text, len, errp)) {
        return false;
    }
    if (only_whitespace(text, len)) {
        qmig_error_setg(errp, "empty JSON document");
        return false;
    }
    if (len > INT_MAX - 1) {
        qmig_error_setg(errp, "JSON text too large (%zu bytes)", len);
        return false;
    }
    struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok) {
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                    JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (e == json_tokener_continue) {
        /* The text ended inside a value, or after a number, which only
         * a following character completes: a terminating NUL ends it. */
        root = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
        end = len;
    }
    if (e == json_tokener_success && !only_whitespace(text + end, len - end)) {
        /* Strict mode reports trailing text itself; this is a backstop. */
        json_object_put(root);
        root = NULL;
        e = json_tokener_error_parse_unexpected;
    }
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        size_t line, column;
        locate(text, end, &line, &column);
        unsigned char c = end < len ? (unsigned char)text[end] : 0;
        if (e == json_tokener_error_parse_unexpected && c > 0x20 &&
            c < 0x7f) {
            /* Name the character: "unexpected character '}'". */
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: "
                            "unexpected character '%c'", line, column, c);
        } else {
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: %s",
                            line, column, syntax_error(e));
        }
        return false;
    }
    const char *bad_text = NULL;
    const char *why = bad_value(root, &bad_text);
    size_t nul_at = why && !bad_text ? find_nul_escape(text, len) : len;
    if (why) {
        if (why == nul_in_string && nul_at < len) {
            size_t line, column;
            locate(text, nul_at, &line, &column);
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: %s",
                            line, column, why);
        } else if (bad_text) {
            qmig_error_setg(errp, "invalid JSON: '%s' is not a finite number",
                            bad_text);
        } else {
            qmig_error_setg(errp, "invalid JSON: %s", why);
        }
        json_object_put(root);
        return false;
    }
    *out = root;
    return true;
}

bool qmig_json_check(const char *text, size_t len, QmigError **errp)
{
    struct json_object *value;
    if (!qmig__json_parse(text, len, &value, errp)) {
        return false;
    }
    json_object_put(value);
    return true;
}

char *qmig__json_canonical(const char *text, QmigError **errp)
{
    struct json_object *value;
    if (!qmig__json_parse(text, strlen(text), &value, errp)) {
        return NULL;
    }
    /* Compact, in the original member order, so equal text = equal value. */
    char *s = strdup(qmig__json_compact(value));
    json_object_put(value);
    if (!s) {
        qmig_error_setg(errp, "out of memory");
    }
    return s;
}

/* --- decoding ---------------------------------------------------------- */

static const char *json_type_desc(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_object:
        return "object";
    case json_type_array:
        return "array";
    case json_type_string:
        return "string";
    case json_type_int:
        return "integer";
    case json_type_double:
        return "real number";
    case json_type_boolean:
        return "boolean";
    case json_type_null:
        return "null";
    }
    return "unknown";
}

static bool type_error(const char *expected, struct json_object *got,
                       QmigError **errp)
{
    qmig_error_setg(errp, "expected %s, got %s", expected,
                    json_type_desc(got));
    return false;
}

/* QEMU's QERR_INVALID_PARAMETER_TYPE, as its QMP input visitor says it. */
static bool qapi_type_error(const QmigParamDesc *desc, const char *expected,
                            QmigError **errp)
{
    qmig_error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                    desc->name, expected);
    return false;
}

/* QEMU's QERR_INVALID_PARAMETER_VALUE. */
static bool qapi_value_error(const QmigParamDesc *desc, const char *type,
                             QmigError **errp)
{
    qmig_error_setg(errp, "Parameter '%s' expects %s", desc->name, type);
    return false;
}

static bool is_string(struct json_object *v)
{
    return json_object_is_type(v, json_type_string);
}

static bool is_bool(struct json_object *v)
{
    return json_object_is_type(v, json_type_boolean);
}

/* A string member's value, NULL unless @v is a string. */
static const char *string_value(struct json_object *v)
{
    return is_string(v) ? json_object_get_string(v) : NULL;
}

/*
 * The exact value of a JSON integer: json-c keeps [-2^63, 2^63) as
 * int64 and [2^63, 2^64) as uint64.  True when negative (*neg set).
 */
static bool int_value(struct json_object *v, int64_t *neg, uint64_t *pos)
{
    int64_t i = json_object_get_int64(v);
    if (i < 0) {
        *neg = i;
        return true;
    }
    *pos = json_object_get_uint64(v);
    return false;
}

static bool decode_str_list(void *config, const QmigParamDesc *desc,
                            struct json_object *value, QmigError **errp)
{
    if (!json_object_is_type(value, json_type_array)) {
        return qapi_type_error(desc, "array", errp);
    }
    size_t n = json_object_array_length(value);
    QmigStrList list = {calloc(n ? n : 1, sizeof(char *)), 0};
    if (!list.items) {
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(value, i);
        if (!is_string(item)) {
            qmig_error_setg(errp, "[%zu]: Invalid parameter type for "
                            "'%s[%zu]', expected: string", i, desc->name, i);
            qmig__str_list_free(&list);
            return false;
        }
        list.items[i] = strdup(json_object_get_string(item));
        if (!list.items[i]) {
            qmig_error_setg(errp, "out of memory");
            qmig__str_list_free(&list);
            return false;
        }
        list.len = i + 1;
    }
    qmig__set_str_list(config, desc, &list);
    return true;
}

/* The name QEMU's visitor gives a narrower unsigned QAPI type. */
static const char *uint_type_name(const QmigParamDesc *desc)
{
    switch (desc->type_max) {
    case UINT8_MAX:
        return "uint8_t";
    case UINT16_MAX:
        return "uint16_t";
    case UINT32_MAX:
        return "uint32_t";
    }
    return "uint64";
}

static const char *int_type_name(const QmigParamDesc *desc)
{
    switch (desc->type_min) {
    case INT8_MIN:
        return "int8_t";
    case INT16_MIN:
        return "int16_t";
    case INT32_MIN:
        return "int32_t";
    }
    return "int64_t";
}

/*
 * As QEMU's qobject_input_type_uint64() and visit_type_uintN(): any
 * integer of [0, 2^64-1] exactly, and a negative one wrapped to
 * 2^64 + value ("Need to accept negative values for backward
 * compatibility"); then the QAPI type's range.  'size' members say
 * "uint64" too: the QMP visitor has no size method of its own.
 */
static bool decode_uint(void *config, const QmigParamDesc *desc,
                        struct json_object *value, QmigError **errp)
{
    if (!json_object_is_type(value, json_type_int)) {
        return qapi_value_error(desc, "uint64", errp);
    }
    int64_t neg;
    uint64_t u;
    if (int_value(value, &neg, &u)) {
        u = (uint64_t)neg; /* modulo 2^64, as QEMU's assignment */
    }
    if ((desc->type_min || desc->type_max) && u > desc->type_max) {
        return qapi_value_error(desc, uint_type_name(desc), errp);
    }
    return qmig__set_uint(config, desc, u, errp);
}

/* As qobject_input_type_int64() and visit_type_intN(). */
static bool decode_int(void *config, const QmigParamDesc *desc,
                       struct json_object *value, QmigError **errp)
{
    int64_t i;
    uint64_t u;
    if (!json_object_is_type(value, json_type_int)) {
        return qapi_type_error(desc, "integer", errp);
    }
    if (!int_value(value, &i, &u)) {
        if (u > INT64_MAX) {
            /* QEMU: a uint64 QNum, which qnum_get_try_int() refuses. */
            return qapi_type_error(desc, "integer", errp);
        }
        i = (int64_t)u;
    }
    if ((desc->type_min || desc->type_max) &&
        (i < desc->type_min || (i > 0 && (uint64_t)i > desc->type_max))) {
        return qapi_value_error(desc, int_type_name(desc), errp);
    }
    return qmig__set_int(config, desc, i, errp);
}

static bool decode_enum(void *config, const QmigParamDesc *desc,
                        struct json_object *value, QmigError **errp)
{
    if (!is_string(value)) {
        return qapi_type_error(desc, "string", errp);
    }
    const char *s = json_object_get_string(value);
    QmigError *err = NULL;
    if (!qmig__set_enum(config, desc, s, &err)) {
        /* Not a value of the enum: QEMU's visit_type_enum() text. */
        qmig_error_free(err);
        qmig_error_setg(errp, "Parameter '%s' does not accept value '%s'",
                        desc->name, s);
        return false;
    }
    return true;
}

/*
 * Decode one parameter value.  Errors carry only the part of the path
 * below the parameter ("[2]: ..." for list items, else nothing); the
 * caller prefixes "parameters.NAME".
 */
static bool decode_value(void *config, const QmigParamDesc *desc,
                         struct json_object *value, QmigError **errp)
{
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        if (!is_bool(value)) {
            return qapi_type_error(desc, "boolean", errp);
        }
        return qmig__set_bool(config, desc, json_object_get_boolean(value),
                              errp);
    case QMIG_VALUE_INT:
        return decode_int(config, desc, value, errp);
    case QMIG_VALUE_UINT:
        return decode_uint(config, desc, value, errp);
    case QMIG_VALUE_ENUM:
        return decode_enum(config, desc, value, errp);
    case QMIG_VALUE_STR:
        if (!is_string(value)) {
            return qapi_type_error(desc, "string", errp);
        }
        return qmig__set_str(config, desc, json_object_get_string(value),
                             errp);
    case QMIG_VALUE_STR_OR_NULL:
        if (!is_string(value) && value) {
            return type_error("string or null", value, errp);
        }
        return qmig__set_str(config, desc, string_value(value), errp);
    case QMIG_VALUE_STR_LIST:
        return decode_str_list(config, desc, value, errp);
    case QMIG_VALUE_JSON: {
        if (desc->value_check == QMIG_VALUE_CHECK_BITMAP_ALIAS_MAP &&
            !qmig__check_block_bitmap_mapping(desc->name, value, errp)) {
            return false;
        }
        char *text = strdup(qmig__json_compact(value));
        if (!text) {
            qmig_error_setg(errp, "out of memory");
            return false;
        }
        qmig__set_json_owned(config, desc, text);
        return true;
    }
    }
    qmig_error_setg(errp, "parameter of unknown type %d", (int)desc->type);
    return false;
}

/* Where refused parameter values go; NULL fn: they are errors. */
typedef struct Refusal {
    QmigRefusedParamFn *fn;
    void *opaque;
} Refusal;

/* QEMU's text of a value error: without the "[N]: " of list items. */
static const char *qemu_text(const char *message)
{
    if (*message == '[') {
        const char *end = strstr(message, "]: ");
        if (end) {
            return end + 3;
        }
    }
    return message;
}

static bool decode_parameters(void *config, struct json_object *params,
                              const Refusal *refusal, QmigError **errp)
{
    const QmigSchemaDesc *schema = ((QmigConfigHeader *)config)->schema;
    if (!json_object_is_type(params, json_type_object)) {
        type_error("object", params, errp);
        qmig_error_prepend(errp, "parameters: ");
        return false;
    }
    json_object_object_foreach(params, key, value) {
        int i = qmig_schema_find_param(schema, key);
        if (i < 0) {
            qmig_error_setg(errp, "parameters.%s: unknown parameter", key);
            return false;
        }
        QmigError *err = NULL;
        if (!decode_value(config, &schema->params[i], value, &err) &&
            refusal && refusal->fn) {
            refusal->fn(refusal->opaque, (unsigned)i,
                        qemu_text(qmig_error_message(err)));
            qmig_error_free(err);
        } else if (err) {
            /* List item errors already start with "[N]". */
            bool item = *qmig_error_message(err) == '[';
            qmig_error_prepend(&err, item ? "parameters.%s" : "parameters.%s: ",
                               key);
            qmig_error_propagate(errp, err);
            return false;
        }
    }
    return true;
}

static bool set_cap(void *config, const char *name, bool state,
                    QmigError **errp)
{
    QmigConfigHeader *header = config;
    int i = qmig_schema_find_cap(header->schema, name);
    if (i < 0) {
        qmig_error_setg(errp, "unknown capability '%s'", name);
        return false;
    }
    if (state) {
        qmig_capset_add(&header->caps, (unsigned)i);
    } else {
        qmig_capset_remove(&header->caps, (unsigned)i);
    }
    return true;
}

/* One { "capability": NAME, "state": BOOL } of the list form. */
static bool decode_cap_entry(void *config, struct json_object *entry,
                             size_t i, QmigError **errp)
{
    if (!json_object_is_type(entry, json_type_object)) {
        type_error("object", entry, errp);
        qmig_error_prepend(errp, "capabilities[%zu]: ", i);
        return false;
    }
    json_object_object_foreach(entry, key, value) {
        (void)value;
        if (strcmp(key, "capability") != 0 && strcmp(key, "state") != 0) {
            qmig_error_setg(errp,
                            "capabilities[%zu]: unknown member '%s' "
                            "(expected 'capability' and 'state')",
                            i, key);
            return false;
        }
    }
    struct json_object *name, *state;
    bool has_name = json_object_object_get_ex(entry, "capability", &name);
    bool has_state = json_object_object_get_ex(entry, "state", &state);
    if (!has_name || !has_state) {
        qmig_error_setg(errp, "capabilities[%zu]: missing member '%s'", i,
                        has_name ? "state" : "capability");
        return false;
    }
    if (!is_string(name)) {
        type_error("string", name, errp);
        qmig_error_prepend(errp, "capabilities[%zu].capability: ", i);
        return false;
    }
    if (!is_bool(state)) {
        type_error("boolean", state, errp);
        qmig_error_prepend(errp, "capabilities[%zu].state: ", i);
        return false;
    }
    if (!set_cap(config, json_object_get_string(name),
                 json_object_get_boolean(state), errp)) {
        qmig_error_prepend(errp, "capabilities[%zu].capability: ", i);
        return false;
    }
    return true;
}

static bool decode_capabilities(void *config, struct json_object *caps,
                                QmigError **errp)
{
    if (json_object_is_type(caps, json_type_array)) {
        for (size_t i = 0, n = json_object_array_length(caps); i < n; i++) {
            if (!decode_cap_entry(config, json_object_array_get_idx(caps, i),
                                  i, errp)) {
                return false;
            }
        }
        return true;
    }
    if (json_object_is_type(caps, json_type_object)) {
        json_object_object_foreach(caps, key, state) {
            if (!is_bool(state)) {
                type_error("boolean", state, errp);
                qmig_error_prepend(errp, "capabilities.%s: ", key);
                return false;
            }
            if (!set_cap(config, key, json_object_get_boolean(state), errp)) {
                qmig_error_prepend(errp, "capabilities.%s: ", key);
                return false;
            }
        }
        return true;
    }
    type_error("array or object", caps, errp);
    qmig_error_prepend(errp, "capabilities: ");
    return false;
}

static bool decode_transport(void *config, struct json_object *value,
                             QmigError **errp)
{
    QmigConfigHeader *header = config;
    if (!is_string(value)) {
        type_error("string", value, errp);
        qmig_error_prepend(errp, "transport: ");
        return false;
    }
    const char *s = json_object_get_string(value);
    if (!qmig_transport_parse(s, &header->transport)) {
        qmig_error_setg(errp,
                        "transport: unknown transport '%s' (expected one of: "
                        "tcp, unix, vsock, fd, exec, rdma, file)",
                        s);
        return false;
    }
    header->has_transport = true;
    return true;
}

static bool has_main_channel(const QmigSchemaDesc *schema, uint32_t seen)
{
    for (unsigned k = 0; k < schema->n_channels && k < 32; k++) {
        if ((seen & (UINT32_C(1) << k)) &&
            !strcmp(schema->channels[k].name, "main")) {
            return true;
        }
    }
    return false;
}

/* "migrate-channels": the channel types of migrate's 'channels'. */
static bool decode_migrate_channels(void *config, struct json_object *value,
                                    QmigError **errp)
{
    QmigConfigHeader *header = config;
    const QmigSchemaDesc *schema = header->schema;
    if (!json_object_is_type(value, json_type_array)) {
        type_error("array", value, errp);
        qmig_error_prepend(errp, "migrate-channels: ");
        return false;
    }
    uint32_t seen = 0;
    size_t n = json_object_array_length(value);
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(value, i);
        if (!is_string(item)) {
            type_error("string", item, errp);
            qmig_error_prepend(errp, "migrate-channels[%zu]: ", i);
            return false;
        }
        const char *name = json_object_get_string(item);
        unsigned k;
        for (k = 0; k < schema->n_channels && k < 32; k++) {
            if (schema->channels[k].migrate_type &&
                !strcmp(schema->channels[k].name, name)) {
                break;
            }
        }
        if (k == schema->n_channels || k == 32) {
            qmig_error_setg(errp, "migrate-channels[%zu]: unknown channel "
                            "type '%s'", i, name);
            return false;
        }
        if (seen & (UINT32_C(1) << k)) {
            /* QEMU: "Channel list has more than one %s entry" */
            qmig_error_setg(errp, "migrate-channels[%zu]: more than one '%s' "
                            "channel", i, name);
            return false;
        }
        seen |= UINT32_C(1) << k;
    }
    if (!has_main_channel(schema, seen)) {
        /* QEMU: "Channel list has no main entry" */
        qmig_error_setg(errp, "migrate-channels: no 'main' channel");
        return false;
    }
    header->has_migrate_channels = true;
    header->migrate_channels = seen;
    return true;
}

static bool decode_side(void *config, struct json_object *value,
                        QmigError **errp)
{
    QmigConfigHeader *header = config;
    QmigSide side;
    if (!is_string(value)) {
        type_error("string", value, errp);
        qmig_error_prepend(errp, "side: ");
        return false;
    }
    const char *s = json_object_get_string(value);
    /* A configuration is for one side: "both" and "match" are not sides. */
    if (!qmig_side_parse(s, &side) ||
        (side != QMIG_SIDE_SOURCE && side != QMIG_SIDE_DESTINATION)) {
        qmig_error_setg(errp,
                        "side: unknown side '%s' (expected 'source' or "
                        "'destination')",
                        s);
        return false;
    }
    header->side = side;
    header->has_side = true;
    return true;
}

static bool config_from_value(void *config, struct json_object *root,
                              const Refusal *refusal, QmigError **errp);

static bool config_from_json(void *config, const char *text, size_t len,
                             const Refusal *refusal, QmigError **errp)
{
    if (!config || !((QmigConfigHeader *)config)->schema) {
        qmig_error_setg(errp, "configuration not initialised");
        return false;
    }
    struct json_object *root;
    if (!qmig__json_parse(text, len, &root, errp)) {
        return false;
    }
    bool ok = config_from_value(config, root, refusal, errp);
    json_object_put(root);
    return ok;
}

bool qmig_config_from_json(void *config, const char *text, size_t len,
                           QmigError **errp)
{
    return config_from_json(config, text, len, NULL, errp);
}

bool qmig_config_from_json_refusing(void *config, const char *text,
                                    size_t len, QmigRefusedParamFn *refused,
                                    void *opaque, QmigError **errp)
{
    Refusal refusal = {refused, opaque};
    return config_from_json(config, text, len, &refusal, errp);
}

bool qmig__config_from_value(void *config, struct json_object *root,
                             QmigError **errp)
{
    return config_from_value(config, root, NULL, errp);
}

static bool config_from_value(void *config, struct json_object *root,
                              const Refusal *refusal, QmigError **errp)
{
    if (!json_object_is_type(root, json_type_object)) {
        qmig_error_setg(errp, "expected a JSON object, got %s",
                        json_type_desc(root));
        return false;
    }
    bool ok = true;
    /* Members in document order, so the first error is the first one. */
    json_object_object_foreach(root, key, value) {
        if (strcmp(key, "capabilities") == 0) {
            ok = decode_capabilities(config, value, errp);
        } else if (strcmp(key, "parameters") == 0) {
            ok = decode_parameters(config, value, refusal, errp);
        } else if (strcmp(key, "transport") == 0) {
            ok = decode_transport(config, value, errp);
        } else if (strcmp(key, "side") == 0) {
            ok = decode_side(config, value, errp);
        } else if (strcmp(key, "migrate-channels") == 0) {
            ok = decode_migrate_channels(config, value, errp);
        } else {
            qmig_error_setg(errp,
                            "unknown top-level key '%s' (expected "
                            "capabilities, parameters, transport, side or "
                            "migrate-channels)",
                            key);
            ok = false;
        }
        if (!ok) {
            break;
        }
    }
    return ok;
}

/* --- encoding ---------------------------------------------------------- */

/*
 * json-c's object_add and array_add take the value only when they
 * succeed, and a NULL value would be JSON null: these helpers free the
 * value on failure and fail on NULL (a value whose allocation failed),
 * so that each addition is one test and never leaks.
 */
bool qmig__json_add(struct json_object *obj, const char *key,
                    struct json_object *v)
{
    if (!obj || !v || json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

bool qmig__json_append(struct json_object *array, struct json_object *v)
{
    if (!array || !v || json_object_array_add(array, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

/*
 * Whether @s is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF): json-c writes strings as they are, and
 * what qmig writes must be JSON any parser reads.
 */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        unsigned n;
        uint32_t cp;
        if (c < 0x80) {
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned k = 0; k < n; k++, p++) {
            if ((*p & 0xc0) != 0x80) {
                return false;
            }
            cp = cp << 6 | (*p & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
    }
    return true;
}

/* A JSON string of @s; NULL when @s is not UTF-8 or out of memory. */
static struct json_object *utf8_string(const char *s)
{
    return utf8_valid(s) ? json_object_new_string(s) : NULL;
}

static struct json_object *encode_capabilities(const void *config)
{
    const QmigConfigHeader *header = config;
    const QmigSchemaDesc *schema = header->schema;
    struct json_object *list = json_object_new_array();
    for (unsigned i = 0; list && schema->caps && i < schema->n_caps; i++) {
        struct json_object *entry = json_object_new_object();
        if (!qmig__json_add(entry, "capability",
                            json_object_new_string(schema->caps[i].name)) ||
            !qmig__json_add(entry, "state",
                            json_object_new_boolean(
                                qmig_capset_has(&header->caps, i))) ||
            !qmig__json_append(list, entry)) {
            json_object_put(entry);
            json_object_put(list);
            return NULL;
        }
    }
    return list;
}

static struct json_object *encode_str_list(const QmigStrList *list,
                                           QmigError **errp)
{
    struct json_object *array = json_object_new_array();
    for (size_t i = 0; array && list && i < list->len; i++) {
        if (!list->items || !list->items[i] || !utf8_valid(list->items[i])) {
            qmig_error_setg(errp, "[%zu]: not a valid UTF-8 string", i);
            json_object_put(array);
            return NULL;
        }
        if (!qmig__json_append(array,
                               json_object_new_string(list->items[i]))) {
            json_object_put(array);
            array = NULL;
        }
    }
    if (!array) {
        qmig_error_setg(errp, "out of memory");
    }
    return array;
}

/*
 * The effective value of parameter @i as JSON in *out (NULL is JSON
 * null, which only a JSON parameter may hold); false with an error.
 */
static bool encode_value(const void *config, unsigned i,
                         struct json_object **out, QmigError **errp)
{
    const QmigParamDesc *desc = qmig__param(config, i);
    struct json_object *v = NULL;
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        v = json_object_new_boolean(qmig_config_effective_bool(config, i));
        break;
    case QMIG_VALUE_INT:
        v = json_object_new_int64(qmig_config_effective_int(config, i));
        break;
    case QMIG_VALUE_UINT:
        /* Exact over [0, 2^64-1]: json-c has an unsigned integer. */
        v = json_object_new_uint64(qmig_config_effective_uint(config, i));
        break;
    case QMIG_VALUE_ENUM: {
        const char *name = qmig_config_get_enum(config, i);
        if (!name) {
            qmig_error_setg(errp, "invalid enum value %d",
                            qmig_config_effective_enum(config, i));
            return false;
        }
        v = json_object_new_string(name);
        break;
    }
    case QMIG_VALUE_STR:
    case QMIG_VALUE_STR_OR_NULL: {
        const char *s = qmig__effective_str(config, desc);
        if (!utf8_valid(s ? s : "")) {
            qmig_error_setg(errp, "not a valid UTF-8 string");
            return false;
        }
        v = utf8_string(s ? s : "");
        break;
    }
    case QMIG_VALUE_STR_LIST:
        *out = encode_str_list(*qmig__present_ptr(config, desc)
                                   ? qmig__value_ptr(config, desc)
                                   : NULL,
                               errp);
        return *out != NULL;
    case QMIG_VALUE_JSON: {
        const char *s = qmig__effective_str(config, desc);
        QmigError *err = NULL;
        if (!qmig__json_parse(s ? s : "null", strlen(s ? s : "null"), out,
                              &err)) {
            qmig_error_setg(errp, "stored value is not valid JSON: %s",
                            qmig_error_message(err));
            qmig_error_free(err);
            return false;
        }
        return true;
    }
    }
    if (!v) {
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    *out = v;
    return true;
}

static struct json_object *encode_parameters(const void *config,
                                             bool with_defaults,
                                             QmigError **errp)
{
    const QmigSchemaDesc *schema = ((const QmigConfigHeader *)config)->schema;
    struct json_object *params = json_object_new_object();
    if (!params) {
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; schema->params && i < schema->n_params; i++) {
        const QmigParamDesc *desc = &schema->params[i];
        bool present = *qmig__present_ptr(config, desc);
        if (!present && !(with_defaults && desc->has_default)) {
            continue;
        }
        QmigError *err = NULL;
        struct json_object *v;
        if (!encode_value(config, i, &v, &err)) {
            bool item = *qmig_error_message(err) == '[';
            qmig_error_prepend(&err, item ? "parameters.%s" : "parameters.%s: ",
                               desc->name);
            qmig_error_propagate(errp, err);
            json_object_put(params);
            return NULL;
        }
        /* v may be NULL: a JSON parameter holding null. */
        if (json_object_object_add(params, desc->name, v) != 0) {
            json_object_put(v);
            qmig_error_setg(errp, "out of memory");
            json_object_put(params);
            return NULL;
        }
    }
    return params;
}

/*
 * Append @v to @pb in the one-line layout the API's texts have always
 * had (jansson's default): ": " after keys, ", " between members and
 * items, nothing inside brackets.  Scalars are json-c's own text.
 */
static bool layout(struct printbuf *pb, struct json_object *v)
{
    bool ok = true;
    bool first = true;
    switch (json_object_get_type(v)) {
    case json_type_object:
        ok = printbuf_strappend(pb, "{") >= 0;
        json_object_object_foreach(v, key, value) {
            struct json_object *k = json_object_new_string(key);
            const char *kt = k ? qmig__json_compact(k) : NULL;
            ok = ok && kt && (first || printbuf_strappend(pb, ", ") >= 0) &&
                 printbuf_memappend(pb, kt, (int)strlen(kt)) >= 0 &&
                 printbuf_strappend(pb, ": ") >= 0 && layout(pb, value);
            json_object_put(k);
            first = false;
        }
        return ok && printbuf_strappend(pb, "}") >= 0;
    case json_type_array:
        ok = printbuf_strappend(pb, "[") >= 0;
        for (size_t i = 0, n = json_object_array_length(v); ok && i < n; i++) {
            ok = (i == 0 || printbuf_strappend(pb, ", ") >= 0) &&
                 layout(pb, json_object_array_get_idx(v, i));
        }
        return ok && printbuf_strappend(pb, "]") >= 0;
    default: {
        const char *t = qmig__json_compact(v);
        return t && printbuf_memappend(pb, t, (int)strlen(t)) >= 0;
    }
    }
}

/* Dump @root (consumed) as the caller-owned text of the API. */
static char *dump(struct json_object *root, QmigError **errp)
{
    struct printbuf *pb = printbuf_new();
    char *s = pb && layout(pb, root) ? strdup(pb->buf) : NULL;
    printbuf_free(pb);
    json_object_put(root);
    if (!s) {
        qmig_error_setg(errp, "out of memory");
    }
    return s;
}

char *qmig_config_to_json(const void *config, bool with_defaults,
                          QmigError **errp)
{
    struct json_object *root =
        qmig__config_to_value(config, with_defaults, errp);
    return root ? dump(root, errp) : NULL;
}

/* The channel types of "migrate-channels", in schema order. */
static struct json_object *
encode_migrate_channels(const QmigConfigHeader *header)
{
    struct json_object *list = json_object_new_array();
    for (unsigned k = 0; list && k < header->schema->n_channels && k < 32;
         k++) {
        if ((header->migrate_channels & (UINT32_C(1) << k)) &&
            !qmig__json_append(list, json_object_new_string(
                                         header->schema->channels[k].name))) {
            json_object_put(list);
            return NULL;
        }
    }
    return list;
}

struct json_object *qmig__config_to_value(const void *config,
                                          bool with_defaults, QmigError **errp)
{
    const QmigConfigHeader *header = config;
    if (!header || !header->schema) {
        qmig_error_setg(errp, "configuration not initialised");
        return NULL;
    }
    const char *transport =
        header->has_transport ? qmig_transport_name(header->transport) : NULL;
    if (header->has_transport && !transport) {
        qmig_error_setg(errp, "transport: invalid value %d",
                        (int)header->transport);
        return NULL;
    }
    const char *side = header->has_side ? qmig_side_name(header->side) : NULL;
    if (header->has_side && header->side != QMIG_SIDE_SOURCE &&
        header->side != QMIG_SIDE_DESTINATION) {
        qmig_error_setg(errp, "side: invalid value %d", (int)header->side);
        return NULL;
    }
    struct json_object *params =
        encode_parameters(config, with_defaults, errp);
    if (!params) {
        return NULL;
    }
    struct json_object *root = json_object_new_object();
    /* Capabilities first: they come first in the document. */
    if (!qmig__json_add(root, "capabilities", encode_capabilities(config))) {
        json_object_put(params);
        json_object_put(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    if (!qmig__json_add(root, "parameters", params) ||
        (transport && !qmig__json_add(root, "transport",
                                      json_object_new_string(transport))) ||
        (side &&
         !qmig__json_add(root, "side", json_object_new_string(side))) ||
        (header->has_migrate_channels &&
         !qmig__json_add(root, "migrate-channels",
                         encode_migrate_channels(header)))) {
        json_object_put(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    return root;
}

static struct json_object *encode_violation(const QmigRuleDesc *rule)
{
    struct json_object *entry = json_object_new_object();
    struct json_object *names = json_object_new_array();
    for (unsigned i = 0; names && rule->names && i < rule->n_names; i++) {
        if (!qmig__json_append(names,
                               json_object_new_string(rule->names[i]))) {
            json_object_put(names);
            names = NULL;
        }
    }
    if (!qmig__json_add(entry, "rule",
                        json_object_new_string(rule->id ? rule->id : "")) ||
        !qmig__json_add(entry, "names", names) ||
        !qmig__json_add(entry, "message",
                        json_object_new_string(rule->message ? rule->message
                                                             : ""))) {
        json_object_put(entry);
        return NULL;
    }
    return entry;
}

char *qmig_violations_to_json(const QmigViolations *violations,
                              QmigError **errp)
{
    if (!violations) {
        qmig_error_setg(errp, "no violations given");
        return NULL;
    }
    unsigned count = violations->count < QMIG_VIOLATIONS_MAX
                         ? violations->count
                         : QMIG_VIOLATIONS_MAX;
    struct json_object *root = json_object_new_object();
    struct json_object *list = json_object_new_array();
    for (unsigned i = 0; list && i < count; i++) {
        if (!violations->items[i]) {
            continue; /* a slot the caller never filled */
        }
        if (!qmig__json_append(list,
                               encode_violation(violations->items[i]))) {
            json_object_put(list);
            list = NULL;
        }
    }
    if (!qmig__json_add(root, "valid", json_object_new_boolean(count == 0))) {
        json_object_put(list); /* not handed over yet */
        json_object_put(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    if (!qmig__json_add(root, "violations", list)) {
        json_object_put(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    return dump(root, errp);
}
