#!/usr/bin/env bash
# A second stage for issue #4's two networks (tried; it did not help, and the shipped networks are
# the first stage's: data/training/README.md), with the same extra budget for both: 20 more epochs
# from each run's final weights (cosine schedule from 0.01, seed 2, otherwise as in
# tools/train_pcm_networks.sh), into data/training/resnet32-pcm-{baseline,hwa}-ft:
#   baseline  no weight noise, no clipping
#   hwa       weight noise eta = 3.8%, clipping at 2 std
# Each starts from its first stage's committed data/training/resnet32-pcm-<run>/checkpoint.h5
# (the weights after epoch 200; a checkpoint is a weights file).
# Both run at once, one thread each; rerun to resume a stopped run bit for bit.
# Environment: PCMKIT (the binary, default build/bin/pcmkit), CIFAR10 (the data directory).
set -euo pipefail
cd "$(dirname "$0")/.."
pcmkit="${PCMKIT:-build/bin/pcmkit}"
data="${CIFAR10:-$HOME/.cache/pcmkit/cifar10}"
common=(train --arch resnet32-pcm --data "$data" --epochs 20 --batch-size 128 --lr 0.01
  --schedule cosine --momentum 0.9 --nesterov true --weight-decay 5e-4 --seed 2 --threads 1)
for run in baseline hwa; do
  out="data/training/resnet32-pcm-$run-ft"
  extra=()
  [ "$run" = hwa ] && extra=(--weight-noise 0.038 --clip 2)
  start=(--init-weights "data/training/resnet32-pcm-$run/checkpoint.h5")
  [ -f "$out/checkpoint.h5" ] && start=(--resume)
  mkdir -p "$out"
  OMP_WAIT_POLICY=passive nohup nice -n 5 "$pcmkit" "${common[@]}" "${extra[@]}" "${start[@]}" \
    -o "$out" >>"$out/stdout.log" 2>>"$out/stderr.log" &
  echo "started $run (pid $!): $pcmkit ${common[*]} ${extra[*]} ${start[*]} -o $out"
done
