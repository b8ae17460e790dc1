/* harness/runner.h - runs each point of a plan in its own forked child. */
#ifndef DF_HARNESS_RUNNER_H
#define DF_HARNESS_RUNNER_H

/* Ends the current point's child at once, recording reason ("stack overflow
 * in a coroutine") as the point's failure. Async-signal-safe: callable from
 * a SIGSEGV handler. Outside a point's child it prints reason and _exits. */
_Noreturn void df_runner_abort_point(const char *reason);

#endif /* DF_HARNESS_RUNNER_H */
