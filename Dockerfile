# syntax=docker/dockerfile:1
# The app as one small image: the server binary, the built site and the migrations.
#   docker build -t insforge-auth .
#   docker run --env-file .env -p 3000:3000 insforge-auth              # serve
#   docker run --env-file .env insforge-auth /app/insforge-auth migrate # apply migrations/
# Health check path: /healthz. Behind https, set SITE_URL to the https address.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Node for binaryen's wasm-opt (Debian's binaryen is too old for current Rust wasm) and terser;
# brotli for the precompressed files, python3 for the content hashes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm brotli python3 \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install wasm-bindgen-cli --version 0.2.130
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN scripts/build-site.sh

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /src/target/release/insforge-auth /app/insforge-auth
# The content hashes of the site's files, where the server looks: beside its binary.
COPY --from=build /src/target/release/hash.txt /app/hash.txt
COPY --from=build /src/target/site /app/site
COPY --from=build /src/migrations /app/migrations
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_ENV=PROD \
    RUST_LOG=info
USER app
EXPOSE 3000
# Liveness (the process serves); load balancers should route by /readyz (InsForge and the
# providers reachable) instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s CMD ["/app/insforge-auth", "health"]
CMD ["/app/insforge-auth", "serve"]
