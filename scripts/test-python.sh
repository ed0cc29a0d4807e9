#!/usr/bin/env bash
# The Python trainer's tests that need nothing but the standard library (unittest). What needs torch, transformers
# and PEFT runs on a GPU machine: scripts/gpu/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d python ]; then
  echo "no python/ folder: nothing to test"
  exit 0
fi
exec python3 -m unittest discover -s python/tests -t python -v
