/* harness/store/validate.h - checks a results document against
 * docs/RESULTS-SCHEMA.md (duckfeed.results/1). */
#ifndef DF_HARNESS_STORE_VALIDATE_H
#define DF_HARNESS_STORE_VALIDATE_H

#include <stddef.h>

typedef struct json_t json_t;

#define DF_RESULTS_SCHEMA_ID "duckfeed.results/1"

/* 0 when doc is a valid results document; -EINVAL otherwise, with the
 * first problem written to why (n bytes) as one line naming the JSON path:
 * "points[3].latency_us.p99: missing". Unknown fields are allowed, as
 * consumers ignore them. */
int df_validate_json(const json_t *doc, char *why, size_t n);

/* `duckfeed validate FILE`: prints "FILE: valid" and returns 0, or prints
 * "FILE: <path>: <reason>" to stderr and returns 2 (invalid, unreadable or
 * not JSON); 1 on a usage error. */
int df_validate_main(int argc, char **argv);

#endif /* DF_HARNESS_STORE_VALIDATE_H */
