#!/usr/bin/env bash
# `npm start`: builds Chatwright, installs it into a local VS Code (code-server from test/host), opens the sample workspace
# examples/support-bot and prints the URL to open. Works on a fresh machine: installs what is missing first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ORT_DISABLE_TELEMETRY=1 ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "start: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/install-test-host.sh
node scripts/package.mjs >/dev/null
exec node scripts/start-workbench.mjs "$@"
