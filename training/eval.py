#!/usr/bin/env python3
"""Evaluate an expression/attitude ONNX model on labelled 48x48 faces with the same rules as `mien eval`
(numpy + onnxruntime only). Prints one JSON object: {"fer2013": {...}, "ferplus": {...}}, each with n, accuracy,
macro_f1, mcc, kappa, recall and the 3x3 confusion.

    python training/eval.py MODEL.onnx --data ../shared/data/fer2013/fer2013_trainval.npz --split 1

The input is each 48x48 image resized to the model's input side (64 or 112) with the `image` crate's Triangle
filter, gray, like the Rust pipeline (gray-input models only). Used by tests/run.sh to check that Python and Rust
evaluations of the shipped model agree within 0.3 percentage points."""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model')
    ap.add_argument('--data', required=True)
    ap.add_argument('--split', type=int, default=1)
    a = ap.parse_args()
    d = common.load(a.data)
    rows = np.where(d['split_code'] == a.split)[0]
    try:
        probs = common.onnx_probs(a.model, d['images'][rows])
    except ValueError as e:
        raise SystemExit(str(e))
    att = (probs @ np.eye(3)[common.BUCKET]).argmax(1)
    out = {'fer2013': common.metrics(common.fer2013_attitude(d['label7'][rows]), att)}
    fp = common.ferplus_attitude(d['ferplus_votes'][rows], d['row_exact'][rows])
    out['ferplus'] = common.metrics(fp[fp >= 0], att[fp >= 0])
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
