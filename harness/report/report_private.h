/* harness/report/report_private.h - (harness/report/ private) what
 * report.c and html.c share: the suite documents and the trace figures. */
#ifndef DF_HARNESS_REPORT_REPORT_PRIVATE_H
#define DF_HARNESS_REPORT_REPORT_PRIVATE_H

#include <jansson.h>

/* Every suite results document in dir, in suite order, as new references
 * in a malloc'd *out (the caller decrefs each and frees *out). Files that
 * do not parse or carry no "suite" object are skipped. Returns how many,
 * or -errno when dir cannot be read. */
int df__report_load_docs(const char *dir, json_t ***out);

/* From a point's trace: the most requests running at one instant
 * (parallelism) and the most in progress at once (concurrency); both -1
 * when there is no usable trace. */
void df__report_trace_overlap(const json_t *trace, int *running, int *inflight);

/* 1 when doc's points carry a trace (the timeline suite). */
int df__report_has_trace(const json_t *doc);

/* 1 when an asyncio example took the time asyncio takes (within 20 %). */
int df__report_example_ok(const json_t *ex);

/* #18: one sentence on how busy the machine was over doc's suite (its
 * "machine_load"), into buf; "" when the file has none. Returns 1 when
 * the machine was busy (the sentence then says claims may not hold). */
int df__report_load_note(const json_t *doc, char *buf, size_t len);

#endif /* DF_HARNESS_REPORT_REPORT_PRIVATE_H */
