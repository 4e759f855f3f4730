#!/usr/bin/env bash
# Runs every check and test: formatting, lints for each feature set, the wasm build of the
# browser half (and that no server-only crate reaches it), then unit and integration tests
# against a real PostgreSQL and the InsForge stand-in (started by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy (server: ssr)"
cargo clippy --workspace --all-targets --features ssr --locked -- -D warnings

say "cargo check (browser: wasm32)"
cargo clippy -p insforge-auth --lib --target wasm32-unknown-unknown --locked -- -D warnings
leaks=$(cargo tree -p insforge-auth -e normal --target wasm32-unknown-unknown --locked \
  | grep -E -o '(jsonwebtoken|reqwest|tokio|tower-cookies|tokio-postgres) v' | sort -u || true)
if [ -n "$leaks" ]; then
  echo "error: server-only crates in the browser build: $leaks" >&2
  exit 1
fi

say "cargo test"
cargo test --workspace --features ssr --locked
