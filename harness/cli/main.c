/* harness/cli/main.c - the duckfeed command: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "harness/bench/bench.h"
#include "harness/cli/run.h"
#include "harness/plot/plot.h"
#include "harness/report/report.h"
#include "harness/suite/suite.h"
#include "harness/store/validate.h"
#include "models/model.h"
#include "workloads/registry.h"

static const char usage[] =
    "usage: duckfeed COMMAND [options]   (duckfeed COMMAND --help for more)\n"
    "A testbed comparing how Python web apps' concurrency models behave:\n"
    "process pool (WSGI prefork), threads under a GIL (WSGI threads), and a\n"
    "coroutine event loop (ASGI), on the same workloads.\n"
    "\n"
    "commands:\n"
    "  run        run a sweep of points and write a results JSON file\n"
    "  suite      run named suites (harness/suite/suites), plot them, write the report\n"
    "  plot       turn a results file into data tables and gnuplot images\n"
    "  report     rewrite results/REPORT.md from the results already there\n"
    "  list       models and workloads, with their parameters\n"
    "  validate   check a results file against the schema\n"
    "  bench      measure duckfeed's own costs (switches, locks, harness)\n"
    "  --version  print the version\n";

static int list_main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: duckfeed list [--plugin PATH.so ...]\n"
               "Lists the models and the workloads with their parameters.\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        df_err err = { 0 };
        if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
            if (df_registry_load_plugin(argv[++i], &err) < 0) {
                fprintf(stderr, "duckfeed list: %s\n", err.msg);
                return 2;
            }
            continue;
        }
        fprintf(stderr, "duckfeed list: unknown argument \"%s\"\n", argv[i]);
        return 2;
    }
    printf("models:\n");
    for (int i = 0; df_model_at(i); i++)
        printf("  %-10s %s\n", df_model_at(i)->name, df_model_at(i)->summary);
    printf("\n");
    df_registry_print(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "duckfeed: no command given (see duckfeed --help)\n");
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version")) {
        printf("duckfeed %s\n", DF_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return df_run_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "list"))
        return list_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "suite"))
        return df_suite_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot"))
        return df_plot_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return df_report_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate"))
        return df_validate_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return df_bench_main(argc - 1, argv + 1);
    fprintf(stderr, "duckfeed: unknown command \"%s\" (see duckfeed --help)\n", cmd);
    return 2;
}
