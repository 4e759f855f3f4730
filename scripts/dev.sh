#!/usr/bin/env bash
# The app on the local stack for development, answering as soon as a fresh machine allows.
#  1. What serving needs (PostgreSQL), then the local stack and the server in a debug build:
#     the app answers with server-rendered pages, which work without JavaScript.
#  2. Meanwhile, in the background and at low priority, the rest: the wasm toolchain, then the
#     browser half (the todo page's island hydrates from the next load on), then cargo-leptos
#     (a long build, once).
#  3. Then `cargo leptos watch` takes over, rebuilding on every change.
# The URL is printed once the app answers; progress meanwhile. Ctrl-C stops everything.
set -euo pipefail
# Tools installed with `cargo install` live here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
started=$(date +%s)
elapsed() {
  local s=$(($(date +%s) - started))
  printf '%d:%02d' $((s / 60)) $((s % 60))
}
say() { printf '\033[1m==> [%s] %s\033[0m\n' "$(elapsed)" "$*"; }

stack="" server="" rest="" watch=""
stop_all() {
  # The background setup is a process group of its own (setsid): all of it stops.
  [ -z "$rest" ] || kill -TERM -- "-$rest" 2>/dev/null || true
  [ -z "$server" ] || kill -TERM "$server" 2>/dev/null || true
  # cargo-leptos stops the server it runs on TERM, then exits.
  if [ -n "$watch" ]; then
    kill -TERM "$watch" 2>/dev/null || true
    wait "$watch" 2>/dev/null || true
  fi
  if [ -n "$stack" ]; then
    kill -INT "$stack" 2>/dev/null || true
    wait "$stack" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

scripts/setup.sh --serve
say "building the local stack and the server (debug)"
# LEPTOS_OUTPUT_NAME, as cargo-leptos and build-site.sh build it: the pages then load
# `pkg/insforge-auth.wasm`, which the browser half's build puts there.
LEPTOS_OUTPUT_NAME=insforge-auth cargo build --locked -p devstack --bin devstack -p insforge-auth \
  --features insforge-auth/ssr --bin insforge-auth

rm -f .devstack/app.env
target/debug/devstack up --dir .devstack &
stack=$!
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

# The stylesheet and public files now; the browser half's files join them when built.
mkdir -p target/site/pkg
cp style/main.css target/site/pkg/insforge-auth.css
cp -R public/. target/site/
addr=${SITE_URL#http://}
say "serving (server-rendered pages; the todo page's island hydrates once the browser half is built)"
LEPTOS_SITE_ADDR="$addr" LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=insforge-auth \
  target/debug/insforge-auth serve &
server=$!
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "$SITE_URL/healthz" && break
  kill -0 "$server" 2>/dev/null || { echo "error: the server stopped (see above)" >&2; exit 1; }
  sleep 0.5
done
curl -sf -o /dev/null "$SITE_URL/healthz" || { echo "error: the app did not answer" >&2; exit 1; }

cat <<MSG

  Open the app:        $SITE_URL   (answering after $(elapsed))
  Sign-in with:        $AUTH_PROVIDERS (choose with DEVSTACK_PROVIDERS=workos,auth0,…)
  Sign-in emails go to ${STYTCH_API_URL}/dev/outbox (the Stytch emulator's outbox)
  The app's settings:  .devstack/app.env

MSG

log=target/dev-setup.log
say "in the background (nice; log: $log): the wasm toolchain, the browser half, cargo-leptos"
setsid nice -n 10 bash -c 'set -e
  scripts/setup.sh
  scripts/build-site.sh --wasm-dev
  echo "hydrating: the browser half is built"
  scripts/setup.sh --dev
  cargo leptos build' >"$log" 2>&1 &
rest=$!
said=""
while kill -0 "$rest" 2>/dev/null; do
  # Waited for, not in the foreground: a TERM or Ctrl-C stops everything at once, not after it.
  sleep 30 &
  wait $! || true
  if [ -z "$said" ] && grep -q '^hydrating' "$log"; then
    say "the browser half is built: the todo page's island hydrates from the next load"
    said=1
  fi
  # Nothing logged yet is no error (pipefail would make it one).
  step=$({ grep -a '==>' "$log" || true; } | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g; s/^==> //')
  say "still setting up in the background: ${step:-starting} (the app answers meanwhile)"
done
if ! wait "$rest"; then
  echo "error: the background setup failed (see $log); the app keeps answering as it is" >&2
  wait "$server"
  exit 1
fi

say "switching to cargo leptos watch (rebuilds on every change)"
kill -TERM "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
server=""
# In the background, waited for: bash runs a trap (Ctrl-C, a TERM) only once the foreground
# command ends, and `wait` returns at once.
cargo leptos watch &
watch=$!
wait "$watch"
