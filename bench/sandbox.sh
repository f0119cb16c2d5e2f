#!/usr/bin/env bash
# What `holdpoint sandbox` costs: `holdpoint sandbox -- true` beside `true` and beside
# starting holdpoint alone (the median and the 99th percentile of RUNS runs each,
# interleaved), and `cargo test` of a small generated crate with and without the
# sandbox (a build from clean, then a run with nothing to rebuild; the median of
# CARGO_RUNS runs each, alternated), with their ratios.
#
#   bash bench/sandbox.sh            # builds the release binary first
#   RUNS=1000 CARGO_RUNS=15 bash bench/sandbox.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
cargo build --release --quiet -p holdpoint
bin="$CARGO_TARGET_DIR/release/holdpoint"
runs="${RUNS:-300}"
cargo_runs="${CARGO_RUNS:-9}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Bash's $EPOCHREALTIME is read without starting a process, so timing adds microseconds,
# not the cost of a `date`. `now` sets $us.
now() { us=${EPOCHREALTIME/[.,]/}; }

# The median and the 99th percentile of the numbers given.
stats() {
    printf '%s\n' "$@" | sort -n | awk '
        { a[NR] = $1 }
        END { p = int(NR * 0.99 + 0.999); if (p > NR) p = NR; print a[int((NR + 1) / 2)], a[p] }'
}

"$bin" sandbox -- true || { echo "holdpoint sandbox cannot confine here; nothing to measure"; exit 1; }
# The three are interleaved so that all see the same load on a shared machine. `true`
# is the program, not the shell's builtin, as the sandbox runs the program.
plain=() started=() sandboxed=()
for ((i = 0; i < runs; i++)); do
    now; s=$us; /usr/bin/true; now; plain+=($(( us - s )))
    now; s=$us; "$bin" --version > /dev/null; now; started+=($(( us - s )))
    now; s=$us; "$bin" sandbox -- /usr/bin/true; now; sandboxed+=($(( us - s )))
done
read -r true_median true_p99 < <(stats "${plain[@]}")
read -r start_median start_p99 < <(stats "${started[@]}")
read -r sb_median sb_p99 < <(stats "${sandboxed[@]}")
echo "true:                       median ${true_median} µs, p99 ${true_p99} µs ($runs runs each, interleaved)"
echo "holdpoint --version:        median ${start_median} µs, p99 ${start_p99} µs (starting holdpoint, for scale)"
echo "holdpoint sandbox -- true:  median ${sb_median} µs, p99 ${sb_p99} µs"
awk -v s="$sb_median" -v t="$true_median" -v v="$start_median" 'BEGIN {
    printf "the sandbox adds %.2f ms a command (median), of which %.2f ms is starting holdpoint\n", (s - t) / 1000, (v - t) / 1000 }'

# A small crate with a handful of tests that touch files, as a project's would.
crate="$work/tiny"
mkdir -p "$crate/src" "$crate/tests"
cat > "$crate/Cargo.toml" <<'TOML'
[package]
name = "tiny"
version = "0.1.0"
edition = "2021"
TOML
cat > "$crate/src/lib.rs" <<'RS'
pub fn words(text: &str) -> usize { text.split_whitespace().count() }
pub fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
#[cfg(test)]
mod tests {
    use super::*;
    #[test] fn counts_words() { assert_eq!(words("a b  c"), 3); }
    #[test] fn fibonacci() { assert_eq!(fib(25), 75025); }
}
RS
cat > "$crate/tests/files.rs" <<'RS'
#[test]
fn writes_and_reads_a_temporary_file() {
    let path = std::env::temp_dir().join(format!("tiny-{}", std::process::id()));
    std::fs::write(&path, "one two three").unwrap();
    assert_eq!(tiny::words(&std::fs::read_to_string(&path).unwrap()), 3);
    std::fs::remove_file(path).unwrap();
}
RS

# Runs `cargo test` in the crate without and with the sandbox, alternately, CARGO_RUNS
# times each, cleaning before each run when $1 is "clean"; prints the two medians in ms.
cargo_runs() {
    local mode=$1 plain=() sandboxed=() s
    for ((i = 0; i < cargo_runs; i++)); do
        for how in plain sandboxed; do
            if [ "$mode" = clean ]; then (cd "$crate" && cargo clean --quiet); fi
            now; s=$us
            if [ "$how" = plain ]; then
                (cd "$crate" && cargo test --quiet > /dev/null 2>&1)
                now; plain+=($(( (us - s) / 1000 )))
            else
                (cd "$crate" && "$bin" sandbox -- cargo test --quiet > /dev/null 2>&1)
                now; sandboxed+=($(( (us - s) / 1000 )))
            fi
        done
    done
    echo "$(stats "${plain[@]}" | cut -d' ' -f1) $(stats "${sandboxed[@]}" | cut -d' ' -f1)"
}

# The crate builds in its own target folder, in the workspace.
export CARGO_TARGET_DIR="$crate/target"
(cd "$crate" && "$bin" sandbox -- cargo test --quiet > /dev/null 2>&1) \
    || { echo "cargo test fails in the sandbox"; exit 1; }
read -r plain_clean sandbox_clean < <(cargo_runs clean)
read -r plain_warm sandbox_warm < <(cargo_runs warm)
awk -v n="$cargo_runs" -v a="$plain_clean" -v b="$sandbox_clean" -v c="$plain_warm" -v d="$sandbox_warm" 'BEGIN {
    printf "cargo test, from clean:       %d ms plain, %d ms in the sandbox, ratio %.3f (medians of %d)\n", a, b, b / a, n
    printf "cargo test, nothing to build: %d ms plain, %d ms in the sandbox, ratio %.3f (medians of %d)\n", c, d, d / c, n
}'
