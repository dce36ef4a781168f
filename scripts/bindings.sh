#!/usr/bin/env bash
# Generate the UI's TypeScript bindings of the IPC types (ui/src/bindings/) from the Rust types (ts-rs).
#   scripts/bindings.sh           regenerate
#   scripts/bindings.sh --check   regenerate and fail if that changed anything (CI: the committed bindings are current)
# ts-rs writes Rust u64 as `bigint`; over Tauri's JSON IPC they arrive as plain numbers (all of Mien's u64 values -
# milliseconds and counts - are far below 2^53), so `bigint` is rewritten to `number`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf ui/src/bindings
cargo test -q -p mien-app --lib export_bindings >/dev/null
sed -i 's/\bbigint\b/number/g' ui/src/bindings/*.ts
if [ "${1:-}" = "--check" ]; then
  if ! git diff --quiet -- ui/src/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/bindings)" ]; then
    git status --short ui/src/bindings
    echo "bindings: ui/src/bindings is out of date; run scripts/bindings.sh and commit the result" >&2
    exit 1
  fi
  echo "bindings: up to date ($(ls ui/src/bindings | wc -l) files)"
fi
