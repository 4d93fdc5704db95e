#!/usr/bin/env bash
# Every variant against zero-shot CLIP on generated labelled folders (tools/make-labelled-folders.sh)
# with the toy CLIP and the default training settings, printed as the markdown table of
# docs/TRAINING.md ("Learning on generated folders"): held-out test t2v/v2t R@1 and R@5, the exit
# code of `train` (3: not better than zero-shot on validation), the rate and steps it chose, the
# seed and the training time.
#   tools/train-sweep.sh [--kinds "colour leftright updown speed combined"] [--variants "vop vop-p ..."]
#                        [--seeds "0 1"] [--clips "4 2"] [--dir DIR] [--minutes M] [--jobs N]
#                        [-- extra train options]
# Runs N trainings at a time (1; at most one per core is worth it), each with one torch thread, and
# prints the rows in the order of the loops whatever order they finish in; stops starting new runs
# after M minutes (60) and says which were not run. Run it with `nice -n 10` on a shared machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli="$root/build/app/cli/vopsearch-cli"
model="$root/../shared/fixtures/clip-toy/model.safetensors"
vocab="$root/../shared/clip/bpe_simple_vocab_16e6.txt.gz"
kinds="colour leftright updown speed combined"
variants="vop vop-p vop-c vop-f vop-fp vop-fc"
seeds="0"
clips="4 2" # training and test clips per label
dir=/tmp/vopsearch-sweep
minutes=60
jobs=1
while [ $# -gt 0 ]; do
  case $1 in
    --kinds) kinds=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --clips) clips=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
common=(--format folders --template "a {}" --checkpoint "$model" --vocab "$vocab" --cache "$dir/cache" --threads 1)
start=$(date +%s)
mkdir -p "$dir"

# row NAME SEED EXIT LR STEPS SECONDS EVAL_JSON
row() {
  jq -r --arg n "$1" --arg s "$2" --arg e "$3" --arg lr "$4" --arg st "$5" --arg sec "$6" \
    '"| \($n) | \($s) | \($e) | \($lr) | \($st) | \(.t2v["R@1"]*10|round/10) | \(.t2v["R@5"]*10|round/10) | \(.v2t["R@1"]*10|round/10) | \(.v2t["R@5"]*10|round/10) | \($sec) |"' <<<"$7"
}

# one KIND VARIANT SEED: trains and tests one run, prints its row
one() {
  local kind=$1 variant=$2 seed=$3 data="$dir/data/$1"
  local out="$dir/$kind-$variant-$seed.safetensors" log="$dir/$kind-$variant-$seed.log"
  local train code
  set +e
  train=$("$cli" train --data "$data/train" "${common[@]}" --variant "$variant" --frames 4 --seed "$seed" \
    --out "$out" --json "${extra[@]}" 2>"$log")
  code=$?
  set -e
  if [ $code != 0 ] && [ $code != 3 ]; then
    echo "| $kind | $variant | $seed | $code (see $log) | | | | | | | |"
    return
  fi
  local lr steps sec test
  lr=$(jq -r '.lr' <<<"$train")
  steps=$(jq -r '"\(.kept_step)/\(.steps)"' <<<"$train")
  sec=$(jq -r '(.seconds + .lr_search_seconds)|round' <<<"$train")
  test=$("$cli" eval --data "$data/test" "${common[@]}" --prompts "$out" --json 2>/dev/null)
  row "$kind | $variant" "$seed" "$code" "$lr" "$steps" "$sec" "$test"
}

rows="$dir/rows"
rm -rf "$rows"
mkdir -p "$rows"
n=0
for kind in $kinds; do
  data="$dir/data/$kind"
  [ -d "$data/test" ] || "$root/tools/make-labelled-folders.sh" "$kind" "$data" $clips >&2
  zero=$("$cli" eval --data "$data/test" "${common[@]}" --zero-shot --frames 4 --json 2>/dev/null)
  n=$((n + 1))
  row "$kind | zero-shot" - - - - - "$zero" >"$rows/$(printf %04d $n)"
  for variant in $variants; do
    for seed in $seeds; do
      n=$((n + 1))
      file="$rows/$(printf %04d $n)"
      if [ $(( $(date +%s) - start )) -gt $((minutes * 60)) ]; then
        echo "| $kind | $variant | $seed | not run: the ${minutes} min time box was spent | | | | | | | |" >"$file"
        continue
      fi
      while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
      one "$kind" "$variant" "$seed" >"$file" &
    done
  done
done
wait
echo "| data | variant | seed | exit | lr | steps | test t2v R@1 | R@5 | v2t R@1 | R@5 | train s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
cat "$rows"/*
echo "($(( ($(date +%s) - start) / 60 )) min, $jobs at a time; steps: kept/total; train s: search + training)" >&2
