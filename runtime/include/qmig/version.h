/*
 * qmig/version.h - the libqmig version, checked by generated code.
 *
 * Generated headers refuse to compile against a runtime whose major
 * version differs from the one they were generated for, or whose minor
 * version is older (see QMIG_RUNTIME_CHECK in generated headers).
 */
#ifndef QMIG_VERSION_H
#define QMIG_VERSION_H

#define QMIG_RUNTIME_VERSION_MAJOR 0
#define QMIG_RUNTIME_VERSION_MINOR 1
#define QMIG_RUNTIME_VERSION_MICRO 0

/* major * 10000 + minor * 100 + micro */
#define QMIG_RUNTIME_VERSION_NUMBER                                          \
    (QMIG_RUNTIME_VERSION_MAJOR * 10000 + QMIG_RUNTIME_VERSION_MINOR * 100 + \
     QMIG_RUNTIME_VERSION_MICRO)

#define QMIG_RUNTIME_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually linked (QMIG_RUNTIME_VERSION_NUMBER). */
unsigned qmig_runtime_version(void);

#ifdef __cplusplus
}
#endif

#endif /* QMIG_VERSION_H */
