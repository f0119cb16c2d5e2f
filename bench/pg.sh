#!/usr/bin/env bash
# pgbench against the same database three ways in one run: directly, through
# `holdpoint pg` (deciding and recording every statement), and through pgbouncer (in the
# path, understanding nothing). Select-only over the simple and the extended protocol,
# and the default TPC-B-like run, 4 clients each; figures as transactions per second, as
# ratios (holdpoint to pgbouncer, each to direct), and as each proxy's CPU time per
# statement (from /proc, all its threads, over the run). The runs of one workload are interleaved, so a busier moment of
# this shared machine hits all three alike.
#
#   bash bench/pg.sh               # 10 s per run
#   DURATION=30 bash bench/pg.sh
#   BIN=/tmp/holdpoint-old bash bench/pg.sh   # that binary, not this checkout's
#   WRITE_DELAY_MS=5 bash bench/pg.sh   # every ledger commit 5 ms slower, as on a slow disk
#   PIN=1 bash bench/pg.sh         # pgbench and PostgreSQL on CPU 0, the proxies on CPU 1:
#                                  # what a proxy costs when it does not take the
#                                  # database's CPU (PostgreSQL's affinity is put back after)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
DURATION="${DURATION:-10}"
SCALE="${SCALE:-10}"
CLIENTS=4
for tool in pgbench pgbouncer script; do
    if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
        echo "installing what the benchmark needs"
        apt-get update -qq && apt-get install -y -qq postgresql-contrib pgbouncer bsdutils
        break
    fi
done
pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start

# BIN=/path/to/holdpoint runs another build (an earlier commit's, to compare) as it is.
if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    cargo build --release -p holdpoint --quiet
    bin="$CARGO_TARGET_DIR/release/holdpoint"
fi
work="$(mktemp -d)"
chmod 755 "$work"
db="hp_bench_$$"
cleanup() {
    kill "${proxy:-}" "${bouncer:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null
pgbench -q -i -s "$SCALE" -h 127.0.0.1 -U postgres "$db" >/dev/null 2>&1

export HOLDPOINT_HOME="$work/home"
"$bin" init >/dev/null
secret="bench secret 123"
printf '%s\n%s\n' "$secret" "$secret" | script -qec "$bin human add bench" /dev/null >/dev/null
printf '%s\n' "$secret" | script -qec "$bin agent add pgbench --write $work/token" /dev/null >/dev/null

hp_port=$((20000 + RANDOM % 10000))
pgb_port=$((30000 + RANDOM % 10000))
# Development: TPC-B's updates and inserts are `change`, which policy allows there.
# WRITE_DELAY_MS=N: each ledger batch waits N ms before it commits, as on a disk whose
# sync takes that long (this machine's is fast); it shows what waits for the ledger.
HOLDPOINT_TEST_WRITE_DELAY_MS="${WRITE_DELAY_MS:-0}" \
"$bin" pg --listen "127.0.0.1:$hp_port" --upstream "postgres://postgres@127.0.0.1:5432/$db" \
    --env development --no-wait 2>"$work/pg.log" &
proxy=$!

# pgbouncer's files in a directory of their own: run as root, pgbouncer runs as
# postgres and gets that directory, never holdpoint's home (which holdpoint refuses to
# use once it belongs to another user).
bouncer_dir="$work/bouncer"
mkdir -p "$bouncer_dir"
cat >"$bouncer_dir/pgbouncer.ini" <<INI
[databases]
$db = host=127.0.0.1 port=5432 dbname=$db user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pgb_port
auth_type = trust
auth_file = $bouncer_dir/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
logfile = $bouncer_dir/pgbouncer.log
syslog = 0
pidfile = $bouncer_dir/pgbouncer.pid
unix_socket_dir =
INI
echo '"postgres" ""' >"$bouncer_dir/users.txt"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$bouncer_dir"; bouncer_user=(-u postgres); else bouncer_user=(); fi
/usr/sbin/pgbouncer "${bouncer_user[@]}" -q "$bouncer_dir/pgbouncer.ini" &
bouncer=$!
for _ in $(seq 100); do
    grep -q "agents connect" "$work/pg.log" 2>/dev/null && pg_isready -q -h 127.0.0.1 -p "$pgb_port" && break
    sleep 0.1
done

if [ "${PIN:-0}" = 1 ]; then
    # Every PostgreSQL process (and so every backend it forks) and pgbench on CPU 0; the
    # proxies on CPU 1.
    all_cpus="0-$(($(nproc) - 1))"
    pin_postgres() { for p in $(pgrep -u postgres -x postgres); do taskset -a -p -c "$1" "$p" >/dev/null; done; }
    pin_postgres 0
    trap 'pin_postgres "$all_cpus"; cleanup' EXIT
    taskset -a -p -c 1 "$proxy" >/dev/null
    taskset -a -p -c 1 "$bouncer" >/dev/null
    pinned=(taskset -c 0)
    echo "pinned: pgbench and PostgreSQL on CPU 0, holdpoint pg and pgbouncer on CPU 1"
else
    pinned=()
fi

clk=$(getconf CLK_TCK)
ticks() { # pid: the CPU time it (all its threads) used so far, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}
run() { # target, statements per transaction, pgbench options...: "tps µs-of-CPU-per-statement"
    local target=$1 per=$2; shift 2
    local -a conn
    local pid=""
    case $target in
        direct)    conn=(-h 127.0.0.1 -p 5432 -U postgres) ;;
        holdpoint) conn=(-h 127.0.0.1 -p "$hp_port" -U pgbench); pid=$proxy ;;
        pgbouncer) conn=(-h 127.0.0.1 -p "$pgb_port" -U postgres); pid=$bouncer ;;
    esac
    local before=0
    [ -n "$pid" ] && before=$(ticks "$pid")
    local out
    out=$(PGPASSWORD="$(cat "$work/token" 2>/dev/null || true)" \
        "${pinned[@]}" pgbench "${conn[@]}" -c "$CLIENTS" -j 2 -T "$DURATION" -n "$@" "$db" 2>&1)
    local tps txns cpu="-"
    tps=$(awk '/^tps/ {print int($3); exit}' <<<"$out")
    txns=$(awk -F': *' '/number of transactions actually processed/ {split($2, n, "/"); print n[1]; exit}' <<<"$out")
    if [ -n "$pid" ] && [ "${txns:-0}" -gt 0 ]; then
        cpu=$(printf "%.0f" "$(echo "($(ticks "$pid") - $before) * 1000000 / $clk / ($txns * $per)" | bc -l)")
    fi
    echo "${tps:-0} $cpu"
}

