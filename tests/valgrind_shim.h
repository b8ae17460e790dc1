/* tests/valgrind_shim.h - (tests only) RUNNING_ON_VALGRIND, or 0 when
 * valgrind's headers are not installed: tests that time things or map
 * tens of thousands of pages ask it before doing so under valgrind. */
#ifndef DF_TESTS_VALGRIND_SHIM_H
#define DF_TESTS_VALGRIND_SHIM_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Whether wall-clock figures mean anything in this run: not under valgrind
 * (20-50x slower, one thread at a time) nor a sanitizer build. Timing
 * assertions are made only when this is 1; the behaviour around them is
 * still checked. */
#ifdef DF_SANITIZE_BUILD
#define DF_TIMING_TRUSTED 0
#else
#define DF_TIMING_TRUSTED (!RUNNING_ON_VALGRIND)
#endif

#endif /* DF_TESTS_VALGRIND_SHIM_H */
