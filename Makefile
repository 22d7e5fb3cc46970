# seedwell: two commands on a fresh Debian 12 machine.
#   make run    install missing packages, build, start the service on 127.0.0.1
#   make test   install missing packages, build, run every test (and the sanitizer build, and lint)
#   make image  build the container image (Containerfile) into build-image/seedwell-VERSION.oci.tar
# Other targets: build, unit, test-vm, test-image, lint, format, bench, asan, fuzz, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
STATE_DIR  ?= $(CURDIR)/state
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
LAUNCHER   := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)
SOURCES     = $(shell git ls-files -co --exclude-standard -- 'crypto/*.h' 'crypto/*.cpp' \
                'service/*.h' 'service/*.cpp' 'api/*.h' 'api/*.cpp' 'cli/*.h' 'cli/*.cpp' 'guest/*.h' 'guest/*.cpp' 'tests/*.h' 'tests/*.cpp' \
                'bench/*.cpp' 'fuzz/*.cpp' 2>/dev/null)

.PHONY: deps test-deps build run test unit test-vm test-image image asan fuzz lint format bench clean

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) $(LAUNCHER) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/seedwell serve --state-dir $(STATE_DIR) --guest-listen 127.0.0.1:8080 \
	  --admin-listen 127.0.0.1:8081

# Unit, integration and Helm chart tests of the optimised build (the image test: make test-image).
unit: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900 -LE image

# Only the end-to-end VM test (ctest label vm; QEMU without KVM, under two minutes): docs/vm-test.md.
test-vm: test-deps build
	ctest --test-dir $(BUILD) -L vm --output-on-failure

# The container image end to end (ctest label image): make image's build, its configuration and
# a smoke test inside it with buildah run; docs/kubernetes.md.
test-image: test-deps build
	@scripts/install-deps.sh image
	ctest --test-dir $(BUILD) -L image --output-on-failure

# The container image without any registry: Debian bases from mmdebstrap, buildah bud, an OCI
# archive in build-image/ (scripts/build-image.sh).
image:
	scripts/build-image.sh $(CURDIR)/build-image

$(ASAN_BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) $(LAUNCHER) -DCMAKE_BUILD_TYPE=Debug \
	  -DSEEDWELL_SANITIZE=ON -DSEEDWELL_BUILD_BENCH=OFF

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer (the chart and image
# tests check files and packaging, not seedwell's code: they run once, in `unit`).
asan: test-deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -LE 'image|helm'

# The libFuzzer targets (fuzz/), built with Clang, each run for FUZZ_SECONDS from its seed corpus.
fuzz: test-deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSEEDWELL_FUZZ=ON -DSEEDWELL_BUILD_BENCH=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The include layering (scripts/check-layering.py), clang-format, the OpenAPI linter and
# clang-tidy on the project's own folders.
lint: test-deps build
	scripts/check-layering.py
	clang-format --dry-run -Werror $(SOURCES)
	@! grep -rn 'json::parse' crypto service api cli guest | grep -v '^crypto/bounded_json.cpp:' \
	  || (echo "lint: parse JSON with ParseBoundedJson (crypto/bounded_json.h)"; exit 1)
	@[ -d tools/openapi/node_modules ] || (cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error)
	cd tools/openapi && npx --no-install redocly lint --config ../../redocly.yaml ../../openapi.yaml
	run-clang-tidy -quiet -p $(BUILD) -j $(JOBS) '$(CURDIR)/(crypto|service|api|cli|guest)/.*\.cpp$$' \
	  > $(BUILD)/clang-tidy.log 2>&1 || (grep -E 'warning:|error:' $(BUILD)/clang-tidy.log | head -50; exit 1)
	@echo "lint: clang-format and clang-tidy clean"

format:
	clang-format -i $(SOURCES)

test: lint unit asan fuzz

bench:
	scripts/run-benchmarks.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
