#!/usr/bin/env bash
# The bench: release builds of the app and of the local stack (so the stand-in is not the
# bottleneck it is in a debug build), one user signed in through the magic link with 20 todos,
# then in one run:
#   - the signed-in todo page under wrk (views/s, p50/p99, app CPU per view, InsForge and
#     provider calls per view, peak RSS), the same list asked of the InsForge stand-in directly
#     (the floor) and the ratio, and the sign-in page;
#   - the first load of both pages in Chromium with a cold cache: every request, raw and as
#     received, what a repeat visit downloads again, and the time to hydrated.
#
#   scripts/bench.sh                 5 s per load at 50 connections, the page and the floor in
#                                    3 alternating rounds
#   BENCH_SECONDS=10 BENCH_ROUNDS=5 BENCH_CONNECTIONS=100 scripts/bench.sh
#   BENCH_PROFILE=1 scripts/bench.sh also samples the app with perf during the page load and
#                                    prints where its CPU time went
#   BENCH_WRAPPER="env MALLOC_ARENA_MAX=2" scripts/bench.sh   runs the app under a wrapper
#                                    command (an environment, a preloaded library) to compare
# A benchmark, not a test: it prints figures and fails only when a load goes wrong (errors,
# or an answer that is not the page).
set -euo pipefail
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."
. scripts/stack.sh

seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-50}
for setting in BENCH_SECONDS="$seconds" BENCH_ROUNDS="$rounds" BENCH_CONNECTIONS="$connections"; do
  [[ "${setting#*=}" =~ ^[1-9][0-9]*$ ]] || { echo "error: $setting: a whole number of at least 1, please" >&2; exit 1; }
done

scripts/setup.sh --bench
if [ -n "${BENCH_PROFILE:-}" ]; then
  command -v perf >/dev/null 2>&1 || { echo "error: BENCH_PROFILE needs perf (Debian: linux-perf)" >&2; exit 1; }
  if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
    echo "error: perf may not watch another process here (kernel.perf_event_paranoid > 1): run as root" >&2
    exit 1
  fi
fi
say "building release: the local stack, the bench's user, the site and the server"
cargo build --release --locked -q -p devstack -p soak --bin devstack --bin bench-user
scripts/build-site.sh >/dev/null

app_port=3500
app="http://127.0.0.1:$app_port"
start_stack target/bench-stack 7530 "$app_port" release
insforge="http://127.0.0.1:7530"
stytch="http://127.0.0.1:$stytch_port"

# shellcheck disable=SC2086
start_app "$app_port" ${BENCH_WRAPPER:-}

say "signing a user in, with 20 todos"
user=$(set -a && . "$stack_dir/app.env" && target/release/bench-user --app "$app" \
  --stytch "$stytch" --insforge "$insforge" --todos 20)
eval "$user"

ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$server/status"; }
calls() {
  local body
  body=$(curl -sf "$1/dev/calls") || { echo "error: $1/dev/calls did not answer" >&2; return 1; }
  sed -E 's/.*"calls":([0-9]+).*/\1/' <<<"$body"
}
# wrk's latency with its unit, in milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
  printf "%.2f", n }'; }

# load <name> <url> [header…]: wrk at $connections connections; sets $views, $rate, $p50, $p99.
load() {
  local name=$1 url=$2 out
  shift 2
  local headers=()
  for h in "$@"; do headers+=(-H "$h"); done
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "${headers[@]}" "$url")
  echo "$out" >"target/bench-$name.wrk"
  if grep -q -E 'Non-2xx|Socket errors' <<<"$out"; then
    echo "error: $name: not every answer was a 2xx (target/bench-$name.wrk):" >&2
    grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
    exit 1
  fi
  views=$(awk '/requests in/ { print $1 }' <<<"$out")
  rate=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
}

# As a browser asks: the page compressed, as it is sent to people.
page_headers=("cookie: $BENCH_COOKIE" "accept: text/html" "accept-encoding: br, gzip")
# The answer must be the page itself, not a redirect to sign in.
page=$(curl -sf --compressed -H "${page_headers[0]}" -H "${page_headers[1]}" "$app/" || true)
if ! grep -q 'data-testid="todo"' <<<"$page"; then
  echo "error: the signed-in page did not show the bench user's todos" >&2
  exit 1
fi

say "warming up (2 s)"
wrk -t2 -c"$connections" -d2s -H "${page_headers[0]}" -H "${page_headers[1]}" \
  -H "${page_headers[2]}" "$app/" >/dev/null
idle_rss=$(status_kb VmRSS)

