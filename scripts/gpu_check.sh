#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (driver installed): provision the CUDA runtime, check that the CUDA execution
# provider is really active and matches the CPU, and benchmark CPU vs CUDA. Results in bench-results/.
#   scripts/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MIEN_GPU=1 scripts/setup.sh
cargo build --quiet --release -p mien-cli
mkdir -p bench-results
target/release/mien --provider cuda doctor | tee bench-results/gpu_doctor.txt
MIEN_TEST_PROVIDER=cuda cargo test --release -p mien-vision --test provider_parity -- --nocapture
video=../shared/data/media/videos/zwm_clip_01_tears_of_steel.mp4
target/release/mien bench --input "$video" --frames 480 --providers cpu,cuda --format json > bench-results/gpu_bench.json
target/release/mien bench --input "$video" --frames 480 --providers cpu,cuda
echo "To go back to the CPU runtime: python3 scripts/provision.py runtime"
