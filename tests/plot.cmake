# tests/plot.cmake - test_plot runs gnuplot a few dozen times.
set_tests_properties(plot PROPERTIES TIMEOUT 120 LABELS "unit;plot")
