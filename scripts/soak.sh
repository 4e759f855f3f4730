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
. scripts/stack.sh

users=${1:-100}
seconds=${2:-60}
profile=${SOAK_PROFILE:-release}

say "building the local stack and the soak ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p devstack -p soak --bin devstack --bin soak
else
  cargo build --locked -q -p devstack -p soak --bin devstack --bin soak
fi
if [ ! -x target/release/insforge-auth ] || [ ! -f target/release/hash.txt ] || [ ! -d target/site/pkg ]; then
  scripts/build-site.sh
fi

app=3300
start_stack target/soak-stack 7330 "$app" "$profile"

start_app "$app"

say "soak: $users users × $seconds s"
"target/$profile/soak" --app "http://127.0.0.1:$app" --stytch "http://127.0.0.1:$stytch_port" \
  --control "http://127.0.0.1:$control_port" --users "$users" --seconds "$seconds"
