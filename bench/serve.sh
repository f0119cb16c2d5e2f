#!/usr/bin/env bash
# Decisions per second through `holdpoint serve`, over loopback with wrk, at 4 and 32
# connections: every answer comes after its decision is durably in the ledger. Beside
# it, in the same run, the same server answering a static file (the HTTP ceiling of
# this machine), so the figures can be read as ratios on a shared, noisy machine.
#
#   bash bench/serve.sh            # 10 s per run
#   DURATION=30s bash bench/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
DURATION="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get update -qq && apt-get install -y -qq wrk; }
command -v script >/dev/null || { apt-get update -qq && apt-get install -y -qq bsdutils; }

cargo build --release -p holdpoint --quiet
bin="$CARGO_TARGET_DIR/release/holdpoint"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export HOLDPOINT_HOME="$work/home"
"$bin" init >/dev/null
secret="bench secret 123"
printf '%s\n%s\n' "$secret" "$secret" | script -qec "$bin human add bench" /dev/null >/dev/null
printf '%s\n' "$secret" | script -qec "$bin agent add bench-agent --write $work/token" /dev/null >/dev/null
token="$(cat "$work/token")"

port=$((20000 + RANDOM % 20000))
"$bin" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "console and API" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done

# What agents propose all day, in turn (bench/decide.lua).
sed "s/@TOKEN@/$token/" bench/decide.lua >"$work/decide.lua"

# Warm up: the first call of an agent token checks its password hash.
"$bin" --version >/dev/null
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/decide" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"surface":"shell","input":"ls","cwd":"/tmp"}'

summary() {
  # wrk --latency: requests/s, median and p99 latency.
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
       END {printf "%10s req/s   median %8s   p99 %8s%s\n", rps, p50, p99, (bad ? "   NON-2xx " bad : "")}'
}
echo "holdpoint serve on 127.0.0.1:$port, $DURATION per run, $(nproc) cores (wrk shares them)"
for connections in 4 32; do
  printf "decide  %2d connections: " "$connections"
  wrk -t2 -c"$connections" -d"$DURATION" --latency -s "$work/decide.lua" "http://127.0.0.1:$port" | tee "$work/wrk-$connections.txt" | summary
  printf "static  %2d connections: " "$connections"
  wrk -t2 -c"$connections" -d"$DURATION" --latency "http://127.0.0.1:$port/static/console.css" | summary
done
kill "$server"; wait "$server" 2>/dev/null || true
answered=$(awk '/requests in/ {n += $1} END {print n}' "$work"/wrk-*.txt)
decided=$("$bin" log export | grep -c '"kind":"decided"')
# wrk counts only the answers it read before stopping; a request in flight at the end
# may be decided but not counted, so the ledger may hold a few more.
echo "decide answers read by wrk: $answered; decisions in the ledger: $((decided - 1)) (after the warm-up)"
"$bin" log verify
