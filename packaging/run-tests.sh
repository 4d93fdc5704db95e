#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest labels unit,
# integration, gui; benchmarks are commands, not tests). GUI tests run offscreen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
cd "${VOPSEARCH_BUILD_DIR:-$root/build}"
export QT_QPA_PLATFORM=offscreen
ctest --output-on-failure -j "${VOPSEARCH_JOBS:-$(nproc)}" -LE bench
