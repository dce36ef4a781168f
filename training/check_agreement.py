#!/usr/bin/env python3
"""Rust and Python evaluations of the same ONNX model must agree: runs `mien eval --format json` and
training/eval.py on PublicTest for FER2013 and FER+ labels and fails if any accuracy differs by more than 0.3
percentage points.

    python training/check_agreement.py --mien target/debug/mien --data ../shared/data/fer2013/fer2013_trainval.npz \\
        --model mien --onnx models/attitude_mien_minixception_64gray.onnx
"""
import argparse
import json
import os
import subprocess
import sys

TOLERANCE = 0.003


def mien_eval(mien, data, labels, model, models=None):
    """`mien eval DATA --split publictest --labels LABELS --model MODEL --format json` (with `--models DIR` when
    given), parsed."""
    cmd = [mien, 'eval', data, '--split', 'publictest', '--labels', labels, '--model', model, '--format', 'json']
    cmd += ['--models', models] if models else []
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--mien', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--model', required=True, help='the model name for `mien eval --model`')
    ap.add_argument('--onnx', required=True, help='the same model file for training/eval.py')
    ap.add_argument('--models', help='models folder for `mien --models` (default: mien\'s own choice)')
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    py = json.loads(subprocess.run([sys.executable, os.path.join(here, 'eval.py'), a.onnx, '--data', a.data,
                                    '--split', '1'], check=True, capture_output=True, text=True).stdout)
    bad = 0
    for labels in ('fer2013', 'ferplus'):
        rust = mien_eval(a.mien, a.data, labels, a.model, a.models)
        diff = abs(rust['accuracy'] - py[labels]['accuracy'])
        ok = diff <= TOLERANCE and rust['n'] == py[labels]['n']
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {labels:<8} n {rust['n']}/{py[labels]['n']}  accuracy rust "
              f"{rust['accuracy']:.4f} python {py[labels]['accuracy']:.4f}  |diff| {diff * 100:.2f} pp  "
              f"MCC rust {rust['mcc']:.4f} python {py[labels]['mcc']:.4f}")
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
