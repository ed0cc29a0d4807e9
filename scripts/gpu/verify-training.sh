#!/usr/bin/env bash
# One prepared GPU check of the Python trainer (python/chatwright_train): see scripts/gpu/verify_training.py.
# On a machine without torch/transformers it runs the pure checks and stops with a clear message.
# Usage: scripts/gpu/verify-training.sh [OUT dir]   (defaults to $OUT, else .gpu-carry/out)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-.gpu-carry/out}}"
mkdir -p "$out"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
python3 scripts/gpu/verify_training.py --out "$out" "${@:2}"
