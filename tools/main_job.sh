#!/usr/bin/env bash
# The main job, end to end on bundled defaults: installs what is missing, builds, draws a virtual
# measurement campaign from the published model (calibration/), calibrates it (out/model.json,
# out/report/), fetches CIFAR-10 once into a cache, and evaluates ResNet-32 on PCM with the fitted
# model against time after programming, with and without drift compensation (out/evaluation/:
# table, CSV, JSON, plot).
# Environment:
#   PCMKIT_WEIGHTS   network weights (default data/resnet32-pcm-hwa.h5, the paper's ResNet-32
#                    layout trained hardware-aware by pcmkit train; see data/training/)
#   PCMKIT_ARCH      its architecture (default resnet32-pcm for the default weights, else resnet32)
#   PCMKIT_REPEATS   programming realisations (default 3: about 3 minutes on 2 AVX-512 cores, 4
#                    built for AVX2; the README's table uses 10)
#   PCMKIT_CIFAR10   CIFAR-10 cache directory (default ~/.cache/pcmkit/cifar10)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
mkdir -p out

echo "== 1. calibrate: virtual campaign from the published model, fitted back ==" >&2
./build/bin/pcmkit synth --model calibration/pcm_like_nandakumar2019.json --seed 1 \
  -o out/campaign.h5
./build/bin/pcmkit calibrate out/campaign.h5 -o out/model.json --report out/report
echo "(the prior column is the published model the campaign was drawn from)"

if [ -n "${PCMKIT_WEIGHTS:-}" ]; then
  weights="$PCMKIT_WEIGHTS" arch="${PCMKIT_ARCH:-resnet32}"
else
  weights=data/resnet32-pcm-hwa.h5 arch="${PCMKIT_ARCH:-resnet32-pcm}"
fi
if [ ! -f "$weights" ]; then
  cat >&2 <<EOF
main_job: no network weights at '$weights', so the evaluation step is skipped.
  Calibration results are in out/. To evaluate a network on PCM, train one (pcmkit train) or
  export a trained CIFAR-10 ResNet-32 from PyTorch (tools/export_pytorch_weights.py) and run
    PCMKIT_WEIGHTS=path/to/resnet32.h5 PCMKIT_ARCH=resnet32 bash tools/main_job.sh
EOF
  exit 0
fi

echo "== 2. CIFAR-10 (fetched once into a cache) ==" >&2
cifar="${PCMKIT_CIFAR10:-${HOME:?HOME is not set; set PCMKIT_CIFAR10}/.cache/pcmkit/cifar10}"
bash tools/fetch_cifar10.sh "$cifar" >&2

echo "== 3. evaluate $arch ($weights) on PCM with the fitted model ==" >&2
./build/bin/pcmkit evaluate --model out/model.json --weights "$weights" --arch "$arch" \
  --data "$cifar" --times 25,1h,1d,30d,1y --repeats "${PCMKIT_REPEATS:-3}" \
  --compensation none,gdc,adabs --seed 1 -o out/evaluation
echo "(results, settings and the plot accuracy.png are in out/evaluation/)"
