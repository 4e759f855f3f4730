#!/usr/bin/env bash
# Runs every check and test: formatting, lints for each feature set, that no server-only crate
# reaches the browser build, unit and integration tests (real PostgreSQL, the InsForge
# stand-in and the Stytch emulator, started by the tests themselves), then the release build
# and the Playwright end-to-end tests in Chromium, with and without JavaScript.
set -euo pipefail
# Tools installed with `cargo install` live here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh

say "cargo fmt --check"
cargo fmt --all -- --check

say "modules: no import cycle (src, devstack/src), none against the layers (src)"
python3 scripts/check-modules.py src devstack/src

say "cargo clippy (server: ssr)"
cargo clippy --workspace --all-targets --features ssr --locked -- -D warnings

say "cargo clippy (browser: hydrate, wasm32)"
cargo clippy -p insforge-auth --lib --target wasm32-unknown-unknown --no-default-features \
  --features hydrate --locked -- -D warnings
leaks=$(cargo tree -p insforge-auth -e normal --target wasm32-unknown-unknown --no-default-features \
  --features hydrate --locked \
  | grep -E -o '(axum|jsonwebtoken|leptos_axum|reqwest|tokio|tower-cookies|tower-http|hyper-util|tokio-postgres|rsa|redis|governor|aes-gcm|mimalloc|flate2) v' | sort -u || true)
if [ -n "$leaks" ]; then
  echo "error: server-only crates in the browser build: $leaks" >&2
  exit 1
fi

say "cargo test"
cargo test --workspace --features ssr --locked

say "release build"
cargo build --locked -p devstack --bin devstack
scripts/build-site.sh
# Belt and braces: names only server code contains must not be in the shipped wasm.
if grep -a -q -E 'INSFORGE_JWT_SECRET|SESSION_SECRET|STYTCH_SECRET|REDIS_URL|jsonwebtoken|tower_cookies' \
  target/site/pkg/insforge-auth.wasm; then
  echo "error: server-only code in target/site/pkg/insforge-auth.wasm" >&2
  exit 1
fi

say "end-to-end (Playwright)"
mkdir -p target
set +e
(cd end2end && npx playwright test) 2>&1 | tee target/e2e.log
status=${PIPESTATUS[0]}
set -e
# The servers' output is in the log: a panic fails the run even if every page looked right.
if grep -q "panicked at" target/e2e.log; then
  echo "error: a server panicked during the end-to-end tests (target/e2e.log)" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

# The image, built from this release build and run against the local stack.
say "container (buildah)"
scripts/container.sh

# A short soak (the long one is `scripts/soak.sh`): no acknowledged write lost, no other user's
# row, no 5xx but the faults' 503s (InsForge stopped, PostgreSQL restarted; none while Stytch's
# keys are unreachable), each recovered from within 2 s.
say "soak (20 users × 12 s, debug stack)"
SOAK_PROFILE=debug scripts/soak.sh 20 12
