# tests/registry.cmake - the broken plugins test_registry loads, one target
# each (tests/plugins/bad.c built with -DBAD_<case>), and the good example.
set(DF_BAD_PLUGINS abi noname badname nohandle nosymbol nullentry dupname
    badparam badunit nodefault badtype dupparam ok)
foreach(case ${DF_BAD_PLUGINS})
    add_library(bad_${case} MODULE ${CMAKE_CURRENT_LIST_DIR}/plugins/bad.c)
    target_compile_definitions(bad_${case} PRIVATE BAD_${case}
        BAD_NAME="${case}")
    target_link_libraries(bad_${case} PRIVATE df_flags
        duckfeed_workload_headers)
    set_target_properties(bad_${case} PROPERTIES PREFIX ""
        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/plugins)
    add_dependencies(test_registry bad_${case})
endforeach()
# example_plugin is defined by examples/plugin, after this folder: target
# names resolve at generate time, so the order does not matter.
add_dependencies(test_registry example_plugin)
target_compile_definitions(test_registry PRIVATE
    DF_TEST_PLUGIN_DIR="${CMAKE_CURRENT_BINARY_DIR}/plugins"
    DF_EXAMPLE_PLUGIN="$<TARGET_FILE:example_plugin>")
