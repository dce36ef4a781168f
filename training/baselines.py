#!/usr/bin/env python3
"""Write training/baselines.json: the registry baselines' 3-attitude figures on PublicTest as `mien eval` (the app's
code path) measures them, for train.py --baselines (alpha chosen to beat the best of them on every figure) and for
the model card.

    python3 training/baselines.py --mien target/debug/mien --data ../shared/data/fer2013/fer2013_trainval.npz
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_agreement import mien_eval  # noqa: E402

MODELS = ('mini-xception', 'faceapi', 'ensemble')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--mien', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'baselines.json'))
    a = ap.parse_args()
    out = {'how': 'mien eval DATA --split publictest --labels fer2013|ferplus --model M --format json', 'models': {}}
    for m in MODELS:
        out['models'][m] = {}
        for labels in ('fer2013', 'ferplus'):
            r = mien_eval(a.mien, a.data, labels, m)
            out['models'][m][labels] = {k: r[k] for k in ('n', 'accuracy', 'macro_f1', 'mcc', 'kappa')}
    json.dump(out, open(a.out, 'w'), indent=1)
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
