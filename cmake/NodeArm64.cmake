# The static aarch64 hull-init and hull-agent, for `hull build` of an arm64
# spec (docs/build.md, "arm64"): a second build tree of this source,
# configured with the cross toolchain (cmake/aarch64-linux-gnu.cmake) and
# HULL_NODE_ONLY (only the node programs and their libraries), driven from
# this tree as an ExternalProject. The programs land in
# ${PROJECT_BINARY_DIR}/arm64/, where `hull build` looks for them
# (build::DefaultInitPath) next to the amd64 ones. Not part of `all`: a
# second compile of the node libraries costs CI minutes `make test` does not
# spend (cmake --build build --target hull_node_arm64; `make test-slow` and
# the arm64 tests, all vm-slow, build it).
include(ExternalProject)
set(HULL_ARM64_DIR ${PROJECT_BINARY_DIR}/arm64)
ExternalProject_Add(hull_node_arm64
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${PROJECT_BINARY_DIR}/node-arm64
  CMAKE_ARGS -G Ninja
             -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake
             -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
             -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
             -DHULL_NODE_ONLY=ON -DHULL_TESTS=OFF -DHULL_BENCH=OFF
             -DHULL_WERROR=${HULL_WERROR}
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target hull-init hull-agent
  INSTALL_COMMAND ${CMAKE_COMMAND} -E make_directory ${HULL_ARM64_DIR}
          COMMAND ${CMAKE_COMMAND} -E copy_if_different <BINARY_DIR>/hull-init
                  <BINARY_DIR>/hull-agent ${HULL_ARM64_DIR}
  BUILD_ALWAYS ON
  USES_TERMINAL_BUILD ON
  BUILD_BYPRODUCTS ${HULL_ARM64_DIR}/hull-init ${HULL_ARM64_DIR}/hull-agent
  EXCLUDE_FROM_ALL ON)
