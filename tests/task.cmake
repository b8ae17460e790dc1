# tests/task*.cmake - the task layer's suites: timing-based (U = 40 ms),
# a few seconds each.
foreach(t task task_loop task_future task_group task_gather task_wait)
    set_tests_properties(${t} PROPERTIES TIMEOUT 30 LABELS "unit;task;timing")
endforeach()
