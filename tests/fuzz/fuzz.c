/* tests/fuzz/fuzz.c - input helpers of the fuzz targets (see fuzz.h). */
#define _GNU_SOURCE
#include "tests/fuzz/fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

char *df_fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    DF_FUZZ_ASSERT(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

const char *df_fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    size_t done = 0;

    /* One memfd for the whole process: an input costs a truncate and a
     * write, and a loader's fopen of the /proc path starts at offset 0. */
    if (fd < 0) {
        fd = memfd_create("duckfeed-fuzz", MFD_CLOEXEC);
        DF_FUZZ_ASSERT(fd >= 0);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        DF_FUZZ_ASSERT(access(path, R_OK) == 0);
    }
    DF_FUZZ_ASSERT(ftruncate(fd, 0) == 0);
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

        DF_FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    return path;
}
