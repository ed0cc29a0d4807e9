#!/usr/bin/env bash
# `npm test`: every test layer, in order of cost. Each layer also runs alone (see package.json scripts).
# A failing layer does not hide the others: every layer runs (a layer whose prerequisite failed is reported as
# skipped), a summary lists each one, and the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# onnxruntime-node's postinstall would download CUDA files; the environment (not .npmrc, which npm warns about) says skip.
export ONNXRUNTIME_NODE_INSTALL=skip ORT_DISABLE_TELEMETRY=1

declare -a names=() results=()
failed=0

# layer NAME PREREQUISITES COMMAND...: runs COMMAND unless a layer named in PREREQUISITES (comma-separated, or "-")
# did not pass.
layer() {
  local name=$1 needs=$2
  shift 2
  printf '\n=== %s ===\n' "$name"
  local need
  if [ "$needs" != "-" ]; then
    IFS=',' read -ra prerequisites <<<"$needs"
    for need in "${prerequisites[@]}"; do
      if [ "$(result_of "$need")" != passed ]; then
        echo "skipped: needs '$need', which did not pass"
        names+=("$name") results+=("skipped (needs $need)")
        failed=1
        return
      fi
    done
  fi
  local started=$SECONDS
  if "$@"; then
    names+=("$name") results+=("passed")
  else
    names+=("$name") results+=("FAILED")
    failed=1
  fi
  printf '=== %s: %s in %d s ===\n' "$name" "${results[-1]}" $((SECONDS - started))
}

result_of() {
  local i
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$1" ] && { echo "${results[$i]}"; return; }; done
  echo missing
}

install_packages() {
  if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

layer "npm packages" - install_packages
layer "build" "npm packages" node scripts/build.mjs
layer "typecheck" "npm packages" bash -c 'npx tsc --noEmit -p . && npx tsc --noEmit -p webview'
layer "lint" "npm packages" npx eslint .
layer "format" "npm packages" npx prettier --check .
layer "test host (code-server and Chromium)" - bash scripts/install-test-host.sh
layer "newest test host (code-server in test/host-newest)" - bash scripts/install-test-host.sh test/host-newest
layer "python trainer (unittest)" - bash scripts/test-python.sh
layer "unit and language-server tests (node:test; nothing may be left in the temp folder)" "build" node scripts/check-temp-leaks.mjs
layer "Slurm cluster tests (a real slurmctld + slurmd + munged on localhost, started and stopped by the tests)" "build,test host (code-server and Chromium)" node scripts/run-unit-tests.mjs test/slurm
layer "webview components (Chromium alone, mock messenger)" "build,test host (code-server and Chromium)" node scripts/run-unit-tests.mjs test/webview
layer "extension-host integration tests (mocha in code-server 4.100.0: VS Code 1.100.0)" "build,test host (code-server and Chromium)" node test/integration/run.mjs
layer "extension-host integration tests on the newest code-server" "build,newest test host (code-server in test/host-newest)" env CHATWRIGHT_TEST_HOST=test/host-newest node test/integration/run.mjs
layer "package the VSIX" "build" node scripts/package.mjs
layer "UI end-to-end tests (Playwright + Chromium against code-server)" "package the VSIX,test host (code-server and Chromium)" node scripts/run-unit-tests.mjs test/e2e

printf '\n=== summary ===\n'
for i in "${!names[@]}"; do printf '  %-70s %s\n' "${names[$i]}" "${results[$i]}"; done
exit $failed
