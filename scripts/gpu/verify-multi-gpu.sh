#!/usr/bin/env bash
# The GPU check of the trainer under accelerate launch (one GPU): see scripts/gpu/verify_multi_gpu.py.
# Without torch/transformers/peft/accelerate it writes the launch files and says what it skipped.
# Usage: scripts/gpu/verify-multi-gpu.sh [OUT dir] [options of verify_multi_gpu.py]   (defaults to $OUT, else .gpu-carry/out)
set -euo pipefail
source "$(dirname "$0")/gpu-check.sh"
run_gpu_check verify_multi_gpu.py .gpu-carry/out "$@"
