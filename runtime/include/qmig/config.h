/*
 * qmig/config.h - migration configurations, described by generated tables.
 *
 * qmig-gen emits, for a migration schema and its metadata, a typed
 * configuration struct whose first member is a QmigConfigHeader, and
 * const descriptor tables (QmigSchemaDesc) that tell this library where
 * each parameter lives and what its type, default and range are.  The
 * library handles every configuration generically through them:
 * defaults, parameter access, JSON (qmig/json.h), and the generic parts
 * of validation.  The generated code adds only typed accessors and the
 * rule checks.
 *
 * Ownership: descriptor tables are static data of the generated code.
 * A configuration is caller-allocated (it is a plain struct); string
 * values in it are owned by it and released with qmig_config_clear().
 */
#ifndef QMIG_CONFIG_H
#define QMIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qmig/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- enumerations shared with the generator ---------------------------- */

typedef enum QmigSide {
    QMIG_SIDE_SOURCE,
    QMIG_SIDE_DESTINATION,
    QMIG_SIDE_BOTH,  /* both sides set it; each uses its own value */
    QMIG_SIDE_MATCH, /* both sides must set the same value */
} QmigSide;

typedef enum QmigHandshake {
    QMIG_HANDSHAKE_ADOPT,     /* the destination takes the source's value */
    QMIG_HANDSHAKE_INTERSECT, /* enabled when both sides support it */
    QMIG_HANDSHAKE_LOCAL,     /* never crosses the wire */
} QmigHandshake;

typedef enum QmigTransport {
    QMIG_TRANSPORT_TCP,
    QMIG_TRANSPORT_UNIX,
    QMIG_TRANSPORT_VSOCK,
    QMIG_TRANSPORT_FD,
    QMIG_TRANSPORT_EXEC,
    QMIG_TRANSPORT_RDMA,
    QMIG_TRANSPORT_FILE,
    QMIG_TRANSPORT__MAX,
} QmigTransport;

/* "source", "match", "tcp", ...; NULL for out-of-range values. */
const char *qmig_side_name(QmigSide side);
const char *qmig_handshake_name(QmigHandshake handshake);
const char *qmig_transport_name(QmigTransport transport);
/* Name to value; false if unknown. */
bool qmig_transport_parse(const char *name, QmigTransport *out);
bool qmig_side_parse(const char *name, QmigSide *out);

/* --- capability sets --------------------------------------------------- */

#define QMIG_CAPSET_MAX 128

typedef struct QmigCapSet {
    uint64_t bits[QMIG_CAPSET_MAX / 64];
} QmigCapSet;

void qmig_capset_clear(QmigCapSet *set);
void qmig_capset_add(QmigCapSet *set, unsigned cap);
void qmig_capset_remove(QmigCapSet *set, unsigned cap);
bool qmig_capset_has(const QmigCapSet *set, unsigned cap);
unsigned qmig_capset_count(const QmigCapSet *set);
bool qmig_capset_equal(const QmigCapSet *a, const QmigCapSet *b);
void qmig_capset_intersect(QmigCapSet *dst, const QmigCapSet *other);
void qmig_capset_union(QmigCapSet *dst, const QmigCapSet *other);

/* --- descriptors (generated, const) ------------------------------------ */

#define QMIG_ITEM_DEPRECATED 0x1u
#define QMIG_ITEM_UNSTABLE 0x2u

typedef struct QmigCapDesc {
    const char *name;
    QmigSide side;
    QmigHandshake handshake;
    const char *since;   /* NULL if unknown */
    unsigned flags;      /* QMIG_ITEM_* */
    uint32_t transports; /* bit per QmigTransport it works with; 0: any */
    /*
     * The schema's 'if' condition of the capability (the enum value of
     * MigrationCapability) as a C preprocessor expression, the way
     * QEMU's C generator writes it: "defined(CONFIG_A)",
     * "defined(CONFIG_A) && !defined(CONFIG_B)"; NULL if unconditional.
     */
    const char *ifcond;
} QmigCapDesc;

typedef enum QmigValueType {
    QMIG_VALUE_BOOL,        /* bool */
    QMIG_VALUE_INT,         /* int64_t storage, any signed width */
    QMIG_VALUE_UINT,        /* uint64_t storage, any unsigned width */
    QMIG_VALUE_ENUM,        /* int storage: index into enum_values */
    QMIG_VALUE_STR,         /* char * storage, owned */
    QMIG_VALUE_STR_OR_NULL, /* char * storage; JSON null reads as "" */
    QMIG_VALUE_STR_LIST,    /* QmigStrList storage */
    QMIG_VALUE_JSON,        /* char * storage: compact JSON text, opaque */
} QmigValueType;

/* A list of strings (e.g. cpr-exec-command); owned by the config. */
typedef struct QmigStrList {
    char **items;
    size_t len;
} QmigStrList;

