#!/usr/bin/env bash
# Durable decisions per second for a team: 1, 2 and 3 `holdpoint serve` processes on
# one PostgreSQL store, beside one server on the SQLite store, in the same run. Each
# server has a home of its own (the same configuration and key) and its own wrk
# driving POST /api/v1/decide with the everyday mix of bench/serve.sh; every answer
# comes after its decision is durable in the store. The total is the sum over the
# servers. Everything (wrk, the servers, PostgreSQL) shares this machine's cores.
#
#   bash bench/team.sh               # 10 s per run, 8 connections per server
#   DURATION=20s CONNECTIONS=16 bash bench/team.sh
#   BIN=/tmp/holdpoint-old bash bench/team.sh   # that binary, not this checkout's
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-8}"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get update -qq && apt-get install -y -qq wrk; }
command -v script >/dev/null || { apt-get update -qq && apt-get install -y -qq bsdutils; }
pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start

if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    cargo build --release -p holdpoint --quiet
    bin="$CARGO_TARGET_DIR/release/holdpoint"
fi
work="$(mktemp -d)"
db="hp_team_bench_$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
secret="bench secret 123"

# A home, set up with a human and an agent; $2 is its [store] section, if any.
home() {
    local home="$1"
    HOLDPOINT_HOME="$home" "$bin" init >/dev/null
    if [ -n "$2" ]; then
        printf '\n%s\n' "$2" >>"$home/holdpoint.toml"
        rm -f "$home"/store.db*
        HOLDPOINT_HOME="$home" "$bin" init >/dev/null
    fi
    printf '%s\n%s\n' "$secret" "$secret" | HOLDPOINT_HOME="$home" script -qec "$bin human add bench" /dev/null >/dev/null
    printf '%s\n' "$secret" | HOLDPOINT_HOME="$home" script -qec "$bin agent add bench-agent --write $home/token" /dev/null >/dev/null
}

# Starts a server for $1 on a free port, its own socket; sets $port.
serve() {
    local home="$1"
    port=$((20000 + RANDOM % 20000))
    HOLDPOINT_HOME="$home" "$bin" serve --listen "127.0.0.1:$port" --socket "$home/serve.sock" \
        >/dev/null 2>"$home/serve.log" &
    pids+=($!)
    for _ in $(seq 100); do grep -q "console and API" "$home/serve.log" 2>/dev/null && break; sleep 0.1; done
    # The first call of an agent token checks its password hash.
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/decide" -H "Authorization: Bearer $(cat "$home/token")" \
        -H 'Content-Type: application/json' -d '{"surface":"shell","input":"ls","cwd":"/tmp"}'
}

# wrk's script for a home's token: the everyday mix of bench/decide.lua.
script_for() {
    sed "s/@TOKEN@/$(cat "$1/token")/" bench/decide.lua >"$1/decide.lua"
}

# Drives every port given at once; prints the total and each server's figures.
drive() {
    local label="$1"; shift
    local n=0 outs=() drivers=()
    for port in "$@"; do
        local home="${homes[$n]}"
        wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$home/decide.lua" "http://127.0.0.1:$port" >"$work/wrk-$n.txt" &
        drivers+=($!)
        outs+=("$work/wrk-$n.txt")
        n=$((n + 1))
    done
    wait "${drivers[@]}"
    awk -v label="$label" '
        /Requests\/sec/ {total += $2; rps[FILENAME] = $2}
        /^ +50%/ {p50[FILENAME] = $2} /^ +99%/ {p99[FILENAME] = $2}
        /Non-2xx|errors/ {bad = bad " " $0}
        END {
            printf "%-26s %8.0f decisions/s in all   ", label, total
            for (f in rps) printf "[%s/s median %s p99 %s] ", rps[f], p50[f], p99[f]
            if (bad) printf "  ERRORS:%s", bad
            printf "\n"
        }' "${outs[@]}"
}

psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null
store="[store]
url = \"postgres://postgres@127.0.0.1:5432/$db\""
home "$work/team-0" "$store"
for n in 1 2; do
    cp -a "$work/team-0" "$work/team-$n"
done
home "$work/alone" ""
for h in "$work"/team-* "$work/alone"; do script_for "$h"; done

echo "PostgreSQL $(psql -tA -h 127.0.0.1 -U postgres -d postgres -c 'SHOW server_version') (synchronous_commit $(psql -tA -h 127.0.0.1 -U postgres -d postgres -c 'SHOW synchronous_commit')); SQLite synchronous = FULL; $DURATION per run, $CONNECTIONS connections per server, $(nproc) cores shared by all"
homes=("$work/alone")
serve "$work/alone"
drive "1 server, SQLite" "$port"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()
ports=()
homes=("$work/team-0" "$work/team-1" "$work/team-2")
for n in 0 1 2; do
    serve "$work/team-$n"
    ports+=("$port")
    drive "$((n + 1)) server(s), PostgreSQL" "${ports[@]}"
done
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
HOLDPOINT_HOME="$work/team-0" "$bin" log verify
decided=$(psql -tA -h 127.0.0.1 -U postgres -d "$db" -c "SELECT count(*) FROM holdpoint.records WHERE kind IN ('decided', 'ran')")
echo "decisions in the PostgreSQL ledger: $decided"
