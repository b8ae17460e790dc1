/* harness/http/client.h - the target model: duckfeed's HTTP load generator
 * as a model, so `duckfeed run --target URL` measures any HTTP server on
 * this machine with the same loops, checks and JSON as the models. */
#ifndef DF_HARNESS_HTTP_CLIENT_H
#define DF_HARNESS_HTTP_CLIENT_H

#include "models/model.h"

/* Connections a target point may keep open: the closed loop's
 * --concurrency, the open loop's --max-inflight. */
#define DF_HTTP_MAX_CONNECTIONS 10000
/* Open loop without --max-inflight: this many connections, and at most
 * DF_HTTP_OPEN_QUEUE arrivals waiting for one of them. */
#define DF_HTTP_OPEN_CONNECTIONS 64
#define DF_HTTP_OPEN_QUEUE       65536

/* "target": sends GET cfg->target_url on keep-alive connections (one per
 * request in flight), each response a completion. Registered by main
 * (df_model_register), so plots and reports find its points by name. */
extern const df_model_ops df_http_target_model;

/* Connects to the server url names once and closes: is anyone there?
 * Lets `duckfeed run` refuse a dead target in one line before it claims
 * its results file. 0, or -errno with err saying "URL: connect: why". */
int df_http_target_probe(const char *url, df_err *err);

#endif /* DF_HARNESS_HTTP_CLIENT_H */
