/*
 * meta.h - the checked model of the migration metadata.
 *
 * Metadata files (docs/metadata-language.rst) state, in QAPI syntax,
 * the facts about migration capabilities and parameters that QEMU keeps
 * in C and prose: sides, handshake treatment, requirements, conflicts,
 * ranges, defaults, units, channels and validation rules.  This stage
 * reads them, resolves every name against the checked QAPI schema, and
 * checks them for consistency.  Emitters walk the result.
 *
 * Every node keeps the location of the metadata expression it came
 * from.  The model is arena memory owned by the front end.
 */
#ifndef QMIG_META_H
#define QMIG_META_H

#include <stdbool.h>
#include <stdint.h>

#include "schema.h"
#include "source.h"

/* The QAPI definitions the metadata describes. */
#define QMIG_META_CAPABILITY_ENUM "MigrationCapability"
/* The channel types migrate's 'channels' argument can name. */
#define QMIG_META_CHANNEL_TYPE_ENUM "MigrationChannelType"
#define QMIG_META_PARAMETER_STRUCT "MigrationParameters"

typedef enum QmigSide {
    QMIG_SIDE_SOURCE,
    QMIG_SIDE_DESTINATION,
    QMIG_SIDE_BOTH,
    QMIG_SIDE_MATCH,
} QmigSide;

typedef enum QmigHandshake {
    QMIG_HANDSHAKE_ADOPT,
    QMIG_HANDSHAKE_INTERSECT,
    QMIG_HANDSHAKE_LOCAL,
} QmigHandshake;

typedef enum QmigStatus {
    QMIG_STATUS_STABLE,
    QMIG_STATUS_UNSTABLE,
    QMIG_STATUS_DEPRECATED,
} QmigStatus;

/* Transports, in the order of qmig_transport_names. */
typedef enum QmigTransport {
    QMIG_TRANSPORT_TCP,
    QMIG_TRANSPORT_UNIX,
    QMIG_TRANSPORT_VSOCK,
    QMIG_TRANSPORT_FD,
    QMIG_TRANSPORT_EXEC,
    QMIG_TRANSPORT_RDMA,
    QMIG_TRANSPORT_FILE,
    QMIG__TRANSPORT_MAX,
} QmigTransport;

extern const char *const qmig_side_names[];
extern const char *const qmig_handshake_names[];
extern const char *const qmig_status_names[];
extern const char *const qmig_transport_names[];
extern const char *const qmig_unit_names[];
extern const char *const qmig_value_check_names[];

/*
 * Checks of a value's contents that conditions over the configuration
 * cannot state; each is code in libqmig (QmigValueCheck in
 * qmig/config.h), named by the metadata.
 */
typedef enum QmigMetaValueCheck {
    QMIG_META_VALUE_CHECK_NONE,
    QMIG_META_VALUE_CHECK_BITMAP_ALIAS_MAP,
} QmigMetaValueCheck;

typedef enum QmigUnit {
    QMIG_UNIT_NONE,
    QMIG_UNIT_BYTES,
    QMIG_UNIT_BYTES_PER_SECOND,
    QMIG_UNIT_MEGABYTES_PER_SECOND,
    QMIG_UNIT_MILLISECONDS,
    QMIG_UNIT_PERCENT,
    QMIG_UNIT_COUNT,
    QMIG_UNIT_LEVEL,
    QMIG__UNIT_MAX,
} QmigUnit;

/* How a parameter's QAPI type looks to validation. */
typedef enum QmigParamKind {
    QMIG_PARAM_INT,
    QMIG_PARAM_BOOL,
    QMIG_PARAM_ENUM,
    QMIG_PARAM_STR,         /* 'str' */
    QMIG_PARAM_STR_OR_NULL, /* an alternate of str and null */
    QMIG_PARAM_LIST,
    QMIG_PARAM_OTHER, /* objects and other alternates: no checks apply */
} QmigParamKind;

/*
 * An integer of any QAPI integer type: int64 and uint64 both fit.
 * Arithmetic is only ever comparison.
 */
typedef struct QmigInt {
    bool negative;
    uint64_t magnitude;
} QmigInt;

int qmig_int_cmp(QmigInt a, QmigInt b);

typedef struct QmigMetaCap QmigMetaCap;
typedef struct QmigMetaParam QmigMetaParam;
typedef struct QmigMetaChannel QmigMetaChannel;
typedef struct QmigMetaEnv QmigMetaEnv;

