#!/usr/bin/env bash
# The GPU machine's one prepared run (issue 13): configure the model-only build against PyTorch's
# bundled LibTorch, build it with every core, run the model/prompts/train tests on the CPU and on
# CUDA, run the CUDA benchmarks (and the CPU ones on LibTorch 2.x), and leave every figure and log
# in $OUT. Each step is time-boxed and prints one PASS/FAIL line; the first failure ends the run
# (--keep-going: only a failed configure or build does). docs/BENCHMARKS.md ("GPU") says more.
#
#   bash tools/gpu-check.sh --prepare-kit   # here, once: what the GPU machine lacks -> build-gpukit/
#   bash tools/gpu-check.sh                 # there, from the repository root, build-gpukit carried
#   bash tools/gpu-check.sh --cpu-only --quick --jobs 2 --budget 3600   # a dry run of the CPU part
#
# The GPU machine has no FFmpeg, Qt or network and only the repository travels, so the kit holds
# the fixtures (clip-tiny, the BPE vocabulary), the fixture images as PPM (the build there decodes
# no PNG), nlohmann/json and zlib's headers. Results ($OUT, default build-gpu/out): summary.txt
# (the step lines and the figures), figures.md (tables for docs/BENCHMARKS.md), bench.jsonl (every
# benchmark's JSON), failed.log (the end of each failed step's log), logs.tar.gz (every log).
# Options: --jobs N (default: every core), --build-dir DIR (build-gpu), --quick (tiny CPU
# benchmarks), --budget S (a slow machine: the whole run's cap, each step's limit x10).
# shellcheck disable=SC2016,SC2317 # bash -c bodies are single-quoted on purpose; functions run via trap and bash -c
set -uo pipefail

ROOT=$(pwd)
BUILD=build-gpu
KIT=build-gpukit
JOBS=$(nproc)
CPU_ONLY=0
QUICK=0
KEEP_GOING=0
PREPARE=0
BUDGET=540 # seconds for the whole run; each step also has its own limit
SLOW=0     # --budget given: a slow machine (a dry run on 2 cores), step limits x10

while (($#)); do
  case $1 in
    --prepare-kit) PREPARE=1 ;;
    --cpu-only) CPU_ONLY=1 ;;
    --quick) QUICK=1 ;;
    --keep-going) KEEP_GOING=1 ;;
    --jobs) JOBS=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --budget) BUDGET=$2; SLOW=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ ! -f CMakeLists.txt || ! -d core/model ]]; then
  echo "gpu-check: run me from the repository root" >&2
  exit 2
fi

