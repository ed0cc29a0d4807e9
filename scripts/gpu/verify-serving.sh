#!/usr/bin/env bash
# One prepared GPU check of the Python server (python/chatwright_serve): see scripts/gpu/verify_serving.py.
# On a machine without torch/transformers/peft it runs the pure checks and stops with a clear message.
# Usage: scripts/gpu/verify-serving.sh [OUT dir] [--device cpu --small] (OUT defaults to $OUT, else bench/results/gpu/serving)
set -euo pipefail
source "$(dirname "$0")/gpu-check.sh"
run_gpu_check verify_serving.py bench/results/gpu/serving "$@"
