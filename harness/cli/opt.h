/* harness/cli/opt.h - (harness/cli private) a command's options as one
 * table, which drives getopt_long, the defaults and the --help text. */
#ifndef DF_HARNESS_CLI_OPT_H
#define DF_HARNESS_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define DF_OPT_MAX_ARG_CHARS 4096 /* the value of one list option */

/* How an option's value is read; each kind has one parser in opt.c. */
typedef enum df_opt_kind {
    DF_OPT_HELP,          /* no value: print --help and stop */
    DF_OPT_FLAG,          /* no value: the int field becomes 1 */
    DF_OPT_STRING,        /* the text as given (a const char * field) */
    DF_OPT_INT,           /* a whole number in lo..hi, stored times scale */
    DF_OPT_INT_LIST,      /* comma list of whole numbers in lo..hi into a
                             df_int_list (harness/sweep/plan.h) */
    DF_OPT_DURATION,      /* a duration in lo..hi ns (hi 0: no upper
                             limit), stored in ns */
    DF_OPT_DURATION_LIST, /* comma list of them into a df_int_list, each
                             divided by scale (ns per stored unit) */
    DF_OPT_SIZE,          /* a size in lo..hi bytes (hi 0: no upper
                             limit) */
    DF_OPT_CHOICE,        /* one word of choices, stored as its value */
    DF_OPT_CALL,          /* read by the row's own call */
} df_opt_kind;

/* A word of a choice option and its value (>= 0: negatives are errors). */
typedef struct df_opt_choice {
    const char *word;
    int value;
} df_opt_choice;

typedef struct df_opt df_opt;

/* Reads one value of opt into the struct dst. 0, or -EINVAL with err's
 * message naming the option and the value ("--hogs: \"x\" is not ..."). */
typedef int df_opt_parse_fn(const df_opt *opt,
                            const char *arg,
                            void *dst,
                            df_err *err);

/* One option. Integer fields (kinds INT, FLAG, CHOICE, DURATION, SIZE) may
 * be int, an enum or a 64-bit integer: size tells which. */
struct df_opt {
    const char *name; /* spelled --name */
    df_opt_kind kind;
    size_t off, size;      /* the field it lands in (DF_OPT_FIELD) */
    int64_t lo, hi;        /* accepted values; a hi >= INT_MAX only keeps the
                              field in range and messages leave it out */
    int64_t scale;         /* INT: multiplier; DURATION_LIST: divisor; 0 is 1 */
    const char *bare_unit; /* durations: unit of a bare number */
    const df_opt_choice *choices; /* CHOICE and calls taking words; ends
                                     with a NULL word */
    df_opt_parse_fn *call;        /* CALL */
    const char *def;              /* default, as typed; parsed unless given */
    const char *section;          /* --help: heading before this option */
    const char *arg;  /* --help: the value's name; NULL: the kind's */
    const char *help; /* --help: text, '\n' between lines */
};

#define DF_OPT_FIELD(type, f) \
    .off = offsetof(type, f), .size = sizeof(((type *)0)->f)

typedef struct df_opt_cmd {
    const char *name; /* "run": messages read "duckfeed run: ..." */
    const df_opt *opts;
    int nopts;
    const char *usage_head; /* --help: before the options */
    const char *usage_foot; /* --help: after them */
} df_opt_cmd;

/* Reads argv (argv[0] is the command) into dst, zeroed by the caller,
 * through cmd->opts, then parses the default of every option not given (a
 * bad default is a bug: DF_CHECK). given[i] (nopts of them) says whether
 * opts[i] was given. Returns 0; -1 after printing --help to stdout; 2
 * after one line on stderr (an unknown option, a missing or bad value, an
 * argument that is not an option). */
int df__opt_read(const df_opt_cmd *cmd,
                 int argc,
                 char **argv,
                 void *dst,
                 unsigned char *given);

/* Writes --help: the head, each option with its help and default, the
 * foot. */
void df__opt_help(const df_opt_cmd *cmd, FILE *f);

/* Index of the option called name; it must exist (DF_CHECK). */
int df__opt_index(const df_opt_cmd *cmd, const char *name);

/* Splits a comma list s (empty items skipped) into buf, which holds
 * DF_OPT_MAX_ARG_CHARS, and items. The count (>= 1), or -EINVAL with err
 * set (empty, too long, more than max values). */
int df__opt_split(const df_opt *opt,
                  const char *s,
                  char *buf,
                  char **items,
                  int max,
                  df_err *err);

/* The value of word among opt->choices, or -EINVAL with err saying which
 * words there are ("--gil: \"x\" is not new, old or off"). */
int df__opt_choice(const df_opt *opt, const char *word, df_err *err);

/* Shared by the commands that take them (run, serve). */
extern const df_opt_choice df__opt_gil_words[]; /* new, old, off */
/* DF_OPT_CALL for --plugin PATH.so: loads it into the registry. */
int df__opt_load_plugin(const df_opt *opt,
                        const char *s,
                        void *dst,
                        df_err *err);

#endif /* DF_HARNESS_CLI_OPT_H */
