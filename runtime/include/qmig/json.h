/*
 * qmig/json.h - configurations to and from JSON, built on json-c.
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
 * range and malformed JSON are errors whose message names the JSON path
 * ("parameters.multifd-channels: ..."); type errors of parameter values
 * continue with QEMU's text ("Parameter 'multifd-channels' expects
 * uint8_t").  Unsigned parameters take 0 .. 2^64-1 exactly, and, as in
 * QEMU, a negative integer wraps to 2^64 + value, and an integer beyond
 * the 64-bit ranges is a real, as QEMU's parser reads it.  Duplicate
 * keys are accepted, the last value winning (json-c 0.16;
 * docs/qmig-validate.rst).  Values
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
 * Check that @len bytes of @text are one JSON value as libqmig reads
 * JSON: strict syntax, UTF-8, no NUL byte and no \u0000 in a string,
 * finite numbers.  True, or false with a message of the form "invalid
 * JSON at line L, column C: WHAT" (without a position when the parser
 * gives none), in the library's words, never the JSON parser's.  For
 * programs that read other JSON documents and want the same messages.
 */
bool qmig_json_check(const char *text, size_t len, QmigError **errp);

/*
 * Decode @len bytes of JSON into @config, which must be initialised
 * (qmig_config_init()) and is updated in place: capabilities named in
 * the document are set or cleared, parameters named are set.  On error
 * @config may be partly updated.
 */
bool qmig_config_from_json(void *config, const char *text, size_t len,
                           QmigError **errp);

/*
 * Called for each parameter whose value QEMU's migrate-set-parameters
 * would refuse (@param indexes the schema's parameters; @message is
 * QEMU's text, e.g. "Parameter 'multifd-channels' expects uint8_t").
 * The message is valid only during the call.
 */
typedef void QmigRefusedParamFn(void *opaque, unsigned param,
                                const char *message);

/*
 * As qmig_config_from_json(), but a parameter value QEMU's QMP visitor
 * would refuse (wrong JSON type, outside its QAPI type, an unknown enum
 * value, a malformed block-bitmap-mapping) is not an error: @refused
 * hears of it, the parameter stays unset, and decoding goes on.  QEMU
 * checks capabilities before it reads parameters, so a validator that
 * wants QEMU's answer must still check the capability rules then.
 * Every other error (malformed JSON, unknown names) still fails.
 */
bool qmig_config_from_json_refusing(void *config, const char *text,
                                    size_t len, QmigRefusedParamFn *refused,
                                    void *opaque, QmigError **errp);

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