/*
 * A check of a value's contents that libqmig makes as QEMU does, named
 * by the metadata ('value-check') because conditions cannot state it.
 */
typedef enum QmigValueCheck {
    QMIG_VALUE_CHECK_NONE,
    /* block-bitmap-mapping: structure, then well-formed, short enough
     * and one-to-one aliases (check_dirty_bitmap_mig_alias_map()). */
    QMIG_VALUE_CHECK_BITMAP_ALIAS_MAP,
} QmigValueCheck;

typedef struct QmigParamDesc {
    const char *name;
    QmigValueType type;
    size_t offset;         /* of the value in the configuration struct */
    size_t present_offset; /* of its bool "present" flag */
    /* INT / UINT: the QAPI type's range; the stored value is 64-bit. */
    int64_t type_min;
    uint64_t type_max;
    /* ENUM: the values, and a mask of those the metadata allows. */
    const char *const *enum_values;
    unsigned n_enum_values;
    uint64_t allowed_enum_mask; /* 0: all */
    /*
     * ENUM: parallel to enum_values, each value's 'if' condition (a C
     * preprocessor expression, as for QmigCapDesc.ifcond), NULL for
     * unconditional values; the array itself is NULL when no value is
     * conditional.  A value exists only in QEMU builds where its
     * condition holds.
     */
    const char *const *enum_value_ifs;
    /* The default, when has_default. */
    bool has_default;
    int64_t default_int;   /* INT, and ENUM index */
    uint64_t default_uint; /* UINT */
    bool default_bool;
    const char *default_str; /* STR, STR_OR_NULL; STR_LIST: empty */
    /* Literal bounds (already within the type range) and parameter bounds. */
    uint64_t min, max; /* UINT; INT uses the signed views below */
    int64_t smin, smax;
    int min_param;         /* index of the parameter bounding from below, -1 */
    int max_param;         /* index of the parameter bounding from above, -1 */
    bool min_page_size;    /* at least the target page size */
    bool power_of_two;
    int range_rule;        /* index of its range rule, -1 if unrestricted */
    const char *unit;      /* "bytes", ..., or NULL */
    QmigSide side;
    QmigHandshake handshake;
    const char *since;
    unsigned flags;        /* QMIG_ITEM_* */
    int capability;        /* index of the capability it tunes, -1 */
    QmigValueCheck value_check;
    const char *ifcond;    /* the member's 'if' (as above), NULL if none */
} QmigParamDesc;

typedef struct QmigRuleDesc {
    const char *id;
    const char *message;
    const char *const *names; /* capabilities and parameters involved */
    unsigned n_names;
    const char *origin;   /* where QEMU enforces it, or NULL */
    const char *location; /* "schema/features/multifd.json:30" */
    bool environment;     /* depends on host facts */
} QmigRuleDesc;

typedef struct QmigEnvDesc {
    const char *name;
    const char *description;
} QmigEnvDesc;

typedef struct QmigChannelDesc {
    const char *name;
    const char *pattern; /* "multifd/{index}" */
    bool indexed;
    int count_param;     /* index of the parameter giving the count, -1 */
    unsigned count;      /* when count_param is -1 */
    bool migrate_type;   /* migrate's 'channels' can name it (main, cpr) */
} QmigChannelDesc;

typedef enum QmigFeatureKind {
    QMIG_FEATURE_CAPABILITY,
    QMIG_FEATURE_PARAMETER,
} QmigFeatureKind;

/* One negotiable item of the migration handshake. */
typedef struct QmigHandshakeFeature {
    uint16_t id; /* stable wire id */
    const char *name;
    QmigFeatureKind kind;
    unsigned index; /* into caps or params */
    QmigHandshake treatment;
    const char *since;
} QmigHandshakeFeature;

typedef struct QmigViolations QmigViolations;

typedef struct QmigSchemaDesc {
    const char *name; /* e.g. "migration" */
    const QmigCapDesc *caps;
    unsigned n_caps;
    const QmigParamDesc *params;
    unsigned n_params;
    const QmigRuleDesc *rules;
    unsigned n_rules;
    const QmigEnvDesc *envs;
    unsigned n_envs;
    const QmigChannelDesc *channels;
    unsigned n_channels;
    const QmigHandshakeFeature *features;
    unsigned n_features;
    size_t config_size; /* sizeof the generated configuration struct */
    /* The generated rule checks; see qmig_config_validate(). */
    void (*validate)(const void *config, QmigViolations *out);
} QmigSchemaDesc;

/* Lookups by name; -1 if absent. */
int qmig_schema_find_cap(const QmigSchemaDesc *schema, const char *name);
int qmig_schema_find_param(const QmigSchemaDesc *schema, const char *name);
int qmig_schema_find_rule(const QmigSchemaDesc *schema, const char *id);

/* --- configurations ---------------------------------------------------- */

/*
 * The first member of every generated configuration struct.  Transport
 * and side are optional: rules about them apply only when they are set
 * (side: rules for one side apply when side is unset or that side).
 */
