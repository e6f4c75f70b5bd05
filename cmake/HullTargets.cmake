# One helper call per target, so every library and test is declared alike.

# hull_library(NAME SOURCES ... DEPS ...): static library hull_NAME, alias hull::NAME.
function(hull_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(hull_${name} STATIC ${ARG_SOURCES})
  add_library(hull::${name} ALIAS hull_${name})
  target_include_directories(hull_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(hull_${name} PUBLIC ${ARG_DEPS})
  # Recorded for binaries that compile a library's sources themselves (the
  # static hull-agent, agent/CMakeLists.txt).
  set(abs)
  foreach(s ${ARG_SOURCES})
    get_filename_component(a ${s} ABSOLUTE)
    list(APPEND abs ${a})
  endforeach()
  set_property(GLOBAL PROPERTY HULL_SOURCES_${name} ${abs})
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

# hull_fuzz(NAME SOURCES ... DEPS ...): a libFuzzer target (clang, HULL_FUZZ=ON),
# registered with ctest as a short smoke run (label unit).
function(hull_fuzz name)
  cmake_parse_arguments(ARG "" "SECONDS" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 20)
  endif()
  add_executable(fuzz_${name} ${ARG_SOURCES})
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
  set(corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus/${name})
  file(MAKE_DIRECTORY ${corpus})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name})
    file(COPY ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name}/ DESTINATION ${corpus})
  endif()
  add_test(NAME fuzz_${name}
    COMMAND fuzz_${name} ${corpus} -max_total_time=${ARG_SECONDS} -seed=1 -rss_limit_mb=2048)
  set_tests_properties(fuzz_${name} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
endfunction()
