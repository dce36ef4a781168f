#!/usr/bin/env bash
# Build the .deb and .rpm, install the .deb, and run the end-to-end tests against the installed app: the package
# must run with its bundled ONNX Runtime and models, without this checkout (the development fallbacks are disabled).
#   scripts/package_check.sh            debug profile (fast; what tests/run.sh runs)
#   scripts/package_check.sh --release  the release build users get (about 15 minutes on 2 cores)
# Needs root (dpkg); removes the package again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug; flag=--debug
if [ "${1:-}" = "--release" ]; then profile=release; flag=; fi
out="${MIEN_E2E_OUT:-$PWD/target/e2e-package}"
mkdir -p "$out"
ui/node_modules/.bin/tauri build $flag --bundles deb rpm >"$out/bundle.log" 2>&1 || { tail -40 "$out/bundle.log"; exit 1; }
deb=$(ls -t target/$profile/bundle/deb/*.deb | head -1)
rpm=$(ls -t target/$profile/bundle/rpm/*.rpm | head -1)
echo "package: $deb ($(du -h "$deb" | cut -f1)), $rpm ($(du -h "$rpm" | cut -f1))"
dpkg-deb -c "$deb" >"$out/deb-files.txt"
if command -v rpm >/dev/null; then rpm -qpl "$rpm" >"$out/rpm-files.txt" 2>/dev/null; else : >"$out/rpm-files.txt"; fi
for f in models/models.json models/attitude_mien_minixception_64gray.onnx models/face_detection_front_128x128_barracuda.onnx \
  runtime/libonnxruntime.so.1.32.0; do
  grep -q "usr/lib/Mien/$f\$" "$out/deb-files.txt" || { echo "package: $f missing from $deb" >&2; exit 1; }
  if [ -s "$out/rpm-files.txt" ]; then
    grep -q "/usr/lib/Mien/$f\$" "$out/rpm-files.txt" || { echo "package: $f missing from $rpm" >&2; exit 1; }
  fi
done
if [ "$(id -u)" != 0 ]; then echo "package: not root, the .deb is not installed and run" >&2; exit 0; fi
trap 'dpkg -r mien >/dev/null 2>&1 || true' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
# An installed program must not find the workspace's runtime or models: run it from elsewhere, with the
# development fallbacks off.
MIEN_NO_DEV_RUNTIME=1 MIEN_E2E_EXPECT_RUNTIME_UNDER=/usr/lib/Mien MIEN_APP_BIN=/usr/bin/mien-app MIEN_E2E_OUT="$out" ui/e2e/run.sh
