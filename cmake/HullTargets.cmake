# One helper call per target, so every library and test is declared alike.

# How a static node program is made (hull_node_program below):
# every library is one static archive, compiled once, linked by the host tools
# and the static node programs alike. What differs is only the link line: a
# library names its third-party dependencies through hull::dep::NAME
# (hull_dep), which links the shared library into ordinary programs and the
# static archive (libssl.a, libcrypto.a, libzstd.a, libz.a) into a program
# whose HULL_STATIC property is on. Debian ships no libfmt.a, so fmt's compiled
# part is built here once as an archive of its own (hull_fmt_archive, from
# fmt's own format-inl.h) rather than compiling the project header-only,
# which would mean a second set of objects or every program built
# header-only. Node and both libraries are compiled with one section per
# function so the static link drops what a program does not call; they are
# compiled -O2 like everything else (the programs were -Os when they
# compiled their own copies).

# hull_library(NAME SIDE host|node|both SOURCES ... DEPS ...): static library
# hull_NAME, alias hull::NAME. SIDE is DESIGN.md's: host (build/publish
# machines only), node (linked into hull-init/hull-agent) or both; the link
# test (tests/node) keeps host libraries out of the node programs.
function(hull_library name)
  cmake_parse_arguments(ARG "" "SIDE" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SIDE MATCHES "^(host|node|both)$")
    message(FATAL_ERROR "hull_library(${name}): SIDE must be host, node or both")
  endif()
  # Shared in the sanitizer tree: there every test and fuzz target would
  # otherwise carry its own copy of each library it links, instrumented at
  # -O0 (the tree took 7.5 GB on disk, most of it test executables of 40 to
  # 130 MB; docs/testing.md). The release tree links them statically, as the
  # programs it ships do.
  if(HULL_SANITIZE)
    add_library(hull_${name} SHARED ${ARG_SOURCES})
  else()
    add_library(hull_${name} STATIC ${ARG_SOURCES})
  endif()
  add_library(hull::${name} ALIAS hull_${name})
  target_include_directories(hull_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(hull_${name} PUBLIC ${ARG_DEPS})
  set_target_properties(hull_${name} PROPERTIES HULL_SIDE ${ARG_SIDE})
  if(NOT ARG_SIDE STREQUAL "host")
    # One section per function and object, so a static node program's
    # --gc-sections keeps only what it calls (hull-init keeps none of the
    # OpenSSL code crypto/digest.cc's hashing pulls from libcrypto.a).
    target_compile_options(hull_${name} PRIVATE -ffunction-sections -fdata-sections)
  endif()
endfunction()

# hull_dep(NAME SHARED <target> STATIC <archive file name> [DEPS ...]):
# hull::dep::NAME, a third-party library as a hull library links it: <target>
# for ordinary programs, the archive for programs with HULL_STATIC on. DEPS
# are hull::dep targets the archive needs after it on the link line.
function(hull_dep name)
  cmake_parse_arguments(ARG "" "SHARED;STATIC" "DEPS" ${ARGN})
  add_library(hull_dep_${name} INTERFACE)
  add_library(hull::dep::${name} ALIAS hull_dep_${name})
  if(TARGET ${ARG_STATIC})
    set(archive ${ARG_STATIC})
  else()
    find_library(HULL_STATIC_${name} NAMES ${ARG_STATIC})
    set(archive ${HULL_STATIC_${name}})
  endif()
  if(NOT archive)
    # Without the archive only the static node programs cannot link; say so
    # when one is linked rather than failing every host build.
    set(archive HULL_STATIC_${name}-NOTFOUND)
  endif()
  target_link_libraries(hull_dep_${name} INTERFACE
    "$<IF:$<BOOL:$<TARGET_PROPERTY:HULL_STATIC>>,${archive},${ARG_SHARED}>" ${ARG_DEPS})
endfunction()

# hull_node_program(NAME): makes the program NAME (hull-init, hull-agent)
# static: its hull libraries and their hull::dep archives, -static, unused
# sections dropped, stripped. Sanitizer builds cannot link statically (the
# sanitizer runtimes are shared): there the program links as every tool does.
function(hull_node_program name)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  if(HULL_SANITIZE)
    return()
  endif()
  set_target_properties(${name} PROPERTIES HULL_STATIC ON)
  target_compile_options(${name} PRIVATE -ffunction-sections -fdata-sections)
  target_link_options(${name} PRIVATE -static -Wl,--gc-sections -s)
endfunction()

# _hull_append_property(LIST TARGET PROPERTY): appends TARGET's PROPERTY to
# the list LIST, when the property is set.
function(_hull_append_property list target property)
  get_target_property(value ${target} ${property})
  if(value)
    set(${list} ${${list}} ${value} PARENT_SCOPE)
  endif()
endfunction()

# hull_link_closure(TARGET OUT): every target and library TARGET links,
# directly or through its dependencies, as named in the CMake files (hull::X,
# hull::dep::X, yaml-cpp, CURL::libcurl, ...). Read by the link test.
function(hull_link_closure target out)
  set(seen)
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    if(NOT TARGET ${t})
      continue()
    endif()
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      list(APPEND todo ${aliased})
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    set(libs)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      _hull_append_property(libs ${t} LINK_LIBRARIES)
    endif()
    _hull_append_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    foreach(l ${libs})
      # A hull::dep's choice ($<IF:static,archive,shared>) counts as its name.
      if(NOT l MATCHES "^\\$<")
        list(APPEND todo ${l})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target})
  # One name per library: hull_dep_z and hull_gpt as hull::dep::z and hull::gpt.
  list(TRANSFORM seen REPLACE "^hull_dep_" "hull::dep::")
  list(TRANSFORM seen REPLACE "^hull_" "hull::")
  list(REMOVE_DUPLICATES seen)
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# hull_test(NAME SOURCES ... DEPS ... LABELS unit|oracle|vm [TIMEOUT s] [COST s]
#           [RELEASE_TREE_ONLY]): a GoogleTest binary registered with ctest under
# the given labels.
# COST: the test's run time in seconds on the CI machine, measured. ctest -j
# starts the costliest tests first, but a fresh tree (CI's) has no
# Testing/Temporary/CTestCostData.txt: without COST the long tests start in
# declaration order, and one started last is the whole run's tail.
# The sanitizer tree (HULL_SANITIZE) neither builds nor runs the vm, vm-slow
# and e2e tiers (VM boots and whole-image builds are the release tree's;
# scripts/run-tests.sh runs the sanitizer tree without them), nor a
# RELEASE_TREE_ONLY test (a measurement of the production build): there such a
# test is left out of `all` and DISABLED, so a plain ctest lists it as not run.
function(hull_test name)
  cmake_parse_arguments(ARG "RELEASE_TREE_ONLY" "TIMEOUT;COST" "SOURCES;DEPS;LABELS" ${ARGN})
  set(release_only ${ARG_RELEASE_TREE_ONLY})
  if(ARG_LABELS MATCHES "(^|;)(vm|vm-slow|e2e)(;|$)")
    set(release_only ON)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  # The test's own files at -Og in an optimised tree: GCC 12 compiles a
  # GoogleTest file in 57 % of the CPU time of -O2 (release_test.cc, -g1:
  # 10.2 s against 17.9 s; docs/testing.md). The code under test is the
  # libraries', which keep the tree's -O2.
  target_compile_options(${name} PRIVATE $<$<CONFIG:RelWithDebInfo,Release>:-Og>)
  if(HULL_LLD)
    target_link_options(${name} PRIVATE -fuse-ld=lld)  # see CMakeLists.txt
  endif()
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "HULL_BIN=$<TARGET_FILE:hull>;HULL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(ARG_COST)
    set_tests_properties(${name} PROPERTIES COST ${ARG_COST})
  endif()
  if(HULL_SANITIZE AND release_only)
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    set_tests_properties(${name} PROPERTIES DISABLED ON)
  endif()
endfunction()
# hull_fuzz(NAME SOURCES ... DEPS ... [SECONDS s]): a libFuzzer target (clang,
# HULL_FUZZ=ON), registered with ctest as a smoke run (label unit): every
# input of fuzz/corpus/NAME first (libFuzzer runs the whole seed corpus
# before it looks at the clock), then SECONDS (5) of fuzzing from there.
# Finding new bugs is `make fuzz`'s (60 s a target); the smoke run proves the
# target builds, the seeds pass, and the first mutations do not crash.
function(hull_fuzz name)
  cmake_parse_arguments(ARG "" "SECONDS" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 5)
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
