# test_thread: ~6 s of closed-loop runs (a convoy scenario may re-run once).
# "timing": its ratios assume a machine that is not saturated.
set_tests_properties(thread PROPERTIES TIMEOUT 90 LABELS "unit;timing")
