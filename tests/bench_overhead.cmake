# tests/bench_overhead.cmake - floors (~2 s) and each model on noop (~9 s).
set_tests_properties(bench_overhead PROPERTIES TIMEOUT 90 LABELS "unit;timing")
