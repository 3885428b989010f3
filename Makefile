# Thin wrapper over CMake + Ninja + CTest. See README.md.
BUILD      ?= build
BUILD_ASAN ?= build-asan
CMAKE_ARGS ?=

.PHONY: all deps build test test-asan asan demo bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# All tests: unit, fuzz-corpus replay and integration, on the normal build and
# on the ASan+UBSan build.
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure

$(BUILD_ASAN)/build.ninja:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DBERTH_SANITIZE=ON $(CMAKE_ARGS)

asan: deps $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)
	ctest --test-dir $(BUILD_ASAN) --output-on-failure

demo: build
	scripts/demo.sh $(BUILD)

bench: build
	bench/runtime.sh $(BUILD)
	bench/daemon.sh $(BUILD)
	bench/containers.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
