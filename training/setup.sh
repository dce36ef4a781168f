#!/usr/bin/env bash
# Create (once) the training virtualenv in the cache folder, keyed by the pinned requirements; print its python.
# Packages are installed one by one with --no-deps and no pip cache (see requirements-train.txt for why).
set -euo pipefail
cd "$(dirname "$0")"
cache="${MIEN_CACHE_DIR:-$HOME/.cache/mien}"
venv="$cache/venv-train-$(sha256sum requirements-train.txt | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv.tmp"
  python3 -m venv "$venv.tmp"
  grep -v '^#' requirements-train.txt | while read -r pkg; do
    [ -n "$pkg" ] || continue
    "$venv.tmp/bin/pip" install -q --disable-pip-version-check --no-cache-dir --no-deps "$pkg" >&2
  done
  "$venv.tmp/bin/python" -c 'import torch, onnx, onnxruntime, h5py' >&2
  mv "$venv.tmp" "$venv"
fi
echo "$venv/bin/python"
