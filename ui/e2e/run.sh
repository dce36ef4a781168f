#!/usr/bin/env bash
# End-to-end tests of the real desktop app under Xvfb: tauri-driver + WebKitWebDriver + webdriverio.
# Builds the app (debug, UI embedded), runs ui/e2e/app.e2e.mjs against a fresh database, and leaves screenshots,
# latency.json and the exported files in $MIEN_E2E_OUT (default: target/e2e), which CI keeps as artifacts.
# MIEN_APP_BIN=/usr/bin/mien-app ui/e2e/run.sh tests an installed package instead of building.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out="${MIEN_E2E_OUT:-$root/target/e2e}"
rm -rf "$out" && mkdir -p "$out/exports"
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver --version 2.1.0 --locked
app="${MIEN_APP_BIN:-}"
if [ -z "$app" ]; then
  ui/node_modules/.bin/tauri build --debug --no-bundle >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
  app="$root/target/debug/mien-app"
fi

video=../shared/data/media/videos/zwm_clip_01_tears_of_steel.mp4
[ -f "$video" ] || { echo "e2e: $video is required (../shared)" >&2; exit 1; }
export MIEN_APP_BIN="$app" MIEN_E2E_OUT="$out" MIEN_E2E_SAVE_DIR="$out/exports"
export MIEN_E2E_VIDEO="$(realpath "$video")" MIEN_DB="$out/e2e.db" MIEN_MOCK_CAMERA=1 LANG="${LANG:-C.UTF-8}"

xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  tauri-driver --port 4444 >"$MIEN_E2E_OUT/tauri-driver.log" 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break; sleep 0.1; done
  node ui/e2e/app.e2e.mjs
'