if [ "${PIN:-0}" = 1 ]; then placement="pinned as above"; else placement="on $(nproc) cores shared by all"; fi
printf "pgbench, scale %s, %s clients, %s s per run, %s\n" "$SCALE" "$CLIENTS" "$DURATION" "$placement"
printf "%-24s %8s %9s %9s %8s %8s %8s   %s\n" workload direct holdpoint pgbouncer "hp/pgb" "hp/dir" "pgb/dir" "CPU µs per statement: holdpoint, pgbouncer"
# A select-only transaction is one statement; a TPC-B-like one seven (BEGIN, three
# UPDATEs, a SELECT, an INSERT, END).
for workload in "select-only, simple:1:-S -M simple" "select-only, extended:1:-S -M extended" "TPC-B-like, simple:7:-M simple"; do
    name=${workload%%:*}
    rest=${workload#*:}
    per=${rest%%:*}
    read -r -a options <<<"${rest#*:}"
    read -r d _ <<<"$(run direct "$per" "${options[@]}")"
    read -r h hcpu <<<"$(run holdpoint "$per" "${options[@]}")"
    read -r b bcpu <<<"$(run pgbouncer "$per" "${options[@]}")"
    printf "%-24s %8s %9s %9s %8.2f %8.2f %8.2f   %s, %s\n" "$name" "$d" "$h" "$b" \
        "$(echo "$h / $b" | bc -l)" "$(echo "$h / $d" | bc -l)" "$(echo "$b / $d" | bc -l)" "$hcpu" "$bcpu"
done
kill "$proxy"; wait "$proxy" 2>/dev/null || true
# A read that was allowed and ran is one `ran` record: its decision and its outcome.
"$bin" log export >"$work/ledger.jsonl"
ran=$(grep -c '"kind":"ran"' "$work/ledger.jsonl" || true)
decided=$(($(grep -c '"kind":"decided"' "$work/ledger.jsonl" || true) + ran))
executed=$(($(grep -c '"kind":"executed"' "$work/ledger.jsonl" || true) + ran))
records=$(wc -l <"$work/ledger.jsonl")
echo "ledger: $decided statements decided, $executed outcomes recorded, in $records records ($ran statements in one record each)"
"$bin" log verify