# --- the kit (on the development machine) ------------------------------------------------------
if ((PREPARE)); then
  shared=${VOPSEARCH_SHARED:-$ROOT/../shared}
  [[ -f $shared/fixtures/clip-tiny/golden.json ]] || { echo "gpu-check: no fixtures in $shared" >&2; exit 1; }
  command -v ffmpeg >/dev/null || { echo "gpu-check: --prepare-kit needs ffmpeg (PNG -> PPM)" >&2; exit 1; }
  rm -rf "$KIT"
  mkdir -p "$KIT/shared/fixtures" "$KIT/shared/clip" "$KIT/images" "$KIT/include"
  cp -r "$shared/fixtures/clip-tiny" "$KIT/shared/fixtures/"
  cp "$shared/clip/bpe_simple_vocab_16e6.txt.gz" "$KIT/shared/clip/"
  for png in "$shared"/fixtures/clip-tiny/images/*.png; do
    # PNG is lossless: these are the pixels core/media decodes.
    ffmpeg -v error -y -i "$png" -pix_fmt rgb24 -c:v ppm -f image2 "$KIT/images/$(basename "${png%.png}").ppm" ||
      { echo "gpu-check: ffmpeg could not convert $png" >&2; exit 1; }
  done
  cp -r /usr/include/nlohmann "$KIT/include/"
  cp /usr/include/zlib.h /usr/include/zconf.h "$KIT/include/"
  cp -L /lib/x86_64-linux-gnu/libz.so.1 "$KIT/libz.so.1"
  chmod -R u+w "$KIT"
  echo "gpu-check: kit ready in $KIT ($(du -sh "$KIT" | cut -f1)); carry it: run(carry=[\"$KIT\"])"
  exit 0
fi

# --- the run ------------------------------------------------------------------------------------
BUILD=$(realpath -m "$BUILD")
OUT=${OUT:-$BUILD/out}
LOGS=$BUILD/logs
mkdir -p "$OUT" "$LOGS"
rm -f "$LOGS"/* "$OUT/failed.log"
SUMMARY=$OUT/summary.txt
JSONL=$OUT/bench.jsonl
: >"$SUMMARY"
: >"$JSONL"
DEADLINE=$((SECONDS + BUDGET))
FAILED=0
CLI=$BUILD/app/cli/vopsearch-cli
export LOGS JSONL CLI

say() { echo "$*" | tee -a "$SUMMARY"; }

finish() {
  local rc=$?
  python3 "$ROOT/tools/gpu_figures.py" "$JSONL" "$LOGS" >"$OUT/figures.md" 2>>"$LOGS/figures.log" ||
    echo "(figures.md could not be written: see logs/figures.log)" >>"$SUMMARY"
  { echo; cat "$OUT/figures.md"; } >>"$SUMMARY"
  tar -czf "$OUT/logs.tar.gz" -C "$BUILD" logs 2>/dev/null
  ((rc != 0)) && FAILED=1
  if ((FAILED)); then echo "gpu-check: FAILED (summary: $SUMMARY)"; else echo "gpu-check: all steps passed ($SUMMARY)"; fi
  exit "$rc"
}
trap finish EXIT

# step NAME LIMIT_SECONDS COMMAND...: runs it time-boxed with its output in logs/NAME.log.
step() {
  local name=$1 limit=$2 t0=$SECONDS rc why
  shift 2
  if ((SECONDS + 10 > DEADLINE)); then
    why="no time left in the ${BUDGET} s budget"
    rc=124
  else
    ((SLOW)) && limit=$((limit * 10))
    ((limit > DEADLINE - SECONDS)) && limit=$((DEADLINE - SECONDS))
    timeout --kill-after=10 "$limit" "$@" >"$LOGS/$name.log" 2>&1
    rc=$?
    if ((rc == 0)); then
      say "PASS $name ($((SECONDS - t0)) s)"
      return 0
    fi
    if ((rc == 124 || rc == 137)); then
      why="timed out after ${limit} s"
    else
      # the first check that failed, compiler or CMake error, or failed ctest test
      why=$(grep -m1 -E 'FAILED:|error:|CMake Error|unexpected exception|\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)|Traceback' \
        "$LOGS/$name.log")
      [[ -z $why ]] && why=$(grep -v '^[[:space:]]*$' "$LOGS/$name.log" | tail -n1)
      why="exit $rc: $(cut -c1-220 <<<"$why")"
    fi
  fi
  say "FAIL $name ($why; log: logs/$name.log)"
  { echo "===== $name: $why"; tail -n 120 "$LOGS/$name.log" 2>/dev/null; } >>"$OUT/failed.log"
  FAILED=1
  return 1
}

# must: a failure here ends the run; soft: only without --keep-going.
must() { step "$@" || exit 1; }
soft() { step "$@" || ((KEEP_GOING)) || exit 1; }

# bench_json LABEL COMMAND...: runs a benchmark printing JSON; appends {"label", "result"} to bench.jsonl.
bench_json() {
  local label=$1
  shift
  "$@" --json >"$LOGS/$label.json" || return 1
  python3 -c 'import json,sys; print(json.dumps({"label": sys.argv[1], "result": json.load(open(sys.argv[2]))}))' \
    "$label" "$LOGS/$label.json" >>"$JSONL"
}

# bench_train_gpu VARIANT: bench-train on CUDA with the GPU memory sampled by nvidia-smi.
bench_train_gpu() {
  local v=$1 base peak sampler
  base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -n1)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$LOGS/mem-$v.txt" &
  sampler=$!
  bench_json "train-cuda-$v" "$CLI" bench-train --variant "$v" --batch 32 --frames 12 --steps 3 --device cuda
  local rc=$?
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  peak=$(sort -n "$LOGS/mem-$v.txt" | tail -n1)
  echo "{\"label\": \"gpu-memory-$v\", \"result\": {\"baseline_mib\": ${base:-0}, \"peak_mib\": ${peak:-0}}}" >>"$JSONL"
  return "$rc"
}
export -f bench_json bench_train_gpu

# 1. the machine
{
  echo "date: $(date -u +%FT%TZ)  host cores: $(nproc)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  if ((CPU_ONLY)); then echo "mode: --cpu-only"; else nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; fi
} 2>&1 | tee -a "$SUMMARY"

TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)' 2>/dev/null)
if [[ -n $TORCH_PREFIX ]]; then
  say "torch: $(python3 -c 'import torch;print(torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())')"
  minor=$(python3 -c 'import torch;v=torch.__version__.split(".");print(int(v[0])*100+int(v[1]))')
  ((minor >= 212)) && say "note: torch >= 2.12 headers want C++20; this build uses C++17 (CMakeLists.txt)"
elif ((CPU_ONLY)); then
  say "torch: python3 has none; the system LibTorch is used"
else
  say "FAIL machine (python3 cannot import torch: no LibTorch to build against)"
  FAILED=1
  exit 1
fi
if ((!CPU_ONLY)) && ! nvidia-smi -L >/dev/null 2>&1; then
  say "FAIL machine (no CUDA device visible: nvidia-smi -L failed; use --cpu-only for a dry run)"
  FAILED=1
  exit 1
fi

# 2. what the kit supplies where the machine lacks it
SHARED=
for d in ${VOPSEARCH_SHARED:+"$VOPSEARCH_SHARED"} "$ROOT/$KIT/shared" "$ROOT/shared" "$ROOT/../shared"; do
  [[ -z $SHARED && -f $d/fixtures/clip-tiny/golden.json && -f $d/clip/bpe_simple_vocab_16e6.txt.gz ]] && SHARED=$d
done
[[ -n ${VOPSEARCH_SHARED:-} && $SHARED != "$VOPSEARCH_SHARED" ]] && say "note: no fixtures in \$VOPSEARCH_SHARED=$VOPSEARCH_SHARED"
if [[ -z $SHARED ]]; then
  say "FAIL fixtures (none in ${VOPSEARCH_SHARED:+\$VOPSEARCH_SHARED, }$KIT/shared, shared/ or ../shared: run --prepare-kit on the development machine and carry $KIT)"
  FAILED=1
  exit 1
fi
export VOPSEARCH_SHARED=$SHARED
[[ -d $ROOT/$KIT/images ]] && export VOPSEARCH_TEST_IMAGES=$ROOT/$KIT/images
CONFIG=(-DVOPSEARCH_WITH_MEDIA=OFF -DVOPSEARCH_WITH_STORE=OFF -DVOPSEARCH_WITH_GUI=OFF
        -DCMAKE_BUILD_TYPE=Release "-DVOPSEARCH_SHARED_DIR=$SHARED")
[[ -n $TORCH_PREFIX ]] && CONFIG+=("-DCMAKE_PREFIX_PATH=$TORCH_PREFIX")
has_header() { echo "#include <$1>" | "${CXX:-c++}" -x c++ -fsyntax-only - >/dev/null 2>&1; }
if ! has_header nlohmann/json.hpp; then
  CONFIG+=("-DVOPSEARCH_JSON_INCLUDE=$ROOT/$KIT/include")
  say "note: nlohmann/json from $KIT/include"
fi
if ! has_header zlib.h; then
  zlib=$(ldconfig -p 2>/dev/null | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')
  if [[ -z $zlib ]]; then
    zlib=$ROOT/$KIT/libz.so.1
    export LD_LIBRARY_PATH=$ROOT/$KIT${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
  CONFIG+=("-DZLIB_INCLUDE_DIR=$ROOT/$KIT/include" "-DZLIB_LIBRARY=$zlib")
  say "note: zlib headers from $KIT/include, library $zlib"
fi
if ((!CPU_ONLY)) && command -v nvcc >/dev/null; then
  nvcc=$(command -v nvcc)
  export CUDACXX=$nvcc TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
  CONFIG+=("-DCUDAToolkit_ROOT=$(dirname "$(dirname "$nvcc")")" -DCMAKE_CUDA_ARCHITECTURES=90)
fi

# 3. configure and build (the model part: core/util, model, prompts, train, bench, the CLI, tests)
must configure 120 cmake -S . -B "$BUILD" -G Ninja "${CONFIG[@]}"
must build 360 cmake --build "$BUILD" -j "$JOBS"

# 4. tests, on the CPU, then on CUDA (test_parity and test_device_parity compare with the CPU;
#    TF32 off so that fp32 means fp32: cuDNN convolutions use TF32 by default)
soft tests-cpu 240 env VOPSEARCH_TEST_DEVICE=cpu ctest --test-dir "$BUILD" -LE bench -j 4 --output-on-failure -V
if ((!CPU_ONLY)); then
  soft tests-cuda 240 env VOPSEARCH_TEST_DEVICE=cuda NVIDIA_TF32_OVERRIDE=0 \
    ctest --test-dir "$BUILD" -LE bench -j 2 --output-on-failure -V
fi

# 5. benchmarks
if ((QUICK)); then SECS=0.3; else SECS=1; fi
if ((!CPU_ONLY)); then
  for precision in fp16 fp32; do
    for batch in 32 128 512; do
      soft "encode-cuda-$precision-$batch" 90 bash -c 'bench_json "$1" "$CLI" bench encode --device cuda --precision "$2" --batch "$3" --seconds "$4"' \
        _ "encode-cuda-$precision-$batch" "$precision" "$batch" "$SECS"
    done
  done
  soft variants-cuda 120 bash -c 'bench_json variants-cuda "$CLI" bench encode --variant all --clips 16 --frames 12 --device cuda --seconds "$1"' _ "$SECS"
  for v in vop vop-p vop-c vop-f vop-fp vop-fc; do
    soft "train-cuda-$v" 120 bash -c 'bench_train_gpu "$1"' _ "$v"
  done
fi
# The CPU on this LibTorch (2.x there; Debian's 1.13 figures are in docs/BENCHMARKS.md).
if ((QUICK)); then
  soft encode-cpu 240 bash -c 'bench_json encode-cpu "$CLI" bench encode --device cpu --batch 2 --seconds 0.3'
  soft train-cpu-vop 240 bash -c 'bench_json train-cpu-vop "$CLI" bench-train --variant vop --batch 2 --frames 2 --steps 1 --device cpu'
else
  soft encode-cpu 120 bash -c 'bench_json encode-cpu "$CLI" bench encode --device cpu --batch 32 --seconds 3'
  soft train-cpu-vop 120 bash -c 'bench_json train-cpu-vop "$CLI" bench-train --variant vop --batch 4 --steps 2 --device cpu'
fi
exit 0
