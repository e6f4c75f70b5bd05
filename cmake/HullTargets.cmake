# One helper call per target, so every library and test is declared alike.

# hull_library(NAME SOURCES ... DEPS ...): static library hull_NAME, alias hull::NAME.
function(hull_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(hull_${name} STATIC ${ARG_SOURCES})
  add_library(hull::${name} ALIAS hull_${name})
  target_include_directories(hull_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(hull_${name} PUBLIC ${ARG_DEPS})
endfunction()

# hull_test(NAME SOURCES ... DEPS ... LABELS unit|oracle|vm [TIMEOUT s]):
# a GoogleTest binary registered with ctest under the given labels.
function(hull_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "HULL_BIN=$<TARGET_FILE:hull>;HULL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
