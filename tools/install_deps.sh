#!/usr/bin/env bash
# Installs the Debian 12 packages pcmkit needs to build, test and draw figures, if missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libeigen3-dev libboost-dev libceres-dev libhdf5-dev nlohmann-json3-dev
  doctest-dev libcli11-dev librandom123-dev libssl-dev libpng-dev libjpeg-dev
  zlib1g-dev  # tools/convert reads gzip-compressed public measurement sets
  gnuplot-nox
  libopenmpi-dev openmpi-bin  # pcmkit evaluate over MPI (mpirun -np N); the build works without it
  libdnnl-dev  # optional: only benchmarks/conv3x3_benchmark compares against oneDNN with it
  ocl-icd-opencl-dev  # libdnnl-dev only recommends it, but its CMake config requires OpenCL
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
