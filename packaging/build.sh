#!/usr/bin/env bash
# Configures and builds vopsearch into build/ (Ninja, Release). Extra arguments go to CMake.
# Used by run-app.sh and run-tests.sh; re-running only rebuilds what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${VOPSEARCH_BUILD_DIR:-$root/build}"
jobs="${VOPSEARCH_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$jobs"
