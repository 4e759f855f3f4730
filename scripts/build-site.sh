#!/usr/bin/env bash
# The release build of the site, step for step what `cargo leptos build --release` does
# (cargo-leptos 0.3.10, compile/front.rs), so the tests need no cargo-leptos: installing it
# costs ~40 minutes on a fresh two-core machine, the whole CI budget's better half.
#   target/site/pkg/insforge-auth.{js,wasm,css}, public/* in target/site,
#   target/release/insforge-auth built to serve them.
#   scripts/build-site.sh --wasm-dev   only the browser half, in a debug build (quick to build,
#                                      large): for a server that is already running (dev.sh)
set -euo pipefail
# Tools installed with `cargo install` live here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
name=insforge-auth
pkg=target/site/pkg
profile=wasm-release profile_dir=wasm-release
[ "${1:-}" = "--wasm-dev" ] && profile=dev profile_dir=debug

say "wasm (hydrate, $profile profile)"
cargo build --locked --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$profile"
# Built beside the served files, then moved in: a running server never serves half a file.
rm -rf "$pkg.new" && mkdir -p "$pkg.new"
wasm-bindgen --target web --no-typescript --out-dir "$pkg.new" --out-name "$name" \
  "target/wasm32-unknown-unknown/$profile_dir/insforge_auth.wasm"
# The server is built with LEPTOS_OUTPUT_NAME (below), which makes it load `<name>.wasm`.
mv "$pkg.new/${name}_bg.wasm" "$pkg.new/$name.wasm"
cp style/main.css "$pkg.new/$name.css"
rm -rf "$pkg" && mv "$pkg.new" "$pkg"
cp -R public/. target/site/
if [ "$profile" = dev ]; then
  exit 0
fi
say "wasm-opt -Oz"
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  -o "$pkg/$name.wasm" "$pkg/$name.wasm"

say "server (ssr, release)"
LEPTOS_OUTPUT_NAME="$name" cargo build --locked --release --bin insforge-auth \
  --no-default-features --features ssr

wasm=$(stat -c %s "$pkg/$name.wasm")
gz=$(gzip -9 -c "$pkg/$name.wasm" | wc -c)
echo "site: $pkg/$name.wasm is $wasm bytes ($gz gzipped)"
