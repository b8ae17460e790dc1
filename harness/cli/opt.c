/* harness/cli/opt.c - a command's options as one table: the getopt_long
 * array, every value's parsing and limits, the defaults and --help are all
 * made from it, so none of them can disagree with another. */
#define _GNU_SOURCE
#include "harness/cli/opt.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "harness/sweep/plan.h"
#include "models/gil.h"
#include "workloads/params.h"
#include "workloads/registry.h"

enum {
    OPT_VAL_BASE = 256,   /* getopt's value of opts[i]: past every char */
    HELP_COLUMN = 25,     /* where --help's text starts */
    HELP_WIDTH = 79,      /* and where its lines end at the latest */
    DF_OPT_MAX_OPTS = 64, /* rows of one table, with room for getopt's end */
    BYTES_PER_KB = 1024,
};

static void store_int(void *dst, const df_opt *opt, int64_t v)
{
    char *field = (char *)dst + opt->off;

    if (opt->size == sizeof(int)) {
        int i = (int)v;
        memcpy(field, &i, sizeof i);
    } else {
        DF_CHECK(opt->size == sizeof v);
        memcpy(field, &v, sizeof v);
    }
}

static int64_t scale_of(const df_opt *opt)
{
    return opt->scale ? opt->scale : 1;
}

static int whole_number(const df_opt *opt,
                        const char *s,
                        int64_t *out,
                        df_err *err)
{
    char *end;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!errno && end != s && !*end && v >= opt->lo && v <= opt->hi) {
        *out = v;
        return 0;
    }
    if (opt->hi >= INT_MAX)
        return df_err_set(err, -EINVAL,
                          "--%s: \"%s\" is not a whole number >= %lld",
                          opt->name, s, (long long)opt->lo);
    return df_err_set(err, -EINVAL,
                      "--%s: \"%s\" is not a whole number in %lld..%lld",
                      opt->name, s, (long long)opt->lo, (long long)opt->hi);
}

/* "16KB", "1us": a limit in the largest unit that says it exactly. */
static void format_limit(df_opt_kind kind, int64_t v, char *buf, size_t len)
{
    typedef struct unit {
        const char *name;
        int64_t per;
    } unit;
    static const unit durations[] = { { "s", DF_NS_PER_S },
                                      { "ms", DF_NS_PER_MS },
                                      { "us", DF_NS_PER_US },
                                      { "ns", 1 } };
    static const unit sizes[] = { { "MB", BYTES_PER_KB * BYTES_PER_KB },
                                  { "KB", BYTES_PER_KB },
                                  { "B", 1 } };
    const unit *u = kind == DF_OPT_SIZE ? sizes : durations;

    while (v % u->per)
        u++;
    snprintf(buf, len, "%lld%s", (long long)(v / u->per), u->name);
}

/* Durations and sizes share the workload parameters' parser; a value
 * below lo or above hi (when hi > 0) is an error of its own. */
static int read_typed(const df_opt *opt,
                      const char *s,
                      int64_t *out,
                      df_err *err)
{
    const int is_size = opt->kind == DF_OPT_SIZE;
    df_param_decl decl = {
        .name = opt->name,
        .type = is_size ? DF_PARAM_SIZE : DF_PARAM_DURATION,
        .unit = is_size ? "B" : opt->bare_unit,
    };
    const char *what = is_size ? "size" : "duration";
    const char *hint = is_size ? "64KB" : "500ms, 2s";
    char lo[32], hi[32] = "";

    if (opt->hi > 0)
        format_limit(opt->kind, opt->hi, hi, sizeof hi);
    /* The parser refuses values past its own bound (or int64) too: the
     * message names this option's limit, which is the lower one. */
    if (df_param_parse_value("run", &decl, s, out, NULL) < 0)
        return df_err_set(err, -EINVAL, "--%s: \"%s\" is not a %s%s%s (try %s)",
                          opt->name, s, what, *hi ? " up to " : "", hi, hint);
    if (opt->hi > 0 && *out > opt->hi)
        return df_err_set(err, -EINVAL, "--%s: \"%s\" is above %s", opt->name,
                          s, hi);
    if (*out >= opt->lo)
        return 0;
    if (opt->lo == 1)
        return df_err_set(err, -EINVAL,
                          "--%s: must be more than 0 (got \"%s\")", opt->name,
                          s);
    format_limit(opt->kind, opt->lo, lo, sizeof lo);
    return df_err_set(err, -EINVAL, "--%s: \"%s\" is below %s", opt->name, s,
                      lo);
}

