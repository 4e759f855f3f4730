# Sourced by the scripts that run the app against a local stack of their own (soak.sh,
# container.sh): `start_stack` starts `devstack up` on ports of its own beside a development
# stack and the end-to-end tests, and waits for it; on exit, the app ($server, if set) and the
# stack are stopped.
#   start_stack <dir> <base port> <app port> <profile>
#   start_app <app port> [wrapper…]   the release app on that stack, migrated, once it answers
#   ports: InsForge <base>, Stytch <base>+10, OIDC <base>+11…14, WorkOS <base>+15,
#          control <base>+69, PostgreSQL <base>+47200

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

stack="" server="" stack_dir=""
# Under `set -e` a trap stops at the first failing command: each step is allowed to fail.
stop_servers() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ -n "$stack" ]; then
    kill -TERM "$stack" 2>/dev/null || true
    wait "$stack" 2>/dev/null || true
  fi
}
trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

# Waits until <url> answers, for up to 2 minutes, as long as the stack runs.
wait_for() {
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$stack" 2>/dev/null || { echo "error: the local stack stopped (see $stack_dir.log)" >&2; exit 1; }
    sleep 0.5
  done
  echo "error: $1 did not answer in 2 minutes" >&2
  exit 1
}

start_stack() {
  local base=$2 app=$3 profile=$4
  stack_dir=$1
  stytch_port=$((base + 10)) control_port=$((base + 69))
  rm -rf "$stack_dir"
  say "starting the local stack"
  "target/$profile/devstack" up --dir "$stack_dir" --pg-port $((base + 47200)) \
    --insforge-port "$base" --stytch-port "$stytch_port" --oidc-port $((base + 11)) \
    --workos-port $((base + 15)) --control-port "$control_port" \
    --site-url "http://127.0.0.1:$app" --providers stytch >"$stack_dir.log" 2>&1 &
  stack=$!
  wait_for "http://127.0.0.1:$control_port/health"
}

# Every soak user comes from 127.0.0.1: the limits per client address would stop the run.
SOAK_LIMITS="RATE_LIMIT_IP_PER_MINUTE=1000000 RATE_LIMIT_USER_PER_MINUTE=1000000 MAGIC_LINKS_PER_IP_PER_HOUR=1000000"

# The release build of scripts/build-site.sh with the stack's settings, the limits above and
# warnings only, its migrations applied; run under [wrapper…] (e.g. valgrind) if given. Sets
# $server (the app's pid: the wrapper's, which execs it) and waits until it answers.
start_app() {
  local port=$1
  shift
  say "starting the app (release${1:+, under $1})"
  (
    set -a
    . "$stack_dir/app.env"
    set +a
    # shellcheck disable=SC2086
    export $SOAK_LIMITS LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
      LEPTOS_ENV=PROD RUST_LOG=warn
    target/release/insforge-auth migrate >/dev/null
    exec "$@" target/release/insforge-auth
  ) >"$stack_dir-app.log" 2>&1 &
  server=$!
  wait_for "http://127.0.0.1:$port/healthz"
}
