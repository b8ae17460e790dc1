/* tests/duckfeed_exe.h - (tests only) the built duckfeed command, for the
 * tests that run it as a user would. */
#ifndef DF_TESTS_DUCKFEED_EXE_H
#define DF_TESTS_DUCKFEED_EXE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Fills exe with $DF_BUILD_DIR/duckfeed (ctest sets it) and creates the
 * mkdtemp directory tmpdir. 0, or -1 when either is not possible. */
static inline int df_test_exe_setup(char *exe, size_t n, char *tmpdir)
{
    const char *dir = getenv("DF_BUILD_DIR");
    snprintf(exe, n, "%s/duckfeed", dir ? dir : ".");
    if (access(exe, X_OK) != 0 || !mkdtemp(tmpdir))
        return -1;
    return 0;
}

#endif /* DF_TESTS_DUCKFEED_EXE_H */
