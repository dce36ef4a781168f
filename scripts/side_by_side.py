#!/usr/bin/env python3
"""Side by side on the same video and the same sampling: (a) `mien analyze`, (b) the PyPI `fer` package's video
analysis (its own Haar-cascade detector and mini-Xception classifier), (c) a straightforward Python ONNX Runtime
pipeline with mien's own models (BlazeFace front + mini-Xception + face-api, averaged).

Run through scripts/side_by_side.sh, which builds the pinned virtualenv (requirements-sidebyside.txt) and mien.

    side_by_side.py --mien target/release/mien --models models VIDEO [--every-ms 200] [--json OUT]

Method: each tool is a separate process timed from start to exit (start-up and model loading included, as a user
experiences it); frames/s = analysed samples / wall time. (c) decodes with OpenCV, resizes with Pillow's
antialiased bilinear filter (the closest Pillow has to the `image` crate's triangle filter) and runs ONNX Runtime
with one intra-op thread; labels of (a) and (c) are compared sample by sample.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ATTITUDES = ('negative', 'neutral', 'positive')


# ------------------------------------------------------------------------------------------------ (c) plain Python
def anchors():
    out = []
    for f, per in ((16, 2), (8, 6)):
        for y in range(f):
            for x in range(f):
                out += [((x + 0.5) / f, (y + 0.5) / f)] * per
    return np.array(out, np.float32)


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class PlainPipeline:
    def __init__(self, models):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        p = ['CPUExecutionProvider']
        self.det = ort.InferenceSession(os.path.join(models, 'face_detection_front_128x128_barracuda.onnx'), so, providers=p)
        self.mini = ort.InferenceSession(os.path.join(models, 'emotion_mini_xception_fer2013_64gray.onnx'), so, providers=p)
        self.fa = ort.InferenceSession(os.path.join(models, 'emotion_faceapi_112rgb.onnx'), so, providers=p)
        self.anchors = anchors()

    def detect(self, rgb):
        from PIL import Image
        h, w, _ = rgb.shape
        s = max(w, h)
        canvas = np.zeros((s, s, 3), np.uint8)
        canvas[:h, :w] = rgb
        small = np.asarray(Image.fromarray(canvas).resize((128, 128), Image.BILINEAR), np.float32)
        x = (small / 127.5 - 1.0)[None]
        o = dict(zip([v.name for v in self.det.get_outputs()], self.det.run(None, {'input:0': x})))
        logits = np.concatenate([o['Identity:0'][0, :, 0], o['Identity_1:0'][0, :, 0]])
        regs = np.concatenate([o['Identity_2:0'][0], o['Identity_3:0'][0]])
        scores = 1 / (1 + np.exp(-np.clip(logits, -100, 100)))
        keep = np.where(scores >= 0.75)[0]
        cand = []
        for i in keep:
            r, (ax, ay) = regs[i] / 128.0, self.anchors[i]
            cx, cy, bw, bh = r[0] + ax, r[1] + ay, r[2], r[3]
            cand.append((scores[i], i, np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])))
        cand.sort(key=lambda c: (-c[0], c[1]))
        faces = []
        while cand:
            top = cand[0]
            group = [c for c in cand if c[1] == top[1] or iou(c[2], top[2]) > 0.3]
            cand = [c for c in cand if not (c[1] == top[1] or iou(c[2], top[2]) > 0.3)]
            wsum = sum(c[0] for c in group)
            box = sum(c[2] * c[0] for c in group) / wsum * s
            faces.append(box)
        return faces

    def classify(self, rgb, box):
        from PIL import Image
        h, w, _ = rgb.shape
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = max(1, int(np.floor(1.2 * max(box[2] - box[0], box[3] - box[1]) + 0.5)))
        left, top = int(np.floor(cx - side / 2 + 0.5)), int(np.floor(cy - side / 2 + 0.5))
        crop = np.zeros((side, side, 3), np.uint8)
        x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, w), min(top + side, h)
        if x0 < x1 and y0 < y1:
            crop[y0 - top:y1 - top, x0 - left:x1 - left] = rgb[y0:y1, x0:x1]
        im = Image.fromarray(crop)
        g = np.asarray(im.resize((64, 64), Image.BILINEAR), np.float32)
        gray = (0.299 * g[..., 0] + 0.587 * g[..., 1]) + 0.114 * g[..., 2]
        p1 = self.mini.run(None, {'input': gray[None, None]})[0][0]
        c = np.asarray(im.resize((112, 112), Image.BILINEAR), np.float32).transpose(2, 0, 1)[None]
        p2 = self.fa.run(None, {'input': c})[0][0][[3, 5, 4, 1, 2, 6, 0]]
        p = (p1 + p2) / 2
        att = np.array([p[0] + p[1] + p[2] + p[4] + p[5], p[6], p[3]])
        return ATTITUDES[int(np.argmax(att))]


def run_plain(video, models, every_ms, out_json):
    import cv2
    pipe = PlainPipeline(models)
    cap = cv2.VideoCapture(video)
    rows, due, n = [], 0, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        t = cap.get(cv2.CAP_PROP_POS_MSEC)
        n += 1
        if t + 0.5 < due:
            continue
        due = (int(t) // every_ms + 1) * every_ms
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        faces = pipe.detect(rgb)
        if not faces:
            rows.append({'t_ms': int(round(t)), 'label': None})
            continue
        main = max(faces, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        rows.append({'t_ms': int(round(t)), 'label': pipe.classify(rgb, main)})
    json.dump(rows, open(out_json, 'w'))


# ------------------------------------------------------------------------------------------------ (b) fer
def run_fer(video, every_ms, out_json):
    import cv2
    from fer.classes import Video
    from fer.fer import FER
    fps = cv2.VideoCapture(video).get(cv2.CAP_PROP_FPS) or 25
    frequency = max(1, int(round(every_ms / 1000 * fps)))
    det = FER(mtcnn=False)
    v = Video(video, outdir=tempfile.mkdtemp())
    raw = v.analyze(det, display=False, frequency=frequency, save_frames=False, save_video=False,
                    annotate_frames=False, zip_images=False)
    frames = int(cv2.VideoCapture(video).get(cv2.CAP_PROP_FRAME_COUNT))
    # fer returns rows only for frames where it found a face; it analysed every `frequency`-th frame
    json.dump({'samples': -(-frames // frequency), 'rows_with_face': len(raw) if raw is not None else 0,
               'frequency': frequency}, open(out_json, 'w'))


# ------------------------------------------------------------------------------------------------ driver
def timed(cmd, env=None, cwd=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f'{cmd[:3]} failed:\n{r.stderr.decode()[-2000:]}')
    return dt, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('video')
    ap.add_argument('--mien', required=True)
    ap.add_argument('--models', required=True)
    ap.add_argument('--every-ms', type=int, default=200)
    ap.add_argument('--json')
    ap.add_argument('--role', choices=['plain', 'fer'], help=argparse.SUPPRESS)
    ap.add_argument('--out', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.role == 'plain':
        return run_plain(a.video, a.models, a.every_ms, a.out)
    if a.role == 'fer':
        return run_fer(a.video, a.every_ms, a.out)

    tmp = tempfile.mkdtemp()
    me, video, models = os.path.abspath(__file__), os.path.abspath(a.video), os.path.abspath(a.models)
    env = dict(os.environ, OMP_NUM_THREADS='1', TF_NUM_INTRAOP_THREADS='1', TF_NUM_INTEROP_THREADS='1',
               TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')
    res = {}
    dt, out = timed([a.mien, 'analyze', '--every', f'{a.every_ms}ms', '--detector', 'front', '--model', 'ensemble',
                     '--quiet', a.video])
    mien_rows = [json.loads(l) for l in out.decode().splitlines()]
    res['mien'] = {'seconds': dt, 'samples': len(mien_rows)}
    dt, _ = timed([sys.executable, me, video, '--mien', a.mien, '--models', models, '--every-ms',
                   str(a.every_ms), '--role', 'plain', '--out', os.path.join(tmp, 'plain.json')], env)
    plain_rows = json.load(open(os.path.join(tmp, 'plain.json')))
    res['python_onnxruntime'] = {'seconds': dt, 'samples': len(plain_rows)}
    # fer writes data.csv (and output folders) into its working directory: run it in the temp folder
    dt, _ = timed([sys.executable, me, video, '--mien', a.mien, '--models', models, '--every-ms',
                   str(a.every_ms), '--role', 'fer', '--out', os.path.join(tmp, 'fer.json')], env, cwd=tmp)
    fer_out = json.load(open(os.path.join(tmp, 'fer.json')))
    res['fer'] = {'seconds': dt, 'samples': fer_out['samples'], 'samples_with_face': fer_out['rows_with_face']}
    for v in res.values():
        v['fps'] = v['samples'] / v['seconds']
    res['speedup_vs_fer'] = res['mien']['fps'] / res['fer']['fps']
    res['speedup_vs_python_onnxruntime'] = res['mien']['fps'] / res['python_onnxruntime']['fps']
    # label agreement (a) vs (c), matching samples by time
    plain = {r['t_ms']: r['label'] for r in plain_rows}
    same = total = 0
    for r in mien_rows:
        p = plain.get(r['t_ms'], plain.get(r['t_ms'] - 1, plain.get(r['t_ms'] + 1, 'missing')))
        if p == 'missing':
            continue
        total += 1
        same += (r['label'] == p)
    res['label_agreement_mien_vs_python'] = same / total if total else None
    res['compared_samples'] = total
    print(json.dumps(res, indent=1))
    if a.json:
        json.dump(res, open(a.json, 'w'), indent=1)


if __name__ == '__main__':
    main()
