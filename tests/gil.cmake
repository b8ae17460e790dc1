# test_gil: ~3 s of CPU-bound scenarios (2 threads x 0.5 s, 4 x 1 s, ...).
# "timing": its ratios need the machine's cores, so it never runs beside
# another test (RUN_SERIAL) even under ctest -j.
set_tests_properties(gil PROPERTIES TIMEOUT 60 LABELS "unit;timing"
    RUN_SERIAL TRUE)