int df__opt_split(const df_opt *opt,
                  const char *s,
                  char *buf,
                  char **items,
                  int max,
                  df_err *err)
{
    int n = 0;

    if (strlen(s) >= DF_OPT_MAX_ARG_CHARS)
        return df_err_set(err, -EINVAL, "--%s: longer than %d characters",
                          opt->name, DF_OPT_MAX_ARG_CHARS - 1);
    strcpy(buf, s);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return df_err_set(err, -EINVAL, "--%s: more than %d values",
                              opt->name, max);
        items[n++] = tok;
    }
    if (n == 0)
        return df_err_set(err, -EINVAL, "--%s: empty list", opt->name);
    return n;
}

int df__opt_choice(const df_opt *opt, const char *word, df_err *err)
{
    const df_opt_choice *c = opt->choices;
    char known[128] = "";
    size_t len = 0;

    for (int i = 0; c[i].word; i++)
        if (strcmp(c[i].word, word) == 0)
            return c[i].value;
    /* "a", "a or b", "a, b or c" */
    for (int i = 0; c[i].word && len < sizeof known; i++)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s",
                                i == 0          ? ""
                                : c[i + 1].word ? ", "
                                                : " or ",
                                c[i].word);
    return df_err_set(err, -EINVAL, "--%s: \"%s\" is not %s", opt->name, word,
                      known);
}

static int parse_flag(const df_opt *opt,
                      const char *arg,
                      void *dst,
                      df_err *err)
{
    (void)arg;
    (void)err;
    store_int(dst, opt, 1);
    return 0;
}

static int parse_string(const df_opt *opt,
                        const char *arg,
                        void *dst,
                        df_err *err)
{
    (void)err;
    DF_CHECK(opt->size == sizeof arg);
    memcpy((char *)dst + opt->off, &arg, sizeof arg);
    return 0;
}

static int parse_int(const df_opt *opt, const char *arg, void *dst, df_err *err)
{
    int64_t v;
    int rc = whole_number(opt, arg, &v, err);

    if (rc < 0)
        return rc;
    store_int(dst, opt, v * scale_of(opt));
    return 0;
}

static int parse_int_list(const df_opt *opt,
                          const char *arg,
                          void *dst,
                          df_err *err)
{
    df_int_list *l = (df_int_list *)((char *)dst + opt->off);
    char buf[DF_OPT_MAX_ARG_CHARS], *items[DF_PLAN_MAX_LIST];
    int n = df__opt_split(opt, arg, buf, items, DF_PLAN_MAX_LIST, err);

    DF_CHECK(opt->size == sizeof *l);
    for (int i = 0; i < n; i++)
        if (whole_number(opt, items[i], &l->v[i], err) < 0)
            return -EINVAL;
    if (n > 0)
        l->n = n;
    return n < 0 ? n : 0;
}

/* Durations and sizes alike: read_typed tells them apart by kind. */
static int parse_typed(const df_opt *opt,
                       const char *arg,
                       void *dst,
                       df_err *err)
{
    int64_t v;
    int rc = read_typed(opt, arg, &v, err);

    if (rc < 0)
        return rc;
    store_int(dst, opt, v);
    return 0;
}

