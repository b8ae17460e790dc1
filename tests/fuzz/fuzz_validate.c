/* tests/fuzz/fuzz_validate.c - the results schema check
 * (harness/store/validate.c). Any JSON is valid or gets one reason that
 * fits the buffer, however small; a document the validator accepts is one
 * the checked reader (resfile.c) accepts too, so `duckfeed validate` never
 * passes a file that `duckfeed plot` or the report would refuse. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "harness/store/resfile.h"
#include "harness/store/validate.h"
#include "tests/fuzz/fuzz.h"

static void check_reasons(const json_t *doc, int rc)
{
    static const size_t sizes[] = { 1, 7, 64 };
    char why[64];

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        memset(why, 'x', sizeof why);
        DF_FUZZ_ASSERT(df_validate_json(doc, why, sizes[i]) == rc);
        if (rc < 0)
            DF_FUZZ_ASSERT(memchr(why, '\0', sizes[i]) != NULL);
    }
    DF_FUZZ_ASSERT(df_validate_json(doc, NULL, 0) == rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    json_t *strict, *loaded = NULL;
    char why[512];
    int rc;

    if (!doc)
        return 0;
    why[0] = '\0';
    rc = df_validate_json(doc, why, sizeof why);
    DF_FUZZ_ASSERT(rc == 0 || (rc == -EINVAL && why[0] != '\0'));
    check_reasons(doc, rc);
    /* The reader rejects duplicate keys; a document without them that the
     * schema accepts must load. */
    strict = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (rc == 0 && strict) {
        df_err err = { 0 };

        if (df_resfile_load(df_fuzz_file(data, size), &loaded, &err) < 0) {
            fprintf(stderr, "valid, but the reader says: %s\n", err.msg);
            DF_FUZZ_ASSERT(!"a valid document loads");
        }
        json_decref(loaded);
    }
    json_decref(strict);
    json_decref(doc);
    return 0;
}
