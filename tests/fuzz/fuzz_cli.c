/* tests/fuzz/fuzz_cli.c - `duckfeed run`'s flags, lists and durations
 * (harness/cli/opt.c over run.c's option table). The input is an argv, one
 * argument per line. Bad input gets exit code 2 and exactly one line
 * "duckfeed run: ..." on stderr; accepted input leaves every list with 1
 * to DF_PLAN_MAX_LIST values, each within its option's limits.
 *
 * --plugin is left out of the table: it would dlopen whatever path the
 * fuzzer spells. Output is caught in memory streams (glibc lets stdout and
 * stderr be assigned), so --help and the messages cost no terminal and
 * can be checked; sanitizer reports still go to fd 2. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "harness/cli/opt.h"
#include "harness/cli/run.h"
#include "harness/sweep/plan.h"
#include "tests/fuzz/fuzz.h"

enum { MAX_ARGS = 64, MAX_ROWS = 64 };

static df_opt rows[MAX_ROWS];
static df_opt_cmd cmd;

/* run's table without --plugin, once. */
static void make_table(void)
{
    const df_opt_cmd *run = df__run_cmd();

    if (cmd.opts)
        return;
    DF_FUZZ_ASSERT(run->nopts <= MAX_ROWS);
    cmd = *run;
    cmd.nopts = 0;
    for (int i = 0; i < run->nopts; i++)
        if (strcmp(run->opts[i].name, "plugin") != 0)
            rows[cmd.nopts++] = run->opts[i];
    cmd.opts = rows;
}

/* Splits text at newlines into argv (argv[0] = "run"); the count. */
static int split_args(char *text, char **argv)
{
    int argc = 0;

    argv[argc++] = "run";
    for (char *s = text; argc < MAX_ARGS;) {
        char *nl = strchr(s, '\n');

        argv[argc++] = s;
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    argv[argc] = NULL;
    return argc;
}

static void check_list(const df_opt *opt, const df_int_list *l)
{
    int64_t scale = opt->scale ? opt->scale : 1;

    DF_FUZZ_ASSERT(l->n >= 1 && l->n <= DF_PLAN_MAX_LIST);
    for (int i = 0; i < l->n; i++) {
        if (opt->kind == DF_OPT_INT_LIST)
            DF_FUZZ_ASSERT(l->v[i] >= opt->lo && l->v[i] <= opt->hi);
        else
            DF_FUZZ_ASSERT(l->v[i] >= opt->lo / scale);
    }
}

/* Every option's field after a successful read: given or defaulted. */
static void check_opts(const df_run_opts *o)
{
    for (int i = 0; i < cmd.nopts; i++) {
        const df_opt *opt = &cmd.opts[i];
        const char *field = (const char *)o + opt->off;
        int64_t v;

        if (opt->kind == DF_OPT_INT_LIST || opt->kind == DF_OPT_DURATION_LIST)
            check_list(opt, (const df_int_list *)field);
        if ((opt->kind == DF_OPT_DURATION || opt->kind == DF_OPT_SIZE) &&
            opt->size == sizeof v) {
            memcpy(&v, field, sizeof v);
            DF_FUZZ_ASSERT(v >= opt->lo);
        }
    }
    DF_FUZZ_ASSERT(o->nmodels >= 1 && o->nmodels <= DF_PLAN_MAX_MODELS);
    DF_FUZZ_ASSERT(o->ngils >= 1 && o->ngils <= DF_PLAN_MAX_GILS);
    DF_FUZZ_ASSERT(o->nrates >= 0 && o->nrates <= DF_PLAN_MAX_LIST);
    for (int i = 0; i < o->nrates; i++)
        DF_FUZZ_ASSERT(o->rates[i] > 0 && o->rates[i] <= 1e7);
    DF_FUZZ_ASSERT(o->nwl >= 0 && o->nwl <= DF_PLAN_MAX_WORKLOADS);
}

/* One read of argv into o, with what it printed caught. */
typedef struct reading {
    int rc;
    df_run_opts o;
    unsigned char given[MAX_ROWS];
    char *out, *err; /* what went to stdout and stderr; free() both */
    size_t out_len, err_len;
} reading;

static void read_args(int argc, char **argv, reading *r)
{
    FILE *out = stdout, *err = stderr;

    memset(r, 0, sizeof *r);
    stdout = open_memstream(&r->out, &r->out_len);
    stderr = open_memstream(&r->err, &r->err_len);
    DF_FUZZ_ASSERT(stdout != NULL && stderr != NULL);
    r->rc = df__opt_read(&cmd, argc, argv, &r->o, r->given);
    fclose(stdout);
    fclose(stderr);
    stdout = out;
    stderr = err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = df_fuzz_str(data, size), *argv[MAX_ARGS + 1];
    reading r, again;
    int argc;

    make_table();
    argc = split_args(text, argv);
    read_args(argc, argv, &r);
    DF_FUZZ_ASSERT(r.rc == 0 || r.rc == -1 || r.rc == 2);
    if (r.rc == 2) {
        DF_FUZZ_ASSERT(strncmp(r.err, "duckfeed run: ", 14) == 0);
        /* One line: no argument holds a newline (each is a line). */
        DF_FUZZ_ASSERT(strchr(r.err, '\n') == r.err + r.err_len - 1);
    } else {
        DF_FUZZ_ASSERT(r.err_len == 0);
    }
    if (r.rc == -1)
        DF_FUZZ_ASSERT(strncmp(r.out, "usage: duckfeed run", 19) == 0);
    if (r.rc == 0)
        check_opts(&r.o);
    /* A suite runs `duckfeed run` many times in one process: a second
     * read of the same argv must not see anything of the first. */
    read_args(argc, argv, &again);
    DF_FUZZ_ASSERT(again.rc == r.rc && again.err_len == r.err_len &&
                   memcmp(again.err, r.err, r.err_len) == 0);
    DF_FUZZ_ASSERT(memcmp(again.given, r.given, sizeof r.given) == 0);
    free(r.out);
    free(r.err);
    free(again.out);
    free(again.err);
    free(text);
    return 0;
}
