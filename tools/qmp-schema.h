/*
 * qmp-schema.h - what one QEMU binary's query-qmp-schema says about
 * migration.
 *
 * QEMU builds differ: enum values, members and commands with an 'if'
 * condition exist only in builds where it holds (zstd compression only
 * with CONFIG_ZSTD, the COLO commands only with CONFIG_REPLICATION).
 * query-qmp-schema describes the schema of the running binary, with the
 * names of types masked (numbers) but command, event and member names
 * and enum values real, so the reader walks from the commands:
 *
 *   migrate-set-capabilities -> arguments -> 'capabilities' (array)
 *       -> element -> 'capability' -> enum values
 *   migrate-set-parameters -> arguments -> members (the parameters),
 *       each enum-typed one -> enum values
 *   migrate -> arguments -> 'channels' (array) -> element -> 'addr'
 *       -> 'transport' enum values; branch 'socket' -> 'type' enum
 *       values; its branch 'unix' -> members
 *
 * The format is QEMU's qapi/introspect.json (SchemaInfo).  Input is the
 * whole QMP reply {"return": [...]} or the bare array.
 */
#ifndef QMIG_TOOLS_QMP_SCHEMA_H
#define QMIG_TOOLS_QMP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "qmig/config.h"
#include "qmig/error.h"
#include "qmig/json.h"

typedef struct QmpSchema QmpSchema;
struct json_object;

/* "a string", "an array", ...: the JSON type of @v, for messages. */
const char *qmp_json_kind(struct json_object *v);

/*
 * Parse @len bytes of one QMP reply (strict JSON, checked as libqmig
 * checks JSON); NULL with a message ("invalid JSON at line L, column
 * C: ...", or "empty file (expected @expected)") on failure.
 */
struct json_object *qmp_json_parse(const char *text, size_t len,
                                   const char *expected, QmigError **errp);

/*
 * Parse @len bytes of query-qmp-schema output.  Errors (malformed
 * JSON, not a schema, a migration command or the members the reader
 * walks through missing) get a message without a file name; NULL then.
 */
QmpSchema *qmp_schema_parse(const char *text, size_t len, QmigError **errp);
void qmp_schema_free(QmpSchema *schema);

bool qmp_schema_has_command(const QmpSchema *schema, const char *name);

/* A value of the capability enum of migrate-set-capabilities. */
bool qmp_schema_has_capability(const QmpSchema *schema, const char *name);

/* An argument of migrate-set-parameters. */
bool qmp_schema_has_parameter(const QmpSchema *schema, const char *name);

/*
 * Whether parameter @name (which must exist) accepts @value: 1 yes, 0
 * no, -1 when its type is not an enum.
 */
int qmp_schema_param_accepts(const QmpSchema *schema, const char *name,
                             const char *value);

/*
 * Whether @transport's address is in the binary's schema.  False when
 * it is not; then *member and *value are the discriminator and the
 * enum value QEMU rejects ("transport" / "rdma", "type" / "vsock").
 * True as well when the schema does not show transports (a QEMU without
 * the 'channels' argument of migrate, before 8.2).
 */
bool qmp_schema_has_transport(const QmpSchema *schema, QmigTransport transport,
                              const char **member, const char **value);

/* Whether the schema shows transports at all. */
bool qmp_schema_knows_transports(const QmpSchema *schema);

/*
 * Whether UnixSocketAddress has member @name: 1 yes, 0 no, -1 unknown
 * (transports not shown).
 */
int qmp_schema_unix_address_has(const QmpSchema *schema, const char *name);

#endif /* QMIG_TOOLS_QMP_SCHEMA_H */
