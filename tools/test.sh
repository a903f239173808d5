#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest); then the readers', device and
# calibration suites and the fuzz corpora again under AddressSanitizer and UBSan (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 1200)
bash tools/sanitizer_tests.sh
