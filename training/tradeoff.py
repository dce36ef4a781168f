#!/usr/bin/env python3
"""How far can a fine-tuned network be moved towards the FER2013 labels without losing the FER+ lead? For a
fine-tuned state (train.py writes finetuned_state.pt), prints, for each weight-space interpolation alpha with the
pre-trained network (WiSE-FT) and each scale of the neutral probability (a prior shift between neutral and the
other attitudes), the setting with the largest worst-case margin over the best baseline on PublicTest (accuracy and
MCC against FER2013 and FER+ labels; training/baselines.json). With --blend MODEL.onnx:W the network's probabilities
are first averaged with another gray-input, canonical-order model's (weight W on that model): an output-space
ensemble. An analysis tool: it selects on PublicTest, so its figures are selection figures.

    python training/tradeoff.py --state training/out/finetuned_state.pt --fer-hdf5 training/out/emotion_model.hdf5 \\
        --data ../shared/data/fer2013/fer2013_trainval.npz
    python training/tradeoff.py --arch faceapi --state OUT/finetuned_state.pt --data NPZ --alphas 1.0 \\
        --blend models/attitude_mien_minixception_64gray.onnx:0.7
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from train import ARCHS, add_arch_args, best_baseline, evaluate, figures, interpolate, predict, pretrained_net, worst_margin  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--state', required=True)
    add_arch_args(ap)
    ap.add_argument('--data', required=True)
    ap.add_argument('--baselines', default=os.path.join(here, 'baselines.json'))
    ap.add_argument('--alphas', default='0.6,0.7,0.8,0.9,1.0')
    ap.add_argument('--blend', help='MODEL.onnx:W, average with that model\'s probabilities (weight W on it)')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = common.load(a.data)
    public = np.where(d['split_code'] == 1)[0]
    arch = ARCHS[a.arch]
    images = common.resize_48(d['images'][public], arch.size)
    targets = best_baseline(a.baselines)
    net = pretrained_net(a)
    pre = {k: v.clone() for k, v in net.state_dict().items()}
    fine = torch.load(a.state)
    other, weight = None, 0.0
    if a.blend:
        path, weight = a.blend.rsplit(':', 1)
        other, weight = common.onnx_probs(path, d['images'][public], a.threads), float(weight)
    print('best baseline per figure:', json.dumps({k: round(v, 4) for k, v in targets.items()}))
    for alpha in (float(x) for x in a.alphas.split(',')):
        net.load_state_dict(interpolate(pre, fine, alpha))
        probs = predict(net, images, arch.flip)
        if other is not None:
            probs = (1 - weight) * probs + weight * other
        best = None
        for scale in np.arange(0.5, 1.3001, 0.05):
            q = probs.copy()
            q[:, common.CANONICAL.index('neutral')] *= scale
            f = figures(evaluate(q, d, public))
            margin = worst_margin(f, targets)
            if best is None or margin > best[0]:
                best = (margin, scale, f)
        margin, scale, f = best
        print(json.dumps({'alpha': alpha, 'neutral_scale': round(float(scale), 2), 'worst_margin': round(margin, 4),
                          **{k: round(v, 4) for k, v in f.items()}}), flush=True)


if __name__ == '__main__':
    main()
