#!/usr/bin/env bash
# The GPU check of the trainer under accelerate launch (one GPU): see scripts/gpu/verify_multi_gpu.py.
# Without torch/transformers/peft/accelerate it writes the launch files and says what it skipped.
# Usage: scripts/gpu/verify-multi-gpu.sh [OUT dir] [options of verify_multi_gpu.py]   (defaults to $OUT, else .gpu-carry/out)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-.gpu-carry/out}}"
mkdir -p "$out"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
python3 scripts/gpu/verify_multi_gpu.py --out "$out" "${@:2}"
