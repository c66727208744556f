/*
 * fuzz-config.c - libFuzzer target for configuration decoding and
 * validation (libqmig's JSON codec plus the generated validator).
 *
 * Each input is a configuration document as qmig-validate reads it.
 * Checks the documented contract: decoding either succeeds, or fails
 * with an error message; a decoded configuration validates without
 * crashing, encodes back to JSON, and that JSON decodes again to a
 * configuration that validates the same way.
 *
 * Built with -DQMIG_FUZZ_REPLAY it gets a main() that replays files or
 * directories given on the command line (the seed corpus, as a test).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz-config: contract violated: %s\n", #cond);   \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int last_status;

static void round_trip(const QmigMigrationConfig *config,
                       const QmigViolations *first)
{
    QmigError *err = NULL;
    char *json = qmig_config_to_json(config, false, &err);
    /* json-c holds every value a decoded configuration can have
     * (uint64 included): encoding never fails. */
    FUZZ_CHECK(json != NULL);
    qmig_error_free(err);
    QmigMigrationConfig again;
    qmig_migration_config_init(&again);
    again.header.has_transport = config->header.has_transport;
    again.header.transport = config->header.transport;
    again.header.has_side = config->header.has_side;
    again.header.side = config->header.side;
    FUZZ_CHECK(qmig_config_from_json(&again, json, strlen(json), NULL));
    QmigViolations second;
    qmig_config_validate(&again, &second);
    FUZZ_CHECK(second.count == first->count);
    for (unsigned i = 0; i < first->count; i++) {
        FUZZ_CHECK(second.items[i] == first->items[i]);
    }
    qmig_config_clear(&again);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QmigMigrationConfig config;
    qmig_migration_config_init(&config);
    QmigError *err = NULL;
    if (!qmig_config_from_json(&config, (const char *)data, size, &err)) {
        FUZZ_CHECK(err != NULL && qmig_error_message(err)[0] != '\0');
        qmig_error_free(err);
        qmig_config_clear(&config);
        last_status = 2;
        return 0;
    }
    FUZZ_CHECK(err == NULL);
    QmigViolations violations;
    bool valid = qmig_config_validate(&config, &violations);
    FUZZ_CHECK(valid == (violations.count == 0));
    char *report = qmig_violations_to_json(&violations, NULL);
    FUZZ_CHECK(report != NULL);
    free(report);
    round_trip(&config, &violations);
    qmig_config_clear(&config);
    last_status = valid ? 0 : 1;
    return 0;
}

#ifdef QMIG_FUZZ_REPLAY
#include "replay.h"
#endif
