/*
 * bench-validate - how long libqmig takes to validate a configuration,
 * and to decode one from JSON and validate it.
 *
 * Both are measured in process, in batches: a batch runs the operation
 * many times and gives the mean per call; the figure printed is the
 * median over batches, which shrugs off the odd interrupted batch.
 * Targets: validation <= 1 us, decode + validation <= 20 us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"

#define BATCHES 21

/* Every parameter set, several capabilities: the full configuration. */
static const char full_config[] =
    "{\"capabilities\": ["
    " {\"capability\": \"multifd\", \"state\": true},"
    " {\"capability\": \"postcopy-ram\", \"state\": true},"
    " {\"capability\": \"postcopy-preempt\", \"state\": true},"
    " {\"capability\": \"return-path\", \"state\": true},"
    " {\"capability\": \"switchover-ack\", \"state\": true},"
    " {\"capability\": \"events\", \"state\": true},"
    " {\"capability\": \"auto-converge\", \"state\": true}],"
    " \"parameters\": {"
    " \"announce-initial\": 50, \"announce-max\": 550,"
    " \"announce-rounds\": 5, \"announce-step\": 100,"
    " \"throttle-trigger-threshold\": 50, \"cpu-throttle-initial\": 20,"
    " \"cpu-throttle-increment\": 10, \"cpu-throttle-tailslow\": false,"
    " \"tls-creds\": \"\", \"tls-hostname\": \"\", \"tls-authz\": \"\","
    " \"max-bandwidth\": 134217728, \"avail-switchover-bandwidth\": 0,"
    " \"downtime-limit\": 300, \"x-checkpoint-delay\": 20000,"
    " \"multifd-channels\": 8, \"multifd-compression\": \"none\","
    " \"multifd-zlib-level\": 1, \"multifd-qatzip-level\": 1,"
    " \"multifd-zstd-level\": 1, \"xbzrle-cache-size\": 67108864,"
    " \"max-postcopy-bandwidth\": 0, \"max-cpu-throttle\": 99,"
    " \"x-vcpu-dirty-limit-period\": 1000, \"vcpu-dirty-limit\": 1,"
    " \"mode\": \"normal\", \"zero-page-detection\": \"multifd\","
    " \"direct-io\": false, \"cpr-exec-command\": [],"
    " \"block-bitmap-mapping\": []},"
    " \"transport\": \"tcp\", \"side\": \"source\"}";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile unsigned sink;

static double bench_validate(const QmigMigrationConfig *config, long iters)
{
    double per_call[BATCHES];
    QmigViolations v;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            qmig_config_validate(config, &v);
            sink += v.count;
        }
        per_call[b] = (now_ns() - t0) / (double)iters;
    }
    return median(per_call, BATCHES);
}

static double bench_decode(long iters)
{
    double per_call[BATCHES];
    size_t len = strlen(full_config);
    QmigViolations v;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            QmigMigrationConfig config;
            qmig_migration_config_init(&config);
            if (!qmig_config_from_json(&config, full_config, len, NULL)) {
                fprintf(stderr, "bench-validate: full config rejected\n");
                exit(1);
            }
            qmig_config_validate(&config, &v);
            sink += v.count;
            qmig_config_clear(&config);
        }
        per_call[b] = (now_ns() - t0) / (double)iters;
    }
    return median(per_call, BATCHES);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    QmigMigrationConfig config;
    QmigError *err = NULL;
    qmig_migration_config_init(&config);
    if (!qmig_config_from_json(&config, full_config, strlen(full_config),
                               &err)) {
        fprintf(stderr, "bench-validate: %s\n", qmig_error_message(err));
        return 1;
    }
    QmigViolations v;
    if (!qmig_config_validate(&config, &v)) {
        fprintf(stderr, "bench-validate: the full configuration breaks %u "
                        "rules (%s first)\n", v.count, v.items[0]->id);
        return 1;
    }
    double validate_ns = bench_validate(&config, iters * 10);
    double decode_ns = bench_decode(iters);
    printf("validate (full configuration, %u rules): median %.3f us per "
           "call; target <= 1 us: %s\n",
           qmig_migration_schema.n_rules, validate_ns / 1000,
           validate_ns <= 1000 ? "met" : "MISSED");
    printf("decode JSON + validate (%zu bytes): median %.3f us per call; "
           "target <= 20 us: %s\n",
           strlen(full_config), decode_ns / 1000,
           decode_ns <= 20000 ? "met" : "MISSED");
    qmig_config_clear(&config);
    return 0;
}
