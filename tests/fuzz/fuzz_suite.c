/* tests/fuzz/fuzz_suite.c - suite files (harness/suite/suite.c). Any file is
 * loaded or refused with a message; of a loaded suite, every run's argv is
 * a NULL-terminated list of strings, with and without --quick, and the
 * estimated time is a finite number of seconds, never negative. */
#include <errno.h>
#include <math.h>

#include "harness/suite/run.h"
#include "harness/suite/suite.h"
#include "tests/fuzz/fuzz.h"

static void check_runs(const df_suite *s, int quick)
{
    int n = df_suite_nruns(s);
    double est;

    for (int i = 0; i < n; i++) {
        int argc = -1;
        char **argv = df_suite_run_argv(s, i, quick, &argc);

        DF_FUZZ_ASSERT(argv != NULL && argc >= 0);
        for (int k = 0; k < argc; k++)
            DF_FUZZ_ASSERT(argv[k] != NULL);
        DF_FUZZ_ASSERT(argv[argc] == NULL);
        free(argv);
    }
    est = df_suite_estimate_s(s, quick);
    DF_FUZZ_ASSERT(isfinite(est) && est >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    df_suite *s = NULL;
    df_err err = { 0 };
    json_t *meta;
    int rc;

    rc = df_suite_load(df_fuzz_file(data, size), &s, &err);
    if (rc < 0) {
        DF_FUZZ_ASSERT(s == NULL && err.msg[0] != '\0');
        return 0;
    }
    DF_FUZZ_ASSERT(df_suite_name(s) != NULL && df_suite_json(s) != NULL);
    check_runs(s, 0);
    check_runs(s, 1);
    meta = df__suite_meta(s, 1);
    DF_FUZZ_ASSERT(meta != NULL);
    json_decref(meta);
    df_suite_destroy(s);
    return 0;
}
