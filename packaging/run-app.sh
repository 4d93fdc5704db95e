#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model (ViT-B/32 + BPE vocabulary) when
# the network allows it, and starts the vopsearch window.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
if ! "$root/models/fetch.sh" vit-b-32 bpe; then
  dest="${VOPSEARCH_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/vopsearch/models}"
  echo "run-app: the default model could not be downloaded. Put ViT-B-32.pt and" >&2
  echo "         bpe_simple_vocab_16e6.txt.gz (see models/manifest.tsv) into $dest" >&2
  echo "         and start again; the window opens anyway." >&2
fi
exec "${VOPSEARCH_BUILD_DIR:-$root/build}/app/gui/vopsearch" "$@"
