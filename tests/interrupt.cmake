# tests/interrupt.cmake - runs the duckfeed executable, a few seconds of sweeps and a suite.
add_dependencies(test_interrupt duckfeed)
set_tests_properties(interrupt PROPERTIES TIMEOUT 180 LABELS "unit;cli")
