#!/usr/bin/env bash
# Set up everything Mien needs to build and run, from the package registries only:
#   - Debian/Ubuntu packages: FFmpeg libraries (video decoding), clang (FFmpeg bindings), pkg-config, ffmpeg (tests)
#   - ONNX Runtime from PyPI (pinned, sha256-checked) into .runtime/   (GPU variant: MIEN_GPU=1 scripts/setup.sh)
#   - a check of models/ against models/models.json
# Idempotent: does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(pkg-config clang libclang-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg)
if command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
      echo "setup: please install as root: apt-get install ${missing[*]}" >&2; exit 1; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian system; make sure FFmpeg development libraries, clang and pkg-config are installed" >&2
fi

command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
python3 scripts/provision.py runtime ${MIEN_GPU:+--gpu}
python3 scripts/provision.py models >/dev/null
