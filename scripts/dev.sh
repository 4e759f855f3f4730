#!/usr/bin/env bash
# Installs what is missing (cargo-leptos included: a long build, once), starts the local stack
# (PostgreSQL with data in .devstack/, the InsForge stand-in, the provider emulators), applies the
# migrations and runs the app with `cargo leptos watch`. Ctrl-C stops everything it started.
set -euo pipefail
# Tools installed with `cargo install` live here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh --dev
say "building the local stack"
cargo build --locked -q -p devstack --bin devstack
cargo build --locked -q --features ssr --bin insforge-auth

rm -f .devstack/app.env
target/debug/devstack up --dir .devstack &
stack=$!
trap 'kill -INT "$stack" 2>/dev/null; wait "$stack" 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 240); do
  [ -f .devstack/app.env ] && break
  kill -0 "$stack" 2>/dev/null || { echo "error: the local stack stopped (see above)" >&2; exit 1; }
  sleep 0.5
done
[ -f .devstack/app.env ] || { echo "error: the local stack did not start in 2 minutes" >&2; exit 1; }

say "applying migrations/"
set -a; . .devstack/app.env; set +a
target/debug/insforge-auth migrate
say "checking the configuration (insforge-auth doctor)"
target/debug/insforge-auth doctor

cat <<MSG

  Open the app:        $SITE_URL
  Sign-in with:        $AUTH_PROVIDERS (choose with DEVSTACK_PROVIDERS=workos,auth0,…)
  Sign-in emails go to ${STYTCH_API_URL}/dev/outbox (the Stytch emulator's outbox)
  The app's settings:  .devstack/app.env

Ctrl-C stops everything.
MSG
cargo leptos watch
