#!/usr/bin/env bash
# Reproduce the shipped attitude model: training/run.sh [--smoke] [extra train.py options]
# Data: ../shared/data/fer2013/fer2013_trainval.npz (FER2013 Training + PublicTest with FER+ votes; never committed).
# Output: training/out/ (attitude_mien_minixception_64gray.onnx + training_report.json), or MIEN_TRAIN_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(training/setup.sh)"
data="${MIEN_FER_NPZ:-../shared/data/fer2013/fer2013_trainval.npz}"
[ -f "$data" ] || { echo "training: $data not found (set MIEN_FER_NPZ)" >&2; exit 1; }
weights="$(python3 scripts/provision.py fer-weights --dest training/out)"
"$python" training/train.py --data "$data" --fer-hdf5 "$weights" --out "${MIEN_TRAIN_OUT:-training/out}" --epochs 7 --threads 2 "$@"
