# Small helpers so each layer's CMakeLists.txt reads as a list of files.

# baleen_test(NAME SOURCES a_test.cc ... LIBS lib ...): a GoogleTest binary registered with CTest.
function(baleen_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT BALEEN_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "BALEEN_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data")
endfunction()
