/*
 * handshake.c - the sans-IO handshake engine; see qmig/handshake.h and
 * docs/handshake-protocol.rst.
 *
 * Messages are JSON objects (json-c) in frames (frame.c).  Everything
 * the peer sends is checked for type and bounds before use; problems
 * with the peer's configuration become reasons (all of them are
 * collected), problems with the protocol itself end the handshake.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on what the peer may send, beyond the frame size. */
#define MAX_VERSIONS 64
#define MAX_FEATURES 4096
#define MAX_DEVICES 65536
#define MAX_REASONS 1024
#define MAX_STRING 256
/* A device entry: four numbers and their spaces, then a section id. */
#define MAX_DEVICE_STRING (4 * 11 + MAX_STRING)
#define MAX_PLAN 1024

typedef struct Buf {
    uint8_t *data;
    size_t len, off; /* valid bytes are data[off, len) */
    size_t cap;
} Buf;

struct QmigHs {
    QmigHsOptions opts;
    const void *local;
    const QmigSchemaDesc *schema;
    unsigned min_version, max_version;
    QmigHsState state;
    unsigned version;
    uint8_t session[16];
    Buf in, out;
    char **reasons;
    size_t n_reasons;
    char **channels;
    size_t n_channels;
    void *agreed;
    bool agreed_ok; /* agreed holds a configuration to clear */
    bool done_agreed;
    uint64_t digest;
    unsigned sent, received; /* handshake frames, both directions */
    uint64_t oneway_digest;  /* loader: the digest the header carries */
    /*
     * Message trees freed with the engine, not when they are done with:
     * freeing a HELLO of a thousand device sections takes longer than
     * sending it, and the peer (or the migration) is waiting.  There are
     * at most three (HELLO, ACCEPT and CONFIRM on one side).
     */
    struct json_object *graveyard;
    /* The local and the agreed configuration as qmig_config_to_json()
     * documents, computed once: every step reads them. */
    struct json_object *local_doc, *agreed_doc;
    /* Source: what HELLO offered, by position in schema->features. */
    struct json_object *offered; /* object: id string -> value */
    struct json_object *offered_versions;
    /* true and false, for values the engine answers itself (json-c has
     * no shared constants; JSON null is NULL). */
    struct json_object *yes, *no;
};

/* --- buffers ----------------------------------------------------------- */

