#!/usr/bin/env bash
# Installs what the extension-host, UI and Slurm cluster tests need: Debian's Chromium, Slurm (slurmctld, slurmd,
# slurm-client, slurmdbd), munge and mariadb-server (no service of theirs started), code-server in a test host folder
# with its own package.json and lock file, and the workarounds for the install steps that download from the Internet.
#   scripts/install-test-host.sh [FOLDER]   FOLDER is test/host (default: code-server 4.100.0, VS Code 1.100.0, the
#                                           lowest that engines.vscode allows) or test/host-newest (the newest
#                                           code-server that installs and runs here).
# Idempotent: a second run with everything in place takes about a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host_dir="${1:-test/host}"
[[ "$host_dir" = /* ]] || host_dir="$here/$host_dir"
code_server_version="$(node -p "require('$host_dir/package.json').dependencies['code-server']")"

need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
command -v rg >/dev/null 2>&1 || need_debs+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_debs+=(libkrb5-dev)
# The Slurm cluster tests (test/support/slurmCluster.ts) start their own munged, mariadbd, slurmdbd, slurmctld and
# slurmd from these packages, on free ports in a scratch folder: none of the packages' own services may run.
for deb in slurmctld slurmd slurm-client slurmdbd munge mariadb-server; do
  dpkg -s "$deb" >/dev/null 2>&1 || need_debs+=("$deb")
done
if [ ${#need_debs[@]} -gt 0 ]; then
  echo "test-host: installing Debian packages: ${need_debs[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  # Keep the postinst scripts from starting munge, mariadb or slurm services (invoke-rc.d and deb-systemd-invoke
  # both ask policy-rc.d; 101 = "action forbidden"). Only a policy we put there is removed again.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    # Set before the file exists, so that an interruption at any point after it removes what this script wrote (a
    # policy left behind would keep every later package from starting its service). Only our own policy is removed.
    own_policy=1
    trap 'if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
  fi
  install_status=0
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null; } || install_status=$?
  if [ -n "$own_policy" ]; then
    $sudo rm -f "$policy"
    own_policy=
    trap - EXIT INT TERM HUP
  fi
  [ "$install_status" -eq 0 ] || exit "$install_status"
fi

installed_version=""
if [ -f "$host_dir/node_modules/code-server/package.json" ]; then
  installed_version="$(node -p "require('$host_dir/node_modules/code-server/package.json').version")"
fi
if [ "$installed_version" = "$code_server_version" ] && [ -x "$host_dir/node_modules/.bin/code-server" ]; then
  echo "test-host: code-server $code_server_version already installed"
  exit 0
fi

# @vscode/ripgrep's postinstall downloads a binary; hand it Debian's rg through its download cache instead.
cache_root="${TMPDIR:-/tmp}"
rg_cache="$cache_root/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rg_cache"
for triple in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  tarball="$rg_cache/ripgrep-v13.0.0-10-$triple.tar.gz"
  if [ ! -s "$tarball" ]; then
    staging="$(mktemp -d)"
    cp "$(command -v rg)" "$staging/rg"
    tar -czf "$tarball" -C "$staging" rg
    rm -rf "$staging"
  fi
done

echo "test-host: installing code-server $code_server_version into ${host_dir#"$here/"} (about 90 s)"
cd "$host_dir"
export npm_config_yes=true          # node-pty's postinstall runs `npx node-gyp` and would wait on a prompt
export npm_config_unsafe_perm=true  # code-server's postinstall refuses to run as root otherwise
# Releases after 4.100 ask for a newer Node than the machine's (engines.node): their postinstall refuses any other
# major unless told to build the native modules for this one.
FORCE_NODE_VERSION="$(node -p 'process.versions.node.split(".")[0]')"
export FORCE_NODE_VERSION
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error --unsafe-perm
else
  npm install --no-audit --no-fund --loglevel=error --unsafe-perm
fi
scratch="$(mktemp -d)"
# code-server prints "[time] info  Wrote default config file ..." on stdout before its version line: keep only the
# line that starts with a version number.
echo "test-host: code-server $(XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" node_modules/.bin/code-server --version 2>/dev/null | grep -m 1 -E '^[0-9]+\.[0-9]+\.[0-9]+')"
rm -rf "$scratch"
