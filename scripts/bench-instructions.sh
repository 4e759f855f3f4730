#!/usr/bin/env bash
# The app's instructions per page view, counted by valgrind's callgrind: the same count for
# the same binary and requests whatever else the machine does, so a change too small for the
# bench's CPU milliseconds (which vary by ±10% on a shared VM) still shows. The release app
# runs under callgrind against a release local stack of its own (app on 3600, stack on 76xx);
# one user with 20 todos; a few views to warm up, then <views> views of each page, one at a time.
#
#   scripts/bench-instructions.sh [views]     default 40
#   callgrind_annotate target/bench-instructions/callgrind.out.* shows where they went
set -euo pipefail
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
. scripts/stack.sh

views=${1:-40}
out=target/bench-instructions
command -v valgrind >/dev/null 2>&1 || { echo "error: valgrind is missing (Debian: valgrind)" >&2; exit 1; }

scripts/setup.sh --bench
say "building release: the local stack, the bench's user, the site and the server"
cargo build --release --locked -q -p devstack -p soak --bin devstack --bin bench-user
scripts/build-site.sh >/dev/null

app_port=3600
app="http://127.0.0.1:$app_port"
start_stack target/bench-instructions-stack 7630 "$app_port" release
rm -rf "$out" && mkdir -p "$out"

start_app "$app_port" valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p"

say "signing a user in, with 20 todos"
user=$(set -a && . "$stack_dir/app.env" && target/release/bench-user --app "$app" \
  --stytch "http://127.0.0.1:$stytch_port" --insforge "http://127.0.0.1:7630" --todos 20)
eval "$user"

# count <name> <path> [header…]: instructions per view of <path>, printed.
count() {
  local name=$1 path=$2 before after
  shift 2
  local headers=(-H "accept: text/html" -H "accept-encoding: br, gzip")
  for h in "$@"; do headers+=(-H "$h"); done
  for _ in 1 2 3 4 5; do curl -sf -o /dev/null "${headers[@]}" "$app$path"; done
  callgrind_control -d "$name-before" "$server" >/dev/null 2>&1
  for _ in $(seq 1 "$views"); do
    curl -sf -o /dev/null "${headers[@]}" "$app$path" || { echo "error: $path did not answer 200" >&2; exit 1; }
  done
  callgrind_control -d "$name-after" "$server" >/dev/null 2>&1
  # Each dump counts from the one before it: the "after" dump holds exactly the views.
  local dump
  dump=$(find "$out" -name 'callgrind.out.*.*' | sort -t. -k4 -n | tail -n 1)
  after=$(awk '/^totals:/ { print $2 }' "$dump")
  printf '%-22s %12s instructions per view (%d views)\n' "$name" \
    "$(awk -v a="$after" -v n="$views" 'BEGIN { printf "%.0f", a / n }')" "$views"
}

echo
echo "== instructions per view (callgrind), $(date -u +%Y-%m-%d)"
count "signed-in todo page" / "cookie: $BENCH_COOKIE"
count "sign-in page" /login
