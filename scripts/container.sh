#!/usr/bin/env bash
# The container image, built and run here as people will run it, against a local stack of its
# own. The Dockerfile's runtime stage is built with buildah from the binaries this run built
# (its build stage's rust image cannot be pulled here, nor can debian:bookworm-slim: the base
# is made from Debian's packages by mmdebstrap, once). In the container, as its unprivileged
# user: `migrate` applies the migrations, `serve` answers /healthz, /readyz, /metrics and the
# HEALTHCHECK's command, and a few users sign in and keep their todos (the soak's checks:
# nothing lost, nobody else's rows), with no faults.
#
#   scripts/container.sh    after scripts/build-site.sh; SOAK_PROFILE (default debug) is the
#                           profile of the local stack and soak binaries to build or reuse
set -euo pipefail
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
. scripts/stack.sh

profile=${SOAK_PROFILE:-debug}
app=3400
image=localhost/insforge-auth:test
base=localhost/insforge-auth-base:bookworm
work=target/container
mkdir -p "$work"
for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
if [ ! -x target/release/insforge-auth ] || [ ! -f target/release/hash.txt ] || [ ! -d target/site/pkg ]; then
  scripts/build-site.sh
fi
say "building the local stack and the soak ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p devstack -p soak --bin devstack --bin soak
else
  cargo build --locked -q -p devstack -p soak --bin devstack --bin soak
fi

# The processes below `buildah run` $1, deepest last.
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}

# The server in the container: the process of our `buildah run` running the binary.
served_by() {
  local pid
  for pid in $(descendants "$1"); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^/app/insforge-auth serve'; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# One container, of this name, removed with everything else on exit. A `buildah run` that is
# killed leaves its process behind: ours is stopped by its pid. The registry's name for the
# base is taken back, so later builds of the Dockerfile pull the real image.
ctr=insforge-auth-test from=""
stop_container() {
  if [ -n "$server" ]; then
    for pid in $(descendants "$server"); do kill -TERM "$pid" 2>/dev/null || true; done
  fi
  stop_servers
  buildah rm "$ctr" >/dev/null 2>&1 || true
  [ -z "$from" ] || buildah rm "$from" >/dev/null 2>&1 || true
  buildah rmi docker.io/library/debian:bookworm-slim >/dev/null 2>&1 || true
}
buildah rm "$ctr" >/dev/null 2>&1 || true
trap 'stop_container' EXIT
trap 'exit 130' INT TERM

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  say "container: a Debian base from Debian's packages (mmdebstrap)"
  tar="$work/debian-bookworm.tar"
  mmdebstrap --quiet --variant=minbase --mode=root bookworm "$tar"
  from=$(buildah from scratch)
  buildah add --quiet "$from" "$tar" /
  buildah commit --quiet --rm "$from" "$base" >/dev/null
  from=""
  rm -f "$tar"
fi
# What the runtime stage starts FROM, standing in for the registry's image.
buildah tag "$base" docker.io/library/debian:bookworm-slim

say "container: the Dockerfile's runtime stage, from this build"
stage="$work/stage"
rm -rf "$stage" "$work/context"
mkdir -p "$stage/src/target/release" "$work/context"
cp target/release/insforge-auth target/release/hash.txt "$stage/src/target/release/"
cp -r target/site "$stage/src/target/site"
cp -r migrations "$stage/src/migrations"
buildah rmi "$image" >/dev/null 2>&1 || true
buildah build --quiet --isolation chroot --pull=never --no-cache --force-rm --format docker --target runtime \
  --build-context build="$stage" -t "$image" -f Dockerfile "$work/context" >/dev/null
healthcheck=$(buildah inspect --type image --format '{{.Docker.Config.Healthcheck.Test}}' "$image")
case "$healthcheck" in
  *"/app/insforge-auth health"*) ;;
  *) echo "error: the image's HEALTHCHECK is '$healthcheck'" >&2; exit 1 ;;
esac

start_stack target/container-stack 7430 "$app" "$profile"
buildah from --quiet --pull=never --name "$ctr" "$image" >/dev/null
env_args=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) ;; *) env_args+=(--env "$line") ;; esac
done <"$stack_dir/app.env"
# shellcheck disable=SC2086
for limit in $SOAK_LIMITS; do env_args+=(--env "$limit"); done
# Every interface, as the image's default: `health` must find the server on this machine's.
env_args+=(--env "LEPTOS_SITE_ADDR=0.0.0.0:$app" --env "METRICS_ADDR=127.0.0.1:$((app + 1))")
in_container() { buildah run --isolation chroot "${env_args[@]}" "$ctr" -- "$@"; }

say "container: migrate"
in_container /app/insforge-auth migrate
say "container: serve"
in_container /app/insforge-auth serve >"$work/app.log" 2>&1 &
server=$!
wait_for "http://127.0.0.1:$app/healthz"
pid=$(served_by "$server") || { echo "error: no server process under buildah run" >&2; exit 1; }
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
if [ "$uid" = 0 ] || [ -z "$uid" ]; then
  echo "error: the server in the container runs as uid '${uid}', not an unprivileged user" >&2
  exit 1
fi
in_container /app/insforge-auth health >/dev/null
ready=$(curl -s "http://127.0.0.1:$app/readyz")
[ "$ready" = ready ] || { echo "error: /readyz answered: $ready" >&2; exit 1; }
scrape=$(curl -sf "http://127.0.0.1:$((app + 1))/metrics")
grep -q '^http_requests_total{route="/readyz"' <<<"$scrape" \
  || { echo "error: /metrics does not count /readyz" >&2; exit 1; }
echo "serving as uid $uid; /healthz, the HEALTHCHECK, /readyz and /metrics answer"

say "container: users sign in and keep their todos"
"target/$profile/soak" --app "http://127.0.0.1:$app" --stytch "http://127.0.0.1:$stytch_port" \
  --control "http://127.0.0.1:$control_port" --users 3 --seconds 3 --fault-seconds 0
