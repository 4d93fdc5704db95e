#!/usr/bin/env bash
# Makes generated labelled folders for training and evaluating prompt sets on the toy CLIP
# (../shared/fixtures/clip-toy knows 8 colours and squares, circles, triangles from stills and has
# never seen motion): OUT/train/<label>/clipK.mkv and OUT/test/<label>/clipK.mkv, the label read
# through `--template "a {}"` as "a red square moving left".
#   tools/make-labelled-folders.sh KIND OUT [TRAIN_PER_LABEL [TEST_PER_LABEL]]   (6 and 3)
# KIND (6 labels each):
#   colour     a still square of 6 colours                        "a red square"
#   leftright  3 colours x moving left / right                    "a red square moving left"
#   updown     3 colours x moving up / down                       "a red square moving up"
#   speed      3 colours x moving right slowly / fast             "a red square moving slowly"
#   combined   3 shapes x moving left / right, colour varies      "a circle moving left"
# What makes motion learnable here (docs/TRAINING.md, "Learning on generated folders"): 64 x 64,
# a 24 px shape on black, lossless FFV1, the motion in 4 positions each held 12 frames at 16 fps
# (3 s; POSITIONS=12 makes 12 positions of 4 frames). With --frames 4 every candidate frame of a
# segment shows the same position, so a left clip holds exactly the frames of a right clip in
# reverse order. Clips of a label differ by the offset across the motion (training and test
# offsets interleave, never equal); left and right clips of a colour share their offsets.
set -euo pipefail
kind=${1:?usage: make-labelled-folders.sh KIND OUT [TRAIN TEST]}
out=${2:?usage: make-labelled-folders.sh KIND OUT [TRAIN TEST]}
ntrain=${3:-6}
ntest=${4:-3}
size=64 side=24 lo=4 hi=36 # hi = size - side - lo
positions=${POSITIONS:-4}  # held positions along the motion (48 frames in all)
hold=$((48 / positions))

# The alpha mask of a shape of side S (a square is opaque).
mask() {
  case $1 in
    circle) echo "if(lte(hypot(X-($side-1)/2,Y-($side-1)/2),$side/2),255,0)" ;;
    triangle) echo "if(gte(Y,2*abs(X-($side-1)/2)),255,0)" ;;
    *) echo 255 ;;
  esac
}

# clip OUT COLOUR SHAPE X0 Y0 X1 Y1: the shape stepping from (X0,Y0) to (X1,Y1) in 12 held steps.
clip() {
  local file=$1 colour=$2 shape=$3 x0=$4 y0=$5 x1=$6 y1=$7
  local k="floor(n/$hold)/($positions-1)"
  mkdir -p "$(dirname "$file")"
  ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i "color=c=black:s=${size}x${size}:r=16:d=3" \
    -f lavfi -i "color=c=$colour:s=${side}x${side}:r=16:d=3,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='$(mask "$shape")'" \
    -filter_complex "[0][1]overlay=x='$x0+($x1-$x0)*$k':y='$y0+($y1-$y0)*$k':eval=frame:shortest=1" \
    -threads 1 -c:v ffv1 -pix_fmt bgr0 "file:$file"
}

# offset PART I N: the I-th of N offsets across the motion, training (PART=train) and test
# offsets interleaved so that no test clip repeats a training one.
offset() {
  local part=$1 i=$2 n=$3
  local slot=$((part == 0 ? 2 * i : 2 * i + 1)) slots=$((2 * n))
  echo $((lo + (hi - lo) * slot / (slots - 1 > 0 ? slots - 1 : 1)))
}

# label DIR COLOUR SHAPE MOTION: the clips of one label in train/ and test/.
label() {
  local name=$1 colour=$2 shape=$3 motion=$4 p part n i o c
  for p in 0 1; do
    if [ $p = 0 ]; then part=train n=$ntrain; else part=test n=$ntest; fi
    for ((i = 0; i < n; ++i)); do
      o=$(offset $p $i $n)
      c=$colour
      if [ "$c" = any ]; then c=$(echo red green blue yellow white purple | cut -d' ' -f$((1 + (i + p) % 6))); fi
      case $motion in
        still) set -- $o $((hi - o + lo)) $o $((hi - o + lo)) ;;
        left) set -- $hi $o $lo $o ;;
        right) set -- $lo $o $hi $o ;;
        up) set -- $o $hi $o $lo ;;
        down) set -- $o $lo $o $hi ;;
        slowly) set -- $((lo + 8)) $o $((lo + 20)) $o ;;
        fast) set -- $lo $o $hi $o ;;
      esac
      clip "$out/$part/$name/clip$i.mkv" "$c" "$shape" "$@"
    done
  done
}

case $kind in
  colour)
    for c in red green blue yellow white purple; do label "${c}_square" $c square still; done ;;
  leftright | updown | speed)
    case $kind in leftright) motions="left right" ;; updown) motions="up down" ;; speed) motions="slowly fast" ;; esac
    for c in red green blue; do
      for m in $motions; do label "${c}_square_moving_$m" $c square $m; done
    done ;;
  combined)
    for s in square circle triangle; do
      for m in left right; do label "${s}_moving_$m" any $s $m; done
    done ;;
  *) echo "unknown kind '$kind': colour | leftright | updown | speed | combined" >&2; exit 2 ;;
esac
echo "$out: $(find "$out/train" -name '*.mkv' | wc -l) training and $(find "$out/test" -name '*.mkv' | wc -l) test clips"
