#!/usr/bin/env bash
# Makes a small library of coloured-shape videos that ../shared/fixtures/clip-toy understands
# (it knows 8 colours and squares), indexes it, and prints the command that opens the window on
# it. Used for the README screenshots and for trying the app without real weights.
#   tools/make-demo-library.sh [DIR]      (default /tmp/vopsearch-demo)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/vopsearch-demo}
cli="$root/build/app/cli/vopsearch-cli"
model="$root/../shared/fixtures/clip-toy/model.safetensors"
vocab="$root/../shared/clip/bpe_simple_vocab_16e6.txt.gz"
mkdir -p "$dir/videos/holiday" "$dir/videos/garden"

# A square of colour C moving across a dark background for S seconds (64 px tall is enough).
square() { # out colour seconds direction
  local out=$1 c=$2 s=$3 dir=$4 x
  case $dir in right) x="t/$s*(W-w)" ;; left) x="(1-t/$s)*(W-w)" ;; *) x="(W-w)/2" ;; esac
  ffmpeg -nostdin -v error -y -f lavfi -i "color=c=0x101418:s=320x180:r=10:d=$s" \
    -f lavfi -i "color=c=$c:s=90x90:r=10:d=$s" \
    -filter_complex "[0][1]overlay=x='$x':y=(H-h)/2:shortest=1" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p "$out"
}
# Three colours one after another, 15 s each: three moments in one file.
sequence() { # out c1 c2 c3
  local out=$1; shift
  local parts=() i=0
  for c in "$@"; do square "$dir/part$i.mp4" "$c" 15 still; parts+=("-i" "$dir/part$i.mp4"); i=$((i + 1)); done
  ffmpeg -nostdin -v error -y "${parts[@]}" -filter_complex "concat=n=3:v=1:a=0" -c:v libx264 -preset veryfast \
    -pix_fmt yuv420p "$out"
  rm -f "$dir"/part*.mp4
}
square "$dir/videos/holiday/red kite at the beach.mp4" red 6 right
square "$dir/videos/holiday/blue boat.mp4" blue 5 left
square "$dir/videos/holiday/yellow sun.mp4" yellow 4 still
square "$dir/videos/garden/green hedge.mp4" 0x00FF00 6 still
square "$dir/videos/garden/purple flowers.mp4" purple 5 right
square "$dir/videos/garden/orange cat, evening.mp4" orange 7 left
square "$dir/videos/garden/white shed.mp4" white 4 still
sequence "$dir/videos/holiday/afternoon (red, cyan, blue).mp4" red cyan blue
sequence "$dir/videos/garden/party lights.mp4" purple yellow 0x00FF00
touch -d '2 minutes ago' "$dir"/videos/*/*
"$cli" index "$dir/videos" --db "$dir/library.sqlite3" --checkpoint "$model" --vocab "$vocab" --quiet
echo
echo "open it: $root/build/app/gui/vopsearch --db $dir/library.sqlite3 --checkpoint $model"
