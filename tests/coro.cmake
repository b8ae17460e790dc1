# tests/coro.cmake - forks children for the guard-page test; quick.
set_tests_properties(coro PROPERTIES TIMEOUT 30 LABELS "unit;coro")
