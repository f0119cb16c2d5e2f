#!/usr/bin/env bash
# Durable appends per second to the ledger: on PostgreSQL with 1, 2 and 3 writers at
# once (each with a connection of its own, as each server or proxy has), and on SQLite
# with one writer (the one process that writes it, as `holdpoint serve` is), in the same
# run, for batches of one record (a decision alone) and of 32 (a process's group
# commit under load). Each line: appends and records committed per second, and the
# median and p99 time of one append.
#
#   bash bench/ledger.sh            # 5 s per run
#   SECONDS_PER_RUN=10 bash bench/ledger.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
run="${SECONDS_PER_RUN:-5}"
cargo build --release --quiet -p holdpoint-store --example ledger_writers
writers="$CARGO_TARGET_DIR/release/examples/ledger_writers"
pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
db="hp_ledger_bench_$$"
work="$(mktemp -d)"
cleanup() {
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
echo "PostgreSQL $(psql -tA -h 127.0.0.1 -U postgres -d postgres -c 'SHOW server_version'), synchronous_commit $(psql -tA -h 127.0.0.1 -U postgres -d postgres -c 'SHOW synchronous_commit'); SQLite synchronous = FULL; ${run} s per run"
for batch in 1 32; do
    for n in 1 2 3; do
        psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
        printf 'PostgreSQL  '
        "$writers" "postgres://postgres@127.0.0.1:5432/$db" "$n" "$batch" "$run"
    done
    rm -f "$work"/store.db*
    printf 'SQLite      '
    "$writers" "$work/store.db" 1 "$batch" "$run"
done
