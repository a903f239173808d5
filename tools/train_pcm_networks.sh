#!/usr/bin/env bash
# Trains (or, when a checkpoint exists, resumes) the two networks of issue #4 into data/training/:
#   resnet32-pcm-baseline  no weight noise, no clipping
#   resnet32-pcm-hwa       hardware-aware: weight noise eta = 3.8%, clipping at 2 std
# with the same budget: 200 epochs, batch 128, SGD (momentum 0.9, Nesterov, weight decay 5e-4),
# cosine schedule from 0.1, seed 1. Both run at once, one thread each, at low priority; logs go
# to data/training/<run>/stderr.log. A run that is stopped loses at most one epoch; rerun this
# script to continue it bit for bit (and commit the checkpoints before a session ends).
# Environment: PCMKIT (the binary, default build/bin/pcmkit), CIFAR10 (the data directory).
set -euo pipefail
cd "$(dirname "$0")/.."
pcmkit="${PCMKIT:-build/bin/pcmkit}"
data="${CIFAR10:-$HOME/.cache/pcmkit/cifar10}"
common=(train --arch resnet32-pcm --data "$data" --epochs 200 --batch-size 128 --lr 0.1
  --schedule cosine --momentum 0.9 --nesterov true --weight-decay 5e-4 --seed 1 --threads 1)
for run in baseline hwa; do
  out="data/training/resnet32-pcm-$run"
  extra=()
  [ "$run" = hwa ] && extra=(--weight-noise 0.038 --clip 2)
  resume=()
  [ -f "$out/checkpoint.h5" ] && resume=(--resume)
  mkdir -p "$out"
  OMP_WAIT_POLICY=passive nohup nice -n 5 "$pcmkit" "${common[@]}" "${extra[@]}" "${resume[@]}" \
    -o "$out" >>"$out/stdout.log" 2>>"$out/stderr.log" &
  echo "started $run (pid $!): $pcmkit ${common[*]} ${extra[*]} ${resume[*]} -o $out"
done
