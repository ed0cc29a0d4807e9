#!/usr/bin/env bash
# One prepared GPU check of the Python server (python/chatwright_serve): see scripts/gpu/verify_serving.py.
# On a machine without torch/transformers/peft it runs the pure checks and stops with a clear message.
# Usage: scripts/gpu/verify-serving.sh [OUT dir] [--device cpu --small] (OUT defaults to $OUT, else bench/results/gpu/serving)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-bench/results/gpu/serving}}"
mkdir -p "$out"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
python3 scripts/gpu/verify_serving.py --out "$out" "${@:2}"
