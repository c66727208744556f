/*
 * fuzz-frontend.c - libFuzzer target for the qmig-gen front end.
 *
 * Feeds the input bytes to the whole front end as one schema file named
 * "fuzz.json" (relative includes resolve against the current directory)
 * and checks the facade's documented contract: a successful run has a
 * model and no diagnostic; a failed run has a diagnostic that ends in a
 * newline and no model.
 *
 * Built with -DQMIG_FUZZ_REPLAY, the same file gets a main() that feeds
 * each file named on the command line, or each file in a named
 * directory, to LLVMFuzzerTestOneInput; meson runs it over the seed
 * corpus as a test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz-frontend: contract violated: %s\n", #cond); \
            abort();                                                          \
        }                                                                     \
    } while (0)

static int last_status;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QmigFrontEnd *fe = qmig_front_end_new();
    const char *err;
    int rc;

    FUZZ_CHECK(fe != NULL);
    rc = qmig_front_end_run_buffer(fe, "fuzz.json", (const char *)data, size);
    err = qmig_front_end_error(fe);
    if (rc == 0) {
        FUZZ_CHECK(err == NULL);
        FUZZ_CHECK(qmig_front_end_schema(fe) != NULL);
    } else {
        FUZZ_CHECK(rc == 1 || rc == 2);
        FUZZ_CHECK(err != NULL);
        FUZZ_CHECK(err[0] != '\0' && err[strlen(err) - 1] == '\n');
        FUZZ_CHECK(qmig_front_end_schema(fe) == NULL);
    }
    (void)qmig_front_end_memory(fe);
    qmig_front_end_free(fe);
    last_status = rc;
    return 0;
}

#ifdef QMIG_FUZZ_REPLAY
#include "replay.h"
#endif
