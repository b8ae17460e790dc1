/* tests/fuzz/fuzz_resfile.c - the checked results reader
 * (harness/store/resfile.c) that plot, report and suite go through. Any
 * file is loaded or refused with a message; of a loaded one, every point
 * passes the checks consumers rely on, and the typed accessors, the
 * workload spec and the footer stay within their buffers. */
#include <errno.h>
#include <string.h>

#include "harness/store/resfile.h"
#include "tests/fuzz/fuzz.h"

/* Dotted paths the consumers read (plot, report, sweep). */
static const char *const num_paths[] = {
    "throughput_rps",
    "latency_us.p99",
    "latency_us.p50",
    "concurrency",
    "workers",
    "threads",
    "hogs",
    "switch_interval_us",
    "max_rss_bytes",
    "gil_stats.held",
    "loop.slow_callbacks",
    "machine.cores",
    "a.b.c.d.e.f.g.h",
    "",
    ".",
};

static void check_point(const json_t *pt)
{
    char spec[128], tiny[4];

    DF_FUZZ_ASSERT(json_is_object(pt));
    DF_FUZZ_ASSERT(df_resfile_str(pt, "model", NULL) != NULL);
    DF_FUZZ_ASSERT(df_resfile_str(pt, "workload", NULL) != NULL);
    if (df_resfile_point_ok(pt))
        DF_FUZZ_ASSERT(json_is_number(json_object_get(pt, "throughput_rps")));
    for (size_t i = 0; i < sizeof num_paths / sizeof num_paths[0]; i++)
        (void)df_resfile_num(pt, num_paths[i], 0);
    df_resfile_workload_spec(pt, spec, sizeof spec);
    DF_FUZZ_ASSERT(strlen(spec) < sizeof spec);
    df_resfile_workload_spec(pt, tiny, sizeof tiny);
    DF_FUZZ_ASSERT(strlen(tiny) < sizeof tiny);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    df_err err = { 0 };
    char footer[256];
    size_t i;
    json_t *pt;
    int rc;

    rc = df_resfile_load(df_fuzz_file(data, size), &doc, &err);
    if (rc < 0) {
        DF_FUZZ_ASSERT(doc == NULL && err.msg[0] != '\0');
        return 0;
    }
    DF_FUZZ_ASSERT(
        strcmp(df_resfile_str(doc, "schema", ""), DF_RESFILE_SCHEMA) == 0);
    json_array_foreach(json_object_get(doc, "points"), i, pt) check_point(pt);
    df_resfile_footer(doc, footer, sizeof footer);
    DF_FUZZ_ASSERT(strlen(footer) < sizeof footer);
    json_decref(doc);
    return 0;
}
