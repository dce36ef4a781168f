#!/usr/bin/env bash
# Set up everything Mien needs to build and run, from the package registries only:
#   - Debian/Ubuntu packages: FFmpeg libraries (video decoding), clang (FFmpeg bindings), pkg-config, ffmpeg (tests);
#     WebKitGTK and friends for the desktop app (Tauri 2), GStreamer plugins (video in the webview);
#     with MIEN_SETUP_TESTS=1 also Xvfb, WebKitWebDriver, poppler/qpdf (PDF checks) and rpm (bundles)
#   - the UI's npm packages (ui/node_modules, from ui/package-lock.json)
#   - ONNX Runtime from PyPI (pinned, sha256-checked) into .runtime/   (GPU variant: MIEN_GPU=1 scripts/setup.sh)
#   - a check of models/ against models/models.json
# Idempotent: does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(pkg-config clang libclang-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  build-essential file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav)
if [ -n "${MIEN_SETUP_TESTS:-}" ]; then
  pkgs+=(xvfb xauth webkit2gtk-driver imagemagick poppler-utils qpdf rpm)
fi
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
command -v npm >/dev/null || { echo "setup: Node.js 20+ with npm is required for the desktop app's UI" >&2; exit 1; }
# npm packages, reinstalled when the lock file changes
stamp=ui/node_modules/.mien-lock-sha256
want="$(sha256sum ui/package-lock.json | cut -c1-64)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
python3 scripts/provision.py runtime ${MIEN_GPU:+--gpu}
python3 scripts/provision.py models >/dev/null
