# tests/interrupt.cmake - runs the duckfeed executable, ~1-2 s of sweep.
add_dependencies(test_interrupt duckfeed)
set_tests_properties(interrupt PROPERTIES TIMEOUT 60 LABELS "unit;cli")
