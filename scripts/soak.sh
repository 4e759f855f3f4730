#!/usr/bin/env bash
# The soak: signed-in users doing mixed CRUD through the app's server functions against the
# local stack, through three faults: InsForge stopped for 3 s at a quarter of the run, Stytch's
# key endpoint down for 3 s at half, PostgreSQL restarted at three quarters. It prints
# throughput, p50/p99, the statuses and each fault, and fails unless no acknowledged write is
# lost, no user sees another's row, nothing answers 5xx but the faults that take the backend
# away (and those only 503), and the app answers again within 2 s of each fault's end.
#
#   scripts/soak.sh [users] [seconds]        release builds; defaults 100 users, 60 s
#   SOAK_PROFILE=debug scripts/soak.sh 20 12 the short run inside scripts/test.sh (the app is
#                                            always the release build of scripts/build-site.sh)
set -euo pipefail
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

users=${1:-100}
seconds=${2:-60}
profile=${SOAK_PROFILE:-release}

say "building the local stack and the soak ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p devstack -p soak --bin devstack --bin soak
else
  cargo build --locked -q -p devstack -p soak --bin devstack --bin soak
fi
if [ ! -x target/release/insforge-auth ] || [ ! -d target/site/pkg ]; then
  scripts/build-site.sh
fi

# Ports of its own, so the soak can run beside a development stack and the end-to-end tests.
app=3300 control=7399 stytch=7340
dir=target/soak-stack
rm -rf "$dir"
say "starting the local stack"
"target/$profile/devstack" up --dir "$dir" --pg-port 54530 --insforge-port 7330 \
  --stytch-port "$stytch" --oidc-port 7341 --workos-port 7345 --control-port "$control" \
  --site-url "http://127.0.0.1:$app" --providers stytch >"$dir.log" 2>&1 &
stack=$!
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  kill -TERM "$stack" 2>/dev/null && wait "$stack" 2>/dev/null
  return 0
}
trap cleanup EXIT INT TERM

wait_for() {
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$stack" 2>/dev/null || { echo "error: the local stack stopped (see $dir.log)" >&2; exit 1; }
    sleep 0.5
  done
  echo "error: $1 did not answer in 2 minutes" >&2
  exit 1
}
wait_for "http://127.0.0.1:$control/health"

say "starting the app (release)"
(
  set -a
  . "$dir/app.env"
  set +a
  # Every soak user comes from 127.0.0.1: the limits per client address would stop the run.
  export RATE_LIMIT_IP_PER_MINUTE=1000000 RATE_LIMIT_USER_PER_MINUTE=1000000 \
    MAGIC_LINKS_PER_IP_PER_HOUR=1000000 LEPTOS_SITE_ADDR="127.0.0.1:$app" \
    LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn
  target/release/insforge-auth migrate >/dev/null
  exec target/release/insforge-auth
) >"$dir-app.log" 2>&1 &
server=$!
wait_for "http://127.0.0.1:$app/healthz"

say "soak: $users users × $seconds s"
"target/$profile/soak" --app "http://127.0.0.1:$app" --stytch "http://127.0.0.1:$stytch" \
  --control "http://127.0.0.1:$control" --users "$users" --seconds "$seconds"
