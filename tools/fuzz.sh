#!/usr/bin/env bash
# Builds one fuzz target with clang-14 + libFuzzer + ASan/UBSan into build-fuzz/ and runs it on its
# committed corpus (tests/fuzz/corpus/TARGET); new interesting inputs go to build-fuzz/corpus/TARGET.
# To keep some, minimise into the committed corpus (keep it small):
#   build-fuzz/tests/fuzz/fuzz_TARGET -merge=1 tests/fuzz/corpus/TARGET build-fuzz/corpus/TARGET
#   tools/fuzz.sh TARGET [SECONDS]      e.g. tools/fuzz.sh safetensors 600
# Targets: safetensors torch_archive prompt_set tokenizer dataset index catalog query.
# A crash, a hang (-timeout=10 s) or an out-of-memory (-rss_limit_mb=2048) stops the run and leaves
# the input as build-fuzz/artifacts/TARGET/crash-* (timeout-*, oom-*): fix the parser, then copy it
# into the corpus as a regression case (CTest replays the corpus in the normal build).
# Run it niced on a shared machine: nice -n 10 tools/fuzz.sh ...
set -euo pipefail
target="${1:?usage: tools/fuzz.sh TARGET [SECONDS]}"
seconds="${2:-600}"
root=$(cd "$(dirname "$0")/.." && pwd)
build="${VOPSEARCH_FUZZ_BUILD_DIR:-$root/build-fuzz}"
corpus="$root/tests/fuzz/corpus/$target"
[ -d "$corpus" ] || { echo "no corpus folder $corpus (unknown target '$target'?)" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVOPSEARCH_FUZZ=ON -DVOPSEARCH_WITH_GUI=OFF -DVOPSEARCH_USE_PCH=OFF >/dev/null
fi
# Only the target and the torch-free libraries it links are built.
cmake --build "$build" --target "fuzz_$target" -j "${VOPSEARCH_JOBS:-2}"
artifacts="$build/artifacts/$target"
mkdir -p "$artifacts" "$build/corpus/$target" "$build/tmp"
# The targets write their input into a folder under TMPDIR; libFuzzer's exits skip its clean-up.
export TMPDIR="$build/tmp"
dict=()
[ -f "$root/tests/fuzz/$target.dict" ] && dict=(-dict="$root/tests/fuzz/$target.dict")
exec "$build/tests/fuzz/fuzz_$target" "$build/corpus/$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len="${VOPSEARCH_FUZZ_MAX_LEN:-65536}" -print_final_stats=1 \
  -artifact_prefix="$artifacts/"
