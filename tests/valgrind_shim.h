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

#endif /* DF_TESTS_VALGRIND_SHIM_H */
