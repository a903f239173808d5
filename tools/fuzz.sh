#!/usr/bin/env bash
# Fuzzing pcmkit's readers of untrusted input with clang's libFuzzer (tests/fuzz/README.md).
#   tools/fuzz.sh build                  builds the libFuzzer programs in build-fuzz/ (clang,
#                                        AddressSanitizer + UndefinedBehaviorSanitizer)
#   tools/fuzz.sh run TARGET SECONDS     fuzzes one target on one core, starting from its committed
#                                        corpus; findings go to build-fuzz/findings/TARGET/, the
#                                        session's line to tests/fuzz/fuzzing_log.tsv
#   tools/fuzz.sh triage TARGET          sorts the findings: inputs that crash inside libhdf5
#                                        (contained by pcmkit's isolation) and ours to fix
#   tools/fuzz.sh minimize TARGET        the inputs that add coverage, into build-fuzz/corpus/TARGET.min
# Targets: campaign_hdf5 model_json network_hdf5 cifar10_binary jpeg_decode image_folder
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-fuzz
corpus_dir=$root/tests/fuzz/corpus
contained_dir=$root/tests/fuzz/contained

need_clang() {
  local missing=()
  for p in clang libclang-rt-14-dev libomp-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

case "${1:-}" in
  build)
    bash tools/install_deps.sh
    need_clang
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DPCMKIT_FUZZ=ON -DPCMKIT_SANITIZE=address,undefined -DPCMKIT_WERROR=OFF -DPCMKIT_MPI=OFF \
      -DPCMKIT_BUILD_BENCHMARKS=OFF >/dev/null
    targets=$(cd tests/fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//')
    cmake --build "$build" -j"$(nproc)" --target $targets
    ;;
  run)
    target=${2:?target}
    seconds=${3:?seconds}
    program=$build/tests/fuzz/${target}_fuzz
    [ -x "$program" ] || { echo "$program: not built (tools/fuzz.sh build)" >&2; exit 2; }
    work=$build/corpus/$target
    findings=$build/findings/$target
    mkdir -p "$work" "$findings"
    log=$build/logs/$target-$(date +%Y%m%dT%H%M%S).log
    mkdir -p "$(dirname "$log")"
    # A finding stops libFuzzer (libhdf5's own crashes are expected): its input is saved in
    # findings/ and the search starts again from the grown corpus until the time is used.
    start=$(date +%s)
    quick_restarts=0
    while [ $(( $(date +%s) - start )) -lt "$seconds" ]; do
      left=$(( seconds - ($(date +%s) - start) ))
      began=$(date +%s)
      found_before=$(ls "$findings" | wc -l)
      ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        "$program" -max_total_time="$left" -timeout=20 -rss_limit_mb=3072 -max_len=131072 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$corpus_dir/$target" \
        >>"$log" 2>&1 || true
      # An input that libhdf5 survived once can crash it in a fresh process (its state differs):
      # a finding already in the working corpus (both are named by the SHA-1) leaves it.
      for f in "$findings"/*-*; do
        [ -f "$f" ] && rm -f "$work/${f##*-}"
      done
      # A run that ends at once without a new finding would only repeat: a committed seed that
      # crashes, or a target that cannot start. Stop and say so.
      if [ $(( $(date +%s) - began )) -lt 5 ] && [ "$(ls "$findings" | wc -l)" -eq "$found_before" ]; then
        quick_restarts=$((quick_restarts + 1))
        if [ $quick_restarts -ge 3 ]; then
          echo "$target: libFuzzer stops at once without a new finding (a crashing seed in" \
            "tests/fuzz/corpus/$target?); see $log" >&2
          break
        fi
      else
        quick_restarts=0
      fi
    done
    end=$(date +%s)
    # CPU seconds of the fuzzer processes (children of this shell): user + system.
    times >"$log.times"
    cpu=$(tail -1 "$log.times" | awk '{
      n = 0
      for (i = 1; i <= 2; ++i) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] }
      printf "%d", n }')
    execs=$(grep '^stat::number_of_executed_units' "$log" | awk '{n += $2} END {print n + 0}' || true)
    crashes=$(ls "$findings" | grep -c -E '^(crash|oom|timeout|leak|slow-unit)-' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
    [ -f tests/fuzz/fuzzing_log.tsv ] ||
      printf 'date\ttarget\twall_s\tcpu_s\tcoverage\tinputs_run\tfindings\thost\n' >tests/fuzz/fuzzing_log.tsv
    printf '%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%d)" "$target" $((end - start)) "$cpu" \
      "${cov:-?}" "$execs" "$crashes" "$(grep -c avx512f /proc/cpuinfo | sed 's/^0$/no-avx512/;s/^[1-9].*/avx512/')" \
      >>tests/fuzz/fuzzing_log.tsv
    echo "$target: $((end - start)) s ($cpu s of CPU), coverage ${cov:-?}, $execs inputs run, $crashes findings in $findings (log $log)"
    ;;
  triage)
    # One line per finding: contained (the report's first frame outside the sanitizer and
    # libFuzzer runtimes and libc is in libhdf5, and no heap block of pcmkit's is involved),
    # runaway (memory limit with no such frame), not-reproduced (passes in a fresh process:
    # libhdf5 state from earlier inputs), or ours (to fix).
    target=${2:?target}
    program=$build/tests/fuzz/${target}_fuzz
    findings=$build/findings/$target
    for f in "$findings"/*; do
      [ -f "$f" ] || continue
      set +e
      out=$(ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        "$program" -timeout=20 -rss_limit_mb=3072 "$f" 2>&1)
      rc=$?
      set -e
      runtime='libclang_rt|__sanitizer|__asan|__ubsan|__interceptor|fuzzer::|libc\.so|sysdeps|sigaction|operator new|malloc|calloc|realloc'
      frame=$(echo "$out" | grep -E '^ +#[0-9]+ ' | grep -v -E "$runtime" | head -1 || true)
      # For a bad memory access: who allocated the block (a buffer pcmkit handed libhdf5 is ours).
      block=$(echo "$out" | sed -n '/allocated by thread/,$p' | grep -E '^ +#[0-9]+ ' |
        grep -v -E "$runtime" | head -1 || true)
      if [ $rc -eq 0 ]; then
        kind=not-reproduced
      elif echo "$frame" | grep -q libhdf5 && { [ -z "$block" ] || echo "$block" | grep -q libhdf5; }; then
        kind=contained
      elif [ -z "$frame" ] && echo "$out" | grep -q -E 'out-of-memory|malloc limit'; then
        kind=runaway
      else
        kind=ours
      fi
      printf '%s\t%s\t%s\n' "$kind" "$(basename "$f")" "$(echo "$frame" | sed 's/^ *//' | cut -c1-120)"
    done
    ;;
  minimize)
    target=${2:?target}
    program=$build/tests/fuzz/${target}_fuzz
    mkdir -p "$build/corpus/$target.min"
    ASAN_OPTIONS=detect_leaks=0 "$program" -merge=1 -timeout=20 -rss_limit_mb=3072 \
      "$build/corpus/$target.min" "$corpus_dir/$target" "$build/corpus/$target"
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
