#!/usr/bin/env bash
# One prepared GPU check of the Python trainer (python/chatwright_train): see scripts/gpu/verify_training.py.
# On a machine without torch/transformers it runs the pure checks and stops with a clear message.
# Usage: scripts/gpu/verify-training.sh [OUT dir]   (defaults to $OUT, else .gpu-carry/out)
set -euo pipefail
source "$(dirname "$0")/gpu-check.sh"
run_gpu_check verify_training.py .gpu-carry/out "$@"
