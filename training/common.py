"""Shared pieces of the training pipeline: data loading and labels (the same rules as `mien eval`), the input
contract of the shipped model, and the 3-attitude metrics."""
import numpy as np

# FER2013 label7 order = canonical order of the project: angry, disgust, fear, happy, sad, surprise, neutral
CANONICAL = ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
ATTITUDES = ('negative', 'neutral', 'positive')
# canonical index -> attitude index
BUCKET = np.array([0, 0, 0, 2, 0, 0, 1])
# FER+ votes order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
# -> canonical index (contempt folded into disgust: both count as negative)
FERPLUS_TO_CANONICAL = np.array([6, 3, 5, 4, 0, 1, 2, 1])
SIZE = 64  # the mini-Xception input side (the Rust pipeline resizes every face crop to the model's side, triangle filter)


def load(path):
    d = np.load(path)
    out = {k: d[k] for k in ('images', 'label7', 'split_code')}
    out['ferplus_votes'] = d['ferplus_votes'] if 'ferplus_votes' in d.files else None
    out['row_exact'] = d['row_exact'] if 'row_exact' in d.files else np.ones(len(out['label7']), bool)
    out['exact_dup'] = d['exact_dup'] if 'exact_dup' in d.files else None
    return out


def fer2013_attitude(label7):
    return BUCKET[label7.astype(int)]


def ferplus_attitude(votes, row_exact):
    """Plurality (first maximum, as numpy argmax) -> attitude; -1 where unknown / NF / no votes / not exact."""
    best = votes.argmax(1)
    att = np.full(len(votes), -1)
    ok = (best < 8) & (votes.max(1) > 0) & row_exact
    att[ok & (best == 0)] = 1
    att[ok & (best == 1)] = 2
    att[ok & (best >= 2) & (best <= 7)] = 0
    return att


def ferplus_distribution(votes, row_exact):
    """FER+ votes as a 7-class canonical distribution (unknown / NF dropped); rows without usable votes -> None."""
    dist = np.zeros((len(votes), 7), np.float32)
    for j, c in enumerate(FERPLUS_TO_CANONICAL):
        dist[:, c] += votes[:, j]
    total = dist.sum(1, keepdims=True)
    usable = (total[:, 0] > 0) & row_exact
    dist = np.where(total > 0, dist / np.maximum(total, 1), 0)
    return dist, usable


def triangle_matrix(n_in, n_out):
    """Weights of the `image` crate's Triangle filter along one axis (f32, normalised per output)."""
    ratio = np.float32(n_in) / np.float32(n_out)
    sratio = max(ratio, np.float32(1.0))
    w = np.zeros((n_out, n_in), np.float32)
    for o in range(n_out):
        c = (np.float32(o) + np.float32(0.5)) * ratio
        left = int(np.clip(np.floor(c - sratio), 0, n_in - 1))
        right = int(np.clip(np.ceil(c + sratio), left + 1, n_in))
        c = c - np.float32(0.5)
        for i in range(left, right):
            x = abs((np.float32(i) - c) / sratio)
            w[o, i] = (1 - x) if x < 1 else 0
        w[o] /= w[o].sum()
    return w


def resize_48(images, size=SIZE):
    """48x48 u8 -> size x size u8 with the `image` crate's Triangle filter (as the Rust pipeline resizes every face
    crop), rounded half away from zero to u8. numpy only (no torch), so evaluation needs just numpy + onnxruntime."""
    w = triangle_matrix(48, size)
    out = np.empty((len(images), size, size), np.uint8)
    for i in range(0, len(images), 2048):
        x = images[i:i + 2048].astype(np.float32)
        y = np.einsum('oi,nij,pj->nop', w, x, w, optimize=True)
        out[i:i + 2048] = np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8)
    return out


def onnx_probs(path, images48, threads=1):
    """A gray-input ONNX classifier's outputs for 48x48 u8 images, fed as the Rust pipeline feeds it: resized to the
    model's input side (Triangle), gray `(0.299 R + 0.587 G) + 0.114 B` in f32 with R = G = B. Raises ValueError for a
    model whose input is not [n, 1, S, S]."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    shape = sess.get_inputs()[0].shape
    if len(shape) != 4 or shape[1] != 1:
        raise ValueError(f'{path}: input shape {shape} is not gray [n, 1, S, S]')
    x = resize_48(images48, shape[2]).astype(np.float32)
    gray = ((np.float32(0.299) * x + np.float32(0.587) * x) + np.float32(0.114) * x)[:, None]
    return np.concatenate([sess.run(None, {'input': gray[i:i + 256]})[0] for i in range(0, len(gray), 256)])


def metrics(truth, pred, k=3):
    """accuracy, macro-F1, MCC (Gorodkin), Cohen's kappa, confusion; the same formulas as mien_core::metrics."""
    c = np.zeros((k, k), np.int64)
    for t, p in zip(truth, pred):
        c[t, p] += 1
    n = c.sum()
    row, col, diag = c.sum(1).astype(float), c.sum(0).astype(float), np.diag(c).astype(float)
    div = lambda a, b: a / b if b > 0 else 0.0
    recall = [div(diag[i], row[i]) for i in range(k)]
    precision = [div(diag[i], col[i]) for i in range(k)]
    f1 = [div(2 * precision[i] * recall[i], precision[i] + recall[i]) for i in range(k)]
    acc = div(diag.sum(), n)
    pe = (row * col).sum() / max(n * n, 1)
    kappa = div(acc - pe, 1 - pe)
    mcc = div(diag.sum() * n - (col * row).sum(), np.sqrt((n * n - (col ** 2).sum()) * (n * n - (row ** 2).sum())))
    return {'n': int(n), 'accuracy': acc, 'macro_f1': float(np.mean(f1)), 'mcc': mcc, 'kappa': kappa,
            'recall': recall, 'confusion': c.tolist()}
