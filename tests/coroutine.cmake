# tests/coroutine.cmake - the model end to end; a few 30 ms blocking calls.
set_tests_properties(coroutine PROPERTIES TIMEOUT 60 LABELS "unit;coro")
