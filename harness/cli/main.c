/* harness/cli/main.c - the duckfeed command: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "harness/bench/bench.h"
#include "harness/cli/merge.h"
#include "harness/cli/run.h"
#include "harness/http/client.h"
#include "harness/plot/plot.h"
#include "harness/report/report.h"
#include "harness/serve/serve.h"
#include "harness/store/validate.h"
#include "harness/suite/suite.h"
#include "models/model.h"
#include "workloads/registry.h"

static const char intro[] =
    "usage: duckfeed COMMAND [options]   (duckfeed COMMAND --help for more)\n"
    "A testbed comparing how Python web apps' concurrency models behave:\n"
    "process pool (WSGI prefork), threads under a GIL (WSGI threads), and a\n"
    "coroutine event loop (ASGI), on the same workloads.\n"
    "\n"
    "commands:\n";

/* A subcommand: its main gets argv from the command's name on. */
typedef int df_command_fn(int argc, char **argv);

typedef struct command {
    const char *name;
    df_command_fn *main;
    const char *help; /* one line for duckfeed --help */
} command;

static df_command_fn list_main;

/* The subcommands, in --help order: a new one is one line here. */
static const command commands[] = {
    { "run", df_run_main,
      "run a sweep of points and write a results JSON file" },
    { "merge", df_merge_main,
      "fold the parts of a plan run on other machines into one results file" },
    { "suite", df_suite_main,
      "run named suites (harness/suite/suites), plot them, write the report" },
    { "plot", df_plot_main,
      "turn a results file into data tables and gnuplot images" },
    { "report", df_report_main,
      "rewrite results/REPORT.md from the results already there" },
    { "serve", df_serve_main,
      "serve HTTP/1.1 on 127.0.0.1 with a model, as its real server does" },
    { "list", list_main, "models and workloads, with their parameters" },
    { "validate", df_validate_main, "check a results file against the schema" },
    { "bench", df_bench_main,
      "measure duckfeed's own costs (switches, locks, harness)" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(void)
{
    fputs(intro, stdout);
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].help);
    printf("  %-10s %s\n", "--version", "print the version");
}

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
    /* #14: the load generator is a model the harness defines; registered
     * here, every command (run, plot, report, list) finds it by name. */
    DF_CHECK(df_model_register(&df_http_target_model) == 0);
    if (argc < 2) {
        fprintf(stderr, "duckfeed: no command given (see duckfeed --help)\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        print_usage();
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("duckfeed %s\n", DF_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "duckfeed: unknown command \"%s\" (see duckfeed --help)\n",
            cmd);
    return 2;
}
