/*
 * qmig/json.h - configurations to and from JSON, built on jansson.
 *
 * The document is what a management tool would send QEMU, in one
 * object:
 *
 *   { "capabilities": [ { "capability": "multifd", "state": true } ],
 *     "parameters": { "multifd-channels": 4 },
 *     "transport": "tcp",
 *     "side": "source" }
 *
 * "capabilities" may also be an object { "multifd": true }.
 * "parameters" uses the member names and JSON types of
 * migrate-set-parameters / query-migrate-parameters.  Every member is
 * optional.  Unknown names, wrong types, values outside the QAPI type's
 * range, duplicate keys and malformed JSON are errors whose message
 * names the JSON path ("parameters.multifd-channels: ...").  Values
 * outside the *metadata* range decode fine: validation reports them,
 * with every other broken rule.
 */
#ifndef QMIG_JSON_H
#define QMIG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "qmig/config.h"
#include "qmig/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Decode @len bytes of JSON into @config, which must be initialised
 * (qmig_config_init()) and is updated in place: capabilities named in
 * the document are set or cleared, parameters named are set.  On error
 * @config may be partly updated.
 */
bool qmig_config_from_json(void *config, const char *text, size_t len,
                           QmigError **errp);

/*
 * Encode @config as a document of the shape above, capabilities as the
 * migrate-set-capabilities list (every capability, in schema order),
 * parameters in schema order (only present ones, or all with defaults
 * when @with_defaults).  Returns a NUL-terminated string the caller
 * frees with free(), or NULL on error.
 */
char *qmig_config_to_json(const void *config, bool with_defaults,
                          QmigError **errp);

/*
 * The validation report: {"valid": bool, "violations": [ {"rule": id,
 * "names": [...], "message": text} ]}.  Caller frees with free().
 */
char *qmig_violations_to_json(const QmigViolations *violations,
                              QmigError **errp);

#ifdef __cplusplus
}
#endif

#endif /* QMIG_JSON_H */
