/* workloads/hash.c - SHA-256 of a buffer per request, as hashlib does it.
 *
 * CPython's hashlib hands the data to libcrypto's EVP interface; for inputs
 * of at least 2 KiB (HASHLIB_GIL_MINSIZE) it releases the GIL around the
 * update, so threads can hash in parallel. `release_gil` chooses between
 * the two behaviours: off, the digest runs holding the interpreter with a
 * checkpoint between 4 KiB blocks (a pure-Python-ish loop, other threads
 * wait); on, inputs of 2 KiB and more go through df_run_blocking (GIL
 * released; on the coroutine loop, a thread-pool call).
 */
#include "workloads/hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "workloads/workload.h"

#define BLOCK_BYTES       4096
#define GIL_MINSIZE_BYTES 2048 /* CPython's HASHLIB_GIL_MINSIZE */

typedef struct hash_state {
    unsigned char *data; /* filled once in setup, read-only after */
    size_t n;
    int release_gil;
} hash_state;

static const df_param_decl hash_params[] = {
    { "bytes", DF_PARAM_SIZE, "64KB", "B",
      "data hashed per request (KB = 1024 B)" },
    { "release_gil", DF_PARAM_BOOL, "false", NULL,
      "hash inputs >= 2 KiB with the GIL released, as hashlib does" },
    { NULL, 0, NULL, NULL, NULL },
};

/* The digest loop; ctx may be NULL (no checkpoints). */
static int sha256_blocks(df_ctx *ctx,
                         const unsigned char *data,
                         size_t n,
                         unsigned char out[DF_HASH_SHA256_BYTES])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok;

    if (!md)
        return -ENOMEM;
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t off = 0; ok && off < n; off += BLOCK_BYTES) {
        size_t chunk = n - off < BLOCK_BYTES ? n - off : BLOCK_BYTES;
        ok = EVP_DigestUpdate(md, data + off, chunk);
        if (ctx)
            df_checkpoint(ctx);
    }
    if (ok)
        ok = EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
    return ok && len == DF_HASH_SHA256_BYTES ? 0 : -EIO;
}

int df_hash_sha256(const void *data,
                   size_t n,
                   unsigned char out[DF_HASH_SHA256_BYTES])
{
    return sha256_blocks(NULL, data, n, out);
}

/* On a pool thread, without the interpreter: no checkpoints. arg is the
 * state, not a local of hash_handle: a job must stay put while the
 * coroutine that waits for it is suspended (workload.h, #12). */
static int hash_released(void *arg)
{
    const hash_state *s = arg;
    unsigned char out[DF_HASH_SHA256_BYTES];

    return sha256_blocks(NULL, s->data, s->n, out);
}

static int hash_setup(const df_params *p, void **state, char *err, size_t n)
{
    hash_state *s = calloc(1, sizeof *s);

    (void)err;
    (void)n;
    if (!s)
        return -ENOMEM;
    s->n = (size_t)p->value[0];
    s->release_gil = (int)p->value[1];
    /* malloc(0) may return NULL: always keep one byte. */
    s->data = malloc(s->n + 1);
    if (!s->data) {
        free(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++)
        s->data[i] = (unsigned char)(i * 131 + 7);
    *state = s;
    return 0;
}

static int hash_handle(df_ctx *ctx)
{
    hash_state *s = ctx->state;
    unsigned char out[DF_HASH_SHA256_BYTES];

    if (s->release_gil && s->n >= GIL_MINSIZE_BYTES)
        return df_run_blocking(ctx, hash_released, s);
    return sha256_blocks(ctx, s->data, s->n, out);
}

static void hash_teardown(void *state)
{
    hash_state *s = state;

    if (s)
        free(s->data);
    free(s);
}

const df_workload df_workload_hash = {
    .abi_version = DF_WORKLOAD_ABI_VERSION,
    .name = "hash",
    .summary = "SHA-256 of `bytes` through libcrypto (hashlib.sha256)",
    .kind = DF_KIND_CPU,
    .params = hash_params,
    .setup = hash_setup,
    .handle = hash_handle,
    .teardown = hash_teardown,
};
