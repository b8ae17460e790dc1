/* tests/fuzz/fuzz.h - what the fuzz targets share: libFuzzer's entry point,
 * the input as a C string or as a file, and how a broken property fails.
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput. With
 * -DDF_FUZZ=ON (clang) it links against libFuzzer; in every build it also
 * links against replay.c, which runs it once on each committed input.
 */
#ifndef DF_TESTS_FUZZ_FUZZ_H
#define DF_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input; returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated copy the caller frees; an embedded NUL ends the
 * string early, as it would in argv. Aborts on ENOMEM. */
char *df_fuzz_str(const uint8_t *data, size_t size);

/* A path that reads as data: an anonymous memory file (memfd) opened again
 * through /proc/self/fd, so loaders that take a path see the input and
 * nothing is written to disk. The path stays valid, with this content,
 * until the next call. Aborts if memfd or /proc is unavailable. */
const char *df_fuzz_file(const uint8_t *data, size_t size);

/* A property the code under test must keep: abort (a crash to libFuzzer,
 * a failure to ctest) with the expression and place. */
#define DF_FUZZ_ASSERT(expr)                                          \
    do {                                                              \
        if (!(expr)) {                                                \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, \
                    __LINE__, #expr);                                 \
            abort();                                                  \
        }                                                             \
    } while (0)

#endif /* DF_TESTS_FUZZ_FUZZ_H */