typedef enum QmigCondKind {
    QMIG_COND_CAP,       /* capability enabled */
    QMIG_COND_COMPARE,   /* parameter OP value */
    QMIG_COND_TRANSPORT, /* transport OP name */
    QMIG_COND_SIDE,      /* side == source/destination */
    QMIG_COND_HOST,      /* host:FACT */
    QMIG_COND_CHANNEL,   /* channel:NAME, given to the migrate command */
    QMIG_COND_RANGE,     /* a parameter violates its range (derived rules) */
    QMIG_COND_ALL,
    QMIG_COND_ANY,
    QMIG_COND_NOT,
} QmigCondKind;

typedef enum QmigCmpOp {
    QMIG_CMP_EQ,
    QMIG_CMP_NE,
    QMIG_CMP_LT,
    QMIG_CMP_LE,
    QMIG_CMP_GT,
    QMIG_CMP_GE,
} QmigCmpOp;

extern const char *const qmig_cmp_op_names[];

typedef enum QmigOperandKind {
    QMIG_OPERAND_INT,
    QMIG_OPERAND_BOOL,
    QMIG_OPERAND_ENUM,       /* an enum value */
    QMIG_OPERAND_EMPTY_STR,  /* "" */
    QMIG_OPERAND_EMPTY_LIST, /* [] */
    QMIG_OPERAND_PARAM,      /* @other */
} QmigOperandKind;

typedef struct QmigOperand {
    QmigOperandKind kind;
    QmigInt integer;
    bool boolean;
    const char *enum_value;
    int enum_index;
    QmigMetaParam *param;
} QmigOperand;

typedef struct QmigCond {
    QmigCondKind kind;
    const char *text; /* the atom as written; NULL for all/any/not */
    const char *lhs;  /* atom words: name or fact, and the compared value */
    const char *rhs;
    const QmigInfo *info; /* the expression the atom is written in */
    const char *where;    /* "rule 'x'", for diagnostics */
    QmigMetaCap *cap;
    QmigMetaParam *param; /* COMPARE, RANGE */
    QmigCmpOp op;
    QmigOperand operand;
    QmigTransport transport;
    QmigSide side;
    QmigMetaEnv *env;
    QmigMetaChannel *channel; /* CHANNEL */
    struct QmigCond **operands; /* ALL, ANY: n_operands; NOT: one */
    size_t n_operands;
} QmigCond;

typedef enum QmigRuleOrigin {
    QMIG_RULE_EXPLICIT,
    QMIG_RULE_REQUIRES,
    QMIG_RULE_CONFLICTS,
    QMIG_RULE_TRANSPORT,
    QMIG_RULE_RANGE,
} QmigRuleOrigin;

typedef struct QmigMetaRule {
    const char *id;
    const QmigInfo *info;
    QmigRuleOrigin origin_kind;
    QmigCond *when; /* the configuration is invalid when this holds */
    const char *message;
    const char *origin; /* where QEMU enforces it, for the docs */
    QmigPtrVec names;   /* const char *: capabilities and parameters involved */
    bool environment;   /* depends on host:FACT atoms */
    /* REQUIRES / CONFLICTS: the two capabilities; RANGE: the parameter */
    QmigMetaCap *cap;
    QmigMetaCap *other;
    const char *other_name;
    QmigMetaParam *param;
} QmigMetaRule;

struct QmigMetaCap {
    const char *name;
    const QmigInfo *info;  /* the metadata expression */
    QmigMember *qapi;      /* the MigrationCapability value */
    unsigned index;        /* position in the QAPI enum */
    QmigSide side;
    QmigHandshake handshake;
    const char *since;
    QmigStatus status;
    QmigPtrVec requires;  /* QmigMetaRule *, declared here */
    QmigPtrVec conflicts; /* QmigMetaRule *, declared here */
    unsigned transports;  /* bit per QmigTransport; 0: any */
    QmigMetaRule *transport_rule;
    QmigPtrVec channels; /* QmigMetaChannel * */
    QmigPtrVec parameters; /* QmigMetaParam * that name this capability */
};

typedef enum QmigBoundKind {
    QMIG_BOUND_NONE,
    QMIG_BOUND_LITERAL,
    QMIG_BOUND_PARAM,
    QMIG_BOUND_HOST, /* $target-page-size */
} QmigBoundKind;

