# Hull: the two set-up commands are `make demo` and `make test`.
# Both install what is missing (scripts/install-deps.sh demo|test), then build:
# `make demo` only hull, hull-init and hull-agent; `make test` everything.

BUILD      ?= build
SAN_BUILD  ?= build-san
JOBS       ?= $(shell nproc)
# Warnings are errors in every tree the Makefile configures (so in CI): the
# code is warning-free with Debian 12's GCC 12 (release tree) and clang 14
# (sanitizer tree). `WERROR=OFF` for another compiler. One value for demo and
# test, so neither recompiles the other.
WERROR     ?= ON
# Extra configure arguments, e.g. CMAKE_ARGS=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
CMAKE_ARGS ?=

# -g1 (line tables and function names: backtraces; not the variables and
# types of -g): GCC compiles the heaviest files in 28 % less CPU, and the
# code is the same (docs/testing.md).
CONFIGURE = cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DHULL_WERROR=$(WERROR) $(CMAKE_ARGS)

.PHONY: all deps deps-demo deps-slow build build-demo build-san demo test test-slow test-fast format format-check \
  tidy bench bench-slow fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh test

deps-demo:
	@bash scripts/install-deps.sh demo

deps-slow:
	@bash scripts/install-deps.sh slow

# The release tree, tests and benchmarks included. Configured on every call
# (a few seconds) because `make demo` configures the same tree without tests.
build: deps
	$(CONFIGURE) -DHULL_TESTS=ON -DHULL_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs: no GoogleTest, no test executables.
build-demo: deps-demo
	$(CONFIGURE) -DHULL_TESTS=OFF -DHULL_BENCH=OFF
	cmake --build $(BUILD) -j $(JOBS) --target hull hull-init hull-agent

# ASan + UBSan with clang, plus the libFuzzer targets (smoke-run as tests).
# -gline-tables-only: the file and line of every frame of a sanitizer report,
# without the variables and types of -g (a sixth of each object on disk, a
# sixteenth of the compile; docs/testing.md).
build-san: deps
	CC=clang CXX=clang++ cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -gline-tables-only" -DHULL_SANITIZE=ON -DHULL_FUZZ=ON -DHULL_BENCH=OFF -DHULL_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)

demo: build-demo
	@bash scripts/demo.sh $(BUILD)

# The whole suite: the format check first (seconds), then unit, oracle and vm
# tiers on the release build, then the sanitizer build (unit and oracle tiers,
# fuzz smoke runs). Not the vm-slow tier (emulated aarch64 boots): test-slow.
test: deps
	@bash scripts/format.sh --check
	$(MAKE) build build-san
	@bash scripts/run-tests.sh $(BUILD) $(SAN_BUILD)

# The vm-slow tier alone, on the release build: tests too slow for `make test`
# (and so for CI), with what only they need: the cross-built aarch64 hull-init
# and hull-agent (cmake/NodeArm64.cmake).
test-slow: deps-slow build
	cmake --build $(BUILD) -j $(JOBS) --target hull_node_arm64
	@bash scripts/run-tests.sh --slow $(BUILD)

test-fast: build
	ctest --test-dir $(BUILD) -L unit --output-on-failure -j $(JOBS)

# clang-format 14 (.clang-format) over the project's C++ files, in place.
format:
	@bash scripts/format.sh

# Fails, naming the files, when one is not formatted.
format-check:
	@bash scripts/format.sh --check

# clang-tidy 14 (.clang-tidy) over the project's .cc files, with the release
# tree's compile commands. Advisory: slow on 2 cores, so not part of `make test`.
tidy: build
	git ls-files -- '*.cc' | xargs -n 20 -P $(JOBS) clang-tidy-14 -p $(BUILD) --quiet

bench: build
	$(BUILD)/bench/verity_bench
	@bash bench/verity-bench.sh $(BUILD)
	@bash bench/boot-bench.sh $(BUILD)
	@bash bench/iso-bench.sh $(BUILD)
	@bash bench/delta-bench.sh $(BUILD)
	@bash bench/update-bench.sh $(BUILD)
	@bash bench/mkosi-bench.sh $(BUILD)
	@bash bench/container-bench.sh $(BUILD)
	@bash bench/rollout-sim.sh $(BUILD) 1000
	@bash bench/customize-bench.sh $(BUILD)
	@bash bench/sysext-bench.sh $(BUILD)

# The emulated aarch64 figures, with what test-slow needs: the arm64 default
# against the amd64 default, booted alternately to the validation line.
bench-slow: deps-slow build
	cmake --build $(BUILD) -j $(JOBS) --target hull_node_arm64
	@bash bench/arch-boot-bench.sh $(BUILD)

fuzz: build-san
	@bash scripts/fuzz.sh $(SAN_BUILD) 60

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
