#!/usr/bin/env bash
# Issue #4's results table: evaluates the baseline and hardware-aware resnet32-pcm networks
# (data/resnet32-pcm-*.h5) and the ../shared ResNet-32 on PCM with the published device model,
# all layers analog, GDC and AdaBS, at 25 s, 1 h, 1 day, 30 days and 1 year, over 10 programming
# realisations, into data/results/<network>/ (results.csv, results.json, accuracy.png); then
# writes data/results/table.md (mean ± s.d. per network, time and compensation, with fp32 and the
# paper's figures) and data/results/accuracy.png (all networks, one plot).
# Environment: PCMKIT (binary, default build/bin/pcmkit), CIFAR10 (data dir), REPEATS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
pcmkit="${PCMKIT:-build/bin/pcmkit}"
data="${CIFAR10:-$HOME/.cache/pcmkit/cifar10}"
repeats="${REPEATS:-10}"
model=calibration/pcm_like_nandakumar2019.json
declare -A weights=(
  [resnet32-pcm-hwa]=data/resnet32-pcm-hwa.h5
  [resnet32-pcm-baseline]=data/resnet32-pcm-baseline.h5
  [resnet32-shared]=../shared/weights/resnet32-d509ac18.h5
)
declare -A arch=([resnet32-pcm-hwa]=resnet32-pcm [resnet32-pcm-baseline]=resnet32-pcm
  [resnet32-shared]=resnet32)
nets=(resnet32-pcm-hwa resnet32-pcm-baseline resnet32-shared)
for net in "${nets[@]}"; do
  if [ ! -f "${weights[$net]}" ]; then
    echo "results_table: ${weights[$net]} missing: skipping $net" >&2
    continue
  fi
  "$pcmkit" evaluate --model "$model" --weights "${weights[$net]}" --arch "${arch[$net]}" \
    --data "$data" --times 25,1h,1d,30d,1y --repeats "$repeats" --compensation gdc,adabs \
    --seed 1 -o "data/results/$net" >"data/results/$net.txt"
done

{
  echo "| network | fp32 | compensation | 25 s | 1 h | 1 day | 30 days | 1 year |"
  echo "|---|---|---|---|---|---|---|---|"
  for net in "${nets[@]}"; do
    csv="data/results/$net/results.csv"
    [ -f "$csv" ] || continue
    fp32=$(sed -n 's/^fp32 accuracy: \([0-9.]*\)%.*/\1/p' "data/results/$net.txt")
    for comp in gdc adabs; do
      awk -F, -v net="$net" -v comp="$comp" -v fp32="$fp32" '
        NR > 1 && $2 == comp {
          cells = cells ($7 > 1 ? sprintf(" %.2f ± %.2f |", $3, $4) : sprintf(" %.2f |", $3)) }
        END { printf "| %s | %s | %s |%s\n", net, fp32, comp, cells }' "$csv"
    done
  done
  echo
  echo "Joshi et al. 2020 (hardware): 93.7% after mapping; above 93.5% over one day with AdaBS;"
  echo "92.6% over one day with GDC only."
} >data/results/table.md
cat data/results/table.md

# One figure: accuracy against time, one colour per network (solid AdaBS, dashed GDC), each
# network's fp32 accuracy as a dotted line in its colour.
plot=""
colour=1
for net in "${nets[@]}"; do
  csv="data/results/$net/results.csv"
  [ -f "$csv" ] || continue
  for comp in adabs gdc; do
    awk -F, -v comp="$comp" 'NR > 1 && $2 == comp { print $1, $3, $4 }' "$csv" \
      >"data/results/$net-$comp.dat"
    dash=1
    [ "$comp" = gdc ] && dash=2
    plot="$plot'$net-$comp.dat' using 1:2:3 with yerrorlines lc $colour dt $dash lw 2 pt 7 title '$net $comp', "
  done
  fp32=$(sed -n 's/^fp32 accuracy: \([0-9.]*\)%.*/\1/p' "data/results/$net.txt")
  plot="$plot$fp32 with lines lc $colour dt 3 lw 1 title '$net fp32', "
  colour=$((colour + 1))
done
cat >data/results/accuracy.gp <<GP
set terminal pngcairo size 1100,650 font 'DejaVu Sans,11'
set output 'accuracy.png'
set logscale x
set xrange [15:5e7]
set xtics ("25 s" 25, "1 h" 3600, "1 day" 86400, "30 days" 2592000, "1 year" 31536000)
set grid
set key outside right top
set xlabel 'time after programming'
set ylabel 'CIFAR-10 test accuracy (%)'
set title 'ResNet-32 on PCM (published model, all layers analog; mean ± 1 s.d.)'
set samples 2
plot ${plot%, }
GP
(cd data/results && gnuplot accuracy.gp) && echo "wrote data/results/accuracy.png"