typedef struct QmigBound {
    QmigBoundKind kind;
    QmigInt value; /* LITERAL; HOST: the value validators assume */
    QmigMetaParam *param;
    const char *host;
    const char *text; /* as written */
} QmigBound;

struct QmigMetaParam {
    const char *name;
    const QmigInfo *info;
    QmigMember *qapi;
    unsigned index; /* position in the QAPI struct */
    QmigParamKind kind;
    const QmigEntity *type; /* the QAPI type, resolved */
    QmigInt type_min, type_max; /* INT: the range of the QAPI type */
    QmigMetaCap *capability;
    QmigSide side;
    QmigHandshake handshake;
    const char *since;
    QmigStatus status;
    bool has_default;
    QmigInt default_int;
    bool default_bool;
    const char *default_str; /* ENUM value, STR text */
    const char *default_text; /* as written, for docs and dumps */
    QmigBound min, max;
    bool power_of_two;
    QmigPtrVec values; /* ENUM: allowed values (const char *), empty: all */
    QmigUnit unit;
    QmigMetaValueCheck value_check;
    QmigMetaRule *range_rule; /* NULL when nothing restricts the value */
    /* As written, until the type is known: */
    const QmigValue *default_value;
    const char *range_rule_id;
    const char *range_message;
};

struct QmigMetaChannel {
    const char *name;
    const QmigInfo *info;
    const char *pattern;
    bool indexed; /* pattern has {index} */
    QmigMetaParam *count_param;
    QmigInt count; /* when count_param is NULL */
    QmigCond *enabled_by; /* NULL: always */
    QmigPtrVec after;     /* QmigMetaChannel * */
    /* a value of MigrationChannelType: migrate's 'channels' can name it */
    bool migrate_type;
};

struct QmigMetaEnv {
    const char *name;
    const QmigInfo *info;
    const char *description;
};

/*
 * A check: the rules one of QEMU's check functions makes, in the order
 * it makes them.  QEMU reports the first rule that fails, so the order
 * is part of its behaviour; the QEMU target of the C emitter generates
 * one function per check.
 */
typedef struct QmigMetaCheckItem {
    const char *text;          /* as written: a rule id or 'value-check:P' */
    QmigMetaRule *rule;        /* a rule, or */
    QmigMetaParam *value_check; /* the value check of a parameter */
} QmigMetaCheckItem;

typedef struct QmigMetaCheck {
    const char *name;
    const QmigInfo *info;
    const char *function; /* the QEMU function it stands for, or NULL */
    QmigPtrVec items;     /* QmigMetaCheckItem *, in order */
} QmigMetaCheck;

typedef struct QmigMetaWaiver {
    const char *name;
    const QmigInfo *info;
    const char *reason;
} QmigMetaWaiver;

/* Host values bounds may use, and what validators assume for them. */
#define QMIG_HOST_TARGET_PAGE_SIZE_DEFAULT 4096

typedef struct QmigMetadata {
    const QmigEntity *cap_enum;     /* MigrationCapability */
    const QmigEntity *param_struct; /* MigrationParameters */
    QmigPtrVec caps;     /* QmigMetaCap *, in QAPI enum order (covered ones) */
    QmigPtrVec params;   /* QmigMetaParam *, in QAPI member order */
    QmigPtrVec rules;    /* QmigMetaRule *, declaration order */
    QmigPtrVec channels; /* QmigMetaChannel *, declaration order */
    QmigPtrVec envs;     /* QmigMetaEnv * */
    QmigPtrVec waivers;  /* QmigMetaWaiver * */
    QmigPtrVec checks;   /* QmigMetaCheck *, declaration order */
    QmigPtrVec files;    /* const char *: metadata files read, in order */
} QmigMetadata;

/*
 * Read the metadata in @path (a directory of *.json files or a single
 * file) and check it against @schema.  Leaves through qmig_error() on
 * errors; name errors are all reported before leaving.
 */
QmigMetadata *qmig_meta_load(QmigCtx *ctx, const QmigSchema *schema,
                         const char *path);

QmigMetaCap *qmig_meta_cap(const QmigMetadata *meta, const char *name);
QmigMetaParam *qmig_meta_param(const QmigMetadata *meta, const char *name);
QmigMetaChannel *qmig_meta_channel(const QmigMetadata *meta, const char *name);

#endif /* QMIG_META_H */
