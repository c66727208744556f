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

#include <dirent.h>
#include <sys/stat.h>

static unsigned n_inputs, n_accepted, n_rejected;
static int verbose;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            char *nbuf;
            cap = cap ? cap * 2 : 4096;
            nbuf = realloc(buf, cap);
            if (!nbuf) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nbuf;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        perror(path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);

    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
    n_inputs++;
    if (last_status == 0) {
        n_accepted++;
    } else {
        n_rejected++;
    }
    if (verbose) {
        printf("%s: exit %d\n", path, last_status);
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int ret = 0;

    if (!d) {
        perror(dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            char **nn;
            cap = cap ? cap * 2 : 64;
            nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                ret = -1;
                break;
            }
            names = nn;
        }
        names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
        if (!names[n]) {
            ret = -1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    for (i = 0; i < n; i++) {
        struct stat st;
        if (ret == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(names[i]) < 0) {
                ret = -1;
            }
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    int i, ret = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;

        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            ret = 1;
        } else if (S_ISDIR(st.st_mode)) {
            if (replay_dir(argv[i]) < 0) {
                ret = 1;
            }
        } else if (replay_file(argv[i]) < 0) {
            ret = 1;
        }
    }
    if (n_inputs == 0) {
        fprintf(stderr, "fuzz-replay: no inputs\n");
        return 1;
    }
    printf("fuzz-replay: %u inputs replayed, %u accepted, %u rejected\n",
           n_inputs, n_accepted, n_rejected);
    return ret;
}

#endif /* QMIG_FUZZ_REPLAY */
