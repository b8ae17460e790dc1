/* workloads/file.c - reads a file per request: disk I/O is never "ready".
 *
 * The lesson this workload carries: a regular file is always readable as
 * far as poll and O_NONBLOCK are concerned (epoll refuses it outright), so
 * df_ctx_read never waits through the model - the read() itself blocks for
 * however long the page cache or the disk takes, holding whatever runs it.
 * On the coroutine loop that stalls every request; asyncio's answer is to
 * push the read to a thread (aiofiles, loop.run_in_executor), which
 * `offload` does through df_run_blocking.
 *
 * The file has no name (#12): it is made with O_TMPFILE, or unlinked right
 * after mkstemp where the file system lacks O_TMPFILE, so a point killed
 * before teardown (a timeout, kill -9) leaves nothing in $TMPDIR. Each
 * request still opens the file afresh, through /proc/self/fd/<fd>, which
 * gives it its own offset as opening by path did.
 */
#define _GNU_SOURCE
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
    int fd;          /* the nameless file; closed in teardown */
    char reopen[64]; /* /proc/self/fd/<fd>: opened once per request */
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
    fd = open(s->reopen, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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

/* A file in dir with no name: an fd, or a negative errno and a message. */
static int create_nameless(const char *dir, char *err, size_t n)
{
    char path[512];
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    /* No O_TMPFILE on this file system (or kernel): name it for an
     * instant. */
    snprintf(path, sizeof path, "%s/duckfeed-file-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, n, "workload file: %s: %s", path, strerror(errno));
        return rc;
    }
    if (unlink(path) < 0) {
        int rc = -errno;
        snprintf(err, n, "workload file: %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    return fd;
}

static int file_setup(const df_params *p, void **state, char *err, size_t n)
{
    const char *dir = getenv("TMPDIR");
    file_state *s = calloc(1, sizeof *s);
    int rc;

    if (!s)
        return -ENOMEM;
    if (!dir || !*dir)
        dir = "/tmp";
    s->bytes = p->value[0];
    s->fd = create_nameless(dir, err, n);
    if (s->fd < 0) {
        rc = s->fd;
        free(s);
        return rc;
    }
    snprintf(s->reopen, sizeof s->reopen, "/proc/self/fd/%d", s->fd);
    rc = write_file(s->fd, s->bytes);
    if (rc < 0)
        snprintf(err, n, "workload file: %s: %s", dir, strerror(-rc));
    if (rc == 0) {
        int fd = open(s->reopen, O_RDONLY | O_CLOEXEC); /* /proc mounted? */
        if (fd < 0) {
            rc = -errno;
            snprintf(err, n, "workload file: %s: %s", s->reopen,
                     strerror(errno));
        } else {
            close(fd);
        }
    }
    if (rc < 0) {
        close(s->fd);
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
        close(s->fd);
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
