#!/usr/bin/env bash
# The Python trainer's tests that need nothing but the standard library (unittest). What needs torch, transformers
# and PEFT runs on a GPU machine: scripts/gpu/verify-training.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=python
exec python3 -m unittest discover -s test/python -t test/python -v
