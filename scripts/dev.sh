#!/usr/bin/env bash
# Installs what is missing, then runs the local stack: PostgreSQL (data kept in .devstack/)
# and the InsForge stand-in on http://127.0.0.1:7130, with the project's migrations applied.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh
say "building"
cargo build --locked -q -p devstack --bin devstack
cargo build --locked -q --features ssr --bin insforge-auth

target/debug/devstack up --dir .devstack &
stack=$!
trap 'kill -INT "$stack" 2>/dev/null; wait "$stack" 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 120); do
  [ -f .devstack/app.env ] && curl -fsS http://127.0.0.1:${DEVSTACK_INSFORGE_PORT:-7130}/api/health >/dev/null 2>&1 && break
  kill -0 "$stack" 2>/dev/null || { echo "error: the local stack stopped (see above)" >&2; exit 1; }
  sleep 0.5
done

say "applying migrations/"
set -a; . .devstack/app.env; set +a
target/debug/insforge-auth migrate

cat <<MSG

Local stack is up:
  InsForge stand-in  $INSFORGE_URL
  project secrets    .devstack/app.env (INSFORGE_URL, INSFORGE_JWT_SECRET, INSFORGE_API_KEY, INSFORGE_ANON_KEY)
Ctrl-C stops it.
MSG
wait "$stack"
