#!/usr/bin/env bash
# The release build of the site, step for step what `cargo leptos build --release -P` does
# with `hash-files` (cargo-leptos 0.3.10: compile/front.rs, compile/hash.rs, ext/compress.rs),
# so the tests need no cargo-leptos: installing it costs ~40 minutes on a fresh two-core
# machine, the whole CI budget's better half.
#   target/site/pkg/insforge-auth.<hash>.{js,wasm,css}: minified, named by their content (the
#     server says so in hash.txt beside its binary, and lets browsers keep them for a year);
#   public/* in target/site; a .br and a .gz beside every file, served to browsers that take
#     them; target/release/insforge-auth built to serve them.
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
# Before anything is built: a missing tool stops the build here, not halfway.
if [ "$profile" != dev ]; then
  for tool in node_modules/.bin/wasm-opt node_modules/.bin/terser brotli gzip python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
  done
fi
cargo build --locked --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$profile"
# Built beside the served files, then moved in: a running server never serves half a file.
rm -rf "$pkg.new" && mkdir -p "$pkg.new"
wasm-bindgen --target web --no-typescript --out-dir "$pkg.new" --out-name "$name" \
  "target/wasm32-unknown-unknown/$profile_dir/insforge_auth.wasm"
# The server is built with LEPTOS_OUTPUT_NAME (below), which makes it load `<name>.wasm`.
mv "$pkg.new/${name}_bg.wasm" "$pkg.new/$name.wasm"
cp style/main.css "$pkg.new/$name.css"
if [ "$profile" = dev ]; then
  rm -rf "$pkg" && mv "$pkg.new" "$pkg"
  cp -R public/. target/site/
  exit 0
fi
say "wasm-opt -Oz, terser"
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  -o "$pkg.new/$name.wasm" "$pkg.new/$name.wasm"
node_modules/.bin/terser "$pkg.new/$name.js" --module --compress --mangle -o "$pkg.new/$name.js"

say "content hashes (target/release/hash.txt)"
# cargo-leptos' names: <name>.<MD5 in unpadded base64url>.<ext>, and `<ext>: <hash>` lines in
# hash.txt beside the server binary, where Leptos looks for them.
md5() { python3 -c 'import base64, hashlib, sys
print(base64.urlsafe_b64encode(hashlib.md5(open(sys.argv[1], "rb").read()).digest()).decode().rstrip("="))' "$1"; }
mkdir -p target/release
: >target/release/hash.txt.new
for ext in js wasm css; do
  hash=$(md5 "$pkg.new/$name.$ext")
  mv "$pkg.new/$name.$ext" "$pkg.new/$name.$hash.$ext"
  echo "$ext: $hash" >>target/release/hash.txt.new
done

say "precompression (brotli, gzip)"
# -n: no name or time in the .gz, so the same input gives the same bytes.
precompress() {
  find "$1" -type f ! -name '*.br' ! -name '*.gz' | while IFS= read -r f; do
    brotli -q 11 -f -o "$f.br" "$f"
    gzip -9 -n -c "$f" >"$f.gz"
  done
}
precompress "$pkg.new"
# The files and the hashes naming them change together, as late as possible: a running
# server reads hash.txt at every page.
rm -rf "$pkg" && mv "$pkg.new" "$pkg"
mv target/release/hash.txt.new target/release/hash.txt
cp -R public/. target/site/
for f in public/*; do
  precompress "target/site/${f#public/}"
done

say "server (ssr, release)"
LEPTOS_OUTPUT_NAME="$name" cargo build --locked --release --bin insforge-auth \
  --no-default-features --features ssr

for f in "$pkg"/*.wasm "$pkg"/*.js "$pkg"/*.css; do
  printf 'site: %-48s %8d bytes, %7d brotli, %7d gzip\n' "$f" "$(stat -c %s "$f")" \
    "$(stat -c %s "$f.br")" "$(stat -c %s "$f.gz")"
done
