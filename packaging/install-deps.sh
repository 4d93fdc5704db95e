#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running vopsearch need.
# Idempotent: when everything is present it only checks (dpkg-query) and returns in ~1 s.
# Usage: packaging/install-deps.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  # model download (vopsearch-cli models fetch, the first-run dialog)
  libcurl4-openssl-dev
  # model: LibTorch (CPU) and a fast BLAS for it (without it GEMMs run ~30x slower)
  libtorch-dev libopenblas0-pthread
  # media: FFmpeg libraries, and the CLI used by tests to generate videos
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  # tests: real players that open exported playlists (tests/search, shared/tools/check_playlists.py)
  mpv vlc-bin vlc-plugin-base
  # tests: the local HTTP server of the model-download test (tests/service/range_server.py)
  python3
  # tests: the independent PyTorch reference of the training step (tests/train/test_reference_grads,
  # tools/vop_reference.py; skipped without it); benchmarks: the Python research stack of
  # tools/py_index_stack.py / tools/bench_vs_python.py (OpenCV, Pillow, hnswlib)
  python3-torch python3-opencv python3-pil python3-hnswlib
  # store
  libsqlite3-dev sqlite3 libhnswlib-dev
  # support libraries
  libspdlog-dev libfmt-dev nlohmann-json3-dev zlib1g-dev
  # GUI: Qt 6 widgets, multimedia (+ GStreamer backend for playback), charts
  # (Qt6Charts' CMake package needs Qt6OpenGL, which qt6-charts-dev does not pull in)
  qt6-base-dev qt6-base-dev-tools qt6-multimedia-dev qt6-charts-dev libqt6opengl6-dev libqt6svg6
  libgl-dev libvulkan-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
  # headless GUI runs
  xvfb xauth
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ "${1:-}" == "--check" ]]; then
  echo "install-deps: missing: ${missing[*]}"
  exit 1
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
