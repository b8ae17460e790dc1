/* tests/fuzz/fuzz_params.c - workload specs and parameter values
 * (workloads/params.c). Any text is parsed or refused with -EINVAL and a
 * message; a spec that parses formats to text that parses back to the same
 * values; a duration or size is never negative. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "harness/sweep/params_json.h"
#include "tests/fuzz/fuzz.h"
#include "workloads/params.h"

/* One declaration of each type and of several bare-number units, as the
 * built-ins and `duckfeed run`'s flags declare them. */
static const df_param_decl decls[] = {
    { .name = "int", .type = DF_PARAM_INT },
    { .name = "bool", .type = DF_PARAM_BOOL },
    { .name = "ms", .type = DF_PARAM_DURATION, .unit = "ms" },
    { .name = "s", .type = DF_PARAM_DURATION, .unit = "s" },
    { .name = "ns", .type = DF_PARAM_DURATION, .unit = "ns" },
    { .name = "kb", .type = DF_PARAM_SIZE, .unit = "KB" },
    { .name = "b", .type = DF_PARAM_SIZE, .unit = "B" },
};

static void check_value(const char *text)
{
    for (size_t i = 0; i < sizeof decls / sizeof decls[0]; i++) {
        df_err err = { 0 };
        int64_t v = -1;
        int rc = df_param_parse_value("fuzz", &decls[i], text, &v, &err);

        if (rc < 0) {
            DF_FUZZ_ASSERT(rc == -EINVAL && err.msg[0] != '\0');
            continue;
        }
        if (decls[i].type == DF_PARAM_DURATION ||
            decls[i].type == DF_PARAM_SIZE)
            DF_FUZZ_ASSERT(v >= 0);
        if (decls[i].type == DF_PARAM_BOOL)
            DF_FUZZ_ASSERT(v == 0 || v == 1);
    }
}

/* format(parse(spec)) parses to the same workload and values. */
static void check_round_trip(const df_workload *w, const df_params *p)
{
    char text[1024];
    const df_workload *w2 = NULL;
    df_params p2 = { 0 };
    df_err err = { 0 };
    json_t *j;

    if (df_params_format(w, p, text, sizeof text) < 0)
        return; /* too long to say: -ENOSPC, nothing to parse back */
    if (df_workload_parse_spec(text, &w2, &p2, &err) < 0) {
        fprintf(stderr, "formatted \"%s\" does not parse: %s\n", text, err.msg);
        DF_FUZZ_ASSERT(!"format gives text parse accepts");
    }
    DF_FUZZ_ASSERT(w2 == w && p2.count == p->count);
    DF_FUZZ_ASSERT(
        memcmp(p2.value, p->value, (size_t)p->count * sizeof p->value[0]) == 0);
    j = df_params_to_json(w, p);
    DF_FUZZ_ASSERT(j != NULL && (int)json_object_size(j) == p->count);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = df_fuzz_str(data, size);
    const df_workload *w = NULL;
    df_params p = { 0 };
    df_err err = { 0 };
    int rc;

    rc = df_workload_parse_spec(text, &w, &p, &err);
    if (rc < 0)
        DF_FUZZ_ASSERT(rc == -EINVAL && err.msg[0] != '\0' && w == NULL);
    else
        check_round_trip(w, &p);
    check_value(text);
    free(text);
    return 0;
}
