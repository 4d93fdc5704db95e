#!/usr/bin/env bash
# The .deb test (CTest test_deb_package, label integration): builds the package with CPack from
# a build folder, checks its control facts and contents, unpacks it into a temporary root
# (dpkg -x) and runs the installed programs from there, so that they must find their files
# relative to their executable (not through the source tree).
#
# usage: packaging/test-deb.sh BUILD_DIR SHARED_DIR [--gui-help]
#   --gui-help   also require `vopsearch --help` of the installed window to print its usage
set -euo pipefail
build=$(cd "$1" && pwd)
shared=$2
gui_help=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/vop-deb-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }
has() { grep -qF -- "$2" <<<"$1" || fail "$3: '$2' not found in:
$1"; }

# 1. Build the package (stripped Release binaries; dependencies from dpkg-shlibdeps).
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
debs=("$work"/out/vopsearch_*.deb)
[[ -f "${debs[0]}" ]] || fail "no .deb in $work/out"
deb=${debs[0]}
echo "test-deb: built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# 2. Control facts.
info=$(dpkg-deb -I "$deb")
has "$info" "Package: vopsearch" "control"
has "$info" "Section: video" "control"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libtorch1.13 libqt6widgets6 libqt6multimedia6 libavformat59 libsqlite3-0 libcurl4 libopenblas0-pthread \
         gstreamer1.0-plugins-good gstreamer1.0-libav; do
  has "$depends" "$d" "Depends"
done

# 3. Contents.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/vopsearch ./usr/bin/vopsearch-cli ./usr/share/applications/vopsearch.desktop \
         ./usr/share/icons/hicolor/scalable/apps/vopsearch.svg \
         ./usr/share/icons/hicolor/256x256/apps/vopsearch.png \
         ./usr/share/vopsearch/bpe_simple_vocab_16e6.txt.gz \
         ./usr/share/vopsearch/models/manifest.tsv ./usr/share/vopsearch/models/fetch.sh; do
  has "$contents" " $f" "contents"
done
if grep -E '\.(pt|safetensors)$' <<<"$contents"; then fail "model weights inside the package"; fi

# 4. Unpack into a temporary root and run the installed programs from there.
dpkg -x "$deb" "$work/root"
usr="$work/root/usr"
if command -v file >/dev/null; then
  for b in vopsearch vopsearch-cli; do
    file -b "$usr/bin/$b" | grep -q ", stripped" || fail "$b is not stripped: $(file -b "$usr/bin/$b")"
  done
fi
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$usr/share/applications/vopsearch.desktop" || fail "desktop-file-validate"
fi
export XDG_DATA_HOME="$work/xdg" HOME="$work/home"
unset VOPSEARCH_MODELS VOPSEARCH_MODEL_MANIFEST
mkdir -p "$HOME"

out=$("$usr/bin/vopsearch-cli" --help) || fail "vopsearch-cli --help exited $?"
has "$out" "usage: vopsearch-cli COMMAND" "vopsearch-cli --help"
has "$out" "models" "vopsearch-cli --help"
out=$("$usr/bin/vopsearch-cli" models list) || fail "vopsearch-cli models list exited $?"
# The manifest and the vocabulary are found in the unpacked /usr/share/vopsearch.
has "$out" "manifest: $usr/share/vopsearch/models/manifest.tsv" "models list"
has "$out" "found at $usr/share/vopsearch/bpe_simple_vocab_16e6.txt.gz" "models list"
has "$out" "folder: $XDG_DATA_HOME/vopsearch/models" "models list"
# A real encode with the installed binary and the shipped vocabulary (no --vocab).
out=$("$usr/bin/vopsearch-cli" encode --device cpu \
        --checkpoint "$shared/fixtures/clip-tiny/model.safetensors" --text "a red square") ||
  fail "installed vopsearch-cli encode exited $?"
has "$out" '"token_ids"' "encode"
echo "test-deb: installed vopsearch-cli runs from $usr/bin"

if [[ "$gui_help" == "--gui-help" ]]; then
  out=$(QT_QPA_PLATFORM=offscreen timeout 60 "$usr/bin/vopsearch" --help 2>&1) ||
    fail "vopsearch --help exited $?: $out"
  has "$out" "--checkpoint" "vopsearch --help"
  echo "test-deb: installed vopsearch --help works"
else
  echo "test-deb: vopsearch --help not checked (this build's window has no --help yet)"
fi
echo "test-deb: ok"