static int parse_duration_list(const df_opt *opt,
                               const char *arg,
                               void *dst,
                               df_err *err)
{
    df_int_list *l = (df_int_list *)((char *)dst + opt->off);
    char buf[DF_OPT_MAX_ARG_CHARS], *items[DF_PLAN_MAX_LIST];
    int n = df__opt_split(opt, arg, buf, items, DF_PLAN_MAX_LIST, err);

    DF_CHECK(opt->size == sizeof *l);
    for (int i = 0; i < n; i++) {
        if (read_typed(opt, items[i], &l->v[i], err) < 0)
            return -EINVAL;
        l->v[i] /= scale_of(opt);
    }
    if (n > 0)
        l->n = n;
    return n < 0 ? n : 0;
}

static int parse_choice(const df_opt *opt,
                        const char *arg,
                        void *dst,
                        df_err *err)
{
    int v = df__opt_choice(opt, arg, err);

    if (v < 0)
        return v;
    store_int(dst, opt, v);
    return 0;
}

static int parse_call(const df_opt *opt,
                      const char *arg,
                      void *dst,
                      df_err *err)
{
    return opt->call(opt, arg, dst, err);
}

/* Each kind's parser and the name --help gives its value. */
static const struct {
    df_opt_parse_fn *parse;
    const char *arg;
} kinds[] = {
    [DF_OPT_HELP] = { NULL, "" },
    [DF_OPT_FLAG] = { parse_flag, "" },
    [DF_OPT_STRING] = { parse_string, "TEXT" },
    [DF_OPT_INT] = { parse_int, "N" },
    [DF_OPT_INT_LIST] = { parse_int_list, "LIST" },
    [DF_OPT_DURATION] = { parse_typed, "D" },
    [DF_OPT_DURATION_LIST] = { parse_duration_list, "LIST" },
    [DF_OPT_SIZE] = { parse_typed, "SIZE" },
    [DF_OPT_CHOICE] = { parse_choice, NULL }, /* the words: a|b */
    [DF_OPT_CALL] = { parse_call, NULL },     /* the row's arg */
};

/* "--name ARG" as --help shows it. */
static void format_lead(const df_opt *opt, char *buf, size_t len)
{
    const char *arg = opt->arg ? opt->arg : kinds[opt->kind].arg;
    char words[64] = "";
    size_t n = 0;

    for (int i = 0; !arg && opt->choices[i].word && n < sizeof words; i++)
        n += (size_t)snprintf(words + n, sizeof words - n, "%s%s", i ? "|" : "",
                              opt->choices[i].word);
    if (!arg)
        arg = words;
    snprintf(buf, len, "%s--%s%s%s", opt->kind == DF_OPT_HELP ? "-h, " : "",
             opt->name, *arg ? " " : "", arg);
}

void df__opt_help(const df_opt_cmd *cmd, FILE *f)
{
    fputs(cmd->usage_head, f);
    for (int i = 0; i < cmd->nopts; i++) {
        const df_opt *opt = &cmd->opts[i];
        const char *line = opt->help;
        char lead[64];
        size_t n;

        if (opt->section)
            fprintf(f, "%s:\n", opt->section);
        format_lead(opt, lead, sizeof lead);
        /* A lead too long for its column gets the text on the next line. */
        if (strlen(lead) > HELP_COLUMN - 3)
            fprintf(f, "  %s\n%*s", lead, HELP_COLUMN, "");
        else
            fprintf(f, "  %-*s ", HELP_COLUMN - 3, lead);
        for (;; line += n + 1) {
            n = strcspn(line, "\n");
            fprintf(f, "%.*s", (int)n, line);
            if (!line[n])
                break;
            fprintf(f, "\n%*s", HELP_COLUMN, "");
        }
        if (opt->def &&
            HELP_COLUMN + n + sizeof " (default )" - 1 + strlen(opt->def) >
                HELP_WIDTH)
            fprintf(f, "\n%*s(default %s)", HELP_COLUMN, "", opt->def);
        else if (opt->def)
            fprintf(f, " (default %s)", opt->def);
        fputc('\n', f);
    }
    fputs(cmd->usage_foot, f);
}

