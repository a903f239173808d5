#!/usr/bin/env bash
# Issue #16's ablation: short runs of resnet32-pcm that rank the training recipes by measured
# effect. Every recipe trains EPOCHS (15) epochs from scratch with the same budget: seed 11, one
# thread, batch 128, SGD (momentum 0.9, Nesterov, weight decay 5e-4), cosine from lr 0.1, and the
# shipped network's hardware-aware setting (weight noise eta 3.8%, clipping at 2 std) unless the
# recipe varies eta. Each run goes to data/training/ablation/<recipe>/ (resumed from its
# checkpoint when one exists), and its exported network is then evaluated on PCM (published
# model, all layers analog) at 25 s and one day, GDC and AdaBS, REPEATS (3) realisations, seed 1,
# into data/training/ablation/<recipe>/pcm/. Last, data/training/ablation/table.md.
#   reference  the shipped recipe (issue #4's hardware-aware run, shortened)
#   cutout     + Cutout 16                 ema      + EMA of the weights, decay 0.999
#   ema-bn     + EMA 0.999 with its BatchNorm statistics re-estimated on 10,000 training images
#   distill    + distillation from the two first-stage networks (alpha 0.9, T 4)
#   mixup      + mixup, alpha 1            cutmix   + CutMix, alpha 1, on half the steps
#   eta-2.5    eta 2.5% instead of 3.8%    eta-5    eta 5%
#   combined   Cutout + EMA + distillation (the long run's recipe, resnet32-pcm-hwa-kd)
# Usage: tools/ablation.sh [recipe ...]   (default: all, in the order above; `table` only
#   rebuilds the table from the runs there are). Runs one recipe at a time, at low priority;
#   two can run at once on two cores (`tools/ablation.sh & tools/ablation.sh combined eta-5 &`):
#   a recipe another one is running is skipped (a lock file in its folder).
# Environment: PCMKIT (default build/bin/pcmkit), CIFAR10 (data directory), EPOCHS (15),
#   REPEATS (3), ABLATION (output directory, default data/training/ablation), EXTRA (more train
#   options, e.g. --max-train-images for a smoke test; recorded in each run's settings.json),
#   EVAL_EXTRA (more evaluate options, e.g. --max-images).
set -euo pipefail
cd "$(dirname "$0")/.."
pcmkit="${PCMKIT:-build/bin/pcmkit}"
data="${CIFAR10:-$HOME/.cache/pcmkit/cifar10}"
epochs="${EPOCHS:-15}"
repeats="${REPEATS:-3}"
root="${ABLATION:-data/training/ablation}"
model=calibration/pcm_like_nandakumar2019.json
all=(reference cutout ema ema-bn distill mixup cutmix eta-2.5 eta-5 combined)
teachers=(--teacher data/training/resnet32-pcm-baseline/checkpoint.h5
  --teacher data/training/resnet32-pcm-hwa/checkpoint.h5 --distill-weight 0.9
  --distill-temperature 4)

recipe_options() {
  case "$1" in
    reference) echo "" ;;
    cutout) echo "--cutout 16" ;;
    ema) echo "--ema-decay 0.999" ;;
    ema-bn) echo "--ema-decay 0.999 --ema-bn-images 10000" ;;
    distill) echo "${teachers[*]}" ;;
    mixup) echo "--mixup 1" ;;
    cutmix) echo "--cutmix 1 --mix-probability 0.5" ;;
    eta-2.5) echo "--weight-noise 0.025" ;;
    eta-5) echo "--weight-noise 0.05" ;;
    combined) echo "--cutout 16 --ema-decay 0.999 ${teachers[*]}" ;;
    *) return 1 ;;
  esac
}

# Non-empty lines of a file, 0 when it is missing.
lines() { if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi; }

