/*
 * replay.h - a main() for libFuzzer targets, to replay a corpus.
 *
 * Included by a fuzz target built with -DQMIG_FUZZ_REPLAY, after its
 * LLVMFuzzerTestOneInput() and a "static int last_status" that the
 * target sets to 0 for accepted inputs.  Feeds each file named on the
 * command line, or each file in a named directory (sorted), to the
 * target; "-v" prints one line per input.  Meson runs it over the
 * committed seed corpora as tests.
 */
#ifndef QMIG_FUZZ_REPLAY_H
#define QMIG_FUZZ_REPLAY_H

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

#endif /* QMIG_FUZZ_REPLAY_H */
