/* harness/bench/peer.h - the upstream peer's own capacity. */
#ifndef DF_HARNESS_BENCH_PEER_H
#define DF_HARNESS_BENCH_PEER_H

#include <stdio.h>

/* Starts a latency server with its delay at 0 and drives it from this
 * thread through keep-alive connections (1, then many), each with one
 * request outstanding, and writes requests/s to out: the median of several
 * timed windows with its min..max spread. A model's upstream throughput
 * near this figure measures the peer, not the model (see the latency
 * server's `late` count). Takes about two seconds. 0, or a negative
 * errno. */
int df_bench_peer(FILE *out);

#endif /* DF_HARNESS_BENCH_PEER_H */
