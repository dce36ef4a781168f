#!/usr/bin/env bash
# Side-by-side speed comparison (see scripts/side_by_side.py and docs/benchmarks.md):
#   scripts/side_by_side.sh [VIDEO]      default: the Tears of Steel clip from ../shared, looped to 60 s
# Builds a cached virtualenv from PyPI (pinned, ~7.6 GB: fer needs TensorFlow and PyTorch) and a release mien.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${MIEN_CACHE_DIR:-$HOME/.cache/mien}"
venv="$cache/venv-sidebyside-$(sha256sum scripts/requirements-sidebyside.txt | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv.tmp" && "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-sidebyside.txt
  mv "$venv.tmp" "$venv"
fi
scripts/setup.sh
cargo build --quiet --release -p mien-cli
out=bench-results; mkdir -p "$out"
video="${1:-}"
if [ -z "$video" ]; then
  video="$out/tears_of_steel_60s.mp4"
  [ -f "$video" ] || ffmpeg -v error -y -stream_loop 5 -i ../shared/data/media/videos/zwm_clip_01_tears_of_steel.mp4 -c copy "$video"
fi
"$venv/bin/python" scripts/side_by_side.py --mien target/release/mien --models models --json "$out/side_by_side.json" "$video"