static bool buf_append(Buf *b, const void *data, size_t len)
{
    if (b->off && b->off == b->len) {
        b->off = b->len = 0;
    }
    if (len > b->cap - b->len) {
        if (b->off) {
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (len > b->cap - b->len) {
            size_t cap = b->cap ? b->cap : 256;
            while (cap - b->len < len) {
                cap *= 2;
            }
            uint8_t *p = realloc(b->data, cap);
            if (!p) {
                return false;
            }
            b->data = p;
            b->cap = cap;
        }
    }
    if (len) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    return true;
}

/* --- reasons and failure ----------------------------------------------- */

static void add_reason(QmigHs *hs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_reason(QmigHs *hs, const char *fmt, ...)
{
    if (hs->n_reasons >= MAX_REASONS) {
        return;
    }
    char **r = realloc(hs->reasons, (hs->n_reasons + 1) * sizeof(char *));
    if (!r) {
        return;
    }
    hs->reasons = r;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    va_end(ap);
    /* Reasons quote the peer's text (machine types, device sections,
     * feature names, a REJECT's reasons...): whoever prints them (this
     * library's users, QEMU's error messages) must never print a
     * peer's control characters raw. */
    char *safe = s ? qmig_escape_text(s) : NULL;
    free(s);
    if (safe) {
        hs->reasons[hs->n_reasons++] = safe;
    }
}

/* The error of a failed handshake: every reason. */
static void set_failure_error(const QmigHs *hs, QmigError **errp)
{
    size_t size = 1;
    for (size_t i = 0; i < hs->n_reasons; i++) {
        size += strlen(hs->reasons[i]) + 2;
    }
    char *all = malloc(size);
    if (!all) {
        qmig_error_setg(errp, "handshake failed");
        return;
    }
    all[0] = '\0';
    for (size_t i = 0; i < hs->n_reasons; i++) {
        if (i) {
            strcat(all, "; ");
        }
        strcat(all, hs->reasons[i]);
    }
    qmig_error_setg(errp, "handshake failed: %s",
                    hs->n_reasons ? all : "unknown reason");
    free(all);
}

/* Free @v (consumed) with the engine: see QmigHs.graveyard. */
static void bury(QmigHs *hs, struct json_object *v)
{
    if (!hs->graveyard) {
        hs->graveyard = json_object_new_array();
    }
    /* Without room in the graveyard, @v is freed at once. */
    if (v) {
        qmig__json_append(hs->graveyard, v);
    }
}

static void dig_out(QmigHs *hs)
{
    json_object_put(hs->graveyard);
    hs->graveyard = NULL;
}

/* The engine's true or false (borrowed); NULL if out of memory. */
static struct json_object *boolean(QmigHs *hs, bool value)
{
    struct json_object **p = value ? &hs->yes : &hs->no;
    if (!*p) {
        *p = json_object_new_boolean(value);
    }
    return *p;
}

static bool is_true(struct json_object *v)
{
    return json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

static bool is_false(struct json_object *v)
{
    return json_object_is_type(v, json_type_boolean) &&
           !json_object_get_boolean(v);
}

static bool is_array(struct json_object *v)
{
    return json_object_is_type(v, json_type_array);
}

static bool is_object(struct json_object *v)
{
    return json_object_is_type(v, json_type_object);
}

/* The length of @v, 0 unless it is an array. */
static size_t array_length(struct json_object *v)
{
    return is_array(v) ? json_object_array_length(v) : 0;
}

/* Member @key of @obj (NULL: absent, or @obj not an object, or null). */
static struct json_object *member(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (is_object(obj)) {
        json_object_object_get_ex(obj, key, &v);
    }
    return v;
}

/* Whether @obj has member @key; its value (NULL for null) in *out. */
static bool has_member(struct json_object *obj, const char *key,
                       struct json_object **out)
{
    *out = NULL;
    return is_object(obj) && json_object_object_get_ex(obj, key, out);
}

/* A peer's message: any JSON text of the frame, NULL if malformed. */
static struct json_object *parse_msg(const QmigHsFrame *fr)
{
    struct json_object *msg = NULL;
    if (!qmig__json_parse((const char *)fr->payload, fr->length, &msg,
                          NULL)) {
        return NULL;
    }
    return msg;
}

/* Add an integer member to @obj (the engine checks the result later). */
static bool add_int(struct json_object *obj, const char *key, int64_t v)
{
    return qmig__json_add(obj, key, json_object_new_int64(v));
}

static bool add_str(struct json_object *obj, const char *key, const char *v)
{
    return qmig__json_add(obj, key, json_object_new_string(v));
}

/* Move the unsent bytes to the front, so that offsets stay put. */
static void buf_compact(Buf *b)
{
    if (b->off) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
}

/*
 * Queue a message (consuming @msg, which NULL means could not be
 * built); on failure to encode, the handshake fails.  json-c prints the
 * text into a buffer of @msg, copied once behind the frame header.
 * json-c keeps object members in insertion order, so the text is
 * deterministic without sorting keys.
 */
static bool send_msg(QmigHs *hs, unsigned version, unsigned type,
                     struct json_object *msg)
{
    uint8_t header[QMIG_HS_FRAME_HEADER_SIZE];
    buf_compact(&hs->out);
    size_t start = hs->out.len;
    size_t len = 0;
    const char *text =
        msg ? json_object_to_json_string_length(
                  msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                  &len)
            : NULL;
    bool too_big = text && len > QMIG_HS_FRAME_MAX;
    bool ok = text && !too_big;
    if (ok) {
        qmig__hs_frame_header(header, (uint16_t)version, (uint16_t)type,
                              (uint32_t)len);
        ok = buf_append(&hs->out, header, sizeof(header)) &&
             buf_append(&hs->out, text, len);
    }
    bury(hs, msg);
    if (!ok) {
        hs->out.len = start;
        if (too_big) {
            add_reason(hs, "the %s message exceeds the frame maximum of %u "
                           "bytes (too many device sections?)",
                       qmig_hs_message_name(type), QMIG_HS_FRAME_MAX);
        } else {
            add_reason(hs, "cannot encode the %s message",
                       qmig_hs_message_name(type));
        }
        hs->state = QMIG_HS_FAILED;
        return false;
    }
    hs->sent++;
    return true;
}

static struct json_object *reasons_json(const QmigHs *hs)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < hs->n_reasons; i++) {
        /* Reasons quote the peer's strings: keep them valid JSON text. */
        qmig__json_append(arr, json_object_new_string(hs->reasons[i]));
    }
    return arr;
}

/* Fail, telling the peer with @type (REJECT or ABORT) when nonzero. */
static void fail(QmigHs *hs, unsigned type)
{
    if (type && hs->state == QMIG_HS_WAITING) {
        struct json_object *msg = json_object_new_object();
        if (!qmig__json_add(msg, "reasons", reasons_json(hs))) {
            json_object_put(msg);
            msg = NULL;
        }
        send_msg(hs, hs->version ? hs->version : hs->min_version, type, msg);
    }
    hs->state = QMIG_HS_FAILED;
}

/* --- small codecs -------------------------------------------------------- */

static void hex_encode(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Exactly 2 * @n lowercase hex digits. */
static bool hex_decode(const char *s, uint8_t *out, size_t n)
{
    if (!s || strlen(s) != 2 * n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* A JSON integer in [0, max]. */
static bool get_uint(struct json_object *v, uint64_t max, uint64_t *out)
{
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0 || json_object_get_uint64(v) > max) {
        return false;
    }
    *out = json_object_get_uint64(v);
    return true;
}

/* A string without NUL of at most @max bytes, or NULL. */
static const char *get_string_max(struct json_object *v, size_t max)
{
    if (!json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    return strlen(s) == len && len <= max ? s : NULL;
}

static const char *get_string(struct json_object *v)
{
    return get_string_max(v, MAX_STRING);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* --- configurations as JSON -------------------------------------------- */

static struct json_object *config_doc(const void *config)
{
    return qmig__config_to_value(config, false, NULL);
}

/* The local configuration's document, borrowed; NULL when it fails. */
static struct json_object *local_doc(QmigHs *hs)
{
    if (!hs->local_doc) {
        hs->local_doc = config_doc(hs->local);
    }
    return hs->local_doc;
}

/* A string member's value, NULL unless @v is a string. */
static const char *string_value(struct json_object *v)
{
    return json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/*
 * The value of feature @f in @doc (a qmig_config_to_json() document):
 * a capability's state, or a present parameter's value (NULL when
 * absent, or null, which the handshake treats alike).  Borrowed from
 * @doc, or the engine's false.
 */
static struct json_object *doc_feature_value(QmigHs *hs,
                                             struct json_object *doc,
                                             const QmigHandshakeFeature *f)
{
    const QmigSchemaDesc *schema = hs->schema;
    if (f->kind == QMIG_FEATURE_CAPABILITY) {
        struct json_object *caps = member(doc, "capabilities");
        for (size_t i = 0, n = array_length(caps); i < n; i++) {
            struct json_object *entry = json_object_array_get_idx(caps, i);
            const char *name = string_value(member(entry, "capability"));
            if (name && f->index < schema->n_caps &&
                strcmp(name, schema->caps[f->index].name) == 0) {
                return member(entry, "state");
            }
        }
        return boolean(hs, false);
    }
    if (f->index >= schema->n_params) {
        return NULL;
    }
    return member(member(doc, "parameters"), schema->params[f->index].name);
}

static const char *feature_item_name(const QmigSchemaDesc *schema,
                                     const QmigHandshakeFeature *f)
{
    if (f->kind == QMIG_FEATURE_CAPABILITY) {
        return f->index < schema->n_caps ? schema->caps[f->index].name
                                         : f->name;
    }
    return f->index < schema->n_params ? schema->params[f->index].name
                                       : f->name;
}

/*
 * Build a configuration from the local one with every non-local
 * feature replaced: @values[i] (borrowed, may be NULL) is the value of
 * feature i of the schema's table (capability: true/false; parameter:
 * the value, NULL or JSON null for absent).  Returns a new configuration
 * or NULL with a reason.
 */
static void *build_config(QmigHs *hs, struct json_object *const *values)
{
    const QmigSchemaDesc *schema = hs->schema;
    struct json_object *doc = NULL;
    struct json_object *local = local_doc(hs);
    if (!local || json_object_deep_copy(local, &doc, NULL) != 0) {
        doc = NULL;
    }
    struct json_object *caps = member(doc, "capabilities");
    struct json_object *params = member(doc, "parameters");
    if (!doc || !is_array(caps) || !is_object(params)) {
        json_object_put(doc);
        add_reason(hs, "cannot encode the local configuration");
        return NULL;
    }
    for (unsigned i = 0; i < schema->n_features; i++) {
        const QmigHandshakeFeature *f = &schema->features[i];
        if (f->treatment == QMIG_HANDSHAKE_LOCAL) {
            continue;
        }
        struct json_object *v = values[i];
        const char *name = feature_item_name(schema, f);
        if (f->kind == QMIG_FEATURE_CAPABILITY) {
            for (size_t k = 0, n = array_length(caps); k < n; k++) {
                struct json_object *entry = json_object_array_get_idx(caps, k);
                const char *n = string_value(member(entry, "capability"));
                if (n && strcmp(n, name) == 0) {
                    qmig__json_add(entry, "state",
                                   json_object_new_boolean(is_true(v)));
                }
            }
        } else {
            json_object_object_del(params, name);
            if (v) {
                /* Shared with the message or the local document. */
                qmig__json_add(params, name, json_object_get(v));
            }
        }
    }
    json_object_put(hs->agreed_doc);
    hs->agreed_doc = doc; /* the digest reads it */
    void *config = calloc(1, schema->config_size);
    if (!config) {
        add_reason(hs, "out of memory");
        return NULL;
    }
    qmig_config_init(schema, config);
    QmigError *err = NULL;
    if (!qmig__config_from_value(config, doc, &err)) {
        add_reason(hs, "agreed configuration: %s", qmig_error_message(err));
        qmig_error_free(err);
        qmig_config_clear(config);
        free(config);
        return NULL;
    }
    const QmigConfigHeader *lh = hs->local;
    QmigConfigHeader *h = config;
    h->host_lacks = lh->host_lacks;
    h->target_page_size = lh->target_page_size;
    return config;
}

/* Whether feature @id may be enabled on this side. */
static bool supported(const QmigHs *hs, unsigned id, int *pos)
{
    *pos = -1;
    for (unsigned i = 0; i < hs->schema->n_features; i++) {
        if (hs->schema->features[i].id == id &&
            hs->schema->features[i].treatment != QMIG_HANDSHAKE_LOCAL) {
            *pos = (int)i;
        }
    }
    if (*pos < 0) {
        return false;
    }
    for (size_t i = 0; i < hs->opts.n_unsupported; i++) {
        if (hs->opts.unsupported[i] == id) {
            return false;
        }
    }
    return true;
}

/* Validate the agreed configuration: every broken rule is a reason. */
static void check_rules(QmigHs *hs, const void *config)
{
    QmigViolations v;
    if (!qmig_config_validate(config, &v)) {
        for (unsigned i = 0; i < v.count; i++) {
            add_reason(hs, "rule %s: %s", v.items[i]->id,
                       v.items[i]->message);
        }
    }
}

/* Order [id, value] pairs by id. */
static int cmp_feature_id(const void *a, const void *b)
{
    int64_t x = json_object_get_int64(
        json_object_array_get_idx(*(struct json_object *const *)a, 0));
    int64_t y = json_object_get_int64(
        json_object_array_get_idx(*(struct json_object *const *)b, 0));
    return (x > y) - (x < y);
}

/*
 * The canonical digest input: version, "on" features, channel names,
 * as compact JSON with sorted keys:
 * {"channels":[...],"features":[[id,value],...],"version":N}.
 */
static uint64_t compute_digest(QmigHs *hs)
{
    struct json_object *doc = hs->agreed_doc;
    struct json_object *feats = json_object_new_array();
    struct json_object *chans = json_object_new_array();
    bool ok = feats && chans;
    for (unsigned i = 0; ok && doc && i < hs->schema->n_features; i++) {
        const QmigHandshakeFeature *f = &hs->schema->features[i];
        if (f->treatment == QMIG_HANDSHAKE_LOCAL) {
            continue;
        }
        struct json_object *v = doc_feature_value(hs, doc, f);
        if (!v || is_false(v)) {
            continue;
        }
        struct json_object *pair = json_object_new_array();
        ok = qmig__json_append(pair, json_object_new_int64(f->id)) &&
             qmig__json_append(pair, json_object_get(v)) &&
             qmig__json_append(feats, pair);
        if (!ok) {
            json_object_put(pair);
        }
    }
    /* Sort by id: the two sides' tables may list features differently
     * (ids are unique, so the order is total). */
    if (ok) {
        json_object_array_sort(feats, cmp_feature_id);
    }
    for (size_t i = 0; ok && i < hs->n_channels; i++) {
        ok = qmig__json_append(chans, json_object_new_string(hs->channels[i]));
    }
    /* Keys in sorted order, which json-c keeps. */
    struct json_object *all = json_object_new_object();
    ok = ok && qmig__json_add(all, "channels", json_object_get(chans)) &&
         qmig__json_add(all, "features", json_object_get(feats)) &&
         add_int(all, "version", hs->version);
    uint64_t h = ok ? fnv1a(qmig__json_compact(all)) : 0;
    json_object_put(all);
    json_object_put(feats);
    json_object_put(chans);
    return h;
}

static void free_channels(QmigHs *hs)
{
    for (size_t i = 0; i < hs->n_channels; i++) {
        free(hs->channels[i]);
    }
    free(hs->channels);
    hs->channels = NULL;
    hs->n_channels = 0;
}

/* Compute the additional channels of @config's plan. */
static bool compute_channels(QmigHs *hs, const void *config)
{
    free_channels(hs);
    if (!hs->opts.plan) {
        return true;
    }
    QmigChannelRef refs[MAX_PLAN];
    unsigned n = hs->opts.plan(config, refs, MAX_PLAN);
    if (n > MAX_PLAN) {
        add_reason(hs, "the channel plan has %u channels, more than %d", n,
                   MAX_PLAN);
        return false;
    }
    hs->channels = calloc(n ? n : 1, sizeof(char *));
    if (!hs->channels) {
        add_reason(hs, "out of memory");
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        if (refs[i].channel >= hs->schema->n_channels) {
            add_reason(hs, "the channel plan names an unknown channel kind");
            return false;
        }
        const QmigChannelDesc *d = &hs->schema->channels[refs[i].channel];
        if (strcmp(d->name, "main") == 0 || strcmp(d->name, "cpr") == 0) {
            continue;
        }
        char name[QMIG_CHANNEL_NAME_MAX + 1];
        if (qmig_channel_format(d, refs[i].index, name, sizeof(name)) < 0 ||
            !(hs->channels[hs->n_channels] = strdup(name))) {
            add_reason(hs, "channel name of '%s' too long", d->name);
            return false;
        }
        hs->n_channels++;
    }
    return true;
}

/* --- creation ------------------------------------------------------------ */

/*
 * A device section travels as one string, "INSTANCE VERSION MIN-VERSION
 * SHARED SUFFIX" in decimal: the section id is the first SHARED
 * characters of the previous entry's section id followed by SUFFIX
 * (front coding: QEMU's ids repeat long prefixes such as PCI paths), and
 * comes last, so that it may hold any character.  With a thousand
 * sections, JSON objects (or arrays) of numbers would triple the HELLO
 * and the work of both sides: the JSON library allocates a value per
 * number and prints each with snprintf, and parsing costs well over a
 * hundred instructions per byte, so every byte saved counts.
 */
static char *put_u32(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        *p++ = tmp[--n];
    }
    *p++ = ' ';
    return p;
}

/* Parse a decimal uint32 without sign or leading zeros, then a space. */
static const char *get_u32(const char *p, uint32_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    while (*p >= '0' && *p <= '9' && p - start < 10) {
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == start || *p != ' ' || v > UINT32_MAX ||
        (*start == '0' && p - start > 1)) {
        return NULL;
    }
    *out = (uint32_t)v;
    return p + 1;
}

/*
 * QEMU's section ids are printable ASCII (qdev paths, vmstate names,
 * well-formed ids); requiring it keeps the device strings of HELLO
 * plain ASCII, which needs no escaping and passes the UTF-8 check fast.
 */
static bool section_valid(const char *s)
{
    size_t n = 0;
    if (!s) {
        return false;
    }
    for (; s[n]; n++) {
        if (s[n] < 0x20 || s[n] > 0x7e || n == MAX_STRING) {
            return false;
        }
    }
    return n > 0;
}

static struct json_object *devices_json(const QmigHs *hs)
{
    struct json_object *arr = json_object_new_array();
    char buf[MAX_DEVICE_STRING + 1];
    const char *prev = "";
    for (size_t i = 0; arr && i < hs->opts.n_devices; i++) {
        const QmigHsDevice *d = &hs->opts.devices[i];
        /* Printable ASCII of at most MAX_STRING: see section_valid(). */
        const char *section = d->section;
        uint32_t shared = 0;
        while (prev[shared] && prev[shared] == section[shared]) {
            shared++;
        }
        char *p = put_u32(buf, d->instance);
        p = put_u32(p, d->version);
        p = put_u32(p, d->min_version);
        p = put_u32(p, shared);
        size_t n = strlen(section + shared);
        memcpy(p, section + shared, n);
        prev = section;
        if (!qmig__json_append(arr, json_object_new_string_len(
                                        buf, (int)((size_t)(p - buf) + n)))) {
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

static bool send_hello(QmigHs *hs)
{
    const QmigSchemaDesc *schema = hs->schema;
    struct json_object *doc = local_doc(hs);
    if (!doc) {
        return false;
    }
    hs->offered = json_object_new_object();
    struct json_object *feats = json_object_new_array();
    bool ok = hs->offered && feats;
    for (unsigned i = 0; ok && i < schema->n_features; i++) {
        const QmigHandshakeFeature *f = &schema->features[i];
        if (f->treatment == QMIG_HANDSHAKE_LOCAL) {
            continue;
        }
        struct json_object *v = doc_feature_value(hs, doc, f);
        if (!v) {
            continue; /* absent parameter: the default on both sides */
        }
        char key[8];
        snprintf(key, sizeof(key), "%u", (unsigned)f->id);
        struct json_object *e = json_object_new_object();
        ok = qmig__json_add(hs->offered, key, json_object_get(v)) &&
             add_int(e, "id", f->id) && add_str(e, "name", f->name) &&
             add_str(e, "treatment", qmig_handshake_name(f->treatment)) &&
             qmig__json_add(e, "value", json_object_get(v)) &&
             qmig__json_append(feats, e);
        if (!ok) {
            json_object_put(e);
        }
    }
    hs->offered_versions = json_object_new_array();
    /* A one-way header cannot negotiate: it is written in one version. */
    for (unsigned v = hs->opts.oneway ? hs->max_version : hs->min_version;
         ok && v <= hs->max_version; v++) {
        ok = qmig__json_append(hs->offered_versions,
                               json_object_new_int64(v));
    }
    char session[33];
    hex_encode(hs->session, 16, session);
    struct json_object *msg = json_object_new_object();
    ok = ok &&
         qmig__json_add(msg, "versions",
                        json_object_get(hs->offered_versions)) &&
         add_str(msg, "machine", hs->opts.machine ? hs->opts.machine : "") &&
         add_int(msg, "target-page-size",
                 (int64_t)hs->opts.target_page_size) &&
         add_int(msg, "host-page-size", (int64_t)hs->opts.host_page_size) &&
         add_str(msg, "session", session);
    if (ok) {
        ok = qmig__json_add(msg, "features", feats); /* takes @feats */
    } else {
        json_object_put(feats);
    }
    ok = ok && qmig__json_add(msg, "devices", devices_json(hs));
    if (ok && hs->opts.has_uuid) {
        char uuid[33];
        hex_encode(hs->opts.uuid, 16, uuid);
        ok = add_str(msg, "uuid", uuid);
    }
    if (ok && hs->opts.oneway) {
        uint8_t d[8];
        char hex[17];
        for (int k = 0; k < 8; k++) {
            d[k] = (uint8_t)(hs->digest >> (56 - 8 * k));
        }
        hex_encode(d, 8, hex);
        ok = qmig__json_add(msg, "oneway", json_object_new_boolean(1)) &&
             add_str(msg, "digest", hex);
    }
    if (!ok) {
        json_object_put(msg);
        return false;
    }
    /* HELLO travels in a frame of the oldest offered version. */
    return send_msg(hs, hs->opts.oneway ? hs->max_version : hs->min_version,
                    QMIG_HS_MSG_HELLO, msg);
}

/*
 * The writer of a one-way header: its own configuration is final (every
 * non-local item as configured), checked against the rules here since
 * no peer will, and the header is queued at once.  The engine ends DONE,
 * or FAILED with every reason and nothing to send.
 */
static void write_oneway(QmigHs *hs)
{
    const QmigSchemaDesc *schema = hs->schema;
    struct json_object *doc = local_doc(hs);
    struct json_object **values =
        calloc(schema->n_features + 1, sizeof(struct json_object *));
    hs->version = hs->max_version;
    if (!doc || !values) {
        add_reason(hs, "cannot encode the local configuration");
    } else {
        for (unsigned i = 0; i < schema->n_features; i++) {
            values[i] = doc_feature_value(hs, doc, &schema->features[i]);
        }
        hs->agreed = build_config(hs, values);
    }
    free(values);
    if (hs->agreed) {
        check_rules(hs, hs->agreed);
        compute_channels(hs, hs->agreed);
    }
    if (hs->n_reasons || !hs->agreed) {
        hs->state = QMIG_HS_FAILED;
        return;
    }
    hs->digest = compute_digest(hs);
    if (send_hello(hs)) {
        hs->done_agreed = true;
        hs->state = QMIG_HS_DONE;
    } else {
        hs->state = QMIG_HS_FAILED;
    }
}

QmigHs *qmig_hs_new(const QmigHsOptions *opts, const void *config,
                    QmigError **errp)
{
    const QmigConfigHeader *header = config;
    if (!opts || !header || !header->schema) {
        qmig_error_setg(errp, "handshake: no options or configuration");
        return NULL;
    }
    if (opts->side != QMIG_SIDE_SOURCE &&
        opts->side != QMIG_SIDE_DESTINATION) {
        qmig_error_setg(errp, "handshake: side must be source or destination");
        return NULL;
    }
    unsigned min = opts->min_version ? opts->min_version : QMIG_HS_VERSION_MIN;
    unsigned max = opts->max_version ? opts->max_version : QMIG_HS_VERSION_MAX;
    if (min < QMIG_HS_VERSION_MIN || max > QMIG_HS_VERSION_MAX || min > max) {
        qmig_error_setg(errp,
                        "handshake: versions %u to %u are not within the "
                        "supported %d to %d",
                        min, max, QMIG_HS_VERSION_MIN, QMIG_HS_VERSION_MAX);
        return NULL;
    }
    for (size_t i = 0; i < opts->n_devices; i++) {
        if (!section_valid(opts->devices[i].section)) {
            qmig_error_setg(errp, "handshake: device %zu: invalid section id",
                            i);
            return NULL;
        }
    }
    if ((opts->machine && strlen(opts->machine) > MAX_STRING) ||
        opts->n_devices > MAX_DEVICES ||
        opts->target_page_size > INT64_MAX ||
        opts->host_page_size > INT64_MAX) {
        qmig_error_setg(errp, "handshake: option out of bounds");
        return NULL;
    }
    QmigHs *hs = calloc(1, sizeof(*hs));
    if (!hs) {
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    hs->opts = *opts;
    hs->local = config;
    hs->schema = header->schema;
    hs->min_version = min;
    hs->max_version = max;
    hs->state = QMIG_HS_WAITING;
    if (opts->side == QMIG_SIDE_SOURCE && opts->oneway) {
        memcpy(hs->session, opts->session, 16);
        write_oneway(hs);
    } else if (opts->side == QMIG_SIDE_DESTINATION) {
        /* While it waits for HELLO, the destination has time for this. */
        local_doc(hs);
    } else {
        memcpy(hs->session, opts->session, 16);
        if (!send_hello(hs)) {
            qmig_error_setg(errp, "handshake: %s",
                            hs->n_reasons ? hs->reasons[hs->n_reasons - 1]
                                          : "cannot encode HELLO");
            qmig_hs_free(hs);
            return NULL;
        }
    }
    return hs;
}

void qmig_hs_free(QmigHs *hs)
{
    if (!hs) {
        return;
    }
    free(hs->in.data);
    free(hs->out.data);
    for (size_t i = 0; i < hs->n_reasons; i++) {
        free(hs->reasons[i]);
    }
    free(hs->reasons);
    free_channels(hs);
    if (hs->agreed) {
        qmig_config_clear(hs->agreed);
        free(hs->agreed);
    }
    json_object_put(hs->offered);
    json_object_put(hs->offered_versions);
    json_object_put(hs->local_doc);
    json_object_put(hs->agreed_doc);
    json_object_put(hs->yes);
    json_object_put(hs->no);
    dig_out(hs);
    free(hs);
}

/* --- destination: HELLO -------------------------------------------------- */

static void check_devices(QmigHs *hs, struct json_object *devs)
{
    const QmigHsDevice *mine = hs->opts.devices;
    size_t n_mine = hs->opts.n_devices;
    size_t n = array_length(devs);
    bool *matched = calloc(n_mine ? n_mine : 1, sizeof(bool));
    if (!matched) {
        add_reason(hs, "out of memory");
        return;
    }
    /* The previous and the current section id (front coded). */
    char prev[MAX_STRING + 1] = "", section[MAX_STRING + 1];
    size_t prev_len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *entry =
            get_string_max(json_object_array_get_idx(devs, i),
                           MAX_DEVICE_STRING);
        const char *p = entry;
        uint32_t inst, ver, minv, shared = 0;
        p = p ? get_u32(p, &inst) : NULL;
        p = p ? get_u32(p, &ver) : NULL;
        p = p ? get_u32(p, &minv) : NULL;
        p = p ? get_u32(p, &shared) : NULL;
        size_t suffix = p ? strlen(p) : 0;
        if (!p || shared > prev_len || shared + suffix == 0 ||
            shared + suffix > MAX_STRING ||
            (size_t)(p - entry) + suffix != strlen(entry)) {
            /* Later entries build on this one: stop here. */
            add_reason(hs, "malformed device entry %zu", i);
            break;
        }
        memcpy(section, prev, shared);
        memcpy(section + shared, p, suffix + 1);
        prev_len = shared + suffix;
        memcpy(prev, section, prev_len + 1);
        /* Both sides usually list the sections in the same order:
         * try the same position first, then search. */
        size_t k = 0;
        if (i < n_mine && mine[i].instance == inst &&
            strcmp(mine[i].section, section) == 0) {
            k = i;
        } else {
            while (k < n_mine && (strcmp(mine[k].section, section) != 0 ||
                                  mine[k].instance != inst)) {
                k++;
            }
        }
        if (k == n_mine) {
            add_reason(hs,
                       "device '%s' instance %u: not present on the "
                       "destination",
                       section, (unsigned)inst);
            continue;
        }
        if (matched[k]) {
            add_reason(hs, "device '%s' instance %u: listed twice by the "
                           "source", section, (unsigned)inst);
            continue;
        }
        matched[k] = true;
        if (ver > mine[k].version || ver < mine[k].min_version) {
            add_reason(hs,
                       "device '%s' instance %u: the source writes version "
                       "%u, the destination loads versions %u to %u",
                       section, (unsigned)inst, (unsigned)ver,
                       (unsigned)mine[k].min_version,
                       (unsigned)mine[k].version);
        }
    }
    for (size_t k = 0; k < n_mine; k++) {
        if (!matched[k]) {
            add_reason(hs,
                       "device '%s' instance %u: present on the destination "
                       "but not on the source",
                       mine[k].section, (unsigned)mine[k].instance);
        }
    }
    free(matched);
}

/* Agree on the features; returns the values of the schema's features. */
static bool agree_features(QmigHs *hs, struct json_object *feats,
                           struct json_object **values,
                           struct json_object *reply)
{
    const QmigSchemaDesc *schema = hs->schema;
    struct json_object *doc = local_doc(hs);
    if (!doc) {
        add_reason(hs, "cannot encode the local configuration");
        return false;
    }
    struct json_object *seen = json_object_new_object();
    bool ok = true;
    for (size_t i = 0, n = array_length(feats); i < n; i++) {
        struct json_object *e = json_object_array_get_idx(feats, i);
        uint64_t id;
        const char *name = get_string(member(e, "name"));
        const char *treat = get_string(member(e, "treatment"));
        struct json_object *v; /* NULL: JSON null */
        bool has_v = has_member(e, "value", &v);
        char key[8];
        if (!is_object(e) || !get_uint(member(e, "id"), UINT16_MAX, &id) ||
            !name || !treat || !has_v ||
            (strcmp(treat, "adopt") != 0 && strcmp(treat, "intersect") != 0)) {
            add_reason(hs, "malformed feature entry %zu", i);
            ok = false;
            continue;
        }
        snprintf(key, sizeof(key), "%u", (unsigned)id);
        if (json_object_object_get_ex(seen, key, NULL)) {
            add_reason(hs, "feature '%s' (id %u) sent twice", name,
                       (unsigned)id);
            ok = false;
            continue;
        }
        qmig__json_add(seen, key, json_object_new_boolean(1));
        /* In a one-way header every item is final: there is nobody to
         * intersect with, so the loader adopts (see "Unidirectional
         * transports" in docs/handshake-protocol.rst). */
        bool adopt = strcmp(treat, "adopt") == 0;
        bool take = adopt || hs->opts.oneway;
        int pos;
        bool sup = supported(hs, (unsigned)id, &pos);
        const QmigHandshakeFeature *f = pos >= 0 ? &schema->features[pos]
                                                 : NULL;
        /* The value cannot enable anything when false or null. */
        bool wants = v && !is_false(v);
        struct json_object *agreed = NULL; /* null */
        if (f && (f->treatment == QMIG_HANDSHAKE_ADOPT) != adopt) {
            add_reason(hs, "feature '%s' (id %u): the source treats it as "
                           "'%s', the destination as '%s'",
                       name, (unsigned)id, treat,
                       qmig_handshake_name(f->treatment));
            ok = false;
        } else if (f && f->kind == QMIG_FEATURE_CAPABILITY &&
                   !json_object_is_type(v, json_type_boolean)) {
            add_reason(hs, "capability '%s': value is not a boolean", name);
            ok = false;
        } else if (take) {
            if (wants && !sup) {
                add_reason(hs,
                           "'%s' (id %u) is enabled on the source but not "
                           "supported by the destination",
                           name, (unsigned)id);
                ok = false;
            } else if (f) {
                agreed = v;
            } else {
                agreed = is_false(v) ? v : NULL;
            }
        } else if (sup && wants) {
            /* Intersect: a capability also needs the local side's yes. */
            if (f->kind == QMIG_FEATURE_CAPABILITY) {
                struct json_object *mine = doc_feature_value(hs, doc, f);
                agreed = boolean(hs, is_true(mine));
            } else {
                agreed = v;
            }
        } else {
            agreed = json_object_is_type(v, json_type_boolean)
                         ? boolean(hs, false)
                         : NULL;
        }
        if (f && f->kind == QMIG_FEATURE_PARAMETER && agreed) {
            /* Check the value alone, so that every bad one is reported. */
            void *scratch = calloc(1, schema->config_size);
            struct json_object *one = json_object_new_object();
            struct json_object *params = json_object_new_object();
            QmigError *err = NULL;
            if (!qmig__json_add(params, feature_item_name(schema, f),
                                json_object_get(agreed)) ||
                !qmig__json_add(one, "parameters", params)) {
                json_object_put(one);
                one = NULL;
            }
            if (scratch && one) {
                qmig_config_init(schema, scratch);
                if (!qmig__config_from_value(scratch, one, &err)) {
                    add_reason(hs, "'%s': %s", name, qmig_error_message(err));
                    qmig_error_free(err);
                    ok = false;
                    agreed = NULL;
                }
                qmig_config_clear(scratch);
            }
            json_object_put(one);
            free(scratch);
        }
        if (f) {
            values[pos] = agreed;
        }
        struct json_object *r = json_object_new_object();
        bool built = add_int(r, "id", (int64_t)id);
        if (built &&
            json_object_object_add(r, "value", json_object_get(agreed))) {
            json_object_put(agreed); /* not taken */
            built = false;
        }
        if (!built) {
            json_object_put(r);
        }
        if (!built || !qmig__json_append(reply, r)) {
            add_reason(hs, "out of memory");
            ok = false;
        }
    }
    json_object_put(seen);
    /*
     * values[] borrows from @feats or the engine's booleans; the caller
     * holds @feats while building.
     */
    return ok;
}

/* The caller's veto (QmigHsOptions.check_agreed), as one reason. */
static void check_agreed_by_caller(QmigHs *hs)
{
    QmigError *err = NULL;

    if (!hs->opts.check_agreed ||
        hs->opts.check_agreed(hs->opts.check_opaque, hs->agreed, &err)) {
        return;
    }
    add_reason(hs, "%s", err ? qmig_error_message(err)
                             : "the destination refused the configuration");
    qmig_error_free(err);
}

/* "a string", "an array"...: the JSON type of @v, for messages. */
static const char *json_kind(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a real number";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "a JSON value";
}

/*
 * What is wrong with member @key of @msg, an array of 1 (@nonempty) or
 * 0 to @max elements; false with *why set when it is not one.
 */
static bool check_array_member(struct json_object *msg, const char *key,
                               bool nonempty, size_t max, char *why,
                               size_t size)
{
    struct json_object *v;
    if (!has_member(msg, key, &v)) {
        snprintf(why, size, "member '%s' is missing", key);
    } else if (!is_array(v)) {
        snprintf(why, size, "member '%s' is not an array (got %s)", key,
                 json_kind(v));
    } else if (nonempty && array_length(v) == 0) {
        snprintf(why, size, "member '%s' is an empty array", key);
    } else if (array_length(v) > max) {
        snprintf(why, size, "member '%s' has %zu elements, more than %zu",
                 key, array_length(v), max);
    } else {
        return true;
    }
    return false;
}

/* The same for a string member of at most @max bytes without NUL. */
static bool check_string_member(struct json_object *msg, const char *key,
                                bool required, size_t max, char *why,
                                size_t size)
{
    struct json_object *v;
    if (!has_member(msg, key, &v)) {
        if (!required) {
            return true;
        }
        snprintf(why, size, "member '%s' is missing", key);
    } else if (!json_object_is_type(v, json_type_string)) {
        snprintf(why, size, "member '%s' is not a string (got %s)", key,
                 json_kind(v));
    } else if (strlen(json_object_get_string(v)) !=
               (size_t)json_object_get_string_len(v)) {
        snprintf(why, size, "member '%s' contains a NUL character", key);
    } else if ((size_t)json_object_get_string_len(v) > max) {
        snprintf(why, size, "member '%s' is longer than %zu bytes", key, max);
    } else {
        return true;
    }
    return false;
}

/* The same for an integer member in [0, @max]. */
static bool check_uint_member(struct json_object *msg, const char *key,
                              uint64_t max, char *why, size_t size)
{
    struct json_object *v;
    uint64_t n;
    if (!has_member(msg, key, &v)) {
        snprintf(why, size, "member '%s' is missing", key);
    } else if (!json_object_is_type(v, json_type_int)) {
        snprintf(why, size, "member '%s' is not an integer (got %s)", key,
                 json_kind(v));
    } else if (!get_uint(v, max, &n)) {
        snprintf(why, size, "member '%s' is out of range (negative or above "
                            "%llu)", key, (unsigned long long)max);
    } else {
        return true;
    }
    return false;
}

/*
 * Which member of HELLO @msg is wrong, and why, in @why (the first one
 * found); true when every member is usable.
 */
static bool check_hello(struct json_object *msg, char *why, size_t size)
{
    if (!is_object(msg)) {
        snprintf(why, size, "not a JSON object (got %s)", json_kind(msg));
        return false;
    }
    if (!check_array_member(msg, "versions", true, MAX_VERSIONS, why,
                            size) ||
        !check_array_member(msg, "features", false, MAX_FEATURES, why,
                            size) ||
        !check_array_member(msg, "devices", false, MAX_DEVICES, why, size) ||
        !check_string_member(msg, "machine", true, MAX_STRING, why, size) ||
        !check_string_member(msg, "session", true, MAX_STRING, why, size)) {
        return false;
    }
    uint8_t session[16];
    if (!hex_decode(get_string(member(msg, "session")), session, 16)) {
        snprintf(why, size, "member 'session' is not 32 lowercase "
                            "hexadecimal digits");
        return false;
    }
    return check_uint_member(msg, "target-page-size", INT64_MAX, why,
                             size) &&
           check_uint_member(msg, "host-page-size", INT64_MAX, why, size) &&
           check_string_member(msg, "uuid", false, SIZE_MAX, why, size);
}

/*
 * Parse the frame @fr into *msg and check it with @check; false with
 * what is wrong in @why (the parser's message for bad JSON).
 */
static bool parse_checked(const QmigHsFrame *fr, struct json_object **msg,
                          bool (*check)(struct json_object *, char *, size_t),
                          char *why, size_t size)
{
    QmigError *perr = NULL;
    *msg = NULL;
    if (!qmig__json_parse((const char *)fr->payload, fr->length, msg,
                          &perr)) {
        snprintf(why, size, "%s", qmig_error_message(perr));
        qmig_error_free(perr);
        return false;
    }
    if (!is_object(*msg)) {
        snprintf(why, size, "not a JSON object (got %s)", json_kind(*msg));
        return false;
    }
    return check(*msg, why, size);
}

/* The same as check_hello() for ACCEPT (its feature entries apart). */
static bool check_accept(struct json_object *msg, char *why, size_t size)
{
    return check_uint_member(msg, "version", UINT16_MAX, why, size) &&
           check_array_member(msg, "features", false, SIZE_MAX, why, size) &&
           check_array_member(msg, "channels", false, MAX_PLAN, why, size);
}

/* The same for feature entry @e of an ACCEPT: {"id": N, "value": V}. */
static bool check_accept_feature(struct json_object *e, char *why,
                                 size_t size)
{
    struct json_object *v;
    if (!is_object(e)) {
        snprintf(why, size, "not a JSON object (got %s)", json_kind(e));
        return false;
    }
    if (!check_uint_member(e, "id", UINT16_MAX, why, size)) {
        return false;
    }
    if (!has_member(e, "value", &v)) {
        snprintf(why, size, "member 'value' is missing");
        return false;
    }
    return true;
}

/* The same for CONFIRM: {"digest": 16 lowercase hexadecimal digits}. */
static bool check_confirm(struct json_object *msg, char *why, size_t size)
{
    uint8_t d[8];
    if (!check_string_member(msg, "digest", true, MAX_STRING, why, size)) {
        return false;
    }
    if (!hex_decode(get_string(member(msg, "digest")), d, 8)) {
        snprintf(why, size, "member 'digest' is not 16 lowercase "
                            "hexadecimal digits");
        return false;
    }
    return true;
}

static void on_hello(QmigHs *hs, const QmigHsFrame *fr)
{
    struct json_object *msg = NULL;
    QmigError *perr = NULL;
    char why[256];
    if (!qmig__json_parse((const char *)fr->payload, fr->length, &msg,
                          &perr)) {
        snprintf(why, sizeof(why), "%s", qmig_error_message(perr));
        qmig_error_free(perr);
    } else if (check_hello(msg, why, sizeof(why))) {
        why[0] = '\0';
    }
    struct json_object *versions = member(msg, "versions");
    struct json_object *feats = member(msg, "features");
    struct json_object *devs = member(msg, "devices");
    const char *machine = get_string(member(msg, "machine"));
    const char *session = get_string(member(msg, "session"));
    struct json_object *juuid;
    bool has_uuid = has_member(msg, "uuid", &juuid);
    uint64_t tps, hps;
    if (!is_object(msg) || !is_array(versions) ||
        array_length(versions) == 0 ||
        array_length(versions) > MAX_VERSIONS || !is_array(feats) ||
        array_length(feats) > MAX_FEATURES || !is_array(devs) ||
        array_length(devs) > MAX_DEVICES || !machine ||
        !hex_decode(session, hs->session, 16) ||
        !get_uint(member(msg, "target-page-size"), INT64_MAX, &tps) ||
        !get_uint(member(msg, "host-page-size"), INT64_MAX, &hps) ||
        (has_uuid && !string_value(juuid)) || why[0]) {
        add_reason(hs, "malformed HELLO message: %s",
                   why[0] ? why : "bad member");
        json_object_put(msg);
        fail(hs, hs->opts.oneway ? 0 : QMIG_HS_MSG_REJECT);
        return;
    }
    /* A one-way header must arrive where one is expected, and only there. */
    bool oneway = is_true(member(msg, "oneway"));
    if (oneway != hs->opts.oneway) {
        add_reason(hs, oneway ? "the source wrote a one-way header (file or "
                                "exec migration) where a handshake was "
                                "expected"
                              : "expected a one-way header (file or exec "
                                "migration), got a handshake HELLO");
        json_object_put(msg);
        fail(hs, hs->opts.oneway ? 0 : QMIG_HS_MSG_REJECT);
        return;
    }
    if (oneway) {
        uint8_t d[8];
        if (!hex_decode(get_string(member(msg, "digest")), d, 8)) {
            add_reason(hs, "malformed one-way header: no valid digest");
            json_object_put(msg);
            fail(hs, 0);
            return;
        }
        for (int k = 0; k < 8; k++) {
            hs->oneway_digest = hs->oneway_digest << 8 | d[k];
        }
    }
    /* The highest common version. */
    unsigned best = 0;
    for (size_t i = 0, nv = array_length(versions); i < nv; i++) {
        uint64_t n;
        if (get_uint(json_object_array_get_idx(versions, i), UINT16_MAX,
                     &n) &&
            n >= hs->min_version &&
            n <= hs->max_version && n > best) {
            best = (unsigned)n;
        }
    }
    if (!best) {
        const char *offered = qmig__json_compact(versions);
        add_reason(hs,
                   "no common protocol version: the source offers %s, the "
                   "destination speaks %u to %u",
                   offered ? offered : "?", hs->min_version, hs->max_version);
        json_object_put(msg);
        fail(hs, hs->opts.oneway ? 0 : QMIG_HS_MSG_REJECT);
        return;
    }
    hs->version = best;
    if (hs->opts.machine && strcmp(machine, hs->opts.machine) != 0) {
        add_reason(hs, "machine type: the source runs '%s', the destination "
                       "'%s'", machine, hs->opts.machine);
    }
    if (hs->opts.target_page_size && tps != hs->opts.target_page_size) {
        add_reason(hs,
                   "target page size: %llu bytes on the source, %llu on the "
                   "destination",
                   (unsigned long long)tps,
                   (unsigned long long)hs->opts.target_page_size);
    }
    /* A source that sends no UUID asks for no check (QEMU without
     * validate-uuid). */
    if (hs->opts.has_uuid && has_uuid) {
        uint8_t uuid[16];
        if (!hex_decode(string_value(juuid), uuid, 16) ||
            memcmp(uuid, hs->opts.uuid, 16) != 0) {
            char mine[33];
            hex_encode(hs->opts.uuid, 16, mine);
            add_reason(hs, "VM UUID: the source has %s, the destination %s",
                       get_string(juuid) ? get_string(juuid) : "none",
                       mine);
        }
    }
    struct json_object *reply_feats = json_object_new_array();
    struct json_object **values =
        calloc(hs->schema->n_features + 1, sizeof(struct json_object *));
    if (!values || !reply_feats) {
        add_reason(hs, "out of memory");
    } else if (agree_features(hs, feats, values, reply_feats)) {
        void *config = build_config(hs, values);
        if (config) {
            hs->agreed = config;
            int pc = qmig_schema_find_cap(hs->schema, "postcopy-ram");
            const QmigConfigHeader *h = config;
            if (pc >= 0 && qmig_capset_has(&h->caps, (unsigned)pc) &&
                hps != hs->opts.host_page_size) {
                add_reason(hs,
                           "host page size: %llu bytes on the source, %llu "
                           "on the destination (postcopy needs them equal)",
                           (unsigned long long)hps,
                           (unsigned long long)hs->opts.host_page_size);
            }
            check_rules(hs, config);
            compute_channels(hs, config);
        }
    }
    if (best >= 2) {
        check_devices(hs, devs);
    }
    if (hs->agreed && !hs->n_reasons) {
        check_agreed_by_caller(hs);
    }
    free(values);
    bury(hs, msg);
    if (hs->n_reasons || !hs->agreed) {
        json_object_put(reply_feats);
        fail(hs, hs->opts.oneway ? 0 : QMIG_HS_MSG_REJECT);
        return;
    }
    hs->digest = compute_digest(hs);
    if (hs->opts.oneway) {
        /* No answer: the writer's digest stands for the CONFIRM. */
        json_object_put(reply_feats);
        if (hs->digest != hs->oneway_digest) {
            add_reason(hs,
                       "the one-way header describes another configuration "
                       "than the one it loads to (digest %016llx, expected "
                       "%016llx)",
                       (unsigned long long)hs->oneway_digest,
                       (unsigned long long)hs->digest);
            fail(hs, 0);
            return;
        }
        hs->done_agreed = true;
        hs->state = QMIG_HS_DONE;
        return;
    }
    struct json_object *chans = json_object_new_array();
    bool ok = chans != NULL;
    for (size_t k = 0; ok && k < hs->n_channels; k++) {
        ok = qmig__json_append(chans, json_object_new_string(hs->channels[k]));
    }
    struct json_object *accept = json_object_new_object();
    ok = ok && add_int(accept, "version", best);
    if (ok) {
        ok = qmig__json_add(accept, "features", reply_feats);
    } else {
        json_object_put(reply_feats);
    }
    if (ok) {
        ok = qmig__json_add(accept, "channels", chans);
    } else {
        json_object_put(chans);
    }
    if (!ok) {
        json_object_put(accept);
        accept = NULL; /* send_msg fails the handshake */
    }
    send_msg(hs, best, QMIG_HS_MSG_ACCEPT, accept);
}

static void on_confirm(QmigHs *hs, const QmigHsFrame *fr)
{
    struct json_object *msg;
    char why[256] = "bad member";
    bool ok = parse_checked(fr, &msg, check_confirm, why, sizeof(why));
    const char *digest = get_string(member(msg, "digest"));
    uint8_t d[8];
    if (!ok || !is_object(msg) || !hex_decode(digest, d, 8)) {
        add_reason(hs, "malformed CONFIRM message: %s", why);
        hs->state = QMIG_HS_FAILED;
    } else {
        uint64_t got = 0;
        for (int i = 0; i < 8; i++) {
            got = got << 8 | d[i];
        }
        if (got != hs->digest) {
            add_reason(hs,
                       "the source confirmed a different agreed "
                       "configuration (digest %016llx, expected %016llx)",
                       (unsigned long long)got,
                       (unsigned long long)hs->digest);
            hs->state = QMIG_HS_FAILED;
        } else {
            hs->done_agreed = true;
            hs->state = QMIG_HS_DONE;
        }
    }
    json_object_put(msg);
}

/* REJECT or ABORT: the peer's reasons become ours. */
static void on_reasons(QmigHs *hs, const QmigHsFrame *fr, const char *who)
{
    struct json_object *msg = parse_msg(fr);
    struct json_object *reasons = member(msg, "reasons");
    size_t n = 0;
    for (size_t i = 0, nr = array_length(reasons); i < nr; i++) {
        const char *s = get_string_max(json_object_array_get_idx(reasons, i),
                                       SIZE_MAX);
        if (s) {
            add_reason(hs, "%s: %s", who, s);
            n++;
        }
    }
    if (!n) {
        add_reason(hs, "%s refused the handshake without a reason", who);
    }
    hs->state = QMIG_HS_FAILED;
    json_object_put(msg);
}

/* --- source: ACCEPT ------------------------------------------------------ */

static void on_accept(QmigHs *hs, const QmigHsFrame *fr)
{
    const QmigSchemaDesc *schema = hs->schema;
    struct json_object *msg;
    char why[256] = "bad member";
    bool ok = parse_checked(fr, &msg, check_accept, why, sizeof(why));
    struct json_object *feats = member(msg, "features");
    struct json_object *chans = member(msg, "channels");
    uint64_t version;
    if (!ok || !is_object(msg) || !is_array(feats) || !is_array(chans) ||
        array_length(chans) > MAX_PLAN ||
        !get_uint(member(msg, "version"), UINT16_MAX, &version)) {
        add_reason(hs, "malformed ACCEPT message: %s", why);
        json_object_put(msg);
        fail(hs, QMIG_HS_MSG_ABORT);
        return;
    }
    if (version < hs->min_version || version > hs->max_version ||
        version != fr->version) {
        add_reason(hs,
                   "the destination chose protocol version %u, which the "
                   "source did not offer",
                   (unsigned)version);
        json_object_put(msg);
        fail(hs, QMIG_HS_MSG_ABORT);
        return;
    }
    hs->version = (unsigned)version;
    struct json_object **values =
        calloc(schema->n_features + 1, sizeof(struct json_object *));
    struct json_object *answered = json_object_new_object();
    for (size_t i = 0, n = array_length(feats); i < n; i++) {
        struct json_object *e = json_object_array_get_idx(feats, i);
        uint64_t id;
        struct json_object *v; /* NULL: JSON null */
        char key[8];
        if (!check_accept_feature(e, why, sizeof(why)) ||
            !get_uint(member(e, "id"), UINT16_MAX, &id) ||
            !has_member(e, "value", &v)) {
            add_reason(hs, "malformed ACCEPT message: feature entry %zu: %s",
                       i, why);
            continue;
        }
        snprintf(key, sizeof(key), "%u", (unsigned)id);
        struct json_object *mine = member(hs->offered, key);
        if (!mine || json_object_object_get_ex(answered, key, NULL)) {
            add_reason(hs, "the destination answered feature id %u, which "
                           "the source did not offer (or answered twice)",
                       (unsigned)id);
            continue;
        }
        qmig__json_add(answered, key, json_object_new_boolean(1));
        int pos = -1;
        for (unsigned k = 0; k < schema->n_features; k++) {
            if (schema->features[k].id == id) {
                pos = (int)k;
            }
        }
        if (pos < 0) {
            continue; /* cannot happen: offered ids come from the table */
        }
        const QmigHandshakeFeature *f = &schema->features[pos];
        /* Integers compare by value, whether json-c holds them as int64
         * or uint64. */
        bool same = json_object_equal(v, mine);
        bool off = !v || is_false(v);
        if (f->treatment == QMIG_HANDSHAKE_ADOPT && !same) {
            add_reason(hs, "the destination changed '%s', which it must "
                           "adopt", f->name);
        } else if (!same && !off) {
            add_reason(hs, "the destination asked for a value of '%s' the "
                           "source did not offer", f->name);
        } else if (values) {
            values[pos] = same ? mine : NULL;
        }
    }
    if (json_object_object_length(answered) !=
        json_object_object_length(hs->offered)) {
        add_reason(hs, "the destination did not answer every feature");
    }
    json_object_put(answered);
    if (!hs->n_reasons && values) {
        /* Features not offered (absent parameters) stay absent. */
        void *config = build_config(hs, values);
        if (config) {
            hs->agreed = config;
            check_rules(hs, config);
            if (compute_channels(hs, config)) {
                bool same = array_length(chans) == hs->n_channels;
                for (size_t k = 0; same && k < hs->n_channels; k++) {
                    const char *s =
                        string_value(json_object_array_get_idx(chans, k));
                    same = s && strcmp(s, hs->channels[k]) == 0;
                }
                if (!same) {
                    add_reason(hs, "the destination plans other channels "
                                   "than the source");
                }
            }
        }
    }
    free(values);
    json_object_put(msg);
    if (hs->n_reasons || !hs->agreed) {
        fail(hs, QMIG_HS_MSG_ABORT);
        return;
    }
    hs->digest = compute_digest(hs);
    uint8_t d[8];
    char hex[17];
    for (int k = 0; k < 8; k++) {
        d[k] = (uint8_t)(hs->digest >> (56 - 8 * k));
    }
    hex_encode(d, 8, hex);
    struct json_object *confirm = json_object_new_object();
    if (!add_str(confirm, "digest", hex)) {
        json_object_put(confirm);
        confirm = NULL;
    }
    if (send_msg(hs, hs->version, QMIG_HS_MSG_CONFIRM, confirm)) {
        hs->done_agreed = true;
        hs->state = QMIG_HS_DONE;
    }
}

/* --- feeding ------------------------------------------------------------- */

static void step(QmigHs *hs)
{
    while (hs->state == QMIG_HS_WAITING) {
        if (!hs->in.data) {
            return; /* nothing received yet */
        }
        const uint8_t *p = hs->in.data + hs->in.off;
        size_t avail = hs->in.len - hs->in.off;
        bool first = hs->opts.side == QMIG_SIDE_DESTINATION && !hs->version &&
                     !hs->n_reasons;
        if (first && avail) {
            static const uint8_t legacy[4] = {0x51, 0x45, 0x56, 0x4d};
            size_t n = avail < 4 ? avail : 4;
            if (memcmp(p, legacy, n) == 0 && memcmp(p, "QMHS", n) != 0) {
                if (n < 4) {
                    return; /* wait: "QE" could still be legacy */
                }
                if (hs->opts.allow_legacy) {
                    hs->state = QMIG_HS_LEGACY;
                } else {
                    add_reason(hs, "the source sent the legacy migration "
                                   "stream (no handshake) and legacy mode "
                                   "is not allowed");
                    hs->state = QMIG_HS_FAILED;
                }
                return;
            }
        }
        QmigHsFrame fr;
        QmigError *err = NULL;
        long n = qmig_hs_frame_decode(p, avail, &fr, &err);
        if (n < 0) {
            add_reason(hs, "%s", qmig_error_message(err));
            qmig_error_free(err);
            hs->state = QMIG_HS_FAILED;
            return;
        }
        if (n == 0) {
            return;
        }
        hs->in.off += (size_t)n;
        hs->received++;
        bool dst = hs->opts.side == QMIG_SIDE_DESTINATION;
        if (dst && !hs->version && fr.type == QMIG_HS_MSG_HELLO) {
            on_hello(hs, &fr);
        } else if (dst && hs->version && fr.type == QMIG_HS_MSG_CONFIRM &&
                   fr.version == hs->version) {
            on_confirm(hs, &fr);
        } else if (dst && hs->version && fr.type == QMIG_HS_MSG_ABORT) {
            on_reasons(hs, &fr, "source");
        } else if (!dst && fr.type == QMIG_HS_MSG_ACCEPT) {
            on_accept(hs, &fr);
        } else if (!dst && fr.type == QMIG_HS_MSG_REJECT) {
            on_reasons(hs, &fr, "destination");
        } else {
            const char *name = qmig_hs_message_name(fr.type);
            add_reason(hs, "unexpected %s message (type %u, version %u)",
                       name ? name : "unknown", (unsigned)fr.type,
                       (unsigned)fr.version);
            hs->state = QMIG_HS_FAILED;
        }
    }
}

bool qmig_hs_feed(QmigHs *hs, const void *data, size_t len,
                  QmigError **errp)
{
    if (!hs || (len && !data)) {
        qmig_error_setg(errp, "handshake: no engine or data");
        return false;
    }
    if (hs->state == QMIG_HS_WAITING) {
        if (!buf_append(&hs->in, data, len)) {
            add_reason(hs, "out of memory");
            hs->state = QMIG_HS_FAILED;
        } else {
            step(hs);
        }
    } else if (hs->state != QMIG_HS_FAILED) {
        /* Over: the bytes belong to the migration stream. */
        if (!buf_append(&hs->in, data, len)) {
            qmig_error_setg(errp, "out of memory");
            return false;
        }
    }
    if (hs->state == QMIG_HS_FAILED) {
        set_failure_error(hs, errp);
        return false;
    }
    return true;
}

bool qmig_hs_feed_eof(QmigHs *hs, QmigError **errp)
{
    if (!hs) {
        qmig_error_setg(errp, "handshake: no engine");
        return false;
    }
    if (hs->state == QMIG_HS_WAITING) {
        size_t partial = hs->in.len - hs->in.off;
        if (hs->opts.side == QMIG_SIDE_SOURCE && !hs->version && !partial) {
            add_reason(hs, "the destination closed the connection before "
                           "answering (a destination without handshake "
                           "support closes on an unknown channel magic)");
        } else if (partial && !hs->opts.oneway) {
            add_reason(hs, "the peer closed the connection in the middle of "
                           "a handshake message (%zu bytes of it received)",
                       partial);
        } else if (hs->opts.oneway) {
            add_reason(hs, "the stream ended inside the one-way header");
        } else {
            add_reason(hs, "the peer closed the connection during the "
                           "handshake");
        }
        hs->state = QMIG_HS_FAILED;
    }
    if (hs->state == QMIG_HS_FAILED) {
        set_failure_error(hs, errp);
        return false;
    }
    return true;
}

const uint8_t *qmig_hs_output(const QmigHs *hs, size_t *len)
{
    *len = hs ? hs->out.len - hs->out.off : 0;
    return hs && *len ? hs->out.data + hs->out.off : NULL;
}

void qmig_hs_output_consume(QmigHs *hs, size_t n)
{
    if (!hs) {
        return;
    }
    size_t avail = hs->out.len - hs->out.off;
    hs->out.off += n < avail ? n : avail;
}

const uint8_t *qmig_hs_unconsumed(const QmigHs *hs, size_t *len)
{
    *len = hs ? hs->in.len - hs->in.off : 0;
    return hs && *len ? hs->in.data + hs->in.off : NULL;
}

QmigHsState qmig_hs_state(const QmigHs *hs)
{
    return hs ? hs->state : QMIG_HS_FAILED;
}

const char *qmig_hs_state_name(QmigHsState state)
{
    switch (state) {
    case QMIG_HS_WAITING:
        return "waiting";
    case QMIG_HS_DONE:
        return "done";
    case QMIG_HS_FAILED:
        return "failed";
    case QMIG_HS_LEGACY:
        return "legacy";
    }
    return NULL;
}

unsigned qmig_hs_version(const QmigHs *hs)
{
    return hs ? hs->version : 0;
}

const uint8_t *qmig_hs_session(const QmigHs *hs)
{
    return hs ? hs->session : NULL;
}

const void *qmig_hs_agreed(const QmigHs *hs)
{
    return hs && hs->state == QMIG_HS_DONE ? hs->agreed : NULL;
}

uint64_t qmig_hs_digest(const QmigHs *hs)
{
    return hs ? hs->digest : 0;
}

unsigned qmig_hs_messages_sent(const QmigHs *hs)
{
    return hs ? hs->sent : 0;
}

unsigned qmig_hs_messages_received(const QmigHs *hs)
{
    return hs ? hs->received : 0;
}

size_t qmig_hs_n_reasons(const QmigHs *hs)
{
    return hs ? hs->n_reasons : 0;
}

const char *qmig_hs_reason(const QmigHs *hs, size_t i)
{
    return hs && i < hs->n_reasons ? hs->reasons[i] : NULL;
}

size_t qmig_hs_n_channels(const QmigHs *hs)
{
    return hs && hs->state == QMIG_HS_DONE ? hs->n_channels : 0;
}

const char *qmig_hs_channel(const QmigHs *hs, size_t i)
{
    return hs && hs->state == QMIG_HS_DONE && i < hs->n_channels
               ? hs->channels[i]
               : NULL;
}