int df__opt_index(const df_opt_cmd *cmd, const char *name)
{
    for (int i = 0; i < cmd->nopts; i++)
        if (strcmp(cmd->opts[i].name, name) == 0)
            return i;
    DF_CHECK(!"an option of the table");
    return -1;
}

static int parse_one(const df_opt *opt, const char *arg, void *dst, df_err *err)
{
    return kinds[opt->kind].parse(opt, arg, dst, err);
}

/* getopt_long's view of the table: opts[i] comes back as OPT_VAL_BASE + i. */
static void long_options(const df_opt_cmd *cmd, struct option *lo)
{
    DF_CHECK(cmd->nopts < DF_OPT_MAX_OPTS);
    for (int i = 0; i < cmd->nopts; i++) {
        df_opt_kind k = cmd->opts[i].kind;
        lo[i] = (struct option){
            .name = cmd->opts[i].name,
            .has_arg = k == DF_OPT_HELP || k == DF_OPT_FLAG ? no_argument
                                                            : required_argument,
            .val = OPT_VAL_BASE + i,
        };
    }
    lo[cmd->nopts] = (struct option){ 0 };
}

static int print_error(const df_opt_cmd *cmd, const df_err *err)
{
    fprintf(stderr, "duckfeed %s: %s\n", cmd->name, err->msg);
    return 2;
}

int df__opt_read(const df_opt_cmd *cmd,
                 int argc,
                 char **argv,
                 void *dst,
                 unsigned char *given)
{
    struct option lo[DF_OPT_MAX_OPTS];
    df_err err = { 0 };
    int c, rc;

    long_options(cmd, lo);
    memset(given, 0, (size_t)cmd->nopts);
    /* #12, found by tests/fuzz/fuzz_cli: optind = 1 leaves glibc's
     * position inside a bundle of short options ("-xh" stopped at x), and
     * the next read (a suite runs many) went on from it, in an argv
     * perhaps freed. 0 makes getopt start afresh (glibc and musl). */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        const df_opt *opt =
            c >= OPT_VAL_BASE ? &cmd->opts[c - OPT_VAL_BASE] : NULL;

        if (c == 'h' || (opt && opt->kind == DF_OPT_HELP)) {
            df__opt_help(cmd, stdout);
            return -1;
        }
        /* getopt sets optopt to a known option that lacks its value and
         * to 0 for an unknown one. */
        if (!opt && optopt)
            rc = df_err_set(&err, -EINVAL, "option \"%s\" needs a value",
                            argv[optind - 1]);
        else if (!opt)
            rc = df_err_set(&err, -EINVAL,
                            "unknown option \"%s\" (see duckfeed %s --help)",
                            argv[optind - 1], cmd->name);
        else if ((rc = parse_one(opt, optarg, dst, &err)) == 0)
            given[c - OPT_VAL_BASE] = 1;
        if (rc < 0)
            return print_error(cmd, &err);
    }
    if (optind < argc) {
        df_err_set(&err, -EINVAL,
                   "unexpected argument \"%s\" (see duckfeed %s --help)",
                   argv[optind], cmd->name);
        return print_error(cmd, &err);
    }
    for (int i = 0; i < cmd->nopts; i++)
        if (!given[i] && cmd->opts[i].def)
            DF_CHECK(parse_one(&cmd->opts[i], cmd->opts[i].def, dst, &err) ==
                     0);
    return 0;
}

const df_opt_choice df__opt_gil_words[] = { { "new", DF_GIL_NEW },
                                            { "old", DF_GIL_OLD },
                                            { "off", DF_GIL_OFF },
                                            { 0 } };

int df__opt_load_plugin(const df_opt *opt,
                        const char *s,
                        void *dst,
                        df_err *err)
{
    (void)opt;
    (void)dst;
    return df_registry_load_plugin(s, err);
}
