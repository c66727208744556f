/*
 * bench-check.c - time `qmig-gen check SCHEMA` as a separate process.
 *
 * Usage: bench-check [-n RUNS] [-w WARMUP] [-l LABEL] [-k KIB] [-p PRAGMA]
 *                    QMIG_GEN SCHEMA...
 *
 * For each schema, runs QMIG_GEN check [--pragma PRAGMA] SCHEMA RUNS
 * times (default 50) by fork/exec, after WARMUP untimed runs (default
 * 2), and prints one line:
 *
 *   LABEL  KIB KiB  runs N  median X ms  p90 Y ms  max-rss Z MiB  T us/KiB
 *
 * Wall time is measured around fork..wait4 with CLOCK_MONOTONIC; peak
 * RSS is the largest ru_maxrss wait4() reported.  KIB is the schema
 * size used for the per-KiB figure: by default the total size of the
 * *.json files in the schema's directory.  The program's output goes to
 * /dev/null; a run that does not exit 0 stops the benchmark (exit 1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* wait4() is not in POSIX; declare it rather than widen feature macros. */
pid_t wait4(pid_t pid, int *status, int options, struct rusage *rusage);

static void usage(FILE *f)
{
    fprintf(f, "usage: bench-check [-n RUNS] [-w WARMUP] [-l LABEL] "
               "[-k KIB] [-p PRAGMA] [-c COMMAND] [-a ARG]... "
               "QMIG_GEN SCHEMA...\n"
               "  -c COMMAND  qmig-gen command to time (default check)\n"
               "  -a ARG      one more argument before SCHEMA (repeatable)\n");
}

static double dir_json_kib(const char *schema)
{
    char *dir = strdup(schema);
    char *slash;
    DIR *d;
    struct dirent *de;
    double total = 0;

    if (!dir) {
        return 0;
    }
    slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        strcpy(dir, ".");
    }
    d = opendir(dir);
    if (d) {
        while ((de = readdir(d)) != NULL) {
            size_t len = strlen(de->d_name);
            char path[4096];
            struct stat st;

            if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0) {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                total += (double)st.st_size;
            }
        }
        closedir(d);
    }
    free(dir);
    return total / 1024.0;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run once; store wall time and peak RSS (KiB).  Returns exit status. */
static int run_once(char **argv, double *ms, long *rss_kib)
{
    struct rusage ru;
    double t0 = now_ms();
    int status;
    pid_t pid = fork();

    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return -1;
        }
    }
    *ms = now_ms() - t0;
    *rss_kib = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static double percentile(const double *v, int n, double p)
{
    int rank = (int)(p / 100.0 * n + 0.999999);

    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return v[rank - 1];
}

int main(int argc, char **argv)
{
    int runs = 50, warmup = 2, opt, i, ret = 0;
    const char *label = NULL, *pragma = NULL, *command = "check";
    char *extra[16];
    int n_extra = 0;
    double kib_opt = -1;

    while ((opt = getopt(argc, argv, "n:w:l:k:p:c:a:h")) != -1) {
        switch (opt) {
        case 'c':
            command = optarg;
            break;
        case 'a':
            if (n_extra == 16) {
                fprintf(stderr, "bench-check: too many -a\n");
                return 2;
            }
            extra[n_extra++] = optarg;
            break;
        case 'n':
            runs = atoi(optarg);
            break;
        case 'w':
            warmup = atoi(optarg);
            break;
        case 'l':
            label = optarg;
            break;
        case 'k':
            kib_opt = atof(optarg);
            break;
        case 'p':
            pragma = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (runs < 1 || warmup < 0 || argc - optind < 2) {
        usage(stderr);
        return 2;
    }

    for (i = optind + 1; i < argc; i++) {
        const char *schema = argv[i];
        char *cargv[24];
        double *ms = calloc((size_t)runs, sizeof(*ms));
        double kib = kib_opt >= 0 ? kib_opt : dir_json_kib(schema);
        double median;
        long rss, max_rss = 0;
        int k = 0, r, rc;

        if (!ms) {
            perror("calloc");
            return 1;
        }
        cargv[k++] = argv[optind];
        cargv[k++] = (char *)command;
        if (pragma) {
            cargv[k++] = (char *)"--pragma";
            cargv[k++] = (char *)pragma;
        }
        for (int e = 0; e < n_extra; e++) {
            cargv[k++] = extra[e];
        }
        cargv[k++] = (char *)schema;
        cargv[k] = NULL;

        for (r = 0; r < warmup + runs; r++) {
            double t;

            rc = run_once(cargv, &t, &rss);
            if (rc != 0) {
                fprintf(stderr, "bench-check: %s %s %s: exit %d\n",
                        argv[optind], command, schema, rc);
                free(ms);
                return 1;
            }
            if (r >= warmup) {
                ms[r - warmup] = t;
                if (rss > max_rss) {
                    max_rss = rss;
                }
            }
        }
        qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
        median =
            runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2.0;
        printf("%-12s %9.1f KiB  runs %3d  median %9.2f ms  p90 %9.2f ms"
               "  max-rss %8.2f MiB  %7.2f us/KiB\n",
               label ? label : schema, kib, runs, median,
               percentile(ms, runs, 90.0), (double)max_rss / 1024.0,
               kib > 0 ? median * 1000.0 / kib : 0.0);
        fflush(stdout);
        free(ms);
    }
    return ret;
}
