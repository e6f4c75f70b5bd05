# Hull: the two set-up commands are `make demo` and `make test`.
# Both install what is missing (scripts/install-deps.sh), then build.

BUILD      ?= build
SAN_BUILD  ?= build-san
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-san demo test test-fast bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# ASan + UBSan with clang, plus the libFuzzer targets (smoke-run as tests).
$(SAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DHULL_SANITIZE=ON -DHULL_FUZZ=ON -DHULL_BENCH=OFF

build-san: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

# The whole suite: unit, oracle and vm tiers on the release build, then the
# sanitizer build (unit and oracle tiers, fuzz smoke runs).
test: build build-san
	@bash scripts/run-tests.sh $(BUILD) $(SAN_BUILD)

test-fast: build
	ctest --test-dir $(BUILD) -L unit --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/verity_bench
	@bash bench/verity-bench.sh $(BUILD)
	@bash bench/boot-bench.sh $(BUILD)
	@bash bench/delta-bench.sh $(BUILD)
	@bash bench/mkosi-bench.sh $(BUILD)

fuzz: build-san
	@bash scripts/fuzz.sh $(SAN_BUILD) 60

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
