#!/usr/bin/env bash
# `npm test`: every test layer, in order of cost. Each layer also runs alone (see package.json scripts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ONNXRUNTIME_NODE_INSTALL=skip ORT_DISABLE_TELEMETRY=1

step() { printf '\n=== %s ===\n' "$*"; }

if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

step "build"
node scripts/build.mjs
step "typecheck"
npx tsc --noEmit -p . && npx tsc --noEmit -p webview
step "lint"
npx eslint .
step "test host (code-server, Chromium; the grammar tests also use its YAML grammar)"
bash scripts/install-test-host.sh
step "unit and language-server tests (node:test)"
node scripts/run-unit-tests.mjs
step "webview components (Chromium alone, mock messenger)"
node scripts/run-unit-tests.mjs test/webview
step "extension-host integration tests (mocha in code-server)"
node test/integration/run.mjs
step "package the VSIX"
node scripts/package.mjs
step "UI end-to-end tests (Playwright + Chromium against code-server with the VSIX installed)"
node scripts/run-unit-tests.mjs test/e2e