# The page and the floor take turns, $rounds times, $seconds s each: a shared machine speeds up
# and slows down over a run, and a ratio of two loads made seconds apart sees the same machine.
# Every other round starts with the floor, so neither always runs on the machine the other
# has just warmed. The ratio printed is the median round's; rates and CPU are over every round.
say "the signed-in todo page and the same list asked of InsForge directly: $rounds rounds of $connections connections × $seconds s each"
[ -z "${BENCH_PROFILE:-}" ] || {
  perf record -q -e cpu-clock -F 1999 -g -p "$server" -o target/bench-perf.data >/dev/null 2>&1 &
  perf_pid=$!
}
page_ticks=0 page_views=0 insforge_total=0 provider_total=0
page_rates=() round_ratios=() page_p50s=() page_p99s=() floor_p50s=() floor_p99s=() floor_rates=()
round_cpus=()
page_round() {
  local t0 i0 s0 t1 i1 s1
  t0=$(cpu_ticks)
  i0=$(calls "$insforge")
  s0=$(calls "$stytch")
  load "page-$round" "$app/" "${page_headers[@]}"
  t1=$(cpu_ticks)
  i1=$(calls "$insforge")
  s1=$(calls "$stytch")
  page_ticks=$((page_ticks + t1 - t0)) page_views=$((page_views + views))
  round_cpus+=("$(awk -v t=$((t1 - t0)) -v n="$views" -v hz="$ticks_per_s" 'BEGIN { printf "%.3f", t / hz * 1000 / n }')")
  insforge_total=$((insforge_total + i1 - i0)) provider_total=$((provider_total + s1 - s0))
  page_rates+=("$rate") page_p50s+=("$p50") page_p99s+=("$p99")
  # Stopped after the first page round, so that the profile holds the app under this load only.
  [ -z "${perf_pid:-}" ] || { kill -INT "$perf_pid" || true; wait "$perf_pid" || true; perf_pid=; }
}
floor_round() {
  load "floor-$round" "$insforge/api/database/records/todos?select=id,title,is_complete,created_at&order=created_at.desc,id.desc" \
    "authorization: Bearer $BENCH_TOKEN"
  floor_p50s+=("$p50") floor_p99s+=("$p99") floor_rates+=("$rate")
}
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then page_round; floor_round; else floor_round; page_round; fi
  round_ratios+=("$(awk -v a="${page_p50s[-1]}" -v b="${floor_p50s[-1]}" 'BEGIN { printf "%.2f", a / b }')")
done
peak_rss=$(status_kb VmHWM)
# median <value>…: the middle one (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The round whose ratio is the median: its figures are the ones printed.
ratio=$(median "${round_ratios[@]}")
for m in "${!round_ratios[@]}"; do [ "${round_ratios[$m]}" = "$ratio" ] && break; done
mean() { printf '%s\n' "$@" | awk '{ t += $1 } END { printf "%.0f", t / NR }'; }
page_rate=$(mean "${page_rates[@]}") floor_rate=$(mean "${floor_rates[@]}")
page_p50=${page_p50s[$m]} page_p99=${page_p99s[$m]}
floor_p50=${floor_p50s[$m]} floor_p99=${floor_p99s[$m]}
page_cpu=$(awk -v t="$page_ticks" -v n="$page_views" -v hz="$ticks_per_s" 'BEGIN { printf "%.3f", t / hz * 1000 / n }')
per_view() { awk -v a="$1" -v n="$page_views" 'BEGIN { printf "%.2f", a / n }'; }
insforge_calls=$(per_view "$insforge_total")
provider_calls=$(per_view "$provider_total")

say "the sign-in page"
t0=$(cpu_ticks)
load sign-in "$app/login" "accept: text/html" "accept-encoding: br, gzip"
t1=$(cpu_ticks)
login_cpu=$(awk -v t=$((t1 - t0)) -v n="$views" -v hz="$ticks_per_s" 'BEGIN { printf "%.3f", t / hz * 1000 / n }')
login_rate=$rate login_p50=$p50 login_p99=$p99

say "first loads in Chromium (cold cache, then a repeat visit)"
if ! (cd end2end && BENCH_APP="$app" BENCH_COOKIE="$BENCH_COOKIE" \
  npx playwright test -c bench.config.ts --reporter=line) >target/bench-browser.log 2>&1; then
  echo "error: the browser half of the bench failed (target/bench-browser.log)" >&2
  exit 1
fi
browser=$(sed -n 's/^BENCH //p' target/bench-browser.log)

cat <<EOF

== bench: $(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
wrk -t2 -c$connections -d${seconds}s, release app and release local stack, 20 todos; one user on every
connection (a best case for what the app remembers per session: its verified token, its limits);
the page and the floor in $rounds alternating rounds: rates over every round, p50 and p99 the median round's

signed-in todo page   $page_rate views/s   p50 $page_p50 ms   p99 $page_p99 ms
  app CPU per view    $page_cpu ms (every round: ${round_cpus[*]})
  InsForge calls      $insforge_calls per view      provider calls $provider_calls per view
InsForge directly     $floor_rate req/s   p50 $floor_p50 ms   p99 $floor_p99 ms
  page p50 / floor    ${ratio}× (the median round; every round: ${round_ratios[*]})
sign-in page          $login_rate views/s   p50 $login_p50 ms   p99 $login_p99 ms   app CPU $login_cpu ms per view
app RSS               $((idle_rss / 1024)) MiB idle, $((peak_rss / 1024)) MiB peak

$browser
EOF

if [ -n "${BENCH_PROFILE:-}" ]; then
  echo
  echo "where the app's CPU went during the page load (perf, self time; target/bench-perf.data)"
  perf report -i target/bench-perf.data --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | cut -c1-300 | sed -E 's/ +$//' >target/bench-perf.txt || true
  echo "by crate:"
  awk '{ pct = $1 + 0; kind = $3; sym = $0; sub(/^[^]]*\] +/, "", sym); sub(/ +$/, "", sym)
         sub(/^[<&( ]+/, "", sym); split(sym, part, "::"); key = part[1]
         if (kind == "[k]") key = "(kernel)"
         else if (sym ~ /^_?mi_|^(_int_)?(malloc|free|realloc|cfree)|unlink_chunk|consolidate/) key = "(malloc, free)"
         else if ($2 ~ /^libc/) key = "(libc)"
         total[key] += pct }
       END { for (k in total) printf "  %6.2f%%  %s\n", total[k], k }' target/bench-perf.txt \
    | sort -rn | sed -n 1,15p
  echo "by function:"
  sed -n 1,20p target/bench-perf.txt | cut -c1-160
fi
