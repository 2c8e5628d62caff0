#!/usr/bin/env bash
# Installs what building and testing Nexxo needs on a fresh Debian machine with Rust and Node:
# clang and libclang (RocksDB, the persistent cache, compiles from C++ through bindgen),
# Debian's Chromium (browser tests), cargo-audit (the dependency audit) and the npm packages of
# the test fixtures, the examples and the benchmark suite (whose smoke test runs with the
# tests), exactly as their committed package-lock.json files pin them.
#
# `scripts/setup.sh --build` installs only what compiling Nexxo needs (clang, libclang).
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
[ "${1:-}" = "--build" ] && build_only=true

missing=()
$build_only || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v clang >/dev/null 2>&1 || missing+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
$build_only && exit 0

# The dependency audit (scripts/test.sh) runs cargo-audit offline against the RustSec snapshot.
if ! command -v cargo-audit >/dev/null 2>&1; then
  echo "setup: cargo install cargo-audit (several minutes, once)"
  cargo install --locked --quiet cargo-audit --version 0.22.2 --no-default-features
fi

# Every folder with its own package-lock.json: the tests' packages, the examples, and the fixtures
# that need other major versions than tests/node_modules has (Svelte 4, Tailwind v3).
for dir in tests examples/react-ts examples/angular tests/fixtures/svelte4 tests/fixtures/tailwind-v3; do
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done

# Vite 8's lock names a Windows-only optional package (napi-windows-process-start-time) that
# this registry does not serve, so `npm ci` refuses these locks; `npm install` installs exactly
# the locked versions (the lock stays unchanged) and skips what it cannot get.
for dir in examples/vue-ts examples/svelte-ts examples/solid-ts; do
  echo "setup: npm install (locked) in $dir"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
done

# The rivals' lock lists platform-specific optional packages (Rspack's darwin/windows bindings)
# that this registry does not serve; `npm ci` refuses such a lock, `npm install` installs exactly
# the locked versions and skips the optional packages it cannot get.
echo "setup: npm install (locked) in bench"
(cd bench && npm install --no-audit --no-fund --loglevel=error)
