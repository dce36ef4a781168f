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
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(a.model, so, providers=['CPUExecutionProvider'])
    d = common.load(a.data)
    rows = np.where(d['split_code'] == a.split)[0]
    shape = sess.get_inputs()[0].shape  # ['n', 1, S, S]
    if shape[1] != 1:
        raise SystemExit(f'{a.model}: input shape {shape} is not gray [n, 1, S, S]')
    x = common.resize_48(d['images'][rows], shape[2]).astype(np.float32)
    gray = (np.float32(0.299) * x + np.float32(0.587) * x) + np.float32(0.114) * x
    probs = np.concatenate([sess.run(None, {'input': gray[i:i + 256, None]})[0] for i in range(0, len(rows), 256)])
    att = (probs @ np.eye(3)[common.BUCKET]).argmax(1)
    out = {'fer2013': common.metrics(common.fer2013_attitude(d['label7'][rows]), att)}
    fp = common.ferplus_attitude(d['ferplus_votes'][rows], d['row_exact'][rows])
    out['ferplus'] = common.metrics(fp[fp >= 0], att[fp >= 0])
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