run_recipe() {
  local recipe=$1 out="$root/$1" options noise=(--weight-noise 0.038)
  options=$(recipe_options "$recipe") || {
    echo "ablation: unknown recipe '$recipe' (known: ${all[*]})" >&2
    exit 2
  }
  case "$recipe" in eta-*) noise=() ;; esac
  # Done before (in a fresh clone its network is not there, its log and results are): skip.
  if [ "$(lines "$out/log.csv")" -gt "$epochs" ] && [ -f "$out/pcm/results.csv" ]; then
    echo "ablation: $recipe already done ($out)" >&2
    return 0
  fi
  mkdir -p "$out"
  # One runner per recipe: another tools/ablation.sh (on the other core, say) skips it.
  local lock
  exec {lock}>"$out/.lock"
  if ! flock -n "$lock"; then
    echo "ablation: $recipe is being run by another tools/ablation.sh, skipped" >&2
    exec {lock}>&-
    return 0
  fi
  local start=()
  [ -f "$out/checkpoint.h5" ] && start=(--resume)
  # shellcheck disable=SC2086 # the recipe's options are words
  OMP_WAIT_POLICY=passive nice -n 10 "$pcmkit" train --arch resnet32-pcm --data "$data" \
    --epochs "$epochs" --lr 0.1 --seed 11 --batch-size 128 --schedule cosine --momentum 0.9 \
    --nesterov true --weight-decay 5e-4 --threads 1 --clip 2 "${noise[@]}" $options \
    ${EXTRA:-} "${start[@]}" -o "$out" 2>>"$out/stderr.log" >"$out/train.txt" ||
    [ "$(lines "$out/log.csv")" -gt "$epochs" ]  # already complete
  if [ ! -f "$out/pcm/results.csv" ] || [ "$out/pcm/results.csv" -ot "$out/weights.h5" ]; then
    OMP_WAIT_POLICY=passive nice -n 10 "$pcmkit" evaluate --quiet --model "$model" \
      --weights "$out/weights.h5" --arch resnet32-pcm --data "$data" --times 25,1d \
      --repeats "$repeats" --compensation gdc,adabs --seed 1 --threads 1 ${EVAL_EXTRA:-} \
      -o "$out/pcm" >"$out/pcm.txt"
  fi
  exec {lock}>&-
  echo "ablation: $recipe done ($out)" >&2
}

table() {
  {
    echo "| recipe | options | epochs | fp32 | last iterate | 25 s AdaBS | 25 s GDC | 1 day AdaBS | 1 day GDC |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for recipe in "${all[@]}"; do
      local out="$root/$recipe"
      [ -f "$out/log.csv" ] || continue
      # log.csv: epoch, lr, loss, train accuracy, test accuracy (exported network), seconds,
      # last iterate's test accuracy.
      local last
      last=$(tail -1 "$out/log.csv")
      local cells="— | — | — | —"
      if [ -f "$out/pcm/results.csv" ]; then
        cells=$(awk -F, 'NR > 1 { v[$1 "," $2] = sprintf("%.2f ± %.2f", $3, $4) }
          END { printf "%s | %s | %s | %s", v["25,adabs"], v["25,gdc"], v["86400,adabs"],
                v["86400,gdc"] }' "$out/pcm/results.csv")
      fi
      local options
      options=$(recipe_options "$recipe" |
        sed 's|--teacher [^ ]*baseline[^ ]* --teacher [^ ]*hwa[^ ]*|--teacher (both first-stage networks)|')
      echo "$last" | awk -F, -v r="$recipe" -v o="${options:-—}" -v c="$cells" \
        '{ printf "| %s | %s | %d | %.2f | %.2f | %s |\n", r, o, $1, $5, $7, c }'
    done
  } >"$root/table.md"
  cat "$root/table.md"
}

mkdir -p "$root"
if [ "${1:-}" = table ]; then
  table
  exit 0
fi
recipes=("$@")
[ ${#recipes[@]} -eq 0 ] && recipes=("${all[@]}")
for recipe in "${recipes[@]}"; do run_recipe "$recipe"; done
table
