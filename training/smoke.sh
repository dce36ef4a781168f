#!/usr/bin/env bash
# The training pipeline end to end in about two minutes (tests/run.sh, hence CI): training/run.sh --smoke, then a
# models folder in which the smoke model replaces the shipped attitude model (its sha256 in models.json updated),
# so that `mien` can load it and training/check_agreement.py can compare the Rust and Python evaluations of it:
# the exported graph's input contract (64x64 gray 0..255, Triangle resize) must be the one the Rust pipeline feeds.
#   training/smoke.sh DIR      writes DIR/out (ONNX + training_report.json), DIR/models and DIR/out-faceapi
# With MIEN_DROP_TRAIN_VENV=1 (CI) the ~4.5 GB training virtualenv is removed afterwards to spare the disk.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: training/smoke.sh DIR}"
rm -rf "$dir" && mkdir -p "$dir"
MIEN_TRAIN_OUT="$dir/out" training/run.sh --smoke --seeds 1,2 --alphas 0.5,1.0 --baselines training/baselines.json
# The other starting point (face-api, 112x112): its PyTorch port is checked against the converted model on load, its
# export against PyTorch.
MIEN_TRAIN_OUT="$dir/out-faceapi" training/run.sh --smoke --arch faceapi --seeds 1 >/dev/null
file=attitude_mien_minixception_64gray.onnx
cp -r models "$dir/models"
cp "$dir/out/$file" "$dir/models/$file"
python3 - "$dir/models/models.json" "$dir/models/$file" <<'PY'
import hashlib, json, sys
manifest, onnx = sys.argv[1], sys.argv[2]
m = json.load(open(manifest))
entry = next(e for e in m['models'] if e['id'] == 'mien')
entry['sha256'] = hashlib.sha256(open(onnx, 'rb').read()).hexdigest()
json.dump(m, open(manifest, 'w'), indent=1)
PY
echo "training smoke: $dir/out/$file ($(python3 -c "import json;r=json.load(open('$dir/out/training_report.json'));print(r['seconds'],'s, PublicTest[:512] FER+ acc',round(r['publictest']['ferplus']['accuracy'],3))"))"
if [ "${MIEN_DROP_TRAIN_VENV:-0}" = 1 ]; then
  python="$(training/setup.sh)"
  rm -rf "$(dirname "$(dirname "$python")")"
fi
