#!/usr/bin/env bash
# Installs what the project needs and is missing; a second run skips what is there.
# Debian/Ubuntu (apt) are automated; elsewhere it says what to install.
#   scripts/setup.sh        what the tests need (wasm toolchain, PostgreSQL, Redis, nginx,
#                           buildah and mmdebstrap, Node packages, Chromium)
#   scripts/setup.sh --dev  also cargo-leptos, for `cargo leptos watch` (a long build: ~40 min
#                           on two cores, once)
#   scripts/setup.sh --serve only what serving the app on the local stack needs (PostgreSQL):
#                           scripts/dev.sh serves with that while the rest installs
#   scripts/setup.sh --bench also wrk, for scripts/bench.sh
set -euo pipefail
# Tools installed with `cargo install` live here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
dev="" serve_only="" bench=""
[ "${1:-}" = "--dev" ] && dev=1
[ "${1:-}" = "--serve" ] && serve_only=1
[ "${1:-}" = "--bench" ] && bench=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: please install: $* (no apt-get on this machine)" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: Rust is not installed: see https://rustup.rs (stable, 1.88 or newer)" >&2
  exit 1
fi

# The module check (scripts/check-modules.py).
if ! command -v python3 >/dev/null 2>&1; then
  apt_install python3
fi

# PostgreSQL server binaries for the local stack (Debian keeps them in /usr/lib/postgresql/*/bin).
if [ -z "${PG_BIN_DIR:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

[ -z "$serve_only" ] || exit 0

# Redis and nginx: the replica tests run two app replicas behind nginx, sharing a Redis server
# (`devstack up --redis-port` starts one for the dev stack too). They run their own servers, on
# free ports: whatever Debian's packages start is not used.
replicas=()
if [ -z "${REDIS_SERVER:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  replicas+=(redis-server)
fi
if [ -z "${NGINX:-}" ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  replicas+=(nginx)
fi
if [ ${#replicas[@]} -gt 0 ]; then
  apt_install "${replicas[@]}"
fi

# The container test (scripts/container.sh) builds the image with buildah on a Debian base made
# by mmdebstrap: registry images cannot be pulled everywhere, Debian's packages can.
containers=()
command -v buildah >/dev/null 2>&1 || containers+=(buildah)
command -v mmdebstrap >/dev/null 2>&1 || containers+=(mmdebstrap)
if [ ${#containers[@]} -gt 0 ]; then
  apt_install "${containers[@]}"
fi

# The site's assets are served precompressed (scripts/build-site.sh): brotli, beside gzip.
command -v brotli >/dev/null 2>&1 || apt_install brotli
if [ -n "$bench" ] && ! command -v wrk >/dev/null 2>&1; then
  apt_install wrk
fi

# The browser half of the app compiles to wasm.
if ! command -v rustup >/dev/null 2>&1; then
  if ! rustc --print target-list >/dev/null 2>&1 || [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
    echo "error: the wasm32-unknown-unknown target is missing and there is no rustup to add it" >&2
    exit 1
  fi
elif ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
  say "cargo install wasm-bindgen-cli $wbg_version (about 8 minutes)"
  # Not --locked: its lockfile pins a crate version the registry mirror may not have.
  cargo install -q wasm-bindgen-cli --version "$wbg_version" --force
fi

if [ -n "$dev" ] && [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "0.3.10" ]; then
  say "cargo install cargo-leptos 0.3.10 (a long build, once)"
  # 0.3.11 needs rustc 1.96; `no_downloads`: never fetch tools from GitHub, use ours.
  cargo install -q --locked cargo-leptos --version 0.3.10 --features no_downloads
fi

if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "error: Playwright needs Node.js 20 or newer; this machine has $(node -v 2>/dev/null || echo none)." >&2
  echo "       Install it from https://nodejs.org (or NodeSource's apt repository) and run this again." >&2
  exit 1
fi
# wasm-opt (binaryen) for release builds, where cargo-leptos finds it: node_modules/.bin; terser
# minifies the JavaScript of scripts/build-site.sh.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/terser ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (binaryen, terser)"
  npm ci --no-audit --no-fund --silent
fi
# Playwright without its browsers: the tests use Debian's Chromium.
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "npm ci (end2end: Playwright)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
