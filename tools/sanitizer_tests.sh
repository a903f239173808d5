#!/usr/bin/env bash
# The test suites of the readers, the device model and the calibration, the Winograd kernels' tests
# and the replay of every fuzz corpus, built for AVX2 with AddressSanitizer and
# UndefinedBehaviorSanitizer (GCC) in build-asan/.
# Any sanitizer report fails its test. tools/test.sh runs this after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
build=build-asan
suites="core device measurement calibration data_loading"
# For AVX2 (x86-64-v3), not -march=native: on an AVX-512 host this is the run that covers the
# code AVX2 hosts execute (the Winograd kernels' 8-lane vectors among it: winograd_kernel_tests).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DPCMKIT_NATIVE=OFF -DCMAKE_CXX_FLAGS="-march=x86-64-v3" -DPCMKIT_KERNEL_TESTS=ON \
  -DPCMKIT_SANITIZE=address,undefined -DPCMKIT_BUILD_BENCHMARKS=OFF -DPCMKIT_MPI=OFF >/dev/null
targets="winograd_kernel_tests"
for s in $suites; do targets="$targets ${s}_tests"; done
for f in tests/fuzz/*_fuzz.cpp; do targets="$targets $(basename "$f" .cpp)_replay"; done
cmake --build "$build" -j"$(nproc)" --target $targets
cd "$build"
pattern="^($(echo $suites fuzz kernels | tr ' ' '|'))/"
# Statistical repetitions (20 seeds of a fit, hundreds of adequacy replicates) and the largest
# recoveries run the code of the smaller fits the suite keeps: in the main suite only, where they
# take seconds, not minutes (CI's 30-minute budget).
repeats="over 20 seeds|many levels: replicates|false-alarm rate stays|flagged at no more than|with 1 or 2 threads"
repeats="$repeats|fit does not depend on the prior|default campaign: every identified|another model \\(gamma"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1
ctest --output-on-failure -j"$(nproc)" --timeout 1200 -R "$pattern" -E "$repeats"
