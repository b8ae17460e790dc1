# Forks a point per workload and model; ASan's shadow memory makes the
# process-model forks slow, so the sanitizer pass skips it.
set_tests_properties(builtins PROPERTIES TIMEOUT 240 LABELS "unit;slow")
