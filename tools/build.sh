#!/usr/bin/env bash
# Configures and builds pcmkit in build/ (Release, host vector units; PCMKIT_NATIVE=OFF for a
# portable build: `PCMKIT_CMAKE_ARGS=-DPCMKIT_NATIVE=OFF tools/build.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${PCMKIT_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
