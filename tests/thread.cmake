# test_thread: ~8 s of closed-loop runs (a scenario may re-run once).
# "timing": its ratios need the machine's cores, so it never runs beside
# another test (RUN_SERIAL) even under ctest -j.
set_tests_properties(thread PROPERTIES TIMEOUT 90 LABELS "unit;timing"
    RUN_SERIAL TRUE)
