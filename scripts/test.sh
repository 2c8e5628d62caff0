#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, formatting and lints, Rust unit and CLI tests,
# then the browser tests (fixtures built by the nexxo binary and opened in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/nexxo-target}"

scripts/setup.sh

cargo fmt --all -- --check

# Known vulnerabilities in Cargo.lock, against the RustSec snapshot beside the clone (no
# network); ignored advisories are explained in .cargo/audit.toml.
advisory_db="${NEXXO_ADVISORY_DB:-../shared/advisory-db}"
if [ -d "$advisory_db" ]; then
  cargo audit --db "$advisory_db" --no-fetch
else
  echo "test: no RustSec snapshot at $advisory_db (set NEXXO_ADVISORY_DB): dependency audit skipped"
fi
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

# The browser tests use the binary cargo test just built.
export NEXXO_BIN="$CARGO_TARGET_DIR/debug/nexxo"
(cd tests && node --test --test-concurrency=1 e2e/)
