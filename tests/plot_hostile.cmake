# tests/plot_hostile.cmake - hostile results files and names, plotted for real.
set_tests_properties(plot_hostile PROPERTIES TIMEOUT 300 LABELS "unit;plot")
