#!/usr/bin/env bash
# Create (once) the training virtualenv in the cache folder, keyed by the pinned requirements; print its python.
set -euo pipefail
cd "$(dirname "$0")"
cache="${MIEN_CACHE_DIR:-$HOME/.cache/mien}"
venv="$cache/venv-train-$(sha256sum requirements-train.txt | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r requirements-train.txt >&2
  mv "$venv.tmp" "$venv"
fi
echo "$venv/bin/python"
