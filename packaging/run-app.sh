#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model (ViT-B/32; the BPE vocabulary ships
# with the program) when the network allows it, and starts the vopsearch window.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
if ! "$root/models/fetch.sh" vit-b-32; then
  dest="${VOPSEARCH_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/vopsearch/models}"
  echo "run-app: the default model could not be downloaded now; the window opens anyway and" >&2
  echo "         offers the download again, or put ViT-B-32.pt (models/manifest.tsv) into $dest." >&2
fi
exec "${VOPSEARCH_BUILD_DIR:-$root/build}/app/gui/vopsearch" "$@"
