/* workloads/file.c - reads a file per request: disk I/O is never "ready".
 *
 * The lesson this workload carries: a regular file is always readable as
 * far as poll and O_NONBLOCK are concerned (epoll refuses it outright), so
 * df_ctx_read never waits through the model - the read() itself blocks for
 * however long the page cache or the disk takes, holding whatever runs it.
 * On the coroutine loop that stalls every request; asyncio's answer is to
 * push the read to a thread (aiofiles, loop.run_in_executor), which
 * `offload` does through df_run_blocking.
 */
#include "workloads/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_BYTES \
    4096 /* read size; heap, not stack: coroutine stacks are small */

typedef struct file_state {
    char path[512]; /* created in setup, unlinked in teardown */
    int64_t bytes;
} file_state;

static const df_param_decl file_params[] = {
    { "kb", DF_PARAM_SIZE, "64KB", "KB",
      "bytes read per request from a file in $TMPDIR (KB = 1024 B)" },
    { "offload", DF_PARAM_BOOL, "false", NULL,
      "read through df_run_blocking, as aiofiles does" },
    { NULL, 0, NULL, NULL, NULL },
};

static ssize_t read_some(df_ctx *ctx, int fd, void *buf, size_t n)
{
    ssize_t r;

    if (ctx)
        return df_ctx_read(ctx, fd, buf, n);
    do {
        r = read(fd, buf, n);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* Reads the whole file; ctx NULL means a plain read(2) on a pool thread. */
static int read_file(df_ctx *ctx, const file_state *s)
{
    char *buf = malloc(BUF_BYTES);
    int64_t total = 0;
    int rc = 0;
    int fd;

    if (!buf)
        return -ENOMEM;
    fd = open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return -errno;
    }
    for (;;) {
        ssize_t r = read_some(ctx, fd, buf, BUF_BYTES);
        if (r < 0)
            rc = (int)r;
        if (r <= 0)
            break;
        total += r;
    }
    close(fd);
    free(buf);
    if (rc == 0 && total != s->bytes)
        rc = -EIO; /* someone changed the file under us */
    return rc;
}

/* On a pool thread. arg is the state, not a local of file_handle: a job
 * must stay put while the coroutine that waits for it is suspended
 * (workload.h, #12). */
static int read_offloaded(void *arg)
{
    return read_file(NULL, arg);
}

static int write_file(int fd, int64_t bytes)
{
    char block[BUF_BYTES];
    int64_t left = bytes;

    memset(block, 'x', sizeof block);
    while (left > 0) {
        size_t n = left < BUF_BYTES ? (size_t)left : BUF_BYTES;
        ssize_t w = write(fd, block, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        left -= w;
    }
    return 0;
}

static int file_setup(const df_params *p, void **state, char *err, size_t n)
{
    const char *dir = getenv("TMPDIR");
    file_state *s = calloc(1, sizeof *s);
    int fd, rc;

    if (!s)
        return -ENOMEM;
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(s->path, sizeof s->path, "%s/duckfeed-file-XXXXXX", dir);
    s->bytes = p->value[0];
    fd = mkstemp(s->path);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, n, "workload file: %s: %s", s->path, strerror(errno));
        free(s);
        return rc;
    }
    rc = write_file(fd, s->bytes);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, n, "workload file: %s: %s", s->path, strerror(-rc));
        unlink(s->path);
        free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int file_handle(df_ctx *ctx)
{
    file_state *s = ctx->state;

    if (ctx->params->value[1])
        return df_run_blocking(ctx, read_offloaded, s);
    return read_file(ctx, s);
}

static void file_teardown(void *state)
{
    file_state *s = state;

    if (s)
        unlink(s->path);
    free(s);
}

const df_workload df_workload_file = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "file",
    .summary = "reads `kb` of a temp file per request: regular files are "
               "always \"ready\", so the read blocks its worker or loop",
    .kind = DF_KIND_IO,
    .params = file_params,
    .setup = file_setup,
    .handle = file_handle,
    .teardown = file_teardown,
};
