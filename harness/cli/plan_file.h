/* harness/cli/plan_file.h - (harness/ private) a sweep's plan as JSON Lines,
 * so engines such as GNU parallel or Slurm run its items on other machines
 * (#16, docs/DISTRIBUTED.md). */
#ifndef DF_HARNESS_CLI_PLAN_FILE_H
#define DF_HARNESS_CLI_PLAN_FILE_H

#include <jansson.h>
#include <stdio.h>

#include "base/err.h"
#include "harness/sweep/plan.h"
#include "harness/sweep/sweep.h"

#define DF_PART_SCHEMA "duckfeed.part/1"

/* A plan: the sweep `duckfeed run ARGS` would run, its items (one per
 * repetition of a point) in the order that sweep runs them, and the id
 * that tells one plan from another. */
typedef struct df_planfile {
    df_run_opts o;       /* ARGS parsed */
    df_plan p;           /* the points, in plan order */
    df_sweep_slot *runs; /* [nitems]: item N is runs[N - 1] */
    int nitems;          /* p.n x o.repeat */
    json_t *args;        /* ARGS, strings; o's strings point into them */
    char **argv;         /* "run" + ARGS, as parsed (getopt reorders) */
    char id[17];         /* 64-bit FNV-1a of every item, in hex */
} df_planfile;

/* argv[1 ..] as a new JSON array of strings, NULL on ENOMEM. */
json_t *df__planfile_args(int argc, char **argv);

/* Parses args (a JSON array of `run`'s arguments) and builds the plan.
 * 0 and *out (free with df__planfile_destroy), or 2 after one line on
 * stderr, prefixed with who ("duckfeed merge"). */
int df__planfile_make(json_t *args, const char *who, df_planfile **out);

void df__planfile_destroy(df_planfile *pf); /* NULL is fine */

/* The JSON line of item (1 .. nitems): {"plan", "item", "items",
 * "point", "repetition", "seed", "identity", "args", "command"}, its
 * command naming path as the plan file and at as the line's number there
 * (item in a sweep's plan; not in a suite's). A new reference, NULL on
 * ENOMEM. */
json_t *df__planfile_line(const df_planfile *pf,
                          int item,
                          const char *path,
                          int at);

/* Writes pf's lines to f, the first as line first of the file path, each
 * with "suite": tag when tag is not NULL (#16: a suite's plan). 0 or -1
 * on a write error or ENOMEM. */
int df__planfile_dump(const df_planfile *pf,
                      FILE *f,
                      const char *path,
                      int first,
                      json_t *tag);

/* A plan file is written to "path.tmp", renamed on close: a half-written
 * plan is never there. open: the file or NULL after one line on stderr
 * prefixed with who. close(f, bad, ...): bad (a dump failed) or a failed
 * close or rename removes it; 0, or 2 after one line. */
FILE *df__planfile_open(const char *path, const char *who);
int df__planfile_close(FILE *f, int bad, const char *path, const char *who);

/* `duckfeed run ... --plan FILE`: o parsed from argv, whose arguments
 * args are. Writes FILE and says how to run it. 0 or 2. */
int df__planfile_write_main(df_run_opts *o, json_t *args);

/* `duckfeed run --plan-item FILE:N --out PART`: measures item N of the
 * plan in FILE alone and writes the part. 0 (the point succeeded), 1 (it
 * failed: the part says why), 2 after one line on stderr, or 128 + a
 * signal that stopped it (no part written). */
int df__planfile_run_item(const df_run_opts *o, int argc, char **argv);

/* Reads line n (1-based) of the plan file path as JSON. 0 and *out, or 2
 * after one line on stderr prefixed with who. */
int df__planfile_read_line(const char *path,
                           long n,
                           const char *who,
                           json_t **out);

#endif /* DF_HARNESS_CLI_PLAN_FILE_H */
