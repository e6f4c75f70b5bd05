# Toolchain file of the aarch64 node tree (cmake/NodeArm64.cmake): Debian's
# cross compiler (g++-aarch64-linux-gnu) and the multiarch arm64 libraries
# under /usr/lib/aarch64-linux-gnu (libssl-dev:arm64, zlib1g-dev:arm64, ...),
# installed by scripts/install-deps.sh. No sysroot: Debian's cross compiler
# searches the multiarch directories of / itself.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# pkg-config reads the arm64 .pc files and the architecture-independent ones.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
