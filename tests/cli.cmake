# The CLI test runs the duckfeed executable.
add_dependencies(test_cli duckfeed)
set_tests_properties(cli PROPERTIES TIMEOUT 120 LABELS "unit;cli")
