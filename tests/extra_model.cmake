# tests/extra_model.cmake - the model from outside models/ is one more
# source of its test; the test forks points and runs gnuplot.
target_sources(test_extra_model PRIVATE ${CMAKE_CURRENT_LIST_DIR}/model_serial.c)
set_tests_properties(extra_model PROPERTIES TIMEOUT 120 LABELS "unit;plot")
