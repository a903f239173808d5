#!/usr/bin/env bash
# Trains (or, when a checkpoint exists, resumes) the two networks of issue #4 into data/training/:
#   resnet32-pcm-baseline  no weight noise, no clipping
#   resnet32-pcm-hwa       hardware-aware: weight noise eta = 3.8%, clipping at 2 std
# with the same budget: batch 128, SGD (momentum 0.9, Nesterov, weight decay 5e-4), cosine schedule,
#   first stage (default): 200 epochs from scratch, from lr 0.1, seed 1;
#   `frozen`: 5 more epochs from each first run's checkpoint.h5 with BatchNorm's running statistics
#     frozen (--frozen-bn-epochs), from lr 0.001, seed 2, into data/training/<run>-fbn: issue #4's
#     networks are these runs' weights.h5 (the baseline is still data/resnet32-pcm-baseline.h5);
#   `second`: 20 more epochs from each first run's committed checkpoint.h5 (a weights file), from
#     lr 0.01, seed 2, into data/training/<run>-ft (tried; it did not help: data/training/README.md).
#   `distilled` (issue #16; the hardware-aware run only): 200 epochs from scratch, seed 3, with
#     Cutout 16, an EMA of the weights (decay 0.999) and knowledge distillation (alpha 0.9, T 4)
#     from the ensemble of the two first-stage networks (94.01% on the test set), into
#     data/training/resnet32-pcm-hwa-kd: its weights.h5 is data/resnet32-pcm-hwa.h5 since issue #16;
#   `distilled-frozen`: 5 more epochs of the distilled recipe from its checkpoint.h5 (the EMA
#     network) with BatchNorm's running statistics frozen, from lr 0.001, seed 4, into
#     data/training/resnet32-pcm-hwa-kd-fbn (as `frozen` did for the first stage).
# Both run at once, one thread each, at low priority; logs go to data/training/<run>/stderr.log. A
# run that is stopped loses at most one epoch; rerun this script to continue it bit for bit (and
# commit the first stage's checkpoints before a session ends).
# Environment: PCMKIT (the binary, default build/bin/pcmkit), CIFAR10 (the data directory).
set -euo pipefail
cd "$(dirname "$0")/.."
pcmkit="${PCMKIT:-build/bin/pcmkit}"
data="${CIFAR10:-$HOME/.cache/pcmkit/cifar10}"
stage="${1:-first}"
case "$stage" in
  first) suffix="" schedule=(--epochs 200 --lr 0.1 --seed 1) ;;
  second) suffix="-ft" schedule=(--epochs 20 --lr 0.01 --seed 2) ;;
  frozen) suffix="-fbn" schedule=(--epochs 5 --lr 0.001 --seed 2 --frozen-bn-epochs 5) ;;
  distilled) suffix="-kd" schedule=(--epochs 200 --lr 0.1 --seed 3 --cutout 16 --ema-decay 0.999
    --teacher data/training/resnet32-pcm-baseline/checkpoint.h5
    --teacher data/training/resnet32-pcm-hwa/checkpoint.h5 --distill-weight 0.9
    --distill-temperature 4) ;;
  distilled-frozen) suffix="-kd-fbn" schedule=(--epochs 5 --lr 0.001 --seed 4 --frozen-bn-epochs 5
    --cutout 16 --ema-decay 0.999 --teacher data/training/resnet32-pcm-baseline/checkpoint.h5
    --teacher data/training/resnet32-pcm-hwa/checkpoint.h5 --distill-weight 0.9
    --distill-temperature 4) ;;
  *) echo "usage: $0 [first|second|frozen|distilled|distilled-frozen]" >&2 && exit 2 ;;
esac
runs=(baseline hwa)
case "$stage" in distilled*) runs=(hwa) ;; esac
common=(train --arch resnet32-pcm --data "$data" "${schedule[@]}" --batch-size 128
  --schedule cosine --momentum 0.9 --nesterov true --weight-decay 5e-4 --threads 1)
for run in "${runs[@]}"; do
  out="data/training/resnet32-pcm-$run$suffix"
  extra=()
  [ "$run" = hwa ] && extra=(--weight-noise 0.038 --clip 2)
  start=()
  case "$stage" in
    second | frozen) start=(--init-weights "data/training/resnet32-pcm-$run/checkpoint.h5") ;;
    distilled-frozen) start=(--init-weights "data/training/resnet32-pcm-$run-kd/checkpoint.h5") ;;
  esac
  [ -f "$out/checkpoint.h5" ] && start=(--resume)
  mkdir -p "$out"
  OMP_WAIT_POLICY=passive nohup nice -n 5 "$pcmkit" "${common[@]}" "${extra[@]}" "${start[@]}" \
    -o "$out" >>"$out/stdout.log" 2>>"$out/stderr.log" &
  echo "started $run (pid $!): $pcmkit ${common[*]} ${extra[*]} ${start[*]} -o $out"
done
