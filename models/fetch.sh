#!/usr/bin/env bash
# Downloads model files listed in models/manifest.tsv into the user's model folder
# ($VOPSEARCH_MODELS, else ${XDG_DATA_HOME:-~/.local/share}/vopsearch/models), with a progress
# bar, resuming a partial download (FILE.part), and verifying the sha256 before the file is
# put in place. Files already present and verified are skipped.
#
# usage: models/fetch.sh [NAME...]      NAME from the manifest's first column; default: vit-b-32 bpe
#        models/fetch.sh --list
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/manifest.tsv"
dest="${VOPSEARCH_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/vopsearch/models}"

if [[ "${1:-}" == "--list" ]]; then
  grep -v '^#' "$manifest" | awk -F'\t' '{printf "%-10s %s\n", $1, $2}'
  exit 0
fi
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(vit-b-32 bpe)
command -v curl >/dev/null || { echo "fetch: curl is needed (apt-get install curl)" >&2; exit 1; }
mkdir -p "$dest"

status=0
for name in "${names[@]}"; do
  line=$(awk -F'\t' -v n="$name" '$1 == n' "$manifest")
  if [[ -z "$line" ]]; then
    echo "fetch: unknown model '$name'; known: $(grep -v '^#' "$manifest" | cut -f1 | tr '\n' ' ')" >&2
    status=2; continue
  fi
  IFS=$'\t' read -r _ file url sha _ <<<"$line"
  target="$dest/$file"
  if [[ -f "$target" ]] && echo "$sha  $target" | sha256sum -c --status; then
    echo "fetch: $file present and verified ($target)"; continue
  fi
  echo "fetch: downloading $file to $dest"
  if ! curl -fL --retry 3 --progress-bar -C - -o "$target.part" "$url"; then
    echo "fetch: could not download $url (no network?). Download it by other means and put it at $target" >&2
    status=1; continue
  fi
  if echo "$sha  $target.part" | sha256sum -c --status; then
    mv -f "$target.part" "$target"
    echo "fetch: $file verified (sha256 $sha)"
  else
    echo "fetch: $file failed verification (sha256 differs); removed the partial file, run again" >&2
    rm -f "$target.part"; status=1
  fi
done
exit $status
