#!/usr/bin/env bash
# Installs what building and testing Nexxo needs on a fresh Debian machine with Rust and Node:
# Debian's Chromium (browser tests) and the npm packages of the test fixtures, the examples and
# the benchmark suite (whose smoke test runs with the tests), exactly as their committed
# package-lock.json files pin them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

for dir in tests examples/react-ts bench; do
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
