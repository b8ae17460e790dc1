/* workloads/hash.h - SHA-256 as the hash workload computes it (for tests). */
#ifndef DF_WORKLOADS_HASH_H
#define DF_WORKLOADS_HASH_H

#include <stddef.h>

#define DF_HASH_SHA256_BYTES 32

/* SHA-256 of n bytes at data into out, through libcrypto's EVP interface
 * in 4 KiB updates, as the workload does. 0, or -ENOMEM / -EIO when
 * libcrypto fails. Thread-safe. */
int df_hash_sha256(const void *data,
                   size_t n,
                   unsigned char out[DF_HASH_SHA256_BYTES]);

#endif /* DF_WORKLOADS_HASH_H */
