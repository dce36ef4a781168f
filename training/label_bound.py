#!/usr/bin/env python3
"""How far the two label sets of FER2013 PublicTest allow any model to go. Prints how many rows the FER2013 label
and the FER+ plurality agree on (as attitudes), and the least accuracy on those agreeing rows that any model needs
to reach the given accuracy targets against both label sets at once, in the best case: every row without a FER+
label right, and each disagreeing row counted for whichever label set needs it. With MODEL.onnx (gray input),
also that model's accuracy on the agreeing rows. numpy + onnxruntime only (training/requirements-eval.txt).

    python training/label_bound.py --data ../shared/data/fer2013/fer2013_trainval.npz --targets 0.85,0.87 \\
        [models/attitude_mien_minixception_64gray.onnx ...]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('models', nargs='*')
    ap.add_argument('--data', required=True)
    ap.add_argument('--split', type=int, default=1)
    ap.add_argument('--targets', default='0.85,0.87', help='accuracy against FER2013 labels, against FER+ plurality')
    a = ap.parse_args()
    t13, tfp = (float(x) for x in a.targets.split(','))
    d = common.load(a.data)
    rows = np.where(d['split_code'] == a.split)[0]
    f13 = common.fer2013_attitude(d['label7'][rows])
    fp = common.ferplus_attitude(d['ferplus_votes'][rows], d['row_exact'][rows])
    labelled = fp >= 0
    agree = labelled & (f13 == fp)
    n_agree, n_disagree, n_unlabelled = int(agree.sum()), int((labelled & ~agree).sum()), int((~labelled).sum())
    # correct(FER2013) + correct(FER+) <= 2 * right_on_agreeing + disagreeing + unlabelled
    need = (t13 * len(rows) + tfp * labelled.sum() - n_disagree - n_unlabelled) / (2 * n_agree)
    out = {'rows': len(rows), 'ferplus_rows': int(labelled.sum()), 'agree': n_agree, 'disagree': n_disagree,
           'agreement': n_agree / labelled.sum(), 'targets': [t13, tfp], 'min_accuracy_on_agreeing_rows': need,
           'models': {}}
    for path in a.models:
        att = (common.onnx_probs(path, d['images'][rows]) @ np.eye(3)[common.BUCKET]).argmax(1)
        out['models'][os.path.basename(path)] = float((att[agree] == f13[agree]).mean())
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