typedef struct QmigConfigHeader {
    const QmigSchemaDesc *schema;
    QmigCapSet caps;
    bool has_transport;
    QmigTransport transport;
    bool has_side;
    QmigSide side;       /* QMIG_SIDE_SOURCE or QMIG_SIDE_DESTINATION */
    uint64_t host_lacks; /* bit per QmigEnvDesc that does NOT hold */
    uint64_t target_page_size;
    /*
     * The channel types migrate was given in its 'channels' argument:
     * bit per QmigChannelDesc.  Without has_migrate_channels, migrate
     * was given a 'uri', which names the main channel only.
     */
    bool has_migrate_channels;
    uint32_t migrate_channels;
} QmigConfigHeader;

/*
 * Initialise @config (schema->config_size bytes): no capabilities, every
 * parameter absent, every host fact holding, 4 KiB target pages.
 */
void qmig_config_init(const QmigSchemaDesc *schema, void *config);

/* Release the strings and lists @config owns; it stays initialised. */
void qmig_config_clear(void *config);

/* Set every absent parameter that has a default to its default. */
void qmig_config_apply_defaults(void *config);

/* Whether parameter @param is present. */
bool qmig_config_param_present(const void *config, unsigned param);

/*
 * Typed access by index; the setters check type and range and fail
 * with an error naming the parameter.  Getters return the value, or
 * the default when absent (0/false/NULL without one).
 */
bool qmig_config_set_bool(void *config, unsigned param, bool value,
                          QmigError **errp);
bool qmig_config_set_int(void *config, unsigned param, int64_t value,
                         QmigError **errp);
bool qmig_config_set_uint(void *config, unsigned param, uint64_t value,
                          QmigError **errp);
bool qmig_config_set_enum(void *config, unsigned param, const char *value,
                          QmigError **errp);
/* STR, STR_OR_NULL (NULL reads as ""), JSON (text must be valid JSON). */
bool qmig_config_set_str(void *config, unsigned param, const char *value,
                         QmigError **errp);
bool qmig_config_get_bool(const void *config, unsigned param);
int64_t qmig_config_get_int(const void *config, unsigned param);
uint64_t qmig_config_get_uint(const void *config, unsigned param);
/* ENUM: the value's name; NULL if absent without default. */
const char *qmig_config_get_enum(const void *config, unsigned param);
const char *qmig_config_get_str(const void *config, unsigned param);

/* --- validation -------------------------------------------------------- */

#define QMIG_VIOLATIONS_MAX 256

/* The broken rules of one validation, in rule order. */
struct QmigViolations {
    const QmigRuleDesc *items[QMIG_VIOLATIONS_MAX];
    unsigned count;
};

/* Record that rule @rule (an index into schema->rules) is broken. */
void qmig_violations_add(QmigViolations *out, const QmigSchemaDesc *schema,
                         unsigned rule);

/*
 * Check @config against every rule of its schema (schema->validate, the
 * generated checks, range rules included) and record each broken one in
 * @out (which is reset first): all violations, not only the first.
 * Absent parameters count as their defaults.  Returns true when there is
 * none.  Allocates nothing.
 */
bool qmig_config_validate(const void *config, QmigViolations *out);

/*
 * Helpers for generated rule checks: the effective value of a parameter
 * (present value, else default), and the generic range check of a
 * parameter (type range, literal and parameter bounds, power of two,
 * allowed enum values).  True when in range.
 */
int64_t qmig_config_effective_int(const void *config, unsigned param);
uint64_t qmig_config_effective_uint(const void *config, unsigned param);
bool qmig_config_effective_bool(const void *config, unsigned param);
int qmig_config_effective_enum(const void *config, unsigned param);
/* STR, STR_OR_NULL and STR_LIST: whether the effective value is empty. */
bool qmig_config_effective_empty(const void *config, unsigned param);
bool qmig_config_param_in_range(const void *config, unsigned param);

/* --- channels ---------------------------------------------------------- */

/*
 * Channel names: the pattern with "{index}" replaced by the decimal
 * index ("multifd/3").  Format returns the length written (without the
 * NUL), or -1 when @size is too small.  Parse finds the channel kind
 * and index of @name; false when it is not a valid name of the schema
 * (unknown kind, index with a leading zero or out of unsigned range).
 */
int qmig_channel_format(const QmigChannelDesc *channel, unsigned index,
                        char *buf, size_t size);
bool qmig_channel_parse(const QmigSchemaDesc *schema, const char *name,
                        unsigned *channel, unsigned *index);

/* One expected connection of a migration. */
typedef struct QmigChannelRef {
    unsigned channel; /* index into schema->channels */
    unsigned index;   /* 0 for single channels */
} QmigChannelRef;

#ifdef __cplusplus
}
#endif

#endif /* QMIG_CONFIG_H */
