# tests/loop.cmake - timers of a few ms and one 200 ms to_thread call.
set_tests_properties(loop PROPERTIES TIMEOUT 60 LABELS "unit;coro")
